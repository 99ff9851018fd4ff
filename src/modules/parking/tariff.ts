import { fail } from '../../errors.ts';

/** One time-of-day band of a tariff (收费时段), in Beijing time; `to` may be 24:00 and may be before `from` (overnight). */
export interface TariffBand {
  from: string;
  to: string;
  fenPerHour: number;
}

const BEIJING_OFFSET_MIN = 8 * 60;
const DAY_MIN = 24 * 60;

/** Minutes since midnight of an HH:MM time (24:00 allowed), or null. */
export function clockMinutes(hhmm: string, allow24 = true): number | null {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) return null;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return v > DAY_MIN || (!allow24 && v === DAY_MIN) ? null : v;
}

/** Minute of the Beijing day (0–1439) of an instant given in epoch minutes. */
export function beijingMinuteOfDay(epochMinute: number): number {
  return (((epochMinute + BEIJING_OFFSET_MIN) % DAY_MIN) + DAY_MIN) % DAY_MIN;
}

/**
 * A lot's tariff (收费标准): integer fen per hour by time-of-day bands covering the whole day exactly once; prices
 * are exact integers (the sum of fen-per-hour × minutes, divided by 60 and rounded up once).
 */
export class Tariff {
  private constructor(
    readonly bands: TariffBand[],
    private readonly perMinute: Int32Array,
  ) {}

  /** Checks bands and builds the tariff; VALIDATION_FAILED names the first gap, overlap or bad band. */
  static parse(bands: TariffBand[]): Tariff {
    const rate = new Int32Array(DAY_MIN).fill(-1);
    if (!Array.isArray(bands) || bands.length === 0) fail('VALIDATION_FAILED', { reason: 'a tariff needs at least one band' });
    for (const b of bands) {
      const from = clockMinutes(b.from, false);
      const to = clockMinutes(b.to);
      if (from === null || to === null || from === to) fail('VALIDATION_FAILED', { reason: `tariff band ${b.from}–${b.to} is not a time range (HH:MM, to ≠ from)` });
      if (!Number.isInteger(b.fenPerHour) || b.fenPerHour < 0 || b.fenPerHour > 1_000_000) fail('VALIDATION_FAILED', { reason: `tariff band ${b.from}–${b.to}: fenPerHour must be a whole number of fen, 0–1000000` });
      const length = (to - from + DAY_MIN) % DAY_MIN || DAY_MIN;
      for (let i = 0; i < length; i++) {
        const m = (from + i) % DAY_MIN;
        if (rate[m] !== -1) fail('VALIDATION_FAILED', { reason: `tariff bands overlap at ${hhmm(m)}` });
        rate[m] = b.fenPerHour;
      }
    }
    const gap = rate.indexOf(-1);
    if (gap >= 0) fail('VALIDATION_FAILED', { reason: `the tariff does not cover ${hhmm(gap)}; bands must cover the whole day` });
    return new Tariff(bands.map((b) => ({ from: b.from, to: b.to, fenPerHour: b.fenPerHour })), rate);
  }

  /** The price in fen of parking from one instant to another (epoch milliseconds, whole minutes). */
  priceFen(startMs: number, endMs: number): number {
    let sum = 0;
    for (let m = Math.floor(startMs / 60_000); m < Math.floor(endMs / 60_000); m++) sum += this.perMinute[beijingMinuteOfDay(m)];
    return Math.ceil(sum / 60);
  }
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
