import { SPACE_TYPES, type SpaceType } from '../types.ts';
import type { LotUse } from './operators.ts';
import type { SimLot } from './lot-generator.ts';

/** The snapshot interval of the occupancy history (15 minutes). */
export const SNAPSHOT_MS = 15 * 60_000;
const BEIJING_MS = 8 * 3600_000;
const DAY_MS = 86400_000;

/**
 * Day shapes (日变化曲线): the share of places taken at each hour (00–23, Beijing time) on working days and rest
 * days, by how a lot is used. Offices and their garages fill 08–18 on working days; housing estates and the
 * shared lots beside them fill at night; malls and sights peak in the evening and at weekends; hospitals every
 * morning; transport hubs stay busy all day.
 */
const SHAPES: Record<LotUse, { work: number[]; rest: number[] }> = {
  commercial: {
    work: [0.1, 0.07, 0.05, 0.05, 0.05, 0.05, 0.06, 0.08, 0.12, 0.2, 0.35, 0.5, 0.6, 0.6, 0.58, 0.6, 0.65, 0.7, 0.78, 0.85, 0.8, 0.6, 0.35, 0.18],
    rest: [0.12, 0.08, 0.06, 0.05, 0.05, 0.05, 0.06, 0.08, 0.15, 0.3, 0.55, 0.75, 0.85, 0.88, 0.9, 0.92, 0.93, 0.93, 0.95, 0.95, 0.88, 0.65, 0.4, 0.2],
  },
  office: {
    work: [0.05, 0.05, 0.04, 0.04, 0.04, 0.05, 0.07, 0.15, 0.55, 0.85, 0.92, 0.92, 0.85, 0.88, 0.93, 0.93, 0.9, 0.75, 0.45, 0.25, 0.15, 0.1, 0.07, 0.05],
    rest: [0.05, 0.05, 0.04, 0.04, 0.04, 0.05, 0.06, 0.08, 0.12, 0.18, 0.22, 0.24, 0.22, 0.22, 0.24, 0.24, 0.22, 0.18, 0.14, 0.1, 0.08, 0.07, 0.06, 0.05],
  },
  residential: {
    work: [0.93, 0.94, 0.94, 0.94, 0.94, 0.93, 0.9, 0.78, 0.6, 0.5, 0.46, 0.45, 0.47, 0.46, 0.45, 0.46, 0.5, 0.56, 0.68, 0.8, 0.87, 0.91, 0.93, 0.93],
    rest: [0.93, 0.94, 0.94, 0.94, 0.94, 0.93, 0.92, 0.9, 0.85, 0.75, 0.66, 0.62, 0.63, 0.62, 0.6, 0.6, 0.62, 0.68, 0.75, 0.82, 0.87, 0.9, 0.92, 0.93],
  },
  hospital: {
    work: [0.25, 0.24, 0.23, 0.23, 0.23, 0.25, 0.3, 0.45, 0.8, 0.95, 0.97, 0.95, 0.85, 0.85, 0.92, 0.9, 0.8, 0.6, 0.45, 0.4, 0.35, 0.3, 0.28, 0.26],
    rest: [0.22, 0.21, 0.2, 0.2, 0.2, 0.22, 0.26, 0.35, 0.6, 0.72, 0.75, 0.72, 0.65, 0.62, 0.66, 0.64, 0.58, 0.48, 0.38, 0.34, 0.3, 0.27, 0.25, 0.23],
  },
  school: {
    work: [0.55, 0.56, 0.56, 0.56, 0.56, 0.55, 0.55, 0.6, 0.7, 0.62, 0.6, 0.6, 0.58, 0.6, 0.6, 0.6, 0.55, 0.45, 0.5, 0.65, 0.75, 0.8, 0.78, 0.7],
    rest: [0.68, 0.7, 0.7, 0.7, 0.7, 0.68, 0.62, 0.55, 0.45, 0.4, 0.38, 0.38, 0.4, 0.4, 0.38, 0.38, 0.42, 0.5, 0.6, 0.7, 0.76, 0.78, 0.76, 0.72],
  },
  hub: {
    work: [0.35, 0.33, 0.32, 0.32, 0.33, 0.35, 0.45, 0.6, 0.75, 0.85, 0.86, 0.86, 0.84, 0.84, 0.86, 0.86, 0.86, 0.85, 0.84, 0.8, 0.7, 0.6, 0.5, 0.4],
    rest: [0.38, 0.36, 0.35, 0.35, 0.36, 0.38, 0.5, 0.66, 0.8, 0.9, 0.91, 0.9, 0.88, 0.88, 0.9, 0.9, 0.9, 0.88, 0.86, 0.82, 0.72, 0.62, 0.52, 0.42],
  },
  scenic: {
    work: [0.08, 0.08, 0.07, 0.07, 0.07, 0.07, 0.08, 0.1, 0.2, 0.4, 0.55, 0.6, 0.6, 0.6, 0.6, 0.6, 0.58, 0.5, 0.4, 0.35, 0.3, 0.2, 0.12, 0.1],
    rest: [0.1, 0.1, 0.08, 0.08, 0.08, 0.08, 0.1, 0.15, 0.35, 0.7, 0.9, 0.95, 0.95, 0.95, 0.96, 0.95, 0.92, 0.85, 0.7, 0.55, 0.45, 0.3, 0.18, 0.12],
  },
};

/** Cars arriving and leaving per hour as a share of those parked (turnover, 周转率), by use; on-street turns over fastest. */
const TURNOVER: Record<LotUse, number> = { commercial: 0.5, office: 0.15, residential: 0.08, hospital: 0.45, school: 0.1, hub: 0.3, scenic: 0.4 };

/** How full each space type runs against the lot's standard places. */
const TYPE_FACTOR: Record<SpaceType, number> = { standard: 1, ev: 0.8, accessible: 0.45, large: 0.7 };

/** A deterministic value in [0, 1) for a lot seed and a counter (one round of a 32-bit integer hash). */
function unit(seed: number, k: number): number {
  let h = Math.imul(seed ^ Math.imul(k, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The Beijing calendar day (YYYY-MM-DD) of an instant. */
export function beijingDate(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 10);
}

/** Beijing midnight at the start of the day holding an instant. */
export function beijingMidnight(ms: number): number {
  return Math.floor((ms + BEIJING_MS) / DAY_MS) * DAY_MS - BEIJING_MS;
}

/**
 * The traffic model of the simulated city: how many places of each type a lot has taken at any instant. The share
 * taken is the lot's day shape for its use (working day or rest day, from the work calendar), shifted by the lot's
 * own lead or lag, scaled by its peak and by a factor per day (some days are busier), plus noise that varies
 * smoothly over 15-minute steps; counts are rounded and kept within capacity. The same instant always gives the
 * same answer, so the history and the live traffic agree.
 */
export class TrafficModel {
  constructor(private readonly isWorkingDay: (day: string) => boolean = (day) => ![0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay())) {}

  /** The share of a lot's standard places taken at an instant (0–1). */
  share(lot: SimLot, ms: number): number {
    const t = ms - lot.shiftMinutes * 60_000;
    const day = beijingDate(t);
    const shape = SHAPES[lot.use][this.isWorkingDay(day) ? 'work' : 'rest'];
    const hour = (t - beijingMidnight(t)) / 3600_000;
    const h0 = Math.floor(hour) % 24;
    const base = shape[h0] + (shape[(h0 + 1) % 24] - shape[h0]) * (hour - Math.floor(hour));
    const dayIndex = Math.floor((t + BEIJING_MS) / DAY_MS);
    const dayFactor = 0.9 + 0.18 * unit(lot.seed, dayIndex);
    const step = t / SNAPSHOT_MS;
    const k = Math.floor(step);
    const amp = lot.kind === 'street' ? 0.08 : lot.kind === 'shared' ? 0.05 : 0.03;
    const noise = amp * (2 * (unit(lot.seed + 1, k) + (unit(lot.seed + 1, k + 1) - unit(lot.seed + 1, k)) * (step - k)) - 1);
    return Math.min(1, Math.max(0, base * lot.peak * dayFactor + noise));
  }

  /** Places taken per space type at an instant (only the types the lot has). */
  occupied(lot: SimLot, ms: number): Partial<Record<SpaceType, number>> {
    const s = this.share(lot, ms);
    const out: Partial<Record<SpaceType, number>> = {};
    for (const t of SPACE_TYPES) {
      const cap = lot.capacity[t];
      if (!cap) continue;
      const wobble = t === 'standard' ? 0 : 0.1 * (unit(lot.seed + 2 + SPACE_TYPES.indexOf(t), Math.floor(ms / SNAPSHOT_MS)) - 0.5);
      out[t] = Math.min(cap, Math.max(0, Math.round(cap * Math.min(1, Math.max(0, s * TYPE_FACTOR[t] + wobble)))));
    }
    return out;
  }

  /** Cars per hour leaving a lot per car parked. */
  turnover(lot: SimLot): number {
    return TURNOVER[lot.use] * (lot.kind === 'street' ? 1.6 : 1);
  }

  /**
   * Entries and exits that take a lot's count of one type from `from` to `to` over `minutes`: cars leave at the
   * lot's turnover rate and as many more arrive as the new count needs (an emptying lot sees only exits).
   */
  flows(lot: SimLot, from: number, to: number, minutes: number, rand: () => number): { entries: number; exits: number } {
    const churn = Math.round(from * Math.min(1, (this.turnover(lot) * minutes) / 60) * (0.6 + 0.8 * rand()));
    let exits = Math.min(from, churn);
    let entries = to - from + exits;
    if (entries < 0) {
      exits -= entries;
      entries = 0;
    }
    return { entries, exits };
  }
}

/** One record of the occupancy history dataset: a lot's space type at a 15-minute boundary. */
export interface OccupancyRecord {
  lot_id: string;
  observed_at: string;
  space_type: SpaceType;
  capacity: number;
  occupied: number;
}

/** The history records of some lots at every 15-minute boundary in [fromMs, toMs). */
export function* historyRecords(model: TrafficModel, lots: readonly SimLot[], fromMs: number, toMs: number): Generator<OccupancyRecord> {
  const first = Math.ceil(fromMs / SNAPSHOT_MS) * SNAPSHOT_MS;
  for (let t = first; t < toMs; t += SNAPSHOT_MS) {
    const at = new Date(t).toISOString().replace('.000Z', 'Z');
    for (const lot of lots) {
      for (const [type, occupied] of Object.entries(model.occupied(lot, t)) as [SpaceType, number][]) {
        yield { lot_id: lot.id, observed_at: at, space_type: type, capacity: lot.capacity[type], occupied };
      }
    }
  }
}

/** History records as NDJSON text in chunks of about `chunkBytes`. */
export function* ndjson(records: Iterable<OccupancyRecord>, chunkBytes = 1 << 20): Generator<string> {
  let buf = '';
  for (const r of records) {
    buf += `${JSON.stringify(r)}\n`;
    if (buf.length >= chunkBytes) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}
