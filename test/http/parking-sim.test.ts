// The parking simulator against the real HTTP API (through inject): generated lots land inside their districts,
// the history it pushes lands in the occupancy dataset with valid counts, and its live traffic moves the open feed.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistrictMap } from '../../src/modules/parking/sim/district-map.ts';
import { HubClient, type Transport } from '../../src/modules/parking/sim/hub-client.ts';
import { OPERATOR_SYSTEMS } from '../../src/modules/parking/sim/operators.ts';
import { ParkingSimulator } from '../../src/modules/parking/sim/simulator.ts';
import { beijingMidnight } from '../../src/modules/parking/sim/traffic-model.ts';
import { signIn, testApp } from '../helpers.ts';

const LOTS = 40;

type Feature = { id: string; geometry: { coordinates: [number, number] }; properties: { district: string; kind: string; total: number; free: number | null; state: string } };

describe('parking simulator', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let sim: ParkingSimulator;
  let admin: Record<string, string>;
  const map = DistrictMap.load();
  const feed = async (): Promise<Feature[]> => (await app.inject({ url: '/api/v1/parking/lots.geojson' })).json().features;

  beforeAll(async () => {
    const t = await testApp({ demo: 'none' });
    app = t.app;
    close = t.close;
    const { orgs } = app.platform;
    for (const [code, name] of [['DSJJ', '大数据管理局'], ['JTJ', '交通运输局'], ['WJW', '卫生健康委员会']]) {
      await orgs.createOrganisation({ code, name, nameEn: code, kind: 'department', adcode: null });
    }
    await orgs.createSystem({ code: 'JTJ-PARK', orgCode: 'JTJ', name: '智慧停车平台', nameEn: 'Smart parking', cycle: 'realtime' });
    for (const s of OPERATOR_SYSTEMS) await orgs.createSystem(s);
    admin = { cookie: (await signIn(app, 'DSJJ', 'platform_admin')).cookie };
    const transport: Transport = async (r) => {
      const res = await app.inject({ method: r.method, url: r.path, headers: r.headers, payload: r.body });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    };
    sim = new ParkingSimulator(new HubClient(transport), { lots: LOTS, map });
  }, 60_000);
  afterAll(async () => close());

  it('registers generated lots inside their districts, each run by its operator system', async () => {
    expect(await sim.setup(admin)).toEqual({ created: LOTS, existing: 0 });
    const features = await feed();
    expect(features).toHaveLength(LOTS);
    for (const f of features) {
      const [lon, lat] = f.geometry.coordinates;
      expect(map.contains(f.properties.district, lon, lat), `${f.id} at ${lon},${lat} outside ${f.properties.district}`).toBe(true);
      expect(map.districtAt(lon, lat)).toBe(f.properties.district);
    }
    // Denser on the island: 思明 and 湖里 hold more lots than any mainland district.
    const count = (d: string) => features.filter((f) => f.properties.district === d).length;
    expect(count('350203') + count('350206')).toBeGreaterThan(LOTS / 3);
    expect(new Set(features.map((f) => f.properties.kind))).toEqual(new Set(['garage', 'street', 'shared']));
    const lot = (await app.inject({ url: `/api/v1/parking/lots/${sim.lots[0].id}` })).json();
    expect(lot).toMatchObject({ name: sim.lots[0].name, systemCode: sim.lots[0].systemCode, live: { state: 'unknown' } });
    // A second setup finds every lot registered.
    expect(await sim.setup(admin)).toEqual({ created: 0, existing: LOTS });
  });

  it('pushes past days of 15-minute occupancy into the history dataset, once, with 0 ≤ occupied ≤ capacity', async () => {
    const days = 1;
    const r = await sim.pushHistory(days);
    const types = sim.lots.reduce((n, l) => n + Object.values(l.capacity).filter((c) => c > 0).length, 0);
    expect(r).toMatchObject({ records: types * 96 * days, valid: types * 96 * days, invalid: 0, replayed: 0 });
    // Idempotent: the same days again are replayed, not added.
    expect((await sim.pushHistory(days)).replayed).toBe(r.batches);

    const ds = (await app.inject({ url: '/api/v1/parking/datasets' })).json();
    expect(ds.occupancy).toBe(r.dataset);
    const page = await app.inject({ url: `/api/v1/datasets/${r.dataset}/records?limit=10000&total=exact`, headers: admin });
    expect(page.statusCode, page.body).toBe(200);
    const { items, total } = page.json() as { items: { lot_id: string; observed_at: string; space_type: string; capacity: number; occupied: number }[]; total: number };
    expect(total).toBe(types * 96 * days);
    const lots = new Map(sim.lots.map((l) => [l.id, l]));
    const midnight = beijingMidnight(Date.now());
    for (const x of items) {
      const t = Date.parse(x.observed_at);
      expect(t % (15 * 60_000)).toBe(0);
      expect(t).toBeGreaterThanOrEqual(midnight - days * 86400_000);
      expect(t).toBeLessThan(midnight);
      expect(x.capacity).toBe(lots.get(x.lot_id)?.capacity[x.space_type as 'standard']);
      expect(x.occupied).toBeGreaterThanOrEqual(0);
      expect(x.occupied).toBeLessThanOrEqual(x.capacity);
    }
    // The day has a shape: office lots are fuller at 10:00 than at 03:00.
    const officeAt = (hhmm: string) => items.filter((x) => lots.get(x.lot_id)?.use === 'office' && new Date(Date.parse(x.observed_at) + 8 * 3600_000).toISOString().slice(11, 16) === hhmm)
      .reduce((n, x) => n + x.occupied, 0);
    expect(officeAt('10:00')).toBeGreaterThan(officeAt('03:00'));
  }, 60_000);

  it("moves the feed's free counts with live entries and exits pushed by each lot's own system", async () => {
    // A working Wednesday: 03:00, when offices are empty, then ten simulated hours of traffic in two real seconds.
    const night = Date.parse('2026-12-02T03:00:00+08:00');
    await sim.pushSnapshot({ simMs: night });
    const before = await feed();
    expect(before.every((f) => f.properties.state !== 'unknown')).toBe(true);
    const stats = await sim.run({ speed: 300, durationSec: 2, startMs: night, tickMs: 200, pushesPerSecond: 500 });
    expect(stats.errors, stats.lastError ?? '').toBe(0);
    expect(stats.eventPushes).toBeGreaterThan(0);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.simulatedMinutes).toBeGreaterThan(8 * 60);
    const after = await feed();
    const offices = new Set(sim.lots.filter((l) => l.use === 'office').map((l) => l.id));
    const free = (fs: Feature[]) => fs.filter((f) => offices.has(f.id)).reduce((n, f) => n + (f.properties.free ?? 0), 0);
    expect(free(after)).toBeLessThan(free(before) * 0.8);
    // The hub holds exactly what the systems reported: free = total − the simulator's last counts.
    for (const f of after) {
      const counts = sim.lastCounts(f.id) ?? {};
      const occupied = Object.values(counts).reduce((n, c) => n + (c ?? 0), 0);
      expect(f.properties.free, f.id).toBe(f.properties.total - occupied);
    }
  }, 60_000);
});
