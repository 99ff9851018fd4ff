import type { FormatName } from './validators/formats.ts';

/** A field's value type (数据类型). */
export type FieldType = 'string' | 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'geopoint' | 'json';
/** All field types, in display order. */
export const FIELD_TYPES: readonly FieldType[] = ['string', 'integer', 'decimal', 'boolean', 'date', 'timestamp', 'geopoint', 'json'];

/** How sensitive a field is (敏感级别): drives masking defaults in sharing. */
export type Sensitivity = 'public' | 'internal' | 'sensitive' | 'secret';
export const SENSITIVITIES: readonly Sensitivity[] = ['public', 'internal', 'sensitive', 'secret'];

/** 共享类型: unconditional 无条件共享, conditional 有条件共享, none 不予共享. */
export type ShareType = 'unconditional' | 'conditional' | 'none';
export const SHARE_TYPES: readonly ShareType[] = ['unconditional', 'conditional', 'none'];

/** 开放属性: open 无条件开放, conditional 有条件开放, closed 不予开放. */
export type OpenType = 'open' | 'conditional' | 'closed';
export const OPEN_TYPES: readonly OpenType[] = ['open', 'conditional', 'closed'];

/** 更新周期: how often the provider promises new data; also the connection-status clock of a system. */
export type UpdateCycle = 'realtime' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';
export const UPDATE_CYCLES: readonly UpdateCycle[] = ['realtime', 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly'];

/** Seconds within which a system on this cycle must push again before it counts as stale. */
export const CYCLE_SECONDS: Record<UpdateCycle, number> = {
  realtime: 15 * 60,
  hourly: 2 * 3600,
  daily: 2 * 86400,
  weekly: 8 * 86400,
  monthly: 32 * 86400,
  quarterly: 93 * 86400,
  yearly: 367 * 86400,
};

/** One field of a dataset's schema (数据项), with its validation rules. */
export interface FieldSpec {
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  primaryKey: boolean;
  sensitivity: Sensitivity;
  format: FormatName | null;
  enum?: string[];
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /**
   * A declared sort index (排序索引), as CKAN's datastore_create `indexes`: sorted paging on this field stays fast at
   * any depth. The Lake builds and maintains it; declaring or removing one never changes the records.
   */
  sortIndex?: boolean;
  sinceVersion: number;
}

/**
 * Fields every stored record carries besides its schema: the sequence number of the batch that wrote it (批次序号)
 * and when it was ingested (入库时间, UTC). Readable, filterable and sortable; never written by clients.
 */
export const SYSTEM_FIELDS: readonly FieldSpec[] = [
  { name: '_seq', label: '批次序号', type: 'integer', required: true, primaryKey: false, sensitivity: 'public', format: null, sinceVersion: 1 },
  { name: '_at', label: '入库时间', type: 'timestamp', required: true, primaryKey: false, sensitivity: 'public', format: null, sinceVersion: 1 },
];

/** A catalogued dataset (数据资源) with its current schema. */
/**
 * A live API of a dataset besides its records (a DCAT data service, a CKAN API resource): the connected system
 * serves it on this platform, e.g. the parking platform's real-time availability feed beside the lots dataset.
 */
export interface DatasetService {
  /** A short slug, unique within the dataset. */
  id: string;
  name: string;
  nameEn: string;
  /** The path on this platform, starting with /api/ (links are built against the base the request came to). */
  path: string;
  /** The format's name (GeoJSON, JSON …) and media type. */
  format: string;
  mediaType: string;
}

export interface Dataset {
  code: string;
  name: string;
  nameEn: string;
  summary: string;
  category: string;
  tags: string[];
  orgCode: string;
  orgName: string;
  systemCode: string;
  updateCycle: UpdateCycle;
  shareType: ShareType;
  openType: OpenType;
  schemaVersion: number;
  validRecords: number;
  invalidRecords: number;
  lastIngestAt: string | null;
  lastSeq: number;
  fields: FieldSpec[];
  primaryKey: string[];
  /** Live APIs beside the records (often none). */
  services: DatasetService[];
  createdAt: string;
  updatedAt: string;
}

/** Resource categories (资源分类) with their two-digit classification codes used in resource codes. */
export const CATEGORIES: readonly { code: string; name: string; nameEn: string }[] = [
  { code: '01', name: '综合政务', nameEn: 'General government' },
  { code: '02', name: '经济建设', nameEn: 'Economy' },
  { code: '03', name: '市场监管', nameEn: 'Market regulation' },
  { code: '04', name: '交通运输', nameEn: 'Transport' },
  { code: '05', name: '医疗卫生', nameEn: 'Health' },
  { code: '06', name: '公共安全', nameEn: 'Public safety' },
  { code: '07', name: '资源环境', nameEn: 'Resources and environment' },
  { code: '08', name: '科技创新', nameEn: 'Science and innovation' },
  { code: '09', name: '城乡建设', nameEn: 'Urban and rural development' },
  { code: '10', name: '社会民生', nameEn: 'Social services' },
  { code: '11', name: '教育文化', nameEn: 'Education and culture' },
  { code: '12', name: '港口物流', nameEn: 'Port and logistics' },
];
