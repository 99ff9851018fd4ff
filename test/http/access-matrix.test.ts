// The access matrix: every role × every hub endpoint × datasets of each share type. Expected answers come from a
// table written here, independently of src/modules/access/policy.ts; every allowed read is then scanned for leaks:
// withheld fields, clear values of masked fields, and rows outside the grant's scope — through pages, cursors,
// totals, sorts, text search, aggregates, exports and the change feed.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor, type Actor } from '../../src/modules/access/actor.ts';
import { maskValue } from '../../src/modules/access/masks.ts';
import { as, signIn, testApp, tokenFor } from '../helpers.ts';

const OP = cliActor('test');
const PROVIDER = 'KJJ';
const CONSUMER = 'JTJ';
const SCOPE_DISTRICT = '350203';
const N = 240;
const DISTRICTS = ['350203', '350205', '350206', '350211', '350212', '350213'];

interface Row { id: number; code: string; name: string; id_no: string; phone: string; district: string; score: number; note: string }

/** A valid GB 11643 identity number for a serial. */
function idNo(i: number): string {
  const birth = `${1960 + (i % 40)}${String((i % 12) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}`;
  const body = `350203${birth}${String(i % 1000).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, k) => s + Number(c) * w[k], 0);
  return body + '10X98765432'[sum % 11];
}

const ROWS: Row[] = Array.from({ length: N }, (_, k) => {
  const id = k + 1;
  return {
    id, code: `R${String(id).padStart(4, '0')}`, name: `测试姓名${id}`, id_no: idNo(id), phone: `139${String(10000000 + id * 7919).slice(-8)}`,
    district: DISTRICTS[id % DISTRICTS.length], score: id % 100, note: `机密备注${id}号`,
  };
});
const IN_SCOPE = ROWS.filter((r) => r.district === SCOPE_DISTRICT);
const OUT_SCOPE = ROWS.filter((r) => r.district !== SCOPE_DISTRICT);

const FIELDS = [
  { name: 'id', label: '编号', type: 'integer', primaryKey: true, sensitivity: 'public' },
  { name: 'code', label: '登记号', type: 'string', sensitivity: 'public' },
  { name: 'name', label: '姓名', type: 'string', sensitivity: 'sensitive' },
  { name: 'id_no', label: '身份证号', type: 'string', format: 'idcard', sensitivity: 'secret' },
  { name: 'phone', label: '手机', type: 'string', format: 'mobile', sensitivity: 'sensitive' },
  { name: 'district', label: '所属区', type: 'string', sensitivity: 'public' },
  { name: 'score', label: '评分', type: 'decimal', sensitivity: 'internal' },
  { name: 'note', label: '备注', type: 'string', sensitivity: 'secret' },
];
const csv = (rows: Row[]) => ['id,code,name,id_no,phone,district,score,note', ...rows.map((r) => [r.id, r.code, r.name, r.id_no, r.phone, r.district, r.score, r.note].join(','))].join('\n') + '\n';

type Share = 'unconditional' | 'conditional' | 'none';
const ds: Record<Share, string> = { unconditional: '', conditional: '', none: '' };
let app: FastifyInstance;
let close: () => Promise<void>;
let hashKey = '';

/** Callers of the matrix: how to reach the app as each, and what each may do. */
interface Caller {
  name: string;
  app: FastifyInstance;
  /** Reads records of a dataset of this share type: 'full', 'grant' (masked + scoped), or an error code. */
  read: (s: Share) => 'full' | 'grant' | 'NO_GRANT' | 'AUTH_REQUIRED';
  writes: boolean; // ingest + quarantine of the provider's datasets
  catalogues: boolean; // POST /datasets for the provider
  persons: boolean; // a person (share-request list)
  manages: boolean; // tokens and users lists
  audits: 'all' | 'org' | false;
}
const callers: Caller[] = [];

beforeAll(async () => {
  const t = await testApp({ demo: 'small' });
  close = t.close;
  app = t.app;
  const p = app.platform;
  for (const share of ['unconditional', 'conditional', 'none'] as Share[]) {
    const d = await p.catalogue.create(OP, {
      name: `矩阵测试 ${share}`, summary: 'access matrix', category: '08', orgCode: PROVIDER, systemCode: 'KJJ-HTE', updateCycle: 'daily', shareType: share,
      openType: 'closed', fields: FIELDS as never,
    });
    ds[share] = d.code;
    const r = await p.ingest.ingest({ actor: OP, dataset: d.code, format: 'csv', mode: 'append', body: Readable.from([csv(ROWS)]), idempotencyKey: null, source: 'test' });
    expect(r.valid).toBe(N);
  }
  // One deletion, so the change feed carries tombstones of rows in and out of the scope.
  for (const share of ['unconditional', 'conditional'] as Share[]) {
    await p.ingest.ingest({ actor: OP, dataset: ds[share], format: 'csv', mode: 'delete', body: Readable.from([`id\n${IN_SCOPE[0].id}\n${OUT_SCOPE[0].id}\n`]), idempotencyKey: null, source: 'test' });
  }
  const analyst: Actor = { kind: 'person', id: 'x', name: 'x', orgCode: CONSUMER, role: 'analyst' };
  void analyst;
  // Grants through the real workflow: unconditional passes the automatic check; conditional is checked and decided.
  const consumer = as(app, { cookie: (await signIn(app, CONSUMER, 'analyst')).cookie });
  const admin = as(app, { cookie: (await signIn(app, 'DSJJ', 'platform_admin')).cookie });
  const steward = as(app, { cookie: (await signIn(app, PROVIDER, 'data_steward')).cookie });
  const fields = ['id', 'code', 'name', 'id_no', 'phone', 'district', 'score'];
  const u = await consumer.inject({ method: 'POST', url: '/api/v1/share-requests', payload: { dataset: ds.unconditional, consumerSystem: 'JTJ-PARK', purpose: '矩阵测试用途', fields, durationDays: 30 } });
  expect(u.json().status).toBe('granted');
  const c = await consumer.inject({ method: 'POST', url: '/api/v1/share-requests', payload: { dataset: ds.conditional, consumerSystem: 'JTJ-PARK', purpose: '矩阵测试用途', fields, rowScope: `district = '${SCOPE_DISTRICT}'`, durationDays: 30 } });
  expect(c.json().status).toBe('platform_review');
  expect((await admin.inject({ method: 'POST', url: `/api/v1/share-requests/${c.json().id}/check`, payload: { approve: true } })).statusCode).toBe(200);
  const decided = await steward.inject({
    method: 'POST', url: `/api/v1/share-requests/${c.json().id}/decide`,
    payload: { approve: true, masks: { name: 'partial', id_no: 'partial', phone: 'hash', score: 'drop' }, rowsPerDay: 1_000_000, requestsPerMinute: 100_000 },
  });
  expect(decided.json().status).toBe('granted');
  const n = await consumer.inject({ method: 'POST', url: '/api/v1/share-requests', payload: { dataset: ds.none, consumerSystem: 'JTJ-PARK', purpose: '矩阵测试用途', fields, durationDays: 30 } });
  expect([n.statusCode, n.json().error.code]).toEqual([409, 'NOT_SHAREABLE']);
  hashKey = (p.access as unknown as { secret: { joinKey(o: string): string } }).secret.joinKey(CONSUMER);

  const person = async (org: string, role: 'platform_admin' | 'org_admin' | 'data_steward' | 'analyst' | 'auditor') => as(app, { cookie: (await signIn(app, org, role)).cookie });
  const system = async (code: string, scopes: ('ingest' | 'read')[]) => as(app, { authorization: `Bearer ${await tokenFor(app, code, scopes)}` });
  const grantRead = (s: Share) => (s === 'none' ? 'NO_GRANT' : s === 'conditional' ? 'grant' : 'full') as 'full' | 'grant' | 'NO_GRANT';
  const add = (c: Caller) => callers.push(c);
  add({ name: 'anonymous', app, read: () => 'AUTH_REQUIRED', writes: false, catalogues: false, persons: false, manages: false, audits: false });
  add({ name: 'platform admin', app: await person('DSJJ', 'platform_admin'), read: () => 'NO_GRANT', writes: false, catalogues: true, persons: true, manages: true, audits: 'all' });
  add({ name: 'auditor', app: await person('DSJJ', 'auditor'), read: () => 'NO_GRANT', writes: false, catalogues: false, persons: true, manages: false, audits: 'all' });
  for (const role of ['org_admin', 'data_steward', 'analyst'] as const) {
    add({ name: `provider ${role}`, app: await person(PROVIDER, role), read: () => 'full', writes: role !== 'analyst', catalogues: role !== 'analyst', persons: true, manages: role === 'org_admin', audits: role === 'analyst' ? false : 'org' });
    add({ name: `consumer ${role}`, app: await person(CONSUMER, role), read: grantRead, writes: false, catalogues: false, persons: true, manages: role === 'org_admin', audits: role === 'analyst' ? false : 'org' });
  }
  add({ name: 'provider auditor-less analyst of another district', app: await person('D350213', 'analyst'), read: () => 'NO_GRANT', writes: false, catalogues: false, persons: true, manages: false, audits: false });
  add({ name: 'provider system (ingest+read)', app: await system('KJJ-HTE', ['ingest', 'read']), read: () => 'full', writes: true, catalogues: false, persons: false, manages: false, audits: false });
  add({ name: 'provider system (ingest only)', app: await system('KJJ-HTE', ['ingest']), read: () => 'NO_GRANT', writes: true, catalogues: false, persons: false, manages: false, audits: false });
  add({ name: "consumer system named in the grant", app: await system('JTJ-PARK', ['read']), read: grantRead, writes: false, catalogues: false, persons: false, manages: false, audits: false });
  add({ name: 'consumer system not in the grant', app: await system('JTJ-BUS', ['read', 'ingest']), read: () => 'NO_GRANT', writes: false, catalogues: false, persons: false, manages: false, audits: false });
}, 60_000);
afterAll(async () => close());

const STATUS: Record<string, number> = { AUTH_REQUIRED: 401, NO_GRANT: 403, FORBIDDEN: 403 };
const CLEAR_SECRETS = ROWS.flatMap((r) => [r.id_no, r.phone, r.name, r.note]);

/** Asserts a body reveals nothing the grant withholds: no clear masked or withheld values, no rows outside the scope. */
function assertNoLeak(body: string, what: string) {
  for (const v of CLEAR_SECRETS) if (body.includes(v)) throw new Error(`${what} leaks the clear value ${v}`);
  for (const r of OUT_SCOPE) if (body.includes(r.code)) throw new Error(`${what} leaks row ${r.code} outside the scope`);
  expect(body).not.toMatch(/"score"|,score[,\r\n]|"note"/);
}

const url = (code: string, path: string, params: Record<string, string | number> = {}) =>
  `/api/v1/datasets/${code}/${path}?${new URLSearchParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])))}`;

describe('access matrix: every role × every hub endpoint × each share type', () => {
  it('answers record reads (pages, exports, aggregates, change feed) exactly as the table says, and leaks nothing', async () => {
    let checked = 0;
    for (const c of callers) {
      for (const share of ['unconditional', 'conditional', 'none'] as Share[]) {
        const code = ds[share];
        const expected = c.read(share);
        const reads = [
          url(code, 'records', { limit: 1000, total: 'exact' }),
          url(code, 'records', { format: 'csv' }),
          url(code, 'records', { format: 'ndjson' }),
          url(code, 'records', { format: 'parquet' }),
          url(code, 'aggregate', { groupBy: 'district' }),
          url(code, 'changes', { since: 0, limit: 1000 }),
        ];
        for (const u of reads) {
          const r = await c.app.inject({ url: u });
          checked++;
          if (expected === 'full' || expected === 'grant') {
            expect(r.statusCode, `${c.name} ${u}: ${r.body.slice(0, 200)}`).toBe(200);
            if (expected === 'grant') assertNoLeak(r.rawPayload.toString('latin1') + r.body, `${c.name} ${u}`);
          } else {
            expect([r.statusCode, r.json().error.code], `${c.name} ${u}`).toEqual([STATUS[expected], expected]);
          }
        }
      }
    }
    expect(checked).toBe(callers.length * 3 * 6);
  });

  it('answers catalogue, ingest, quarantine, workflow, token, user and audit endpoints as the table says', async () => {
    let i = 0;
    for (const c of callers) {
      const anon = c.name === 'anonymous';
      const deny = anon ? 401 : 403;
      const expectStatus = async (method: string, u: string, ok: number, allowed: boolean, payload?: unknown, headers?: Record<string, string>) => {
        const r = await c.app.inject({ method: method as 'GET', url: u, payload: payload as never, headers });
        expect(r.statusCode, `${c.name} ${method} ${u}: ${r.body.slice(0, 200)}`).toBe(allowed ? ok : deny);
        return r;
      };
      for (const u of ['/api/v1/datasets', `/api/v1/datasets/${ds.conditional}`, '/api/v1/organisations', '/api/v1/systems', `/api/v1/datasets/${ds.none}/batches`, `/api/v1/datasets/${ds.none}/daily`]) {
        await expectStatus('GET', u, 200, !anon);
      }
      for (const share of ['unconditional', 'conditional', 'none'] as Share[]) {
        await expectStatus('POST', url(ds[share], 'records', { format: 'csv' }), 200, c.writes, 'id,code\nnot-a-number,X\n', { 'content-type': 'text/csv' });
        await expectStatus('GET', url(ds[share], 'quarantine'), 200, c.writes);
      }
      const body = { name: `新数据集${++i}`, summary: 's', category: '08', orgCode: PROVIDER, systemCode: 'KJJ-HTE', updateCycle: 'daily', shareType: 'none', openType: 'closed', fields: [{ name: 'a', label: 'A', type: 'string' }] };
      await expectStatus('POST', '/api/v1/datasets', 201, c.catalogues, body);
      await expectStatus('POST', `/api/v1/datasets/${ds.none}/fields`, 201, c.catalogues, { name: `extra_${i}`, label: 'X', type: 'string' });
      await expectStatus('GET', '/api/v1/share-requests', 200, c.persons);
      await expectStatus('GET', '/api/v1/tokens', 200, c.manages);
      await expectStatus('GET', '/api/v1/users', 200, c.manages);
      const audit = await expectStatus('GET', '/api/v1/audit/entries?limit=500', 200, Boolean(c.audits));
      if (c.audits === 'org') {
        const own = c.name.startsWith('provider') ? PROVIDER : CONSUMER;
        const mine = new Set((await app.platform.catalogue.all()).filter((d) => d.orgCode === own).map((d) => d.code));
        expect(audit.json().items.length).toBeGreaterThan(0);
        for (const e of audit.json().items) expect(e.orgCode === own || mine.has(e.datasetCode), `${c.name} sees ${JSON.stringify(e).slice(0, 200)}`).toBe(true);
      }
      await expectStatus('POST', '/api/v1/audit/verify', 200, c.audits === 'all');
    }
  });
});

describe('no path reveals what a grant withholds', () => {
  const consumer = () => callers.find((c) => c.name === 'consumer analyst')!.app;
  const get = (path: string, params: Record<string, string | number> = {}) => consumer().inject({ url: url(ds.conditional, path, params) });

  it('shows granted fields only, masked as the provider chose, and only rows in the scope', async () => {
    const r = (await get('records', { limit: 1000, total: 'exact' })).json();
    const alive = IN_SCOPE.slice(1);
    expect(r.total).toBe(alive.length);
    expect(r.items.map((x: Row) => x.id).sort((a: number, b: number) => a - b)).toEqual(alive.map((x) => x.id));
    const byId = new Map(ROWS.map((x) => [x.id, x]));
    for (const item of r.items) {
      const row = byId.get(item.id)!;
      expect(Object.keys(item).sort()).toEqual(['code', 'district', 'id', 'id_no', 'name', 'phone']);
      expect(item.id_no).toBe(`${row.id_no.slice(0, 6)}********${row.id_no.slice(-4)}`);
      expect(item.name).toBe(maskValue(row.name, { kind: 'partial', keepStart: 1, keepEnd: 0 }));
      expect(item.phone).toBe(maskValue(row.phone, { kind: 'hash', key: hashKey }));
    }
  });

  it.each([
    ['filter on a masked field', { filter: "id_no ^= '3502'" }, 'FIELD_MASKED'],
    ['filter on a masked field inside or/not', { filter: "code = 'x' or not (phone = '1')" }, 'FIELD_MASKED'],
    ['filter on a withheld field', { filter: 'score > 1' }, 'FIELD_WITHHELD'],
    ['filter on a field not requested', { filter: "note ~ '机密'" }, 'FIELD_WITHHELD'],
    ['sort by a masked field', { sort: '-id_no' }, 'FIELD_MASKED'],
    ['sort by a withheld field', { sort: 'score' }, 'FIELD_WITHHELD'],
    ['select a withheld field', { fields: 'id,note' }, 'FIELD_WITHHELD'],
  ])('refuses a %s', async (_name, params, code) => {
    for (const path of ['records', 'aggregate']) {
      const r = await get(path, params);
      if (path === 'aggregate' && ('sort' in params || 'fields' in params)) continue;
      expect([r.statusCode, r.json().error.code]).toEqual([403, code]);
    }
  });

  it.each([
    ['group by a masked field', { groupBy: 'id_no' }, 'FIELD_MASKED'],
    ['group by a withheld field', { groupBy: 'note' }, 'FIELD_WITHHELD'],
    ['min of a masked field', { metrics: 'min:phone' }, 'FIELD_MASKED'],
    ['count_distinct of a masked field', { metrics: 'count_distinct:name' }, 'FIELD_MASKED'],
    ['sum of a withheld field', { metrics: 'sum:score' }, 'FIELD_WITHHELD'],
  ])('refuses to aggregate: %s', async (_name, params, code) => {
    const r = await get('aggregate', params);
    expect([r.statusCode, r.json().error.code]).toEqual([403, code]);
  });

  it('counts only rows in the scope in aggregates and totals', async () => {
    const agg = (await get('aggregate', { groupBy: 'district' })).json().items;
    expect(agg).toEqual([{ district: SCOPE_DISTRICT, count: IN_SCOPE.length - 1 }]);
    const total = (await get('records', { limit: 1, total: 'exact', filter: "district != 'x'" })).json().total;
    expect(total).toBe(IN_SCOPE.length - 1);
  });

  it('does not find rows by the clear value of a masked or withheld field in text search', async () => {
    for (const probe of [IN_SCOPE[3].id_no, IN_SCOPE[3].phone, IN_SCOPE[3].name, IN_SCOPE[3].note]) {
      const r = (await get('records', { q: probe, total: 'exact' })).json();
      expect(r.total).toBe(0);
    }
    // A clear field still searches: the registration code of an in-scope row, but never one outside.
    expect((await get('records', { q: IN_SCOPE[3].code, total: 'exact' })).json().total).toBe(1);
    expect((await get('records', { q: OUT_SCOPE[3].code, total: 'exact' })).json().total).toBe(0);
  });

  it('pages by cursor through exactly the scope, and a cursor cannot be read or carried to another grant', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const params: Record<string, string | number> = { limit: 7, sort: '-code', total: 'none', ...(cursor ? { cursor } : {}) };
      const r = (await get('records', params)).json();
      assertNoLeak(JSON.stringify(r), 'a cursor page');
      seen.push(...r.items.map((x: Row) => x.id));
      cursor = r.nextCursor;
      if (cursor) expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toMatch(/\d{6}/);
      pages++;
    } while (cursor && pages < 100);
    expect(seen.sort((a, b) => a - b)).toEqual(IN_SCOPE.slice(1).map((x) => x.id));
    // The owner's cursor means nothing under the grant.
    const owner = callers.find((c) => c.name === 'provider analyst')!.app;
    const ownerCursor = (await owner.inject({ url: url(ds.conditional, 'records', { limit: 5, sort: '-code' }) })).json().nextCursor;
    const r = await get('records', { limit: 5, sort: '-code', cursor: ownerCursor });
    expect([r.statusCode, r.json().error.code]).toEqual([400, 'BAD_CURSOR']);
  });

  it('carries only in-scope rows and deletions, masked, in the change feed', async () => {
    const r = (await get('changes', { since: 0, limit: 1000 })).json();
    assertNoLeak(JSON.stringify(r), 'the change feed');
    const deletes = r.items.filter((x: { op: string }) => x.op === 'delete');
    expect(deletes.map((x: { record: Row }) => x.record.id)).toEqual([IN_SCOPE[0].id]);
    const upserts = r.items.filter((x: { op: string }) => x.op === 'upsert');
    expect(upserts.length).toBe(IN_SCOPE.length - 1);
    expect(upserts[0].record.id_no).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
  });

  it('exports only what the page shows, masked, in every format', async () => {
    for (const format of ['csv', 'ndjson', 'parquet']) {
      const r = await get('records', { format });
      expect(r.statusCode).toBe(200);
      assertNoLeak(r.rawPayload.toString('latin1') + r.rawPayload.toString('utf8'), `the ${format} export`);
    }
    const lines = (await get('records', { format: 'csv' })).body.trim().split('\r\n');
    expect(lines[0].replace('\uFEFF', '')).toBe('"id","code","name","id_no","phone","district"');
    expect(lines.length - 1).toBe(IN_SCOPE.length - 1);
  });

  it('gives every consumer organisation its own join hash, stable across its grants', async () => {
    const a = maskValue('13900000000', { kind: 'hash', key: hashKey });
    const other = (app.platform.access as unknown as { secret: { joinKey(o: string): string } }).secret.joinKey('D350203');
    expect(maskValue('13900000000', { kind: 'hash', key: other })).not.toBe(a);
  });
});
