import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/modules/demo/random.ts';
import { asPerson, testApp } from '../helpers.ts';

let app: FastifyInstance;
let close: () => Promise<void>;
beforeAll(async () => {
  const t = await testApp({ demo: 'small' });
  close = t.close;
  app = await asPerson(t.app, 'SCJGJ', 'data_steward');
});
afterAll(async () => close());

const TOKENS = [
  'credit_code', 'capital', 'established_on', 'status', 'name', 'district', '_seq', '_at', 'nope', '=', '!=', '<', '>=', 'in', 'not', 'and', 'or',
  'between', 'is', 'null', '^=', '~', '(', ')', ',', "'存续'", "'2020-01-01'", "'2020-02-30'", "'x''y'", '1', '-1', '1e30', '0.00001', '99999999999999999999',
  'true', "'", '"', ';', '--', '/*', '\\', '%', '\u0000', '𠀀', "'2024-01-01T00:00:00Z'",
];

function randomFilter(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 9);
  return Array.from({ length: n }, () => TOKENS[Math.floor(rand() * TOKENS.length)]).join(' ');
}

describe('bad input never yields a 5xx', () => {
  it('answers 300 random filters, sorts and aggregates with 2xx or a 4xx error envelope', async () => {
    const rand = seededRandom(2026);
    const base = '/api/v1/datasets/XM-03-SCJGJ-00001';
    for (let i = 0; i < 300; i++) {
      const filter = randomFilter(rand);
      const urls = [
        `${base}/records?${new URLSearchParams({ filter, sort: TOKENS[i % TOKENS.length] })}`,
        `${base}/records?${new URLSearchParams({ q: filter, fields: TOKENS[(i * 7) % TOKENS.length], format: ['json', 'csv', 'ndjson'][i % 3] })}`,
        `${base}/aggregate?${new URLSearchParams({ filter, groupBy: `${TOKENS[i % TOKENS.length]}:${['year', 'day', 'x'][i % 3]}`, metrics: `${['sum', 'count', 'avg', 'min'][i % 4]}:${TOKENS[(i * 3) % TOKENS.length]}` })}`,
      ];
      for (const url of urls) {
        const r = await app.inject({ url });
        expect(r.statusCode, `${r.statusCode} for ${decodeURIComponent(url)}: ${r.body.slice(0, 200)}`).toBeLessThan(500);
        if (r.statusCode >= 400) expect(r.json().error.code).toMatch(/^[A-Z_]+$/);
      }
    }
  });

  it('answers malformed paths, queries and JSON bodies with 4xx', async () => {
    const cases: [string, string, unknown][] = [
      ['GET', '/api/v1/datasets/%00', undefined],
      ['GET', '/api/v1/datasets/XM-03-SCJGJ-00001/records?limit=-1', undefined],
      ['GET', '/api/v1/datasets/XM-03-SCJGJ-00001/records?limit=abc', undefined],
      ['GET', '/api/v1/datasets/XM-03-SCJGJ-00001/records?total=maybe', undefined],
      ['GET', '/api/v1/datasets/XM-03-SCJGJ-00001/changes?since=-5', undefined],
      ['GET', '/api/v1/datasets/XM-03-SCJGJ-00001/quarantine?seq=0', undefined],
      ['POST', '/api/v1/datasets', '{"name": '],
      ['POST', '/api/v1/datasets', { name: 'x' }],
      ['POST', '/api/v1/datasets', { name: 'x', summary: '', category: '99', orgCode: 'DSJJ', systemCode: 'DSJJ-HUB', updateCycle: 'daily', shareType: 'none', openType: 'open', fields: [{ name: 'a', label: 'A', type: 'string' }] }],
      ['POST', '/api/v1/datasets', { name: 'x', summary: '', category: '01', orgCode: 'DSJJ', systemCode: 'DSJJ-HUB', updateCycle: 'daily', shareType: 'open', openType: 'open', fields: [{ name: 'A b', label: 'A', type: 'blob' }] }],
      ['POST', '/api/v1/datasets', { name: 'x', summary: '', category: '01', orgCode: 'DSJJ', systemCode: 'SCJGJ-REG', updateCycle: 'daily', shareType: 'unconditional', openType: 'open', fields: [{ name: 'a', label: 'A', type: 'string', pattern: '(?=x)' }] }],
      ['POST', '/api/v1/datasets/XM-03-SCJGJ-00001/fields', { name: 'legal_rep', label: 'dup', type: 'string' }],
      ['POST', '/api/v1/datasets/XM-03-SCJGJ-00001/fields', { name: 'later', label: 'L', type: 'string', required: true }],
    ];
    for (const [method, url, body] of cases) {
      const r = await app.inject({
        method: method as 'GET',
        url,
        ...(body === undefined ? {} : typeof body === 'string' ? { payload: body, headers: { 'content-type': 'application/json' } } : { payload: body as object }),
      });
      expect(r.statusCode, `${method} ${url} → ${r.statusCode} ${r.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, `${method} ${url} → ${r.body.slice(0, 200)}`).toBeLessThan(500);
      expect(r.json().error.code).toMatch(/^[A-Z_]+$/);
    }
  });

  it('answers random and truncated bodies in every format with 2xx or 4xx, and commits nothing on a 4xx', async () => {
    const rand = seededRandom(7);
    const url = (format: string) => `/api/v1/datasets/XM-03-SCJGJ-00001/records?format=${format}`;
    const good = 'credit_code,name,district,established_on,status\n91350203MA2Y0K7B39,厦门测试有限公司,350203,2020-01-01,存续\n';
    const bodies: Buffer[] = [
      Buffer.from(good.slice(0, 30)),
      Buffer.from('\uFEFF\uFEFF' + good),
      Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      Buffer.from('"unterminated,quote\n1,2\n'),
      Buffer.from('{"credit_code": "91350203MA2Y0K7B39", "name": '),
      Buffer.from('[{"credit_code": 1}, 2, "x", null]'),
      Buffer.from('PAR1garbagePAR1'),
      Buffer.from('PK\u0003\u0004garbage'),
      ...Array.from({ length: 12 }, () => Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 3000) }, () => Math.floor(rand() * 256)))),
    ];
    const count = async () => (await app.inject({ url: '/api/v1/datasets/XM-03-SCJGJ-00001' })).json().validRecords as number;
    for (const format of ['csv', 'ndjson', 'json', 'parquet', 'xlsx']) {
      for (const body of bodies) {
        const before = await count();
        const r = await app.inject({ method: 'POST', url: url(format), payload: body, headers: { 'content-type': 'application/octet-stream' } });
        expect(r.statusCode, `${format}: ${r.statusCode} ${r.body.slice(0, 200)}`).toBeLessThan(500);
        if (r.statusCode >= 400) {
          expect(r.json().error.code).toMatch(/^[A-Z_]+$/);
          expect(await count()).toBe(before);
        }
      }
    }
  });

  it('refuses every body with 403 before reading it when the caller may not write, and still answers', async () => {
    const analyst = await asPerson(app, 'SCJGJ', 'analyst');
    const r = await analyst.inject({ method: 'POST', url: '/api/v1/datasets/XM-03-SCJGJ-00001/records?format=csv', payload: Buffer.alloc(100_000, 0x41), headers: { 'content-type': 'text/csv' } });
    expect([r.statusCode, r.json().error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('publishes an OpenAPI document with the session and token security schemes and every route', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['appToken', 'session']);
    for (const path of ['/api/v1/auth/login', '/api/v1/share-requests/{id}/decide', '/api/v1/grants/{id}/revoke', '/api/v1/tokens', '/api/v1/audit/entries']) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});
