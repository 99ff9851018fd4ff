import { describe, expect, it } from 'vitest';
import { WorkCalendar, beijingDay, nextBeijingMidnight } from './calendar.ts';

describe('working-day calendar', () => {
  it('counts days in Beijing time, not UTC', () => {
    expect(beijingDay(new Date('2026-11-29T17:00:00Z'))).toBe('2026-11-30');
    expect(nextBeijingMidnight(new Date('2026-11-29T17:00:00Z')).toISOString()).toBe('2026-11-30T16:00:00.000Z');
  });

  it('skips weekends: a request made on Friday has 2 working days until the end of Tuesday', () => {
    const c = new WorkCalendar();
    expect(c.dueAfter(new Date('2026-11-27T02:00:00Z'), 2).toISOString()).toBe('2026-12-01T16:00:00.000Z');
    expect(c.dueAfter(new Date('2026-11-25T02:00:00Z'), 5).toISOString()).toBe('2026-12-02T16:00:00.000Z');
  });

  it('honours holidays and make-up working days', () => {
    const c = new WorkCalendar();
    c.setOverrides([{ day: '2026-10-01', kind: 'holiday' }, { day: '2026-10-02', kind: 'holiday' }, { day: '2026-10-10', kind: 'workday' }]);
    // Wednesday 30 September + 2 working days: 1 and 2 October are holidays, so Monday 5 and Tuesday 6 October.
    expect(c.dueAfter(new Date('2026-09-30T02:00:00Z'), 2).toISOString()).toBe('2026-10-06T16:00:00.000Z');
    expect(c.isWorkingDay('2026-10-10')).toBe(true);
  });

  it('reports working days left, negative once overdue', () => {
    const c = new WorkCalendar();
    const due = c.dueAfter(new Date('2026-11-23T02:00:00Z'), 2); // Monday → end of Wednesday
    expect(c.workingDaysLeft(new Date('2026-11-23T03:00:00Z'), due)).toBe(2);
    expect(c.workingDaysLeft(new Date('2026-11-25T03:00:00Z'), due)).toBe(0);
    expect(c.workingDaysLeft(new Date('2026-11-26T03:00:00Z'), due)).toBeLessThan(0);
  });
});
