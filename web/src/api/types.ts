// Types mirroring docs/API.md (base /api/v1). Keep in sync with the server contract.

export type OrgKind = 'department' | 'district';
export type SystemStatus = 'connected' | 'pending' | 'stale';
export type Cycle = 'realtime' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';
export type ShareType = 'unconditional' | 'conditional' | 'none';
export type OpenType = 'open' | 'conditional' | 'closed';
export type FieldType = 'string' | 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'geopoint' | 'json';
export type Sensitivity = 'public' | 'internal' | 'sensitive' | 'secret';
export type FieldFormat = 'idcard' | 'uscc' | 'mobile' | 'adcode';
export type IngestFormat = 'ndjson' | 'csv' | 'json' | 'parquet' | 'xlsx';
export type IngestMode = 'append' | 'upsert' | 'delete';
export type ExportFormat = 'csv' | 'ndjson' | 'parquet';

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Items<T> {
  items: T[];
}

export interface HubSummary {
  organisations: number;
  systems: number;
  systemsConnected: number;
  datasets: number;
  validRecords: number;
  invalidRecords: number;
  validRecordsTarget: number;
  lakeBytes: number;
}

export interface DailyPoint {
  day: string;
  valid: number;
  invalid: number;
}

export interface Organisation {
  code: string;
  name: string;
  nameEn: string;
  kind: OrgKind;
  adcode: string | null;
  systems: number;
  datasets: number;
  validRecords: number;
}

export interface CitySystem {
  code: string;
  name: string;
  nameEn: string;
  orgCode: string;
  orgName: string;
  cycle: Cycle;
  status: SystemStatus;
  lastPushAt: string | null;
  datasets: number;
  validRecords: number;
}

export interface OrganisationDetail extends Organisation {
  systemsList: CitySystem[];
  datasetsList: DatasetSummary[];
}

export interface District {
  adcode: string;
  name: string;
  nameEn: string;
}

export interface DatasetSummary {
  code: string;
  name: string;
  nameEn: string;
  summary: string;
  category: string;
  tags: string[];
  orgCode: string;
  orgName: string;
  systemCode: string;
  updateCycle: Cycle;
  shareType: ShareType;
  openType: OpenType;
  schemaVersion: number;
  validRecords: number;
  invalidRecords: number;
  lastIngestAt: string | null;
}

export interface Field {
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  primaryKey: boolean;
  sensitivity: Sensitivity;
  format?: FieldFormat | null;
  enum?: string[] | null;
  min?: number | string | null;
  max?: number | string | null;
  minLength?: number | null;
  maxLength?: number | null;
  pattern?: string | null;
  sinceVersion: number;
}

export interface Dataset extends DatasetSummary {
  fields: Field[];
  primaryKey: string[];
  createdAt: string;
  updatedAt: string;
}

export interface DatasetQuery {
  q?: string;
  org?: string;
  category?: string;
  shareType?: ShareType | '';
  openType?: OpenType | '';
  limit?: number;
  offset?: number;
}

export interface IngestResult {
  batchId: string;
  seq: number;
  status: string;
  accepted: number;
  valid: number;
  invalid: number;
  replayed: boolean;
  durationMs: number;
}

export interface Batch {
  batchId: string;
  seq: number;
  source: string | null;
  format: string;
  mode: string;
  accepted: number;
  valid: number;
  invalid: number;
  status: string;
  createdAt: string;
  durationMs: number | null;
}

export interface QuarantineError {
  field: string | null;
  rule: string;
  value: unknown;
}

export interface QuarantineItem extends QuarantineError {
  /** docs/API.md names the batch by batchId; the server currently sends its seq. Either may be present. */
  batchId?: string;
  seq?: number;
  row: number;
  errors: QuarantineError[];
  /** The original row as received, when the server includes it. */
  record?: Record<string, unknown> | null;
}

export type DataRow = Record<string, unknown>;

export interface RecordsQuery {
  filter?: string;
  q?: string;
  fields?: string[];
  sort?: string;
  limit?: number;
  cursor?: string | null;
  total?: 'exact' | 'estimate' | 'none';
}

export interface RecordsPage {
  items: DataRow[];
  total: number | null;
  totalExact: boolean;
  nextCursor: string | null;
}

export interface AggregateQuery {
  groupBy: string[];
  metrics: string[];
  filter?: string;
  sort?: string;
  limit?: number;
}
