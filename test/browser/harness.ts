// What the browser tests share: the loud skip when Chromium is absent, the real server started from src/ on a
// free port (demo data 'small', a throwaway data directory), the web build, Chromium itself and a patient poll.
// XMCITY_WEB_TEST_URL=http://host:port runs the tests against an already running server instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_DIST = join(ROOT, 'web', 'dist');
export const EXTERNAL_URL = process.env.XMCITY_WEB_TEST_URL;
export const hasChromium = existsSync(CHROMIUM);

/** The password of every demo account. */
export const DEMO_PASSWORD = 'Xiamen-2022';

/** Says loudly, once per test file, that the browser test is skipped and how to run it. */
export function warnIfNoChromium(what: string): void {
  if (hasChromium) return;
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!!  SKIPPING the ${what} browser test: ${CHROMIUM} does not exist.`,
      '!!  Install Debian chromium (apt-get install chromium fonts-noto-cjk) to run it.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
}

export interface TestServer {
  url: string;
  close: () => Promise<void>;
  /** The app in this process (absent against an external server), for the odd direct change to the data. */
  app?: FastifyInstance;
}

/** Starts the real server from src/ on a free port; returns its URL and a closer. */
export async function startServer(): Promise<TestServer> {
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
    app,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Builds web/dist when it is missing (npm test builds it first). */
export function ensureWebBuilt(): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

/** Debian's Chromium, headless. */
/** A zh-CN page of the given height with the tests' patient timeout; uncaught page errors are collected in `errors`. */
export async function openPage(browser: Browser, errors: string[], opts: { height?: number; acceptDownloads?: boolean } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: opts.height ?? 900 }, locale: 'zh-CN', acceptDownloads: opts.acceptDownloads ?? false });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => errors.push(err.message));
  return page;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

/** expect.poll with a timeout fit for a browser (the default is 1 s). */
export const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });

/** The digits of a text ("共 1,234 条" → "1234"). */
export const digits = (s: string | null) => (s ?? '').replace(/[^\d]/g, '');
