// End-to-end test of the web shell: real Chromium (playwright-core) against the real server
// (buildApp + loadConfig from src/, demo data 'small', a throwaway data directory).
// The console signs in like a person would (demo accounts, password Xiamen-2022): the dataset steps run as
// scjg.steward, the owner of the enterprise registrations; the sharing steps walk a request from the no-grant
// panel through the platform check and the provider's decision to masked, row-scoped records; the audit
// viewer is checked as the auditor.
//
// Needs web/dist (built by `npm test` via build:web; built here if missing) and /usr/bin/chromium.
// XMCITY_WEB_TEST_URL=http://host:port runs the same flow against an already running server instead.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD, ROOT, digits, ensureWebBuilt, hasChromium, launchChromium, openPage, poll, startServer, warnIfNoChromium } from './harness.ts';

warnIfNoChromium('web shell');

interface Field {
  name: string;
  label: string;
  type: string;
  required: boolean;
  primaryKey: boolean;
  sensitivity: string;
  format?: string | null;
  enum?: string[] | null;
}
interface DatasetSummary {
  code: string;
  name: string;
  orgCode: string;
  shareType: string;
  validRecords: number;
}
interface Dataset extends DatasetSummary {
  fields: Field[];
  primaryKey: string[];
}
type Row = Record<string, unknown>;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const trimmed = (ss: string[]) => ss.map((s) => s.trim());

describe.skipIf(!hasChromium)('web shell in Chromium against the real server', () => {
  let server: { url: string; close: () => Promise<void> } | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let dataset: Dataset;
  let hotline: Dataset;
  let firstRows: Row[] = [];
  /** Session cookies of demo accounts signed in over plain HTTP, for checking the UI against the API. */
  const cookies = new Map<string, string>();

  async function cookieOf(username: string): Promise<string> {
    const known = cookies.get(username);
    if (known) return known;
    const res = await fetch(`${server!.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: DEMO_PASSWORD }),
    });
    if (!res.ok) throw new Error(`sign-in of ${username} → ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie, 'the sign-in sets the session cookie').toMatch(/^xmc_session=./);
    cookies.set(username, cookie);
    return cookie;
  }

  /** GET an API path as a demo account (default: the enterprise dataset's steward). */
  async function api<T>(path: string, as = 'scjg.steward'): Promise<T> {
    const res = await fetch(`${server!.url}/api/v1${path}`, { headers: { cookie: await cookieOf(as) } });
    if (!res.ok) throw new Error(`GET ${path} as ${as} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Signs in through the sign-in page and waits for the header to show the person. */
  async function signIn(username: string, displayName: string) {
    await page.goto(`${server!.url}/login`);
    await page.locator('input[data-testid=login-username]').fill(username);
    await page.locator('input[data-testid=login-password]').fill(DEMO_PASSWORD);
    await page.locator('[data-testid=login-submit]').click();
    await page.waitForURL((u) => u.pathname !== '/login');
    await poll(() => page.locator('[data-testid=user-name]').textContent()).toBe(displayName);
  }

  /** Signs out from the header's user menu. */
  async function signOut() {
    await page.locator('[data-testid=user-menu-trigger]').click();
    await page.locator('[data-testid=sign-out]').click();
    // A public page stays (with a sign-in button); any other goes to the sign-in page.
    await page.locator('[data-testid=sign-in-button], [data-testid=login-form]').first().waitFor();
    expect(await page.locator('[data-testid=user-menu-trigger]').count()).toBe(0);
  }

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startServer();

    // Pick a demo dataset of the steward's organisation (SCJGJ) with records; prefer simple field types
    // (CSV-friendly) and a primary key.
    const list = await api<{ items: DatasetSummary[] }>('/datasets?limit=100');
    const candidates: Dataset[] = [];
    for (const d of list.items.filter((x) => x.validRecords > 0 && x.orgCode === 'SCJGJ')) {
      candidates.push(await api<Dataset>(`/datasets/${encodeURIComponent(d.code)}`));
    }
    const simple = (d: Dataset) => d.fields.every((f) => f.type !== 'json' && f.type !== 'geopoint');
    const score = (d: Dataset) =>
      (simple(d) ? 4 : 0) + (d.primaryKey.length ? 2 : 0) + (d.fields.some((f) => f.required && !f.primaryKey) ? 1 : 0);
    candidates.sort((a, b) => score(b) - score(a));
    expect(candidates.length, 'the small demo should hold at least one dataset with records').toBeGreaterThan(0);
    dataset = candidates[0];
    firstRows = (await api<{ items: Row[] }>(`/datasets/${encodeURIComponent(dataset.code)}/records?limit=2`)).items;
    // The 12345 hotline cases of SZJ: shared on request, and Siming District holds no grant on them.
    const hot = list.items.find((d) => d.name === '12345 热线工单');
    expect(hot, 'the small demo should hold the 12345 hotline dataset').toBeTruthy();
    expect(hot!.shareType).toBe('conditional');
    hotline = await api<Dataset>(`/datasets/${encodeURIComponent(hot!.code)}`);

    browser = await launchChromium();
    page = await openPage(browser, pageErrors);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 60_000);

  it('overview renders in Chinese with real CJK glyphs', async () => {
    await page.goto(`${server!.url}/`);
    await poll(() => page.title()).toBe('数字厦门 · 城市数据中枢');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');

    const brand = page.locator('[data-testid=brand]');
    await brand.waitFor();
    expect(await brand.textContent()).toBe('数字厦门');
    // Each CJK character must be close to 1em wide: a missing CJK font gives zero-width or narrow fallbacks.
    for (const sel of ['[data-testid=brand]', '[data-testid=page-title]']) {
      const m = await page.locator(sel).evaluate((el: any) => {
        const range = el.ownerDocument.createRange();
        range.selectNodeContents(el);
        return {
          text: String(el.textContent).trim(),
          width: range.getBoundingClientRect().width as number,
          fontSize: parseFloat(el.ownerDocument.defaultView.getComputedStyle(el).fontSize),
        };
      });
      const cjk = [...m.text].filter((c) => /\p{Script=Han}/u.test(c)).length;
      expect(cjk, `${sel} should be Chinese text`).toBeGreaterThan(0);
      expect(m.width, `${sel} "${m.text}" renders ${m.width}px at ${m.fontSize}px`).toBeGreaterThan(0.8 * m.fontSize * cjk);
    }

    // Summary cards carry the server's figures.
    const summary = await api<{ datasets: number; organisations: number }>('/hub/summary');
    await poll(() => page.locator('[data-testid=stat-datasets]').textContent().then(digits)).toBe(String(summary.datasets));
    await poll(() => page.locator('[data-testid=stat-organisations]').textContent().then(digits)).toBe(String(summary.organisations));
    await page.locator('[data-testid=valid-progress]').waitFor();
    await page.locator('[data-testid=daily-chart] canvas').first().waitFor();
    // Signed out: the overview stays, the systems need a sign-in, and the header offers one.
    await page.locator('[data-testid=system-status-signin]').waitFor();
    await page.locator('[data-testid=sign-in-button]').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.waitForTimeout(500); // let the chart animation settle for the screenshot

    const shot = join(tmpdir(), 'xmcity-web-overview.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.info(`overview screenshot: ${shot}`);
  });

  it('sends a signed-out visitor to sign in, shows a wrong password, and comes back signed in', async () => {
    await page.locator('[data-testid=nav-catalogue]').click();
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('redirect') === '/datasets');
    // The hint lists the demo accounts.
    const hint = await page.locator('[data-testid=demo-accounts]').textContent();
    for (const user of ['admin', 'auditor', 'scjg.steward', 'szj.steward', 'siming.analyst']) expect(hint).toContain(user);
    expect(hint).toContain(DEMO_PASSWORD);

    await page.locator('input[data-testid=login-username]').fill('scjg.steward');
    await page.locator('input[data-testid=login-password]').fill('not-the-password');
    await page.locator('[data-testid=login-submit]').click();
    await poll(() => page.locator('[data-testid=login-error]').textContent()).toContain('用户名或密码错误');
    expect(new URL(page.url()).pathname).toBe('/login');

    // A locked account (too many failed sign-ins) is told how long to wait, in words.
    let status = 0;
    for (let i = 0; i < 10 && status !== 429; i++) {
      const res = await fetch(`${server!.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'jtj.analyst', password: `wrong-${i}` }),
      });
      status = res.status;
    }
    expect(status, 'repeated failures lock the account').toBe(429);
    await page.locator('input[data-testid=login-username]').fill('jtj.analyst');
    await page.locator('input[data-testid=login-password]').fill(DEMO_PASSWORD);
    await page.locator('[data-testid=login-submit]').click();
    await poll(() => page.locator('[data-testid=login-error]').textContent()).toMatch(/账号已锁定，请 \d+ 分钟后再试/);

    await page.locator('input[data-testid=login-username]').fill('scjg.steward');
    await page.locator('input[data-testid=login-password]').fill(DEMO_PASSWORD);
    await page.locator('[data-testid=login-submit]').click();
    await page.waitForURL((u) => u.pathname === '/datasets');
    await poll(() => page.locator('[data-testid=user-name]').textContent()).toBe('市场监管局数据专员');
    expect(await page.locator('[data-testid=user-role]').textContent()).toBe('数据专员');
    await poll(() => page.locator('[data-testid=user-org]').textContent()).toBe('厦门市市场监督管理局');
    // A data steward takes part in sharing and reads the audit of its data, but manages no tokens.
    await page.locator('[data-testid=nav-sharing]').waitFor();
    await page.locator('[data-testid=nav-audit]').waitFor();
    expect(await page.locator('[data-testid=nav-tokens]').count()).toBe(0);
  });

  it('catalogue search finds the dataset and opens it', async () => {
    await page.locator('[data-testid=nav-catalogue]').click();
    await page.waitForURL(/\/datasets(\?|$)/);
    await page.locator('input[data-testid=catalogue-q]').fill(dataset.name);
    await page.locator('input[data-testid=catalogue-q]').press('Enter');
    await page.waitForURL((u) => u.searchParams.get('q') === dataset.name);
    const link = page.locator('[data-testid=dataset-link]', { hasText: dataset.name }).first();
    await link.waitFor();
    await link.click();
    await page.waitForURL(new RegExp(`/datasets/${encodeURIComponent(dataset.code)}`));
    await poll(() => page.locator('[data-testid=dataset-title]').textContent()).toContain(dataset.name);
  });

  it('schema tab lists every field', async () => {
    await page.locator('[data-testid=tab-schema]').click();
    const rows = page.locator('[data-testid=schema-table] .el-table__body tbody tr');
    await poll(() => rows.count()).toBe(dataset.fields.length);
    const names = await page.locator('[data-testid=schema-field]').allTextContents();
    expect(names.map((s) => s.trim())).toEqual(dataset.fields.map((f) => f.name));
  });

  it('preview shows records, and a filter narrows them', async () => {
    await page.locator('[data-testid=tab-preview]').click();
    await page.locator('[data-testid=access-owner]').waitFor(); // the steward reads its own organisation's data
    const rows = page.locator('[data-testid=preview-table] .el-table__body tbody tr');
    await poll(() => rows.count()).toBeGreaterThan(0);
    await poll(() => page.locator('[data-testid=preview-total]').textContent().then(digits)).not.toBe('');

    // Filter on a string value of the first record.
    const first = firstRows[0];
    const field = dataset.fields.find((f) => f.type === 'string' && typeof first?.[f.name] === 'string' && first[f.name] !== '');
    expect(field, 'the dataset should have a string field to filter on').toBeTruthy();
    const value = String(first[field!.name]);
    const filter = `${field!.name} = '${value.replace(/'/g, "''")}'`;
    const expected = await api<{ total: number | null; items: Row[] }>(
      `/datasets/${encodeURIComponent(dataset.code)}/records?limit=50&filter=${encodeURIComponent(filter)}`,
    );
    expect(expected.items.length).toBeGreaterThan(0);

    await page.locator('input[data-testid=preview-filter]').fill(filter);
    await page.locator('[data-testid=preview-apply]').click();
    if (expected.total !== null) {
      await poll(() => page.locator('[data-testid=preview-total]').textContent().then(digits)).toBe(String(expected.total));
    }
    await poll(() => rows.count()).toBe(expected.items.length);
    const href = await page.locator('[data-testid=export-csv]').getAttribute('href');
    expect(href).toContain('format=csv');
    expect(new URL(href!, server!.url).searchParams.get('filter')).toBe(filter);
  });

  it('uploads a small CSV and shows the valid / invalid counts', async () => {
    await page.locator('[data-testid=tab-upload]').click();

    // Two rows copied from existing records (re-sent with mode=upsert) and one with a required field left empty.
    const cols = dataset.fields.filter((f) => f.type !== 'json' && f.type !== 'geopoint').map((f) => f.name);
    const blank = dataset.fields.find((f) => f.required && !f.primaryKey && cols.includes(f.name)) ?? dataset.fields.find((f) => f.required);
    expect(blank, 'the dataset should have a required field').toBeTruthy();
    const good = firstRows.length >= 2 ? firstRows.slice(0, 2) : [firstRows[0], firstRows[0]];
    const bad = { ...firstRows[0], [blank!.name]: null };
    const csv = [cols.join(','), ...[...good, bad].map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
    const file = join(tmpdir(), `xmcity-web-upload-${process.pid}.csv`);
    writeFileSync(file, csv);

    await page.locator('[data-testid=upload-input]').setInputFiles(file);
    await poll(() => page.locator('[data-testid=upload-file-name]').textContent()).toContain('.csv');
    if (dataset.primaryKey.length) await page.locator('[data-testid=upload-mode-upsert]').click();
    await page.locator('[data-testid=upload-submit]').click();
    await page.locator('[data-testid=upload-progress]').waitFor();
    await page.locator('[data-testid=upload-result]').waitFor({ timeout: 30_000 });

    const accepted = Number(digits(await page.locator('[data-testid=upload-accepted]').textContent()));
    const valid = Number(digits(await page.locator('[data-testid=upload-valid]').textContent()));
    const invalid = Number(digits(await page.locator('[data-testid=upload-invalid]').textContent()));
    expect(accepted).toBe(3);
    expect(valid + invalid).toBe(3);
    expect(invalid).toBeGreaterThanOrEqual(1);

    // The figures are the server's: compare with the newest batch.
    const batches = await api<{ items: { seq: number; accepted: number; valid: number; invalid: number }[] }>(
      `/datasets/${encodeURIComponent(dataset.code)}/batches?limit=100`,
    );
    const newest = [...batches.items].sort((a, b) => b.seq - a.seq)[0];
    expect({ accepted, valid, invalid }).toEqual({ accepted: newest.accepted, valid: newest.valid, invalid: newest.invalid });
    rmSync(file, { force: true });

    // Quarantine of that batch names the rule in words (required → 必填).
    await page.locator('[data-testid=upload-view-quarantine]').click();
    await page.waitForURL((u) => u.searchParams.get('tab') === 'quarantine');
    const rules = page.locator('[data-testid=quarantine-table] [data-testid=quarantine-rule]');
    await poll(() => rules.count()).toBeGreaterThan(0);
    expect(await rules.allTextContents().then((ts) => ts.map((s) => s.trim()))).toContain('必填');
  });

  it('a request goes from the no-grant panel through the platform check and the provider to masked, scoped records', async () => {
    const hotPath = `/datasets/${encodeURIComponent(hotline.code)}`;
    const asked = ['case_id', 'received_at', 'district', 'category', 'caller_phone'];
    const callerPhone = hotline.fields.find((f) => f.name === 'caller_phone');
    expect(callerPhone?.sensitivity, 'the request includes a secret field').toBe('secret');

    // 1. Siming District's analyst has no grant: the records tab explains and offers the request form.
    await signOut();
    await signIn('siming.analyst', '思明区分析员');
    await page.goto(`${server!.url}${hotPath}?tab=preview`);
    await poll(() => page.locator('[data-testid=no-grant-title]').textContent()).toBe('你没有该数据的授权');
    expect(await page.locator('[data-testid=preview-table]').count(), 'no records table without a grant').toBe(0);
    await page.locator('[data-testid=no-grant-request]').click();
    const dialog = page.locator('[data-testid=request-dialog]');
    await dialog.locator('[data-testid=request-purpose]').waitFor();
    // The only system of the district is chosen for the analyst.
    await poll(() => dialog.locator('[data-testid=request-system]').textContent()).toContain('D350203-GRID');
    await dialog.locator('textarea[data-testid=request-purpose]').fill('网格员核查本区12345诉求的办理情况（浏览器测试）');
    for (const f of asked) await dialog.locator(`[data-testid=request-field-${f}]`).click();
    await dialog.locator('input[data-testid=request-row-scope]').fill("district = '350203'");
    await dialog.locator('[data-testid=request-duration] input').fill('30');
    await dialog.locator('[data-testid=request-submit]').click();
    await page.waitForURL(/\/sharing\/SR-[0-9a-f]+$/);
    const requestId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await poll(() => page.locator('[data-testid=request-head] [data-testid=request-status]').getAttribute('data-status')).toBe('platform_review');
    const submitted = await api<{ fields: string[]; rowScope: string; durationDays: number; status: string; stepDueAt: string }>(
      `/share-requests/${requestId}`,
      'siming.analyst',
    );
    expect(submitted).toMatchObject({ fields: asked, rowScope: "district = '350203'", durationDays: 30, status: 'platform_review' });
    expect(submitted.stepDueAt).toBeTruthy();
    await page.locator('[data-testid=request-head] [data-testid=step-clock]').waitFor();
    expect(await page.locator('[data-testid=action-withdraw]').count(), 'the requester may withdraw').toBe(1);
    expect(await page.locator('[data-testid=action-check]').count(), 'but not check it').toBe(0);

    // 2. The platform admin finds it under 平台审核 and passes it.
    await signOut();
    await signIn('admin', '平台管理员 (大数据局)');
    await page.goto(`${server!.url}/sharing?tab=platform`);
    const link = page.locator('[data-testid=sharing-table] [data-testid=request-link]', { hasText: requestId });
    await link.waitFor();
    // The seeded request waiting for the platform is listed too.
    await poll(() => page.locator('[data-testid=sharing-table] .el-table__body tbody tr').count()).toBeGreaterThanOrEqual(2);
    await link.click();
    await page.waitForURL((u) => u.pathname === `/sharing/${requestId}`);
    await page.locator('textarea[data-testid=action-check-note]').fill('用途明确，字段必要');
    await page.locator('[data-testid=action-check-pass]').click();
    await poll(() => page.locator('[data-testid=request-head] [data-testid=request-status]').getAttribute('data-status')).toBe('provider_review');
    await poll(() => page.locator('[data-testid=history-event]').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))).toEqual([
      'submit',
      'pass',
    ]);

    // 3. The provider's steward sees it under 待我审批; masks default from sensitivity (secret mobile → partial).
    await signOut();
    await signIn('szj.steward', '城管局数据专员');
    await page.goto(`${server!.url}/sharing?tab=review`);
    await page.locator('[data-testid=sharing-table] [data-testid=request-link]', { hasText: requestId }).click();
    await page.waitForURL((u) => u.pathname === `/sharing/${requestId}`);
    await page.locator('[data-testid=action-decide]').waitFor();
    expect(await page.locator('[data-testid=decide-mask-caller_phone]').getAttribute('data-mask')).toBe('partial');
    expect(await page.locator('[data-testid=decide-mask-district]').getAttribute('data-mask')).toBe('clear');
    await page.locator('[data-testid=decide-rows-per-day] input').fill('50000');
    await page.locator('textarea[data-testid=decide-reason]').fill('同意，来电号码部分遮盖');
    await page.setViewportSize({ width: 1440, height: 1500 }); // room for the timeline below the action panel
    await page.waitForTimeout(300);
    // The request detail as the provider sees it; XMCITY_UPDATE_SCREENSHOTS=1 refreshes docs/screenshot-sharing.png.
    const sharingShot = process.env.XMCITY_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshot-sharing.png') : join(tmpdir(), 'xmcity-web-sharing.png');
    await page.screenshot({ path: sharingShot, fullPage: true });
    console.info(`sharing request screenshot: ${sharingShot}`);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('[data-testid=action-decide-approve]').click();
    await poll(() => page.locator('[data-testid=request-head] [data-testid=request-status]').getAttribute('data-status')).toBe('granted');
    await page.locator('[data-testid=request-grant-link]').waitFor();
    const decided = await api<{ grantId: string; events: { action: string }[] }>(`/share-requests/${requestId}`, 'szj.steward');
    expect(decided.events.map((e) => e.action)).toEqual(['submit', 'pass', 'grant']);
    const grant = await api<{ masks: Record<string, string>; rowScope: string; rowsPerDay: number; status: string }>(
      `/grants/${decided.grantId}`,
      'szj.steward',
    );
    expect(grant).toMatchObject({ rowScope: "district = '350203'", rowsPerDay: 50000, status: 'active' });
    expect(grant.masks).toMatchObject({ caller_phone: 'partial', district: 'clear', case_id: 'clear' });

    // 4. The analyst now reads the records: only the fields asked for, the phone masked, only Siming's rows.
    await signOut();
    await signIn('siming.analyst', '思明区分析员');
    await page.goto(`${server!.url}${hotPath}?tab=preview`);
    await page.locator('[data-testid=access-grant]').waitFor();
    expect(await page.locator('[data-testid=access-scope]').textContent()).toContain("district = '350203'");
    const phones = page.locator('[data-testid=preview-table] [data-cell=caller_phone]');
    await poll(() => phones.count()).toBeGreaterThan(0);
    const heads = await page.locator('[data-testid=preview-table] .el-table__header [data-field]').evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
    expect(heads).toEqual(asked);
    const phoneTexts = trimmed(await phones.allTextContents());
    for (const p of phoneTexts) expect(p).toMatch(/^1\d{2}\*{4}\d{4}$/);
    const districts = trimmed(await page.locator('[data-testid=preview-table] [data-cell=district]').allTextContents());
    expect(new Set(districts)).toEqual(new Set(['350203']));
    // The count is the owner's count of Siming's rows, and the masked values are those rows' phones masked.
    const owner = await api<{ total: number; items: Row[] }>(
      `${hotPath}/records?limit=50&sort=case_id&filter=${encodeURIComponent("district = '350203'")}`,
      'szj.steward',
    );
    expect(owner.total).toBeGreaterThan(0);
    expect(owner.total).toBeLessThan(hotline.validRecords);
    await poll(() => page.locator('[data-testid=preview-total]').textContent().then(digits)).toBe(String(owner.total));
    await page.locator('[data-testid=preview-table] .el-table__header [data-field=case_id]').click(); // sort by case_id
    await poll(async () => trimmed(await page.locator('[data-testid=preview-table] [data-cell=case_id]').allTextContents()).slice(0, 5)).toEqual(
      owner.items.slice(0, 5).map((r) => String(r.case_id)),
    );
    const maskedFirst = trimmed(await phones.allTextContents()).slice(0, 5);
    expect(maskedFirst).toEqual(owner.items.slice(0, 5).map((r) => `${String(r.caller_phone).slice(0, 3)}****${String(r.caller_phone).slice(-4)}`));

    // 5. 我的授权 lists the grant with its mask.
    await page.locator('[data-testid=nav-grants]').click();
    await page.waitForURL((u) => u.pathname === '/grants');
    const grantRow = page.locator('[data-testid=grants-table] .el-table__body tbody tr', { hasText: decided.grantId });
    await grantRow.waitFor();
    expect(await grantRow.locator('[data-field=caller_phone]').getAttribute('data-mask')).toBe('partial');

    // 6. The provider revokes it with a reason; the analyst's next read is refused.
    await signOut();
    await signIn('szj.steward', '城管局数据专员');
    await page.goto(`${server!.url}/grants/${decided.grantId}`);
    await page.locator('[data-testid=grant-usage-chart] canvas').first().waitFor();
    await page.locator('[data-testid=grant-revoke]').click();
    await page.locator('textarea[data-testid=revoke-reason]').fill('网格核查已结束');
    await page.locator('[data-testid=revoke-confirm]').click();
    await poll(() => page.locator('[data-testid=grant-status]').first().getAttribute('data-status')).toBe('revoked');
    expect(await page.locator('[data-testid=grant-revoke-reason]').textContent()).toBe('网格核查已结束');
    expect(await page.locator('[data-testid=grant-revoke]').count(), 'a revoked grant offers no second revocation').toBe(0);
    const refused = await fetch(`${server!.url}/api/v1${hotPath}/records?limit=1`, { headers: { cookie: await cookieOf('siming.analyst') } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('NO_GRANT');
  });

  it('an organisation admin issues a token shown once, which works until it is revoked', async () => {
    await signOut();
    await signIn('jtj.admin', '交通局管理员');
    await page.locator('[data-testid=nav-tokens]').click();
    await page.waitForURL((u) => u.pathname === '/tokens');
    // Only the organisation's own systems are listed.
    await page.locator('[data-testid=token-issue-JTJ-PARK]').waitFor();
    const jtjSystems = (await api<{ items: { code: string; orgCode: string }[] }>('/systems?org=JTJ', 'jtj.admin')).items.map((x) => x.code);
    expect(jtjSystems).toEqual(expect.arrayContaining(['JTJ-BUS', 'JTJ-PARK']));
    expect((await page.locator('[data-testid^=token-issue-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).sort()).toEqual(
      jtjSystems.map((c) => `token-issue-${c}`).sort(),
    );
    await page.locator('[data-testid=token-issue-JTJ-PARK]').click();
    const form = page.locator('[data-testid=token-form]');
    await form.locator('input[data-testid=token-form-name]').fill('停车平台读取（浏览器测试）');
    await form.locator('[data-testid=token-form-scope-read]').click();
    await form.locator('[data-testid=token-form-submit]').click();
    const secret = page.locator('[data-testid=token-secret]');
    await secret.waitFor();
    const token = await secret.inputValue();
    expect(token).toMatch(/^xmc_[A-Za-z0-9]+_[A-Za-z0-9_-]+$/);
    const asToken = (path: string) => fetch(`${server!.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    const me = await asToken('/auth/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'system', systemCode: 'JTJ-PARK', orgCode: 'JTJ' });
    await page.locator('[data-testid=token-shown-close]').click();
    await poll(() => page.locator('[data-testid=token-secret]').count()).toBe(0);

    // The list shows it active; revoking it (after a confirmation) ends its use.
    const row = page.locator('[data-testid=tokens-of-JTJ-PARK] .el-table__body tbody tr', { hasText: '停车平台读取' });
    await poll(() => row.locator('[data-testid=token-state]').getAttribute('data-state')).toBe('active');
    await row.locator('[data-testid=token-revoke]').click();
    await page.locator('.el-message-box .el-button--danger').click();
    await poll(() => row.locator('[data-testid=token-state]').getAttribute('data-state')).toBe('revoked');
    const after = await asToken('/auth/me');
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('TOKEN_REVOKED');
  });

  it('a person changes their own password from the user menu and signs in with the new one', async () => {
    await signOut();
    await signIn('scjg.admin', '市场监管局管理员');
    const next = 'Gulangyu-2026!';
    await page.locator('[data-testid=user-menu-trigger]').click();
    await page.locator('[data-testid=change-password]').click();
    const dialog = page.locator('[data-testid=password-dialog]');
    await dialog.locator('input[data-testid=password-current]').fill('not-my-password');
    await dialog.locator('input[data-testid=password-new]').fill(next);
    await dialog.locator('input[data-testid=password-confirm]').fill(next);
    await dialog.locator('[data-testid=password-submit]').click();
    await poll(() => dialog.locator('[data-testid=password-problem]').textContent()).toContain('当前密码不正确');
    await dialog.locator('input[data-testid=password-current]').fill(DEMO_PASSWORD);
    await dialog.locator('[data-testid=password-submit]').click();
    await poll(() => dialog.isVisible()).toBe(false);

    const login = (password: string) =>
      fetch(`${server!.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'scjg.admin', password }),
      }).then((r) => r.status);
    expect(await login(DEMO_PASSWORD)).toBe(401);
    expect(await login(next)).toBe(200);
  });

  it('the audit viewer shows the reads to the auditor, verifies the chain and signs a checkpoint', async () => {
    const siming = await api<{ id: string }>('/auth/me', 'siming.analyst');
    await signOut();
    await signIn('auditor', '审计员 (大数据局)');
    await page.locator('[data-testid=nav-audit]').click();
    await page.waitForURL((u) => u.pathname === '/audit');
    const rows = page.locator('[data-testid=audit-table] .el-table__body tbody tr.el-table__row');
    await poll(() => rows.count()).toBeGreaterThan(0);

    // The analyst's reads of the hotline: refused without a grant, then allowed under it.
    await page.locator('input[data-testid=audit-actor]').fill(siming.id);
    await page.locator('[data-testid=audit-search]').click();
    const actors = page.locator('[data-testid=audit-table] [data-testid=audit-actor-link]');
    await poll(async () => new Set(await actors.evaluateAll((els) => els.map((e) => e.getAttribute('data-actor'))))).toEqual(new Set([siming.id]));
    const expected = await api<{ items: { seq: number; action: string; datasetCode: string; result: string; detail: Record<string, unknown> }[] }>(
      `/audit/entries?actor=${siming.id}&limit=50`,
      'auditor',
    );
    const hotReads = expected.items.filter((e) => e.datasetCode === hotline.code && e.action === 'records.read');
    expect(hotReads.map((e) => e.result)).toContain('allowed');
    expect(hotReads.some((e) => e.result === 'denied' && e.detail.code === 'NO_GRANT')).toBe(true);
    await poll(() => rows.count()).toBe(expected.items.length);
    const results = await page.locator('[data-testid=audit-table] [data-testid=audit-result-tag]').evaluateAll((els) => els.map((e) => e.getAttribute('data-result')));
    expect(results).toEqual(expected.items.map((e) => e.result));
    expect(results).toContain('denied');

    // The detail of the first allowed read under the grant opens as JSON.
    const allowedIdx = expected.items.findIndex((e) => e.datasetCode === hotline.code && e.result === 'allowed');
    await rows.nth(allowedIdx).locator('.el-table__expand-icon').click();
    await poll(() => page.locator('[data-testid=audit-detail-json]').first().textContent()).toContain('"basis": "grant"');

    // Verify the chain; sign a checkpoint.
    await page.locator('[data-testid=audit-verify]').click();
    await poll(() => page.locator('[data-testid=audit-verify-ok]').textContent()).toContain('哈希链完整');
    const cps = page.locator('[data-testid=checkpoints-table] .el-table__body tbody tr');
    const before = await cps.count();
    await page.locator('[data-testid=audit-sign]').click();
    await poll(() => cps.count()).toBe(before + 1);
    const signed = await api<{ items: { seqTo: number }[] }>('/audit/checkpoints', 'auditor');
    expect(signed.items.length).toBe(before + 1);
  });

  it('switches to English and keeps the choice', async () => {
    await page.goto(`${server!.url}/datasets/${encodeURIComponent(dataset.code)}`);
    await page.locator('[data-testid=tab-schema]').waitFor();
    await page.locator('[data-testid=lang-en]').click();
    await poll(() => page.locator('[data-testid=tab-schema]').textContent()).toBe('Fields');
    await poll(() => page.locator('[data-testid=nav-catalogue]').textContent().then((s) => s?.trim())).toBe('Catalogue');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('xmcity.locale'))).toBe('en');

    // The new menus, the header and the sharing pages follow the switch too.
    await poll(() => page.locator('[data-testid=nav-audit]').textContent().then((s) => s?.trim())).toBe('Audit log');
    expect(await page.locator('[data-testid=user-role]').textContent()).toBe('Auditor');

    await page.reload();
    await poll(() => page.locator('[data-testid=nav-overview]').textContent().then((s) => s?.trim())).toBe('Overview');
    await page.locator('[data-testid=nav-sharing]').click();
    await poll(() => page.locator('[data-testid=page-title]').textContent()).toBe('Share requests');
    await poll(() => page.locator('[data-testid=sharing-tab-all]').textContent().then((s) => s?.trim())).toBe('All requests');
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});
