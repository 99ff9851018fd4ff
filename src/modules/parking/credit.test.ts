import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { nextDailyRun } from './credit.ts';

describe('the daily settlement schedule', () => {
  const bj = (iso: string) => Date.parse(`${iso}+08:00`);
  it('runs next at the given Beijing time, today if it is still ahead, else tomorrow', () => {
    expect(nextDailyRun(bj('2026-06-01T01:00:00'), '02:00')).toBe(bj('2026-06-01T02:00:00'));
    expect(nextDailyRun(bj('2026-06-01T02:00:00'), '02:00')).toBe(bj('2026-06-02T02:00:00'));
    expect(nextDailyRun(bj('2026-06-01T23:59:00'), '02:00')).toBe(bj('2026-06-02T02:00:00'));
    // 00:30 in Beijing is still the previous day in UTC: the Beijing day counts.
    expect(nextDailyRun(bj('2026-06-01T00:30:00'), '23:15')).toBe(bj('2026-06-01T23:15:00'));
    expect(() => nextDailyRun(Date.now(), '25:00')).toThrow(/HH:MM/);
  });

  it('is configured as HH:MM or off, and a bad value stops the start with the variable named', () => {
    expect(loadConfig({ env: { XMCITY_PARKING_SETTLE_AT: 'off' } }).parkingSettleAt).toBe('off');
    expect(loadConfig({ env: {} }).parkingSettleAt).toBe('02:00');
    expect(() => loadConfig({ env: { XMCITY_PARKING_SETTLE_AT: '2am' } })).toThrow(/XMCITY_PARKING_SETTLE_AT/);
  });
});
