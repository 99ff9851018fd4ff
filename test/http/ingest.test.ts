import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE_FIELDS, as, signIn, testApp } from '../helpers.ts';

let app: FastifyInstance;
let close: () => Promise<void>;
let dataDir: string;
let code: string;
let keyless: string;
let cookie: string;

const HEADER = 'id,name,id_no,district,score,born,seen_at,active,home,extra';
const good = (id: number) => `${id},张三${id},11010519491231002X,350203,${id % 100},1990-01-0${(id % 9) + 1},2024-05-01 08:00:00,true,"118.1,24.5","{""k"":${id}}"`;

async function post(query: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/api/v1/datasets/${code}/records?${query}`, payload: body, headers: { 'content-type': 'application/octet-stream', ...headers } });
}

async function count(): Promise<number> {
  const r = await app.inject({ url: `/api/v1/datasets/${code}/records?limit=1&total=exact` });
  return r.json().total;
}

beforeAll(async () => {
  const t = await testApp({ demo: 'small', env: { XMCITY_MAX_INGEST_BYTES: '200000', XMCITY_MAX_LINE_BYTES: '4096' } });
  cookie = (await signIn(t.app, 'DSJJ', 'data_steward')).cookie;
  app = as(t.app, { cookie });
  close = t.close;
  dataDir = t.config.dataDir;
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/datasets',
    payload: { name: '测试人员', summary: 'test', category: '10', orgCode: 'DSJJ', systemCode: 'DSJJ-HUB', updateCycle: 'daily', shareType: 'conditional', openType: 'closed', fields: PEOPLE_FIELDS },
  });
  expect(r.statusCode).toBe(201);
  code = r.json().code;
  const k = await app.inject({
    method: 'POST',
    url: '/api/v1/datasets',
    payload: { name: '无主键', summary: 'test', category: '10', orgCode: 'DSJJ', systemCode: 'DSJJ-HUB', updateCycle: 'daily', shareType: 'none', openType: 'closed', fields: [{ name: 'day', label: '日期', type: 'date' }] },
  });
  keyless = k.json().code;
});
afterAll(async () => close());

describe('ingest over HTTP', () => {
  it('accepts a CSV batch, counts valid and invalid rows and quarantines each invalid row with its rule', async () => {
    const rows = [HEADER, good(1), good(2), '3,李四,110105194912310021,350203,5,,,,,', '4,王五,,999999,5,,,,,', '5,赵六,,350203,101,,,,,', '6,,,,,,,,,', '7,孙七,,,,2023-02-29,,,,', '8,周八,,,,,,maybe,,', '9,吴九,,,,,,,"500,1",', '10,郑十,,,,,,,,{bad json'];
    const r = await post('format=csv', rows.join('\n') + '\n');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'committed', accepted: 10, valid: 2, invalid: 8, replayed: false });
    const q = await app.inject({ url: `/api/v1/datasets/${code}/quarantine?limit=100` });
    const rules = Object.fromEntries(q.json().items.map((e: { row: number; rule: string; field: string }) => [e.row, `${e.field}:${e.rule}`]));
    expect(rules).toEqual({
      3: 'id_no:idcard', 4: 'district:enum', 5: 'score:range', 6: 'name:required', 7: 'born:type', 8: 'active:type', 9: 'home:type', 10: 'extra:type',
    });
    const csv = await app.inject({ url: `/api/v1/datasets/${code}/quarantine?format=csv` });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n').length).toBeGreaterThan(8);
  });

  it('stores typed values: decimals, dates, UTC timestamps, booleans, points and JSON', async () => {
    const r = await app.inject({ url: `/api/v1/datasets/${code}/records?filter=${encodeURIComponent('id = 1')}` });
    expect(r.json().items[0]).toEqual({
      id: 1, name: '张三1', id_no: '11010519491231002X', district: '350203', score: 1, born: '1990-01-02', seen_at: '2024-05-01T00:00:00Z', active: true,
      home: { lon: 118.1, lat: 24.5 }, extra: { k: 1 },
    });
  });

  it('gives every record its batch sequence number and ingest time, readable and filterable', async () => {
    const batches = (await app.inject({ url: `/api/v1/datasets/${code}/batches?limit=1` })).json().items;
    const r = (await app.inject({ url: `/api/v1/datasets/${code}/records?fields=id,_seq,_at&filter=${encodeURIComponent(`_seq = ${batches[0].seq}`)}` })).json();
    expect(r.items.length).toBe(2);
    expect(r.items[0]._seq).toBe(batches[0].seq);
    expect(Math.abs(Date.parse(r.items[0]._at) - Date.parse(batches[0].createdAt))).toBeLessThan(1000);
  });

  it('accepts NDJSON and quarantines malformed lines with their line number', async () => {
    const body = ['{"id": 20, "name": "甲"}', 'not json', '[1,2]', '{"id": "21", "name": "乙", "score": 99.5}', '{"id": 22}'].join('\n');
    const r = await post('format=ndjson', body);
    expect(r.json()).toMatchObject({ accepted: 5, valid: 2, invalid: 3 });
    const q = await app.inject({ url: `/api/v1/datasets/${code}/quarantine?seq=${r.json().seq}` });
    expect(q.json().items.map((e: { row: number; rule: string }) => [e.row, e.rule])).toEqual([[2, 'malformed'], [3, 'malformed'], [5, 'required']]);
  });

  it('reads NDJSON values as JSON gives them: text, numbers, nested values; first of repeated keys; keys case-sensitive', async () => {
    const lines = [
      '{"id": 1, "name": "甲", "id_no": "11010519491231002X", "district": "350203", "score": 99.50, "born": "1990-01-02", "seen_at": "2024-05-01 08:00:00", "active": true, "home": [118.1, 24.5], "extra": {"k": [1, {"z": null}], "s": "\\u53a6"}}',
      '{"id": "2", "name": "乙\\n", "score": "1e1", "active": "false", "home": "118.1,24.5", "extra": [1, "2"]}',
      '{"id": 3.0, "name": "", "district": 350203, "extra": "text"}',
      '{"id": 4, "name": "丁", "score": 101, "unknown": {"a": 1}}',
      '{}',
      '{"ID": 6, "name": "戊", "born": "2023-02-29", "active": 1, "seen_at": null}',
      '{"id": 12345678901234567890, "name": "大", "id_no": "110105194912310021"}',
      '{"id": 8, "name": "己", "extra": null, "home": null, "district": "350299"}',
      '{"id": 9, "name": "庚", "name": "辛"}',
      '[{"id": 10, "name": "癸"}]',
      '{"id": 11, "name": "壬"',
    ];
    const ds = await app.inject({
      method: 'POST', url: '/api/v1/datasets',
      payload: { name: 'NDJSON 读取', summary: 'test', category: '10', orgCode: 'DSJJ', systemCode: 'DSJJ-HUB', updateCycle: 'daily', shareType: 'none', openType: 'closed', fields: PEOPLE_FIELDS },
    });
    const c = ds.json().code as string;
    const r = await app.inject({ method: 'POST', url: `/api/v1/datasets/${c}/records?format=ndjson`, payload: lines.join('\n'), headers: { 'content-type': 'application/octet-stream' } });
    expect(r.json()).toMatchObject({ accepted: 11, valid: 3, invalid: 8 });
    const recs = (await app.inject({ url: `/api/v1/datasets/${c}/records?limit=100` })).json().items.map(({ _at, _batch, ...rest }: Record<string, unknown>) => rest);
    // Keyed rows are stored clustered by key, not in file order.
    recs.sort((a: { id: number }, b: { id: number }) => a.id - b.id);
    expect(recs).toEqual([
      { id: 1, name: '甲', id_no: '11010519491231002X', district: '350203', score: 99.5, born: '1990-01-02', seen_at: '2024-05-01T00:00:00Z', active: true, home: { lon: 118.1, lat: 24.5 }, extra: { k: [1, { z: null }], s: '厦' } },
      { id: 2, name: '乙\n', id_no: null, district: null, score: 10, born: null, seen_at: null, active: false, home: { lon: 118.1, lat: 24.5 }, extra: [1, '2'] },
      { id: 9, name: '庚', id_no: null, district: null, score: null, born: null, seen_at: null, active: null, home: null, extra: null },
    ]);
    const q = (await app.inject({ url: `/api/v1/datasets/${c}/quarantine?limit=100` })).json().items.map((e: Record<string, unknown>) => [e.row, e.field, e.rule, e.value]);
    expect(q).toEqual([
      [3, 'name', 'required', null], [4, 'score', 'range', '101'], [5, 'id', 'required', null], [6, 'id', 'required', null],
      [7, 'id', 'type', '12345678901234567890'], [8, 'district', 'enum', '350299'], [10, '', 'malformed', '[{"id": 10, "name": "癸"}]'], [11, '', 'malformed', '{"id": 11, "name": "壬"'],
    ]);
  });

  it('accepts a JSON array, a GBK CSV with Chinese headers, and an XLSX sheet', async () => {
    const arr = await post('format=json', JSON.stringify([{ id: 30, name: '丙' }, { id: 31, name: '丁', extra: { a: [1, 2] } }]));
    expect(arr.json()).toMatchObject({ valid: 2, invalid: 0 });
    // "编号,姓名\n40,厦门\n" in GBK: 编号 = B1 E0 BA C5, 姓名 = D0 D5 C3 FB, 厦门 = CF C3 C3 C5.
    const gbk = Buffer.from([0xb1, 0xe0, 0xba, 0xc5, 0x2c, 0xd0, 0xd5, 0xc3, 0xfb, 0x0a, 0x34, 0x30, 0x2c, 0xcf, 0xc3, 0xc3, 0xc5, 0x0a]);
    const g = await post('format=csv', gbk);
    expect(g.json()).toMatchObject({ valid: 1, invalid: 0 });
    const row = await app.inject({ url: `/api/v1/datasets/${code}/records?filter=${encodeURIComponent('id = 40')}&fields=name` });
    expect(row.json().items).toEqual([{ name: '厦门' }]);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('数据');
    ws.addRow(['编号', '姓名', '出生日期', '分数']);
    ws.addRow([50, '戊', new Date(Date.UTC(2000, 1, 29)), 88.5]);
    ws.addRow([51, '己', null, 12]);
    const x = await post('format=xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    expect(x.json()).toMatchObject({ valid: 2, invalid: 0 });
    const born = await app.inject({ url: `/api/v1/datasets/${code}/records?filter=${encodeURIComponent('id = 50')}&fields=born,score` });
    expect(born.json().items).toEqual([{ born: '2000-02-29', score: 88.5 }]);
  });

  it('accepts Parquet written by the export of another query', async () => {
    const exp = await app.inject({ url: `/api/v1/datasets/${code}/records?format=parquet&fields=id,name&filter=${encodeURIComponent('id >= 30 and id <= 31')}` });
    expect(exp.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    const r = await post('format=parquet&mode=upsert', exp.rawPayload);
    expect(r.json()).toMatchObject({ valid: 2, invalid: 0, deleted: 2 });
  });

  it('applies a retried Idempotency-Key exactly once', async () => {
    const before = await count();
    const body = [HEADER, good(100), good(101)].join('\n');
    const a = await post('format=csv', body, { 'idempotency-key': 'retry-1' });
    const b = await post('format=csv', body, { 'idempotency-key': 'retry-1' });
    expect(a.json().replayed).toBe(false);
    expect(b.json()).toMatchObject({ replayed: true, batchId: a.json().batchId });
    expect(await count()).toBe(before + 2);
    const c = await post('format=ndjson', '{"id":102,"name":"x"}', { 'idempotency-key': 'retry-1' });
    expect(c.statusCode).toBe(409);
    expect(c.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('applies concurrent batches with the same key once', async () => {
    const before = await count();
    const body = [HEADER, good(110), good(111)].join('\n');
    const rs = await Promise.all(Array.from({ length: 5 }, () => post('format=csv', body, { 'idempotency-key': 'race-1' })));
    expect(new Set(rs.map((r) => r.json().batchId)).size).toBe(1);
    expect(rs.filter((r) => !r.json().replayed)).toHaveLength(1);
    expect(await count()).toBe(before + 2);
  });

  it('marks repeated keys in an append batch and keys already stored as duplicate_key', async () => {
    const r = await post('format=csv', [HEADER, good(120), good(120), good(1)].join('\n'));
    expect(r.json()).toMatchObject({ valid: 1, invalid: 2 });
    const q = await app.inject({ url: `/api/v1/datasets/${code}/quarantine?seq=${r.json().seq}` });
    expect(q.json().items.map((e: { rule: string }) => e.rule)).toEqual(['duplicate_key', 'duplicate_key']);
  });

  it('keeps the first of a repeated key when appending and the last when upserting, by row number', async () => {
    // Keys 300-302 repeat at scattered rows, with an invalid row holding key 300 in between (it is not a copy).
    const rows = [300, 301, 300, 302, 303, 301, 300, 302].map((id, i) => `{"id":${id},"name":"第${i + 1}行"}`);
    rows.splice(4, 0, '{"id":300}');
    const quarantined = async (seq: number) => (await app.inject({ url: `/api/v1/datasets/${code}/quarantine?seq=${seq}&limit=100` })).json().items
      .map((e: { row: number; rule: string }) => [e.row, e.rule]);
    const names = async () => (await app.inject({ url: `/api/v1/datasets/${code}/records?filter=${encodeURIComponent('id >= 300 and id <= 303')}&fields=id,name&sort=id` })).json().items
      .map((r: { id: number; name: string }) => [r.id, r.name]);
    const a = await post('format=ndjson', rows.join('\n'));
    expect(a.json()).toMatchObject({ valid: 4, invalid: 5 });
    expect(await quarantined(a.json().seq)).toEqual([[3, 'duplicate_key'], [5, 'required'], [7, 'duplicate_key'], [8, 'duplicate_key'], [9, 'duplicate_key']]);
    expect(await names()).toEqual([[300, '第1行'], [301, '第2行'], [302, '第4行'], [303, '第5行']]);
    const u = await post('format=ndjson&mode=upsert', rows.join('\n'));
    expect(u.json()).toMatchObject({ valid: 4, invalid: 5, deleted: 4 });
    expect(await quarantined(u.json().seq)).toEqual([[1, 'duplicate_key'], [2, 'duplicate_key'], [3, 'duplicate_key'], [4, 'duplicate_key'], [5, 'required']]);
    expect(await names()).toEqual([[300, '第7行'], [301, '第6行'], [302, '第8行'], [303, '第5行']]);
  });

  it('upserts by primary key, deletes by key and reports both in the change feed', async () => {
    const start = (await app.inject({ url: `/api/v1/datasets/${code}/changes?since=0&limit=1` })).json();
    expect(start.items.length).toBe(1);
    const lastSeq = (await app.inject({ url: `/api/v1/datasets/${code}/batches?limit=1` })).json().items[0].seq;
    const up = await post('format=ndjson&mode=upsert', '{"id":1,"name":"改名"}\n{"id":200,"name":"新"}\n');
    expect(up.json()).toMatchObject({ valid: 2, deleted: 1 });
    const del = await post('format=ndjson&mode=delete', '{"id":2}\n{"id":999}\n');
    expect(del.json()).toMatchObject({ valid: 2, deleted: 1 });
    const feed = (await app.inject({ url: `/api/v1/datasets/${code}/changes?since=${lastSeq}&limit=100` })).json();
    // Batches come in order; within a batch, records come in storage order (clustered by key bucket).
    const entries = feed.items.map((e: { seq: number; op: string; record: { id: number; name?: string } }) => [e.seq, e.op, e.record.id, e.record.name ?? null]);
    expect(entries.map((e: unknown[]) => e[0])).toEqual([...entries.map((e: unknown[]) => e[0])].sort());
    expect(entries.map((e: unknown[]) => e.slice(1)).sort((a: unknown[], b: unknown[]) => String(a).localeCompare(String(b)))).toEqual([
      ['delete', 2, null], ['delete', 999, null], ['upsert', 1, '改名'], ['upsert', 200, '新'],
    ]);
    expect(feed.more).toBe(false);
    const after = (await app.inject({ url: `/api/v1/datasets/${code}/changes?cursor=${feed.nextCursor}` })).json();
    expect(after.items).toEqual([]);
    const gone = await app.inject({ url: `/api/v1/datasets/${code}/records?filter=${encodeURIComponent('id in (1, 2)')}&fields=id,name` });
    expect(gone.json().items).toEqual([{ id: 1, name: '改名' }]);
  });

  it('pages the change feed without losing or repeating an entry', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const url: string = `/api/v1/datasets/${code}/changes?limit=3${cursor ? `&cursor=${cursor}` : '&since=0'}`;
      const r = (await app.inject({ url })).json();
      for (const e of r.items) if (e.op === 'upsert') seen.push(e.record.id);
      cursor = r.nextCursor;
      if (!r.more) break;
    }
    expect(seen.length).toBe(await count());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it.each([
    ['an unknown dataset', '/api/v1/datasets/XM-99-NOPE-00001/records?format=csv', 'id\n1\n', 404, 'DATASET_NOT_FOUND'],
    ['an unknown format', null, 'x', 400, 'VALIDATION_FAILED'],
    ['an unknown column', 'format=csv', 'id,name,colour\n1,a,red\n', 400, 'SCHEMA_MISMATCH'],
    ['a missing required column', 'format=csv', 'name\na\n', 400, 'SCHEMA_MISMATCH'],
    ['an empty body', 'format=csv', '', 400, 'EMPTY_BODY'],
    ['a malformed JSON array', 'format=json', '[{"id": 1}, {"id": ', 400, 'MALFORMED_JSON'],
    ['a file that is not Parquet', 'format=parquet', 'id,name\n1,a\n', 400, 'BAD_PARQUET'],
    ['a file that is not XLSX', 'format=xlsx', 'id,name\n1,a\n', 400, 'BAD_XLSX'],
    ['an over-long line', 'format=ndjson', `{"id":1,"name":"${'x'.repeat(5000)}"}\n`, 413, 'LINE_TOO_LONG'],
    ['an oversize body', 'format=ndjson', `${'{"id":1,"name":"a"}\n'.repeat(12000)}`, 413, 'BODY_TOO_LARGE'],
    ['a mode that needs a key on a keyless dataset', '/api/v1/datasets/KEYLESS/records?format=csv&mode=upsert', 'day\n', 400, 'PRIMARY_KEY_REQUIRED'],
  ])('refuses %s with a stable 4xx and commits nothing', async (_name, query, body, status, errCode) => {
    const before = await count();
    const batches = (await app.inject({ url: `/api/v1/datasets/${code}/batches` })).json().total;
    const url = query?.startsWith('/') ? query.replace('KEYLESS', keyless) : `/api/v1/datasets/${code}/records?${query ?? 'format=exe'}`;
    const r = await app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'text/plain' } });
    expect(r.statusCode).toBe(status);
    expect(r.json().error.code).toBe(errCode);
    expect(r.json().error.message.length).toBeGreaterThan(10);
    expect(await count()).toBe(before);
    expect((await app.inject({ url: `/api/v1/datasets/${code}/batches` })).json().total).toBe(batches);
  });

  it('refuses invalid UTF-8 that appears after the encoding was decided', async () => {
    const head = Buffer.from(`${HEADER}\n${Array.from({ length: 800 }, (_, i) => good(1000 + i)).join('\n')}\n`);
    const bad = Buffer.concat([head, Buffer.from([0x31, 0x2c, 0xff, 0xfe, 0x0a])]);
    const before = await count();
    const r = await post('format=csv', bad);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('BAD_ENCODING');
    expect(await count()).toBe(before);
  });

  it('answers an oversize body over a real socket before the client has sent it all', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const chunk = Buffer.from('{"id":1,"name":"a"}\n'.repeat(5000));
    let sent = 0;
    const body = new ReadableStream({
      pull(ctl) {
        if (sent >= 50) return ctl.close();
        sent++;
        ctl.enqueue(chunk);
      },
    });
    const r = await fetch(`${address}/api/v1/datasets/${code}/records?format=ndjson`, { method: 'POST', body, duplex: 'half', headers: { cookie } } as RequestInit);
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
  });

  it('leaves no spool files behind', () => {
    const spool = join(dataDir, 'tmp', 'spool');
    expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
  });

  it('keeps dataset, system and hub counts exact', async () => {
    const d = (await app.inject({ url: `/api/v1/datasets/${code}` })).json();
    expect(d.validRecords).toBe(await count());
    const q = (await app.inject({ url: `/api/v1/datasets/${code}/quarantine?limit=1` })).json();
    expect(d.invalidRecords).toBe(q.total);
    const sys = (await app.inject({ url: '/api/v1/systems?org=DSJJ' })).json().items[0];
    expect(sys.status).toBe('connected');
    const all = (await app.inject({ url: '/api/v1/datasets?limit=100' })).json().items as { validRecords: number }[];
    const hub = (await app.inject({ url: '/api/v1/hub/summary' })).json();
    expect(hub.validRecords).toBe(all.reduce((n, x) => n + x.validRecords, 0));
  });
});
