import type { FieldSpec } from '../modules/catalogue/types.ts';
import type { Filter, Literal } from '../modules/query/filter.ts';

/** A dataset as the Lake sees it: a code and a typed schema. */
export interface LakeTableSpec {
  code: string;
  fields: FieldSpec[];
  primaryKey: string[];
}

/** A spooled file the Lake reads with its own parallel readers. */
export interface LakeSource {
  path: string;
  format: 'csv' | 'ndjson' | 'parquet';
  /** For csv: the field each column holds, in file order. For parquet: file column → field. */
  columns: { source: string; field: string }[] | null;
}

/** One atomic batch: every valid row becomes visible together with the quarantine of the invalid ones, or nothing does. */
export interface LakeIngest {
  table: LakeTableSpec;
  source: LakeSource;
  mode: 'append' | 'upsert' | 'delete';
  seq: number;
  batchId: string;
  idempotencyKey: string | null;
  at: Date;
  maxLineBytes: number;
  /** Called now and then while the engine validates and writes, with the share done (0–1). */
  onProgress?: (fraction: number) => void;
}

/** A batch as the Lake recorded it, atomically with its rows. */
export interface LakeBatch {
  seq: number;
  batchId: string;
  mode: string;
  idempotencyKey: string | null;
  at: Date;
  accepted: number;
  valid: number;
  invalid: number;
}

/** What a batch did. */
export interface LakeIngestResult {
  accepted: number;
  valid: number;
  invalid: number;
  deleted: number;
  rowCount: number;
}

/** A sort key. */
export interface SortKey {
  field: string;
  desc: boolean;
}

/**
 * How a field's clear value is hidden from a consumer (脱敏): a partial mask keeps the first and last characters
 * (350203********1234, 138****5678, 张*); a keyed hash (HMAC-SHA-256, hex) gives a stable pseudonym to join on.
 */
export type FieldMask = { kind: 'partial'; keepStart: number; keepEnd: number } | { kind: 'hash'; key: string };

/** A records query, already checked against the schema. */
export interface SelectPlan {
  fields: string[];
  /** Masks applied to selected fields, by field name; a masked field comes out as text. */
  masks: Record<string, FieldMask>;
  filter: Filter | null;
  q: string | null;
  textFields: string[];
  sort: SortKey[];
  limit: number;
  offset: number;
  after: Literal[] | null;
  total: 'exact' | 'estimate' | 'none';
  /** Break sort ties by the physical row instead of the key (when the reader may not see the key in clear). */
  tieBreakByRow?: boolean;
}

/** One page of records with the keyset values of its last row. */
export interface SelectResult {
  rows: Record<string, unknown>[];
  total: number | null;
  totalExact: boolean;
  /** Values of the sort keys (then the tie-breaker) of the last row, or null at the end. */
  last: Literal[] | null;
}

/** A time bucket for grouping on date and timestamp fields. */
export type Bucket = 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';
/** An aggregate function. */
export type MetricFn = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'count_distinct';

/** A group-by query. */
export interface AggregatePlan {
  groupBy: { field: string; bucket: Bucket | null }[];
  metrics: { fn: MetricFn; field: string | null; as: string }[];
  filter: Filter | null;
  q: string | null;
  textFields: string[];
  sort: { key: string; desc: boolean }[];
  limit: number;
}

/** An export format the Lake streams. */
export type ExportFormat = 'ndjson' | 'csv' | 'parquet';

/** Where a change-feed reader stands: inside batch `seq` (its deletions, then its records), or past it ('done'). */
export interface ChangeCursor {
  seq: number;
  phase: 'tomb' | 'rows' | 'done';
  pos: Literal[] | null;
}

/** What of a dataset a reader may see in the change feed: fields (masked as given) and rows within a scope. */
export interface ChangeView {
  fields: string[];
  masks: Record<string, FieldMask>;
  scope: Filter | null;
}

/** One entry of the change feed. */
export interface ChangeEntry {
  op: 'upsert' | 'delete';
  seq: number;
  record: Record<string, unknown>;
}

/** A quarantined (invalid) row. */
export interface QuarantineEntry {
  seq: number;
  row: number;
  field: string;
  rule: string;
  value: string | null;
  errors: { field: string; rule: string; value: string | null }[];
  record: Record<string, unknown> | null;
}

/**
 * A sort index (排序索引) of a dataset as the engine holds it: `building` before its first build has finished (sorted
 * pages take the plain plan meanwhile), `ready` when it answers, `rebuilding` while it answers and a fresh one is
 * being built to replace it, `failed` with the reason.
 */
export interface SortIndexState {
  field: string;
  status: 'building' | 'ready' | 'rebuilding' | 'failed';
  /** Records the index holds; records written after its build are merged in at read time (`pendingRows`). */
  rows: number | null;
  pendingRows: number | null;
  /** Whether updates or deletions happened since the build (rows then read past the index's stale copies). */
  changedSince: boolean;
  bytes: number | null;
  builtAt: string | null;
  buildMs: number | null;
  error: string | null;
}

/** A table an untrusted query may read: the name it uses, the dataset behind it, and the columns it shows. */
export interface SandboxTable {
  name: string;
  spec: LakeTableSpec;
  columns: string[];
}

/** What a sandboxed query returned. */
export interface SandboxResult {
  fields: { id: string; type: string }[];
  rows: Record<string, unknown>[];
  truncated: boolean;
  /** The datasets (codes) the query read. */
  datasets: string[];
}

/**
 * The Lake port: where dataset records live. Small on purpose, so another engine (ClickHouse) can
 * implement it without the modules changing. Filters arrive parsed; each engine compiles its own SQL.
 */
export interface Lake {
  /** Creates the dataset's table, or adds the columns of new fields (no rewrite of stored rows). */
  ensureTable(spec: LakeTableSpec): Promise<void>;
  /** Validates and applies one batch atomically. */
  ingest(req: LakeIngest): Promise<LakeIngestResult>;
  /** Returns the batch sequence numbers already committed for a dataset after `sinceSeq`, with their counts. */
  committedBatches(code: string, sinceSeq: number): Promise<LakeBatch[]>;
  /** Column names of a Parquet file. */
  sourceColumns(path: string): Promise<string[]>;
  /** One page of records. */
  select(spec: LakeTableSpec, plan: SelectPlan): Promise<SelectResult>;
  /** Streams every matching record in a file format, chunk by chunk. */
  export(spec: LakeTableSpec, plan: SelectPlan, format: ExportFormat): AsyncIterable<Uint8Array>;
  /** Group-by aggregates. */
  aggregate(spec: LakeTableSpec, plan: AggregatePlan): Promise<Record<string, unknown>[]>;
  /**
   * Changes after a cursor, batch by batch: each batch's deleted keys, then the records it wrote that still stand;
   * only rows within the view's scope (deleted rows judged by their last image), with its fields and masks.
   */
  changes(spec: LakeTableSpec, after: ChangeCursor, limit: number, view: ChangeView): Promise<{ items: ChangeEntry[]; next: ChangeCursor; more: boolean }>;
  /** Quarantined rows of a dataset, optionally of one batch. */
  quarantine(code: string, opts: { seq: number | null; limit: number; offset: number }): Promise<{ items: QuarantineEntry[]; total: number }>;
  /**
   * Runs one read-only SELECT from an untrusted caller, reading only the given tables (each under its name, with
   * only its columns), within a time limit, a row cap and a cap on the bytes of the rows (as JSON); anything else is
   * refused (SQL_REFUSED / SQL_INVALID / SQL_TIMEOUT). Each engine checks the query with its own parser first.
   */
  sandboxQuery(sql: string, tables: SandboxTable[], opts: { timeoutMs: number; maxRows: number; maxBytes: number }): Promise<SandboxResult>;
  /**
   * Brings a dataset's sort indexes in line with the fields that declare one (`sortIndex`): builds missing or stale
   * ones in the background, drops undeclared ones, and reports their state; with `wait`, returns once the builds
   * have finished. Sorted pages use a ready index by themselves (DuckDB: a sorted copy whose zone maps answer a
   * page from a row group or two; ClickHouse: a projection ordered by the field).
   */
  sortIndexes(spec: LakeTableSpec, opts?: { wait?: boolean }): Promise<SortIndexState[]>;
  /** Current number of records in a dataset. */
  rowCount(code: string): Promise<number>;
  /** The engine's running counters for /metrics (e.g. pages answered by sort indexes), by name. */
  counters(): Record<string, number>;
  /** Bytes the Lake occupies on disk. */
  sizeBytes(): Promise<number>;
  /** Removes a dataset's records, quarantine and history. */
  dropTable(code: string): Promise<void>;
  /** Checks that the engine answers. */
  ping(): Promise<void>;
  /** Flushes and closes. */
  close(): Promise<void>;
}
