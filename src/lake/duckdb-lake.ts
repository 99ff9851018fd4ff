import { mkdirSync, statSync, existsSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance, JsonDuckDBValueConverter, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { AppError } from '../errors.ts';
import type { FieldSpec } from '../modules/catalogue/types.ts';
import { filterFields, type Filter, type Literal } from '../modules/query/filter.ts';
import {
  DUCK_TYPES, Params, bucketSql, columnSql, csvLineSql, filterSql, ident, keysetSql, lit, maskSql, orderSql, outputColumnSql, ruleExpr, tableName, textSearchSql, typedExpr,
} from './duckdb-sql.ts';
import { checkSandboxAst } from './duckdb-sandbox.ts';
import { DuckDbSortIndexes } from './duckdb-sort-index.ts';
import type {
  AggregatePlan, ChangeCursor, ChangeEntry, ChangeView, FieldMask, SandboxResult, SandboxTable, ExportFormat, Lake, LakeIngest, LakeIngestResult, LakeTableSpec, QuarantineEntry, SelectPlan, SelectResult, SortIndexState, SortKey,
} from './lake.ts';

const CHUNK_TARGET = 256 * 1024;

/** A small first-come queue that lets one holder at a time run. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}

/** A fixed set of reader connections handed out one query at a time. */
class ConnectionPool {
  private idle: DuckDBConnection[];
  private waiters: ((c: DuckDBConnection) => void)[] = [];
  constructor(conns: DuckDBConnection[]) {
    this.idle = conns;
  }
  async use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? (await new Promise<DuckDBConnection>((r) => this.waiters.push(r)));
    try {
      return await fn(c);
    } finally {
      const w = this.waiters.shift();
      if (w) w(c);
      else this.idle.push(c);
    }
  }
  closeAll(): void {
    for (const c of this.idle) c.closeSync();
    this.idle = [];
  }
}

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

/** Converts DuckDB's JSON-friendly values to API values by field type. */
function outValue(f: FieldSpec | undefined, v: unknown): unknown {
  if (v === null || v === undefined || !f) return v ?? null;
  switch (f.type) {
    case 'integer':
    case 'decimal':
      return Number(v);
    case 'timestamp':
      return `${String(v).replace(' ', 'T')}Z`;
    case 'json':
      return typeof v === 'string' ? JSON.parse(v) : v;
    default:
      return v;
  }
}

/** Row values that go back into SQL as keyset literals: the JSON form of each key. */
function keyLiteral(v: unknown): Literal {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

/** The Lake on an embedded DuckDB database file. */
export class DuckDbLake implements Lake {
  private writeLock = new Mutex();
  /** Untrusted queries run one at a time on their own connection, which a timer can interrupt. */
  private sandboxLock = new Mutex();
  private sandbox: DuckDBConnection | null = null;
  /** Set when the stored key buckets were made by a different hash function and must be recomputed. */
  private rebucket = false;
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: ConnectionPool,
    private readonly file: string,
    private readonly tmpDir: string,
    private readonly indexes: DuckDbSortIndexes,
  ) {}

  /**
   * Opens (or creates) the lake file under dataDir. `sortIndexes`: whether a sort index is rebuilt by itself once
   * rows written since its build pass max(minRebuildRows, rebuildShare × its rows) or any were updated or deleted
   * (default: yes, 100 000 rows, 2 %; otherwise only when sortIndexes() is called), and the rows per part of a
   * sorted copy (default 4 194 304).
   */
  static async open(opts: {
    dataDir: string; memoryLimit: string; threads: number | null; file?: string;
    sortIndexes?: { autoRebuild?: boolean; minRebuildRows?: number; rebuildShare?: number; partRows?: number };
  }): Promise<DuckDbLake> {
    mkdirSync(opts.dataDir, { recursive: true });
    const file = opts.file ?? join(opts.dataDir, 'lake.duckdb');
    const tmpDir = join(opts.dataDir, 'tmp', 'lake');
    mkdirSync(tmpDir, { recursive: true });
    const config: Record<string, string> = {
      memory_limit: opts.memoryLimit,
      temp_directory: tmpDir,
      preserve_insertion_order: 'true',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
    };
    if (opts.threads) config.threads = String(opts.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, config);
    } catch (e) {
      const msg = (e as Error).message;
      if (/lock/i.test(msg)) {
        throw new AppError('LAKE_UNAVAILABLE', {
          reason: `${file} is in use by another process (a running xmcity server?). Push data through its HTTP API, or stop it first`,
        });
      }
      throw e;
    }
    const writer = await instance.connect();
    await writer.run("SET enable_progress_bar = true; SET enable_progress_bar_print = false");
    await writer.run(`
      CREATE TABLE IF NOT EXISTS _batches (dataset VARCHAR NOT NULL, seq BIGINT NOT NULL, batch_id VARCHAR NOT NULL,
        mode VARCHAR NOT NULL, idempotency_key VARCHAR, accepted BIGINT NOT NULL, valid BIGINT NOT NULL, invalid BIGINT NOT NULL, deleted BIGINT NOT NULL, "at" TIMESTAMP NOT NULL);
      CREATE TABLE IF NOT EXISTS _quarantine (dataset VARCHAR NOT NULL, seq BIGINT NOT NULL, row_no BIGINT NOT NULL,
        field VARCHAR, rule VARCHAR NOT NULL, value VARCHAR, errors JSON, record JSON);
      CREATE TABLE IF NOT EXISTS _tombstones (dataset VARCHAR NOT NULL, seq BIGINT NOT NULL, key JSON NOT NULL);
      ALTER TABLE _tombstones ADD COLUMN IF NOT EXISTS image JSON;
      CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    `);
    // Key buckets use the engine's hash function; if an engine upgrade changed it, stored buckets are recomputed.
    const probe = String((await writer.runAndReadAll(`SELECT ${keyBucketSql(["'xmcity-probe'", '42::BIGINT'])}`)).getRows()[0][0]);
    const stored = (await writer.runAndReadAll("SELECT value FROM _meta WHERE key = 'bucket_probe'")).getRows()[0]?.[0];
    const readers: DuckDBConnection[] = [];
    for (let i = 0; i < 4; i++) readers.push(await instance.connect());
    const si = opts.sortIndexes ?? {};
    const indexes = new DuckDbSortIndexes(instance, {
      autoRebuild: si.autoRebuild ?? true, minRebuildRows: si.minRebuildRows ?? 100_000, rebuildShare: si.rebuildShare ?? 0.02, partRows: si.partRows ?? 4_194_304,
    });
    await indexes.load(writer);
    const lake = new DuckDbLake(instance, writer, new ConnectionPool(readers), file, tmpDir, indexes);
    lake.rebucket = stored !== undefined && stored !== probe;
    await writer.run("INSERT OR REPLACE INTO _meta VALUES ('bucket_probe', ?)", [probe]);
    // Security by construction: the engine may touch no file but its own database and the platform's scratch
    // directories (spooled uploads, spills, exports), reach no network, load nothing new, and nobody may lift that.
    const scratch = join(opts.dataDir, 'tmp');
    await writer.run(`SET allowed_directories = [${lit(`${scratch}/`)}]; SET enable_external_access = false; SET autoload_known_extensions = false;
      SET lock_configuration = true`);
    return lake;
  }

  async ping(): Promise<void> {
    await this.readers.use((c) => c.run('SELECT 1'));
  }

  async ensureTable(spec: LakeTableSpec): Promise<void> {
    await this.writeLock.run(async () => {
      const t = tableName(spec.code);
      const cols = spec.fields.map(columnSql);
      const kb = spec.primaryKey.length ? ', _kb USMALLINT' : '';
      await this.writer.run(`CREATE TABLE IF NOT EXISTS ${t} (${cols.join(', ')}, _seq BIGINT NOT NULL, _at TIMESTAMP NOT NULL${kb})`);
      const existing = await this.writer.runAndReadAll(
        `SELECT column_name FROM duckdb_columns() WHERE table_name = ${lit(t.slice(1, -1))} AND schema_name = 'main'`,
      );
      const have = new Set(existing.getRowObjects().map((r) => String(r.column_name)));
      for (const f of spec.fields) {
        if (!have.has(f.name)) await this.writer.run(`ALTER TABLE ${t} ADD COLUMN ${columnSql(f)}`);
      }
      if (this.rebucket && spec.primaryKey.length) {
        await this.writer.run(`UPDATE ${t} SET _kb = ${keyBucketSql(spec.primaryKey.map(ident))}`);
      }
    });
  }

  async committedBatches(code: string, sinceSeq: number) {
    return this.readers.use(async (c) => {
      const r = await c.runAndReadAll(
        'SELECT seq, batch_id, mode, idempotency_key, accepted, valid, invalid, epoch_ms("at") AS at_ms FROM _batches WHERE dataset = ? AND seq > ? ORDER BY seq',
        [code, sinceSeq],
      );
      return r.getRowObjects().map((x) => ({
        seq: num(x.seq), batchId: String(x.batch_id), mode: String(x.mode), idempotencyKey: x.idempotency_key === null ? null : String(x.idempotency_key), at: new Date(num(x.at_ms)), accepted: num(x.accepted), valid: num(x.valid), invalid: num(x.invalid),
      }));
    });
  }

  /**
   * The source relation: one VARCHAR column per field (NULL for absent/empty), plus _bad_line. Rows keep the
   * file's order (preserve_insertion_order), so a row's number is its position in the staging table.
   */
  private async sourceSql(req: LakeIngest, rejects: string): Promise<string> {
    const { source, table } = req;
    const fields = table.fields;
    const path = lit(source.path);
    if (source.format === 'csv') {
      const cols = source.columns ?? [];
      const colDefs = cols.map((_, i) => `${lit(`c${i}`)}: 'VARCHAR'`).join(', ');
      const byField = new Map(cols.map((c, i) => [c.field, `c${i}`]));
      const proj = fields.map((f) => (byField.has(f.name) ? `NULLIF(${ident(byField.get(f.name) as string)}, '') AS ${ident(f.name)}` : `NULL::VARCHAR AS ${ident(f.name)}`));
      return `SELECT false AS _bad_line, NULL::VARCHAR AS _line, ${proj.join(', ')}
        FROM read_csv(${path}, header = true, auto_detect = false, columns = {${colDefs}}, delim = ',', quote = '"', escape = '"',
          strict_mode = true, max_line_size = ${Math.max(req.maxLineBytes, 1024)}, store_rejects = true,
          rejects_table = ${lit(`${rejects}_e`)}, rejects_scan = ${lit(`${rejects}_s`)})`;
    }
    if (source.format === 'ndjson') {
      // The lines are read in file order, then each is parsed once into a struct of texts (strings unescaped;
      // numbers, booleans and nested values as JSON; keys case-sensitive, the first of repeated keys wins) —
      // twice as fast as extracting path by path. TRY turns a malformed line into NULL; a line that is JSON but
      // not an object (an array, a number) does not start with '{'. Blank lines are skipped. (Trimming every line
      // costs more than parsing it, so only lines that do not start with '{' are trimmed.)
      const shape = lit(JSON.stringify(Object.fromEntries(fields.map((f) => [f.name, 'VARCHAR']))));
      return `SELECT _bad_line, CASE WHEN _bad_line THEN left(j, 1000) END AS _line, ${fields.map((f) => `CASE WHEN NOT _bad_line THEN NULLIF(_l.${ident(f.name)}, '') END AS ${ident(f.name)}`).join(', ')}
        FROM (SELECT j, _l, (_l IS NULL OR NOT (CASE WHEN starts_with(j, '{') THEN true ELSE starts_with(ltrim(j), '{') END)) AS _bad_line
          FROM (SELECT j, TRY(from_json(j, ${shape})) AS _l
            FROM read_csv(${path}, header = false, auto_detect = false, columns = {'j': 'VARCHAR'}, delim = E'\\x01', quote = '', escape = '',
              max_line_size = ${Math.max(req.maxLineBytes, 1024)}, strict_mode = false)
            WHERE CASE WHEN starts_with(j, '{') THEN true ELSE trim(j) <> '' END))`;
    }
    const cols = source.columns ?? [];
    const byField = new Map(cols.map((c) => [c.field, c.source]));
    const proj = fields.map((f) =>
      byField.has(f.name) ? `NULLIF(CAST(${ident(byField.get(f.name) as string)} AS VARCHAR), '') AS ${ident(f.name)}` : `NULL::VARCHAR AS ${ident(f.name)}`,
    );
    return `SELECT false AS _bad_line, NULL::VARCHAR AS _line, ${proj.join(', ')} FROM read_parquet(${path})`;
  }

  async ingest(req: LakeIngest): Promise<LakeIngestResult> {
    return this.writeLock.run(() => this.ingestLocked(req));
  }

  private async ingestLocked(req: LakeIngest): Promise<LakeIngestResult> {
    const c = profiled(this.writer);
    const { table, mode, seq } = req;
    const t = tableName(table.code);
    const stg = `stg_${randomUUID().replace(/-/g, '')}`;
    const rejects = `rej_${stg.slice(4, 16)}`;
    const pk = table.primaryKey;
    // In delete mode only the key is read and checked.
    const checked = mode === 'delete' ? table.fields.filter((f) => pk.includes(f.name)) : table.fields;
    const raw = (f: FieldSpec) => ident(`r__${f.name}`);
    const typed = (f: FieldSpec) => ident(f.name);
    const err = (f: FieldSpec) => ident(`e__${f.name}`);
    const anyBad = ['_bad_line', ...checked.map((f) => `${err(f)} IS NOT NULL`)].join(' OR ');
    const errList = `[${checked.map((f) => `{'field': ${lit(f.name)}, 'rule': ${err(f)}, 'value': ${raw(f)}}`).join(', ')}]`;
    const rawRecord = `{${table.fields.map((f) => `${lit(f.name)}: ${raw(f)}`).join(', ')}}`;
    // What a row whose key repeats (in the batch, or of a stored row when appending) is quarantined with.
    const dupErr = `[{'field': ${lit(pk.join(','))}, 'rule': 'duplicate_key', 'value': CAST(${ident(pk[0] ?? '')} AS VARCHAR)}]`;
    const dupRaw = `to_json({${pk.map((k) => `${lit(k)}: ${ident(k)}`).join(', ')}})`;
    const at = req.at.toISOString().replace('T', ' ').replace('Z', '');
    let began = false;
    const ticker = req.onProgress
      ? setInterval(() => {
          const pr = c.progress;
          if (pr && pr.percentage >= 0) req.onProgress?.(Math.min(1, pr.percentage / 100));
        }, 200)
      : null;
    try {
      // Helper values the format checks want computed once per row, beside the typed values.
      const helpers: string[] = [];
      const once = (sql: string) => {
        const name = ident(`h__${helpers.length}`);
        helpers.push(`, ${sql} AS ${name}`);
        return name;
      };
      const rules = checked.map((f) => `${ruleExpr(f, raw(f), typed(f), once)} AS ${err(f)}`);
      // One pass over the source: typed values, the first broken rule per field, and for bad rows only their
      // raw values and error list. Good rows then move to the table as a plain columnar copy.
      const src = await this.sourceSql(req, rejects);
      await c.run(`CREATE TEMP TABLE ${stg} AS
        SELECT ${table.fields.map(typed).join(', ')}, _bad, false AS _dup,
          CASE WHEN _bad_line THEN [{'field': NULL::VARCHAR, 'rule': 'malformed', 'value': _line}]
               WHEN _bad THEN list_filter(${errList}, x -> x.rule IS NOT NULL) END AS _errs,
          CASE WHEN _bad THEN to_json(${rawRecord}) END AS _raw
        FROM (SELECT *, (${anyBad}) AS _bad FROM (
          SELECT *, ${rules.join(', ')} FROM (
            SELECT _bad_line, _line, ${table.fields.map((f) => `${raw(f)}, ${typedExpr(f, raw(f))} AS ${typed(f)}`).join(', ')}${helpers.join('')}
            FROM (SELECT _bad_line, _line, ${table.fields.map((f) => `${ident(f.name)} AS ${raw(f)}`).join(', ')} FROM (${src})))))`);
      // The staging table is made outside the transaction (it is private to this connection), so its row ids
      // start at 0 and follow the file: row id + 1 is the row's number in the batch.
      await c.run('BEGIN TRANSACTION');
      began = true;
      // Rows whose key repeats within the batch: append keeps the first, upsert and delete the last. Only the
      // plain flags are updated (the engine rewrites a row whose list column changes, and its row id with it).
      if (pk.length) {
        const keyCols = pk.map(ident).join(', ');
        const order = mode === 'append' ? 'rowid ASC' : 'rowid DESC';
        // The window only sees rows whose key hash repeats: a hash aggregate finds those for a fraction of what
        // partitioning every row by its key costs.
        const h = `hash(${keyCols})`;
        await c.run(`UPDATE ${stg} SET _bad = true, _dup = true
          WHERE rowid IN (SELECT r FROM (SELECT rowid AS r, row_number() OVER (PARTITION BY ${keyCols} ORDER BY ${order}) AS n FROM ${stg}
            WHERE NOT _bad AND ${h} IN (SELECT h FROM (SELECT ${h} AS h FROM ${stg} WHERE NOT _bad GROUP BY h HAVING count(*) > 1))) WHERE n > 1)`);
        if (mode === 'append') {
          await c.run(`UPDATE ${stg} SET _bad = true, _dup = true
            WHERE NOT _bad AND (${keyCols}) IN (SELECT (${pk.map((k) => `s.${ident(k)}`).join(', ')}) FROM ${stg} s SEMI JOIN ${t} d ON ${pk
              .map((k) => `d.${ident(k)} = s.${ident(k)}`)
              .join(' AND ')} WHERE NOT s._bad)`);
        }
      }
      let deleted = 0;
      if (mode === 'delete') {
        await c.run(`CREATE OR REPLACE TEMP TABLE deleted_rows AS SELECT * FROM ${t} WHERE (${pk.map(ident).join(', ')}) IN (SELECT (${pk.map((k) => `s.${ident(k)}`).join(', ')}) FROM ${stg} s WHERE NOT s._bad)`);
      }
      if (mode === 'upsert' || mode === 'delete') {
        const del = await c.runAndReadAll(`DELETE FROM ${t} WHERE (${pk.map(ident).join(', ')}) IN (SELECT (${pk.map((k) => `s.${ident(k)}`).join(', ')}) FROM ${stg} s WHERE NOT s._bad)`);
        deleted = num(del.getRows()[0]?.[0]);
      }
      if (mode === 'delete') {
        // Each tombstone keeps the deleted row's last image, so a reader with a row scope can be told only of its own rows.
        const cols = table.fields.map((f) => `${lit(f.name)}: d.${ident(f.name)}`).join(', ');
        await c.run(`INSERT INTO _tombstones
          SELECT ?, ?, to_json({${pk.map((k) => `${lit(k)}: s.${ident(k)}`).join(', ')}}), CASE WHEN d._seq IS NOT NULL THEN to_json({${cols}}) END
          FROM ${stg} s LEFT JOIN deleted_rows d ON ${pk.map((k) => `d.${ident(k)} = s.${ident(k)}`).join(' AND ')} WHERE NOT s._bad`, [table.code, seq]);
        await c.run('DROP TABLE deleted_rows');
      } else {
        const names = table.fields.map((f) => ident(f.name));
        // Keyed datasets are stored clustered by a hash bucket of the key, so a key lookup reads one row group per batch.
        const kb = pk.length ? { col: ', _kb', val: `, ${keyBucketSql(pk.map(ident))} AS _kb`, order: ' ORDER BY _kb' } : { col: '', val: '', order: '' };
        await c.run(`INSERT INTO ${t} (${names.join(', ')}, _seq, _at${kb.col}) SELECT ${names.join(', ')}, ?, CAST(? AS TIMESTAMP)${kb.val} FROM ${stg} WHERE NOT _bad${kb.order}`, [
          seq, at,
        ]);
      }
      await c.run(`INSERT INTO _quarantine
        SELECT ?, ?, rowid + 1, _errs[1].field, _errs[1].rule, _errs[1].value, to_json(_errs), _raw
        FROM (SELECT rowid, ${pk.length ? `CASE WHEN _dup THEN ${dupErr} ELSE _errs END AS _errs, CASE WHEN _dup THEN ${dupRaw} ELSE _raw END AS _raw` : '_errs, _raw'} FROM ${stg} WHERE _bad)`, [table.code, seq]);
      if (req.source.format === 'csv') {
        const hasRejects = await c.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE table_name = ${lit(`${rejects}_e`)}`);
        if (num(hasRejects.getRows()[0][0]) > 0) {
          await c.run(`INSERT INTO _quarantine SELECT ?, ?, line - 1, NULL, 'malformed', csv_line,
              to_json([{'field': NULL, 'rule': 'malformed', 'value': error_message}]), NULL FROM ${ident(`${rejects}_e`)}`, [table.code, seq]);
        }
      }
      const counts = await c.runAndReadAll(`SELECT count(*) FILTER (WHERE NOT _bad), count(*) FILTER (WHERE _bad) FROM ${stg}`);
      let [valid, invalid] = counts.getRows()[0].map(num);
      if (req.source.format === 'csv') {
        const rej = await c.runAndReadAll(
          `SELECT count(*) FROM _quarantine WHERE dataset = ? AND seq = ? AND rule = 'malformed'`, [table.code, seq]);
        invalid += num(rej.getRows()[0][0]);
      }
      await c.run('INSERT INTO _batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP))', [
        table.code, seq, req.batchId, mode, req.idempotencyKey, valid + invalid, valid, invalid, deleted, at,
      ]);
      await c.run(`DROP TABLE ${stg}`);
      await c.run('COMMIT');
      began = false;
      this.indexes.afterIngest(table, { mode, valid, deleted });
      const rc = await c.runAndReadAll(`SELECT count(*) FROM ${t}`);
      return { accepted: valid + invalid, valid, invalid, deleted, rowCount: num(rc.getRows()[0][0]) };
    } catch (e) {
      if (began) await c.run('ROLLBACK').catch(() => undefined);
      throw translateIngestError(e);
    } finally {
      if (ticker) clearInterval(ticker);
      await c.run(`DROP TABLE IF EXISTS ${stg}; DROP TABLE IF EXISTS ${ident(`${rejects}_e`)}; DROP TABLE IF EXISTS ${ident(`${rejects}_s`)}`).catch(() => undefined);
    }
  }

  private compileWhere(spec: LakeTableSpec, plan: { filter: SelectPlan['filter']; q: string | null; textFields: string[] }, params: Params): string {
    const fields = new Map(spec.fields.map((f) => [f.name, f]));
    const conds: string[] = [];
    if (plan.filter) {
      const bucket = keyBucketFilter(spec, plan.filter);
      if (bucket) conds.push(bucket);
      conds.push(filterSql(plan.filter, fields, params));
    }
    if (plan.q) conds.push(textSearchSql(plan.q, plan.textFields, params));
    return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  }

  /**
   * Sort keys with a unique tie-breaker appended: the primary key, or the physical row id. With no sort asked
   * for, the order is the table's own (insertion) order, keyed by row id: pages then stream without a sort.
   */
  private fullSort(spec: LakeTableSpec, sort: SortKey[], byRow = false): SortKey[] {
    if (!sort.length) return [{ field: '_rid', desc: false }];
    const keys = [...sort];
    const tie = spec.primaryKey.length && !byRow ? spec.primaryKey : ['_rid'];
    for (const k of tie) if (!keys.some((s) => s.field === k)) keys.push({ field: k, desc: false });
    return keys;
  }

  private selectList(spec: LakeTableSpec, fields: string[], masks: Record<string, FieldMask>): string {
    const byName = new Map(spec.fields.map((f) => [f.name, f]));
    return fields.map((n) => outputColumnSql(byName.get(n) as FieldSpec, masks)).join(', ');
  }

  async select(spec: LakeTableSpec, plan: SelectPlan): Promise<SelectResult> {
    const t = tableName(spec.code);
    const keys = this.fullSort(spec, plan.sort, plan.tieBreakByRow);
    const fieldMap = new Map(spec.fields.map((f) => [f.name, f]));
    return this.readers.use(async (c) => {
      const params = new Params();
      let where = this.compileWhere(spec, plan, params);
      const baseParams = [...params.values];
      if (plan.after) {
        const ks = keysetSql(keys, plan.after, fieldMap, params);
        where = where ? `${where} AND ${ks}` : `WHERE ${ks}`;
      }
      // A filter that pins the whole primary key matches one row at most: the first page needs no order and no
      // row ids (carrying them costs a key lookup a third of its time).
      const oneRow = !plan.after && plan.offset === 0 && plan.filter !== null && keyBucketFilter(spec, plan.filter) !== null;
      const sql = oneRow
        ? pageSql(spec, plan.fields, plan.masks, [], `${t} ${where}`, `LIMIT ${plan.limit + 1}`)
        : pageSql(spec, plan.fields, plan.masks, keys, `${t} ${where}`, `LIMIT ${plan.limit + 1} OFFSET ${plan.after ? 0 : plan.offset}`);
      const badCursor = (e: unknown): never => {
        // Cursor values come from the client; one that does not convert to its key's type is a bad cursor.
        if (plan.after && /Conversion Error|Could not convert|out of range/i.test((e as Error).message)) throw new AppError('BAD_CURSOR');
        throw e;
      };
      // A declared sort index answers a sorted page when it can; the plain plan otherwise.
      const raw =
        (oneRow ? null : await this.indexes.page(c, spec, plan, keys).catch(badCursor)) ??
        ((await c.runAndReadAll(sql, params.values as DuckDBValue[]).catch(badCursor)).getRowObjectsJson() as Record<string, unknown>[]);
      const more = raw.length > plan.limit;
      const page = more ? raw.slice(0, plan.limit) : raw;
      const rows = page.map((r) => Object.fromEntries(plan.fields.map((n) => [n, plan.masks[n] ? r[n] : outValue(fieldMap.get(n), r[n])])));
      const lastRaw = page[page.length - 1];
      const last = more && lastRaw ? keys.map((k) => keyLiteral(lastRaw[`_k_${k.field}`])) : null;
      let total: number | null = null;
      let totalExact = true;
      if (plan.total !== 'none') {
        const baseWhere = this.compileWhere(spec, plan, new Params());
        if (plan.total === 'estimate' && baseWhere) {
          const est = await c.runAndReadAll(
            `SELECT count(*) AS n, (SELECT count(*) FROM ${t}) AS all_rows FROM (SELECT * FROM ${t} USING SAMPLE 2 PERCENT (system, 42)) ${baseWhere}`, baseParams as DuckDBValue[]);
          const row = est.getRowObjects()[0];
          const allRows = num(row.all_rows);
          if (allRows < 200_000) {
            const ex = await c.runAndReadAll(`SELECT count(*) FROM ${t} ${baseWhere}`, baseParams as DuckDBValue[]);
            total = num(ex.getRows()[0][0]);
          } else {
            total = Math.round(num(row.n) * 50);
            totalExact = false;
          }
        } else {
          const ex = await c.runAndReadAll(`SELECT count(*) FROM ${t} ${baseWhere}`, baseParams as DuckDBValue[]);
          total = num(ex.getRows()[0][0]);
        }
      }
      return { rows, total, totalExact, last };
    });
  }

  async *export(spec: LakeTableSpec, plan: SelectPlan, format: ExportFormat): AsyncIterable<Uint8Array> {
    const t = tableName(spec.code);
    const keys = this.fullSort(spec, plan.sort, plan.tieBreakByRow);
    const params = new Params();
    const where = this.compileWhere(spec, plan, params);
    const fieldSpecs = plan.fields.map((n) => spec.fields.find((f) => f.name === n) as FieldSpec);
    const limit = plan.limit > 0 ? `LIMIT ${plan.limit}` : '';
    if (format === 'parquet') {
      // The engine writes the file front to back (row groups, then the footer), so its bytes are sent as they are
      // written: the first arrive after one row group, not after the whole file (minutes at 100 M rows).
      const tmp = join(this.tmpDir, `export-${randomUUID()}.parquet`);
      let conn: DuckDBConnection | null = null;
      let done = false;
      let failure: unknown = null;
      const copy = this.readers
        .use(async (c) => {
          conn = c;
          try {
            await c.run(
              `COPY (SELECT ${this.selectList(spec, plan.fields, plan.masks)} FROM ${t} ${where} ${orderClause(keys)} ${limit}) TO ${lit(tmp)} (FORMAT parquet, COMPRESSION zstd)`,
              params.values as DuckDBValue[],
            );
          } finally {
            conn = null;
          }
        })
        .then(() => undefined, (e: unknown) => void (failure = e))
        .finally(() => (done = true));
      let fh: FileHandle | null = null;
      try {
        let pos = 0;
        let buf = Buffer.allocUnsafe(CHUNK_TARGET);
        for (;;) {
          const finished = done; // read before the file: bytes written before the end are seen below
          if (failure) throw failure;
          fh ??= await open(tmp, 'r').catch(() => null);
          if (fh) {
            const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
            if (bytesRead > 0) {
              pos += bytesRead;
              yield buf.subarray(0, bytesRead);
              buf = Buffer.allocUnsafe(CHUNK_TARGET); // the reader keeps the one just sent
              continue;
            }
          }
          if (finished) break;
          await new Promise((r) => setTimeout(r, 40));
        }
      } finally {
        // A client that went away stops the write.
        if (!done) (conn as DuckDBConnection | null)?.interrupt();
        await copy;
        await fh?.close();
        await rm(tmp, { force: true });
      }
      return;
    }
    const lineExpr =
      format === 'csv'
        ? csvLineSql(fieldSpecs, plan.masks)
        : `to_json({${fieldSpecs
            .map((f) => `${lit(f.name)}: ${plan.masks[f.name] ? maskSql(ident(f.name), plan.masks[f.name]) : f.type === 'timestamp' ? `strftime(${ident(f.name)}, '%Y-%m-%dT%H:%M:%SZ')` : ident(f.name)}`)
            .join(', ')}})::VARCHAR`;
    if (format === 'csv') {
      const header = fieldSpecs.map((f) => `"${f.name.replace(/"/g, '""')}"`).join(',');
      yield Buffer.from(`\uFEFF${header}\r\n`, 'utf8');
    }
    const sep = format === 'csv' ? '\r\n' : '\n';
    // Hold one reader connection for the whole stream; DuckDB streams the result chunk by chunk.
    const conn = await this.instance.connect();
    try {
      const result = await conn.stream(`SELECT ${lineExpr} AS line FROM ${t} ${where} ${orderClause(keys)} ${limit}`, params.values as DuckDBValue[]);
      let buf: string[] = [];
      let size = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const col = chunk.getColumnVector(0);
        for (let i = 0; i < chunk.rowCount; i++) {
          const s = String(col.getItem(i));
          buf.push(s);
          size += s.length + 2;
        }
        if (size >= CHUNK_TARGET) {
          yield Buffer.from(buf.join(sep) + sep, 'utf8');
          buf = [];
          size = 0;
        }
      }
      if (buf.length) yield Buffer.from(buf.join(sep) + sep, 'utf8');
    } finally {
      conn.closeSync();
    }
  }

  async aggregate(spec: LakeTableSpec, plan: AggregatePlan): Promise<Record<string, unknown>[]> {
    const t = tableName(spec.code);
    const params = new Params();
    const where = this.compileWhere(spec, plan, params);
    const groups = plan.groupBy.map((g) => `${bucketSql(g.field, g.bucket)} AS ${ident(g.field)}`);
    const metrics = plan.metrics.map((m) => {
      const f = m.field ? ident(m.field) : '*';
      const expr = m.fn === 'count' ? (m.field ? `count(${f})` : 'count(*)') : m.fn === 'count_distinct' ? `count(DISTINCT ${f})` : `${m.fn}(${f})`;
      return `${expr} AS ${ident(m.as)}`;
    });
    const order = plan.sort.length
      ? plan.sort.map((s) => `${ident(s.key)} ${s.desc ? 'DESC' : 'ASC'} NULLS LAST`).join(', ')
      : groups.length ? plan.groupBy.map((g) => `${ident(g.field)} ASC NULLS LAST`).join(', ') : '1';
    const groupBy = groups.length ? `GROUP BY ${plan.groupBy.map((_, i) => i + 1).join(', ')}` : '';
    const sql = `SELECT ${[...groups, ...metrics].join(', ')} FROM ${t} ${where} ${groupBy} ORDER BY ${order} LIMIT ${plan.limit}`;
    return this.readers.use(async (c) => {
      const res = await c.runAndReadAll(sql, params.values as DuckDBValue[]);
      const byName = new Map(spec.fields.map((f) => [f.name, f]));
      return (res.getRowObjectsJson() as Record<string, unknown>[]).map((r) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(r)) {
          const g = plan.groupBy.find((x) => x.field === k);
          if (g) out[k] = g.bucket && v !== null ? String(v).slice(0, g.bucket === 'hour' ? 19 : 10).replace(' ', 'T') : outValue(byName.get(k), v);
          else out[k] = v === null ? null : Number(v);
        }
        return out;
      });
    });
  }

  async changes(spec: LakeTableSpec, after: ChangeCursor, limit: number, view: ChangeView): Promise<{ items: ChangeEntry[]; next: ChangeCursor; more: boolean }> {
    // Walk batch by batch until the page is full or no later batch exists.
    const items: ChangeEntry[] = [];
    let cur = after;
    for (;;) {
      const r = await this.changesInBatch(spec, cur, limit - items.length, view);
      items.push(...r.items);
      cur = r.next;
      if (!r.more || items.length >= limit || (r.items.length === 0 && r.next.phase !== 'done')) return { items, next: cur, more: r.more };
    }
  }

  private async changesInBatch(spec: LakeTableSpec, after: ChangeCursor, limit: number, view: ChangeView) {
    const t = tableName(spec.code);
    const fieldMap = new Map(spec.fields.map((f) => [f.name, f]));
    const keys = this.fullSort(spec, []);
    const names = view.fields;
    const out = (r: Record<string, unknown>, n: string) => (view.masks[n] ? r[n] : outValue(fieldMap.get(n), r[n]));
    return this.readers.use(async (c) => {
      const items: ChangeEntry[] = [];
      let cur: ChangeCursor = after;
      if (cur.phase === 'done') {
        const nb = await c.runAndReadAll('SELECT min(seq) FROM _batches WHERE dataset = ? AND seq > ?', [spec.code, cur.seq]);
        const s = nb.getRows()[0][0];
        if (s === null) return { items, next: cur, more: false };
        cur = { seq: num(s), phase: 'tomb', pos: null };
      }
      if (cur.phase === 'tomb') {
        // Key fields come from the tombstone's key; a scope is judged on the deleted row's last image (none: not shown).
        const visibleKey = spec.primaryKey.filter((k) => names.includes(k));
        const scopeFields = view.scope ? [...filterFields(view.scope)].filter((n) => !spec.primaryKey.includes(n)) : [];
        const extract = (src: string, n: string) => `TRY_CAST(json_extract_string(${src}, ${lit(`$.${n}`)}) AS ${DUCK_TYPES[(fieldMap.get(n) as FieldSpec).type]}) AS ${ident(n)}`;
        const inner = [
          'rowid AS rid', 'image IS NOT NULL AS _has_image',
          ...spec.primaryKey.map((k) => extract('key', k)), ...scopeFields.map((n) => extract('image', n)),
        ];
        const params = new Params();
        const scopeCond = view.scope ? `AND _has_image AND ${filterSql(view.scope, fieldMap, params)}` : '';
        const res = await c.runAndReadAll(
          `SELECT rid, ${visibleKey.map((k) => outputColumnSql(fieldMap.get(k) as FieldSpec, view.masks)).join(', ') || '1 AS _none'}
           FROM (SELECT ${inner.join(', ')} FROM _tombstones WHERE dataset = ${lit(spec.code)} AND seq = ${Number(cur.seq)} AND rowid > ${cur.pos === null ? -1 : Number(cur.pos[0])})
           WHERE true ${scopeCond} ORDER BY rid LIMIT ${limit + 1}`,
          params.values as DuckDBValue[],
        );
        const rows = res.getRowObjectsJson() as Record<string, unknown>[];
        for (const r of rows.slice(0, limit)) items.push({ op: 'delete', seq: cur.seq, record: Object.fromEntries(visibleKey.map((k) => [k, out(r, k)])) });
        if (rows.length > limit) return { items, next: { seq: cur.seq, phase: 'tomb' as const, pos: [num(rows[limit - 1].rid)] }, more: true };
        cur = { seq: cur.seq, phase: 'rows', pos: null };
      }
      const budget = limit - items.length;
      const params = new Params();
      const ks = cur.pos ? ` AND ${keysetSql(keys, cur.pos, fieldMap, params)}` : '';
      const scope = view.scope ? ` AND ${filterSql(view.scope, fieldMap, params)}` : '';
      const res = await c
        .runAndReadAll(
          pageSql(spec, names, view.masks, keys, `${t} WHERE _seq = ${Number(cur.seq)}${scope}${ks}`, `LIMIT ${budget + 1}`),
          params.values as DuckDBValue[],
        )
        .catch((e: unknown) => {
          if (cur.pos && /Conversion Error|Could not convert|out of range/i.test((e as Error).message)) throw new AppError('BAD_CURSOR');
          throw e;
        });
      const raw = res.getRowObjectsJson() as Record<string, unknown>[];
      const page = raw.slice(0, budget);
      for (const r of page) items.push({ op: 'upsert', seq: cur.seq, record: Object.fromEntries(names.map((n) => [n, out(r, n)])) });
      if (raw.length > budget) {
        const last = page[page.length - 1];
        const pos = last ? keys.map((k) => keyLiteral(last[`_k_${k.field}`])) : cur.pos;
        return { items, next: { seq: cur.seq, phase: 'rows' as const, pos }, more: true };
      }
      const later = await c.runAndReadAll('SELECT count(*) FROM _batches WHERE dataset = ? AND seq > ?', [spec.code, cur.seq]);
      return { items, next: { seq: cur.seq, phase: 'done' as const, pos: null }, more: num(later.getRows()[0][0]) > 0 };
    });
  }

  async quarantine(code: string, opts: { seq: number | null; limit: number; offset: number }) {
    return this.readers.use(async (c) => {
      const cond = opts.seq === null ? 'dataset = ?' : 'dataset = ? AND seq = ?';
      const params: DuckDBValue[] = opts.seq === null ? [code] : [code, opts.seq];
      const res = await c.runAndReadAll(
        `SELECT seq, row_no, field, rule, value, errors::VARCHAR AS errors, record::VARCHAR AS record FROM _quarantine WHERE ${cond}
         ORDER BY seq DESC, row_no LIMIT ${opts.limit} OFFSET ${opts.offset}`,
        params,
      );
      const total = await c.runAndReadAll(`SELECT count(*) FROM _quarantine WHERE ${cond}`, params);
      const items: QuarantineEntry[] = res.getRowObjects().map((r) => ({
        seq: num(r.seq),
        row: num(r.row_no),
        field: r.field === null ? '' : String(r.field),
        rule: String(r.rule),
        value: r.value === null ? null : String(r.value),
        errors: r.errors ? JSON.parse(String(r.errors)) : [],
        record: r.record ? JSON.parse(String(r.record)) : null,
      }));
      return { items, total: num(total.getRows()[0][0]) };
    });
  }

  async sandboxQuery(sql: string, tables: SandboxTable[], opts: { timeoutMs: number; maxRows: number; maxBytes: number }): Promise<SandboxResult> {
    return this.sandboxLock.run(async () => {
      this.sandbox ??= await this.instance.connect();
      const c = this.sandbox;
      const parsed = await c.runAndReadAll('SELECT json_serialize_sql(?::VARCHAR)', [sql]);
      const byName = new Map(tables.map((t) => [t.name.toLowerCase(), t]));
      // Every relation the engine knows (tables, views, internal catalogue views), which a WITH name may not shadow.
      const rel = await c.runAndReadAll(
        'SELECT lower(table_name) FROM duckdb_tables() UNION SELECT lower(view_name) FROM duckdb_views() UNION SELECT lower(function_name) FROM duckdb_functions() WHERE function_type = \'table\'',
      );
      const existing = new Set(rel.getRows().map((r) => String(r[0])));
      const used = checkSandboxAst(JSON.parse(String(parsed.getRows()[0][0])), new Set(byName.keys()), existing);
      // Each table the query names is a temporary view of this connection with only the published columns.
      for (const name of used) {
        const t = byName.get(name) as SandboxTable;
        const cols = t.columns.map((n) => {
          const f = t.spec.fields.find((x) => x.name === n);
          return f?.type === 'json' ? `${ident(n)}::VARCHAR AS ${ident(n)}` : ident(n);
        });
        await c.run(`CREATE OR REPLACE TEMP VIEW ${ident(t.name)} AS SELECT ${cols.join(', ')} FROM main.${tableName(t.spec.code)}`);
      }
      const timer = setTimeout(() => c.interrupt(), opts.timeoutMs);
      try {
        const result = await c.stream(sql);
        // Repeated output names (SELECT 1 AS a, 2 AS a) get the engine's suffixes, in the fields and the records alike.
        const names = result.deduplicatedColumnNames();
        const types = result.columnTypes().map((t) => t.toString());
        const toJson = types.map((t) => sandboxNumber(t));
        // Rows are taken chunk by chunk up to the row cap and the byte cap, so a query of a few huge values stops
        // at the cap instead of building a response the server cannot hold.
        const rows: Record<string, unknown>[] = [];
        let bytes = 0;
        let truncated = false;
        fetch: for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          // Row by row: a chunk of 2,048 huge values is never turned into JavaScript strings all at once.
          for (let r = 0; r < chunk.rowCount; r++) {
            const values = chunk.convertRowValues(r, JsonDuckDBValueConverter);
            const row = Object.fromEntries(names.map((n, i) => [n, toJson[i](values[i])]));
            bytes += Buffer.byteLength(JSON.stringify(row));
            if (rows.length >= opts.maxRows || bytes > opts.maxBytes) {
              truncated = true;
              break fetch;
            }
            rows.push(row);
          }
        }
        return {
          fields: names.map((n, i) => ({ id: n, type: sandboxType(types[i]) })),
          rows,
          truncated,
          datasets: [...new Set([...used].map((n) => (byName.get(n) as SandboxTable).spec.code))],
        };
      } catch (e) {
        const msg = (e as Error).message;
        if (/interrupt/i.test(msg)) throw new AppError('SQL_TIMEOUT', { seconds: opts.timeoutMs / 1000 });
        if (e instanceof AppError) throw e;
        throw new AppError('SQL_INVALID', { reason: msg.split('\n')[0].replace(/^[A-Za-z ]+Error: /, '').slice(0, 300) });
      } finally {
        clearTimeout(timer);
        for (const name of used) await c.run(`DROP VIEW IF EXISTS ${ident((byName.get(name) as SandboxTable).name)}`).catch(() => undefined);
      }
    });
  }

  async sourceColumns(path: string): Promise<string[]> {
    return this.readers.use(async (c) => {
      try {
        const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit(path)})`);
        return r.getRowObjects().map((x) => String(x.column_name));
      } catch (e) {
        throw new AppError('BAD_PARQUET', { reason: `The Parquet file could not be read: ${(e as Error).message.split('\n')[0]}` });
      }
    });
  }

  /** Pages the sort indexes answered so far, by Top-N over the sorted copy or by position in it. */
  get sortIndexPages(): { topN: number; position: number } {
    return { ...this.indexes.answered };
  }

  counters(): Record<string, number> {
    const a = this.indexes.answered;
    return { sort_index_pages_topn: a.topN, sort_index_pages_position: a.position };
  }

  async sortIndexes(spec: LakeTableSpec, opts: { wait?: boolean } = {}): Promise<SortIndexState[]> {
    return this.indexes.sync(spec, opts.wait ?? false);
  }

  async rowCount(code: string): Promise<number> {
    return this.readers.use(async (c) => {
      const r = await c.runAndReadAll(`SELECT count(*) FROM ${tableName(code)}`);
      return num(r.getRows()[0][0]);
    });
  }

  async sizeBytes(): Promise<number> {
    let n = 0;
    for (const f of [this.file, `${this.file}.wal`]) if (existsSync(f)) n += statSync(f).size;
    return n;
  }

  async dropTable(code: string): Promise<void> {
    await this.writeLock.run(async () => {
      await this.indexes.dropAll(code);
      await this.writer.run(`DROP TABLE IF EXISTS ${tableName(code)}`);
      for (const tbl of ['_batches', '_quarantine', '_tombstones']) await this.writer.run(`DELETE FROM ${tbl} WHERE dataset = ?`, [code]);
    });
  }

  async close(): Promise<void> {
    await this.indexes.close();
    await this.writeLock.run(async () => {
      await this.writer.run('CHECKPOINT').catch(() => undefined);
      this.readers.closeAll();
      this.sandbox?.closeSync();
      this.writer.closeSync();
      this.instance.closeSync();
    });
  }
}

/** ORDER BY for the keys; none for the table's own order (row id), which a plain scan already follows. */
/**
 * One page of records: the rows are found, sorted and cut in an inner query over plain columns, and only then
 * projected — masks included — in the outer one, so a keyed-hash mask is computed for the page, not for every
 * matching row. The key columns (_k_…) come out unmasked for the keyset cursor.
 */
function pageSql(spec: LakeTableSpec, fields: string[], masks: Record<string, FieldMask>, keys: SortKey[], fromWhere: string, limit: string): string {
  const byName = new Map(spec.fields.map((f) => [f.name, f]));
  const keyCols = keys.map((k) => (k.field === '_rid' ? 'rowid AS "_k__rid"' : `${ident(k.field)} AS ${ident(`_k_${k.field}`)}`));
  const inner = [...new Set(fields)].map(ident);
  const outer = fields.map((n) => outputColumnSql(byName.get(n) as FieldSpec, masks));
  const keyOut = keys.map((k) => ident(`_k_${k.field}`));
  const order = keys.map((k) => `${ident(`_k_${k.field}`)} ${k.desc ? 'DESC' : 'ASC'} NULLS LAST`).join(', ');
  const select = `SELECT ${[...outer, ...keyOut].join(', ') || '1 AS _none'}`;
  if (!keys.length) return `${select} FROM (SELECT ${inner.join(', ') || '1'} FROM ${fromWhere} ${limit})`;
  return `${select} FROM (SELECT ${[...inner, ...keyCols].join(', ')} FROM ${fromWhere} ${orderClause(keys)} ${limit}) ORDER BY ${order}`;
}

/**
 * How a sandbox result's value of an engine type goes into JSON: integers and decimals as numbers when a number
 * holds them exactly (up to 2^53, or 15 significant digits), otherwise as their exact text.
 */
function sandboxNumber(t: string): (v: unknown) => unknown {
  if (/^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|INTEGER|SMALLINT|TINYINT|UINTEGER|USMALLINT|UTINYINT)/.test(t)) {
    return (v) => (typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v);
  }
  if (/^DECIMAL/.test(t)) {
    return (v) => (typeof v === 'string' && /^-?\d*\.?\d*$/.test(v) && v.replace(/^-|\./g, '').replace(/^0+/, '').length <= 15 && Number.isFinite(Number(v)) ? Number(v) : v);
  }
  return (v) => v;
}

/** CKAN's DataStore type name for an engine column type. */
function sandboxType(t: string): string {
  if (/^(BIGINT|HUGEINT|UBIGINT|INTEGER|SMALLINT|TINYINT|UINTEGER|USMALLINT|UTINYINT)/.test(t)) return 'int8';
  if (/^(DECIMAL|DOUBLE|FLOAT)/.test(t)) return 'numeric';
  if (/^BOOLEAN/.test(t)) return 'bool';
  if (/^DATE$/.test(t)) return 'date';
  if (/^TIMESTAMP/.test(t)) return 'timestamp';
  if (/^(STRUCT|JSON|MAP|LIST)|\[\]$/.test(t)) return 'json';
  return 'text';
}

function orderClause(keys: SortKey[]): string {
  return keys.length === 1 && keys[0].field === '_rid' ? '' : `ORDER BY ${orderSql(keys)}`;
}

const KEY_BUCKETS = 65536;

/** The hash bucket of a primary key (column expressions or typed literals). */
function keyBucketSql(keyExprs: string[]): string {
  return `CAST(hash(${keyExprs.join(', ')}) % ${KEY_BUCKETS} AS USMALLINT)`;
}

/**
 * When a filter pins every primary-key field with '=' (at the top level of an and), the bucket of that key as a
 * constant condition on _kb: the engine folds it and skips every row group whose bucket range misses it.
 * Literals are inlined (escaped), because only constants reach the zone maps.
 */
function keyBucketFilter(spec: LakeTableSpec, filter: Filter): string | null {
  if (!spec.primaryKey.length) return null;
  // The conditions ANDed at the top, through nested ands (a grant's row scope wraps the client's filter in one).
  const conj: Filter[] = [];
  const flatten = (f: Filter): void => {
    if (f.op === 'and') f.args.forEach(flatten);
    else conj.push(f);
  };
  flatten(filter);
  const values: string[] = [];
  for (const k of spec.primaryKey) {
    const f = spec.fields.find((x) => x.name === k) as FieldSpec;
    const hit = conj.find((c) => c.op === 'cmp' && c.cmp === '=' && c.field === k);
    if (!hit || hit.op !== 'cmp' || hit.value === null) return null;
    const v = hit.value;
    const literal = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : null) : typeof v === 'boolean' ? String(v) : lit(String(v));
    if (literal === null) return null;
    values.push(`CAST(${literal} AS ${DUCK_TYPES[f.type]})`);
  }
  return `_kb = ${keyBucketSql(values)}`;
}

/** With XMCITY_LAKE_PROFILE=1, prints how long each ingest statement takes (for tuning); =full prints whole statements. */
function profiled(conn: DuckDBConnection): DuckDBConnection {
  if (!process.env.XMCITY_LAKE_PROFILE) return conn;
  const full = process.env.XMCITY_LAKE_PROFILE === 'full';
  const wrap = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    const t = performance.now();
    try {
      return await fn(...a);
    } finally {
      process.stderr.write(`[lake] ${(performance.now() - t).toFixed(0).padStart(6)} ms  ${String(a[0]).replace(/\s+/g, ' ').slice(0, full ? undefined : 110)}\n`);
    }
  };
  return new Proxy(conn, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if ((prop === 'run' || prop === 'runAndReadAll') && typeof v === 'function') return wrap((v as (...a: unknown[]) => Promise<unknown>).bind(target));
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Turns engine errors about the input into stable 4xx errors; anything else stays internal. */
function translateIngestError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/Invalid unicode|invalid UTF-8|Invalid Input Error: .*(CSV|encoding)/i.test(msg)) {
    return new AppError('MALFORMED_BODY', { format: 'the declared format', reason: msg.split('\n')[0] });
  }
  if (/Maximum line size|max_line_size/i.test(msg)) return new AppError('LINE_TOO_LONG', { reason: 'A record is longer than the line limit' });
  if (/No magic bytes|parquet|Invalid Input Error/i.test(msg)) {
    return new AppError('MALFORMED_BODY', { format: 'the declared format', reason: msg.split('\n')[0].slice(0, 300) });
  }
  return e;
}

