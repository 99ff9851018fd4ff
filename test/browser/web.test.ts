// End-to-end test of the web shell: real Chromium (playwright-core) against the real server
// (buildApp + loadConfig from src/, demo data 'small', a throwaway data directory).
//
// Needs web/dist (built by `npm test` via build:web; built here if missing) and /usr/bin/chromium.
// XMCITY_WEB_TEST_URL=http://host:port runs the same flow against an already running server instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_DIST = join(ROOT, 'web', 'dist');
const EXTERNAL_URL = process.env.XMCITY_WEB_TEST_URL;
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!!  SKIPPING the web shell browser test: ${CHROMIUM} does not exist.`,
      '!!  Install Debian chromium (apt-get install chromium fonts-noto-cjk) to run it.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
}

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
  validRecords: number;
}
interface Dataset extends DatasetSummary {
  fields: Field[];
  primaryKey: string[];
}
type Row = Record<string, unknown>;

/** Starts the real server from src/ on a free port; returns its URL and a closer. */
async function startServer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (EXTERNAL_URL) return { url: EXTERNAL_URL.replace(/\/$/, ''), close: async () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'xmcity-web-'));
  const { loadConfig } = await import('../../src/config.ts');
  const { buildApp } = await import('../../src/app.ts');
  const config = loadConfig({
    env: { XMCITY_DATA_DIR: dataDir, XMCITY_DEMO: 'small', XMCITY_LOG_LEVEL: 'warn', XMCITY_WEB_DIR: WEB_DIST },
  });
  const app = await buildApp(config);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: String(address).replace('0.0.0.0', '127.0.0.1'),
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function ensureWebBuilt(): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const digits = (s: string | null) => (s ?? '').replace(/[^\d]/g, '');

/** expect.poll with a timeout fit for a browser (the default is 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });

describe.skipIf(!hasChromium)('web shell in Chromium against the real server', () => {
  let server: { url: string; close: () => Promise<void> } | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let dataset: Dataset;
  let firstRows: Row[] = [];

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${server!.url}/api/v1${path}`);
    if (!res.ok) throw new Error(`GET ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startServer();

    // Pick a demo dataset with records; prefer simple field types (CSV-friendly) and a primary key.
    const list = await api<{ items: DatasetSummary[] }>('/datasets?limit=100');
    const candidates: Dataset[] = [];
    for (const d of list.items.filter((x) => x.validRecords > 0)) {
      candidates.push(await api<Dataset>(`/datasets/${encodeURIComponent(d.code)}`));
    }
    const simple = (d: Dataset) => d.fields.every((f) => f.type !== 'json' && f.type !== 'geopoint');
    const score = (d: Dataset) =>
      (simple(d) ? 4 : 0) + (d.primaryKey.length ? 2 : 0) + (d.fields.some((f) => f.required && !f.primaryKey) ? 1 : 0);
    candidates.sort((a, b) => score(b) - score(a));
    expect(candidates.length, 'the small demo should hold at least one dataset with records').toBeGreaterThan(0);
    dataset = candidates[0];
    firstRows = (await api<{ items: Row[] }>(`/datasets/${encodeURIComponent(dataset.code)}/records?limit=2`)).items;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
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
    await page.waitForTimeout(500); // let the chart animation settle for the screenshot

    const shot = join(tmpdir(), 'xmcity-web-overview.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.info(`overview screenshot: ${shot}`);
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

  it('switches to English and keeps the choice', async () => {
    await page.locator('[data-testid=lang-en]').click();
    await poll(() => page.locator('[data-testid=tab-schema]').textContent()).toBe('Fields');
    await poll(() => page.locator('[data-testid=nav-catalogue]').textContent().then((s) => s?.trim())).toBe('Catalogue');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('xmcity.locale'))).toBe('en');

    await page.reload();
    await poll(() => page.locator('[data-testid=nav-overview]').textContent().then((s) => s?.trim())).toBe('Overview');
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});
