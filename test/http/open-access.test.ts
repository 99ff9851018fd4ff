// Openly published datasets (无条件开放) are read by anyone through the same access decision, without their
// sensitive fields; anonymous visitors are limited per IP address and application tokens per token.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, tokenFor } from '../helpers.ts';

let app: FastifyInstance;
let close: () => Promise<void>;
let open: string;
let closed: string;

beforeAll(async () => {
  const t = await testApp({ demo: 'small', env: { XMCITY_ANON_RPM: '25', XMCITY_TOKEN_RPM: '8' } });
  app = t.app;
  close = t.close;
  const all = await app.platform.catalogue.all();
  open = all.find((d) => d.openType === 'open' && d.name.includes('医'))!.code;
  closed = all.find((d) => d.openType === 'closed')!.code;
});
afterAll(async () => close());

describe('open data through the access decision', () => {
  it('lets anyone read an open dataset, and no one anonymous read a closed one', async () => {
    const r = await app.inject({ url: `/api/v1/datasets/${open}/records?limit=5&total=exact` });
    expect(r.statusCode).toBe(200);
    expect(r.json().total).toBeGreaterThan(0);
    const c = await app.inject({ url: `/api/v1/datasets/${closed}/records?limit=5`, remoteAddress: '10.0.0.2' });
    expect([c.statusCode, c.json().error.code]).toEqual([401, 'AUTH_REQUIRED']);
    const entries = await app.platform.audit.search({ dataset: open, actorId: 'anonymous', limit: 5 });
    expect(entries[0]).toMatchObject({ result: 'allowed', actorKind: 'anonymous', detail: { basis: 'open' } });
  });

  it('limits anonymous visitors per IP address with 429 and Retry-After', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 26; i++) codes.push((await app.inject({ url: '/api/v1/hub/summary', remoteAddress: '10.9.9.9' })).statusCode);
    expect(codes.filter((c) => c === 200).length).toBe(25);
    const r = await app.inject({ url: '/api/v1/hub/summary', remoteAddress: '10.9.9.9' });
    expect([r.statusCode, r.json().error.code]).toEqual([429, 'TOO_MANY_REQUESTS']);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.inject({ url: '/api/v1/hub/summary', remoteAddress: '10.9.9.10' })).statusCode).toBe(200);
  });

  it('limits each application token separately', async () => {
    const a = await tokenFor(app, 'JTJ-BUS', ['read']);
    const b = await tokenFor(app, 'JTJ-BUS', ['read']);
    const get = (t: string) => app.inject({ url: '/api/v1/datasets?limit=1', headers: { authorization: `Bearer ${t}` } });
    for (let i = 0; i < 8; i++) expect((await get(a)).statusCode).toBe(200);
    expect((await get(a)).json().error.code).toBe('TOO_MANY_REQUESTS');
    expect((await get(b)).statusCode).toBe(200);
  });
});
