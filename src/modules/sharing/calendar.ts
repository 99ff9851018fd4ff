/** Beijing time has no daylight saving: UTC+8 all year. */
const OFFSET_MS = 8 * 3600_000;

/** The calendar day (YYYY-MM-DD) in Beijing time of an instant. */
export function beijingDay(t: Date): string {
  return new Date(t.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant Beijing's next midnight after `t` falls on. */
export function nextBeijingMidnight(t: Date): Date {
  const d = new Date(`${beijingDay(t)}T00:00:00.000Z`);
  return new Date(d.getTime() + 86400_000 - OFFSET_MS);
}

/**
 * Working days (工作日) for the sharing workflow's clocks: Monday to Friday in Beijing time, with overrides for
 * public holidays (法定节假日) and the weekend days that are worked in exchange (调休上班日), as the State Council
 * publishes them each year. Overrides live in the Store and are loaded into this calendar.
 */
export class WorkCalendar {
  private overrides = new Map<string, 'holiday' | 'workday'>();

  /** Replaces the overrides: day (YYYY-MM-DD) → holiday or workday. */
  setOverrides(days: Iterable<{ day: string; kind: 'holiday' | 'workday' }>): void {
    this.overrides = new Map([...days].map((d) => [d.day, d.kind]));
  }

  /** Whether any override (a holiday or a make-up working day) falls in a year. */
  hasYear(year: number): boolean {
    for (const day of this.overrides.keys()) if (day.startsWith(`${year}-`)) return true;
    return false;
  }

  /** Whether a Beijing calendar day is a working day. */
  isWorkingDay(day: string): boolean {
    const o = this.overrides.get(day);
    if (o) return o === 'workday';
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    return dow !== 0 && dow !== 6;
  }

  /**
   * When a step started at `start` with `n` working days falls due: the end (24:00 Beijing time) of the n-th
   * working day after the day it started.
   */
  dueAfter(start: Date, n: number): Date {
    let day = beijingDay(start);
    let left = n;
    while (left > 0) {
      day = new Date(new Date(`${day}T00:00:00Z`).getTime() + 86400_000).toISOString().slice(0, 10);
      if (this.isWorkingDay(day)) left--;
    }
    return new Date(new Date(`${day}T00:00:00Z`).getTime() + 86400_000 - OFFSET_MS);
  }

  /** Working days from `from` until `due` (negative when overdue), counting whole Beijing days. */
  workingDaysLeft(from: Date, due: Date): number {
    const a = beijingDay(from);
    const b = beijingDay(new Date(due.getTime() - 1));
    if (a === b) return due > from ? 0 : -1;
    const forward = a < b;
    let lo = forward ? a : b;
    const hi = forward ? b : a;
    let n = 0;
    while (lo < hi) {
      lo = new Date(new Date(`${lo}T00:00:00Z`).getTime() + 86400_000).toISOString().slice(0, 10);
      if (this.isWorkingDay(lo)) n++;
    }
    return forward ? n : -n - 1;
  }
}
