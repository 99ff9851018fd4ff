// Types mirroring docs/API.md (base /api/v1). Keep in sync with the server contract.

export type OrgKind = 'department' | 'district';
export type SystemStatus = 'connected' | 'pending' | 'stale';
export type Cycle = 'realtime' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';
export type ShareType = 'unconditional' | 'conditional' | 'none';
/** What a share request is: inter-department sharing by share type, or a portal application (有条件开放申请). */
export type RequestShareType = ShareType | 'open-conditional';
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

// ---- Identity (登录与身份) ----

/** A person's role (角色); `public` is a person or enterprise registered on the open-data portal (公众用户). */
export type Role = 'platform_admin' | 'org_admin' | 'data_steward' | 'analyst' | 'auditor' | 'public';
export type ActorKind = 'person' | 'system' | 'platform' | 'anonymous';

/** GET /auth/me: who the console is signed in as. */
export interface Me {
  kind: 'person' | 'system' | 'platform';
  id: string;
  name: string;
  orgCode: string | null;
  role: Role | null;
  systemCode: string | null;
  scopes: string[];
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  orgCode: string;
  role: Role;
  disabled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface LoginResult {
  user: User;
  expiresAt: string;
}

// ---- Application tokens (应用凭证) ----

export type TokenScope = 'ingest' | 'read';
export type TokenState = 'active' | 'revoked' | 'expired';

export interface AppToken {
  id: string;
  systemCode: string;
  orgCode: string;
  name: string;
  scopes: TokenScope[];
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdBy: string;
  createdAt: string;
  state: TokenState;
}

export interface NewToken {
  systemCode: string;
  name: string;
  scopes: TokenScope[];
  expiresInDays: number;
}

/** POST /tokens: the secret is in `token` and is never shown again. */
export interface IssuedToken {
  token: string;
  id: string;
  systemCode: string;
  orgCode: string;
  name: string;
  scopes: TokenScope[];
  expiresAt: string;
  createdAt: string;
}

// ---- Sharing (共享申请与授权) ----

/** Where a share request stands: 平台审核 · 提供方审批 · 异议处理 · 已授权 · 已拒绝 · 已撤回. */
export type RequestStatus = 'platform_review' | 'provider_review' | 'disputed' | 'granted' | 'refused' | 'withdrawn';
/** 脱敏方式: in clear, partly masked, keyed hash, not provided; `partial:S:E` keeps S leading and E trailing characters. */
export type MaskName = 'clear' | 'partial' | 'hash' | 'drop' | `partial:${number}:${number}`;
export type GrantStatus = 'active' | 'revoked' | 'expired';

export interface ShareRequest {
  id: string;
  datasetCode: string;
  datasetName: string;
  providerOrg: string;
  /** Names of the provider and consumer organisations (registered applicants included). */
  providerName?: string;
  consumerName?: string;
  /** A portal applicant's data-security commitment. */
  commitment?: string | null;
  /** The grant's state once granted (revoked or expired grants show here). */
  grant?: { id: string; status: string; expiresAt: string; revokedAt: string | null; revokeReason: string | null } | null;
  consumerOrg: string;
  consumerSystem: string;
  requestedBy: string;
  purpose: string;
  fields: string[];
  rowScope: string | null;
  durationDays: number;
  shareType: RequestShareType;
  status: RequestStatus;
  stepStartedAt: string | null;
  stepDueAt: string | null;
  workingDaysLeft: number | null;
  overdue: boolean;
  refusalReason: string | null;
  grantId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One step of a request's history. */
export interface ShareEvent {
  n: number;
  at: string;
  actor: string;
  action: string;
  from: RequestStatus | null;
  to: RequestStatus | null;
  note: string | null;
}

export interface ShareRequestDetail extends ShareRequest {
  events: ShareEvent[];
}

export interface ShareRequestQuery {
  status?: RequestStatus | '';
  dataset?: string;
  limit?: number;
  offset?: number;
}

export interface NewShareRequest {
  dataset: string;
  consumerSystem: string;
  purpose: string;
  fields: string[];
  rowScope?: string | null;
  durationDays: number;
}

/** The provider's decision; masks, scope and quotas only matter when approving. */
export interface Decision {
  approve: boolean;
  reason?: string;
  masks?: Record<string, MaskName>;
  rowScope?: string | null;
  rowsPerDay?: number | null;
  requestsPerMinute?: number | null;
}

export interface Grant {
  id: string;
  requestId: string;
  datasetCode: string;
  providerOrg: string;
  consumerOrg: string;
  consumerSystem: string;
  purpose: string;
  fields: string[];
  masks: Record<string, MaskName>;
  rowScope: string | null;
  expiresAt: string;
  rowsPerDay: number | null;
  requestsPerMinute: number | null;
  status: GrantStatus;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  createdBy?: string;
  createdAt: string;
}

export interface GrantUsage {
  day: string;
  rows: number;
  requests: number;
}

export interface GrantDetail extends Grant {
  usage: GrantUsage[];
}

// ---- Audit (审计) ----

export type AuditResult = 'allowed' | 'denied' | 'error';

export interface AuditEntry {
  seq: number;
  at: string;
  actorKind: ActorKind;
  actorId: string;
  orgCode: string | null;
  action: string;
  datasetCode: string | null;
  fields: string[] | null;
  filter: string | null;
  grantId: string | null;
  purpose: string | null;
  rowCount: number | null;
  result: AuditResult;
  detail: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  actor?: string;
  org?: string;
  dataset?: string;
  action?: string;
  result?: AuditResult | '';
  grant?: string;
  from?: string;
  to?: string;
  before?: number | null;
  limit?: number;
}

export interface AuditPage {
  items: AuditEntry[];
  nextBefore: number | null;
}

export interface AuditVerifyResult {
  ok: boolean;
  entries: number;
  checkpoints: number;
  fault: { seq: number; problem: string; detail?: unknown } | null;
}

export interface Checkpoint {
  seqTo: number;
  at: string;
  headHash: string;
  merkleRoot: string;
  keyId: string;
  signature: string;
}

export interface CheckpointList {
  items: Checkpoint[];
  key: { keyId: string; publicKeyPem: string };
}

// ---- Open-data portal (公共数据开放平台) ----

/** Openly published (无条件开放) or open on application (有条件开放). */
export type PublishedOpenType = Exclude<OpenType, 'closed'>;

/** Timeliness (及时率) of one organisation's published datasets. */
export interface OrgTimeliness {
  orgCode: string;
  orgName: string;
  datasets: number;
  timely: number;
  rate: number;
}

/** GET /portal/summary: the portal's front-page figures. */
export interface PortalSummary {
  datasets: number;
  open: number;
  conditional: number;
  records: number;
  organisations: number;
  timeliness: { rate: number; timely: number; late: number; byOrg: OrgTimeliness[] };
  plan: { year: number; total: number; opened: number; overdue: number; rate: number };
}

/** GET /portal/late: a published dataset that missed its declared update cycle. */
export interface LateDataset {
  code: string;
  name: string;
  orgCode: string;
  orgName: string;
  updateCycle: Cycle;
  lastIngestAt: string | null;
  dueAt: string | null;
}

/** A published field (only public and internal fields are ever published). */
export interface PublishedField {
  name: string;
  label: string;
  type: FieldType;
  format: FieldFormat | null;
  primaryKey: boolean;
}

/** GET /portal/datasets/:code: a published dataset as the portal shows it. */
export interface PortalDataset {
  code: string;
  name: string;
  nameEn: string | null;
  summary: string | null;
  category: string;
  tags: string[];
  orgCode: string;
  orgName: string;
  updateCycle: Cycle;
  openType: PublishedOpenType;
  records: number;
  createdAt: string;
  lastIngestAt: string | null;
  timely: boolean;
  nextDueAt: string | null;
  fields: PublishedField[];
  resourceId: string;
  packageName: string;
  downloads: { format: string; url: string }[];
  /** Live APIs the dataset's system serves (e.g. the parking platform's real-time feed). */
  services: { id: string; name: string; nameEn: string; format: string; url: string }[];
  api: { ckan: string; records: string; sql: string; dcat: string; token: string | null };
}

/** POST /portal/register. */
export interface Registration {
  kind: 'person' | 'enterprise';
  name: string;
  username: string;
  password: string;
  /** 统一社会信用代码 (enterprises). */
  creditCode?: string;
}

/** POST /portal/applications: an application for a conditionally open dataset (有条件开放申请). */
export interface NewApplication {
  dataset: string;
  purpose: string;
  /** 数据安全承诺, at least 10 characters. */
  commitment: string;
  durationDays: number;
}

export type PlanStatus = 'planned' | 'in_progress' | 'opened' | 'overdue';

/** One item of an annual open plan (年度开放计划). */
export interface PlanItem {
  id: string;
  year: number;
  title: string;
  orgCode: string;
  orgName: string;
  datasetCode: string | null;
  datasetName: string | null;
  openType: PublishedOpenType;
  dueOn: string;
  note: string | null;
  status: PlanStatus;
  openedAt: string | null;
}

export interface PlanCounts {
  total: number;
  opened: number;
  inProgress: number;
  planned: number;
  overdue: number;
}

/** GET /open-plans/:year. */
export interface OpenPlan extends PlanCounts {
  year: number;
  rate: number;
  byOrg: (PlanCounts & { orgCode: string; orgName: string })[];
  byMonth: { month: string; due: number; dueToDate: number }[];
  items: PlanItem[];
}

// ---- CKAN Action API (/api/3/action), as the portal searches with it ----

/** The CKAN envelope. */
export interface CkanEnvelope<T> {
  help: string;
  success: boolean;
  result: T;
}

/** A CKAN package (数据集) as package_search returns it (the fields the portal reads). */
export interface CkanPackage {
  id: string;
  name: string;
  title: string;
  notes: string | null;
  isopen: boolean;
  metadata_modified: string;
  organization: { name: string; title: string; description?: string } | null;
  tags: { name: string }[];
  groups: { name: string; title: string }[];
  resources: { id: string; name: string; format: string; url: string }[];
  extras: { key: string; value: string }[];
}

/** The facet fields the portal offers. */
export type SearchFacet = 'organization' | 'groups' | 'tags' | 'res_format' | 'update_cycle' | 'open_type';

export interface FacetItem {
  name: string;
  display_name: string;
  count: number;
}

/** package_search's result. */
export interface PackageSearchResult {
  count: number;
  sort: string;
  results: CkanPackage[];
  facets: Partial<Record<SearchFacet, Record<string, number>>>;
  search_facets: Partial<Record<SearchFacet, { title: string; items: FacetItem[] }>>;
}

export type PackageSort = 'score desc, metadata_modified desc' | 'metadata_modified desc' | 'name asc' | 'title_string asc';

export interface PackageSearchQuery {
  q?: string;
  /** Solr-style `key:value` terms separated by spaces. */
  fq?: string;
  rows?: number;
  start?: number;
  sort?: PackageSort;
  facetFields?: SearchFacet[];
  facetLimit?: number;
}

/** A CKAN organization (organization_list with all_fields). */
export interface CkanOrganization {
  name: string;
  title: string;
  description: string;
  package_count: number;
}

/** datastore_search's result (the parts the portal shows in its examples). */
export interface DatastoreSearchResult {
  resource_id: string;
  fields: { id: string; type: string }[];
  records: Record<string, unknown>[];
  total?: number;
}

// ── Smart parking (智慧停车) ─────────────────────────────────────────────────────────────────────────────────

/** A kind of parking space (车位类型): standard, EV charging (充电), accessible (无障碍), large vehicle (大型). */
export type SpaceType = 'standard' | 'ev' | 'accessible' | 'large';
/** A kind of lot: public garage (公共停车场), on-street segment (路内泊位), shared lot (共享停车场). */
export type LotKind = 'garage' | 'street' | 'shared';
/** A lot's live state: open with free spaces, full, closed (outside its opening hours), unknown (its system is silent). */
export type LotState = 'open' | 'full' | 'closed' | 'unknown';
/** A reservation's status (预约状态). */
export type ReservationStatus = 'held' | 'confirmed' | 'checked_in' | 'completed' | 'cancelled' | 'expired' | 'no_show';

/** Total and free places of one space type; free is null when the lot's system is silent. */
export interface SpaceCount {
  total: number;
  free: number | null;
}

/** A lot's live figures, as the feed and the lot page give them. */
export interface LotLive {
  total: number;
  free: number | null;
  state: LotState;
  updated: string | null;
  spaces: Partial<Record<SpaceType, SpaceCount>>;
}

/** One feature's properties in the open feed (lots.geojson). */
export interface LotFeatureProps extends LotLive {
  id: string;
  name: string;
  kind: LotKind;
  district: string;
  /** Metres from `near`, when the feed was asked for lots near a point. */
  distance?: number;
}

/** The open real-time feed: a GeoJSON FeatureCollection of points (WGS-84). */
export interface LotFeed {
  type: 'FeatureCollection';
  features: { type: 'Feature'; id: string; geometry: { type: 'Point'; coordinates: [number, number] }; properties: LotFeatureProps }[];
}

/** A tariff band: integer fen per hour from one time of day to another (Beijing time). */
export interface TariffBand {
  from: string;
  to: string;
  fenPerHour: number;
}

/** Opening hours: ISO weekdays (1 = Monday) and a time range. */
export interface OpeningPeriod {
  days: number[];
  from: string;
  to: string;
}

/** One lot with capacity, tariff, opening hours and live state. */
export interface ParkingLot {
  id: string;
  name: string;
  district: string;
  kind: LotKind;
  operator: string;
  lon: number;
  lat: number;
  capacity: Record<SpaceType, number>;
  reservablePercent: number;
  tariff: TariffBand[];
  openingHours: OpeningPeriod[] | null;
  systemCode: string;
  createdAt: string;
  live: LotLive;
}

/** A lot's occupancy over the past hours and the forecast ahead. */
export interface LotHistory {
  lotId: string;
  bucketMinutes: number;
  total: number;
  points: { at: string; occupied: number; free: number }[];
  forecast: { at: string; predictedFree: number; pFree: number }[];
}

/** What guidance (车位诱导) is asked: a destination, an arrival time, a stay and a space type. */
export interface GuidanceQuery {
  lon: number;
  lat: number;
  arrive?: string;
  stayMinutes?: number;
  spaceType?: SpaceType;
  maxWalk?: number;
  limit?: number;
}

/** One ranked lot of a guidance answer. */
export interface GuidanceResult {
  lotId: string;
  name: string;
  district: string;
  kind: LotKind;
  lon: number;
  lat: number;
  walkM: number;
  walkMinutes: number;
  priceFen: number;
  total: number;
  free: number | null;
  state: LotState;
  predictedFree: number | null;
  /** Probability (0..1) of at least one free space of the type at arrival. */
  pFree: number | null;
  reservable: boolean;
  score: number;
}

export interface Guidance {
  destination: { lon: number; lat: number };
  arrive: string;
  spaceType: SpaceType;
  stayMinutes: number;
  maxWalk?: number;
  /** The forecast model: its name, with its decay time and how many observations it has learnt from. */
  model: string | { name: string; tauMinutes?: number; observations?: number };
  /** How many lots within walking distance were weighed. */
  considered?: number;
  results: GuidanceResult[];
}

/** A quote for a window: price in integer fen and places left, the window rounded out to slices. */
export interface ParkingQuote {
  lotId: string;
  spaceType: SpaceType;
  startsAt: string;
  endsAt: string;
  window: string;
  slices: number;
  priceFen: number;
  reservable: number;
  left: number;
  available: boolean;
}

/** A reservation (预约车位). */
export interface Reservation {
  id: string;
  lotId: string;
  /** Some answers name the lot too. */
  lotName?: string;
  spaceType: SpaceType;
  startsAt: string;
  endsAt: string;
  window: string;
  status: ReservationStatus;
  holdExpiresAt: string | null;
  priceFen: number;
  plate: string | null;
  checkedInAt: string | null;
  checkedOutAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An off-peak pass (错峰停车证): a plate's right to park in a shared lot's sharing window. */
export interface ParkingPass {
  id: string;
  lotId: string;
  windowId: string;
  plate: string;
  /** active, suspended (after repeated overstays), expired … */
  state: string;
  priceFen: number;
  validFrom: string;
  validUntil: string;
  overstaysIn30Days: number;
  createdAt: string;
}

/** A period of a sharing window: on working or rest days (the work calendar decides), from–to (to ≤ from ends the next day). */
export interface SharePeriod {
  days: 'workday' | 'restday';
  from: string;
  to: string;
}

/** A shared lot's sharing window (错时共享时段): when residents with a pass may park, its price and places. */
export interface ShareWindow {
  id: string;
  lotId: string;
  name: string;
  periods: SharePeriod[];
  priceFen: number;
  overstayFenPerHour: number;
  /** Passes valid at the same time are sold up to this number. */
  places: number;
  createdAt: string;
}

/** One entry of a pay-later ledger: a charge (+) or a settlement (−), integer fen. */
export interface CreditLedgerEntry {
  id: string;
  kind: 'charge' | 'settlement' | 'returned';
  amountFen: number;
  sessionId: string | null;
  settlementId: string | null;
  at: string;
}

/** A driver's pay-later account (信用停车): state, balance (= the ledger's sum) and the latest entries. */
export interface CreditAccount {
  plate: string;
  state: 'active' | 'suspended';
  balanceFen: number;
  ledgerSumFen: number;
  arrearsLimitFen: number;
  entries: CreditLedgerEntry[];
}

/** What one settlement run settled, per driver. */
export interface SettlementRun {
  settlements: { settlementId: string; plate: string; amountFen: number; entries: number }[];
  totalFen: number;
}

/** The body that holds a place. */
export interface HoldRequest {
  lotId: string;
  spaceType: SpaceType;
  start: string;
  end: string;
  plate?: string;
}
