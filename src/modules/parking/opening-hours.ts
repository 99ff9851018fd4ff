import { fail } from '../../errors.ts';
import { beijingMinuteOfDay, clockMinutes } from './tariff.ts';

/** One opening period (开放时段) in Beijing time: ISO weekdays (1 = Monday … 7 = Sunday) and HH:MM from < to (to may be 24:00). */
export interface OpeningPeriod {
  days: number[];
  from: string;
  to: string;
}

/** A lot's opening hours (开放时间): a list of weekly periods, or always open when there are none. */
export class OpeningHours {
  private constructor(
    readonly periods: { days: number[]; from: number; to: number }[] | null,
  ) {}

  /** Checks the periods (null: open around the clock); VALIDATION_FAILED names a bad one. */
  static parse(periods: OpeningPeriod[] | null | undefined): OpeningHours {
    if (!periods || periods.length === 0) return new OpeningHours(null);
    return new OpeningHours(periods.map((p) => {
      const from = clockMinutes(p.from, false);
      const to = clockMinutes(p.to);
      if (from === null || to === null || to <= from) fail('VALIDATION_FAILED', { reason: `opening period ${p.from}–${p.to} is not a time range within one day (HH:MM, from < to, to up to 24:00)` });
      if (!Array.isArray(p.days) || p.days.length === 0 || p.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) fail('VALIDATION_FAILED', { reason: 'opening period days are ISO weekdays, 1 (Monday) to 7 (Sunday)' });
      return { days: [...new Set(p.days)].sort(), from, to };
    }));
  }

  /** Whether the lot is open for the whole of [startMs, startMs + minutes). */
  covers(startMs: number, minutes: number): boolean {
    if (!this.periods) return true;
    const epochMin = Math.floor(startMs / 60_000);
    const m = beijingMinuteOfDay(epochMin);
    const d = new Date(startMs + 8 * 3600_000).getUTCDay() || 7;
    return this.periods.some((p) => p.days.includes(d) && p.from <= m && m + minutes <= p.to);
  }

  /** The periods as stored (JSON), or null when always open. */
  toJSON(): OpeningPeriod[] | null {
    const t = (v: number) => `${String(Math.floor(v / 60)).padStart(2, '0')}:${String(v % 60).padStart(2, '0')}`;
    return this.periods?.map((p) => ({ days: p.days, from: t(p.from), to: t(p.to) })) ?? null;
  }
}
