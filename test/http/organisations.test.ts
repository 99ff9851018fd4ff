// Registering organisations and connected systems over HTTP: who may, what is checked, and the audit entry.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, signIn, testApp, tokenFor } from '../helpers.ts';

describe('registering organisations and systems', () => {
  let base: FastifyInstance;
  let close: () => Promise<void>;
  let admin: FastifyInstance;

  beforeAll(async () => {
    const t = await testApp({ demo: 'none' });
    base = t.app;
    close = t.close;
    await base.platform.orgs.createOrganisation({ code: 'DSJJ', name: '大数据管理局', nameEn: 'Big data', kind: 'department', adcode: null });
    admin = as(base, { cookie: (await signIn(base, 'DSJJ', 'platform_admin')).cookie });
  }, 60_000);
  afterAll(async () => close());

  it('lets the platform admin register a department and its admin register a system that then gets tokens', async () => {
    const r = await admin.inject({ method: 'POST', url: '/api/v1/organisations', payload: { code: 'JTJ', name: '厦门市交通运输局', nameEn: 'Transport Bureau', kind: 'department' } });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ code: 'JTJ', systems: 0 });
    expect((await admin.inject({ method: 'POST', url: '/api/v1/organisations', payload: { code: 'JTJ', name: 'x', nameEn: 'x', kind: 'department' } })).statusCode).toBe(400);
    expect((await admin.inject({ method: 'POST', url: '/api/v1/organisations', payload: { code: 'D1', name: 'x', nameEn: 'x', kind: 'district', adcode: '110101' } })).json().error.code).toBe('VALIDATION_FAILED');

    const jtjAdmin = as(base, { cookie: (await signIn(base, 'JTJ', 'org_admin')).cookie });
    const steward = as(base, { cookie: (await signIn(base, 'JTJ', 'data_steward')).cookie });
    const sys = { code: 'JTJ-PARK', name: '智慧停车平台', nameEn: 'Smart parking platform', cycle: 'realtime' };
    expect((await steward.inject({ method: 'POST', url: '/api/v1/organisations/JTJ/systems', payload: sys })).statusCode).toBe(403);
    expect((await base.inject({ method: 'POST', url: '/api/v1/organisations/JTJ/systems', payload: sys })).statusCode).toBe(401);
    expect((await jtjAdmin.inject({ method: 'POST', url: '/api/v1/organisations/DSJJ/systems', payload: { ...sys, code: 'DSJJ-X' } })).statusCode).toBe(403);
    expect((await jtjAdmin.inject({ method: 'POST', url: '/api/v1/organisations/JTJ/systems', payload: { ...sys, cycle: 'sometimes' } })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await jtjAdmin.inject({ method: 'POST', url: '/api/v1/organisations/JTJ/systems', payload: { ...sys, code: 'jtj park' } })).json().error.code).toBe('VALIDATION_FAILED');
    // An organisation's systems carry its code: JTJ cannot claim a code that names another organisation.
    expect((await jtjAdmin.inject({ method: 'POST', url: '/api/v1/organisations/JTJ/systems', payload: { ...sys, code: 'DSJJ-HUB' } })).json().error.code).toBe('VALIDATION_FAILED');
    const made = await jtjAdmin.inject({ method: 'POST', url: '/api/v1/organisations/JTJ/systems', payload: sys });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({ code: 'JTJ-PARK', orgCode: 'JTJ', cycle: 'realtime', status: 'pending' });
    expect(await tokenFor(base, 'JTJ-PARK', ['ingest'])).toMatch(/^xmc_/);

    const trail = await base.platform.store.db.selectFrom('audit_entries').select(['action', 'result']).where('action', 'in', ['organisations.register', 'systems.register']).execute();
    expect(trail.filter((e) => e.result === 'allowed').map((e) => e.action).sort()).toEqual(['organisations.register', 'systems.register']);
    expect(trail.filter((e) => e.result === 'denied').length).toBeGreaterThanOrEqual(2);
  });
});
