import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { openPlatform, type Platform } from '../src/platform.ts';
import { cliActor, type Role, type TokenScope } from '../src/modules/access/actor.ts';

/** The Store backends the suite runs on: SQLite always, PostgreSQL when DATABASE_URL is set. */
export const STORE_BACKENDS: { name: 'sqlite' | 'postgres'; databaseUrl: string | null }[] = [
  { name: 'sqlite', databaseUrl: null },
  ...(process.env.DATABASE_URL ? [{ name: 'postgres' as const, databaseUrl: process.env.DATABASE_URL }] : []),
];

if (!process.env.DATABASE_URL) {
  console.warn('\n⚠️  DATABASE_URL is not set: the Store suite runs on SQLite only. CI sets it to run PostgreSQL too.\n');
}

/** A fresh data directory and configuration for one test file. */
export function testConfig(overrides: Record<string, string> = {}, databaseUrl: string | null = null): { config: Config; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'xmcity-test-'));
  const config = loadConfig({
    env: { XMCITY_DATA_DIR: dir, XMCITY_LOG_LEVEL: 'silent', XMCITY_DEMO: 'none', XMCITY_LAKE_MEMORY: '1GB', XMCITY_PASSWORD_COST: '1024', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...overrides },
  });
  return { config, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A unique PostgreSQL schema name, so test files do not see each other's tables. */
export function uniqueSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** Opens a platform on a fresh directory (and a fresh PostgreSQL schema when asked). */
export async function testPlatform(databaseUrl: string | null = null, overrides: Record<string, string> = {}): Promise<{ platform: Platform; config: Config; close(): Promise<void> }> {
  const t = testConfig(overrides, databaseUrl);
  const platform = await openPlatform(t.config, { storeSchema: databaseUrl ? uniqueSchema() : undefined });
  return {
    platform,
    config: t.config,
    close: async () => {
      await platform.close();
      t.cleanup();
    },
  };
}

/** Builds the HTTP app on a fresh directory with the small demo seeded. */
export async function testApp(opts: { demo?: 'none' | 'small'; databaseUrl?: string | null; env?: Record<string, string> } = {}): Promise<{ app: FastifyInstance; config: Config; close(): Promise<void> }> {
  const t = testConfig({ XMCITY_DEMO: opts.demo ?? 'small', ...(opts.env ?? {}) }, opts.databaseUrl ?? null);
  const app = await buildApp(t.config, { storeSchema: opts.databaseUrl ? uniqueSchema() : undefined });
  return {
    app,
    config: t.config,
    close: async () => {
      await app.close();
      t.cleanup();
    },
  };
}

/** The fields of a small test dataset covering every type and check. */
export const PEOPLE_FIELDS = [
  { name: 'id', label: '编号', type: 'integer', primaryKey: true },
  { name: 'name', label: '姓名', type: 'string', required: true, maxLength: 20 },
  { name: 'id_no', label: '身份证号', type: 'string', format: 'idcard', sensitivity: 'secret' },
  { name: 'district', label: '所属区', type: 'string', enum: ['350203', '350205', '350206', '350211', '350212', '350213'] },
  { name: 'score', label: '分数', type: 'decimal', min: 0, max: 100 },
  { name: 'born', label: '出生日期', type: 'date' },
  { name: 'seen_at', label: '登记时间', type: 'timestamp' },
  { name: 'active', label: '有效', type: 'boolean' },
  { name: 'home', label: '位置', type: 'geopoint' },
  { name: 'extra', label: '附加', type: 'json' },
];

/** A password that satisfies the rules, for test accounts. */
export const TEST_PASSWORD = 'Test-password-1';

/** The app as one caller: every inject carries that caller's headers (a session cookie or a token). */
export function as(app: FastifyInstance, headers: Record<string, string>): FastifyInstance {
  return new Proxy(app, {
    get(target, prop, receiver) {
      if (prop === 'inject') {
        return (opts: { headers?: Record<string, string> } & Record<string, unknown>) => target.inject({ ...opts, headers: { ...headers, ...(opts.headers ?? {}) } } as never);
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

let userCounter = 0;

/** Creates an account in an organisation and signs it in; returns its session cookie header. */
export async function signIn(app: FastifyInstance, orgCode: string, role: Role): Promise<{ cookie: string; username: string }> {
  const username = `t${++userCounter}.${role.replace('_', '')}.${orgCode.toLowerCase()}`;
  await app.platform.identity.createUser(cliActor('test'), { username, displayName: username, orgCode, role, password: TEST_PASSWORD });
  const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: TEST_PASSWORD } });
  if (r.statusCode !== 200) throw new Error(`sign-in failed: ${r.body}`);
  const cookie = String(r.headers['set-cookie']).split(';')[0];
  return { cookie, username };
}

/** The app as a new signed-in person of an organisation. */
export async function asPerson(app: FastifyInstance, orgCode: string, role: Role): Promise<FastifyInstance> {
  return as(app, { cookie: (await signIn(app, orgCode, role)).cookie });
}

/** Issues an application token for a system (as the local operator). */
export async function tokenFor(app: FastifyInstance, systemCode: string, scopes: TokenScope[] = ['ingest', 'read']): Promise<string> {
  return (await app.platform.identity.issueToken(cliActor('test'), { systemCode, name: 'test', scopes, expiresInDays: 30 })).token;
}
