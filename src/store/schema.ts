import type { Generated } from 'kysely';

/** Kysely table types of the Store: catalogue, organisations, connected systems and ingest batches. */
export interface StoreSchema {
  organisations: OrganisationTable;
  systems: SystemTable;
  datasets: DatasetTable;
  dataset_fields: DatasetFieldTable;
  code_sequences: CodeSequenceTable;
  batches: BatchTable;
  audit_entries: AuditEntryTable;
  audit_checkpoints: AuditCheckpointTable;
  users: UserTable;
  sessions: SessionTable;
  app_tokens: AppTokenTable;
  share_requests: ShareRequestTable;
  share_request_events: ShareRequestEventTable;
  grants: GrantTable;
  grant_usage: GrantUsageTable;
  calendar_days: CalendarDayTable;
  open_plan_items: OpenPlanItemTable;
  parking_lots: ParkingLotTable;
  parking_occupancy: ParkingOccupancyTable;
  parking_reservations: ParkingReservationTable;
  parking_slice_counters: ParkingSliceCounterTable;
  parking_share_windows: ParkingShareWindowTable;
  parking_passes: ParkingPassTable;
  parking_pass_visits: ParkingPassVisitTable;
  parking_credit_scores: ParkingCreditScoreTable;
  parking_credit_accounts: ParkingCreditAccountTable;
  parking_credit_sessions: ParkingCreditSessionTable;
  parking_credit_ledger: ParkingCreditLedgerTable;
  parking_credit_settled: ParkingCreditSettledTable;
  parking_driver_counters: ParkingDriverCounterTable;
  parking_push_keys: ParkingPushKeyTable;
}

/** The key of an occupancy push already applied, per lot. */
export interface ParkingPushKeyTable {
  lot_id: string;
  key: string;
  at: string;
}

export interface OrganisationTable {
  code: string;
  name: string;
  name_en: string;
  kind: 'department' | 'district' | 'enterprise' | 'person';
  adcode: string | null;
  created_at: string;
}

export interface SystemTable {
  code: string;
  org_code: string;
  name: string;
  name_en: string;
  cycle: string;
  last_push_at: string | null;
  created_at: string;
}

export interface DatasetTable {
  code: string;
  name: string;
  name_en: string;
  summary: string;
  category: string;
  tags: string;
  org_code: string;
  system_code: string;
  update_cycle: string;
  share_type: string;
  open_type: string;
  schema_version: number;
  valid_records: number;
  invalid_records: number;
  last_ingest_at: string | null;
  last_seq: number;
  /** JSON list of the dataset's live APIs (DatasetService). */
  services: string;
  created_at: string;
  updated_at: string;
}

export interface DatasetFieldTable {
  dataset_code: string;
  position: number;
  name: string;
  label: string;
  type: string;
  required: number;
  primary_key: number;
  sensitivity: string;
  format: string | null;
  constraints: string;
  since_version: number;
}

export interface CodeSequenceTable {
  scope: string;
  next_value: number;
}

export interface BatchTable {
  batch_id: string;
  dataset_code: string;
  seq: number;
  idempotency_key: string | null;
  request_hash: string;
  system_code: string | null;
  source: string;
  format: string;
  mode: string;
  accepted: number;
  valid: number;
  invalid: number;
  status: 'committed' | 'failed';
  created_at: string;
  duration_ms: number;
  row_id: Generated<number>;
}

export interface AuditEntryTable {
  seq: number;
  at: string;
  actor_kind: string;
  actor_id: string;
  org_code: string | null;
  action: string;
  dataset_code: string | null;
  fields: string | null;
  filter: string | null;
  grant_id: string | null;
  purpose: string | null;
  row_count: number | null;
  result: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointTable {
  seq_to: number;
  at: string;
  head_hash: string;
  merkle_root: string;
  key_id: string;
  signature: string;
  frontier: string | null;
}

export interface UserTable {
  id: string;
  username: string;
  display_name: string;
  org_code: string;
  role: string;
  password_hash: string;
  failed_logins: number;
  locked_until: string | null;
  disabled: number;
  last_login_at: string | null;
  created_at: string;
}

export interface SessionTable {
  id_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

export interface AppTokenTable {
  id: string;
  system_code: string;
  org_code: string;
  name: string;
  secret_hash: string;
  scopes: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  created_by: string;
  created_at: string;
}

export interface ShareRequestTable {
  id: string;
  dataset_code: string;
  provider_org: string;
  consumer_org: string;
  consumer_system: string;
  requested_by: string;
  purpose: string;
  commitment: string | null;
  fields: string;
  row_scope: string | null;
  duration_days: number;
  share_type: string;
  status: string;
  step_started_at: string;
  step_due_at: string | null;
  refusal_reason: string | null;
  grant_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface ShareRequestEventTable {
  request_id: string;
  n: number;
  at: string;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string;
  note: string | null;
}

export interface GrantTable {
  id: string;
  request_id: string | null;
  dataset_code: string;
  provider_org: string;
  consumer_org: string;
  consumer_system: string;
  purpose: string;
  fields: string;
  masks: string;
  row_scope: string | null;
  expires_at: string;
  rows_per_day: number | null;
  requests_per_minute: number | null;
  status: string;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  created_by: string;
  created_at: string;
}

export interface GrantUsageTable {
  grant_id: string;
  day: string;
  rows: number;
  requests: number;
}

export interface CalendarDayTable {
  day: string;
  kind: 'holiday' | 'workday';
  name: string;
}

export interface OpenPlanItemTable {
  id: string;
  year: number;
  title: string;
  org_code: string;
  dataset_code: string | null;
  open_type: string;
  due_on: string;
  note: string | null;
  created_at: string;
}

export interface ParkingLotTable {
  id: string;
  name: string;
  district: string;
  kind: string;
  operator: string;
  lon_e6: number;
  lat_e6: number;
  cap_standard: number;
  cap_ev: number;
  cap_accessible: number;
  cap_large: number;
  reservable_pct: number;
  tariff: string;
  opening_hours: string | null;
  system_code: string;
  created_at: string;
}

export interface ParkingOccupancyTable {
  lot_id: string;
  space_type: string;
  occupied: number;
  last_event_at: string;
}

export interface ParkingReservationTable {
  id: string;
  lot_id: string;
  space_type: string;
  starts_at: string;
  ends_at: string;
  slice_minutes: number;
  status: string;
  hold_expires_at: string;
  price_fen: number;
  driver: string;
  plate: string | null;
  checked_in_at: string | null;
  checked_out_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ParkingSliceCounterTable {
  lot_id: string;
  space_type: string;
  slice_start: string;
  booked: number;
}

export interface ParkingShareWindowTable {
  id: string;
  lot_id: string;
  name: string;
  periods: string;
  price_fen: number;
  overstay_fen_per_hour: number;
  /** Places the lot shares in this window: passes valid at the same time are sold up to this number. */
  places: number;
  created_at: string;
}

export interface ParkingPassTable {
  id: string;
  lot_id: string;
  window_id: string;
  plate: string;
  holder: string;
  state: string;
  price_fen: number;
  valid_from: string;
  valid_until: string;
  created_at: string;
  updated_at: string;
}

export interface ParkingPassVisitTable {
  id: string;
  pass_id: string;
  /** The pass's lot and plate, so that one open visit per car and lot is a unique index. */
  lot_id: string;
  plate: string;
  entered_at: string;
  window_ends_at: string;
  exited_at: string | null;
  overstay_fen: number;
}

export interface ParkingCreditScoreTable {
  plate: string;
  score: number;
  updated_at: string;
}

export interface ParkingCreditAccountTable {
  plate: string;
  state: string;
  balance_fen: number;
  updated_at: string;
}

export interface ParkingCreditSessionTable {
  id: string;
  lot_id: string;
  plate: string;
  entered_at: string;
  exited_at: string | null;
  charge_fen: number | null;
}

export interface ParkingCreditLedgerTable {
  id: string;
  plate: string;
  kind: string;
  amount_fen: number;
  session_id: string | null;
  settlement_id: string | null;
  created_at: string;
}

export interface ParkingCreditSettledTable {
  entry_id: string;
  settlement_id: string;
}

export interface ParkingDriverCounterTable {
  driver: string;
  active: number;
}
