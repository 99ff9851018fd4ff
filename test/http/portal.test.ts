// The open-data portal: summary and timeliness, published dataset pages, registration, applications for
// conditionally open data through the same grant and audit machinery, application tokens, and the annual plan.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceId } from '../../src/modules/ckan/ids.ts';
import { as, signIn, testApp } from '../helpers.ts';

let app: FastifyInstance;
let close: () => Promise<void>;
let ent: string;

beforeAll(async () => {
  const t = await testApp({ demo: 'small' });
  app = t.app;
  close = t.close;
  ent = (await app.platform.catalogue.all()).find((d) => d.openType === 'conditional')!.code;
});
afterAll(async () => close());

describe('open-data portal', () => {
  it('summarises what is published, with the timeliness rate per organisation and the plan', async () => {
    const s = (await app.inject({ url: '/api/v1/portal/summary' })).json();
    const published = (await app.platform.catalogue.all()).filter((d) => d.openType !== 'closed');
    expect(s.datasets).toBe(published.length);
    expect(s.records).toBe(published.reduce((n, d) => n + d.validRecords, 0));
    expect(s.timeliness.byOrg.length).toBeGreaterThan(0);
    for (const o of s.timeliness.byOrg) expect(o.rate).toBe(o.timely / o.datasets);
    expect(s.plan.total).toBe(10);
  });

  it('flags a dataset that missed its update cycle', async () => {
    const d = (await app.platform.catalogue.all()).find((x) => x.openType === 'open' && x.updateCycle === 'daily')!;
    await app.platform.store.db.updateTable('datasets').set({ last_ingest_at: new Date(Date.now() - 5 * 86400_000).toISOString() }).where('code', '=', d.code).execute();
    await app.platform.catalogue.refresh(d.code);
    const late = (await app.inject({ url: '/api/v1/portal/late' })).json().items;
    expect(late.map((x: { code: string }) => x.code)).toContain(d.code);
    const page = (await app.inject({ url: `/api/v1/portal/datasets/${d.code}` })).json();
    expect(page.timely).toBe(false);
    const pkg = (await app.inject({ url: `/api/3/action/package_show?id=${d.code.toLowerCase()}` })).json().result;
    expect(pkg.extras.find((e: { key: string }) => e.key === 'timely').value).toBe('false');
  });

  it('shows a published dataset with only its published fields, downloads and API calls', async () => {
    const page = (await app.inject({ url: `/api/v1/portal/datasets/${ent}` })).json();
    const fields = page.fields.map((f: { name: string }) => f.name);
    expect(fields).toContain('credit_code');
    expect(fields).not.toContain('legal_rep_id');
    expect(fields).not.toContain('phone');
    expect(page.downloads.map((x: { format: string }) => x.format)).toEqual(['CSV', 'JSON', 'Parquet', 'XLSX']);
    expect(page.api.ckan).toContain(resourceId(ent, 'datastore'));
    const closed = (await app.platform.catalogue.all()).find((d) => d.openType === 'closed')!;
    expect((await app.inject({ url: `/api/v1/portal/datasets/${closed.code}` })).statusCode).toBe(404);
  });

  it('registers an enterprise with a checked credit code, applies, is approved by the owner, and reads with its token', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/v1/portal/register', payload: { kind: 'enterprise', name: '坏代码公司', username: 'bad.code', password: 'Good-password-1', creditCode: '91350203MA2Y0K7B38' } });
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const reg = await app.inject({ method: 'POST', url: '/api/v1/portal/register', payload: { kind: 'person', name: '王小明', username: 'wang.xm', password: 'Good-password-1' } });
    expect(reg.statusCode).toBe(201);
    expect(reg.json()).toMatchObject({ role: 'public', username: 'wang.xm' });
    const again = await app.inject({ method: 'POST', url: '/api/v1/portal/register', payload: { kind: 'person', name: '王小明', username: 'wang.xm', password: 'Good-password-1' } });
    expect(again.json().error.code).toBe('USER_EXISTS');
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'wang.xm', password: 'Good-password-1' } });
    const me = as(app, { cookie: String(login.headers['set-cookie']).split(';')[0] });
    // A member of the public sees no internal catalogue and cannot use the inter-department workflow.
    expect((await me.inject({ url: '/api/v1/datasets' })).statusCode).toBe(403);
    expect((await me.inject({ method: 'POST', url: '/api/v1/share-requests', payload: { dataset: ent, consumerSystem: 'JTJ-PARK', purpose: '试试看', fields: ['credit_code'] } })).statusCode).toBe(403);
    const open = (await app.platform.catalogue.all()).find((d) => d.openType === 'open')!;
    expect((await me.inject({ method: 'POST', url: '/api/v1/portal/applications', payload: { dataset: open.code, purpose: '研究用途', commitment: '仅用于研究，不外传，妥善保管数据。' } })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await me.inject({ method: 'POST', url: '/api/v1/portal/applications', payload: { dataset: ent, purpose: '研究用途', commitment: '短' } })).json().error.code).toBe('VALIDATION_FAILED');
    const applied = await me.inject({ method: 'POST', url: '/api/v1/portal/applications', payload: { dataset: ent, purpose: '企业信用研究', commitment: '仅用于研究，不外传，妥善保管数据。', durationDays: 30 } });
    expect(applied.statusCode).toBe(201);
    const appl = applied.json();
    expect(appl).toMatchObject({ status: 'provider_review', shareType: 'open-conditional', providerOrg: 'SCJGJ', consumerName: '王小明', commitment: '仅用于研究，不外传，妥善保管数据。' });
    const twice = await me.inject({ method: 'POST', url: '/api/v1/portal/applications', payload: { dataset: ent, purpose: '企业信用研究', commitment: '仅用于研究，不外传，妥善保管数据。', durationDays: 30 } });
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, 'BAD_TRANSITION']);
    expect((await me.inject({ method: 'POST', url: `/api/v1/portal/applications/${appl.id}/token` })).json().error.code).toBe('BAD_TRANSITION');
    const owner = as(app, { cookie: (await signIn(app, 'SCJGJ', 'data_steward')).cookie });
    const decided = await owner.inject({ method: 'POST', url: `/api/v1/share-requests/${appl.id}/decide`, payload: { approve: true, rowsPerDay: 1000, requestsPerMinute: 100 } });
    expect(decided.json().status).toBe('granted');
    const mine = (await me.inject({ url: '/api/v1/portal/applications' })).json().items;
    expect(mine.find((x: { id: string }) => x.id === appl.id).status).toBe('granted');
    const t1 = (await me.inject({ method: 'POST', url: `/api/v1/portal/applications/${appl.id}/token` })).json();
    const t2 = (await me.inject({ method: 'POST', url: `/api/v1/portal/applications/${appl.id}/token` })).json();
    expect(t2.token).not.toBe(t1.token);
    // The newest token reads the dataset (CKAN and hub API); the replaced one no longer works.
    const ck = await app.inject({ url: `/api/3/action/datastore_search?resource_id=${resourceId(ent, 'datastore')}&limit=3`, headers: { 'x-app-token': t2.token } });
    expect(ck.json().success).toBe(true);
    expect(Object.keys(ck.json().result.records[0])).not.toContain('legal_rep_id');
    const hub = await app.inject({ url: `/api/v1/datasets/${ent}/records?limit=2`, headers: { 'x-app-token': t2.token } });
    expect(hub.statusCode).toBe(200);
    expect((await app.inject({ url: `/api/v1/datasets/${ent}/records?limit=2`, headers: { 'x-app-token': t1.token } })).json().error.code).toBe('TOKEN_REVOKED');
    // It reads nothing else that is not open.
    const other = (await app.platform.catalogue.all()).find((d) => d.openType === 'closed')!;
    expect((await app.inject({ url: `/api/v1/datasets/${other.code}/records?limit=1`, headers: { 'x-app-token': t2.token } })).json().error.code).toBe('NO_GRANT');
    // A revoked grant shows on the application.
    await owner.inject({ method: 'POST', url: `/api/v1/grants/${decided.json().grantId}/revoke`, payload: { reason: '测试撤销' } });
    const revoked = (await me.inject({ url: '/api/v1/portal/applications' })).json().items.find((x: { id: string }) => x.id === appl.id);
    expect(revoked.grant).toMatchObject({ status: 'revoked', revokeReason: '测试撤销' });
    // And the access is in the audit trail, under the grant and the application's purpose.
    const entries = await app.platform.audit.search({ dataset: ent, limit: 20 });
    expect(entries.find((e) => e.grantId === decided.json().grantId && e.result === 'allowed')?.purpose).toContain('企业信用研究');
  });

  it('derives the annual plan\'s statuses from the catalogue, with progress by organisation and month', async () => {
    const year = Number(new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 4));
    expect((await app.inject({ url: '/api/v1/open-plans' })).json().years).toContain(year);
    const plan = (await app.inject({ url: `/api/v1/open-plans/${year}` })).json();
    const status = Object.fromEntries(plan.items.map((x: { title: string; status: string }) => [x.title, x.status]));
    expect(status['公交线路日客流量']).toBe('opened');
    expect(status['12345 市民诉求办理情况（脱敏）']).toBe('in_progress');
    expect(status['公共停车场实时泊位']).toBe('planned');
    expect(status['电动汽车充电桩分布']).toBe(new Date() > new Date(`${year}-08-31T23:59:59+08:00`) ? 'overdue' : 'planned');
    expect(plan.opened + plan.inProgress + plan.planned + plan.overdue).toBe(plan.total);
    expect(plan.byMonth).toHaveLength(12);
    expect(plan.byOrg.find((o: { orgCode: string }) => o.orgCode === 'JTJ').total).toBe(3);
    const admin = as(app, { cookie: (await signIn(app, 'DSJJ', 'platform_admin')).cookie });
    const steward = as(app, { cookie: (await signIn(app, 'JTJ', 'data_steward')).cookie });
    const item = { year, title: '新增计划', orgCode: 'JTJ', openType: 'open', dueOn: `${year}-12-31` };
    expect((await steward.inject({ method: 'POST', url: '/api/v1/open-plans/items', payload: item })).statusCode).toBe(403);
    const created = await admin.inject({ method: 'POST', url: '/api/v1/open-plans/items', payload: item });
    expect(created.statusCode).toBe(201);
    const bus = (await app.platform.catalogue.all()).find((d) => d.orgCode === 'JTJ' && d.openType === 'open')!;
    expect((await steward.inject({ method: 'PATCH', url: `/api/v1/open-plans/items/${created.json().id}`, payload: { datasetCode: bus.code } })).statusCode).toBe(204);
    const after = (await app.inject({ url: `/api/v1/open-plans/${year}` })).json();
    expect(after.items.find((x: { id: string }) => x.id === created.json().id).status).toBe('opened');
    // A dataset opened only on application does not fulfil an item planned 无条件开放; it does one planned 有条件开放.
    const cond = (await app.platform.catalogue.all()).find((d) => d.openType === 'conditional' && d.validRecords > 0)!;
    const ids: Record<string, string> = {};
    for (const openType of ['open', 'conditional']) {
      const r = await admin.inject({ method: 'POST', url: '/api/v1/open-plans/items', payload: { year, title: `按${openType}开放`, orgCode: cond.orgCode, openType, dueOn: `${year}-12-31`, datasetCode: cond.code } });
      expect(r.statusCode, r.body).toBe(201);
      ids[openType] = r.json().id;
    }
    const mixed = (await app.inject({ url: `/api/v1/open-plans/${year}` })).json().items as { id: string; status: string; openedAt: string | null }[];
    expect(mixed.find((x) => x.id === ids.open)).toMatchObject({ status: 'in_progress', openedAt: null });
    expect(mixed.find((x) => x.id === ids.conditional)).toMatchObject({ status: 'opened', openedAt: expect.any(String) });
  });
});
