import { createHash } from 'node:crypto';
import { fail } from '../../errors.ts';
import type { AggregatePlan, Bucket, ChangeCursor, ExportFormat, Lake, MetricFn, SelectPlan, SortKey } from '../../lake/lake.ts';
import type { Actor } from '../access/actor.ts';
import { AccessService, type DataView } from '../access/service.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import { SYSTEM_FIELDS, type Dataset, type FieldSpec } from '../catalogue/types.ts';
import { parseFilter, type Filter, type Literal } from './filter.ts';
import { UNORDERED, checkFilter } from './filter-check.ts';

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

/** The dataset as the Lake sees it: the whole schema plus the system fields (_seq, _at) every record carries. */
function stored(ds: Dataset): Dataset {
  return { ...ds, fields: [...ds.fields, ...SYSTEM_FIELDS] };
}

/** ANDs the view's row scope into a filter. */
function scoped(filter: Filter | null, view: DataView): Filter | null {
  if (!view.scope) return filter;
  return filter ? { op: 'and', args: [view.scope, filter] } : view.scope;
}

/** What a view shows, for callers that describe it (CKAN field lists, the /access route). */
function describeView(ds: Dataset, view: DataView) {
  const g = view.grant;
  return {
    dataset: ds.code,
    basis: view.basis,
    fields: view.fields.map((f) => ({ name: f.name, label: f.label, shown: view.masks[f.name] ? view.masks[f.name].kind : 'clear' })),
    withheld: [...view.withheld],
    rowScope: g?.row_scope ?? null,
    grant: g
      ? { id: g.id, purpose: g.purpose, expiresAt: g.expires_at, rowsPerDay: g.rows_per_day === null ? null : Number(g.rows_per_day), requestsPerMinute: g.requests_per_minute === null ? null : Number(g.requests_per_minute), consumerSystem: g.consumer_system }
      : null,
  };
}

/**
 * Reads of dataset records — filtered pages, exports, aggregates and the change feed — always through the
 * reader's data view: withheld fields absent, masked fields masked and unusable in filters, sorts and groups,
 * rows narrowed to the grant's scope, cursors sealed.
 */
export class QueryService {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly lake: Lake,
    private readonly access: AccessService,
    private readonly limits: { maxPageSize: number; maxOffset: number },
  ) {}

  /** Checks a filter from the client: known fields, typed literals, and only fields the view shows in clear. */
  private clientFilter(ds: Dataset, view: DataView, src: string | undefined): Filter | null {
    if (!src?.trim()) return null;
    const all = new Map(stored(ds).fields.map((f) => [f.name, f]));
    return checkFilter(parseFilter(src), all, ds.code, (n) => AccessService.requireClear(view, ds, n));
  }

  /** Text fields a text search looks in: visible, in clear and not secret. */
  private textFields(ds: Dataset, view: DataView): string[] {
    return ds.fields.filter((f) => f.type === 'string' && f.sensitivity !== 'secret' && view.clear.has(f.name)).map((f) => f.name);
  }

  /** Turns request parameters into a checked plan for the Lake. */
  plan(ds: Dataset, view: DataView, q: RecordsQuery, opts: { forExport: boolean; rowsLeft: number }): { plan: SelectPlan; fingerprint: string } {
    const all = new Map(stored(ds).fields.map((f) => [f.name, f]));
    const selected = q.fields ? q.fields.split(',').map((s) => s.trim()).filter(Boolean) : view.fields.map((f) => f.name);
    for (const n of selected) {
      if (!all.has(n)) fail('UNKNOWN_FIELD', { dataset: ds.code, field: n });
      AccessService.requireVisible(view, ds, n);
    }
    const sort: SortKey[] = [];
    for (const part of (q.sort ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const desc = part.startsWith('-');
      const name = part.replace(/^[-+]/, '');
      const f = all.get(name);
      if (!f) fail('BAD_SORT', { field: name, reason: 'no such field' });
      AccessService.requireClear(view, ds, name);
      if (UNORDERED.has(f.type)) fail('BAD_SORT', { field: name, reason: `${f.type} values have no order` });
      if (sort.some((s) => s.field === name)) fail('BAD_SORT', { field: name, reason: 'named twice' });
      sort.push({ field: name, desc });
    }
    const filter = this.clientFilter(ds, view, q.filter);
    const text = q.q?.trim() ? q.q.trim().slice(0, 200) : null;
    let limit = q.limit ?? (opts.forExport ? 0 : 100);
    if (!opts.forExport && (limit < 1 || limit > this.limits.maxPageSize)) {
      fail('VALIDATION_FAILED', { reason: `limit must be between 1 and ${this.limits.maxPageSize}` });
    }
    // A grant's daily row quota caps the page (or the export) at what is left today.
    if (Number.isFinite(opts.rowsLeft)) limit = limit === 0 ? opts.rowsLeft : Math.min(limit, opts.rowsLeft);
    const offset = q.offset ?? 0;
    if (offset > this.limits.maxOffset) fail('OFFSET_TOO_LARGE', { offset, max: this.limits.maxOffset });
    const fingerprint = createHash('sha256').update(JSON.stringify([ds.code, view.key, q.filter ?? '', text ?? '', sort])).digest('base64url').slice(0, 12);
    let after: Literal[] | null = null;
    if (q.cursor) {
      const c = this.access.open(q.cursor) as { f?: string; k?: Literal[] };
      if (!c || c.f !== fingerprint || !Array.isArray(c.k) || c.k.length === 0) fail('BAD_CURSOR');
      after = c.k;
    }
    const total = q.total ?? (ds.validRecords > 1_000_000 ? 'estimate' : 'exact');
    const masks = Object.fromEntries(selected.filter((n) => view.masks[n]).map((n) => [n, view.masks[n]]));
    return {
      plan: {
        fields: selected,
        masks,
        filter: scoped(filter, view),
        q: text,
        textFields: this.textFields(ds, view),
        sort,
        limit,
        offset: after ? 0 : offset,
        after,
        total: opts.forExport ? 'none' : total,
        // Ties broken by a masked or withheld key would reveal the clear key's order.
        tieBreakByRow: ds.primaryKey.some((k) => !view.clear.has(k)),
      },
      fingerprint,
    };
  }

  /**
   * What the actor may see of a dataset, without reading it: the basis (owner or grant), the fields with how each
   * is shown, the withheld ones, the row scope and the grant's terms. NO_GRANT when there is nothing.
   */
  async accessOf(actor: Actor, code: string) {
    const ds = await this.catalogue.get(code);
    return this.access.read(actor, ds, { action: 'records.access' }, 1, async (view) => ({ value: describeView(ds, view), rows: null }));
  }

  /** One page of records with a sealed cursor for the next. */
  async records(actor: Actor, code: string, q: RecordsQuery) {
    const ds = await this.catalogue.get(code);
    const ctx = { action: 'records.read', fields: q.fields?.split(',') ?? null, filter: q.filter, detail: { q: q.q ?? null, sort: q.sort ?? null } };
    return this.access.read(actor, ds, ctx, q.limit ?? 100, async (view, rowsLeft) => {
      const { plan, fingerprint } = this.plan(ds, view, q, { forExport: false, rowsLeft });
      const r = await this.lake.select(stored(ds), plan);
      return {
        value: {
          items: r.rows, total: r.total, totalExact: r.totalExact, nextCursor: r.last ? this.access.seal({ f: fingerprint, k: r.last }) : null,
          view: describeView(ds, view),
        },
        rows: r.rows.length,
      };
    });
  }

  /** Every matching record in a file format, streamed; under a row quota, capped at what is left today and charged up front. */
  async export(actor: Actor, code: string, q: RecordsQuery, format: ExportFormat) {
    const ds = await this.catalogue.get(code);
    const ctx = { action: 'records.export', fields: q.fields?.split(',') ?? null, filter: q.filter, detail: { format } };
    return this.access.read(actor, ds, ctx, q.limit || Infinity, async (view, rowsLeft) => {
      const { plan } = this.plan(ds, view, q, { forExport: true, rowsLeft });
      let rows: number | null = null;
      if (view.grant) {
        const n = await this.lake.select(stored(ds), { ...plan, fields: [], masks: {}, limit: 1, total: 'exact', after: null, offset: 0 });
        rows = Math.min(n.total ?? 0, plan.limit || Infinity);
      }
      const all = new Map(stored(ds).fields.map((f) => [f.name, f]));
      const fields = plan.fields.map((n) => ({ name: n, label: all.get(n)?.label ?? n }));
      return { value: { dataset: ds, stream: this.lake.export(stored(ds), plan, format), fields }, rows };
    });
  }

  /** Group-by aggregates with optional time buckets, e.g. groupBy=district,established_on:month&metrics=count,sum:capital. */
  async aggregate(actor: Actor, code: string, q: AggregateQuery) {
    const base = await this.catalogue.get(code);
    const ctx = { action: 'records.aggregate', fields: null, filter: q.filter, detail: { groupBy: q.groupBy ?? null, metrics: q.metrics ?? null, q: q.q ?? null } };
    return this.access.read(actor, base, ctx, q.limit ?? 1000, async (view, rowsLeft) => {
      const ds = stored(base);
      const fields = new Map(ds.fields.map((f) => [f.name, f]));
      const bad = (reason: string): never => fail('BAD_AGGREGATE', { reason });
      const groupBy = (q.groupBy ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((g) => {
        const [name, bucket] = g.split(':');
        const f = fields.get(name) ?? bad(`no field ${name} to group by`);
        AccessService.requireClear(view, base, name);
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
          AccessService.requireClear(view, base, name);
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
      const filter = this.clientFilter(base, view, q.filter);
      const limit = q.limit ?? 1000;
      if (limit < 1 || limit > 10_000) bad('limit must be between 1 and 10000');
      const plan: AggregatePlan = {
        groupBy,
        metrics,
        filter: scoped(filter, view),
        q: q.q?.trim() || null,
        textFields: this.textFields(base, view),
        sort,
        limit: Math.min(limit, rowsLeft),
      };
      const items = await this.lake.aggregate(ds, plan);
      return { value: { items }, rows: items.length };
    });
  }

  /** The change feed: what batches after the cursor wrote and deleted, within the reader's view; `since` is a batch sequence number. */
  async changes(actor: Actor, code: string, opts: { since?: number; cursor?: string; limit: number }) {
    const ds = await this.catalogue.get(code);
    return this.access.read(actor, ds, { action: 'records.changes', detail: { since: opts.since ?? null } }, opts.limit, async (view, rowsLeft) => {
      if (opts.limit < 1 || opts.limit > this.limits.maxPageSize) fail('VALIDATION_FAILED', { reason: `limit must be between 1 and ${this.limits.maxPageSize}` });
      let cur: ChangeCursor = { seq: opts.since ?? 0, phase: 'done', pos: null };
      if (opts.cursor) {
        const o = this.access.open(opts.cursor) as { v?: string; c?: ChangeCursor };
        const c = o?.c;
        if (!o || o.v !== view.key || !c || !Number.isSafeInteger(c.seq) || !['tomb', 'rows', 'done'].includes(c.phase)) fail('BAD_CURSOR');
        cur = c as ChangeCursor;
      }
      const limit = Math.max(1, Math.min(opts.limit, rowsLeft));
      const r = await this.lake.changes(stored(ds), cur, limit, { fields: view.fields.map((f: FieldSpec) => f.name), masks: view.masks, scope: view.scope });
      return { value: { items: r.items, nextCursor: this.access.seal({ v: view.key, c: r.next }), more: r.more, seq: r.next.seq }, rows: r.items.length };
    });
  }
}
