import { createHash, randomBytes } from 'node:crypto';
import { AppError, fail } from '../../errors.ts';
import type { Actor } from '../access/actor.ts';
import { allowed, requireAccess } from '../access/policy.ts';
import { DISTRICTS } from '../organisations/districts.ts';
import type { OrganisationService } from '../organisations/service.ts';
import type { AccessService } from '../access/service.ts';
import type { QueryService } from '../query/service.ts';
import type { ParkingHub, SessionRecord } from './hub.ts';
import { auditedActions, type Audited } from '../access/audited.ts';
import { LiveBoard } from './live-board.ts';
import { DistrictMap } from './sim/district-map.ts';
import { LotIndex } from './lot-index.ts';
import { OccupancyModel, toSeries, type Observation } from './occupancy-model.ts';
import { OpeningHours, type OpeningPeriod } from './opening-hours.ts';
import type { LotRow, ParkingRepository, ReservationRow } from './repository.ts';
import { eventTime, normalisePlate, parseInstant } from './inputs.ts';
import { Tariff, type TariffBand } from './tariff.ts';
import { TimeSlices, type SliceWindow } from './time-slices.ts';
import { LOT_KINDS, SPACE_TYPES, type LotKind, type LotState, type ReservationStatus, type SpaceType } from './types.ts';

let districts: DistrictMap | null = null;
/** Xiamen's district boundaries, read once. */
function districtMap(): DistrictMap {
  districts ??= DistrictMap.load();
  return districts;
}

/** How early before its window a reservation may be checked in (入场). */
const EARLY_CHECK_IN_MINUTES = 30;

/** The organisation that runs the city's parking (交通运输局, the transport department): its stewards manage lots. */
export const PARKING_ORG = 'JTJ';

/** How reservations and the live feed behave; from the platform configuration. */
export interface ParkingSettings {
  /** Minutes per time slice (a divisor of 60). */
  sliceMinutes: number;
  /** Minutes a hold lasts unless confirmed. */
  holdMinutes: number;
  /** Minutes of silence after which a lot's state is unknown. */
  silentMinutes: number;
  /** Minutes after the start before an unused confirmed reservation is a no-show. */
  noShowMinutes: number;
  /** Longest reservation, in hours. */
  maxHours?: number;
  /** How far ahead reservations open, in days. */
  maxDaysAhead?: number;
  /** Minutes between occupancy snapshots published to the hub (a divisor of 60). */
  snapshotMinutes: number;
  /** Reservations one driver may hold at once (held, confirmed or checked in). */
  maxActivePerDriver: number;
}

/** What the parking service works with besides its own tables. */
export interface ParkingDeps {
  /** The parking platform as a connected system of the hub: publishes lots, occupancy and sessions. */
  hub: ParkingHub;
  /** The occupancy model behind guidance, fed from the hub's occupancy history. */
  model: OccupancyModel;
  /** Reads of hub datasets (the occupancy history) under the caller's data view. */
  query: QueryService;
  /** The audit trail of parking actions. */
  access: AccessService;
}

/** A guidance request (车位诱导): where the driver is going, when, for how long, with which space type. */
export interface GuidanceQuery {
  lon: number;
  lat: number;
  arrive?: string;
  stayMinutes?: number;
  spaceType?: SpaceType;
  maxWalk?: number;
  limit?: number;
}

/** A new lot, as an administrator or the transport department's stewards describe it. */
export interface NewLot {
  id?: string;
  name: string;
  district: string;
  kind: LotKind;
  operator: string;
  lon: number;
  lat: number;
  capacity: Partial<Record<SpaceType, number>>;
  reservablePercent: number;
  tariff: TariffBand[];
  openingHours?: OpeningPeriod[] | null;
  systemCode: string;
}

/** A push from a lot's own system: absolute counts per space type and/or entry and exit events. */
export interface OccupancyPush {
  /** The sender's key for this push (Idempotency-Key): a push retried with it is applied once. */
  key?: string | null;
  at?: string;
  counts?: Partial<Record<SpaceType, number>>;
  events?: { kind: 'entry' | 'exit'; spaceType?: SpaceType; at?: string }[];
}

/** Filters of the open feed: a district, a bounding box, or a point and radius in metres. */
export interface FeedFilter {
  district?: string;
  bbox?: string;
  near?: string;
  radius?: number;
}

/** A lot's live figures: totals, free spaces (null when unknown), state and the time of the last push. */
export interface LiveState {
  total: number;
  free: number | null;
  state: LotState;
  updated: string | null;
  spaces: Partial<Record<SpaceType, { total: number; free: number | null }>>;
}

const CAPACITY_COLUMN = { standard: 'cap_standard', ev: 'cap_ev', accessible: 'cap_accessible', large: 'cap_large' } as const;
const E6 = 1_000_000;
/** Walking distance over straight-line distance in a city grid, walking speed, and the cost weights of guidance. */
const WALK_DETOUR = 1.3;
const WALK_M_PER_MIN = 75;
const MINUTES_PER_YUAN = 1.5;
const SEARCH_MINUTES = 15;

function capacity(lot: LotRow, t: SpaceType): number {
  return Number(lot[CAPACITY_COLUMN[t]]);
}

/** How many places of a type may be reserved in one slice: the lot's reservable share, rounded down. */
function reservableLimit(lot: LotRow, t: SpaceType): number {
  return Math.floor((capacity(lot, t) * Number(lot.reservable_pct)) / 100);
}

function numbers(s: string, n: number, what: string): number[] {
  const parts = s.split(',').map((x) => x.trim());
  const v = parts.map(Number);
  // Plain decimals only: Number() would read '' as 0 and '0x10' as 16.
  if (v.length !== n || parts.some((x) => !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(x))) fail('VALIDATION_FAILED', { reason: `${what} must be ${n} comma-separated numbers` });
  return v;
}

/**
 * Smart parking (智慧停车): lots and their live occupancy pushed by each lot's own system, the open real-time
 * feed, and reservations (预约车位) that can never overbook — every place is won by a conditional UPDATE of a
 * per-slice counter, so the database picks the winners on SQLite and PostgreSQL alike.
 */
export class ParkingService {
  private readonly slices: TimeSlices;
  private sweepTimer: NodeJS.Timeout | null = null;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private learnTimer: NodeJS.Timeout | null = null;
  private index: Promise<LotIndex> | null = null;
  private readonly board: LiveBoard;
  /** Tariff and opening hours parsed once per lot (lots do not change once registered). */
  private readonly parsed = new Map<string, { tariff: Tariff; hours: OpeningHours }>();
  /** Each lot's feature in the open feed, serialised, for one version of the lot and one minute. */
  private readonly features = new Map<string, { key: string; json: string }>();
  /** Recent feed bodies by filter, version and minute (most recently used last). */
  private readonly bodies = new Map<string, { body: Buffer; etag: string }>();
  private readonly touched = new Map<string, number>();
  private learnCursor: string | null = null;
  private learning: Promise<number> | null = null;
  private readonly hub: ParkingHub;
  private readonly model: OccupancyModel;
  private readonly query: QueryService;
  private readonly audited: Audited;

  constructor(
    private readonly repo: ParkingRepository,
    private readonly orgs: OrganisationService,
    private readonly settings: ParkingSettings,
    deps: ParkingDeps,
  ) {
    this.slices = new TimeSlices(settings.sliceMinutes);
    this.board = new LiveBoard(repo);
    if (!Number.isInteger(settings.snapshotMinutes) || 60 % settings.snapshotMinutes !== 0) throw new Error('the snapshot interval must divide the hour');
    ({ hub: this.hub, model: this.model, query: this.query } = deps);
    this.audited = auditedActions(deps.access);
  }

  // ── Lots ────────────────────────────────────────────────────────────────────────────────────────────────

  /** Registers a lot (platform admins, or the transport department's org admins and stewards). */
  async createLot(actor: Actor, input: NewLot) {
    return this.audited(actor, 'parking.lot.create', { lot: input.id ?? null, name: input.name }, () => this.addLot(actor, input));
  }

  private async addLot(actor: Actor, input: NewLot) {
    requireAccess({ actor, permission: 'parking.manage', orgs: [PARKING_ORG] });
    const id = input.id ?? `lot-${randomBytes(5).toString('hex')}`;
    if (!DISTRICTS.some((d) => d.adcode === input.district)) fail('VALIDATION_FAILED', { reason: `district ${input.district} is not one of Xiamen's district adcodes (${DISTRICTS.map((d) => d.adcode).join(', ')})` });
    if (!LOT_KINDS.includes(input.kind)) fail('VALIDATION_FAILED', { reason: `kind must be one of ${LOT_KINDS.join(', ')}` });
    if (!(Math.abs(input.lon) <= 180 && Math.abs(input.lat) <= 90)) fail('VALIDATION_FAILED', { reason: 'lon and lat must be WGS-84 degrees' });
    if (!districtMap().nearDistrict(input.district, input.lon, input.lat)) {
      fail('VALIDATION_FAILED', { reason: `${input.lon},${input.lat} is not in district ${input.district}; give the lot's WGS-84 longitude and latitude (e.g. 118.089,24.479)` });
    }
    const caps = Object.fromEntries(SPACE_TYPES.map((t) => [t, input.capacity[t] ?? 0])) as Record<SpaceType, number>;
    if (SPACE_TYPES.every((t) => caps[t] === 0)) fail('VALIDATION_FAILED', { reason: 'a lot needs at least one space' });
    const tariff = Tariff.parse(input.tariff);
    const hours = OpeningHours.parse(input.openingHours);
    await this.orgs.requireSystem(input.systemCode);
    const now = new Date().toISOString();
    const row: LotRow = {
      id, name: input.name, district: input.district, kind: input.kind, operator: input.operator,
      lon_e6: Math.round(input.lon * E6), lat_e6: Math.round(input.lat * E6),
      cap_standard: caps.standard, cap_ev: caps.ev, cap_accessible: caps.accessible, cap_large: caps.large,
      reservable_pct: input.reservablePercent, tariff: JSON.stringify(tariff.bands), opening_hours: hours.periods ? JSON.stringify(hours.toJSON()) : null,
      system_code: input.systemCode, created_at: now,
    };
    if (!(await this.repo.insertLot(row))) fail('LOT_EXISTS', { id });
    if (this.index) (await this.index).add(row);
    this.board.touch(row.id);
    this.hub.lot({
      lot_id: row.id, name: row.name, district: row.district, kind: row.kind, operator: row.operator, location: `${input.lon},${input.lat}`,
      capacity: SPACE_TYPES.reduce((n, t) => n + caps[t], 0), cap_standard: caps.standard, cap_ev: caps.ev, cap_accessible: caps.accessible, cap_large: caps.large,
      reservable_pct: row.reservable_pct, tariff: tariff.bands, opening_hours: hours.periods ? hours.toJSON() : null, system_code: row.system_code,
    });
    return this.lotView(row, this.live(row, [], [], Date.now()));
  }

  /** One lot with its live state; public, like the open feed. */
  async lot(id: string) {
    const lot = await this.requireLot(id);
    await this.board.ready();
    const now = Date.now();
    return this.lotView(lot, this.live(lot, this.board.occupancy(id), this.board.activeAt(id, now), now));
  }

  /**
   * Applies a push from the lot's own connected system (its application token, ingest scope): counts replace
   * the occupied figures, entry and exit events move them. Any other system or person is refused. A push sent
   * again under the same key (a gate retrying after a lost answer) is applied once; `replayed` says so.
   */
  async pushOccupancy(actor: Actor, id: string, push: OccupancyPush) {
    const detail = { lot: id, counts: push.counts ?? null, events: push.events?.length ?? 0, key: push.key ?? null };
    return this.audited(actor, 'parking.occupancy', detail, () => this.applyPush(actor, id, push));
  }

  private async applyPush(actor: Actor, id: string, push: OccupancyPush) {
    const lot = await this.requireLot(id);
    const system = await this.orgs.requireSystem(lot.system_code);
    requireAccess({ actor, permission: 'records.write', orgs: [system.org_code] });
    if (actor.kind !== 'platform' && !(actor.kind === 'system' && actor.systemCode === lot.system_code)) {
      fail('FORBIDDEN', { reason: `only lot ${lot.id}'s own system ${lot.system_code} may push its occupancy` });
    }
    const nowMs = Date.now();
    const when = (s: string | undefined) => Math.min(eventTime(s, nowMs), nowMs);
    const counts = new Map<SpaceType, number>();
    const deltas = new Map<SpaceType, number>();
    const countAt = when(push.at);
    let latest = push.counts && Object.keys(push.counts).length > 0 ? countAt : 0;
    for (const [t, n] of Object.entries(push.counts ?? {}) as [SpaceType, number][]) {
      if (capacity(lot, t) === 0 && n > 0) fail('VALIDATION_FAILED', { reason: `lot ${lot.id} has no ${t} spaces` });
      counts.set(t, n);
    }
    for (const e of push.events ?? []) {
      const t = e.spaceType ?? 'standard';
      if (capacity(lot, t) === 0) fail('VALIDATION_FAILED', { reason: `lot ${lot.id} has no ${t} spaces; name the event's spaceType` });
      deltas.set(t, (deltas.get(t) ?? 0) + (e.kind === 'entry' ? 1 : -1));
      latest = Math.max(latest, when(e.at ?? push.at));
    }
    if (counts.size === 0 && deltas.size === 0) fail('VALIDATION_FAILED', { reason: 'send counts or events' });
    const at = new Date(latest).toISOString();
    const applied = await this.repo.applyOccupancy(lot.id, counts, deltas, at, new Date(countAt).toISOString(), push.key ?? null);
    if (!applied) return { ...(await this.lot(lot.id)), replayed: true };
    await this.board.refresh(lot.id, 'occupancy');
    // The system's last push time (its connection status) moves at most every 10 s, not on every push.
    if (nowMs - (this.touched.get(lot.system_code) ?? 0) > 10_000) {
      this.touched.set(lot.system_code, nowMs);
      await this.orgs.touchSystem(lot.system_code, new Date(nowMs).toISOString());
    }
    return this.lot(lot.id);
  }

  /**
   * The open real-time feed (停车场实时泊位): lots as a GeoJSON FeatureCollection with total, free, state and update
   * time, filtered by district, bounding box or distance (nearest first, with the distance). Served from memory:
   * each lot's feature is serialised once per change of the lot and minute, each body (and its content hash, the
   * ETag) once per filter, change and minute; a matching If-None-Match gets `body` null (a 304).
   */
  async feed(f: FeedFilter, ifNoneMatch?: string): Promise<{ body: Buffer | null; etag: string }> {
    const q = this.feedFilter(f);
    await this.board.ready();
    const index = await this.lotIndex();
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const key = `${JSON.stringify(q)}|${this.board.version}|${minute}`;
    let out = this.bodies.get(key);
    if (out) {
      this.bodies.delete(key);
      this.bodies.set(key, out);
    } else {
      let lots: { lot: LotRow; d: number | null }[];
      if (q.near) lots = index.near(q.near.lon, q.near.lat, q.near.radius);
      else lots = index.all().map((lot) => ({ lot, d: null }));
      const parts: string[] = [];
      for (const { lot, d } of lots) {
        if (q.district && lot.district !== q.district) continue;
        if (q.box && !(lot.lon_e6 >= q.box.minLon && lot.lon_e6 <= q.box.maxLon && lot.lat_e6 >= q.box.minLat && lot.lat_e6 <= q.box.maxLat)) continue;
        const json = this.featureJson(lot, minute);
        parts.push(d === null ? json : `${json.slice(0, -2)},"distance":${Math.round(d)}}}`);
      }
      // Kept encoded: sending a cached buffer skips re-encoding megabytes of Chinese text on every request.
      const body = Buffer.from(`{"type":"FeatureCollection","features":[${parts.join(',')}]}`, 'utf8');
      // The ETag is the content's: a minute without changes keeps it, so clients keep getting 304s.
      out = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      this.bodies.set(key, out);
      while (this.bodies.size > 64) this.bodies.delete(this.bodies.keys().next().value as string);
    }
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === out.etag)) return { body: null, etag: out.etag };
    return out;
  }

  /** Checks and normalises the feed's filters (micro-degrees for the box). */
  private feedFilter(f: FeedFilter) {
    let box: { minLon: number; minLat: number; maxLon: number; maxLat: number } | null = null;
    let near: { lon: number; lat: number; radius: number } | null = null;
    if (f.bbox) {
      const [minLon, minLat, maxLon, maxLat] = numbers(f.bbox, 4, 'bbox');
      if (minLon > maxLon || minLat > maxLat || ![minLon, maxLon].every((x) => Math.abs(x) <= 180) || ![minLat, maxLat].every((x) => Math.abs(x) <= 90)) {
        fail('VALIDATION_FAILED', { reason: 'bbox is minLon,minLat,maxLon,maxLat in WGS-84 degrees' });
      }
      box = { minLon: Math.round(minLon * E6), minLat: Math.round(minLat * E6), maxLon: Math.round(maxLon * E6), maxLat: Math.round(maxLat * E6) };
    }
    if (f.near) {
      const [lon, lat] = numbers(f.near, 2, 'near');
      if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) fail('VALIDATION_FAILED', { reason: 'near is lon,lat in WGS-84 degrees' });
      near = { lon, lat, radius: f.radius ?? 1000 };
    }
    return { district: f.district ?? null, box, near };
  }

  /** A lot's feature in the open feed, as of a minute. */
  private featureJson(lot: LotRow, minute: number): string {
    const key = `${this.board.lotVersion(lot.id)}|${minute}`;
    const hit = this.features.get(lot.id);
    if (hit && hit.key === key) return hit.json;
    const live = this.live(lot, this.board.occupancy(lot.id), this.board.activeAt(lot.id, minute), minute);
    const json = JSON.stringify({
      type: 'Feature',
      id: lot.id,
      geometry: { type: 'Point', coordinates: [lot.lon_e6 / E6, lot.lat_e6 / E6] },
      properties: { id: lot.id, name: lot.name, kind: lot.kind, district: lot.district, ...live },
    });
    this.features.set(lot.id, { key, json });
    return json;
  }

  /** How many lots are in each live state now (for /metrics). */
  async stateCounts(): Promise<Record<LotState, number>> {
    const out: Record<LotState, number> = { open: 0, full: 0, closed: 0, unknown: 0 };
    await this.board.ready();
    const now = Date.now();
    for (const lot of (await this.lotIndex()).all()) out[this.live(lot, this.board.occupancy(lot.id), this.board.activeAt(lot.id, now), now).state]++;
    return out;
  }

  /** Loads the live board again from the Store (after writes made behind the service's back). */
  async reloadLive(): Promise<void> {
    await this.board.reload();
  }

  // ── Reservations ────────────────────────────────────────────────────────────────────────────────────────

  /** The price (integer fen) and availability of a space type at a lot for a window rounded out to slices; public. */
  async quote(lotId: string, spaceType: SpaceType, start: string, end: string) {
    const lot = await this.requireLot(lotId);
    const w = this.window(lot, spaceType, start, end);
    await this.releaseExpired(lot.id);
    const limit = reservableLimit(lot, spaceType);
    const booked = await this.repo.booked(lot.id, spaceType, w.slices);
    const left = Math.max(0, Math.min(...w.slices.map((s) => limit - (booked.get(s) ?? 0))));
    return {
      lotId: lot.id, spaceType, startsAt: new Date(w.startMs).toISOString(), endsAt: new Date(w.endMs).toISOString(),
      window: TimeSlices.label(w.startMs, w.endMs), slices: w.slices.length, priceFen: this.tariff(lot).priceFen(w.startMs, w.endMs),
      reservable: limit, left, available: left > 0,
    };
  }

  /**
   * Holds a place for a window (预约锁定) until the hold expires: all of the window's slices or none, decided by
   * the database; a refused client gets PARKING_FULL naming the window.
   */
  async hold(actor: Actor, input: { lotId: string; spaceType: SpaceType; start: string; end: string; plate?: string | null }) {
    const detail = { lot: input.lotId, spaceType: input.spaceType, start: input.start, end: input.end };
    return this.audited(actor, 'parking.reservation.hold', detail, () => this.takeHold(actor, input));
  }

  private async takeHold(actor: Actor, input: { lotId: string; spaceType: SpaceType; start: string; end: string; plate?: string | null }) {
    const driver = this.driverKey(actor);
    requireAccess({ actor, permission: 'parking.book' });
    const lot = await this.requireLot(input.lotId);
    const w = this.window(lot, input.spaceType, input.start, input.end);
    await this.releaseExpired(lot.id);
    const now = new Date();
    const row: ReservationRow = {
      id: `rsv-${randomBytes(8).toString('hex')}`, lot_id: lot.id, space_type: input.spaceType,
      starts_at: new Date(w.startMs).toISOString(), ends_at: new Date(w.endMs).toISOString(), slice_minutes: this.slices.minutes,
      status: 'held', hold_expires_at: new Date(now.getTime() + this.settings.holdMinutes * 60_000).toISOString(),
      price_fen: this.tariff(lot).priceFen(w.startMs, w.endMs), driver, plate: input.plate ? normalisePlate(input.plate) : null,
      checked_in_at: null, checked_out_at: null, created_at: now.toISOString(), updated_at: now.toISOString(),
    };
    const full = await this.repo.hold(row, w.slices, reservableLimit(lot, input.spaceType), this.settings.maxActivePerDriver);
    if (full === 'driver-limit') fail('BOOKING_LIMIT', { active: this.settings.maxActivePerDriver, limit: this.settings.maxActivePerDriver });
    if (full !== null) {
      const f = Date.parse(full);
      fail('PARKING_FULL', { spaceType: input.spaceType, lot: lot.name, window: TimeSlices.label(w.startMs, w.endMs) }, {
        lotId: lot.id, spaceType: input.spaceType, startsAt: row.starts_at, endsAt: row.ends_at, fullSlice: TimeSlices.label(f, f + this.slices.minutes * 60_000),
      });
    }
    this.publishSession(row);
    await this.board.refresh(lot.id, 'reservations');
    return this.reservationView(row);
  }

  /** One reservation, to its driver, the transport department or the lot's system; an expired hold is released on read. */
  async reservation(actor: Actor, id: string) {
    return this.reservationView(await this.load(actor, id, 'read'));
  }

  /** Confirms a hold before it expires (预约确认). */
  async confirm(actor: Actor, id: string) {
    return this.audited(actor, 'parking.reservation.confirm', { reservation: id }, async () => {
      const r = await this.load(actor, id, 'driver');
      const now = new Date().toISOString();
      if (!(await this.repo.transition(r.id, ['held'], 'confirmed', now, { holdAfter: now }))) return this.refuse(actor, id, 'confirmed');
      return this.afterStep(actor, id);
    });
  }

  /** Checks a confirmed reservation in at the lot (入场); by the driver, the lot's system or the department. */
  async checkIn(actor: Actor, id: string) {
    return this.audited(actor, 'parking.reservation.check-in', { reservation: id }, async () => {
      const r = await this.load(actor, id, 'lot');
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      if (now >= r.ends_at || r.status !== 'confirmed') return this.refuse(actor, id, now >= r.ends_at ? 'checked in after its window' : 'checked in');
      // Arriving early is fine within a margin; a check-in hours ahead would dodge the no-show release of the window.
      const opensMs = Date.parse(r.starts_at) - EARLY_CHECK_IN_MINUTES * 60_000;
      if (nowMs < opensMs) fail('CHECK_IN_TOO_EARLY', { id, from: TimeSlices.instant(opensMs), minutes: EARLY_CHECK_IN_MINUTES });
      if (!(await this.repo.transition(r.id, ['confirmed'], 'checked_in', now, { patch: { checked_in_at: now } }))) return this.refuse(actor, id, 'checked in');
      return this.afterStep(actor, id);
    });
  }

  /** Checks a reservation out (出场): completed, and the slices still ahead are given back. */
  async checkOut(actor: Actor, id: string) {
    return this.audited(actor, 'parking.reservation.check-out', { reservation: id }, async () => {
      const r = await this.load(actor, id, 'lot');
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      const ahead = new TimeSlices(r.slice_minutes).starts(Math.max(Date.parse(r.starts_at), new TimeSlices(r.slice_minutes).ceil(nowMs)), Date.parse(r.ends_at));
      const release = { lotId: r.lot_id, spaceType: r.space_type, slices: ahead };
      if (!(await this.repo.transition(r.id, ['checked_in'], 'completed', now, { patch: { checked_out_at: now }, release, driver: r.driver }))) return this.refuse(actor, id, 'checked out');
      return this.afterStep(actor, id);
    });
  }

  /** Cancels a held or confirmed reservation (取消预约) and gives its slices back. */
  async cancel(actor: Actor, id: string) {
    return this.audited(actor, 'parking.reservation.cancel', { reservation: id }, async () => {
      const r = await this.load(actor, id, 'driver');
      const now = new Date().toISOString();
      if (!(await this.repo.transition(r.id, ['held', 'confirmed'], 'cancelled', now, { release: this.allSlices(r), driver: r.driver }))) return this.refuse(actor, id, 'cancelled');
      return this.afterStep(actor, id);
    });
  }

  /** The signed-in driver's reservations, newest first. */
  async myReservations(actor: Actor, limit = 50) {
    const rows = await this.repo.reservationsOf(this.driverKey(actor), Math.min(Math.max(1, limit), 200));
    const now = new Date().toISOString();
    const index = await this.lotIndex();
    return {
      items: rows.map((r) => ({ ...this.reservationView(r.status === 'held' && r.hold_expires_at <= now ? { ...r, status: 'expired' } : r), lotName: index.get(r.lot_id)?.name ?? null })),
    };
  }

  /** Releases holds that ran out and no-shows past their grace period, and closes check-ins never checked out, everywhere; returns how many of each. */
  async sweep(nowMs = Date.now()): Promise<{ expired: number; noShows: number; overdue: number }> {
    const expired = await this.releaseExpired(null, nowMs);
    const cutoff = new Date(nowMs - this.settings.noShowMinutes * 60_000).toISOString();
    const at = new Date(nowMs).toISOString();
    let noShows = 0;
    for (const r of await this.repo.noShows(cutoff, 1000)) {
      if (await this.repo.transition(r.id, ['confirmed'], 'no_show', at, { startsBefore: cutoff, release: this.allSlices(r), driver: r.driver })) {
        noShows++;
        this.publishSession({ ...r, status: 'no_show', updated_at: at });
        await this.board.refresh(r.lot_id, 'reservations');
      }
    }
    // A stay checked in but never checked out (a missed exit event) is closed a grace period after its window, so
    // it stops counting against its driver's limit; its slices are all past, nothing is given back.
    let overdue = 0;
    const ended = new Date(nowMs - this.settings.noShowMinutes * 60_000).toISOString();
    for (const r of await this.repo.overdueCheckIns(ended, 1000)) {
      if (await this.repo.transition(r.id, ['checked_in'], 'completed', at, { endsBefore: ended, patch: { checked_out_at: r.ends_at }, driver: r.driver })) {
        overdue++;
        this.publishSession({ ...r, status: 'completed', checked_out_at: r.ends_at, updated_at: at });
        await this.board.refresh(r.lot_id, 'reservations');
      }
    }
    return { expired, noShows, overdue };
  }

  /** Runs the sweep every `intervalMs` in the background until stop(). */
  startSweeps(intervalMs = 60_000): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => {
      void this.sweep().catch(() => undefined);
    }, intervalMs);
    this.sweepTimer.unref();
  }

  /** Stops the background sweep, snapshots and learning. */
  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    if (this.learnTimer) clearInterval(this.learnTimer);
    this.sweepTimer = this.snapshotTimer = this.learnTimer = null;
  }

  // ── The hub: occupancy snapshots, sessions, learning ────────────────────────────────────────────────────

  /**
   * Takes an occupancy snapshot of every lot whose feed is live (silent lots are unknown, not zero) at a boundary
   * of the snapshot interval and queues it for the hub's occupancy history; returns how many records it queued.
   */
  async snapshot(nowMs = Date.now()): Promise<number> {
    const step = this.settings.snapshotMinutes * 60_000;
    const at = new Date(Math.floor(nowMs / step) * step).toISOString();
    const lots = (await this.lotIndex()).all();
    if (lots.length === 0) return 0;
    await this.board.ready();
    const rows = [];
    for (const lot of lots) {
      const o = this.board.occupancy(lot.id);
      const active = this.board.activeAt(lot.id, nowMs);
      const live = this.live(lot, o, active, nowMs);
      if (live.state === 'unknown') continue;
      for (const t of SPACE_TYPES) {
        const cap = capacity(lot, t);
        if (cap === 0) continue;
        const occupied = Math.min(cap, Number(o.find((x) => x.space_type === t)?.occupied ?? 0));
        const reserved = Number(active.find((x) => x.space_type === t)?.n ?? 0);
        rows.push({ lot_id: lot.id, observed_at: at, space_type: t, capacity: cap, occupied, reserved });
      }
    }
    this.hub.occupancy(rows);
    return rows.length;
  }

  /**
   * Folds the occupancy history the model has not seen into it: reads the hub's occupancy dataset through its
   * change feed as the parking platform's own system (an audited read like any other), so live snapshots and
   * history pushed by operators through the ingest API are learnt alike. Returns how many records it read.
   */
  async learn(): Promise<number> {
    if (this.learning) return this.learning;
    this.learning = (async () => {
      const codes = await this.hub.existing();
      if (!codes) return 0;
      const actor = await this.hub.actor();
      let n = 0;
      const series: Observation[] = [];
      for (;;) {
        const page = await this.query.changes(actor, codes.occupancy, { cursor: this.learnCursor ?? undefined, since: this.learnCursor ? undefined : 0, limit: 10_000 });
        for (const c of page.items) {
          if (c.op !== 'upsert') continue;
          const r = c.record;
          const o: Observation = { lotId: String(r.lot_id), spaceType: r.space_type as SpaceType, at: Date.parse(String(r.observed_at)), capacity: Number(r.capacity), occupied: Number(r.occupied) };
          if (!Number.isFinite(o.at)) continue;
          this.model.add(o);
          if (series.length < 200_000) series.push(o);
          n++;
        }
        this.learnCursor = page.nextCursor;
        if (!page.more) break;
      }
      // Refit the decay time on the history just read when there was enough of it.
      if (series.length >= 5_000) this.model.fitTau(toSeries(series));
      return n;
    })().finally(() => {
      this.learning = null;
    });
    return this.learning;
  }

  /** Starts the background work: the sweep, occupancy snapshots at each interval boundary, and learning every minute. */
  startBackground(log: (m: string) => void = () => undefined): void {
    this.startSweeps();
    const step = this.settings.snapshotMinutes * 60_000;
    const next = () => {
      this.snapshotTimer = setTimeout(() => {
        void this.snapshot().then(() => this.hub.flush()).catch((e: Error) => log(`parking: snapshot failed: ${e.message}`));
        next();
      }, step - (Date.now() % step) + 50);
      this.snapshotTimer.unref();
    };
    next();
    void this.learn().catch((e: Error) => log(`parking: learning from the occupancy history failed: ${e.message}`));
    this.learnTimer = setInterval(() => {
      void this.learn().catch((e: Error) => log(`parking: learning from the occupancy history failed: ${e.message}`));
    }, 60_000);
    this.learnTimer.unref();
  }

  // ── Guidance (车位诱导) ──────────────────────────────────────────────────────────────────────────────────

  /**
   * The best lots for a destination and arrival time: lots within walking distance that have the space type and
   * are open for the stay, ranked by an expected cost in minutes — walking time, the price (1.5 min per yuan)
   * and 15 minutes of searching weighted by the chance of finding no free place (none when a place can still be
   * reserved for the window). Public.
   */
  async guidance(q: GuidanceQuery) {
    const spaceType = q.spaceType ?? 'standard';
    if (!SPACE_TYPES.includes(spaceType)) fail('VALIDATION_FAILED', { reason: `spaceType must be one of ${SPACE_TYPES.join(', ')}` });
    if (!(Math.abs(q.lon) <= 180 && Math.abs(q.lat) <= 90)) fail('VALIDATION_FAILED', { reason: 'lon and lat must be WGS-84 degrees' });
    const nowMs = Date.now();
    const arriveMs = q.arrive === undefined ? nowMs : parseInstant(q.arrive, 'arrive');
    const at = Math.max(nowMs, arriveMs);
    if (at > nowMs + 30 * 86400_000) fail('VALIDATION_FAILED', { reason: 'guidance looks at most 30 days ahead' });
    const stay = q.stayMinutes ?? 120;
    if (!(Number.isInteger(stay) && stay >= 15 && stay <= 24 * 60)) fail('VALIDATION_FAILED', { reason: 'stayMinutes must be a whole number from 15 to 1440' });
    const maxWalk = q.maxWalk ?? 1000;
    if (!(maxWalk >= 50 && maxWalk <= 5000)) fail('VALIDATION_FAILED', { reason: 'maxWalk must be 50 to 5000 metres' });
    const limit = Math.min(Math.max(1, q.limit ?? 5), 50);
    const endMs = at + stay * 60_000;

    const index = await this.lotIndex();
    await this.board.ready();
    const candidates = index.near(q.lon, q.lat, maxWalk / WALK_DETOUR)
      .filter(({ lot }) => capacity(lot, spaceType) > 0 && this.openThroughout(lot, at, endMs))
      .slice(0, 200);
    const ids = candidates.map((c) => c.lot.id);
    const sliceMs = this.slices.minutes * 60_000;
    // The window as a reservation would book it (rounded out to slices), so the price shown is the price quoted.
    const windowStart = Math.floor(at / sliceMs) * sliceMs;
    const windowEnd = this.slices.ceil(endMs);
    const windowSlices = this.slices.starts(windowStart, windowEnd);
    // Only lots with a reservation not yet over can have places booked ahead: the others need no query.
    const booked = await this.repo.bookedBySlice(ids.filter((id) => this.board.hasBookings(id)), spaceType, windowSlices);
    const results = candidates.map(({ lot, d }) => {
      const occ = this.board.occupancy(lot.id);
      const live = this.live(lot, occ, this.board.activeAt(lot.id, nowMs), nowMs);
      const cap = capacity(lot, spaceType);
      const occupied = Number(occ.find((o) => o.space_type === spaceType)?.occupied ?? 0);
      const current = live.state === 'unknown' ? null : Math.min(1, occupied / cap);
      const p = this.model.predict(lot.id, spaceType, nowMs, current, at);
      const b = booked.get(lot.id);
      // The first slice's counter also holds reservations already checked in, whose cars are counted as occupied.
      const reservedThen = Math.max(0, (b?.first ?? 0) - this.board.checkedInAt(lot.id, spaceType, windowStart));
      const pFree = OccupancyModel.pFree(cap, reservedThen, p);
      const reservable = reservableLimit(lot, spaceType) - (b?.max ?? 0) > 0;
      const walkM = Math.round(d * WALK_DETOUR);
      const walkMinutes = Math.max(1, Math.round(walkM / WALK_M_PER_MIN));
      const priceFen = this.parsedOf(lot).tariff.priceFen(windowStart, windowEnd);
      const search = (1 - (reservable ? Math.max(pFree, 0.99) : pFree)) * SEARCH_MINUTES;
      const score = walkMinutes + (priceFen / 100) * MINUTES_PER_YUAN + search;
      return {
        lotId: lot.id, name: lot.name, district: lot.district, kind: lot.kind as LotKind, lon: lot.lon_e6 / E6, lat: lot.lat_e6 / E6,
        walkM, walkMinutes, priceFen, total: cap, free: live.spaces[spaceType]?.free ?? null, state: live.state,
        predictedFree: OccupancyModel.expectedFree(cap, reservedThen, p), pFree: Math.round(pFree * 1000) / 1000, reservable,
        score: Math.round(score * 10) / 10,
      };
    });
    results.sort((a, b) => a.score - b.score || a.walkM - b.walkM);
    return {
      destination: { lon: q.lon, lat: q.lat }, arrive: new Date(at).toISOString(), spaceType, stayMinutes: stay, maxWalk,
      model: { name: 'seasonal profile + decaying deviation', tauMinutes: this.model.tau, observations: this.model.size },
      considered: candidates.length,
      results: results.slice(0, limit),
    };
  }

  /**
   * A lot's occupancy over the past hours from the hub's occupancy history (read under the caller's data view —
   * the dataset is open), with the model's forecast for the next six hours.
   */
  async history(actor: Actor, id: string, hours = 24) {
    const lot = await this.requireLot(id);
    if (!(Number.isInteger(hours) && hours >= 1 && hours <= 168)) fail('VALIDATION_FAILED', { reason: 'hours must be a whole number from 1 to 168' });
    const nowMs = Date.now();
    const total = SPACE_TYPES.reduce((n, t) => n + capacity(lot, t), 0);
    const codes = await this.hub.existing();
    let points: { at: string; occupied: number; free: number }[] = [];
    if (codes) {
      const since = new Date(nowMs - hours * 3600_000).toISOString();
      const r = await this.query.aggregate(actor, codes.occupancy, {
        groupBy: 'observed_at', metrics: 'sum:occupied,sum:capacity', filter: `lot_id = ${JSON.stringify(lot.id)} and observed_at >= ${JSON.stringify(since)}`, sort: 'observed_at', limit: 10_000,
      });
      points = (r.items as Record<string, unknown>[]).map((it) => {
        const occupied = Number(it.sum_occupied);
        return { at: new Date(String(it.observed_at)).toISOString(), occupied, free: Math.max(0, Number(it.sum_capacity) - occupied) };
      });
    }
    await this.board.ready();
    const occ = this.board.occupancy(lot.id);
    const live = this.live(lot, occ, this.board.activeAt(lot.id, nowMs), nowMs);
    const step = this.settings.snapshotMinutes * 60_000;
    const forecast = [];
    for (let t = Math.ceil(nowMs / step) * step; t <= nowMs + 6 * 3600_000; t += step) {
      let predictedFree = 0;
      let pNone = 1;
      for (const type of SPACE_TYPES) {
        const cap = capacity(lot, type);
        if (cap === 0) continue;
        const occupied = Number(occ.find((o) => o.space_type === type)?.occupied ?? 0);
        const p = this.model.predict(lot.id, type, nowMs, live.state === 'unknown' ? null : Math.min(1, occupied / cap), t);
        predictedFree += OccupancyModel.expectedFree(cap, 0, p);
        pNone *= 1 - OccupancyModel.pFree(cap, 0, p);
      }
      forecast.push({ at: new Date(t).toISOString(), predictedFree, pFree: Math.round((1 - pNone) * 1000) / 1000 });
    }
    return { lotId: lot.id, bucketMinutes: this.settings.snapshotMinutes, total, live, points, forecast };
  }

  /** After a reservation step: its current view, with the session published to the hub. */
  private async afterStep(actor: Actor, id: string) {
    const r = await this.repo.reservation(id);
    if (r) {
      this.publishSession(r);
      await this.board.refresh(r.lot_id, 'reservations');
    }
    return this.reservation(actor, id);
  }

  /** Queues a reservation's state for the hub's parking sessions dataset. */
  private publishSession(r: ReservationRow): void {
    const rec: SessionRecord = {
      session_id: r.id, kind: 'reservation', lot_id: r.lot_id, space_type: r.space_type, plate: r.plate, starts_at: r.starts_at, ends_at: r.ends_at,
      status: r.status, amount_fen: Number(r.price_fen),
    };
    this.hub.session(rec);
  }

  /** The in-memory lot index, loaded from the Store on first use. */
  private lotIndex(): Promise<LotIndex> {
    this.index ??= this.repo.allLots().then((lots) => new LotIndex(lots));
    return this.index;
  }

  /** Whether a lot is open for the whole of [startMs, endMs), checked slice by slice as a reservation is (across midnight too). */
  private openThroughout(lot: LotRow, startMs: number, endMs: number): boolean {
    const hours = this.parsedOf(lot).hours;
    const sliceMs = this.slices.minutes * 60_000;
    for (let t = Math.floor(startMs / sliceMs) * sliceMs; t < endMs; t += sliceMs) if (!hours.covers(t, this.slices.minutes)) return false;
    return true;
  }

  /** A lot's tariff and opening hours, parsed once. */
  private parsedOf(lot: LotRow): { tariff: Tariff; hours: OpeningHours } {
    let p = this.parsed.get(lot.id);
    if (!p) {
      p = { tariff: Tariff.parse(JSON.parse(lot.tariff) as TariffBand[]), hours: OpeningHours.parse(lot.opening_hours ? (JSON.parse(lot.opening_hours) as OpeningPeriod[]) : null) };
      this.parsed.set(lot.id, p);
    }
    return p;
  }

  // ── Internals ───────────────────────────────────────────────────────────────────────────────────────────

  /** A lot from the in-memory index (lots do not change once registered), else from the Store. */
  private async requireLot(id: string): Promise<LotRow> {
    const lot = (await this.lotIndex()).get(id) ?? (await this.repo.lot(id));
    if (!lot) fail('LOT_NOT_FOUND', { id });
    return lot;
  }

  private tariff(lot: LotRow): Tariff {
    return this.parsedOf(lot).tariff;
  }

  /** The window in slices, checked against the lot: the space type exists and the lot is open throughout. */
  private window(lot: LotRow, spaceType: SpaceType, start: string, end: string): SliceWindow {
    if (!SPACE_TYPES.includes(spaceType)) fail('VALIDATION_FAILED', { reason: `spaceType must be one of ${SPACE_TYPES.join(', ')}` });
    if (capacity(lot, spaceType) === 0) fail('VALIDATION_FAILED', { reason: `lot ${lot.id} has no ${spaceType} spaces` });
    const w = this.slices.cover(start, end, { nowMs: Date.now(), maxHours: this.settings.maxHours ?? 24, maxDaysAhead: this.settings.maxDaysAhead ?? 30 });
    const hours = OpeningHours.parse(lot.opening_hours ? (JSON.parse(lot.opening_hours) as OpeningPeriod[]) : null);
    const closed = w.slices.map(Date.parse).find((s) => !hours.covers(s, this.slices.minutes));
    if (closed !== undefined) fail('LOT_CLOSED', { lot: lot.name, window: TimeSlices.label(closed, closed + this.slices.minutes * 60_000) });
    return w;
  }

  /** Expires held reservations whose hold ran out (of one lot, or all) and gives their slices back. */
  private async releaseExpired(lotId: string | null, nowMs = Date.now()): Promise<number> {
    const now = new Date(nowMs).toISOString();
    let n = 0;
    for (const r of await this.repo.expiredHolds(now, lotId, 1000)) {
      if (await this.repo.transition(r.id, ['held'], 'expired', now, { holdBefore: now, release: this.allSlices(r), driver: r.driver })) {
        n++;
        this.publishSession({ ...r, status: 'expired', updated_at: now });
        await this.board.refresh(r.lot_id, 'reservations');
      }
    }
    return n;
  }

  private allSlices(r: ReservationRow) {
    return { lotId: r.lot_id, spaceType: r.space_type, slices: new TimeSlices(r.slice_minutes).starts(Date.parse(r.starts_at), Date.parse(r.ends_at)) };
  }

  /** Who holds reservations made by this actor; anonymous callers must sign in or send a token. */
  private driverKey(actor: Actor): string {
    if (actor.kind === 'anonymous') fail('AUTH_REQUIRED');
    return actor.kind === 'system' ? `system:${actor.systemCode}` : `${actor.kind}:${actor.id}`;
  }

  /**
   * Loads a reservation the actor may act on, releasing it first if its hold ran out: its driver always; the
   * transport department (and the platform) always; the lot's own system for reads, check-in and check-out.
   * Anyone else is told it does not exist.
   */
  private async load(actor: Actor, id: string, need: 'read' | 'driver' | 'lot'): Promise<ReservationRow> {
    const driver = this.driverKey(actor);
    let r = await this.repo.reservation(id);
    const notFound = new AppError('RESERVATION_NOT_FOUND', { id });
    if (!r) throw notFound;
    const lot = await this.requireLot(r.lot_id);
    const lotSystem = actor.kind === 'system' && actor.systemCode === lot.system_code && need !== 'driver';
    if (r.driver !== driver && !lotSystem && !allowed(actor, 'parking.manage', PARKING_ORG)) throw notFound;
    const now = new Date().toISOString();
    if (r.status === 'held' && r.hold_expires_at <= now) {
      if (await this.repo.transition(r.id, ['held'], 'expired', now, { holdBefore: now, release: this.allSlices(r), driver: r.driver })) {
        this.publishSession({ ...r, status: 'expired', updated_at: now });
        await this.board.refresh(r.lot_id, 'reservations');
      }
      r = (await this.repo.reservation(id)) ?? r;
    }
    return r;
  }

  private async refuse(actor: Actor, id: string, action: string): Promise<never> {
    const r = await this.load(actor, id, 'read');
    fail('RESERVATION_STATE', { id, status: r.status, action });
  }

  private live(lot: LotRow, occ: { space_type: string; occupied: number; last_event_at: string }[], active: { space_type: string; n: number }[], nowMs: number): LiveState {
    const updated = occ.reduce<string | null>((m, o) => (m === null || o.last_event_at > m ? o.last_event_at : m), null);
    const silent = updated === null || nowMs - Date.parse(updated) > this.settings.silentMinutes * 60_000;
    const spaces: LiveState['spaces'] = {};
    let total = 0;
    let free = 0;
    for (const t of SPACE_TYPES) {
      const cap = capacity(lot, t);
      if (cap === 0) continue;
      const occupied = Number(occ.find((o) => o.space_type === t)?.occupied ?? 0);
      const reserved = Number(active.find((a) => a.space_type === t)?.n ?? 0);
      const f = Math.max(0, cap - occupied - reserved);
      spaces[t] = { total: cap, free: silent ? null : f };
      total += cap;
      free += f;
    }
    const hours = this.parsedOf(lot).hours;
    const state: LotState = silent ? 'unknown' : !hours.covers(nowMs, 1) ? 'closed' : free === 0 ? 'full' : 'open';
    return { total, free: silent ? null : free, state, updated, spaces };
  }

  private lotView(lot: LotRow, live: LiveState) {
    return {
      id: lot.id, name: lot.name, district: lot.district, kind: lot.kind as LotKind, operator: lot.operator,
      lon: lot.lon_e6 / E6, lat: lot.lat_e6 / E6,
      capacity: Object.fromEntries(SPACE_TYPES.map((t) => [t, capacity(lot, t)])) as Record<SpaceType, number>,
      reservablePercent: Number(lot.reservable_pct), tariff: JSON.parse(lot.tariff) as TariffBand[],
      openingHours: lot.opening_hours ? (JSON.parse(lot.opening_hours) as OpeningPeriod[]) : null,
      systemCode: lot.system_code, createdAt: lot.created_at, live,
    };
  }

  private reservationView(r: ReservationRow) {
    return {
      id: r.id, lotId: r.lot_id, spaceType: r.space_type as SpaceType, startsAt: r.starts_at, endsAt: r.ends_at,
      window: TimeSlices.label(Date.parse(r.starts_at), Date.parse(r.ends_at)), status: r.status as ReservationStatus,
      holdExpiresAt: r.status === 'held' ? r.hold_expires_at : null, priceFen: Number(r.price_fen), plate: r.plate,
      checkedInAt: r.checked_in_at, checkedOutAt: r.checked_out_at, createdAt: r.created_at, updatedAt: r.updated_at,
    };
  }
}
