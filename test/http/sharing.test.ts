// The sharing workflow, quotas, revocation, credentials and the audit trail's refusal rule, over HTTP, on both Stores.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/modules/access/actor.ts';
import { STORE_BACKENDS, TEST_PASSWORD, as, signIn, testApp, tokenFor } from '../helpers.ts';

const OP = cliActor('test');
const FIELDS = [
  { name: 'id', label: '编号', type: 'integer', primaryKey: true },
  { name: 'district', label: '所属区', type: 'string', sensitivity: 'public' },
  { name: 'phone', label: '手机', type: 'string', format: 'mobile', sensitivity: 'sensitive' },
];
const rows = (n: number) => `id,district,phone\n${Array.from({ length: n }, (_, i) => `${i + 1},${i % 2 ? '350203' : '350205'},139${String(10000000 + i).slice(-8)}`).join('\n')}\n`;

describe.each(STORE_BACKENDS)('governed sharing on $name', ({ databaseUrl }) => {
  let base: FastifyInstance;
  let close: () => Promise<void>;
  let code: string;
  let none: string;
  let consumer: FastifyInstance;
  let consumerOrgAdmin: FastifyInstance;
  let admin: FastifyInstance;
  let steward: FastifyInstance;
  let otherSteward: FastifyInstance;

  beforeAll(async () => {
    const t = await testApp({ demo: 'small', databaseUrl });
    base = t.app;
    close = t.close;
    const p = base.platform;
    const mk = async (shareType: string) => {
      const d = await p.catalogue.create(OP, { name: `共享测试${shareType}`, summary: 's', category: '05', orgCode: 'WJW', systemCode: 'WJW-HIP', updateCycle: 'daily', shareType, openType: 'closed', fields: FIELDS } as never);
      await p.ingest.ingest({ actor: OP, dataset: d.code, format: 'csv', mode: 'append', body: Readable.from([rows(400)]), idempotencyKey: null, source: 'test' });
      return d.code;
    };
    code = await mk('conditional');
    none = await mk('none');
    consumer = as(base, { cookie: (await signIn(base, 'GAJ', 'analyst')).cookie });
    consumerOrgAdmin = as(base, { cookie: (await signIn(base, 'GAJ', 'org_admin')).cookie });
    admin = as(base, { cookie: (await signIn(base, 'DSJJ', 'platform_admin')).cookie });
    steward = as(base, { cookie: (await signIn(base, 'WJW', 'data_steward')).cookie });
    otherSteward = as(base, { cookie: (await signIn(base, 'KJJ', 'data_steward')).cookie });
  }, 60_000);
  afterAll(async () => close());

  const submit = (app = consumer, extra: Record<string, unknown> = {}) =>
    app.inject({ method: 'POST', url: '/api/v1/share-requests', payload: { dataset: code, consumerSystem: 'GAJ-HUJI', purpose: '人口服务核验', fields: ['id', 'district', 'phone'], durationDays: 30, ...extra } });
  const act = (app: FastifyInstance, id: string, step: string, payload: Record<string, unknown> = {}) => app.inject({ method: 'POST', url: `/api/v1/share-requests/${id}/${step}`, payload });
  const records = (app = consumer, params = 'limit=100') => app.inject({ url: `/api/v1/datasets/${code}/records?${params}` });

  it('runs request → platform check → provider decision with working-day clocks and the whole history', async () => {
    const r = await submit();
    expect(r.statusCode).toBe(201);
    const req = r.json();
    expect(req).toMatchObject({ status: 'platform_review', consumerOrg: 'GAJ', providerOrg: 'WJW', overdue: false });
    expect(req.workingDaysLeft).toBeGreaterThanOrEqual(1);
    expect(new Date(req.stepDueAt).getTime()).toBeGreaterThan(Date.now() + 86400_000);
    expect((await records()).json().error.code).toBe('NO_GRANT');
    // Only the platform checks; only the provider decides; the consumer cannot decide its own request.
    expect((await act(steward, req.id, 'check', { approve: true })).statusCode).toBe(404);
    expect((await act(consumer, req.id, 'decide', { approve: true })).statusCode).toBe(404);
    expect((await act(admin, req.id, 'decide', { approve: true })).json().error.code).toBe('REQUEST_NOT_FOUND');
    const checked = (await act(admin, req.id, 'check', { approve: true, note: '通过' })).json();
    expect(checked.status).toBe('provider_review');
    expect((await act(admin, req.id, 'check', { approve: true })).json().error.code).toBe('BAD_TRANSITION');
    expect((await act(steward, req.id, 'decide', { approve: false })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await act(steward, req.id, 'decide', { approve: true, masks: { phone: 'nonsense' } })).json().error.code).toBe('VALIDATION_FAILED');
    // Two racing approvals: the database lets exactly one through.
    const terms = { approve: true, rowsPerDay: 150, requestsPerMinute: 1000 };
    const race = await Promise.all([act(steward, req.id, 'decide', terms), act(steward, req.id, 'decide', terms)]);
    expect(race.map((x) => x.statusCode).sort()).toEqual([200, 409]);
    const done = (await base.inject({ url: `/api/v1/share-requests/${req.id}`, headers: { cookie: '' } })).statusCode;
    expect(done).toBe(401);
    const detail = (await consumer.inject({ url: `/api/v1/share-requests/${req.id}` })).json();
    expect(detail.status).toBe('granted');
    expect(detail.events.map((e: { action: string }) => e.action)).toEqual(['submit', 'pass', 'grant']);
    expect(detail.events[1]).toMatchObject({ from: 'platform_review', to: 'provider_review', note: '通过' });
    const page = (await records()).json();
    expect(page.items.length).toBe(100);
    const access = (await consumer.inject({ url: `/api/v1/datasets/${code}/access` })).json();
    expect(access).toMatchObject({ basis: 'grant', withheld: [], rowScope: null, grant: { rowsPerDay: 150, requestsPerMinute: 1000 } });
    expect(access.fields.map((f: { name: string; shown: string }) => `${f.name}:${f.shown}`)).toEqual(['id:clear', 'district:clear', 'phone:partial']);
    expect(page.items[0].phone).toMatch(/^139\*{4}\d{4}$/);
    // Other organisations cannot see the request.
    expect((await otherSteward.inject({ url: `/api/v1/share-requests/${req.id}` })).statusCode).toBe(404);
  });

  it('caps reads at the grant\'s daily rows, then answers 429 with Retry-After until Beijing midnight', async () => {
    // 150 rows a day: 100 were read above; the next page is cut to 50; then nothing until tomorrow.
    const second = (await records(consumer, 'limit=100&sort=id')).json();
    expect(second.items.length).toBe(50);
    const third = await records();
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe('QUOTA_EXCEEDED');
    const retry = Number(third.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(86400);
    const grants = (await consumer.inject({ url: '/api/v1/grants?as=consumer' })).json().items.filter((g: { datasetCode: string }) => g.datasetCode === code);
    const g = (await consumer.inject({ url: `/api/v1/grants/${grants[0].id}` })).json();
    expect(g.usage[0].rows).toBe(150);
  });

  it('never lets concurrent reads together pass the daily row limit', async () => {
    const kjj = as(base, { cookie: (await signIn(base, 'KJJ', 'analyst')).cookie });
    const r = (await submit(kjj, { consumerSystem: 'KJJ-HTE', fields: ['id', 'district'] })).json();
    await act(admin, r.id, 'check', { approve: true });
    await act(steward, r.id, 'decide', { approve: true, rowsPerDay: 130, requestsPerMinute: null });
    const answers = await Promise.all(Array.from({ length: 6 }, () => records(kjj, 'limit=40&fields=id')));
    const rows = answers.filter((a) => a.statusCode === 200).reduce((n, a) => n + a.json().items.length, 0);
    expect(rows).toBe(130);
    expect(answers.filter((a) => a.statusCode === 429).length).toBe(2);
    const grant = (await kjj.inject({ url: `/api/v1/grants/${(await kjj.inject({ url: `/api/v1/share-requests/${r.id}` })).json().grantId}` })).json();
    expect(grant.usage[0].rows).toBe(130);
    // A fresh grant for the same dataset and system does not reset the day's rows.
    const again = (await submit(kjj, { consumerSystem: 'KJJ-HTE', fields: ['id'] })).json();
    await act(admin, again.id, 'check', { approve: true });
    await act(steward, again.id, 'decide', { approve: true, rowsPerDay: 200, requestsPerMinute: null });
    const after = (await records(kjj, 'limit=1000&fields=id')).json();
    expect(after.items.length).toBe(200 - 130);
  });

  it('refuses a row scope that would be an oracle on fields the consumer will not see in clear', async () => {
    const notAsked = await submit(consumer, { fields: ['id'], rowScope: "phone ^= '139'" });
    expect([notAsked.statusCode, notAsked.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const r = (await submit(consumer, { fields: ['id', 'phone'], rowScope: "phone ^= '1390000'" })).json();
    await act(admin, r.id, 'check', { approve: true });
    const masked = await act(steward, r.id, 'decide', { approve: true, masks: { phone: 'partial' } });
    expect([masked.statusCode, masked.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(masked.json().error.message).toContain('phone');
    await act(steward, r.id, 'decide', { approve: false, reason: '不同意' });
  });

  it('limits requests a minute per grant with 429 RATE_LIMITED, and revocation ends access on the next request', async () => {
    const r = (await submit(consumer, { fields: ['id', 'district'] })).json();
    await act(admin, r.id, 'check', { approve: true });
    const granted = (await act(steward, r.id, 'decide', { approve: true, requestsPerMinute: 3, rowsPerDay: null })).json();
    // The newest grant is used; three requests pass, the fourth is refused.
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await records(consumer, 'limit=1&fields=id')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await records(consumer, 'limit=1&fields=id');
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Revoke both grants: the next request has none.
    for (const g of (await steward.inject({ url: '/api/v1/grants?as=provider' })).json().items.filter((x: { datasetCode: string; status: string }) => x.datasetCode === code && x.status === 'active')) {
      expect((await consumer.inject({ method: 'POST', url: `/api/v1/grants/${g.id}/revoke`, payload: { reason: '无权' } })).statusCode).toBe(404);
      const rv = await steward.inject({ method: 'POST', url: `/api/v1/grants/${g.id}/revoke`, payload: { reason: '项目结束' } });
      expect(rv.json()).toMatchObject({ status: 'revoked', revokeReason: '项目结束' });
    }
    expect(granted.grantId).toBeTruthy();
    expect((await records()).json().error.code).toBe('NO_GRANT');
  });

  it('handles refusal, one dispute, arbitration and withdrawal; a 不予共享 dataset cannot be requested', async () => {
    const r = (await submit()).json();
    await act(admin, r.id, 'check', { approve: true });
    const refused = (await act(steward, r.id, 'decide', { approve: false, reason: '超出必要范围' })).json();
    expect(refused).toMatchObject({ status: 'refused', refusalReason: '超出必要范围' });
    expect((await act(steward, r.id, 'dispute', { note: 'x' })).statusCode).toBe(404);
    expect((await act(consumerOrgAdmin, r.id, 'dispute', { note: '履职必需，有文件依据' })).json().status).toBe('disputed');
    const upheld = (await act(admin, r.id, 'arbitrate', { uphold: true, note: '维持' })).json();
    expect(upheld.status).toBe('refused');
    expect((await act(consumer, r.id, 'dispute', { note: '再次' })).json().error.code).toBe('BAD_TRANSITION');
    const w = (await submit()).json();
    expect((await act(consumer, w.id, 'withdraw')).json().status).toBe('withdrawn');
    expect((await act(admin, w.id, 'check', { approve: true })).json().error.code).toBe('BAD_TRANSITION');
    const n = await submit(consumer, { dataset: none });
    expect([n.statusCode, n.json().error.code]).toEqual([409, 'NOT_SHAREABLE']);
    const bad = await submit(consumer, { rowScope: 'nope = 1' });
    expect(bad.json().error.code).toBe('UNKNOWN_FIELD');
    const other = await submit(consumer, { consumerSystem: 'JTJ-PARK' });
    expect(other.statusCode).toBe(403);
  });

  it('lets the provider narrow the requested rows, never widen them', async () => {
    const r = (await submit(consumer, { rowScope: "district = '350203'" })).json();
    await act(admin, r.id, 'check', { approve: true });
    const wider = (await act(steward, r.id, 'decide', { approve: true, rowScope: null, rowsPerDay: null, requestsPerMinute: null })).json();
    const g = (await consumer.inject({ url: `/api/v1/grants/${wider.grantId}` })).json();
    expect(g.rowScope).toBe("district = '350203'");
    const r2 = (await submit(consumer, { rowScope: "district = '350203'" })).json();
    await act(admin, r2.id, 'check', { approve: true });
    const narrower = (await act(steward, r2.id, 'decide', { approve: true, rowScope: 'id <= 100', rowsPerDay: null, requestsPerMinute: null })).json();
    const g2 = (await consumer.inject({ url: `/api/v1/grants/${narrower.grantId}` })).json();
    expect(g2.rowScope).toBe("(district = '350203') and (id <= 100)");
    const rows = (await records(consumer, 'limit=1000&total=exact')).json();
    expect(rows.total).toBe(50);
    expect(rows.items.every((x: { id: number; district: string }) => x.id <= 100 && x.district === '350203')).toBe(true);
    for (const id of [wider.grantId, narrower.grantId]) await steward.inject({ method: 'POST', url: `/api/v1/grants/${id}/revoke`, payload: { reason: '测试结束' } });
  });

  it('lists requests by side and several statuses, with totals', async () => {
    const mine = (await consumer.inject({ url: '/api/v1/share-requests?as=consumer&status=refused,withdrawn&limit=1' })).json();
    expect(mine.items.length).toBe(1);
    expect(mine.total).toBeGreaterThanOrEqual(2);
    const provider = (await steward.inject({ url: '/api/v1/share-requests?as=provider' })).json();
    expect(provider.items.every((x: { providerOrg: string }) => x.providerOrg === 'WJW')).toBe(true);
    const none = (await steward.inject({ url: '/api/v1/share-requests?as=consumer' })).json();
    expect(none.total).toBe(0);
    const grants = (await consumer.inject({ url: '/api/v1/grants?as=consumer' })).json();
    expect(grants.items[0].datasetName).toContain('共享测试');
  });

  it('flags an overdue step', async () => {
    const r = (await submit()).json();
    const past = new Date(Date.now() - 10 * 86400_000).toISOString();
    await base.platform.store.db.updateTable('share_requests').set({ step_started_at: past, step_due_at: new Date(Date.now() - 86400_000).toISOString() }).where('id', '=', r.id).execute();
    const list = (await admin.inject({ url: '/api/v1/share-requests?status=platform_review' })).json().items;
    const mine = list.find((x: { id: string }) => x.id === r.id);
    expect(mine).toMatchObject({ overdue: true });
    expect(mine.workingDaysLeft).toBeLessThan(0);
  });

  it('refuses bad, revoked and expired tokens and ended sessions with stable 401 codes', async () => {
    const token = await tokenFor(base, 'GAJ-HUJI', ['read']);
    const id = token.split('_')[1];
    const get = (headers: Record<string, string>) => base.inject({ url: '/api/v1/datasets', headers });
    expect((await get({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
    for (const [h, c] of [
      [{ authorization: 'Bearer nope' }, 'TOKEN_INVALID'],
      [{ authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }, 'TOKEN_INVALID'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'TOKEN_INVALID'],
      [{ 'x-app-token': 'xmc_000000000000_' + 'a'.repeat(43) }, 'TOKEN_INVALID'],
      [{ cookie: 'xmc_session=forged' }, 'SESSION_EXPIRED'],
    ] as const) {
      const r = await get(h as Record<string, string>);
      expect([r.statusCode, r.json().error.code]).toEqual([401, c]);
    }
    await base.platform.store.db.updateTable('app_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', id).execute();
    expect((await get({ authorization: `Bearer ${token}` })).json().error.code).toBe('TOKEN_EXPIRED');
    const t2 = await tokenFor(base, 'GAJ-HUJI', ['read']);
    expect((await consumerOrgAdmin.inject({ method: 'DELETE', url: `/api/v1/tokens/${t2.split('_')[1]}` })).statusCode).toBe(204);
    expect((await get({ authorization: `Bearer ${t2}` })).json().error.code).toBe('TOKEN_REVOKED');
    // Tokens are listed without secrets; only the hash is stored.
    const listed = (await consumerOrgAdmin.inject({ url: '/api/v1/tokens' })).json().items;
    // The secret is everything after xmc_<12-character id>_ (it may itself contain "_").
    const secret = t2.slice('xmc_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(listed)).not.toContain(secret);
    const stored = await base.platform.store.db.selectFrom('app_tokens').select('secret_hash').where('id', '=', t2.split('_')[1]).executeTakeFirstOrThrow();
    expect(stored.secret_hash).not.toContain(secret);
    // An expired session.
    const s = await signIn(base, 'GAJ', 'analyst');
    const user = await base.platform.store.db.selectFrom('users').select('id').where('username', '=', s.username).executeTakeFirstOrThrow();
    await base.platform.store.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('user_id', '=', user.id).execute();
    const r = await get({ cookie: s.cookie });
    expect([r.statusCode, r.json().error.code]).toEqual([401, 'SESSION_EXPIRED']);
    expect(String(r.headers['set-cookie'])).toContain('Max-Age=0');
  });

  it('locks an account after five failed sign-ins, hashes passwords with scrypt, and sets a strict HTTP-only cookie', async () => {
    const { username } = await signIn(base, 'GAJ', 'analyst');
    const login = (password: string) => base.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    const ok = await login(TEST_PASSWORD);
    expect(String(ok.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    for (let i = 0; i < 4; i++) expect((await login('wrong-password-1')).json().error.code).toBe('BAD_CREDENTIALS');
    const locked = await login('wrong-password-1');
    expect([locked.statusCode, locked.json().error.code]).toEqual([429, 'ACCOUNT_LOCKED']);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(60);
    expect((await login(TEST_PASSWORD)).json().error.code).toBe('ACCOUNT_LOCKED');
    const unknown = await base.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'nobody', password: 'x' } });
    expect(unknown.json().error.code).toBe('BAD_CREDENTIALS');
    const u = await base.platform.store.db.selectFrom('users').select('password_hash').where('username', '=', username).executeTakeFirstOrThrow();
    expect(u.password_hash).toMatch(/^scrypt\$\d+\$8\$1\$/);
  });

  it('changes a password with the current one, ending the other sessions', async () => {
    const a = await signIn(base, 'GAJ', 'analyst');
    const second = await base.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: a.username, password: TEST_PASSWORD } });
    const other = String(second.headers['set-cookie']).split(';')[0];
    const me = as(base, { cookie: a.cookie });
    expect((await me.inject({ method: 'POST', url: '/api/v1/auth/password', payload: { current: 'wrong-one-1', password: 'New-password-2' } })).json().error.code).toBe('BAD_CREDENTIALS');
    expect((await me.inject({ method: 'POST', url: '/api/v1/auth/password', payload: { current: TEST_PASSWORD, password: 'short' } })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await me.inject({ method: 'POST', url: '/api/v1/auth/password', payload: { current: TEST_PASSWORD, password: 'New-password-2' } })).statusCode).toBe(204);
    expect((await me.inject({ url: '/api/v1/auth/me' })).statusCode).toBe(200);
    expect((await base.inject({ url: '/api/v1/datasets', headers: { cookie: other } })).json().error.code).toBe('SESSION_EXPIRED');
    const login = await base.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: a.username, password: 'New-password-2' } });
    expect(login.statusCode).toBe(200);
  });

  it('refuses a cookie-authenticated write from another site', async () => {
    const r = await consumer.inject({ method: 'POST', url: '/api/v1/share-requests', headers: { origin: 'https://evil.example' }, payload: {} });
    expect([r.statusCode, r.json().error.code]).toEqual([403, 'CSRF_REJECTED']);
  });

  it('audits every attempt, allowed or denied, with who, what, grant, purpose and rows', async () => {
    const auditor = as(base, { cookie: (await signIn(base, 'DSJJ', 'auditor')).cookie });
    const entries = (await auditor.inject({ url: `/api/v1/audit/entries?dataset=${code}&limit=500` })).json().items;
    const reads = entries.filter((e: { action: string }) => e.action === 'records.read');
    const allowed = reads.find((e: { result: string; grantId: string | null }) => e.result === 'allowed' && e.grantId);
    expect(allowed).toMatchObject({ actorKind: 'person', orgCode: 'GAJ', purpose: '人口服务核验' });
    expect(allowed.rowCount).toBeGreaterThan(0);
    const denied = reads.filter((e: { result: string }) => e.result === 'denied').map((e: { detail: { code: string } }) => e.detail.code);
    expect(new Set(denied)).toEqual(new Set(['NO_GRANT', 'QUOTA_EXCEEDED', 'RATE_LIMITED']));
    const authFailures = (await auditor.inject({ url: '/api/v1/audit/entries?action=auth&result=denied' })).json().items;
    expect(authFailures.length).toBeGreaterThanOrEqual(4);
    const logins = (await auditor.inject({ url: '/api/v1/audit/entries?action=auth.login&limit=500' })).json().items;
    expect(logins.some((e: { result: string; detail: { code: string } }) => e.result === 'denied' && e.detail.code === 'ACCOUNT_LOCKED')).toBe(true);
    expect(logins.some((e: { result: string; actorKind: string }) => e.result === 'allowed' && e.actorKind === 'person')).toBe(true);
    expect((await auditor.inject({ method: 'POST', url: '/api/v1/audit/verify' })).json()).toMatchObject({ ok: true, fault: null });
    const cp = await auditor.inject({ method: 'POST', url: '/api/v1/audit/checkpoints' });
    expect(cp.statusCode).toBe(201);
    const proof = (await auditor.inject({ url: `/api/v1/audit/entries/${allowed.seq}/proof` })).json();
    expect(proof.valid).toBe(true);
    // The provider sees who used its data and why; an analyst of the consumer does not read the trail.
    const provider = (await steward.inject({ url: `/api/v1/audit/entries?dataset=${code}` })).json().items;
    expect(provider.some((e: { orgCode: string; purpose: string }) => e.orgCode === 'GAJ' && e.purpose === '人口服务核验')).toBe(true);
    expect((await consumer.inject({ url: '/api/v1/audit/entries' })).statusCode).toBe(403);
  });

  it('refuses the access when the audit entry cannot be written', async () => {
    const owner = as(base, { cookie: (await signIn(base, 'WJW', 'analyst')).cookie });
    expect((await records(owner)).statusCode).toBe(200);
    const db = base.platform.store.db;
    await sql`ALTER TABLE audit_entries RENAME TO audit_entries_away`.execute(db);
    try {
      const r = await records(owner);
      expect([r.statusCode, r.json().error.code]).toEqual([503, 'AUDIT_UNAVAILABLE']);
      expect(r.body).not.toContain('139');
      const w = await as(base, { authorization: `Bearer ${await tokenFor(base, 'WJW-HIP', ['ingest'])}` }).inject({
        method: 'POST', url: `/api/v1/datasets/${code}/records?format=csv`, payload: 'id,district,phone\n9999,350203,13900000000\n', headers: { 'content-type': 'text/csv' },
      });
      expect(w.statusCode).toBe(503);
    } finally {
      await sql`ALTER TABLE audit_entries_away RENAME TO audit_entries`.execute(db);
    }
    expect((await records(owner)).statusCode).toBe(200);
    expect((await base.platform.audit.verify()).ok).toBe(true);
  });
});
