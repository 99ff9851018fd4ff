import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import type { FieldSpec } from '../modules/catalogue/types.ts';
import type { Literal } from '../modules/query/filter.ts';
import { DUCK_TYPES, Params, filterSql, ident, keysetSql, lit, orderSql, outputColumnSql, tableName, textSearchSql } from './duckdb-sql.ts';
import type { LakeTableSpec, SelectPlan, SortIndexState, SortKey } from './lake.ts';

/**
 * Sort indexes on DuckDB. DuckDB has no B-tree for ORDER BY, but it keeps min/max per row group (zone maps) and its
 * Top-N pushes the running cut-off into the scan as a filter. So a sort index is a copy of the dataset's table
 * physically sorted by the field (then the key, then the row id, kept as `_rid`): a sorted page — with any filter —
 * reads a row group or two instead of sorting every row. Measured on DuckDB 1.5 at 10 M rows: a keyset page 35 ms
 * instead of 440 ms; `rowid BETWEEN a AND b` is pushed into the scan (5 ms wherever the range lies), so an offset on
 * an unfiltered sort is a position in the copy, and a cursor's place is found in a fence (every FENCE-th row with
 * its position), leaving one row-id range to read. (`rowid IN (…)` is not pushed down — a full scan — which is why
 * the index holds the rows themselves, not row ids to fetch from the table.) A scan still visits every row group of
 * its table, so the copy is split by position into parts (`partRows`): at 100 M rows a row-id range cost 60 ms over
 * one table and a few ms in a part.
 *
 * Records written after the build (`_seq` beyond the index's watermark, skipped by the zone maps of `_seq`) are
 * merged into each page by a Top-N of their own; rows updated or deleted since are read past by key. A rebuild is
 * queued when the records written since pass a threshold or any were updated or deleted; the old copy answers
 * until the new one is swapped in, and is dropped once no page reads it.
 */

interface IndexEntry {
  dataset: string;
  field: string;
  /** The copy's name; its rows lie in `parts` tables of `partRows` rows each (`<table>_p<i>`; 0: the table itself). */
  table: string;
  parts: number;
  partRows: number;
  /** The last batch the copy holds. */
  builtSeq: number;
  rows: number;
  /** Rows whose field is NULL: the copy's last ones (NULLs sort last). */
  nullRows: number;
  columns: Set<string>;
  /** The order after the field: the other key fields, then `_rid`. */
  tie: string[];
  builtAt: string;
  buildMs: number;
  bytes: number | null;
  /** Rows written since the build (exact while changed is false). */
  appended: number;
  /** Whether a batch since the build deleted or replaced rows. */
  changed: boolean;
  users: number;
  retired: boolean;
}

/** Raw page rows: the inner query's columns and the `_k_…` key values. */
type RawRow = Record<string, unknown>;

const META = '_sort_indexes';
/** Every FENCE-th row of a copy is noted with its position in a small fence table (`<copy>_f`). */
const FENCE = 2048;
const fenceOf = (table: string) => `${table}_f`;

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

function keyLiteral(v: unknown): Literal {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

/** The sort indexes of every dataset in one DuckDB database: their registry, builds, swaps and the pages they answer. */
export class DuckDbSortIndexes {
  private entries = new Map<string, IndexEntry>();
  private building = new Map<string, Promise<void>>();
  private failed = new Map<string, string>();
  /** Indexes taken back by a later sync: a build queued before is skipped, or its copy retired when it ends. */
  private undeclared = new Set<string>();
  private buildTail: Promise<void> = Promise.resolve();
  private closed = false;
  /** The connection of the build running now, interrupted on close. */
  private current: DuckDBConnection | null = null;
  /** Pages answered by an index, and by which way (for tests and metrics). */
  readonly answered = { topN: 0, position: 0 };

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly opts: { autoRebuild: boolean; minRebuildRows: number; rebuildShare: number; partRows: number },
  ) {}

  /** Creates the registry table and loads it (dropping copies a crash left unregistered). */
  async load(c: DuckDBConnection): Promise<void> {
    await c.run(`CREATE TABLE IF NOT EXISTS ${META} (dataset VARCHAR NOT NULL, field VARCHAR NOT NULL, tbl VARCHAR NOT NULL, built_seq BIGINT NOT NULL,
      "rows" BIGINT NOT NULL, null_rows BIGINT NOT NULL, columns JSON NOT NULL, tie JSON NOT NULL, built_at VARCHAR NOT NULL, build_ms BIGINT NOT NULL, bytes BIGINT, PRIMARY KEY (dataset, field));
      ALTER TABLE ${META} ADD COLUMN IF NOT EXISTS parts BIGINT DEFAULT 0; ALTER TABLE ${META} ADD COLUMN IF NOT EXISTS part_rows BIGINT DEFAULT 0`);
    const rows = (await c.runAndReadAll(`SELECT dataset, field, tbl, built_seq, "rows", null_rows, columns::VARCHAR AS columns, tie::VARCHAR AS tie, built_at, build_ms, bytes, parts, part_rows FROM ${META}`)).getRowObjects();
    for (const r of rows) {
      const e: IndexEntry = {
        dataset: String(r.dataset), field: String(r.field), table: String(r.tbl), parts: num(r.parts), partRows: num(r.part_rows), builtSeq: num(r.built_seq), rows: num(r.rows), nullRows: num(r.null_rows),
        columns: new Set(JSON.parse(String(r.columns)) as string[]), tie: JSON.parse(String(r.tie)) as string[], builtAt: String(r.built_at),
        buildMs: num(r.build_ms), bytes: r.bytes === null ? null : num(r.bytes), appended: 0, changed: false, users: 0, retired: false,
      };
      const since = (await c.runAndReadAll(
        `SELECT coalesce(sum(valid) FILTER (WHERE mode <> 'delete'), 0) AS appended, coalesce(sum(deleted), 0) AS deleted FROM _batches WHERE dataset = ? AND seq > ?`,
        [e.dataset, e.builtSeq],
      )).getRowObjects()[0];
      e.appended = num(since.appended);
      e.changed = num(since.deleted) > 0;
      this.entries.set(key(e.dataset, e.field), e);
    }
    const known = new Set([...this.entries.values()].flatMap((e) => [...partTables(e), fenceOf(e.table)]));
    const tables = new Set((await c.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND starts_with(table_name, '_si_')")).getRows().map((r) => String(r[0])));
    for (const t of tables) if (!known.has(t)) await c.run(`DROP TABLE IF EXISTS ${ident(t)}`);
    // A copy made before fences existed gets its fence now (a read of its key columns).
    for (const e of this.entries.values()) if (e.parts === 0 && !tables.has(fenceOf(e.table))) await this.makeFence(c, e.table, e.table, e.field, e.tie);
  }

  /** Reconciles the declared indexes of a dataset with the built ones; see Lake.sortIndexes. */
  async sync(spec: LakeTableSpec, wait: boolean): Promise<SortIndexState[]> {
    const declared = spec.fields.filter((f) => f.sortIndex).map((f) => f.name);
    for (const e of [...this.entries.values()]) {
      if (e.dataset === spec.code && !declared.includes(e.field)) await this.retire(e, true);
    }
    for (const k of this.building.keys()) if (k.startsWith(key(spec.code, '')) && !declared.includes(k.slice(key(spec.code, '').length))) this.undeclared.add(k);
    for (const f of declared) {
      const k = key(spec.code, f);
      this.failed.delete(k);
      this.undeclared.delete(k);
      const e = this.entries.get(k);
      // A copy made before copies were split into parts is rebuilt too.
      if (!e || this.stale(e) || !this.covers(e, spec) || e.parts === 0) this.schedule(spec, f);
    }
    if (wait) await Promise.all(declared.map((f) => this.building.get(key(spec.code, f))).filter(Boolean));
    return declared.map((f) => this.state(spec.code, f));
  }

  private state(code: string, field: string): SortIndexState {
    const k = key(code, field);
    const e = this.entries.get(k);
    const err = this.failed.get(k) ?? null;
    const status = err ? 'failed' : this.building.has(k) ? (e ? 'rebuilding' : 'building') : e ? 'ready' : 'building';
    return {
      field, status, rows: e?.rows ?? null, pendingRows: e ? e.appended : null, changedSince: e?.changed ?? false, bytes: e?.bytes ?? null,
      builtAt: e?.builtAt ?? null, buildMs: e?.buildMs ?? null, error: err,
    };
  }

  /** Whether the index should be rebuilt: many rows merged at read time, or rows read past since updates or deletions. */
  private stale(e: IndexEntry): boolean {
    return e.changed || e.appended > Math.max(this.opts.minRebuildRows, Math.floor(e.rows * this.opts.rebuildShare));
  }

  /** Whether the copy holds every column of the dataset's table (a field added later needs a rebuild). */
  private covers(e: IndexEntry, spec: LakeTableSpec): boolean {
    return spec.fields.every((f) => e.columns.has(f.name));
  }

  /** Queues a build (one at a time in the database); a build already queued for the index is not repeated. */
  private schedule(spec: LakeTableSpec, field: string): void {
    const k = key(spec.code, field);
    if (this.building.has(k) || this.closed) return;
    const run = this.buildTail.then(async () => {
      try {
        if (!this.closed && !this.undeclared.has(k)) await this.build(spec, field);
        const e = this.entries.get(k);
        if (e && this.undeclared.has(k)) await this.retire(e, true);
        this.undeclared.delete(k);
      } catch (e) {
        this.failed.set(k, (e as Error).message.split('\n')[0].slice(0, 300));
      } finally {
        this.building.delete(k);
      }
    });
    this.buildTail = run;
    this.building.set(k, run);
  }

  /** Notes a committed batch: rows to merge at read time, or rows to read past; queues a rebuild when due. */
  afterIngest(spec: LakeTableSpec, r: { mode: string; valid: number; deleted: number }): void {
    for (const e of this.entries.values()) {
      if (e.dataset !== spec.code || e.retired) continue;
      if (r.mode !== 'delete') e.appended += r.valid;
      if (r.deleted > 0) e.changed = true;
      if (this.opts.autoRebuild && this.stale(e)) this.schedule(spec, e.field);
    }
  }

  /**
   * Builds the sorted copy on its own connection: the sort in one transaction, so it sees one snapshot — every batch
   * up to the watermark it records and none after — then split by position into parts (a scan reads a row-id range
   * of a part alone; over one 100 M-row table, skipping ~800 row groups cost 60 ms a page), with the fence, and
   * registered. Ingest goes on meanwhile; readers keep the old copy until the swap.
   */
  private async build(spec: LakeTableSpec, field: string): Promise<void> {
    const t0 = performance.now();
    const main = tableName(spec.code);
    const c = await this.instance.connect();
    this.current = c;
    const table = `_si_${spec.code.toLowerCase().replace(/[^a-z0-9]/g, '_')}_${field}_${Date.now().toString(36)}`;
    const full = `${table}_full`;
    const P = this.opts.partRows;
    let began = false;
    let parts = 0;
    try {
      await c.run('BEGIN TRANSACTION');
      began = true;
      const seq = num((await c.runAndReadAll('SELECT coalesce(max(seq), 0) FROM _batches WHERE dataset = ?', [spec.code])).getRows()[0][0]);
      const cols = (await c.runAndReadAll(
        `SELECT column_name FROM duckdb_columns() WHERE table_name = ${lit(main.slice(1, -1))} AND schema_name = 'main' AND column_name <> '_kb' ORDER BY column_index`,
      )).getRows().map((r) => String(r[0]));
      if (!cols.includes(field)) throw new Error(`no column ${field} in ${main}`);
      const tie = [...spec.primaryKey.filter((k) => k !== field), '_rid'];
      const order = [`${ident(field)} ASC NULLS LAST`, ...tie.map((k) => (k === '_rid' ? 'rowid' : ident(k)))].join(', ');
      await c.run(`CREATE TABLE ${ident(full)} AS SELECT ${cols.map(ident).join(', ')}, rowid AS _rid FROM ${main} ORDER BY ${order}`);
      const counts = (await c.runAndReadAll(`SELECT count(*), count(*) FILTER (WHERE ${ident(field)} IS NULL) FROM ${ident(full)}`)).getRows()[0];
      const [rows, nullRows] = [num(counts[0]), num(counts[1])];
      await c.run('COMMIT');
      began = false;
      // Rows a transaction writes have transaction-local row ids until it commits: parts and fence are cut after.
      parts = Math.max(1, Math.ceil(rows / P));
      for (let i = 0; i < parts; i++) {
        await c.run(`CREATE TABLE ${ident(`${table}_p${i}`)} AS SELECT * FROM ${ident(full)} WHERE rowid >= ${i * P} AND rowid < ${(i + 1) * P}`);
      }
      await this.makeFence(c, full, table, field, tie);
      await c.run(`DROP TABLE ${ident(full)}`);
      const builtAt = new Date().toISOString();
      const buildMs = Math.round(performance.now() - t0);
      await c.run(`INSERT OR REPLACE INTO ${META} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`, [
        spec.code, field, table, seq, rows, nullRows, JSON.stringify(cols), JSON.stringify(tie), builtAt, buildMs, parts, P,
      ]);
      // Rows committed while the copy was being made belong to batches after the watermark: merged at read time.
      const since = (await c.runAndReadAll(
        `SELECT coalesce(sum(valid) FILTER (WHERE mode <> 'delete'), 0) AS appended, coalesce(sum(deleted), 0) AS deleted FROM _batches WHERE dataset = ? AND seq > ?`,
        [spec.code, seq],
      )).getRowObjects()[0];
      const entry: IndexEntry = {
        dataset: spec.code, field, table, parts, partRows: P, builtSeq: seq, rows, nullRows, columns: new Set(cols), tie, builtAt, buildMs, bytes: null,
        appended: num(since.appended), changed: num(since.deleted) > 0, users: 0, retired: false,
      };
      const old = this.entries.get(key(spec.code, field));
      this.entries.set(key(spec.code, field), entry);
      if (old) await this.retire(old, false);
      entry.bytes = await this.sizeOf(c, [...partTables(entry), fenceOf(table)]);
      if (entry.bytes !== null) await c.run(`UPDATE ${META} SET bytes = ? WHERE dataset = ? AND field = ?`, [entry.bytes, spec.code, field]);
    } catch (e) {
      if (began) await c.run('ROLLBACK').catch(() => undefined);
      const left = [full, fenceOf(table), ...Array.from({ length: parts }, (_, i) => `${table}_p${i}`)];
      for (const t of left) await c.run(`DROP TABLE IF EXISTS ${ident(t)}`).catch(() => undefined);
      throw e;
    } finally {
      this.current = null;
      c.closeSync();
    }
  }

  /** Notes every FENCE-th row of a sorted table with its position (its row id), for finding a cursor's place in the copy. */
  private async makeFence(c: DuckDBConnection, from: string, table: string, field: string, tie: string[]): Promise<void> {
    const cols = [field, ...tie].map(ident).join(', ');
    await c.run(`CREATE TABLE ${ident(fenceOf(table))} AS SELECT rowid AS _pos, ${cols} FROM ${ident(from)} WHERE rowid % ${FENCE} = 0 ORDER BY rowid`);
  }

  /** Bytes of the blocks a table occupies once checkpointed (null when the engine cannot tell yet). */
  private async sizeOf(c: DuckDBConnection, tables: string[]): Promise<number | null> {
    try {
      await c.run('CHECKPOINT');
      let n = 0;
      for (const t of tables) {
        const r = await c.runAndReadAll(
          `SELECT count(DISTINCT block_id) * (SELECT any_value(block_size) FROM pragma_database_size()) FROM pragma_storage_info(${lit(t)}) WHERE persistent AND block_id >= 0`,
        );
        n += num(r.getRows()[0][0]);
      }
      return n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  /** Takes an index out of use; its copy is dropped (with its registry row, unless replaced) once no page reads it. */
  private async retire(e: IndexEntry, unregister: boolean): Promise<void> {
    e.retired = true;
    if (this.entries.get(key(e.dataset, e.field)) === e) this.entries.delete(key(e.dataset, e.field));
    if (unregister) {
      await this.withConnection((c) => c.run(`DELETE FROM ${META} WHERE dataset = ? AND field = ? AND tbl = ?`, [e.dataset, e.field, e.table]));
    }
    if (e.users === 0) await this.dropCopy(e);
  }

  private async dropCopy(e: IndexEntry): Promise<void> {
    const drops = [fenceOf(e.table), ...partTables(e)].map((t) => `DROP TABLE IF EXISTS ${ident(t)}`).join('; ');
    await this.withConnection((c) => c.run(drops)).catch(() => undefined);
  }

  private async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = await this.instance.connect();
    try {
      return await fn(c);
    } finally {
      c.closeSync();
    }
  }

  /** Drops every index of a dataset (with the dataset). */
  async dropAll(code: string): Promise<void> {
    for (const e of [...this.entries.values()]) if (e.dataset === code) await this.retire(e, true);
  }

  /**
   * Stops queuing builds and interrupts the one running (it rolls back; the next process that opens the lake finds
   * the index stale and rebuilds it when a sorted page or a batch asks), so closing never waits for a long build.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.current?.interrupt();
    await this.buildTail.catch(() => undefined);
  }

  /**
   * One page of a sorted select answered by a sort index, as raw rows (at most limit + 1, masks applied after the
   * cut, `_k_…` key columns for the cursor), or null when no ready index can answer it — then the caller takes the
   * plain plan. `keys` are the full sort keys with their tie-breaker, as the plain plan orders.
   */
  async page(c: DuckDBConnection, spec: LakeTableSpec, plan: SelectPlan, keys: SortKey[]): Promise<RawRow[] | null> {
    if (!plan.sort.length) return null;
    const field = plan.sort[0].field;
    const declared = spec.fields.find((f) => f.name === field)?.sortIndex;
    if (!declared) return null;
    const k = key(spec.code, field);
    const e = this.entries.get(k);
    if (!e) {
      if (!this.failed.has(k)) this.schedule(spec, field);
      return null;
    }
    if (!this.covers(e, spec)) {
      if (!this.failed.has(k)) this.schedule(spec, field);
      return null;
    }
    // Rows replaced or deleted since the build are read past by key; without a key there is no telling them apart.
    if (e.changed && !spec.primaryKey.length) return null;
    if (this.opts.autoRebuild && this.stale(e)) this.schedule(spec, field);
    e.users++;
    try {
      const positional = !plan.filter && !plan.q && !e.changed && this.followsCopy(e, keys);
      const rows = !positional
        ? await this.topNPage(c, spec, plan, keys, e)
        : plan.after
          ? await this.fencedPage(c, spec, plan, keys, e, plan.after)
          : await this.positionPage(c, spec, plan, keys, e);
      this.answered[positional ? 'position' : 'topN']++;
      return rows;
    } finally {
      e.users--;
      if (e.retired && e.users === 0) await this.dropCopy(e);
    }
  }

  /** Whether the requested order is the copy's physical order, so an offset is a position in it. */
  private followsCopy(e: IndexEntry, keys: SortKey[]): boolean {
    if (keys[0].field !== e.field || keys.some((k) => k.desc)) return false;
    const rest = keys.slice(1).map((k) => k.field);
    return rest.every((f, i) => e.tie[i] === f);
  }

  /** The columns of a page's inner query: the selected fields and the keys (the row id under `ridCol`). */
  private innerColumns(plan: SelectPlan, keys: SortKey[], ridCol: string): string {
    const cols = [...new Set(plan.fields)].map(ident);
    for (const k of keys) cols.push(k.field === '_rid' ? `${ridCol} AS "_k__rid"` : `${ident(k.field)} AS ${ident(`_k_${k.field}`)}`);
    return cols.join(', ');
  }

  /** The outer query: masks and output forms over rows already cut to the page, in key order. */
  private outer(spec: LakeTableSpec, plan: SelectPlan, keys: SortKey[], inner: string): string {
    const byName = new Map(spec.fields.map((f) => [f.name, f]));
    const out = plan.fields.map((n) => outputColumnSql(byName.get(n) as FieldSpec, plan.masks));
    const keyOut = keys.map((k) => ident(`_k_${k.field}`));
    const order = keys.map((k) => `${ident(`_k_${k.field}`)} ${k.desc ? 'DESC' : 'ASC'} NULLS LAST`).join(', ');
    return `SELECT ${[...out, ...keyOut].join(', ')} FROM (${inner}) ORDER BY ${order}`;
  }

  private keyOrder(keys: SortKey[]): string {
    return keys.map((k) => `${ident(`_k_${k.field}`)} ${k.desc ? 'DESC' : 'ASC'} NULLS LAST`).join(', ');
  }

  /**
   * A page by Top-N over the copy (whose zone maps let the engine stop after a row group or two) and over the rows
   * written since the build, merged; with a filter, a text search, a keyset cursor or an offset.
   */
  private async topNPage(c: DuckDBConnection, spec: LakeTableSpec, plan: SelectPlan, keys: SortKey[], e: IndexEntry): Promise<RawRow[]> {
    const fields = new Map(spec.fields.map((f) => [f.name, f]));
    const params = new Params();
    const main = tableName(spec.code);
    const depth = plan.offset + plan.limit + 1;
    const conds = (ridCol: string): string[] => {
      const out: string[] = [];
      if (plan.filter) out.push(filterSql(plan.filter, fields, params));
      if (plan.q) out.push(textSearchSql(plan.q, plan.textFields, params));
      if (plan.after) out.push(keysetSql(keys, plan.after, fields, params, ridCol));
      return out;
    };
    const idxConds = conds('_rid');
    if (e.changed) idxConds.push(this.readPast(spec, e));
    const cols = this.innerColumns(plan, keys, '_rid');
    const topN = (select: string) => `${select} ORDER BY ${orderSql(keys, '_rid')} LIMIT ${depth}`;
    // One Top-N per part (its zone maps prune it as a whole when its range misses the cut-off).
    const copyBranch = (extra: string[]) => {
      const all = [...idxConds, ...extra];
      return partTables(e).map((t) => topN(`SELECT ${cols} FROM ${ident(t)}${all.length ? ` WHERE ${all.join(' AND ')}` : ''}`));
    };
    // After a cursor the keyset condition reads "beyond the value, or NULL" (NULLs sort last), and an OR hides the
    // range from the zone maps (3× slower measured). So the copy is read in two parts: the non-NULL values from the
    // cursor's value on (a plain range, which the zone maps prune), and the NULLs, found by position: the copy's
    // last rows (a scan for IS NULL is not pruned — it read the whole column).
    const first = keys[0];
    const v = plan.after?.[0];
    const branches =
      plan.after && v !== null && v !== undefined
        ? [
            ...copyBranch([`${ident(first.field)} ${first.desc ? '<=' : '>='} ${castTo(fields.get(first.field) as FieldSpec, params.add(v))}`]),
            ...copyRange(e, e.rows - e.nullRows, e.rows, cols, [...idxConds, `${ident(first.field)} IS NULL`]).map(topN),
          ]
        : copyBranch([]);
    if (e.appended > 0 || e.changed) {
      const deltaConds = [`_seq > ${e.builtSeq}`, ...conds('rowid')];
      branches.push(`SELECT ${this.innerColumns(plan, keys, 'rowid')} FROM ${main} WHERE ${deltaConds.join(' AND ')} ORDER BY ${orderSql(keys)} LIMIT ${depth}`);
    }
    const inner = `SELECT * FROM (${branches.map((b) => `SELECT * FROM (${b})`).join(' UNION ALL ')}) ORDER BY ${this.keyOrder(keys)} LIMIT ${plan.limit + 1} OFFSET ${plan.offset}`;
    return (await c.runAndReadAll(this.outer(spec, plan, keys, inner), params.values as DuckDBValue[])).getRowObjectsJson() as RawRow[];
  }

  /** The copy's rows replaced or deleted since the build, by key: those written since, and the deletions' tombstones. */
  private readPast(spec: LakeTableSpec, e: IndexEntry): string {
    const pk = spec.primaryKey;
    const tuple = (cols: string[]) => (cols.length === 1 ? cols[0] : `(${cols.join(', ')})`);
    const fromJson = pk.map((k) => `TRY_CAST(json_extract_string(key, ${lit(`$.${k}`)}) AS ${DUCK_TYPES[(spec.fields.find((f) => f.name === k) as FieldSpec).type]})`);
    return `${tuple(pk.map(ident))} NOT IN (SELECT ${tuple(pk.map(ident))} FROM ${tableName(spec.code)} WHERE _seq > ${e.builtSeq}
      UNION ALL SELECT ${tuple(fromJson)} FROM _tombstones WHERE dataset = ${lit(spec.code)} AND seq > ${e.builtSeq})`;
  }

  /**
   * A page after a cursor in the copy's own order, found through the fence: the last fence row at or before the
   * cursor gives a position, and the page lies within FENCE + limit rows from there — a row-id range, which the scan
   * reads alone. Rows written since the build are merged in by their own Top-N.
   */
  private async fencedPage(c: DuckDBConnection, spec: LakeTableSpec, plan: SelectPlan, keys: SortKey[], e: IndexEntry, after: Literal[]): Promise<RawRow[]> {
    const fields = new Map(spec.fields.map((f) => [f.name, f]));
    const fp = new Params();
    const found = await c.runAndReadAll(
      `SELECT coalesce(max(_pos), 0) FROM ${ident(fenceOf(e.table))} WHERE NOT coalesce(${keysetSql(keys, after, fields, fp, '_rid')}, false)`,
      fp.values as DuckDBValue[],
    );
    const pos = num(found.getRows()[0][0]);
    const params = new Params();
    const n = plan.limit + 1;
    const ks = keysetSql(keys, after, fields, params, '_rid');
    const branches = copyRange(e, pos, pos + FENCE + n, this.innerColumns(plan, keys, '_rid'), [ks]).map((b) => `${b} ORDER BY ${orderSql(keys, '_rid')} LIMIT ${n}`);
    if (e.appended > 0) {
      branches.push(`SELECT ${this.innerColumns(plan, keys, 'rowid')} FROM ${tableName(spec.code)} WHERE _seq > ${e.builtSeq} AND ${keysetSql(keys, after, fields, params)} ORDER BY ${orderSql(keys)} LIMIT ${n}`);
    }
    if (!branches.length) return [];
    const inner = `SELECT * FROM (${branches.map((b) => `SELECT * FROM (${b})`).join(' UNION ALL ')}) ORDER BY ${this.keyOrder(keys)} LIMIT ${n}`;
    return (await c.runAndReadAll(this.outer(spec, plan, keys, inner), params.values as DuckDBValue[])).getRowObjectsJson() as RawRow[];
  }

  /**
   * A page at an offset in the copy's own order, found by position: the copy's row ids are its sorted positions.
   * With rows written since the build (d of them), the page's copy rows lie at positions from offset − d; the
   * written rows that sort before the copy row at that position shift the page, and are counted.
   */
  private async positionPage(c: DuckDBConnection, spec: LakeTableSpec, plan: SelectPlan, keys: SortKey[], e: IndexEntry): Promise<RawRow[]> {
    const fields = new Map(spec.fields.map((f) => [f.name, f]));
    const main = tableName(spec.code);
    const end = plan.offset + plan.limit + 1;
    const d = e.appended;
    const copyRows = (from: number) => copyRange(e, from, end, this.innerColumns(plan, keys, '_rid')).map((b) => `SELECT * FROM (${b})`);
    if (d === 0) {
      const rows = copyRows(plan.offset);
      if (!rows.length) return [];
      return (await c.runAndReadAll(this.outer(spec, plan, keys, rows.join(' UNION ALL ')))).getRowObjectsJson() as RawRow[];
    }
    const s = Math.max(0, plan.offset - d);
    if (s >= e.rows) return [];
    const params = new Params();
    let base = 0;
    let after = '';
    if (s > 0) {
      const keyCols = keys.map((k) => (k.field === '_rid' ? '_rid AS "_k__rid"' : `${ident(k.field)} AS ${ident(`_k_${k.field}`)}`)).join(', ');
      const kb = (await c.runAndReadAll(copyRange(e, s, s + 1, keyCols)[0])).getRowObjectsJson()[0] as RawRow | undefined;
      if (!kb) return [];
      const bound = keys.map((k) => keyLiteral(kb[`_k_${k.field}`]));
      const countParams = new Params();
      const before = await c.runAndReadAll(
        `SELECT count(*) FROM ${main} WHERE _seq > ${e.builtSeq} AND NOT coalesce(${keysetSql(keys, bound, fields, countParams)}, false)`,
        countParams.values as DuckDBValue[],
      );
      base = s + num(before.getRows()[0][0]);
      after = ` AND ${keysetSql(keys, bound, fields, params)}`;
    }
    const delta = `SELECT ${this.innerColumns(plan, keys, 'rowid')} FROM ${main} WHERE _seq > ${e.builtSeq}${after}`;
    const inner = `SELECT * FROM (${[...copyRows(s), `SELECT * FROM (${delta})`].join(' UNION ALL ')}) ORDER BY ${this.keyOrder(keys)} LIMIT ${plan.limit + 1} OFFSET ${plan.offset - base}`;
    return (await c.runAndReadAll(this.outer(spec, plan, keys, inner), params.values as DuckDBValue[])).getRowObjectsJson() as RawRow[];
  }
}

/** The tables holding a copy's rows, in order. */
function partTables(e: { table: string; parts: number }): string[] {
  return e.parts === 0 ? [e.table] : Array.from({ length: e.parts }, (_, i) => `${e.table}_p${i}`);
}

/**
 * SELECTs reading the copy's rows at positions [from, to) — one per part the range touches, each a row-id range of
 * its part — with more conditions ANDed in. `cols` is the select list.
 */
function copyRange(e: { table: string; parts: number; partRows: number; rows: number }, from: number, to: number, cols: string, conds: string[] = []): string[] {
  const size = e.parts === 0 ? Math.max(e.rows, 1) : e.partRows;
  const tables = partTables(e);
  const out: string[] = [];
  const lo = Math.max(0, from);
  const hi = Math.min(to, e.rows);
  for (let i = Math.floor(lo / size); i < tables.length && i * size < hi; i++) {
    const a = Math.max(lo - i * size, 0);
    const b = Math.min(hi - i * size, size);
    out.push(`SELECT ${cols} FROM ${ident(tables[i])} WHERE rowid >= ${a} AND rowid < ${b}${conds.map((x) => ` AND ${x}`).join('')}`);
  }
  return out;
}

/** A bound value cast to a field's column type. */
function castTo(f: FieldSpec, p: string): string {
  return f.type === 'string' ? p : `CAST(${p} AS ${DUCK_TYPES[f.type]})`;
}

function key(code: string, field: string): string {
  return `${code}\u0000${field}`;
}
