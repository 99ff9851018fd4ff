import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, fail } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import type { Actor } from '../access/actor.ts';
import { allowed, requireAccess } from '../access/policy.ts';
import type { OrganisationService } from '../organisations/service.ts';
import type { WorkCalendar } from '../sharing/calendar.ts';
import type { ParkingHub } from './hub.ts';
import { eventTime, normalisePlate, parseInstant } from './inputs.ts';
import { holderKey, requireLotSystem } from './lot-system.ts';
import type { LotRow } from './repository.ts';
import { PARKING_ORG } from './service.ts';
import { ShareWindows, type SharePeriod } from './share-windows.ts';

/** A pass's state (错峰停车证状态): active, or suspended after repeated overstays (entries refused). */
export type PassState = 'active' | 'suspended';

/** How off-peak passes behave. */
export interface PassSettings {
  /** Days a pass is valid from its start. */
  validDays: number;
  /** Overstays within `overstayWindowDays` that suspend a pass. */
  overstaysToSuspend: number;
  /** Days over which overstays are counted. */
  overstayWindowDays: number;
}

/** How far ahead a pass may start. */
const MAX_DAYS_AHEAD = 90;

/** The defaults: a 30-day pass, suspended at the third overstay within 30 days. */
export const DEFAULT_PASS_SETTINGS: PassSettings = { validDays: 30, overstaysToSuspend: 3, overstayWindowDays: 30 };

const HOUR_MS = 3600_000;
const DAY_MS = 86400_000;

/** A new sharing window of a shared lot, with its pass price and overstay charge in integer fen. */
export interface NewShareWindow {
  name: string;
  periods: SharePeriod[];
  priceFen: number;
  overstayFenPerHour: number;
  /** Places shared in the window (default: the lot's standard places). */
  places?: number;
}

/**
 * Off-peak sharing (错时停车): a shared lot (an office, school or hospital) opens its places to residents in
 * declared windows; a resident buys a pass for one window; the lot's system reports entries (refused outside the
 * window or while the pass is suspended) and exits (each started hour past the window's end is charged); the
 * third overstay of a car at the lot within 30 days suspends its pass, and no new pass is sold to that car at that
 * lot while it is suspended. A window sells at most as many passes valid at one time as it shares places.
 */
export class PassService {
  constructor(
    private readonly store: Store,
    private readonly orgs: OrganisationService,
    private readonly calendar: WorkCalendar,
    private readonly settings: PassSettings = DEFAULT_PASS_SETTINGS,
    private readonly hub: ParkingHub | null = null,
  ) {}

  /** Declares a sharing window of a shared lot (platform admins, the transport department's stewards). */
  async createWindow(actor: Actor, lotId: string, input: NewShareWindow) {
    requireAccess({ actor, permission: 'parking.manage', orgs: [PARKING_ORG] });
    const lot = await this.requireLot(lotId);
    if (lot.kind !== 'shared') fail('VALIDATION_FAILED', { reason: `lot ${lot.id} is a ${lot.kind} lot; sharing windows belong to shared lots` });
    const windows = ShareWindows.parse(input.periods);
    for (const [k, v] of [['priceFen', input.priceFen], ['overstayFenPerHour', input.overstayFenPerHour]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) fail('VALIDATION_FAILED', { reason: `${k} must be a whole number of fen, 0 or more` });
    }
    const capacity = Number(lot.cap_standard) + Number(lot.cap_ev) + Number(lot.cap_accessible) + Number(lot.cap_large);
    const places = input.places ?? (Number(lot.cap_standard) || capacity);
    if (!Number.isSafeInteger(places) || places < 1 || places > capacity) fail('VALIDATION_FAILED', { reason: `places must be a whole number from 1 to the lot's ${capacity} places` });
    const row = {
      id: `win-${randomBytes(5).toString('hex')}`, lot_id: lot.id, name: input.name, periods: JSON.stringify(windows.toJSON()),
      price_fen: input.priceFen, overstay_fen_per_hour: input.overstayFenPerHour, places, created_at: new Date().toISOString(),
    };
    await this.store.db.insertInto('parking_share_windows').values(row).execute();
    return this.windowView(row);
  }

  /** The sharing windows of a lot; public. */
  async windows(lotId: string) {
    await this.requireLot(lotId);
    const rows = await this.store.db.selectFrom('parking_share_windows').selectAll().where('lot_id', '=', lotId).orderBy('created_at').execute();
    return { items: rows.map((r) => this.windowView(r)) };
  }

  /**
   * Buys a pass (购买错峰停车证) for a plate and window, valid from `validFrom` (default now, at most 90 days ahead) for
   * the configured days. Refused while the car's pass at this lot is suspended (PASS_SUSPENDED), when the car already
   * holds a pass for the window at that time (PASS_EXISTS), or when the window's places are all sold for some of that
   * time (PASSES_SOLD_OUT). Buyers of one window queue on its row, so the count and the sale are one decision.
   */
  async buy(actor: Actor, input: { windowId: string; plate: string; validFrom?: string }) {
    const holder = holderKey(actor);
    requireAccess({ actor, permission: 'parking.book' });
    const plate = normalisePlate(input.plate);
    const nowMs = Date.now();
    const from = input.validFrom === undefined ? nowMs : parseInstant(input.validFrom, 'validFrom');
    if (from < nowMs - DAY_MS || from > nowMs + MAX_DAYS_AHEAD * DAY_MS) fail('VALIDATION_FAILED', { reason: `validFrom must lie between yesterday and ${MAX_DAYS_AHEAD} days ahead` });
    const now = new Date(nowMs).toISOString();
    const validFrom = new Date(from).toISOString();
    const validUntil = new Date(from + this.settings.validDays * DAY_MS).toISOString();
    const row = await this.store.db.transaction().execute(async (tx) => {
      // Takes the window's row lock (PostgreSQL; SQLite has one writer): concurrent buyers of the window queue here.
      const locked = await tx.updateTable('parking_share_windows').set({ places: sql<number>`places` }).where('id', '=', input.windowId).executeTakeFirst();
      if (Number(locked.numUpdatedRows) !== 1) fail('SHARE_WINDOW_NOT_FOUND', { id: input.windowId });
      const w = await tx.selectFrom('parking_share_windows').selectAll().where('id', '=', input.windowId).executeTakeFirstOrThrow();
      const suspended = await tx.selectFrom('parking_passes').select(['id', 'valid_until'])
        .where('lot_id', '=', w.lot_id).where('plate', '=', plate).where('state', '=', 'suspended').where('valid_until', '>', now)
        .executeTakeFirst();
      if (suspended) fail('PASS_SUSPENDED', { id: suspended.id }, { until: suspended.valid_until });
      const overlapping = tx.selectFrom('parking_passes').where('window_id', '=', w.id).where('valid_from', '<', validUntil).where('valid_until', '>', validFrom);
      const own = await overlapping.select('id').where('plate', '=', plate).executeTakeFirst();
      if (own) fail('PASS_EXISTS', { plate, id: own.id });
      // Passes whose validity overlaps the new one's: a bound on those valid at any one instant (exact enough to never oversell).
      const sold = await overlapping.select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'active').executeTakeFirstOrThrow();
      if (Number(sold.n) >= Number(w.places)) fail('PASSES_SOLD_OUT', { window: w.name, places: Number(w.places) });
      const r = {
        id: `pass-${randomBytes(6).toString('hex')}`, lot_id: w.lot_id, window_id: w.id, plate, holder, state: 'active' as PassState,
        price_fen: Number(w.price_fen), valid_from: validFrom, valid_until: validUntil, created_at: now, updated_at: now,
      };
      await tx.insertInto('parking_passes').values(r).execute();
      return r;
    });
    return this.passView(row, await this.overstays(row.lot_id, plate, nowMs));
  }

  /** One pass with its overstays in the last 30 days (its holder, the transport department). */
  async pass(actor: Actor, id: string) {
    const p = await this.store.db.selectFrom('parking_passes').selectAll().where('id', '=', id).executeTakeFirst();
    const notFound = new AppError('PASS_NOT_FOUND', { plate: '?', lot: '?' });
    if (!p) throw notFound;
    if (actor.kind === 'anonymous') fail('AUTH_REQUIRED');
    if (p.holder !== holderKey(actor) && !allowed(actor, 'parking.manage', PARKING_ORG)) throw notFound;
    // Counted as the next exit would count them: up to now, or up to the last exit when the lot reported it ahead of our clock.
    const last = await this.store.db.selectFrom('parking_pass_visits').select((eb) => eb.fn.max('exited_at').as('t')).where('lot_id', '=', p.lot_id).where('plate', '=', p.plate).executeTakeFirst();
    const until = Math.max(Date.now(), last?.t ? Date.parse(String(last.t)) : 0);
    return this.passView(p, await this.overstays(p.lot_id, p.plate, until));
  }

  /** The signed-in holder's passes, newest first. */
  async mine(actor: Actor) {
    const rows = await this.store.db.selectFrom('parking_passes').selectAll().where('holder', '=', holderKey(actor)).orderBy('created_at', 'desc').limit(100).execute();
    const now = Date.now();
    return { items: await Promise.all(rows.map(async (p) => this.passView(p, await this.overstays(p.lot_id, p.plate, now)))) };
  }

  /**
   * An entry at the lot on a pass, reported by the lot's system: refused (PASS_NOT_FOUND, PASS_SUSPENDED,
   * PASS_OUTSIDE_WINDOW) unless the plate holds a valid pass there whose window is open at that time. A car may hold
   * passes for several windows of a lot (nights, weekends); a suspended one bars the car at that lot whatever else
   * it holds.
   */
  async enter(actor: Actor, lotId: string, input: { plate: string; at?: string }) {
    const lot = await this.requireLot(lotId);
    await requireLotSystem(this.orgs, actor, lot);
    const t = eventTime(input.at);
    const iso = new Date(t).toISOString();
    const plate = normalisePlate(input.plate);
    const held = await this.store.db
      .selectFrom('parking_passes as p').innerJoin('parking_share_windows as w', 'w.id', 'p.window_id')
      .select(['p.id', 'p.state', 'w.periods'])
      .where('p.lot_id', '=', lot.id).where('p.plate', '=', plate).where('p.valid_from', '<=', iso).where('p.valid_until', '>', iso)
      .orderBy('p.created_at')
      .execute();
    if (!held.length) fail('PASS_NOT_FOUND', { plate, lot: lot.id });
    const suspended = held.find((x) => x.state === 'suspended');
    if (suspended) fail('PASS_SUSPENDED', { id: suspended.id });
    let p: (typeof held)[number] | undefined;
    let span: { endMs: number } | null = null;
    for (const x of held) {
      span = ShareWindows.parse(JSON.parse(x.periods) as SharePeriod[]).windowAt(t, this.calendar);
      if (span) {
        p = x;
        break;
      }
    }
    if (!p || !span) fail('PASS_OUTSIDE_WINDOW', { id: held.map((x) => x.id).join(', '), at: iso });
    const visit = {
      id: `visit-${randomBytes(6).toString('hex')}`, pass_id: p.id, lot_id: lot.id, plate, entered_at: iso, window_ends_at: new Date(span.endMs).toISOString(), exited_at: null, overstay_fen: 0,
    };
    // One open visit per car and lot is a unique index: of two entries racing, the database keeps one.
    const ins = await this.store.db.insertInto('parking_pass_visits').values(visit).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    if (Number(ins.numInsertedOrUpdatedRows ?? 0) !== 1) fail('PARKING_SESSION_STATE', { plate, reason: 'is already in', lot: lot.id });
    this.hub?.session({ session_id: visit.id, kind: 'pass', lot_id: lot.id, space_type: null, plate, starts_at: iso, ends_at: null, status: 'parked', amount_fen: 0 });
    return { passId: p.id, visitId: visit.id, enteredAt: iso, windowEndsAt: visit.window_ends_at };
  }

  /**
   * An exit on a pass, reported by the lot's system: every started hour past the window's end is charged at the
   * window's overstay rate (超时费, integer fen); the configured number of overstays within the counting period
   * suspends the pass.
   */
  async exit(actor: Actor, lotId: string, input: { plate: string; at?: string }) {
    const lot = await this.requireLot(lotId);
    await requireLotSystem(this.orgs, actor, lot);
    const t = eventTime(input.at);
    const iso = new Date(t).toISOString();
    const plate = normalisePlate(input.plate);
    const open = await this.store.db
      .selectFrom('parking_pass_visits as v').innerJoin('parking_passes as p', 'p.id', 'v.pass_id').innerJoin('parking_share_windows as w', 'w.id', 'p.window_id')
      .select(['v.id', 'v.pass_id', 'v.entered_at', 'v.window_ends_at', 'w.overstay_fen_per_hour'])
      .where('v.lot_id', '=', lot.id).where('v.plate', '=', plate).where('v.exited_at', 'is', null)
      .executeTakeFirst();
    if (!open) fail('PARKING_SESSION_STATE', { plate, reason: 'has no open visit on a pass', lot: lot.id });
    if (iso < open.entered_at) fail('VALIDATION_FAILED', { reason: 'the exit is before the entry' });
    const overMs = Math.max(0, t - Date.parse(open.window_ends_at));
    const startedHours = Math.floor((overMs + HOUR_MS - 1) / HOUR_MS);
    const overstayFen = startedHours * Number(open.overstay_fen_per_hour);
    const u = await this.store.db.updateTable('parking_pass_visits').set({ exited_at: iso, overstay_fen: overstayFen }).where('id', '=', open.id).where('exited_at', 'is', null).executeTakeFirst();
    if (Number(u.numUpdatedRows) !== 1) fail('PARKING_SESSION_STATE', { plate, reason: 'has no open visit on a pass', lot: lot.id });
    const overstays = await this.overstays(lot.id, plate, t);
    if (overstayFen > 0 && overstays >= this.settings.overstaysToSuspend) {
      await this.store.db.updateTable('parking_passes').set({ state: 'suspended', updated_at: new Date().toISOString() }).where('id', '=', open.pass_id).execute();
    }
    const p = await this.store.db.selectFrom('parking_passes').select('state').where('id', '=', open.pass_id).executeTakeFirstOrThrow();
    this.hub?.session({ session_id: open.id, kind: 'pass', lot_id: lot.id, space_type: null, plate, starts_at: open.entered_at, ends_at: iso, status: overstayFen > 0 ? 'overstayed' : 'completed', amount_fen: overstayFen });
    return { passId: open.pass_id, visitId: open.id, exitedAt: iso, overstayMinutes: Math.floor(overMs / 60_000), overstayHours: startedHours, overstayFen, overstaysIn30Days: overstays, passState: p.state as PassState };
  }

  // ── Internals ───────────────────────────────────────────────────────────────────────────────────────────

  /** Overstays of a car at a lot (on any of its passes there) that ended in the counting period before `t`. */
  private async overstays(lotId: string, plate: string, t: number): Promise<number> {
    const r = await this.store.db
      .selectFrom('parking_pass_visits').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('lot_id', '=', lotId).where('plate', '=', plate).where('overstay_fen', '>', 0)
      .where('exited_at', '>', new Date(t - this.settings.overstayWindowDays * DAY_MS).toISOString())
      .where('exited_at', '<=', new Date(t).toISOString())
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  private async requireLot(id: string): Promise<LotRow> {
    const lot = await this.store.db.selectFrom('parking_lots').selectAll().where('id', '=', id).executeTakeFirst();
    if (!lot) fail('LOT_NOT_FOUND', { id });
    return lot;
  }

  private windowView(w: { id: string; lot_id: string; name: string; periods: string; price_fen: number; overstay_fen_per_hour: number; places: number; created_at: string }) {
    return {
      id: w.id, lotId: w.lot_id, name: w.name, periods: JSON.parse(w.periods) as SharePeriod[], priceFen: Number(w.price_fen), overstayFenPerHour: Number(w.overstay_fen_per_hour),
      places: Number(w.places), createdAt: w.created_at,
    };
  }

  private passView(p: { id: string; lot_id: string; window_id: string; plate: string; state: string; price_fen: number; valid_from: string; valid_until: string; created_at: string }, overstays: number) {
    return { id: p.id, lotId: p.lot_id, windowId: p.window_id, plate: p.plate, state: p.state as PassState, priceFen: Number(p.price_fen), validFrom: p.valid_from, validUntil: p.valid_until, overstaysIn30Days: overstays, createdAt: p.created_at };
  }
}
