import { describe, expect, it } from 'vitest';
import { isTimely, nextDueAt, timelinessByOrg } from './timeliness.ts';
import type { Dataset } from './types.ts';

const at = (iso: string) => new Date(iso);

describe('timeliness (更新及时)', () => {
  it('is due one cycle after the last push, and late only after that', () => {
    const d = { updateCycle: 'daily' as const, createdAt: '2026-01-01T00:00:00.000Z', lastIngestAt: '2026-03-01T00:00:00.000Z' };
    expect(nextDueAt(d)).toBe('2026-03-03T00:00:00.000Z');
    expect(isTimely(d, at('2026-03-03T00:00:00.000Z'))).toBe(true);
    expect(isTimely(d, at('2026-03-03T00:00:00.001Z'))).toBe(false);
  });

  it('gives a dataset never pushed one cycle from its cataloguing before calling it late', () => {
    const d = { updateCycle: 'realtime' as const, createdAt: '2026-03-01T08:00:00.000Z', lastIngestAt: null };
    expect(nextDueAt(d)).toBe('2026-03-01T08:15:00.000Z');
    expect(isTimely(d, at('2026-03-01T08:14:59.000Z'))).toBe(true);
    expect(isTimely(d, at('2026-03-01T08:15:01.000Z'))).toBe(false);
  });

  it('rates each organisation by its timely datasets', () => {
    const mk = (orgCode: string, lastIngestAt: string | null) => ({ orgCode, orgName: orgCode, updateCycle: 'daily', createdAt: '2026-01-01T00:00:00.000Z', lastIngestAt }) as Dataset;
    const rates = timelinessByOrg([mk('B', '2026-03-01T00:00:00.000Z'), mk('A', null), mk('B', '2026-02-01T00:00:00.000Z')], at('2026-03-02T00:00:00.000Z'));
    expect(rates).toEqual([
      { orgCode: 'A', orgName: 'A', datasets: 1, timely: 0, rate: 0 },
      { orgCode: 'B', orgName: 'B', datasets: 2, timely: 1, rate: 0.5 },
    ]);
  });
});
