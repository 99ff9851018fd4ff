// End-to-end test of the public open-data portal (公共数据开放平台) in real Chromium against the real server:
// an anonymous visitor opens /portal, searches and narrows by facets, opens the hospitals dataset, previews,
// filters, charts and downloads it (CSV with its BOM and every record; XLSX a zip); then a new enterprise registers,
// applies for the conditionally open enterprise registrations, the owner (scjg.steward) approves in the console,
// and the applicant takes the one-time application token and reads the data with it over the CKAN API.
//
// Needs web/dist (built by `npm test` via build:web; built here if missing) and /usr/bin/chromium.
// XMCITY_UPDATE_SCREENSHOTS=1 also refreshes docs/screenshot-portal.png.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Download, Page } from 'playwright-core';
import { DEMO_PASSWORD, ROOT, digits, ensureWebBuilt, hasChromium, launchChromium, openPage, poll, startServer, warnIfNoChromium } from './harness.ts';
import type { TestServer } from './harness.ts';

warnIfNoChromium('open-data portal');

interface PortalSummary {
  datasets: number;
  open: number;
  conditional: number;
  records: number;
  timeliness: { rate: number; timely: number; late: number; byOrg: { orgCode: string; rate: number }[] };
  plan: { year: number; total: number; opened: number; overdue: number; rate: number };
}
interface PortalDataset {
  code: string;
  name: string;
  openType: 'open' | 'conditional';
  records: number;
  updateCycle: string;
  fields: { name: string; label: string; type: string; primaryKey: boolean }[];
  resourceId: string;
  packageName: string;
  downloads: { format: string; url: string }[];
  api: { ckan: string; records: string; sql: string; dcat: string };
}
interface Package {
  name: string;
  title: string;
  extras: { key: string; value: string }[];
}
interface SearchResult {
  count: number;
  results: Package[];
  facets: Record<string, Record<string, number>>;
}
type Row = Record<string, unknown>;

/** The conditionally open enterprise registrations of SCJGJ (市场监管局). */
const ENTERPRISES = 'XM-03-SCJGJ-00001';
const CREDIT_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A fresh, valid unified social credit code (GB 32100-2015): 91 + Siming's adcode + 9 random characters + check. */
function newCreditCode(): string {
  const body = Array.from(randomBytes(9), (b) => CREDIT_CHARSET[b % CREDIT_CHARSET.length]).join('');
  const first17 = `91350203${body}`;
  const sum = [...first17].reduce((s, c, i) => s + CREDIT_CHARSET.indexOf(c) * CREDIT_WEIGHTS[i], 0);
  return first17 + CREDIT_CHARSET[(31 - (sum % 31)) % 31];
}

/** The rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

describe.skipIf(!hasChromium)('open-data portal in Chromium against the real server', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let hospitals: PortalDataset;
  let enterprises: PortalDataset;
  const applicant = {
    name: `厦门白鹭浏览器测试科技有限公司${randomBytes(2).toString('hex')}`,
    username: `e2e.${randomBytes(4).toString('hex')}`,
    password: 'Gulangyu-2026!',
    creditCode: newCreditCode(),
  };
  let applicationId = '';

  const url = (path: string) => `${server!.url}${path}`;

  /** GET a JSON path anonymously (or with extra headers). */
  async function get<T>(path: string, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(url(path), { headers });
    if (!res.ok) throw new Error(`GET ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async function search(params: Record<string, string>): Promise<SearchResult> {
    const qs = new URLSearchParams({ facet: 'true', 'facet.field': '["organization","groups","tags","res_format","update_cycle","open_type"]', ...params });
    return (await get<{ success: boolean; result: SearchResult }>(`/api/3/action/package_search?${qs}`)).result;
  }

  async function cookieOf(username: string, password: string): Promise<string> {
    const res = await fetch(url('/api/v1/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) throw new Error(`sign-in of ${username} → ${res.status} ${await res.text()}`);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }

  /** Downloads what a click starts; returns the download and the file's bytes. */
  async function download(selector: string): Promise<{ dl: Download; bytes: Buffer }> {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
    expect(await dl.failure(), 'the download completes').toBeNull();
    const path = await dl.path();
    return { dl, bytes: readFileSync(path) };
  }

  /** Signs in on the sign-in page (from wherever it was reached) and waits to leave it. */
  async function signInHere(username: string, password: string) {
    await page.locator('[data-testid=login-form]').waitFor();
    await page.locator('input[data-testid=login-username]').fill(username);
    await page.locator('input[data-testid=login-password]').fill(password);
    await page.locator('[data-testid=login-submit]').click();
    await page.waitForURL((u) => u.pathname !== '/login');
  }

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startServer();
    const found = await search({ q: '医疗机构' });
    const pkg = found.results.find((p) => p.title === '医疗机构名录');
    expect(pkg, 'the small demo publishes the hospitals (医疗机构名录)').toBeTruthy();
    hospitals = await get<PortalDataset>(`/api/v1/portal/datasets/${pkg!.name.toUpperCase()}`);
    expect(hospitals.openType).toBe('open');
    expect(hospitals.records).toBeGreaterThan(20); // more than one preview page
    enterprises = await get<PortalDataset>(`/api/v1/portal/datasets/${ENTERPRISES}`);
    expect(enterprises.openType).toBe('conditional');

    browser = await launchChromium();
    page = await openPage(browser, pageErrors, { acceptDownloads: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 60_000);

  it('the home page shows the published figures, topics, timeliness per organisation and the plan', async () => {
    const summary = await get<PortalSummary>('/api/v1/portal/summary');
    const groups = (await search({ rows: '0' })).facets.groups;
    // The console's overview shows this year's plan in a small card, and its menu leads to the portal.
    await page.goto(url('/'));
    await poll(() => page.locator('[data-testid=overview-plan-line]').textContent()).toBe(
      `已开放 ${summary.plan.opened} / ${summary.plan.total} 项 · 逾期 ${summary.plan.overdue} 项`,
    );
    expect(await page.locator('[data-testid=overview-plan-link]').getAttribute('href')).toBe(`/portal/plan/${summary.plan.year}`);
    await page.locator('[data-testid=nav-portal]').click();
    await page.waitForURL((u) => u.pathname === '/portal');
    await poll(() => page.title()).toBe('厦门市公共数据开放平台 · 数字厦门');
    await page.locator('[data-testid=portal-layout]').waitFor();
    expect(await page.locator('.aside').count(), 'the portal has its own layout, not the console shell').toBe(0);

    await poll(() => page.locator('[data-testid=portal-stat-datasets] .value').textContent().then(digits)).toBe(String(summary.datasets));
    await poll(() => page.locator('[data-testid=portal-stat-records] .value').textContent().then(digits)).toBe(String(summary.records));
    expect(await page.locator('[data-testid=portal-stat-open-count]').textContent()).toBe(String(summary.open));
    expect(await page.locator('[data-testid=portal-stat-conditional-count]').textContent()).toBe(String(summary.conditional));
    expect(await page.locator('[data-testid=portal-stat-timeliness]').textContent()).toContain(`${(summary.timeliness.rate * 100).toFixed(1)}%`);

    // Topic tiles carry the search facet's counts; every category is there, in code order.
    const health = page.locator('[data-testid=category-tile-health] [data-testid=category-count]');
    await poll(() => health.textContent().then(digits)).toBe(String(groups.health));
    const tiles = await page.locator('[data-testid^=category-tile-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(tiles).toHaveLength(12);
    expect(tiles[0]).toBe('category-tile-general-government');

    await page.locator('[data-testid=timeliness-chart] canvas').first().waitFor();
    await page.locator('[data-testid=plan-gauge] canvas').first().waitFor();
    expect(await page.locator('[data-testid=portal-plan-opened]').textContent()).toBe(String(summary.plan.opened));
    await poll(() => page.locator('[data-testid=portal-latest-item]').count()).toBe(Math.min(6, summary.datasets));

    // The footer links the DCAT-AP catalogue, which answers in both serialisations.
    expect(await page.locator('[data-testid=footer-dcat-jsonld]').getAttribute('href')).toBe('/catalog.jsonld');
    expect(await page.locator('[data-testid=footer-dcat-ttl]').getAttribute('href')).toBe('/catalog.ttl');
    const ttl = await fetch(url('/catalog.ttl'));
    expect(ttl.headers.get('content-type')).toContain('text/turtle');
    expect(await ttl.text()).toContain(hospitals.packageName);

    await page.waitForTimeout(600); // let the charts' animation settle for the screenshot
    const shot = process.env.XMCITY_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshot-portal.png') : join(tmpdir(), 'xmcity-web-portal.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.info(`portal home screenshot: ${shot}`);

    // The portal speaks English too, and keeps the choice.
    await page.locator('[data-testid=portal-lang-en]').click();
    await poll(() => page.locator('[data-testid=page-title]').textContent()).toBe('Xiamen Open Data Portal');
    expect(await page.locator('[data-testid=portal-nav-search]').textContent().then((x) => x?.trim())).toBe('Datasets');
    expect(await page.locator('[data-testid=category-tile-health]').textContent()).toContain('Health');
    await page.locator('[data-testid=portal-lang-zh]').click();
    await poll(() => page.locator('[data-testid=page-title]').textContent()).toBe('厦门市公共数据开放平台');
  });

  it('an anonymous visitor searches, narrows by facets and sees which datasets are late', async () => {
    await page.locator('input[data-testid=portal-home-q]').fill('医疗');
    await page.locator('[data-testid=portal-home-search]').click();
    await page.waitForURL((u) => u.pathname === '/portal/search' && u.searchParams.get('q') === '医疗');
    const byWord = await search({ q: '医疗', rows: '20' });
    expect(byWord.count).toBeGreaterThan(0);
    await poll(() => page.locator('[data-testid=search-count]').getAttribute('data-count')).toBe(String(byWord.count));
    await poll(() => page.locator('[data-testid=search-result]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')))).toEqual(
      byWord.results.map((p) => p.extras.find((e) => e.key === 'resource_code')!.value),
    );
    expect(await page.locator('[data-testid=result-title]').allTextContents()).toContain('医疗机构名录');

    // Facets instead of words: the open class 有条件开放, then the topic.
    await page.locator('input[data-testid=portal-search-q]').fill('');
    await page.locator('[data-testid=portal-search-submit]').click();
    await page.waitForURL((u) => u.pathname === '/portal/search' && !u.searchParams.has('q'));
    const all = await search({ rows: '20' });
    await poll(() => page.locator('[data-testid=search-count]').getAttribute('data-count')).toBe(String(all.count));
    expect(await page.locator('[data-testid=facet-open_type-conditional]').getAttribute('data-count')).toBe(String(all.facets.open_type.conditional));
    await page.locator('[data-testid=facet-open_type-conditional]').click();
    await page.waitForURL((u) => u.searchParams.get('open_type') === 'conditional');
    const conditional = await search({ fq: 'open_type:"conditional"', rows: '20' });
    await poll(() => page.locator('[data-testid=search-result]').count()).toBe(conditional.count);
    expect(await page.locator('[data-testid=search-result] [data-testid=open-type-tag]').evaluateAll((els) => els.map((e) => e.getAttribute('data-open-type')))).toEqual(
      conditional.results.map(() => 'conditional'),
    );
    expect(await page.locator('[data-testid=search-result]').first().getAttribute('data-code')).toBe(ENTERPRISES);
    await page.locator('[data-testid=facet-open_type-conditional]').click(); // off again
    await page.waitForURL((u) => !u.searchParams.has('open_type'));
    await page.locator('[data-testid=facet-groups-health]').click();
    await page.waitForURL((u) => u.searchParams.get('groups') === 'health');
    const health = await search({ fq: 'groups:"health"', rows: '20' });
    await poll(() => page.locator('[data-testid=search-count]').getAttribute('data-count')).toBe(String(health.count));
    expect(await page.locator('[data-testid=search-result]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')))).toContain(hospitals.code);
    // Formats are listed on each result.
    expect(await page.locator(`[data-testid=search-result][data-code=${hospitals.code}] [data-testid=result-formats]`).textContent()).toMatch(/CSV.*JSON.*Parquet.*XLSX/s);

    // A daily dataset not updated for five days is flagged 未按时更新 in the results (and on the home page).
    if (server!.app) {
      const bus = (await search({ fq: 'update_cycle:"daily" open_type:"open"', rows: '20' })).results[0];
      const code = bus.extras.find((e) => e.key === 'resource_code')!.value;
      const platform = server!.app.platform;
      await platform.store.db.updateTable('datasets').set({ last_ingest_at: new Date(Date.now() - 5 * 86400_000).toISOString() }).where('code', '=', code).execute();
      await platform.catalogue.refresh(code);
      await page.goto(url('/portal/search?update_cycle=daily'));
      const late = page.locator(`[data-testid=search-result][data-code=${code}] [data-testid=late-tag]`);
      await poll(() => late.textContent()).toBe('未按时更新');
      const lateCodes = (await get<{ items: { code: string }[] }>('/api/v1/portal/late')).items.map((x) => x.code);
      expect(lateCodes).toEqual([code]);
      expect(await page.locator('[data-testid=search-result] [data-testid=late-tag]').count(), 'only the late one is flagged').toBe(1);
      await page.goto(url('/portal'));
      await poll(() => page.locator('[data-testid=portal-late-item]').count()).toBe(1);
      expect(await page.locator('[data-testid=portal-late-item]').textContent()).toContain(bus.title);
    }
  });

  it('the hospitals page previews with keyset paging, filters, charts, shows the API calls and downloads', async () => {
    await page.goto(url('/portal/search?groups=health'));
    await page.locator(`[data-testid=search-result][data-code=${hospitals.code}] [data-testid=result-title]`).click();
    await page.waitForURL((u) => u.pathname === `/portal/datasets/${hospitals.code}`);
    await poll(() => page.locator('[data-testid=portal-dataset-title]').textContent()).toBe(hospitals.name);
    expect(await page.locator('[data-testid=portal-dataset-records]').getAttribute('data-records')).toBe(String(hospitals.records));
    expect(await page.locator('[data-testid=portal-dataset-timeliness]').getAttribute('data-timely')).toBe('true');
    const heads = await page.locator('[data-testid=portal-preview-table] .el-table__header [data-field]').evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
    expect(heads).toEqual(hospitals.fields.map((f) => f.name));

    // Page 1 and 2 are the API's first two keyset pages; 上一页 goes back.
    const key = hospitals.fields.find((f) => f.primaryKey)!.name;
    const p1 = await get<{ items: Row[]; total: number; nextCursor: string }>(`/api/v1/datasets/${hospitals.code}/records?limit=20&total=exact`);
    const p2 = await get<{ items: Row[] }>(`/api/v1/datasets/${hospitals.code}/records?limit=20&cursor=${encodeURIComponent(p1.nextCursor)}`);
    const keys = () => page.locator(`[data-testid=portal-preview-table] [data-cell=${key}]`).allTextContents().then((ss) => ss.map((s) => s.trim()));
    await poll(() => page.locator('[data-testid=portal-preview-total]').getAttribute('data-total')).toBe(String(hospitals.records));
    await poll(keys).toEqual(p1.items.map((r) => String(r[key])));
    await page.locator('[data-testid=portal-preview-next]').click();
    await poll(keys).toEqual(p2.items.map((r) => String(r[key])));
    expect(await page.locator('[data-testid=portal-preview-page]').textContent()).toBe('第 2 页');
    await page.locator('[data-testid=portal-preview-prev]').click();
    await poll(keys).toEqual(p1.items.map((r) => String(r[key])));

    // A filter in the platform's filter language narrows the rows to what the API answers for it.
    const filter = "district = '350203' and beds >= 20";
    const narrowed = await get<{ items: Row[]; total: number }>(`/api/v1/datasets/${hospitals.code}/records?limit=20&total=exact&filter=${encodeURIComponent(filter)}`);
    expect(narrowed.total).toBeGreaterThan(0);
    expect(narrowed.total).toBeLessThan(hospitals.records);
    await page.locator('input[data-testid=portal-preview-filter]').fill(filter);
    await page.locator('[data-testid=portal-preview-apply]').click();
    await poll(() => page.locator('[data-testid=portal-preview-total]').getAttribute('data-total')).toBe(String(narrowed.total));
    await poll(keys).toEqual(narrowed.items.map((r) => String(r[key])));
    const districts = await page.locator('[data-testid=portal-preview-table] [data-cell=district]').allTextContents();
    expect(new Set(districts.map((s) => s.trim()))).toEqual(new Set(['350203']));
    const beds = await page.locator('[data-testid=portal-preview-table] [data-cell=beds]').allTextContents();
    for (const b of beds) expect(Number(b.trim())).toBeGreaterThanOrEqual(20);
    // A bad filter is explained, not swallowed.
    await page.locator('input[data-testid=portal-preview-filter]').fill('beds >>= 1');
    await page.locator('[data-testid=portal-preview-apply]').click();
    await poll(() => page.locator('[data-testid=portal-preview-error]').textContent()).toContain('BAD_FILTER');

    // The chart groups by district: the counts it draws add up to every record.
    const [agg] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/datasets/${hospitals.code}/aggregate`)),
      page.locator('[data-testid=portal-tab-chart]').click(),
    ]);
    expect(agg.status()).toBe(200);
    const groups = ((await agg.json()) as { items: { district: string; count: number }[] }).items;
    expect(groups.reduce((s, g) => s + g.count, 0)).toBe(hospitals.records);
    await page.locator('[data-testid=portal-chart] [data-testid=groupby-chart] canvas').first().waitFor();

    // The API tab's curl commands run as shown.
    await page.locator('[data-testid=portal-tab-api]').click();
    const curlUrl = async (name: string) => /curl '([^']+)'/.exec((await page.locator(`[data-testid=api-curl-${name}]`).textContent()) ?? '')![1];
    const ckanUrl = await curlUrl('ckan');
    expect(ckanUrl).toContain(`resource_id=${hospitals.resourceId}`);
    const ck = await get<{ success: boolean; result: { records: Row[]; total: number } }>(new URL(ckanUrl).pathname + new URL(ckanUrl).search);
    expect(ck.success).toBe(true);
    expect(ck.result.records).toHaveLength(10);
    expect(ck.result.total).toBe(hospitals.records);
    const sqlUrl = new URL(await curlUrl('sql'));
    const sql = await get<{ success: boolean; result: { records: Row[] } }>(sqlUrl.pathname + sqlUrl.search);
    expect(sql.success).toBe(true);
    expect(sql.result.records).toHaveLength(10);
    const recUrl = new URL(await curlUrl('records'));
    expect((await get<{ items: Row[] }>(recUrl.pathname + recUrl.search)).items).toHaveLength(10);

    // DCAT-AP of this dataset.
    expect(await page.locator('[data-testid=dcat-jsonld]').getAttribute('href')).toBe(`/dataset/${hospitals.packageName}.jsonld`);
    const jsonld = await fetch(url(`/dataset/${hospitals.packageName}.jsonld`));
    expect(jsonld.status).toBe(200);
    expect(await jsonld.text()).toContain(hospitals.name);

    // CSV: a BOM, the header of published fields, then every record.
    const csv = await download('[data-testid=download-csv]');
    expect(csv.dl.suggestedFilename()).toBe(`${hospitals.code}.csv`);
    const text = csv.bytes.toString('utf8');
    expect(text.charCodeAt(0), 'the CSV starts with a UTF-8 BOM').toBe(0xfeff);
    const rows = csvRows(text.slice(1)).filter((r) => r.length > 1 || r[0] !== '');
    expect(rows[0]).toEqual(hospitals.fields.map((f) => f.name));
    expect(text.slice(1).split(/\r?\n/)[0]).toBe(hospitals.fields.map((f) => `"${f.name}"`).join(','));
    expect(rows.length - 1).toBe(hospitals.records);
    const codes = new Set(rows.slice(1).map((r) => r[0]));
    expect(codes.size, 'one row per record').toBe(hospitals.records);

    // XLSX: a zip file.
    const xlsx = await download('[data-testid=download-xlsx]');
    expect(xlsx.dl.suggestedFilename()).toBe(`${hospitals.code}.xlsx`);
    expect(xlsx.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('a new enterprise registers and applies for conditionally open data; the owner approves it in the console', async () => {
    await page.goto(url(`/portal/datasets/${ENTERPRISES}`));
    await poll(() => page.locator('[data-testid=portal-dataset-title]').textContent()).toBe(enterprises.name);
    // No anonymous preview or download: the application panel instead.
    await page.locator('[data-testid=apply-signin]').waitFor();
    expect(await page.locator('[data-testid=portal-tab-preview]').count()).toBe(0);
    expect(await page.locator('[data-testid^=download-]').count()).toBe(0);
    await page.locator('[data-testid=apply-register]').click();
    await page.waitForURL((u) => u.pathname === '/portal/register' && u.searchParams.get('redirect') === `/portal/datasets/${ENTERPRISES}`);

    await page.locator('[data-testid=register-kind-enterprise]').click();
    await page.locator('input[data-testid=register-name]').fill(applicant.name);
    // A mistyped check character is caught before anything is sent.
    const last = applicant.creditCode[17];
    const wrong = applicant.creditCode.slice(0, 17) + CREDIT_CHARSET[(CREDIT_CHARSET.indexOf(last) + 1) % CREDIT_CHARSET.length];
    await page.locator('input[data-testid=register-credit-code]').fill(wrong);
    await page.locator('input[data-testid=register-username]').fill(applicant.username);
    await page.locator('input[data-testid=register-password]').fill(applicant.password);
    await page.locator('input[data-testid=register-confirm]').fill(applicant.password);
    await page.locator('[data-testid=register-submit]').click();
    await poll(() => page.locator('[data-testid=register-problem]').textContent()).toContain('统一社会信用代码无效');
    expect((await fetch(url('/api/v1/auth/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: applicant.username, password: applicant.password }) })).status).toBe(401);
    await page.locator('input[data-testid=register-credit-code]').fill(applicant.creditCode);
    await page.locator('[data-testid=register-submit]').click();
    // Registered, signed in and back on the dataset.
    await page.waitForURL((u) => u.pathname === `/portal/datasets/${ENTERPRISES}`);
    await poll(() => page.locator('[data-testid=portal-user-name]').textContent()).toBe(applicant.name);
    const me = await get<{ role: string; name: string }>('/api/v1/auth/me', { cookie: await cookieOf(applicant.username, applicant.password) });
    expect(me).toMatchObject({ role: 'public', name: applicant.name });

    // The application: purpose, the commitment ticked and written, 30 days.
    const purpose = '企业征信核验：浏览器端到端测试';
    await page.locator('textarea[data-testid=apply-purpose]').fill(purpose);
    await page.locator('textarea[data-testid=apply-commitment]').fill('仅用于所述用途，不向第三方提供，境内存储，到期删除。');
    await page.locator('[data-testid=apply-submit]').click();
    await poll(() => page.locator('[data-testid=apply-problem]').textContent()).toBe('请勾选数据安全承诺');
    await page.locator('[data-testid=apply-agree]').click();
    await page.locator('[data-testid=apply-duration] input').fill('30');
    await page.locator('[data-testid=apply-submit]').click();
    await page.locator('[data-testid=apply-done]').waitFor();
    applicationId = ((await page.locator('[data-testid=apply-done-id]').textContent()) ?? '').trim();
    expect(applicationId).toMatch(/^OA-[0-9a-f]+$/);
    const mine = await get<{ items: { id: string; status: string; durationDays: number; purpose: string; datasetCode: string; shareType: string }[] }>(
      '/api/v1/portal/applications',
      { cookie: await cookieOf(applicant.username, applicant.password) },
    );
    expect(mine.items.find((x) => x.id === applicationId)).toMatchObject({
      status: 'provider_review',
      durationDays: 30,
      datasetCode: ENTERPRISES,
      shareType: 'open-conditional',
    });
    expect(mine.items.find((x) => x.id === applicationId)!.purpose).toContain(purpose);

    // 我的申请 lists it with its status and clock.
    await page.locator('[data-testid=apply-to-account]').click();
    await page.waitForURL((u) => u.pathname === '/portal/account');
    const row = page.locator('[data-testid=applications-table] .el-table__body tbody tr', { hasText: applicationId });
    await poll(() => row.locator('[data-testid=request-status]').getAttribute('data-status')).toBe('provider_review');
    await row.locator('[data-testid=step-clock]').waitFor();
    expect(await row.locator(`[data-testid=application-token-${applicationId}]`).count(), 'no token before approval').toBe(0);

    // A member of the public never sees the console: its pages send them to the portal.
    await page.goto(url('/datasets'));
    await page.waitForURL((u) => u.pathname === '/portal');
    await page.locator('[data-testid=portal-user-trigger]').click();
    await page.locator('[data-testid=portal-account-link]').waitFor();
    expect(await page.locator('[data-testid=portal-console-link]').count()).toBe(0);
    await page.locator('[data-testid=portal-sign-out]').click();
    await page.locator('[data-testid=portal-sign-in]').waitFor();

    // The owner's data steward approves it under 待我审批 in the console.
    await page.goto(url('/login'));
    await signInHere('scjg.steward', DEMO_PASSWORD);
    await page.goto(url('/sharing?tab=review'));
    const link = page.locator('[data-testid=sharing-table] [data-testid=request-link]', { hasText: applicationId });
    await link.waitFor();
    expect(await page.locator('[data-testid=sharing-table] .el-table__body tbody tr', { hasText: applicationId }).textContent()).toContain(applicant.name);
    await link.click();
    await page.waitForURL((u) => u.pathname === `/sharing/${applicationId}`);
    await poll(() => page.locator('[data-testid=request-purpose-text]').textContent()).toContain(purpose);
    await page.locator('[data-testid=action-decide-approve]').click();
    await poll(() => page.locator('[data-testid=request-head] [data-testid=request-status]').getAttribute('data-status')).toBe('granted');
    await page.locator('[data-testid=user-menu-trigger]').click();
    await page.locator('[data-testid=sign-out]').click();
    await page.locator('[data-testid=login-form]').waitFor();
  });

  it('the applicant takes the one-time token from 我的申请 and reads the data with it (X-App-Token)', async () => {
    expect(applicationId, 'the application of the previous step').not.toBe('');
    await page.goto(url('/portal'));
    await page.locator('[data-testid=portal-sign-in]').click();
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('redirect') === '/portal');
    await page.locator('[data-testid=login-back-portal]').waitFor();
    await signInHere(applicant.username, applicant.password);
    await page.waitForURL((u) => u.pathname === '/portal');
    await poll(() => page.locator('[data-testid=portal-user-name]').textContent()).toBe(applicant.name);
    await page.locator('[data-testid=portal-user-trigger]').click();
    await page.locator('[data-testid=portal-account-link]').click();
    await page.waitForURL((u) => u.pathname === '/portal/account');

    const row = page.locator('[data-testid=applications-table] .el-table__body tbody tr', { hasText: applicationId });
    await poll(() => row.locator('[data-testid=request-status]').getAttribute('data-status')).toBe('granted');
    await row.locator(`[data-testid=application-token-${applicationId}]`).click();
    const dialog = page.locator('[data-testid=app-token-dialog]');
    const secret = dialog.locator('[data-testid=app-token-secret]');
    await secret.waitFor();
    const token = await secret.inputValue();
    expect(token).toMatch(/^xmc_[A-Za-z0-9]+_[A-Za-z0-9_-]+$/);
    await poll(() => dialog.locator('[data-testid=api-curl-token-example]').textContent()).toContain(`X-App-Token: ${token}`);
    expect(await dialog.locator('[data-testid=api-curl-token-example]').textContent()).toContain(enterprises.resourceId);
    await dialog.locator('[data-testid=app-token-close]').click();
    await poll(() => page.locator('[data-testid=app-token-secret]').count()).toBe(0);

    // The token reads the dataset over the CKAN DataStore API: only its published fields, every record.
    const search = `/api/3/action/datastore_search?resource_id=${enterprises.resourceId}&limit=5`;
    const anonymous = await fetch(url(search));
    expect(anonymous.ok, 'without the token the data stays closed').toBe(false);
    expect(((await anonymous.json()) as { success: boolean }).success).toBe(false);
    const res = await fetch(url(search), { headers: { 'X-App-Token': token } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { success: boolean; result: { records: Row[]; fields: { id: string }[]; total: number } };
    expect(body.success).toBe(true);
    expect(body.result.records).toHaveLength(5);
    expect(body.result.total).toBe(enterprises.records);
    expect(Object.keys(body.result.records[0]).sort()).toEqual(enterprises.fields.map((f) => f.name).sort());
    // Signed in, the approved applicant now previews the records on the dataset page (and may download them).
    await page.goto(url(`/portal/datasets/${ENTERPRISES}`));
    await poll(() => page.locator('[data-testid=portal-preview-total]').getAttribute('data-total')).toBe(String(enterprises.records));
    await page.locator('[data-testid=downloads-granted]').waitFor();
    const heads = await page.locator('[data-testid=portal-preview-table] .el-table__header [data-field]').evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
    expect(heads).toEqual(enterprises.fields.map((f) => f.name));

    // It reads that dataset only: a closed dataset stays refused (NO_GRANT).
    const steward = await cookieOf('scjg.steward', DEMO_PASSWORD);
    const closed = (await get<{ items: { code: string; openType: string }[] }>('/api/v1/datasets?limit=100', { cookie: steward })).items.find((d) => d.openType === 'closed');
    expect(closed, 'the small demo has a dataset that is not opened').toBeTruthy();
    const refused = await fetch(url(`/api/v1/datasets/${closed!.code}/records?limit=1`), { headers: { 'X-App-Token': token } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('NO_GRANT');
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});
