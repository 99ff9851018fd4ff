import { sql, type Insertable, type Selectable } from 'kysely';
import type { ParkingLotTable, ParkingReservationTable } from '../../store/schema.ts';
import type { Store } from '../../store/store.ts';
import type { ReservationStatus, SpaceType } from './types.ts';

/** A parking lot as stored. */
export type LotRow = Selectable<ParkingLotTable>;
/** A reservation as stored. */
export type ReservationRow = Selectable<ParkingReservationTable>;

/** Slices to give back to the counters when a reservation stops holding its place. */
export interface Release {
  lotId: string;
  spaceType: string;
  slices: string[];
}

/** Raised inside a hold's transaction to roll it back when the driver already holds the most reservations allowed. */
class DriverLimit extends Error {}

/** Raised inside a hold's transaction to roll it back when one slice is already full. */
class SliceFull extends Error {
  constructor(readonly slice: string) {
    super(`slice ${slice} is full`);
  }
}

const TERMINAL = new Set<ReservationStatus>(['expired', 'cancelled', 'completed', 'no_show']);

/** SQL for parking lots, live occupancy, reservations and the per-slice counters that decide reservations. */
export class ParkingRepository {
  constructor(private readonly store: Store) {}

  lot(id: string) {
    return this.store.db.selectFrom('parking_lots').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Inserts a lot; false when the id is taken (decided by the primary key). */
  async insertLot(row: Insertable<ParkingLotTable>): Promise<boolean> {
    const r = await this.store.db.insertInto('parking_lots').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Occupancy rows of some lots (all when ids is null). */
  occupancy(ids: string[] | null) {
    let q = this.store.db.selectFrom('parking_occupancy').selectAll();
    if (ids) {
      if (ids.length === 0) return Promise.resolve([]);
      q = q.where('lot_id', 'in', ids);
    }
    return q.execute();
  }

  /**
   * Applies a push from a lot's system in one transaction: absolute counts (taken at `countAt`) replace the occupied
   * figure unless something later has been applied already (a count that arrives late is stale), event deltas move
   * it (never below zero), and each type's last event time only moves forward.
   */
  async applyOccupancy(lotId: string, counts: Map<SpaceType, number>, deltas: Map<SpaceType, number>, at: string, countAt: string, key: string | null = null): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      const types = [...new Set([...counts.keys(), ...deltas.keys()])];
      if (types.length === 0) return true;
      if (key !== null) {
        // The push's key is claimed in the same transaction: a retry finds it taken and changes nothing. Keys are
        // kept a week (a lot's system retries within minutes).
        const now = new Date().toISOString();
        await tx.deleteFrom('parking_push_keys').where('lot_id', '=', lotId).where('at', '<', new Date(Date.now() - 7 * 86400_000).toISOString()).execute();
        const claimed = await tx.insertInto('parking_push_keys').values({ lot_id: lotId, key, at: now }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
        if (Number(claimed.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      }
      await tx
        .insertInto('parking_occupancy')
        // '' sorts before every time: a type's first count is never taken for stale.
        .values(types.map((t) => ({ lot_id: lotId, space_type: t, occupied: 0, last_event_at: '' })))
        .onConflict((oc) => oc.columns(['lot_id', 'space_type']).doNothing())
        .execute();
      for (const t of types) {
        const delta = deltas.get(t) ?? 0;
        const count = counts.get(t);
        const moved = sql<number>`CASE WHEN occupied + ${delta} < 0 THEN 0 ELSE occupied + ${delta} END`;
        await tx
          .updateTable('parking_occupancy')
          .set({
            occupied: count !== undefined ? sql<number>`CASE WHEN last_event_at <= ${countAt} THEN ${Math.max(0, count + delta)} ELSE ${moved} END` : moved,
            last_event_at: sql<string>`CASE WHEN last_event_at < ${at} THEN ${at} ELSE last_event_at END`,
          })
          .where('lot_id', '=', lotId)
          .where('space_type', '=', t)
          .execute();
      }
      return true;
    });
  }

  /** The counters of some slices of a lot's space type (missing slices have nothing booked). */
  async booked(lotId: string, spaceType: string, slices: string[]): Promise<Map<string, number>> {
    const rows = await this.store.db
      .selectFrom('parking_slice_counters')
      .select(['slice_start', 'booked'])
      .where('lot_id', '=', lotId)
      .where('space_type', '=', spaceType)
      .where('slice_start', 'in', slices)
      .execute();
    return new Map(rows.map((r) => [r.slice_start, Number(r.booked)]));
  }

  /**
   * Takes one place in every slice of the reservation's window and records it, all or nothing. Each slice is won
   * by a conditional UPDATE (`booked = booked + 1 WHERE booked < limit`; one row affected wins), in ascending slice
   * order so concurrent windows lock rows in the same order; the first full slice rolls the whole hold back and is
   * returned. Returns null when the hold was recorded.
   */
  async hold(r: ReservationRow, slices: string[], limit: number, driverLimit: number): Promise<string | 'driver-limit' | null> {
    // Counter rows exist before the race starts; creating them is idempotent and decides nothing.
    await this.store.db
      .insertInto('parking_driver_counters')
      .values({ driver: r.driver, active: 0 })
      .onConflict((oc) => oc.column('driver').doNothing())
      .execute();
    await this.store.db
      .insertInto('parking_slice_counters')
      .values(slices.map((s) => ({ lot_id: r.lot_id, space_type: r.space_type, slice_start: s, booked: 0 })))
      .onConflict((oc) => oc.columns(['lot_id', 'space_type', 'slice_start']).doNothing())
      .execute();
    try {
      await this.store.db.transaction().execute(async (tx) => {
        // The driver's row first, then the slices: the same order every release takes, so they never deadlock.
        const d = await tx
          .updateTable('parking_driver_counters')
          .set((eb) => ({ active: eb('active', '+', 1) }))
          .where('driver', '=', r.driver)
          .where('active', '<', driverLimit)
          .executeTakeFirst();
        if (Number(d.numUpdatedRows) !== 1) throw new DriverLimit();
        for (const s of slices) {
          const u = await tx
            .updateTable('parking_slice_counters')
            .set((eb) => ({ booked: eb('booked', '+', 1) }))
            .where('lot_id', '=', r.lot_id)
            .where('space_type', '=', r.space_type)
            .where('slice_start', '=', s)
            .where('booked', '<', limit)
            .executeTakeFirst();
          if (Number(u.numUpdatedRows) !== 1) throw new SliceFull(s);
        }
        await tx.insertInto('parking_reservations').values(r).execute();
      });
      return null;
    } catch (e) {
      if (e instanceof SliceFull) return e.slice;
      if (e instanceof DriverLimit) return 'driver-limit';
      throw e;
    }
  }

  reservation(id: string) {
    return this.store.db.selectFrom('parking_reservations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Moves a reservation from one of `from` to `to` with a guarded UPDATE (one winner among racing callers) and, in
   * the same transaction, gives its slices back to the counters. `guard` narrows the UPDATE further (a hold that
   * has not run out, a no-show past its grace). Returns false when the status had moved on.
   */
  async transition(
    id: string,
    from: readonly ReservationStatus[],
    to: ReservationStatus,
    at: string,
    opts: { patch?: Partial<Pick<ReservationRow, 'checked_in_at' | 'checked_out_at'>>; holdBefore?: string; holdAfter?: string; startsBefore?: string; endsBefore?: string; release?: Release | null; driver?: string } = {},
  ): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      let q = tx
        .updateTable('parking_reservations')
        .set({ ...(opts.patch ?? {}), status: to, updated_at: at })
        .where('id', '=', id)
        .where('status', 'in', [...from]);
      if (opts.holdBefore) q = q.where('hold_expires_at', '<=', opts.holdBefore);
      if (opts.holdAfter) q = q.where('hold_expires_at', '>', opts.holdAfter);
      if (opts.startsBefore) q = q.where('starts_at', '<=', opts.startsBefore);
      if (opts.endsBefore) q = q.where('ends_at', '<=', opts.endsBefore);
      const u = await q.executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) return false;
      // A reservation that ends (expired, cancelled, completed, no-show) stops counting against its driver's limit.
      if (opts.driver && TERMINAL.has(to)) {
        await tx.updateTable('parking_driver_counters').set((eb) => ({ active: eb('active', '-', 1) })).where('driver', '=', opts.driver).where('active', '>', 0).execute();
      }
      const rel = opts.release;
      if (!rel) return true;
      // One slice at a time in ascending order, as holds take them, so a release and a hold never deadlock.
      for (const slice of [...rel.slices].sort()) {
        await tx
          .updateTable('parking_slice_counters')
          .set((eb) => ({ booked: eb('booked', '-', 1) }))
          .where('lot_id', '=', rel.lotId)
          .where('space_type', '=', rel.spaceType)
          .where('slice_start', '=', slice)
          .where('booked', '>', 0)
          .execute();
      }
      return true;
    });
  }

  /** Holds that ran out before `now` (of one lot, or all), oldest first. */
  expiredHolds(now: string, lotId: string | null, limit: number) {
    let q = this.store.db.selectFrom('parking_reservations').selectAll().where('status', '=', 'held').where('hold_expires_at', '<=', now);
    if (lotId) q = q.where('lot_id', '=', lotId);
    return q.orderBy('hold_expires_at').limit(limit).execute();
  }

  /** Checked-in reservations whose window ended before `cutoff` without a check-out, oldest first. */
  overdueCheckIns(cutoff: string, limit: number) {
    return this.store.db.selectFrom('parking_reservations').selectAll().where('status', '=', 'checked_in').where('ends_at', '<=', cutoff).orderBy('ends_at').limit(limit).execute();
  }

  /** Confirmed reservations that started before `cutoff` without a check-in, oldest first. */
  noShows(cutoff: string, limit: number) {
    return this.store.db
      .selectFrom('parking_reservations')
      .selectAll()
      .where('status', '=', 'confirmed')
      .where('starts_at', '<=', cutoff)
      .orderBy('starts_at')
      .limit(limit)
      .execute();
  }

  /** Held, confirmed and checked-in reservations not yet over, of some lots (all when ids is null). */
  activeReservations(ids: string[] | null, now: string) {
    let q = this.store.db
      .selectFrom('parking_reservations')
      .select(['lot_id', 'space_type', 'starts_at', 'ends_at', 'status', 'hold_expires_at'])
      .where('status', 'in', ['held', 'confirmed', 'checked_in'])
      .where('ends_at', '>', now);
    if (ids) {
      if (ids.length === 0) return Promise.resolve([]);
      q = q.where('lot_id', 'in', ids);
    }
    return q.execute();
  }

  /** Every lot (for the in-memory index). */
  allLots() {
    return this.store.db.selectFrom('parking_lots').selectAll().execute();
  }

  /** Per lot, for some slices of one space type: the most places booked in any slice, and those booked in the first. */
  async bookedBySlice(ids: string[], spaceType: string, slices: string[]): Promise<Map<string, { max: number; first: number }>> {
    const out = new Map<string, { max: number; first: number }>();
    if (ids.length === 0 || slices.length === 0) return out;
    const rows = await this.store.db
      .selectFrom('parking_slice_counters')
      .select(['lot_id', 'slice_start', 'booked'])
      .where('lot_id', 'in', ids)
      .where('space_type', '=', spaceType)
      .where('slice_start', 'in', slices)
      .where('booked', '>', 0)
      .execute();
    for (const r of rows) {
      const e = out.get(r.lot_id) ?? { max: 0, first: 0 };
      const n = Number(r.booked);
      e.max = Math.max(e.max, n);
      if (r.slice_start === slices[0]) e.first = n;
      out.set(r.lot_id, e);
    }
    return out;
  }

  /** A driver's reservations, newest first. */
  reservationsOf(driver: string, limit: number) {
    return this.store.db.selectFrom('parking_reservations').selectAll().where('driver', '=', driver).orderBy('created_at', 'desc').limit(limit).execute();
  }
}
