import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fail } from '../../errors.ts';
import type { Actor } from '../access/actor.ts';
import type { CatalogueService, NewDataset } from '../catalogue/service.ts';
import type { Dataset, DatasetService } from '../catalogue/types.ts';
import type { IngestService } from '../ingest/service.ts';
import { DISTRICTS } from '../organisations/districts.ts';
import type { OrganisationService } from '../organisations/service.ts';
import { LOT_KINDS, SPACE_TYPES } from './types.ts';

/** The hub datasets the parking platform publishes, by role. */
export type ParkingDatasetRole = 'lots' | 'occupancy' | 'sessions';

/** The codes of the parking platform's hub datasets. */
export type ParkingDatasetCodes = Record<ParkingDatasetRole, string>;

/** A record of the lots dataset (停车场基础信息). */
export interface LotRecord {
  lot_id: string;
  name: string;
  district: string;
  kind: string;
  operator: string;
  location: string;
  capacity: number;
  cap_standard: number;
  cap_ev: number;
  cap_accessible: number;
  cap_large: number;
  reservable_pct: number;
  tariff: unknown;
  opening_hours: unknown;
  system_code: string;
}

/** A record of the occupancy history dataset (停车场泊位占用历史): one lot and space type at one snapshot time. */
export interface OccupancyRecord {
  lot_id: string;
  observed_at: string;
  space_type: string;
  capacity: number;
  occupied: number;
  reserved: number;
}

/** A record of the parking sessions dataset (停车记录): a reservation, a pay-later session or a pass stay. */
export interface SessionRecord {
  session_id: string;
  kind: 'reservation' | 'credit' | 'pass';
  lot_id: string;
  space_type: string | null;
  plate: string | null;
  starts_at: string;
  ends_at: string | null;
  status: string;
  amount_fen: number;
}

type F = NewDataset['fields'][number];
const f = (name: string, label: string, type: F['type'], extra: Partial<F> = {}): F => ({ name, label, type, ...extra }) as F;
const districts = DISTRICTS.map((d) => d.adcode);

/** The definitions of the three datasets, keyed by role; the provider organisation and system are filled in. */
/** The open real-time feed, published beside the lots dataset as its live API (a DCAT data service, a CKAN resource). */
const LIVE_FEED: DatasetService = {
  id: 'live', name: '停车场实时泊位（GeoJSON：空余泊位、状态、更新时间；按区、范围、半径筛选；ETag）', nameEn: 'Live parking availability (GeoJSON, ETag)',
  path: '/api/v1/parking/lots.geojson', format: 'GeoJSON', mediaType: 'application/geo+json',
};

const DEFINITIONS: Record<ParkingDatasetRole, Omit<NewDataset, 'orgCode' | 'systemCode'>> = {
  lots: {
    name: '停车场基础信息', nameEn: 'Parking lots', category: '04', updateCycle: 'daily', shareType: 'unconditional', openType: 'open',
    tags: ['智慧停车', '停车场', '交通'],
    summary: '全市公共停车场、道路泊位与错峰共享停车场：位置、所属区、运营单位、分类型泊位数、时段收费标准与开放时间。实时空余泊位见“停车场实时泊位”接口（GeoJSON，每分钟更新，支持 ETag）。',
    services: [LIVE_FEED],
    fields: [
      f('lot_id', '停车场编号', 'string', { primaryKey: true, sensitivity: 'public' }),
      f('name', '名称', 'string', { required: true, sensitivity: 'public' }),
      f('district', '所属区', 'string', { required: true, enum: districts, sensitivity: 'public' }),
      f('kind', '类型', 'string', { required: true, enum: [...LOT_KINDS], sensitivity: 'public' }),
      f('operator', '运营单位', 'string', { sensitivity: 'public' }),
      f('location', '位置', 'geopoint', { required: true, sensitivity: 'public' }),
      f('capacity', '总泊位数', 'integer', { required: true, min: 0, sensitivity: 'public' }),
      f('cap_standard', '普通泊位', 'integer', { min: 0, sensitivity: 'public' }),
      f('cap_ev', '充电泊位', 'integer', { min: 0, sensitivity: 'public' }),
      f('cap_accessible', '无障碍泊位', 'integer', { min: 0, sensitivity: 'public' }),
      f('cap_large', '大型车泊位', 'integer', { min: 0, sensitivity: 'public' }),
      f('reservable_pct', '可预约比例（%）', 'integer', { min: 0, max: 100, sensitivity: 'public' }),
      f('tariff', '收费标准', 'json', { sensitivity: 'public' }),
      f('opening_hours', '开放时间', 'json', { sensitivity: 'public' }),
      f('system_code', '接入系统', 'string', { sensitivity: 'public' }),
    ],
  },
  occupancy: {
    name: '停车场泊位占用历史', nameEn: 'Parking occupancy history', category: '04', updateCycle: 'realtime', shareType: 'unconditional', openType: 'open',
    tags: ['智慧停车', '泊位', '实时', '交通'],
    summary: '各停车场分泊位类型的占用快照（每 15 分钟）：总泊位、在场车辆与已预约泊位，用于车位诱导与泊位预测。',
    fields: [
      f('lot_id', '停车场编号', 'string', { required: true, sensitivity: 'public' }),
      f('observed_at', '观测时间', 'timestamp', { required: true, sensitivity: 'public' }),
      f('space_type', '泊位类型', 'string', { required: true, enum: [...SPACE_TYPES], sensitivity: 'public' }),
      f('capacity', '泊位数', 'integer', { required: true, min: 0, sensitivity: 'public' }),
      f('occupied', '在场车辆', 'integer', { required: true, min: 0, sensitivity: 'public' }),
      f('reserved', '已预约泊位', 'integer', { min: 0, sensitivity: 'public' }),
    ],
  },
  sessions: {
    name: '停车记录', nameEn: 'Parking sessions', category: '04', updateCycle: 'realtime', shareType: 'conditional', openType: 'closed',
    tags: ['智慧停车', '预约', '信用停车', '错时停车'],
    summary: '预约停车、信用停车（先停后付）与错峰共享停车的停车记录：停车场、泊位类型、车牌、起止时间、状态与金额（分）。',
    fields: [
      f('session_id', '记录编号', 'string', { primaryKey: true, sensitivity: 'internal' }),
      f('kind', '业务类型', 'string', { required: true, enum: ['reservation', 'credit', 'pass'], sensitivity: 'internal' }),
      f('lot_id', '停车场编号', 'string', { required: true, sensitivity: 'internal' }),
      f('space_type', '泊位类型', 'string', { sensitivity: 'internal' }),
      f('plate', '车牌号', 'string', { sensitivity: 'sensitive' }),
      f('starts_at', '开始时间', 'timestamp', { required: true, sensitivity: 'internal' }),
      f('ends_at', '结束时间', 'timestamp', { sensitivity: 'internal' }),
      f('status', '状态', 'string', { required: true, sensitivity: 'internal' }),
      f('amount_fen', '金额（分）', 'integer', { sensitivity: 'internal' }),
    ],
  },
};

const ROLES: readonly ParkingDatasetRole[] = ['lots', 'occupancy', 'sessions'];

/** How many buffered records a role keeps while the hub cannot take them; the oldest are dropped beyond it. */
const MAX_BUFFER = 500_000;

/**
 * The parking platform as a connected system of the hub (智慧停车平台, JTJ-PARK): its lots, occupancy history and
 * sessions are hub datasets, catalogued, shared and opened by the same rules as every other department's data.
 * Records are buffered and pushed as batches through the hub's validated, audited ingest under the system's own
 * identity; a failed push keeps its records for the next one.
 */
export class ParkingHub {
  private codes: ParkingDatasetCodes | null = null;
  private ensuring: Promise<ParkingDatasetCodes> | null = null;
  private readonly buffers: { lots: Map<string, object>; occupancy: object[]; sessions: Map<string, object> } = { lots: new Map(), occupancy: [], sessions: new Map() };
  /** Per dataset, the batch whose push failed, with its idempotency key, to be pushed again before anything newer. */
  private readonly retry: Record<ParkingDatasetRole, { key: string; rows: object[] } | null> = { lots: null, occupancy: null, sessions: null };
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pushed = { lots: 0, occupancy: 0, sessions: 0 };

  constructor(
    private readonly catalogue: CatalogueService,
    private readonly ingest: IngestService,
    private readonly orgs: OrganisationService,
    readonly systemCode: string,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /** The parking platform's own identity on the hub: its connected system, with ingest and read scopes. */
  async actor(): Promise<Actor> {
    const system = await this.orgs.requireSystem(this.systemCode);
    return { kind: 'system', id: `in-process:${this.systemCode}`, name: system.name, orgCode: system.org_code, systemCode: this.systemCode, scopes: ['ingest', 'read'] };
  }

  /** The datasets' codes, cataloguing any that are missing (once the parking platform's system is registered). */
  async datasets(): Promise<ParkingDatasetCodes> {
    if (this.codes) return this.codes;
    this.ensuring ??= this.ensure().finally(() => {
      this.ensuring = null;
    });
    return this.ensuring;
  }

  /** The datasets' codes if they are catalogued already (nothing is created), else null. */
  async existing(): Promise<ParkingDatasetCodes | null> {
    if (this.codes) return this.codes;
    const found = await this.catalogued();
    if (ROLES.some((role) => !found[role])) return null;
    this.codes = found as ParkingDatasetCodes;
    return this.codes;
  }

  /** The codes of those of the datasets already in the catalogue (found by the system and the dataset's name). */
  private async catalogued(): Promise<Partial<ParkingDatasetCodes>> {
    const mine = (await this.catalogue.all()).filter((d: Dataset) => d.systemCode === this.systemCode);
    const out: Partial<ParkingDatasetCodes> = {};
    for (const role of ROLES) out[role] = mine.find((d) => d.name === DEFINITIONS[role].name)?.code;
    return out;
  }

  private async ensure(): Promise<ParkingDatasetCodes> {
    const system = await this.orgs.getSystem(this.systemCode);
    if (!system) fail('PARKING_NOT_CONNECTED', { system: this.systemCode });
    const found = await this.catalogued();
    const platform: Actor = { kind: 'platform', id: `parking:${this.systemCode}`, name: 'parking platform', orgCode: null };
    const codes = {} as ParkingDatasetCodes;
    for (const role of ROLES) {
      codes[role] = found[role] ?? (await this.catalogue.create(platform, { ...DEFINITIONS[role], orgCode: system.org_code, systemCode: this.systemCode })).code;
    }
    // Datasets catalogued before the live feed was published as a service get it now.
    const lots = await this.catalogue.get(codes.lots);
    if (!lots.services.some((s) => s.id === LIVE_FEED.id)) await this.catalogue.setServices(platform, codes.lots, [...lots.services, LIVE_FEED]);
    this.codes = codes;
    return codes;
  }

  /** Queues a lot's current description (upserted by lot id). */
  lot(r: LotRecord): void {
    this.buffers.lots.set(r.lot_id, r);
  }

  /** Queues occupancy snapshots. */
  occupancy(rows: OccupancyRecord[]): void {
    const b = this.buffers.occupancy;
    for (const r of rows) b.push(r);
    if (b.length > MAX_BUFFER) this.buffers.occupancy = b.slice(b.length - MAX_BUFFER);
  }

  /** Queues a session's current state (upserted by session id). */
  session(r: SessionRecord): void {
    this.buffers.sessions.set(r.session_id, r);
  }

  /** Records waiting to be pushed (including a batch kept to retry), per role, and whether the last push failed. */
  status() {
    const n = (role: ParkingDatasetRole) => this.size(role) + (this.retry[role]?.rows.length ?? 0);
    return { datasets: this.codes, pending: { lots: n('lots'), occupancy: n('occupancy'), sessions: n('sessions') }, pushed: { ...this.pushed }, failing: ROLES.some((role) => this.retry[role] !== null) };
  }

  /**
   * Pushes everything buffered, one batch per dataset (lots and sessions upserted, occupancy appended), each under
   * an idempotency key so a retried push applies once. Concurrent calls share one run.
   */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.push().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async push(): Promise<void> {
    if (ROLES.every((role) => this.size(role) === 0 && !this.retry[role])) return;
    if (!(await this.orgs.getSystem(this.systemCode))) return;
    const codes = await this.datasets();
    const actor = await this.actor();
    for (const role of ROLES) {
      // A batch that failed goes again first, whole and under its own key, so if its rows were committed after
      // all (the failure came later) the hub applies it once; only then are newer records taken.
      let batch = this.retry[role];
      if (!batch) {
        const b = this.buffers[role];
        const rows = b instanceof Map ? [...b.values()] : b;
        if (rows.length === 0) continue;
        if (b instanceof Map) b.clear();
        else this.buffers.occupancy = [];
        batch = { key: `parking-${role}-${randomBytes(9).toString('base64url')}`, rows };
      }
      try {
        const body = Readable.from(ndjson(batch.rows));
        await this.ingest.ingest({ dataset: codes[role], format: 'ndjson', mode: role === 'occupancy' ? 'append' : 'upsert', body, idempotencyKey: batch.key, actor, source: 'parking' });
        this.pushed[role] += batch.rows.length;
        this.retry[role] = null;
      } catch (e) {
        this.retry[role] = batch;
        this.log(`parking: pushing ${batch.rows.length} ${role} records to ${codes[role]} failed (kept to retry): ${(e as Error).message}`);
      }
    }
  }

  private size(role: ParkingDatasetRole): number {
    const b = this.buffers[role];
    return b instanceof Map ? b.size : b.length;
  }

  /** Pushes buffered records every `seconds` in the background until stop(). */
  start(seconds: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.flush().catch((e: Error) => this.log(`parking: flush failed: ${e.message}`));
    }, seconds * 1000);
    this.timer.unref();
  }

  /** Stops the background pushes and pushes what is left (records queued during a push included). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (let i = 0; i < 3; i++) {
      await this.flush().catch(() => undefined);
      if (ROLES.some((role) => this.retry[role] !== null) || ROLES.every((role) => this.size(role) === 0)) break;
    }
  }
}

function* ndjson(rows: object[]): Generator<Buffer> {
  let chunk = '';
  for (const r of rows) {
    chunk += `${JSON.stringify(r)}\n`;
    if (chunk.length > 1 << 16) {
      yield Buffer.from(chunk);
      chunk = '';
    }
  }
  if (chunk) yield Buffer.from(chunk);
}
