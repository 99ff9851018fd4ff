import { createHash } from 'node:crypto';
import { fail } from '../../errors.ts';
import type { AggregatePlan, Bucket, ChangeCursor, ExportFormat, Lake, MetricFn, SelectPlan, SortKey } from '../../lake/lake.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import { SYSTEM_FIELDS, type Dataset, type FieldSpec } from '../catalogue/types.ts';
import { parseDate, parseTimestamp } from '../catalogue/validators/dates.ts';
import { parseFilter, type Filter, type Literal } from './filter.ts';

/** Query parameters of a records read, as they arrive. */
export interface RecordsQuery {
  filter?: string;
  q?: string;
  fields?: string;
  sort?: string;
  limit?: number;
  offset?: number;
  cursor?: string;
  total?: 'exact' | 'estimate' | 'none';
}

/** Query parameters of an aggregate. */
export interface AggregateQuery {
  groupBy?: string;
  metrics?: string;
  filter?: string;
  q?: string;
  sort?: string;
  limit?: number;
}

const BUCKETS: readonly Bucket[] = ['hour', 'day', 'week', 'month', 'quarter', 'year'];
const METRICS: readonly MetricFn[] = ['count', 'sum', 'avg', 'min', 'max', 'count_distinct'];
const UNORDERED = new Set(['json', 'geopoint']);

/** Converts a filter literal to the field's type, or refuses it with the field named. */
function normaliseLiteral(f: FieldSpec, v: Literal): Literal {
  if (v === null) return null;
  const bad = (): never => fail('BAD_FILTER', { reason: `${JSON.stringify(v)} is not a valid ${f.type} for field ${f.name}` });
  switch (f.type) {
    case 'string':
      return String(v);
    case 'integer': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      if (!Number.isSafeInteger(n)) bad();
      return n;
    }
    case 'decimal': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      if (!Number.isFinite(n) || String(v).trim() === '') bad();
      // Decimal fields hold up to 14 integer digits (DECIMAL(18,4)); a larger literal cannot be compared with them.
      if (Math.abs(n) >= 1e14) fail('BAD_FILTER', { reason: `${v} is outside the range of decimal field ${f.name} (up to ±99,999,999,999,999.9999)` });
      return n;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (['true', 'false'].includes(String(v).toLowerCase())) return String(v).toLowerCase() === 'true';
      return bad();
    case 'date':
      return parseDate(String(v)) ?? bad();
    case 'timestamp': {
      const t = parseTimestamp(String(v)) ?? bad();
      return t.replace('T', ' ').replace('Z', '');
    }
    default:
      return bad();
  }
}

/** Checks a parsed filter against the schema and types its literals. */
function checkFilter(filter: Filter, fields: Map<string, FieldSpec>, dataset: string): Filter {
  const field = (name: string) => {
    const f = fields.get(name);
    if (!f) fail('UNKNOWN_FIELD', { dataset, field: name });
    return f;
  };
  switch (filter.op) {
    case 'and':
    case 'or':
      return { op: filter.op, args: filter.args.map((a) => checkFilter(a, fields, dataset)) };
    case 'not':
      return { op: 'not', arg: checkFilter(filter.arg, fields, dataset) };
    case 'null':
      field(filter.field);
      return filter;
    case 'prefix':
    case 'contains': {
      const f = field(filter.field);
      if (f.type !== 'string') fail('BAD_FILTER', { reason: `${filter.op === 'prefix' ? '^=' : '~'} applies to text fields; ${f.name} is ${f.type}` });
      return filter;
    }
    default: {
      const f = field(filter.field);
      if (UNORDERED.has(f.type)) fail('BAD_FILTER', { reason: `field ${f.name} (${f.type}) can only be tested with is null / is not null` });
      if (filter.op === 'cmp') return { ...filter, value: normaliseLiteral(f, filter.value) };
      if (filter.op === 'in') return { ...filter, values: filter.values.map((v) => normaliseLiteral(f, v)) };
      return { ...filter, lo: normaliseLiteral(f, filter.lo), hi: normaliseLiteral(f, filter.hi) };
    }
  }
}

function encodeCursor(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj), 'utf8').toString('base64url');
}

function decodeCursor(s: string): unknown {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return fail('BAD_CURSOR');
  }
}

/** The dataset as queries see it: its schema plus the system fields (_seq, _at) every record carries. */
function readable(ds: Dataset): Dataset {
  return { ...ds, fields: [...ds.fields, ...SYSTEM_FIELDS] };
}

/** Reads of dataset records: filtered pages, exports, aggregates and the change feed. */
export class QueryService {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly lake: Lake,
    private readonly limits: { maxPageSize: number; maxOffset: number },
  ) {}

  /** Turns request parameters into a checked plan for the Lake. */
  plan(ds: Dataset, q: RecordsQuery, opts: { forExport: boolean }): { plan: SelectPlan; fingerprint: string } {
    const fields = new Map(readable(ds).fields.map((f) => [f.name, f]));
    const selected = q.fields
      ? q.fields.split(',').map((s) => s.trim()).filter(Boolean)
      : ds.fields.map((f) => f.name);
    for (const n of selected) if (!fields.has(n)) fail('UNKNOWN_FIELD', { dataset: ds.code, field: n });
    const sort: SortKey[] = [];
    for (const part of (q.sort ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const desc = part.startsWith('-');
      const name = part.replace(/^[-+]/, '');
      const f = fields.get(name);
      if (!f) fail('BAD_SORT', { field: name, reason: 'no such field' });
      if (UNORDERED.has(f.type)) fail('BAD_SORT', { field: name, reason: `${f.type} values have no order` });
      if (sort.some((s) => s.field === name)) fail('BAD_SORT', { field: name, reason: 'named twice' });
      sort.push({ field: name, desc });
    }
    const filter = q.filter?.trim() ? checkFilter(parseFilter(q.filter), fields, ds.code) : null;
    const text = q.q?.trim() ? q.q.trim().slice(0, 200) : null;
    const limit = q.limit ?? (opts.forExport ? 0 : 100);
    if (!opts.forExport && (limit < 1 || limit > this.limits.maxPageSize)) {
      fail('VALIDATION_FAILED', { reason: `limit must be between 1 and ${this.limits.maxPageSize}` });
    }
    const offset = q.offset ?? 0;
    if (offset > this.limits.maxOffset) fail('OFFSET_TOO_LARGE', { offset, max: this.limits.maxOffset });
    const fingerprint = createHash('sha256').update(JSON.stringify([ds.code, q.filter ?? '', text ?? '', sort])).digest('base64url').slice(0, 12);
    let after: Literal[] | null = null;
    if (q.cursor) {
      const c = decodeCursor(q.cursor) as { f?: string; k?: Literal[] };
      const keyCount = sort.length + Math.max(1, ds.primaryKey.length);
      const primitive = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if (!c || c.f !== fingerprint || !Array.isArray(c.k) || c.k.length === 0 || c.k.length > keyCount || !c.k.every(primitive)) fail('BAD_CURSOR');
      after = c.k;
    }
    const rowsHint = ds.validRecords;
    const total = q.total ?? (rowsHint > 1_000_000 ? 'estimate' : 'exact');
    return {
      plan: {
        fields: selected,
        filter,
        q: text,
        textFields: ds.fields.filter((f) => f.type === 'string' && f.sensitivity !== 'secret').map((f) => f.name),
        sort,
        limit,
        offset: after ? 0 : offset,
        after,
        total: opts.forExport ? 'none' : total,
      },
      fingerprint,
    };
  }

  /** One page of records with a cursor for the next. */
  async records(code: string, q: RecordsQuery) {
    const ds = await this.catalogue.get(code);
    const { plan, fingerprint } = this.plan(ds, q, { forExport: false });
    const r = await this.lake.select(readable(ds), plan);
    return {
      items: r.rows,
      total: r.total,
      totalExact: r.totalExact,
      nextCursor: r.last ? encodeCursor({ f: fingerprint, k: r.last }) : null,
    };
  }

  /** Every matching record in a file format, streamed. */
  async export(code: string, q: RecordsQuery, format: ExportFormat) {
    const ds = await this.catalogue.get(code);
    const { plan } = this.plan(ds, q, { forExport: true });
    return { dataset: ds, stream: this.lake.export(readable(ds), plan, format) };
  }

  /** Group-by aggregates with optional time buckets, e.g. groupBy=district,established_on:month&metrics=count,sum:capital. */
  async aggregate(code: string, q: AggregateQuery) {
    const ds = readable(await this.catalogue.get(code));
    const fields = new Map(ds.fields.map((f) => [f.name, f]));
    const bad = (reason: string): never => fail('BAD_AGGREGATE', { reason });
    const groupBy = (q.groupBy ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((g) => {
      const [name, bucket] = g.split(':');
      const f = fields.get(name) ?? bad(`no field ${name} to group by`);
      if (UNORDERED.has(f.type)) bad(`cannot group by ${f.type} field ${name}`);
      if (bucket !== undefined) {
        if (!(BUCKETS as readonly string[]).includes(bucket)) bad(`time bucket must be one of ${BUCKETS.join(', ')}`);
        if (f.type !== 'date' && f.type !== 'timestamp') bad(`time buckets apply to date and timestamp fields; ${name} is ${f.type}`);
      }
      return { field: name, bucket: (bucket as Bucket | undefined) ?? null };
    });
    if (groupBy.length > 4) bad('group by at most 4 fields');
    const metrics = (q.metrics ?? 'count').split(',').map((s) => s.trim()).filter(Boolean).map((m) => {
      const [fn, name] = m.split(':');
      if (!(METRICS as readonly string[]).includes(fn)) bad(`metric must be one of ${METRICS.join(', ')}`);
      if (fn !== 'count' && !name) bad(`${fn} needs a field, e.g. ${fn}:capital`);
      if (name) {
        const f = fields.get(name) ?? bad(`no field ${name} for ${fn}`);
        if ((fn === 'sum' || fn === 'avg') && f.type !== 'integer' && f.type !== 'decimal') bad(`${fn} needs a numeric field; ${name} is ${f.type}`);
        if (UNORDERED.has(f.type) && fn !== 'count') bad(`cannot compute ${fn} of ${f.type} field ${name}`);
      }
      return { fn: fn as MetricFn, field: name ?? null, as: name ? `${fn}_${name}` : fn };
    });
    if (!metrics.length || metrics.length > 10) bad('ask for 1 to 10 metrics');
    const keys = new Set([...groupBy.map((g) => g.field), ...metrics.map((m) => m.as)]);
    const sort = (q.sort ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const key = s.replace(/^[-+]/, '');
      if (!keys.has(key)) bad(`sort by one of ${[...keys].join(', ')}`);
      return { key, desc: s.startsWith('-') };
    });
    const filter = q.filter?.trim() ? checkFilter(parseFilter(q.filter), fields, ds.code) : null;
    const limit = q.limit ?? 1000;
    if (limit < 1 || limit > 10_000) bad('limit must be between 1 and 10000');
    const plan: AggregatePlan = {
      groupBy,
      metrics,
      filter,
      q: q.q?.trim() || null,
      textFields: ds.fields.filter((f) => f.type === 'string' && f.sensitivity !== 'secret').map((f) => f.name),
      sort,
      limit,
    };
    return { items: await this.lake.aggregate(ds, plan) };
  }

  /** The change feed: what batches after the cursor wrote and deleted; `since` is a batch sequence number. */
  async changes(code: string, opts: { since?: number; cursor?: string; limit: number }) {
    const ds = await this.catalogue.get(code);
    if (opts.limit < 1 || opts.limit > this.limits.maxPageSize) fail('VALIDATION_FAILED', { reason: `limit must be between 1 and ${this.limits.maxPageSize}` });
    let cur: ChangeCursor = { seq: opts.since ?? 0, phase: 'done', pos: null };
    if (opts.cursor) {
      const c = decodeCursor(opts.cursor) as ChangeCursor;
      const okPos = c?.pos === null || (Array.isArray(c?.pos) && c.pos.length >= 1 && c.pos.length <= 10 && c.pos.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
      if (!c || !Number.isSafeInteger(c.seq) || c.seq < 0 || !['tomb', 'rows', 'done'].includes(c.phase) || !okPos) fail('BAD_CURSOR');
      cur = c;
    }
    const r = await this.lake.changes(ds, cur, opts.limit);
    return { items: r.items, nextCursor: encodeCursor(r.next), more: r.more, seq: r.next.seq };
  }
}
