import { Readable } from 'node:stream';
import { seededRandom } from '../../demo/random.ts';
import type { SpaceType } from '../types.ts';
import { DistrictMap } from './district-map.ts';
import { HubError, type HubClient } from './hub-client.ts';
import { generateLots, lotBody, type SimLot } from './lot-generator.ts';
import { OPERATOR_SYSTEMS, PLATFORM_SYSTEM } from './operators.ts';
import { beijingDate, beijingMidnight, historyRecords, ndjson, TrafficModel } from './traffic-model.ts';

const DAY_MS = 86400_000;
/** Above this many events in one push the simulator sends absolute counts instead. */
const MAX_EVENTS = 2000;
/** Every so many pushes a lot's system reports absolute counts, as real systems re-count their lots. */
const RECOUNT_EVERY = 20;

type Counts = Partial<Record<SpaceType, number>>;
type Auth = Record<string, string>;

/** What a live run did: pushes sent (as counts or as events), entries and exits, failures, simulated time covered. */
export interface RunStats {
  pushes: number;
  countPushes: number;
  eventPushes: number;
  entries: number;
  exits: number;
  errors: number;
  lastError: string | null;
  simulatedMinutes: number;
  realSeconds: number;
  /** The simulated instant reached. */
  simNow: number;
}

/** Runs `fn` over items with at most `n` in flight. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/**
 * The parking simulator (停车仿真): a city of generated lots run through the hub's own HTTP API, as real systems
 * would — lots registered by a platform admin, each lot's entries and exits pushed with the token of the operator
 * system that runs it (POST /api/v1/parking/lots/:id/occupancy), and past days of 15-minute occupancy snapshots
 * pushed by the smart parking platform (JTJ-PARK) into its occupancy history dataset as NDJSON batches.
 */
export class ParkingSimulator {
  /** The simulated lots. */
  readonly lots: SimLot[];
  /** The traffic model the history and the live pushes follow. */
  readonly model: TrafficModel;
  private readonly tokens = new Map<string, Auth>();
  private readonly sent = new Map<string, { simAt: number; realAt: number; counts: Counts; pushes: number }>();
  private readonly seed: number;

  constructor(
    private readonly client: HubClient,
    opts: { lots: number; seed?: number; idPrefix?: string; map?: DistrictMap; model?: TrafficModel },
  ) {
    this.seed = opts.seed ?? 2026;
    this.lots = generateLots(opts.lots, { map: opts.map ?? DistrictMap.load(), seed: this.seed, idPrefix: opts.idPrefix });
    this.model = opts.model ?? new TrafficModel();
  }

  /**
   * Issues an ingest token for every operator system and the platform system (they must be registered in the hub)
   * and registers the lots that are not there yet, `concurrency` at a time. A lot already registered under another
   * system is pushed with that system's token.
   */
  async setup(admin: Auth, opts: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<{ created: number; existing: number }> {
    const registered = await this.client.systemCodes(admin);
    const needed = [...new Set([...this.lots.map((l) => l.systemCode), PLATFORM_SYSTEM])];
    const missing = needed.filter((c) => !registered.has(c));
    if (missing.length) {
      throw new HubError(404, 'SYSTEM_NOT_FOUND', `the hub has no connected system ${missing.join(', ')}; the demo seed registers the simulator's operator systems (${OPERATOR_SYSTEMS.map((s) => s.code).join(', ')})`);
    }
    for (const code of needed) await this.token(admin, code);
    let created = 0;
    let existing = 0;
    let done = 0;
    await pool(this.lots, opts.concurrency ?? 8, async (lot) => {
      if (await this.client.createLot(admin, lotBody(lot))) created++;
      else {
        existing++;
        const there = await this.client.lot(lot.id);
        if (there && there.systemCode !== lot.systemCode) {
          lot.systemCode = there.systemCode;
          await this.token(admin, there.systemCode);
        }
      }
      opts.onProgress?.(++done, this.lots.length);
    });
    return { created, existing };
  }

  /**
   * Pushes `days` whole past days (Beijing time, ending at today's midnight) of 15-minute occupancy snapshots into
   * the parking occupancy history dataset, one NDJSON batch per day and up to `lotsPerBatch` lots, with the
   * platform system's token. Each batch has an Idempotency-Key, so running again adds nothing twice.
   */
  async pushHistory(days: number, opts: { nowMs?: number; lotsPerBatch?: number; onProgress?: (records: number, total: number) => void } = {}): Promise<{ dataset: string; batches: number; records: number; valid: number; invalid: number; replayed: number }> {
    const auth = this.tokens.get(PLATFORM_SYSTEM);
    if (!auth) throw new Error('setup() first');
    const ds = await this.client.parkingDatasets(auth);
    if (!ds) throw new HubError(404, 'NOT_FOUND', 'the hub does not name its parking datasets yet (GET /api/v1/parking/datasets); history not pushed');
    const end = beijingMidnight(opts.nowMs ?? Date.now());
    const perDay = this.lots.reduce((n, l) => n + Object.values(l.capacity).filter((c) => c > 0).length, 0) * (DAY_MS / (15 * 60_000));
    const total = perDay * days;
    const groupSize = opts.lotsPerBatch ?? 2500;
    const out = { dataset: ds.occupancy, batches: 0, records: 0, valid: 0, invalid: 0, replayed: 0 };
    for (let d = days; d >= 1; d--) {
      const from = end - d * DAY_MS;
      for (let g = 0; g < this.lots.length; g += groupSize) {
        const group = this.lots.slice(g, g + groupSize);
        const key = `parking-sim:${this.seed}:${group[0].id}-${group[group.length - 1].id}:${beijingDate(from)}`;
        const r = await this.client.ingestNdjson(auth, ds.occupancy, () => Readable.from(ndjson(historyRecords(this.model, group, from, from + DAY_MS))), key);
        out.batches++;
        out.records += r.accepted;
        out.valid += r.valid;
        out.invalid += r.invalid;
        if (r.replayed) out.replayed++;
        opts.onProgress?.(Math.min(total, out.records), total);
      }
    }
    return out;
  }

  /** Pushes every lot's counts at a simulated instant (default now), `concurrency` at a time. */
  async pushSnapshot(opts: { simMs?: number; concurrency?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<number> {
    const at = opts.simMs ?? Date.now();
    let done = 0;
    await pool(this.lots, opts.concurrency ?? 16, async (lot) => {
      await this.push(lot, at, true);
      done++;
      opts.onProgress?.(done, this.lots.length);
    });
    return done;
  }

  /**
   * Live traffic: simulated time runs `speed` simulated minutes per real second from `startMs` (default now). Every
   * tick each system pushes up to `pushesPerSecond` of its lots (those it updated longest ago first): the entries and
   * exits since the lot's last push, or absolute counts on a lot's first push, every 20th push and after big jumps.
   * Lots that did not change are left alone unless silent for 5 real minutes (the feed calls a lot silent for 10 minutes
   * "unknown"). Runs `durationSec` real seconds (0: until the signal aborts).
   */
  async run(opts: { speed: number; durationSec: number; startMs?: number; pushesPerSecond?: number; concurrency?: number; tickMs?: number; signal?: AbortSignal; onTick?: (s: RunStats) => void }): Promise<RunStats> {
    const tickMs = opts.tickMs ?? 1000;
    const perTick = Math.max(1, Math.round(((opts.pushesPerSecond ?? 40) * tickMs) / 1000));
    const realStart = Date.now();
    const simStart = opts.startMs ?? realStart;
    const stats: RunStats = { pushes: 0, countPushes: 0, eventPushes: 0, entries: 0, exits: 0, errors: 0, lastError: null, simulatedMinutes: 0, realSeconds: 0, simNow: simStart };
    const bySystem = new Map<string, SimLot[]>();
    for (const l of this.lots) bySystem.set(l.systemCode, [...(bySystem.get(l.systemCode) ?? []), l]);
    const cursor = new Map<string, number>();
    const rand = seededRandom(this.seed + 17);
    while (!opts.signal?.aborted) {
      const tickStart = Date.now();
      const elapsed = tickStart - realStart;
      if (opts.durationSec > 0 && elapsed >= opts.durationSec * 1000) break;
      const simNow = simStart + elapsed * opts.speed * 60;
      const batch: SimLot[] = [];
      for (const [system, lots] of bySystem) {
        // Round robin through the system's lots, skipping those with nothing to report.
        let c = cursor.get(system) ?? 0;
        let taken = 0;
        for (let seen = 0; seen < lots.length && taken < perTick; seen++, c = (c + 1) % lots.length) {
          if (this.wants(lots[c], simNow, tickStart)) {
            batch.push(lots[c]);
            taken++;
          }
        }
        cursor.set(system, c);
      }
      await pool(batch, opts.concurrency ?? 16, async (lot) => {
        try {
          const r = await this.push(lot, simNow, false, rand);
          stats.pushes++;
          if (r.counts) stats.countPushes++;
          else stats.eventPushes++;
          stats.entries += r.entries;
          stats.exits += r.exits;
        } catch (e) {
          stats.errors++;
          stats.lastError = (e as Error).message;
        }
      });
      stats.simNow = simNow;
      stats.simulatedMinutes = (simNow - simStart) / 60_000;
      stats.realSeconds = (Date.now() - realStart) / 1000;
      opts.onTick?.(stats);
      const wait = tickMs - (Date.now() - tickStart);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    stats.realSeconds = (Date.now() - realStart) / 1000;
    return stats;
  }

  /** The last counts pushed for a lot (what the simulator believes the hub holds), if any. */
  lastCounts(lotId: string): Counts | undefined {
    return this.sent.get(lotId)?.counts;
  }

  private wants(lot: SimLot, simNow: number, realNow: number): boolean {
    const last = this.sent.get(lot.id);
    if (!last) return true;
    if (realNow - last.realAt > 5 * 60_000) return true;
    const target = this.model.occupied(lot, simNow);
    return Object.entries(target).some(([t, n]) => last.counts[t as SpaceType] !== n);
  }

  /** Pushes one lot's state at a simulated instant, as counts or as the entries and exits since its last push. */
  private async push(lot: SimLot, simNow: number, forceCounts: boolean, rand: () => number = Math.random): Promise<{ counts: boolean; entries: number; exits: number }> {
    const auth = this.tokens.get(lot.systemCode);
    if (!auth) throw new Error(`no token for ${lot.systemCode}; setup() first`);
    const target = this.model.occupied(lot, simNow);
    const last = this.sent.get(lot.id);
    const pushes = (last?.pushes ?? 0) + 1;
    let body: { counts?: Counts; events?: { kind: 'entry' | 'exit'; spaceType: SpaceType }[] };
    let entries = 0;
    let exits = 0;
    if (!last || forceCounts || pushes % RECOUNT_EVERY === 0) body = { counts: target };
    else {
      const events: { kind: 'entry' | 'exit'; spaceType: SpaceType }[] = [];
      const minutes = Math.max(1, (simNow - last.simAt) / 60_000);
      for (const [t, to] of Object.entries(target) as [SpaceType, number][]) {
        const f = this.model.flows(lot, last.counts[t] ?? 0, to, minutes, rand);
        entries += f.entries;
        exits += f.exits;
        if (entries + exits > MAX_EVENTS) break;
        for (let i = 0; i < f.exits; i++) events.push({ kind: 'exit', spaceType: t });
        for (let i = 0; i < f.entries; i++) events.push({ kind: 'entry', spaceType: t });
      }
      if (entries + exits > MAX_EVENTS) body = { counts: target };
      else body = { events: events.length ? events : [{ kind: 'entry', spaceType: 'standard' }, { kind: 'exit', spaceType: 'standard' }] };
    }
    await this.client.pushOccupancy(auth, lot.id, body);
    this.sent.set(lot.id, { simAt: simNow, realAt: Date.now(), counts: target, pushes });
    return body.counts ? { counts: true, entries: 0, exits: 0 } : { counts: false, entries, exits };
  }

  private async token(admin: Auth, system: string): Promise<Auth> {
    let t = this.tokens.get(system);
    if (!t) {
      t = await this.client.issueToken(admin, system, ['ingest'], 'parking simulator (停车仿真)');
      this.tokens.set(system, t);
    }
    return t;
  }
}
