// Sorted paging with declared sort indexes, through HTTP: a steward declares them; sorted pages, cursors and CKAN
// datastore_search answer exactly what they answer without the index — for the owner and for a consumer whose grant
// masks fields and narrows rows — and masked fields stay unusable for sorting even when indexed.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbLake } from '../../src/lake/duckdb-lake.ts';
import { cliActor } from '../../src/modules/access/actor.ts';
import { resourceId } from '../../src/modules/ckan/ids.ts';
import { as, signIn, testApp } from '../helpers.ts';

const OP = cliActor('test');
const N = 900;
const DISTRICTS = ['350203', '350205', '350206', '350211'];
const FIELDS = [
  { name: 'id', label: '编号', type: 'integer', primaryKey: true, sensitivity: 'public' },
  { name: 'code', label: '登记号', type: 'string', sensitivity: 'public' },
  { name: 'name', label: '姓名', type: 'string', sensitivity: 'sensitive' },
  { name: 'district', label: '所属区', type: 'string', sensitivity: 'public' },
  { name: 'score', label: '评分', type: 'integer', sensitivity: 'internal' },
];
const row = (id: number) => [id, `R${String((id * 7919) % 100_000).padStart(5, '0')}`, `姓名${id}`, DISTRICTS[id % 4], id % 37 === 0 ? '' : String(id % 50)].join(',');
const csv = (ids: number[]) => `id,code,name,district,score\n${ids.map(row).join('\n')}\n`;

let app: FastifyInstance;
let close: () => Promise<void>;
let steward: FastifyInstance;
let consumer: FastifyInstance;
let shared = '';
let open = '';

const lake = () => app.platform.lake as DuckDbLake;

async function declare(code: string, fields: string[]) {
  const r = await steward.inject({ method: 'PUT', url: `/api/v1/datasets/${code}/sort-indexes`, payload: { fields } });
  expect(r.statusCode).toBe(200);
  // Built in the background: wait until every declared index is ready.
  for (let i = 0; i < 200; i++) {
    const s = await steward.inject({ url: `/api/v1/datasets/${code}/sort-indexes` });
    const items = s.json().items as { field: string; status: string }[];
    if (items.length === fields.length && items.every((x) => x.status === 'ready')) return items;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('sort indexes not ready');
}

async function ingest(code: string, mode: 'append' | 'upsert' | 'delete', body: string) {
  await app.platform.ingest.ingest({ actor: OP, dataset: code, format: 'csv', mode, body: Readable.from([body]), idempotencyKey: null, source: 'test' });
}

/** Pages a reader gets: offsets, then a keyset walk following nextCursor, per sort. */
async function pages(reader: FastifyInstance, code: string, sort: string, filter?: string) {
  const out: unknown[] = [];
  const q = (extra: Record<string, string | number>) => new URLSearchParams(Object.entries({ sort, limit: 23, ...(filter ? { filter } : {}), ...extra }).map(([k, v]): [string, string] => [k, String(v)]));
  for (const offset of [0, 1, 22, 23, 400, 640, 880]) {
    const r = await reader.inject({ url: `/api/v1/datasets/${code}/records?${q({ offset, total: 'exact' })}` });
    expect(r.statusCode).toBe(200);
    out.push(r.json().items, r.json().total);
  }
  let cursor: string | null = null;
  for (let i = 0; i < 12; i++) {
    const r = await reader.inject({ url: `/api/v1/datasets/${code}/records?${q(cursor ? { cursor } : { offset: 300 })}` });
    expect(r.statusCode).toBe(200);
    const page = r.json() as { items: unknown[]; nextCursor: string | null };
    out.push(page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/** The same pages with the dataset's sort indexes and without; the index must have answered. */
async function sameWithAndWithout(code: string, fields: string[], readers: [FastifyInstance, string, string?][]) {
  await declare(code, fields);
  const before = lake().sortIndexPages;
  const indexed = [];
  for (const [reader, sort, filter] of readers) indexed.push(await pages(reader, code, sort, filter));
  const after = lake().sortIndexPages;
  expect(after.topN + after.position).toBeGreaterThan(before.topN + before.position);
  await declare(code, []);
  const plain = [];
  for (const [reader, sort, filter] of readers) plain.push(await pages(reader, code, sort, filter));
  expect(lake().sortIndexPages).toEqual(after);
  expect(indexed).toEqual(plain);
}

beforeAll(async () => {
  const t = await testApp({ demo: 'small' });
  app = t.app;
  close = t.close;
  const p = app.platform;
  const ids = Array.from({ length: N }, (_, i) => i + 1);
  shared = (await p.catalogue.create(OP, {
    name: '排序索引测试', summary: 'sorted paging', category: '08', orgCode: 'KJJ', systemCode: 'KJJ-HTE', updateCycle: 'daily', shareType: 'conditional', openType: 'closed', fields: FIELDS as never,
  })).code;
  open = (await p.catalogue.create(OP, {
    name: '排序索引开放测试', summary: 'sorted paging (open)', category: '08', orgCode: 'KJJ', systemCode: 'KJJ-HTE', updateCycle: 'daily', shareType: 'unconditional', openType: 'open', fields: FIELDS as never,
  })).code;
  for (const code of [shared, open]) await ingest(code, 'append', csv(ids));
  steward = as(app, { cookie: (await signIn(app, 'KJJ', 'data_steward')).cookie });
  consumer = as(app, { cookie: (await signIn(app, 'JTJ', 'analyst')).cookie });
  const admin = as(app, { cookie: (await signIn(app, 'DSJJ', 'platform_admin')).cookie });
  const c = await consumer.inject({
    method: 'POST', url: '/api/v1/share-requests',
    payload: { dataset: shared, consumerSystem: 'JTJ-PARK', purpose: '排序索引测试用途', fields: ['id', 'code', 'name', 'district', 'score'], rowScope: "district = '350205'", durationDays: 30 },
  });
  expect((await admin.inject({ method: 'POST', url: `/api/v1/share-requests/${c.json().id}/check`, payload: { approve: true } })).statusCode).toBe(200);
  const decided = await steward.inject({
    method: 'POST', url: `/api/v1/share-requests/${c.json().id}/decide`,
    payload: { approve: true, masks: { name: 'partial', id: 'hash' }, rowsPerDay: 1_000_000, requestsPerMinute: 100_000 },
  });
  expect(decided.json().status).toBe('granted');
});
afterAll(async () => close());

describe('sorted paging with sort indexes', () => {
  it('declares sort indexes as a steward; refuses unknown fields and outsiders', async () => {
    const items = await declare(shared, ['score', 'code']);
    expect(items.map((x) => x.field).sort()).toEqual(['code', 'score']);
    expect((await steward.inject({ method: 'PUT', url: `/api/v1/datasets/${shared}/sort-indexes`, payload: { fields: ['nope'] } })).json().error.code).toBe('UNKNOWN_FIELD');
    expect((await consumer.inject({ method: 'PUT', url: `/api/v1/datasets/${shared}/sort-indexes`, payload: { fields: ['score'] } })).statusCode).toBe(403);
    const ds = await steward.inject({ url: `/api/v1/datasets/${shared}` });
    expect(ds.json().fields.filter((f: { sortIndex?: boolean }) => f.sortIndex).map((f: { name: string }) => f.name).sort()).toEqual(['code', 'score']);
  });

  it('gives the owner and a scoped, masked consumer the same pages and cursors as without the index', async () => {
    await sameWithAndWithout(shared, ['score', 'code'], [
      [steward, 'score'], [steward, '-score'], [steward, 'code'], [steward, 'score', "district = '350203'"],
      [consumer, 'score'], [consumer, '-score,code'], [consumer, 'code', 'score >= 10'],
    ]);
  });

  it('stays exact after appends, upserts and deletions', async () => {
    await declare(shared, ['score', 'code']);
    await ingest(shared, 'append', csv(Array.from({ length: 40 }, (_, i) => 5000 + i)));
    await ingest(shared, 'upsert', csv([3, 4, 5, 6000]));
    await ingest(shared, 'delete', 'id\n7\n8\n5001\n');
    await sameWithAndWithout(shared, ['score', 'code'], [[steward, 'score'], [consumer, 'score'], [consumer, '-code']]);
  });

  it('refuses sorting by a masked field even when it is indexed', async () => {
    await declare(shared, ['name', 'score']);
    const r = await consumer.inject({ url: `/api/v1/datasets/${shared}/records?sort=name` });
    expect([r.statusCode, r.json().error.code]).toEqual([403, 'FIELD_MASKED']);
    // The cursor of a masked consumer's page is sealed: not readable, not forgeable.
    const p = await consumer.inject({ url: `/api/v1/datasets/${shared}/records?sort=score&limit=5` });
    expect(p.json().nextCursor).toBeTruthy();
    const bad = await consumer.inject({ url: `/api/v1/datasets/${shared}/records?sort=score&limit=5&cursor=${encodeURIComponent(`${p.json().nextCursor}x`)}` });
    expect(bad.json().error.code).toBe('BAD_CURSOR');
  });

  it('pages CKAN datastore_search sorted by an indexed field, offset and _links.next alike, and datastore_info shows the index', async () => {
    const rid = resourceId(open, 'datastore');
    const ckanPages = async () => {
      const out: unknown[] = [];
      for (const offset of [0, 100, 850]) {
        out.push((await app.inject({ url: `/api/3/action/datastore_search?resource_id=${rid}&sort=score%20desc&limit=17&offset=${offset}` })).json().result.records);
      }
      let next = `/api/3/action/datastore_search?resource_id=${rid}&sort=code&limit=17&offset=200&include_total=false`;
      for (let i = 0; i < 5; i++) {
        const r = (await app.inject({ url: next })).json().result;
        out.push(r.records);
        next = r._links.next;
      }
      return out;
    };
    await declare(open, ['score', 'code']);
    const info = (await app.inject({ url: `/api/3/action/datastore_info?id=${rid}` })).json().result;
    expect(info.fields.find((f: { id: string }) => f.id === 'score').schema.is_index).toBe(true);
    expect(info.fields.find((f: { id: string }) => f.id === 'district').schema.is_index).toBe(false);
    const withIndex = await ckanPages();
    await declare(open, []);
    expect(await ckanPages()).toEqual(withIndex);
  });
});
