import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asPerson, testApp } from '../helpers.ts';

let app: FastifyInstance;
let close: () => Promise<void>;
const ENT = 'XM-03-SCJGJ-00001';
const url = (path: string, params: Record<string, string | number> = {}) =>
  `/api/v1/datasets/${ENT}/${path}?${new URLSearchParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])))}`;
const get = async (path: string, params: Record<string, string | number> = {}) => app.inject({ url: url(path, params) });

type Ent = { credit_code: string; district: string; capital: number | null; status: string; established_on: string; name: string };
let all: Ent[];

beforeAll(async () => {
  const t = await testApp({ demo: 'small' });
  close = t.close;
  app = await asPerson(t.app, 'SCJGJ', 'analyst');
  const r = await get('records', { limit: 10000, total: 'exact' });
  all = r.json().items;
  expect(all.length).toBe(r.json().total);
  expect(all.length).toBeGreaterThan(2900);
});
afterAll(async () => close());

describe('records query', () => {
  it.each([
    ["district = '350203'", (e: Ent) => e.district === '350203'],
    ["district in ('350203', '350213') and capital >= 1000", (e: Ent) => ['350203', '350213'].includes(e.district) && (e.capital ?? -1) >= 1000],
    ["status != '存续' or capital < 10", (e: Ent) => e.status !== '存续' || (e.capital !== null && e.capital < 10)],
    ["established_on between '2000-01-01' and '2000-12-31'", (e: Ent) => e.established_on >= '2000-01-01' && e.established_on <= '2000-12-31'],
    ["name ^= '厦门市'", (e: Ent) => e.name.startsWith('厦门市')],
    ["name ~ '物流'", (e: Ent) => e.name.includes('物流')],
    ['capital is null', (e: Ent) => e.capital === null],
    ["not (district = '350203') and status not in ('存续')", (e: Ent) => e.district !== '350203' && e.status !== '存续'],
  ])('filters %s exactly as the data says', async (filter, pred) => {
    const r = await get('records', { filter, limit: 10000, total: 'exact' });
    expect(r.statusCode).toBe(200);
    const want = all.filter(pred).map((e) => e.credit_code).sort();
    expect(r.json().items.map((e: Ent) => e.credit_code).sort()).toEqual(want);
    expect(r.json().total).toBe(want.length);
  });

  it('walks every record once with keyset cursors under a sort with ties and nulls', async () => {
    const seen: string[] = [];
    let cursor = '';
    let prev: Ent | null = null;
    for (let i = 0; i < 1000; i++) {
      const r = await get('records', { sort: 'district,-capital', limit: 250, total: 'none', ...(cursor ? { cursor } : {}) });
      const page: Ent[] = r.json().items;
      for (const e of page) {
        if (prev && prev.district === e.district && prev.capital !== null && e.capital !== null) expect(prev.capital).toBeGreaterThanOrEqual(e.capital);
        if (prev) expect(prev.district <= e.district).toBe(true);
        prev = e;
        seen.push(e.credit_code);
      }
      cursor = r.json().nextCursor;
      if (!cursor) break;
    }
    expect(seen.length).toBe(all.length);
    expect(new Set(seen).size).toBe(all.length);
  });

  it('walks every record once in the table order when no sort is asked for', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 100; i++) {
      const r = (await get('records', { filter: "status != '注销'", limit: 400, total: 'none', ...(cursor ? { cursor } : {}) })).json();
      seen.push(...r.items.map((e: Ent) => e.credit_code));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(all.filter((e) => e.status !== '注销').map((e) => e.credit_code).sort());
  });

  it('finds every key by primary-key equality, alone and with other conditions', async () => {
    for (const e of all.filter((_, i) => i % 60 === 0)) {
      const one = (await get('records', { filter: `credit_code = '${e.credit_code}'`, total: 'exact' })).json();
      expect(one.items.map((x: Ent) => x.credit_code)).toEqual([e.credit_code]);
      const both = (await get('records', { filter: `status = '${e.status}' and credit_code = '${e.credit_code}'` })).json();
      expect(both.items).toHaveLength(1);
      const wrong = (await get('records', { filter: `status = 'none' and credit_code = '${e.credit_code}'` })).json();
      expect(wrong.items).toHaveLength(0);
      // The one-row plan: with a sort, a limit of one and chosen fields, the same row and no next cursor; an
      // offset past it finds nothing.
      const sorted = (await get('records', { filter: `credit_code = '${e.credit_code}'`, sort: '-capital', limit: 1, fields: 'name,credit_code' })).json();
      expect(sorted.items).toEqual([{ name: e.name, credit_code: e.credit_code }]);
      expect(sorted.nextCursor ?? null).toBeNull();
      expect((await get('records', { filter: `credit_code = '${e.credit_code}'`, offset: 1 })).json().items).toEqual([]);
    }
    const quoted = (await get('records', { filter: "credit_code = 'O''Brien'" })).json();
    expect(quoted.items).toEqual([]);
  });

  it('pages with limit and offset up to the cap', async () => {
    const a = (await get('records', { sort: 'credit_code', limit: 5, offset: 10 })).json().items;
    expect(a.map((e: Ent) => e.credit_code)).toEqual(all.map((e) => e.credit_code).sort().slice(10, 15));
    const big = await get('records', { offset: 100_001 });
    expect(big.statusCode).toBe(400);
    expect(big.json().error.code).toBe('OFFSET_TOO_LARGE');
  });

  it('searches text fields and selects fields', async () => {
    const r = await get('records', { q: '物流', fields: 'name,district', limit: 10000 });
    expect(r.json().items.length).toBe(all.filter((e) => e.name.includes('物流')).length);
    expect(Object.keys(r.json().items[0]).sort()).toEqual(['district', 'name']);
  });

  it.each([
    [{ filter: "colour = 'red'" }, 'UNKNOWN_FIELD'],
    [{ filter: "capital >= 'lots'" }, 'BAD_FILTER'],
    [{ filter: "established_on = '2020-13-01'" }, 'BAD_FILTER'],
    [{ filter: "district = '350203' and" }, 'BAD_FILTER'],
    [{ filter: "capital ^= '1'" }, 'BAD_FILTER'],
    [{ filter: 'capital > 1e30' }, 'BAD_FILTER'],
    [{ filter: 'capital in (1, -2e20)' }, 'BAD_FILTER'],
    [{ sort: 'colour' }, 'BAD_SORT'],
    [{ fields: 'name,colour' }, 'UNKNOWN_FIELD'],
    [{ cursor: 'garbage' }, 'BAD_CURSOR'],
    [{ limit: 0 }, 'VALIDATION_FAILED'],
    [{ format: 'xml' }, 'VALIDATION_FAILED'],
  ])('refuses %j with %s', async (params, errCode) => {
    const r = await get('records', params as Record<string, string>);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe(errCode);
  });

  it('refuses forged, altered and plain-text cursors: cursors are sealed', async () => {
    const first = (await get('records', { sort: 'capital', limit: 2 })).json();
    const raw = Buffer.from(first.nextCursor, 'base64url');
    expect(raw.toString('utf8')).not.toContain('capital');
    const flipped = Buffer.from(raw);
    flipped[flipped.length - 1] ^= 1;
    const forged = [
      flipped.toString('base64url'),
      Buffer.from(JSON.stringify({ f: 'x', k: ['lots', 'x'] })).toString('base64url'),
      'not a cursor',
      first.nextCursor.slice(0, 20),
    ];
    for (const cursor of forged) {
      const r = await get('records', { sort: 'capital', limit: 2, cursor });
      expect([r.statusCode, r.json().error?.code]).toEqual([400, 'BAD_CURSOR']);
    }
    const feed = Buffer.from(JSON.stringify({ seq: 1, phase: 'rows', pos: ['x'] })).toString('base64url');
    const ch = await get('changes', { cursor: feed });
    expect([ch.statusCode, ch.json().error?.code]).toEqual([400, 'BAD_CURSOR']);
  });

  it('refuses a cursor made for another query', async () => {
    const first = (await get('records', { sort: 'capital', limit: 2 })).json();
    const r = await get('records', { sort: 'name', limit: 2, cursor: first.nextCursor });
    expect(r.json().error.code).toBe('BAD_CURSOR');
  });

  it('flags an estimated total', async () => {
    const r = (await get('records', { filter: "district = '350203'", total: 'estimate', limit: 1 })).json();
    expect(typeof r.total).toBe('number');
    expect(typeof r.totalExact).toBe('boolean');
  });
});

describe('aggregates', () => {
  it('counts, sums and averages by group, matching the records', async () => {
    const r = await get('aggregate', { groupBy: 'district', metrics: 'count,sum:capital,avg:capital,max:capital,count_distinct:status', sort: '-count' });
    const items = r.json().items as { district: string; count: number; sum_capital: number; max_capital: number }[];
    expect(items.reduce((n, x) => n + x.count, 0)).toBe(all.length);
    const siming = items.find((x) => x.district === '350203')!;
    const rows = all.filter((e) => e.district === '350203');
    expect(siming.count).toBe(rows.length);
    expect(siming.sum_capital).toBeCloseTo(rows.reduce((n, e) => n + (e.capital ?? 0), 0), 2);
    expect(items[0].count).toBeGreaterThanOrEqual(items[items.length - 1].count);
  });

  it('buckets dates by year', async () => {
    const r = await get('aggregate', { groupBy: 'established_on:year', metrics: 'count', filter: "status = '存续'" });
    const items = r.json().items as { established_on: string; count: number }[];
    expect(items[0].established_on).toMatch(/^\d{4}-01-01$/);
    expect(items.reduce((n, x) => n + x.count, 0)).toBe(all.filter((e) => e.status === '存续').length);
  });

  it.each([
    [{ groupBy: 'nope' }, 'BAD_AGGREGATE'],
    [{ groupBy: 'district:month' }, 'BAD_AGGREGATE'],
    [{ metrics: 'sum:name' }, 'BAD_AGGREGATE'],
    [{ metrics: 'median:capital' }, 'BAD_AGGREGATE'],
    [{ metrics: 'count', sort: 'capital' }, 'BAD_AGGREGATE'],
  ])('refuses %j', async (params, errCode) => {
    const r = await get('aggregate', params as Record<string, string>);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe(errCode);
  });
});

describe('exports', () => {
  it('streams CSV with a BOM for Excel, NDJSON and Parquet with the same rows', async () => {
    const filter = "district = '350205'";
    const want = all.filter((e) => e.district === '350205').length;
    const csv = await get('records', { format: 'csv', filter, fields: 'credit_code,name,capital' });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.startsWith('\uFEFF"credit_code","name","capital"\r\n')).toBe(true);
    expect(csv.body.trimEnd().split('\r\n').length).toBe(want + 1);
    const nd = await get('records', { format: 'ndjson', filter });
    const lines = nd.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(want);
    expect(lines[0]).toHaveProperty('credit_code');
    const pq = await get('records', { format: 'parquet', filter });
    expect(pq.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    expect(pq.rawPayload.subarray(-4).toString()).toBe('PAR1');
  });
});

describe('operations', () => {
  it('answers health, readiness, metrics and the OpenAPI document', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready', lake: 'duckdb' });
    const m = await app.inject({ url: '/metrics' });
    expect(m.body).toContain('xmcity_http_request_duration_seconds_bucket');
    expect(m.body).toMatch(/xmcity_ingest_records_total\{dataset="XM-03-SCJGJ-00001",result="valid"\} \d+/);
    expect(m.body).toMatch(/xmcity_lake_bytes \d+/);
    expect(m.body).toMatch(/xmcity_lake_counter\{counter="sort_index_pages_topn"\} \d+/);
    // The small demo's simulated parking lots, each with a current count from its own system.
    expect(m.body).toMatch(/xmcity_parking_lots\{state="open"\} [1-9]/);
    const doc = (await app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toContain('/api/v1/datasets/{code}/records');
  });

  it('answers unknown API routes with the error envelope', async () => {
    const r = await app.inject({ url: '/api/v1/nothing' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('NOT_FOUND');
  });

  it('lists organisations, systems with status, districts and the catalogue with facets', async () => {
    const orgs = (await app.inject({ url: '/api/v1/organisations' })).json().items;
    expect(orgs.filter((o: { kind: string }) => o.kind === 'district').map((o: { adcode: string }) => o.adcode).sort()).toEqual(['350203', '350205', '350206', '350211', '350212', '350213']);
    const systems = (await app.inject({ url: '/api/v1/systems' })).json().items as { code: string; status: string }[];
    expect(systems.find((s) => s.code === 'SCJGJ-CREDIT')?.status).toBe('stale');
    expect(systems.find((s) => s.code === 'SCJGJ-REG')?.status).toBe('connected');
    expect(systems.some((s) => s.status === 'pending')).toBe(true);
    const open = (await app.inject({ url: '/api/v1/datasets?openType=open&limit=100' })).json();
    expect(open.items.every((d: { openType: string }) => d.openType === 'open')).toBe(true);
    const q = (await app.inject({ url: `/api/v1/datasets?q=${encodeURIComponent('企业')}` })).json();
    expect(q.items.map((d: { code: string }) => d.code)).toContain(ENT);
  });
});
