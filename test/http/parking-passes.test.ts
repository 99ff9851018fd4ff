// Off-peak sharing passes (错时停车) and credit parking (信用停车) over HTTP, on both Stores: entries refused outside
// the sharing window, overstays charged per started hour, suspension at the third overstay; pay-later charges in
// integer fen on an append-only ledger whose entries always sum to the balance.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { cliActor } from '../../src/modules/access/actor.ts';
import { STORE_BACKENDS, as, signIn, testApp, tokenFor } from '../helpers.ts';

const OP = cliActor('test');
const DAY = 86400_000;

/** The Beijing calendar day `days` after today (YYYY-MM-DD). */
function bjDay(days: number): string {
  return new Date(Date.now() + 8 * 3600_000 + days * DAY).toISOString().slice(0, 10);
}
/** An ISO time in Beijing on a day. */
const at = (day: string, hhmm: string) => `${day}T${hhmm}:00+08:00`;
const iso = (s: string) => new Date(s).toISOString();

/**
 * Sends what a lot's system reports at the moment it happens: the server's clock reads a minute after `t` meanwhile
 * (reports more than a few minutes ahead of the clock, or a week behind it, are refused).
 */
async function happening<T>(t: string | number, send: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'], now: (typeof t === 'number' ? t : Date.parse(t)) + 60_000, shouldAdvanceTime: true });
  try {
    return await send();
  } finally {
    vi.useRealTimers();
  }
}
/** The day `n` days after a day. */
const plus = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

const TARIFF = [
  { from: '08:00', to: '20:00', fenPerHour: 800 },
  { from: '20:00', to: '08:00', fenPerHour: 200 },
];
/** Odd rates, so rounding up once per session matters. */
const ODD_TARIFF = [
  { from: '07:15', to: '21:45', fenPerHour: 137 },
  { from: '21:45', to: '07:15', fenPerHour: 41 },
];

/** The reference price: fen per hour of each Beijing minute, summed, divided by 60 and rounded up once. */
function referenceFen(bands: typeof TARIFF, startMs: number, endMs: number): number {
  const clock = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  let sum = 0;
  for (let m = Math.floor(startMs / 60_000); m < Math.floor(endMs / 60_000); m++) {
    const mod = (m + 480) % 1440;
    const band = bands.find((b) => {
      const f = clock(b.from);
      const t = clock(b.to);
      return f < t ? f <= mod && mod < t : mod >= f || mod < t;
    })!;
    sum += band.fenPerHour;
  }
  return Math.floor((sum + 59) / 60);
}

let lotN = 0;

describe.each(STORE_BACKENDS)('off-peak passes and credit parking on $name', ({ databaseUrl }) => {
  let base: FastifyInstance;
  let close: () => Promise<void>;
  let steward: FastifyInstance;
  let resident: FastifyInstance;
  let parkSystem: FastifyInstance;
  let busSystem: FastifyInstance;

  beforeAll(async () => {
    const t = await testApp({ demo: 'none', databaseUrl, env: { XMCITY_PARKING_CREDIT_ARREARS_LIMIT_FEN: '10000' } });
    base = t.app;
    close = t.close;
    const { orgs } = base.platform;
    for (const [code, name] of [['DSJJ', '大数据管理局'], ['JTJ', '交通运输局']]) {
      await orgs.createOrganisation({ code, name, nameEn: code, kind: 'department', adcode: null });
    }
    await orgs.createSystem({ code: 'JTJ-PARK', orgCode: 'JTJ', name: '智慧停车平台', nameEn: 'Smart parking', cycle: 'realtime' });
    await orgs.createSystem({ code: 'JTJ-BUS', orgCode: 'JTJ', name: '公交调度', nameEn: 'Bus', cycle: 'daily' });
    steward = as(base, { cookie: (await signIn(base, 'JTJ', 'data_steward')).cookie });
    resident = as(base, { cookie: (await signIn(base, 'DSJJ', 'analyst')).cookie });
    parkSystem = as(base, { authorization: `Bearer ${await tokenFor(base, 'JTJ-PARK', ['ingest'])}` });
    busSystem = as(base, { authorization: `Bearer ${await tokenFor(base, 'JTJ-BUS', ['ingest'])}` });
  }, 60_000);
  afterAll(async () => close());

  const newLot = async (kind: string, tariff = TARIFF) => {
    const r = await steward.inject({
      method: 'POST', url: '/api/v1/parking/lots',
      payload: { id: `plot-${++lotN}`, name: `共享停车场${lotN}`, district: '350203', kind, operator: '厦门某医院', lon: 118.09, lat: 24.48, capacity: { standard: 20 }, reservablePercent: 0, tariff, systemCode: 'JTJ-PARK' },
    });
    expect(r.statusCode, r.body).toBe(201);
    return (r.json() as { id: string }).id;
  };
  const post = (app: FastifyInstance, url: string, payload: unknown) => app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object });

  describe('off-peak sharing (错时停车)', () => {
    const PERIODS = [{ days: 'workday', from: '18:30', to: '07:30' }, { days: 'restday', from: '00:00', to: '24:00' }];
    let lotId: string;
    let windowId: string;
    // A Wednesday at least two days ahead, and the days after it.
    let W = bjDay(2);
    while (new Date(`${W}T00:00:00Z`).getUTCDay() !== 3) W = plus(W, 1);
    const [THU, FRI, MON, TUE] = [plus(W, 1), plus(W, 2), plus(W, 5), plus(W, 6)];

    beforeAll(async () => {
      // Next week's Wednesday is a public holiday, the Sunday after it a make-up working day (调休上班).
      base.platform.sharing.calendar.setOverrides([{ day: plus(W, 7), kind: 'holiday' }, { day: plus(W, 11), kind: 'workday' }]);
      lotId = await newLot('shared');
      const r = await post(steward, `/parking/lots/${lotId}/share-windows`, { name: '夜间及节假日', periods: PERIODS, priceFen: 15000, overstayFenPerHour: 500 });
      expect(r.statusCode, r.body).toBe(201);
      windowId = (r.json() as { id: string }).id;
    });

    it('declares windows only on shared lots, by the transport department', async () => {
      const garage = await newLot('garage');
      const r = await post(steward, `/parking/lots/${garage}/share-windows`, { name: 'x', periods: PERIODS, priceFen: 100, overstayFenPerHour: 100 });
      expect(r.statusCode).toBe(400);
      expect((r.json() as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
      const denied = await post(resident, `/parking/lots/${lotId}/share-windows`, { name: 'x', periods: PERIODS, priceFen: 100, overstayFenPerHour: 100 });
      expect(denied.statusCode).toBe(403);
      const list = (await base.inject({ url: `/api/v1/parking/lots/${lotId}/share-windows` })).json() as { items: { priceFen: number; periods: unknown }[] };
      expect(list.items).toEqual([expect.objectContaining({ priceFen: 15000, overstayFenPerHour: 500, periods: PERIODS })]);
    });

    it('refuses entry outside the window, charges each started hour of overstay and suspends the pass at the third overstay in 30 days', async () => {
      const buy = await post(resident, '/parking/passes', { windowId, plate: '闽D10001' });
      expect(buy.statusCode, buy.body).toBe(201);
      const pass = buy.json() as { id: string; priceFen: number; state: string };
      expect(pass).toMatchObject({ priceFen: 15000, state: 'active' });
      const enter = (plate: string, t: string, app = parkSystem) => happening(t, () => post(app, `/parking/lots/${lotId}/pass-entries`, { plate, at: t }));
      const exit = (plate: string, t: string) => happening(t, () => post(parkSystem, `/parking/lots/${lotId}/pass-exits`, { plate, at: t }));

      const midday = await enter('闽D10001', at(W, '12:00'));
      expect(midday.statusCode).toBe(409);
      expect((midday.json() as { error: { code: string } }).error.code).toBe('PASS_OUTSIDE_WINDOW');
      expect((await enter('闽D99999', at(W, '19:00'))).statusCode).toBe(404);
      expect((await enter('闽D10001', at(W, '19:00'), busSystem)).statusCode).toBe(403);

      const e1 = await enter('闽D10001', at(W, '19:00'));
      expect(e1.statusCode, e1.body).toBe(201);
      expect((e1.json() as { windowEndsAt: string }).windowEndsAt).toBe(iso(at(THU, '07:30')));
      expect((await enter('闽D10001', at(W, '19:30'))).statusCode).toBe(409);
      expect((await exit('闽D10001', at(THU, '07:00'))).json()).toMatchObject({ overstayFen: 0, passState: 'active' });

      // 40 minutes over: one started hour.
      await enter('闽D10001', at(THU, '20:00'));
      expect((await exit('闽D10001', at(FRI, '08:10'))).json()).toMatchObject({ overstayMinutes: 40, overstayHours: 1, overstayFen: 500, overstaysIn30Days: 1, passState: 'active' });

      // Friday night runs into the weekend: one stretch until Monday 00:00; 2 h 1 min over is three started hours.
      const e3 = await enter('闽D10001', at(FRI, '19:00'));
      expect((e3.json() as { windowEndsAt: string }).windowEndsAt).toBe(iso(at(MON, '00:00')));
      expect((await exit('闽D10001', at(MON, '02:01'))).json()).toMatchObject({ overstayHours: 3, overstayFen: 1500, overstaysIn30Days: 2, passState: 'active' });

      await enter('闽D10001', at(MON, '18:40'));
      expect((await exit('闽D10001', at(TUE, '07:31'))).json()).toMatchObject({ overstayMinutes: 1, overstayFen: 500, overstaysIn30Days: 3, passState: 'suspended' });

      const refused = await enter('闽D10001', at(TUE, '19:00'));
      expect(refused.statusCode).toBe(409);
      expect((refused.json() as { error: { code: string } }).error.code).toBe('PASS_SUSPENDED');
      expect((await resident.inject({ url: `/api/v1/parking/passes/${pass.id}` })).json()).toMatchObject({ state: 'suspended', overstaysIn30Days: 3 });
      const fees = await base.platform.store.db.selectFrom('parking_pass_visits').select('overstay_fen').where('pass_id', '=', pass.id).orderBy('entered_at').execute();
      expect(fees.map((f) => Number(f.overstay_fen))).toEqual([0, 500, 1500, 500]);
    });

    it('follows the work calendar: a public holiday is shared all day, a make-up working day is not', async () => {
      await post(resident, '/parking/passes', { windowId, plate: '闽D10002' });
      const report = (kind: 'entries' | 'exits', t: string) => happening(t, () => post(parkSystem, `/parking/lots/${lotId}/pass-${kind}`, { plate: '闽D10002', at: t }));
      const holiday = await report('entries', at(plus(W, 7), '12:00'));
      expect(holiday.statusCode, holiday.body).toBe(201);
      // Tuesday night joins the holiday: the stretch ends at Thursday 00:00.
      expect((holiday.json() as { windowEndsAt: string }).windowEndsAt).toBe(iso(at(plus(W, 8), '00:00')));
      expect((await report('exits', at(plus(W, 7), '23:00'))).json()).toMatchObject({ overstayFen: 0 });
      const makeUp = await report('entries', at(plus(W, 11), '12:00'));
      expect((makeUp.json() as { error: { code: string } }).error.code).toBe('PASS_OUTSIDE_WINDOW');
      expect((await report('entries', at(plus(W, 10), '12:00'))).statusCode).toBe(201);
    });
  });

  describe('credit parking (信用停车)', () => {
    let lotId: string;
    let oddLot: string;
    const checkIn = (plate: string, t: string, lot = lotId) => happening(t, () => post(parkSystem, `/parking/lots/${lot}/credit-check-in`, { plate, at: t }));
    const checkOut = (plate: string, t: string, lot = lotId) => happening(t, () => post(parkSystem, `/parking/lots/${lot}/credit-check-out`, { plate, at: t }));
    const account = async (plate: string) =>
      (await steward.inject({ url: `/api/v1/parking/credit/accounts/${encodeURIComponent(plate)}` })).json() as {
        state: string; balanceFen: number; ledgerSumFen: number; entries: { kind: string; amountFen: number; settlementId: string | null }[];
      };

    beforeAll(async () => {
      lotId = await newLot('garage');
      oddLot = await newLot('street', ODD_TARIFF);
      const scores = [{ plate: '闽D20001', score: 700 }, { plate: '闽D20002', score: 600 }, { plate: '闽D20003', score: 650 }];
      for (let i = 0; i < 6; i++) scores.push({ plate: `闽D3000${i}`, score: 800 });
      expect((await resident.inject({ method: 'PUT', url: '/api/v1/parking/credit/scores', payload: { scores } })).statusCode).toBe(403);
      const r = await steward.inject({ method: 'PUT', url: '/api/v1/parking/credit/scores', payload: { scores } });
      expect(r.statusCode, r.body).toBe(200);
    });

    it('refuses pay-later below the score threshold and accepts it at the threshold', async () => {
      const low = await checkIn('闽D20002', at(bjDay(-20), '09:00'));
      expect(low.statusCode).toBe(403);
      expect((low.json() as { error: { code: string } }).error.code).toBe('CREDIT_REFUSED');
      expect((await checkIn('闽D29999', at(bjDay(-20), '09:00'))).statusCode).toBe(403);
      expect((await checkIn('闽D20003', at(bjDay(-20), '09:00'))).statusCode).toBe(201);
      expect((await checkOut('闽D20003', at(bjDay(-20), '10:00'))).json()).toMatchObject({ chargeFen: 800, balanceFen: 800 });
    });

    it('charges the tariff in exact fen, suspends over the arrears limit and reinstates after settlement', async () => {
      const d = bjDay(-10);
      await checkIn('闽D20001', at(d, '09:00'));
      expect((await checkOut('闽D20001', at(d, '11:30'))).json()).toMatchObject({ chargeFen: 2000, balanceFen: 2000, state: 'active' });
      await checkIn('闽D20001', at(d, '19:00'));
      // 1 h at 800, 12 h at 200, 1 h at 800.
      expect((await checkOut('闽D20001', at(plus(d, 1), '09:00'))).json()).toMatchObject({ chargeFen: 4000, balanceFen: 6000, state: 'active' });
      await checkIn('闽D20001', at(plus(d, 1), '10:00'));
      expect((await checkOut('闽D20001', at(plus(d, 1), '18:00'))).json()).toMatchObject({ chargeFen: 6400, balanceFen: 12400, state: 'suspended' });
      const refused = await checkIn('闽D20001', at(plus(d, 2), '09:00'));
      expect(refused.statusCode).toBe(409);
      expect((refused.json() as { error: { code: string } }).error.code).toBe('CREDIT_SUSPENDED');

      // A run up to a cutoff settles only the charges recorded by then.
      const partial = await post(steward, '/parking/credit/settlements', { at: at(d, '12:00') });
      expect(partial.statusCode, partial.body).toBe(200);
      expect((partial.json() as { settlements: { plate: string; amountFen: number }[] }).settlements.find((s) => s.plate === '闽D20001')).toMatchObject({ amountFen: 2000, entries: 1 });
      expect(await account('闽D20001')).toMatchObject({ balanceFen: 10400, ledgerSumFen: 10400, state: 'suspended' });

      expect((await post(resident, '/parking/credit/settlements', {})).statusCode).toBe(403);
      const run = (await post(steward, '/parking/credit/settlements', {})).json() as { settlements: { plate: string; amountFen: number; entries: number }[] };
      expect(run.settlements.find((s) => s.plate === '闽D20001')).toMatchObject({ amountFen: 10400, entries: 2 });
      const a = await account('闽D20001');
      expect(a).toMatchObject({ balanceFen: 0, ledgerSumFen: 0, state: 'active' });
      expect(a.entries.map((e) => e.amountFen).sort((x, y) => x - y)).toEqual([-10400, -2000, 2000, 4000, 6400]);
      // A second run finds nothing left to settle.
      const again = (await post(steward, '/parking/credit/settlements', {})).json() as { settlements: { plate: string }[] };
      expect(again.settlements.some((s) => s.plate === '闽D20001')).toBe(false);
      expect((await checkIn('闽D20001', at(plus(d, 2), '09:00'))).statusCode).toBe(201);
    });

    it('re-opens a settlement whose collection was returned, once, as arrears the next run collects', async () => {
      // The run of the test before settled its one charge of 800 fen.
      await post(steward, '/parking/credit/settlements', {});
      const before = await account('闽D20003');
      expect(before).toMatchObject({ balanceFen: 0, ledgerSumFen: 0 });
      const st = before.entries.find((e) => e.kind === 'settlement')!;
      expect(st.amountFen).toBe(-800);
      expect((await post(resident, `/parking/credit/settlements/${st.settlementId!}/returned`, { reason: '余额不足' })).statusCode).toBe(403);
      const r = await post(steward, `/parking/credit/settlements/${st.settlementId!}/returned`, { reason: '余额不足' });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ plate: '闽D20003', returnedFen: 800, balanceFen: 800, state: 'active' });
      const again = await post(steward, `/parking/credit/settlements/${st.settlementId!}/returned`, { reason: '重复上报' });
      expect([again.statusCode, again.json().error.code]).toEqual([409, 'SETTLEMENT_RETURNED']);
      expect((await post(steward, '/parking/credit/settlements/st-nope/returned', { reason: 'x' })).statusCode).toBe(404);
      expect(await account('闽D20003')).toMatchObject({ balanceFen: 800, ledgerSumFen: 800 });
      const next = (await post(steward, '/parking/credit/settlements', {})).json() as { settlements: { plate: string; amountFen: number; entries: number }[] };
      expect(next.settlements.find((s) => s.plate === '闽D20003')).toMatchObject({ amountFen: 800, entries: 1 });
      const a = await account('闽D20003');
      expect(a).toMatchObject({ balanceFen: 0, ledgerSumFen: 0 });
      expect(a.entries.map((e) => e.kind).sort()).toEqual(['charge', 'returned', 'settlement', 'settlement']);
    });

    it('keeps the ledger exact over a few hundred random sessions: entries sum to the balance, charges match the tariff, each charge settles once', async () => {
      const credit = base.platform.parkingCredit;
      const plates = Array.from({ length: 6 }, (_, i) => `闽D3000${i}`);
      const lots = [{ id: lotId, bands: TARIFF }, { id: oddLot, bands: ODD_TARIFF }];
      let seed = databaseUrl ? 7 : 3;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return Math.floor(seed / 65536) % n;
      };
      const expected = new Map(plates.map((p) => [p, 0]));
      const clock = new Map(plates.map((p) => [p, Math.floor((Date.now() - 90 * DAY) / 60_000) * 60_000]));
      let suspensions = 0;
      for (let i = 0; i < 300; i++) {
        const plate = plates[rand(plates.length)];
        const lot = lots[rand(lots.length)];
        const start = clock.get(plate)! + rand(600) * 60_000;
        const end = start + (1 + rand(1500)) * 60_000;
        clock.set(plate, end);
        try {
          await happening(start, () => credit.checkIn(OP, lot.id, { plate, at: new Date(start).toISOString() }));
        } catch (e) {
          expect(e instanceof AppError && e.code).toBe('CREDIT_SUSPENDED');
          suspensions++;
          await credit.settle(new Date(start));
          await happening(start, () => credit.checkIn(OP, lot.id, { plate, at: new Date(start).toISOString() }));
        }
        const out = await happening(end, () => credit.checkOut(OP, lot.id, { plate, at: new Date(end).toISOString() }));
        const fen = referenceFen(lot.bands, start, end);
        expect(out.chargeFen).toBe(fen);
        expected.set(plate, expected.get(plate)! + fen);
        if (rand(10) === 0) await credit.settle(new Date(end - rand(3) * DAY));
        const acc = await credit.account(OP, plate);
        expect(Number.isSafeInteger(acc.balanceFen)).toBe(true);
        expect(acc.ledgerSumFen).toBe(acc.balanceFen);
        expect(acc.state).toBe(acc.balanceFen > 10000 ? 'suspended' : 'active');
      }
      expect(suspensions).toBeGreaterThan(0);
      await credit.settle(new Date());
      const db = base.platform.store.db;
      for (const plate of plates) {
        const rows = await db.selectFrom('parking_credit_ledger').select(['id', 'kind', 'amount_fen']).where('plate', '=', plate).execute();
        const charges = rows.filter((r) => r.kind === 'charge');
        const sum = (rs: typeof rows) => rs.reduce((s, r) => s + Number(r.amount_fen), 0);
        expect(rows.every((r) => Number.isSafeInteger(Number(r.amount_fen)))).toBe(true);
        expect(sum(charges)).toBe(expected.get(plate));
        expect(sum(rows.filter((r) => r.kind === 'settlement'))).toBe(0 - expected.get(plate)!);
        const settled = await db.selectFrom('parking_credit_settled').select('entry_id').where('entry_id', 'in', charges.map((c) => c.id)).execute();
        expect(new Set(settled.map((s) => s.entry_id)).size).toBe(charges.length);
        expect(settled.length).toBe(charges.length);
        expect(await credit.account(OP, plate)).toMatchObject({ balanceFen: 0, ledgerSumFen: 0, state: 'active' });
      }
    }, 120_000);
  });

  describe('races and bad reports', () => {
    let shared: string;
    let garage: string;
    const codeOf = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? 'ok' : r.reason instanceof AppError ? r.reason.code : String(r.reason));
    const tally = (rs: PromiseSettledResult<unknown>[]) => rs.map(codeOf).reduce<Record<string, number>>((m, c) => ({ ...m, [c]: (m[c] ?? 0) + 1 }), {});

    beforeAll(async () => {
      shared = await newLot('shared');
      garage = await newLot('garage');
      await base.platform.parkingCredit.putScores(OP, Array.from({ length: 5 }, (_, i) => ({ plate: `闽D4000${i}`, score: 900 })));
    });

    it('lets the database keep one of many concurrent entries of a car, on a pass and on credit', async () => {
      const { parkingPasses: passes, parkingCredit: credit, store } = base.platform;
      const w = await passes.createWindow(OP, shared, { name: '全天', periods: [{ days: 'workday', from: '00:00', to: '24:00' }, { days: 'restday', from: '00:00', to: '24:00' }], priceFen: 100, overstayFenPerHour: 100 });
      await passes.buy(OP, { windowId: w.id, plate: '闽D40001' });
      const entries = await Promise.allSettled(Array.from({ length: 20 }, () => passes.enter(OP, shared, { plate: '闽D40001' })));
      expect(tally(entries)).toEqual({ ok: 1, PARKING_SESSION_STATE: 19 });
      const open = await store.db.selectFrom('parking_pass_visits').select('id').where('plate', '=', '闽D40001').where('exited_at', 'is', null).execute();
      expect(open.length).toBe(1);

      const checkIns = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => credit.checkIn(OP, i % 2 ? garage : shared, { plate: '闽D40002' })));
      expect(tally(checkIns)).toEqual({ ok: 1, PARKING_SESSION_STATE: 19 });
      const sessions = await store.db.selectFrom('parking_credit_sessions').select('id').where('plate', '=', '闽D40002').where('exited_at', 'is', null).execute();
      expect(sessions.length).toBe(1);
    });

    it('lets a car in on whichever of its passes at the lot has its window open, and bars it there while one is suspended', async () => {
      const passes = base.platform.parkingPasses;
      const ALL_DAY = [{ days: 'workday' as const, from: '00:00', to: '24:00' }, { days: 'restday' as const, from: '00:00', to: '24:00' }];
      const brief = await passes.createWindow(OP, shared, { name: '凌晨一分钟', periods: [{ days: 'workday', from: '03:00', to: '03:01' }, { days: 'restday', from: '03:00', to: '03:01' }], priceFen: 1, overstayFenPerHour: 1 });
      const allDay = await passes.createWindow(OP, shared, { name: '全日', periods: ALL_DAY, priceFen: 1, overstayFenPerHour: 1 });
      const a = await passes.buy(OP, { windowId: brief.id, plate: '闽D40005' });
      const b = await passes.buy(OP, { windowId: allDay.id, plate: '闽D40005' });
      const e = await passes.enter(OP, shared, { plate: '闽D40005' });
      expect([a.id, b.id]).toContain(e.passId);
      await passes.exit(OP, shared, { plate: '闽D40005' });
      await base.platform.store.db.updateTable('parking_passes').set({ state: 'suspended' }).where('id', '=', a.id).execute();
      await expect(passes.enter(OP, shared, { plate: '闽D40005' })).rejects.toMatchObject({ code: 'PASS_SUSPENDED' });
    });

    it('settles each charge once when settlement runs race, and answers every run', async () => {
      const credit = base.platform.parkingCredit;
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now() - (3 - i) * 3 * 3600_000;
        await happening(t0, () => credit.checkIn(OP, garage, { plate: '闽D40003', at: new Date(t0).toISOString() }));
        await happening(t0 + 3600_000, () => credit.checkOut(OP, garage, { plate: '闽D40003', at: new Date(t0 + 3600_000).toISOString() }));
      }
      const before = await credit.account(OP, '闽D40003');
      expect(before.balanceFen).toBeGreaterThan(0);
      const runs = await Promise.allSettled(Array.from({ length: 4 }, () => credit.settle()));
      expect(tally(runs)).toEqual({ ok: 4 });
      const settled = runs.flatMap((r) => (r.status === 'fulfilled' ? r.value.settlements.filter((s) => s.plate === '闽D40003') : []));
      expect(settled.reduce((n, s) => n + s.amountFen, 0)).toBe(before.balanceFen);
      expect(settled.reduce((n, s) => n + s.entries, 0)).toBe(3);
      expect(await credit.account(OP, '闽D40003')).toMatchObject({ balanceFen: 0, ledgerSumFen: 0 });
    });

    it("sells a window's passes up to its places, once per car, and none to a car whose pass there is suspended", async () => {
      const passes = base.platform.parkingPasses;
      const w = await passes.createWindow(OP, shared, { name: '夜间', periods: [{ days: 'workday', from: '19:00', to: '07:00' }], priceFen: 9000, overstayFenPerHour: 300, places: 3 });
      expect(w.places).toBe(3);
      const buys = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => passes.buy(OP, { windowId: w.id, plate: `闽E5000${i}` })));
      expect(tally(buys)).toEqual({ ok: 3, PASSES_SOLD_OUT: 7 });
      const mine = buys.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ plate: string }>;
      await expect(passes.buy(OP, { windowId: w.id, plate: mine.value.plate })).rejects.toMatchObject({ code: 'PASS_EXISTS' });
      // A pass starting after the sold ones end is for sale again.
      const later = new Date(Date.now() + 31 * DAY).toISOString();
      expect((await passes.buy(OP, { windowId: w.id, plate: '闽E50009', validFrom: later })).state).toBe('active');

      const other = await passes.createWindow(OP, shared, { name: '周末', periods: [{ days: 'restday', from: '00:00', to: '24:00' }], priceFen: 100, overstayFenPerHour: 100 });
      await base.platform.store.db.updateTable('parking_passes').set({ state: 'suspended' }).where('plate', '=', mine.value.plate).execute();
      await expect(passes.buy(OP, { windowId: other.id, plate: mine.value.plate })).rejects.toMatchObject({ code: 'PASS_SUSPENDED' });
      const tooMany = await post(steward, `/parking/lots/${shared}/share-windows`, { name: 'x', periods: [{ days: 'workday', from: '19:00', to: '07:00' }], priceFen: 1, overstayFenPerHour: 1, places: 21 });
      expect(tooMany.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('20 places') } });
    });

    it('refuses reports dated far from now, unreadable times and plates that are not plates, with a 400 that says why', async () => {
      const bad = async (url: string, payload: object, app = parkSystem) => {
        const r = await post(app, url, payload);
        expect(r.statusCode, r.body).toBe(400);
        return (r.json() as { error: { code: string; message: string } }).error;
      };
      expect((await bad(`/parking/lots/${garage}/credit-check-in`, { plate: '闽D40004', at: '2099-01-01T00:00:00Z' })).message).toContain('in the future');
      expect((await bad(`/parking/lots/${garage}/credit-check-in`, { plate: '闽D40004', at: '2020-01-01T00:00:00+08:00' })).message).toContain('days ago');
      expect((await bad(`/parking/lots/${garage}/credit-check-in`, { plate: '闽D40004', at: 'Tue, 1 Dec 2026 10:00:00 GMT' })).message).toContain('ISO 8601');
      expect((await bad(`/parking/lots/${garage}/credit-check-in`, { plate: '\u202e闽D40004' })).message).toContain('\\u202e');
      expect((await bad(`/parking/lots/${garage}/credit-check-in`, { plate: '闽D4000' })).message).toContain('number plate');
      const w = (await passes()).items[0] as { id: string };
      expect((await bad('/parking/passes', { windowId: w.id, plate: '闽D40004', validFrom: '+275760-09-13T00:00:00Z' }, resident)).message).toContain('ISO 8601');
      expect((await bad('/parking/passes', { windowId: w.id, plate: '闽D40004', validFrom: '1900-01-01T00:00:00Z' }, resident)).message).toContain('validFrom');
      // Typed as people type them, plates are stored in one form; a time without an offset is Beijing time.
      const t = new Date(Date.now() - 3600_000 + 8 * 3600_000).toISOString().slice(0, 16);
      const r = await post(parkSystem, `/parking/lots/${garage}/credit-check-in`, { plate: '闽ｄ·４０００４', at: t });
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json()).toMatchObject({ plate: '闽D40004', enteredAt: new Date(`${t}:00+08:00`).toISOString() });
      const account = await steward.inject({ url: `/api/v1/parking/credit/accounts/${encodeURIComponent('闽D49999')}` });
      expect(account.statusCode).toBe(404);
      expect(account.json().error.code).toBe('CREDIT_ACCOUNT_NOT_FOUND');
    });
    const passes = async () => (await base.inject({ url: `/api/v1/parking/lots/${shared}/share-windows` })).json() as { items: unknown[] };
  });
});
