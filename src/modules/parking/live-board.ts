import type { ParkingRepository } from './repository.ts';

/** A lot's occupied count of one space type and the time of the last push that set it. */
export interface OccupancyRow {
  space_type: string;
  occupied: number;
  last_event_at: string;
}

/** A reservation not yet over: held, confirmed (keeping a place free) or checked in (its car counted as occupied). */
export interface ActiveReservation {
  space_type: string;
  starts_at: string;
  ends_at: string;
  status: string;
  hold_expires_at: string;
}

/**
 * The live state of every lot in memory — occupied counts and the reservations that may keep places free — so the
 * open feed and guidance read no table. The Store stays the truth: the board is loaded from it once and each lot
 * is re-read from it after every write to that lot (a push, a hold, a state change). Re-reads can finish out of
 * order on PostgreSQL, so each carries a ticket and only a fresher read replaces an older one. Writes made to the
 * Store behind the service's back need `reload()`. The platform runs one server per Store.
 */
export class LiveBoard {
  private occ = new Map<string, OccupancyRow[]>();
  private res = new Map<string, ActiveReservation[]>();
  private readonly tickets = new Map<string, { started: number; applied: number }>();
  private loading: Promise<void> | null = null;
  private ticket = 0;
  /** Bumped on every change of any lot: part of the open feed's ETag. */
  version = 0;
  private readonly lotVersions = new Map<string, number>();
  /** Bumped on every full load, so lot versions never repeat across loads. */
  private epoch = 0;

  constructor(private readonly repo: ParkingRepository) {}

  /** Loads the board on first use. */
  ready(): Promise<void> {
    this.loading ??= this.loadAll();
    return this.loading;
  }

  /** Forgets everything and loads the board again from the Store. */
  async reload(): Promise<void> {
    this.loading = this.loadAll();
    await this.loading;
  }

  private async loadAll(): Promise<void> {
    const now = new Date().toISOString();
    const [occ, res] = await Promise.all([this.repo.occupancy(null), this.repo.activeReservations(null, now)]);
    const o = new Map<string, OccupancyRow[]>();
    for (const r of occ) push(o, r.lot_id, { space_type: r.space_type, occupied: Number(r.occupied), last_event_at: r.last_event_at });
    const a = new Map<string, ActiveReservation[]>();
    for (const r of res) push(a, r.lot_id, r);
    this.occ = o;
    this.res = a;
    this.version++;
    this.epoch++;
    this.lotVersions.clear();
    this.tickets.clear();
  }

  /**
   * Re-reads one lot from the Store after a write to it: its occupied counts (after a push), its reservations
   * (after a hold or a state change), or both.
   */
  async refresh(lotId: string, what: 'occupancy' | 'reservations' | 'both' = 'both'): Promise<void> {
    await this.ready();
    const epoch = this.epoch;
    const t = this.tickets.get(`${lotId}\u0000${what}`) ?? { started: 0, applied: 0 };
    const mine = ++this.ticket;
    t.started = mine;
    this.tickets.set(`${lotId}\u0000${what}`, t);
    const now = new Date().toISOString();
    const [occ, res] = await Promise.all([
      what === 'reservations' ? null : this.repo.occupancy([lotId]),
      what === 'occupancy' ? null : this.repo.activeReservations([lotId], now),
    ]);
    if (mine < t.applied || epoch !== this.epoch) return; // a read that started later (or a reload) has already been applied
    t.applied = mine;
    if (occ) this.occ.set(lotId, occ.map((r) => ({ space_type: r.space_type, occupied: Number(r.occupied), last_event_at: r.last_event_at })));
    if (res) this.res.set(lotId, res);
    this.touch(lotId);
  }

  /** Marks a lot changed without reading it (a lot just registered). */
  touch(lotId: string): void {
    this.version++;
    this.lotVersions.set(lotId, (this.lotVersions.get(lotId) ?? 0) + 1);
  }

  /** A lot's version: changes whenever its live state may have changed. */
  lotVersion(lotId: string): string {
    return `${this.epoch}.${this.lotVersions.get(lotId) ?? 0}`;
  }

  /** A lot's occupied counts. */
  occupancy(lotId: string): OccupancyRow[] {
    return this.occ.get(lotId) ?? [];
  }

  /** Whether a lot may have places booked in some slice ahead (any reservation not yet over). */
  hasBookings(lotId: string): boolean {
    return (this.res.get(lotId)?.length ?? 0) > 0;
  }

  /** Reservations of a type checked in (their cars counted as occupied) whose window covers an instant. */
  checkedInAt(lotId: string, spaceType: string, ms: number): number {
    const at = new Date(ms).toISOString();
    let n = 0;
    for (const r of this.res.get(lotId) ?? []) if (r.status === 'checked_in' && r.space_type === spaceType && r.starts_at <= at && r.ends_at > at) n++;
    return n;
  }

  /** Places kept free by reservations at an instant, per space type (checked-in cars are counted as occupied). */
  activeAt(lotId: string, nowMs: number): { space_type: string; n: number }[] {
    const list = this.res.get(lotId);
    if (!list || list.length === 0) return [];
    const now = new Date(nowMs).toISOString();
    const n = new Map<string, number>();
    for (const r of list) {
      if (r.starts_at > now || r.ends_at <= now) continue;
      if (r.status === 'confirmed' || (r.status === 'held' && r.hold_expires_at > now)) n.set(r.space_type, (n.get(r.space_type) ?? 0) + 1);
    }
    return [...n].map(([space_type, k]) => ({ space_type, n: k }));
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
