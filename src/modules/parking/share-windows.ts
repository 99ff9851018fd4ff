import { fail } from '../../errors.ts';
import { beijingDay } from '../sharing/calendar.ts';
import type { WorkCalendar } from '../sharing/calendar.ts';
import { clockMinutes } from './tariff.ts';

/**
 * One period of a shared lot's sharing window (错时共享时段), in Beijing time: on working days (工作日) or rest days
 * (休息日: weekends and public holidays, make-up working days excluded, as the work calendar says), from HH:MM to
 * HH:MM; a `to` at or before `from` ends on the next day (18:30–07:30), 00:00–24:00 is the whole day.
 */
export interface SharePeriod {
  days: 'workday' | 'restday';
  from: string;
  to: string;
}

const DAY_MS = 86400_000;
const MINUTE_MS = 60_000;
/** Longest run of rest days a window may join up over (the Spring Festival and National Day weeks are shorter). */
const LOOKAHEAD_DAYS = 16;

function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00+08:00`);
}

/** A shared lot's sharing windows: the periods, and the merged stretch of time that contains an instant. */
export class ShareWindows {
  private constructor(private readonly periods: { days: 'workday' | 'restday'; from: number; to: number; label: SharePeriod }[]) {}

  /** Checks the periods; VALIDATION_FAILED names a bad one. */
  static parse(periods: SharePeriod[]): ShareWindows {
    if (!Array.isArray(periods) || periods.length === 0) fail('VALIDATION_FAILED', { reason: 'a sharing window needs at least one period' });
    return new ShareWindows(periods.map((p) => {
      const from = clockMinutes(p.from, false);
      const to = clockMinutes(p.to);
      if (p.days !== 'workday' && p.days !== 'restday') fail('VALIDATION_FAILED', { reason: 'a sharing period is on days "workday" or "restday"' });
      if (from === null || to === null) fail('VALIDATION_FAILED', { reason: `sharing period ${p.from}–${p.to} is not HH:MM–HH:MM` });
      return { days: p.days, from, to, label: { days: p.days, from: p.from, to: p.to } };
    }));
  }

  /** The periods as declared. */
  toJSON(): SharePeriod[] {
    return this.periods.map((p) => p.label);
  }

  /**
   * The stretch [startMs, endMs) of sharing time that contains instant `t`, adjacent periods joined (a working
   * night running into a weekend is one stretch), or null when `t` is outside every window.
   */
  windowAt(t: number, calendar: WorkCalendar): { startMs: number; endMs: number } | null {
    const spans: [number, number][] = [];
    for (let i = -1; i <= LOOKAHEAD_DAYS; i++) {
      const day = beijingDay(new Date(t + i * DAY_MS));
      const start = dayStartMs(day);
      const kind = calendar.isWorkingDay(day) ? 'workday' : 'restday';
      for (const p of this.periods) {
        if (p.days !== kind) continue;
        const end = p.to > p.from ? start + p.to * MINUTE_MS : start + DAY_MS + p.to * MINUTE_MS;
        spans.push([start + p.from * MINUTE_MS, end]);
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    let cur: [number, number] | null = null;
    for (const s of spans) {
      if (cur && s[0] <= cur[1]) cur[1] = Math.max(cur[1], s[1]);
      else {
        if (cur && cur[0] <= t && t < cur[1]) break;
        cur = [s[0], s[1]];
      }
    }
    return cur && cur[0] <= t && t < cur[1] ? { startMs: cur[0], endMs: cur[1] } : null;
  }
}
