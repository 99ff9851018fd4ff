import { describe, expect, it } from 'vitest';
import { OccupancyModel, evaluate, normalCdf, type Observation } from './occupancy-model.ts';

const DAY = 86400_000;
const weekdays = (day: string) => ![0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());

/** A seeded pseudo-random source, so the synthetic history is the same on every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Synthetic history of office-like lots: full in working hours on working days, quiet at night and at weekends,
 * plus a slowly wandering disturbance (an event nearby, a closed road) that persistence sees and the profile does not.
 */
function history(lots: number, days: number, seed = 1): Observation[] {
  const rand = random(seed);
  const out: Observation[] = [];
  const start = Date.UTC(2026, 5, 1) - 8 * 3600_000;
  for (let l = 0; l < lots; l++) {
    const cap = 40 + Math.floor(rand() * 200);
    let drift = 0;
    for (let t = start; t < start + days * DAY; t += 15 * 60_000) {
      const local = new Date(t + 8 * 3600_000);
      const h = local.getUTCHours() + local.getUTCMinutes() / 60;
      const work = weekdays(local.toISOString().slice(0, 10));
      const base = work ? 0.15 + 0.75 * Math.exp(-(((h - 13) / 3.5) ** 2)) : 0.2 + 0.25 * Math.exp(-(((h - 15) / 4) ** 2));
      drift = drift * 0.93 + (rand() - 0.5) * 0.08;
      const y = Math.min(1, Math.max(0, base + drift + (rand() - 0.5) * 0.04));
      out.push({ lotId: `L${l}`, spaceType: 'standard', at: t, capacity: cap, occupied: Math.round(y * cap) });
    }
  }
  return out;
}

describe('the occupancy model', () => {
  it('normalCdf is the standard normal distribution', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 4);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 4);
  });

  it('beats persistence at long horizons and the bare profile at short ones, on held-back days', () => {
    const e = evaluate(history(30, 28), weekdays, { testDays: 7, horizons: [15, 60, 240] });
    const at = (h: number) => e.horizons.find((x) => x.horizonMinutes === h)!;
    expect(e.testObservations).toBeGreaterThan(0);
    expect(at(15).pairs).toBeGreaterThan(1000);
    // A quarter of an hour ahead the present dominates: the model is close to persistence and well ahead of the profile.
    expect(at(15).maeModel).toBeLessThan(at(15).maeProfile * 0.8);
    expect(at(15).maeModel).toBeLessThan(at(15).maePersistence * 1.1);
    // Four hours ahead the day's shape dominates: the model is far ahead of persistence.
    expect(at(240).maeModel).toBeLessThan(at(240).maePersistence * 0.6);
    expect(at(240).maeModel).toBeLessThan(at(240).maeProfile * 1.05);
    expect(at(60).brierFree).toBeLessThan(0.1);
    expect(e.tauMinutes).toBeGreaterThan(0);
  });

  it('predicts from the profile alone when the feed is silent, and widens its doubt with the horizon', () => {
    const m = new OccupancyModel(weekdays);
    for (const o of history(3, 14)) m.add(o);
    const now = Date.UTC(2026, 5, 16, 1); // a Tuesday, 09:00 in Beijing
    const near = m.predict('L0', 'standard', now, 0.2, now + 15 * 60_000);
    const far = m.predict('L0', 'standard', now, 0.2, now + 5 * 3600_000);
    expect(near.sd).toBeLessThan(far.sd);
    const silent = m.predict('L0', 'standard', now, null, now + 15 * 60_000);
    expect(silent.ratio).toBeCloseTo(m.profile('L0', 'standard', now + 15 * 60_000)!.mean, 6);
    // An unknown lot borrows the city's profile.
    expect(m.predict('nowhere', 'standard', now, null, now + 4 * 3600_000).support).toBe(0);
    expect(OccupancyModel.pFree(100, 0, { ratio: 1, sd: 0, support: 10 })).toBeLessThan(0.2);
    expect(OccupancyModel.pFree(100, 0, { ratio: 0.5, sd: 0.05, support: 10 })).toBeGreaterThan(0.999);
    expect(OccupancyModel.pFree(100, 60, { ratio: 0.5, sd: 0.01, support: 10 })).toBeLessThan(0.01);
  });

  it('with only rest days seen so far, predicts a working day from the same hour of the rest days', () => {
    const m = new OccupancyModel(weekdays);
    // Saturday and Sunday 2026-06-06/07: 90 % full at 10:00–11:00 Beijing time, 10 % otherwise.
    for (const day of ['2026-06-06', '2026-06-07']) {
      for (let q = 0; q < 96; q++) {
        const at = Date.parse(`${day}T00:00:00+08:00`) + q * 15 * 60_000;
        for (let k = 0; k < 2; k++) m.add({ lotId: 'L', spaceType: 'standard', at: at + k, capacity: 100, occupied: q >= 40 && q < 44 ? 90 : 10 });
      }
    }
    const monday = Date.parse('2026-06-08T10:15:00+08:00');
    const p = m.predict('L', 'standard', monday - 26 * 3600_000, 0.1, monday);
    expect(p.ratio).toBeGreaterThan(0.8);
  });

  it('keeps τ when the history read holds too few pairs to fit it (one snapshot of a big city)', () => {
    const m = new OccupancyModel(weekdays);
    m.tau = 30;
    const at = Date.UTC(2026, 5, 2, 2);
    const snapshot = Array.from({ length: 6000 }, (_, i) => [{ lotId: `L${i}`, spaceType: 'standard' as const, at, capacity: 50, occupied: 20 }]);
    expect(m.fitTau(snapshot)).toBe(30);
    expect(m.tau).toBe(30);
  });
});
