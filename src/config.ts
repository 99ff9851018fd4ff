import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Which demo data set to seed into an empty data directory. */
export type DemoSize = 'none' | 'small' | 'full';

/** The platform's configuration, parsed once at start-up from the environment and an optional JSON file. */
export interface Config {
  /** Directory for the embedded SQLite Store, the DuckDB Lake and temporary spool files. */
  dataDir: string;
  /** PostgreSQL connection string for the Store; when unset the embedded SQLite file is used. */
  databaseUrl: string | null;
  /** HTTP listen address. */
  host: string;
  /** HTTP listen port. */
  port: number;
  /** Log level for pino ('fatal' … 'trace', or 'silent'). */
  logLevel: string;
  /** Demo data seeded on first start with an empty data directory. */
  demo: DemoSize;
  /** Largest accepted ingest body or file, in bytes. */
  maxIngestBytes: number;
  /** Longest accepted single record (line) in an ingest body, in bytes. */
  maxLineBytes: number;
  /** Memory the Lake engine may use before spilling to disk, e.g. '2GB'. */
  lakeMemoryLimit: string;
  /** Worker threads for the Lake engine (defaults to the number of cores). */
  lakeThreads: number | null;
  /** Largest page a query may ask for. */
  maxPageSize: number;
  /** Largest offset a query may use before it must page by cursor. */
  maxOffset: number;
  /** scrypt cost parameter N for new passwords (a power of two; 32768 = 32 MiB per hash). */
  passwordCost: number;
  /** Whether session cookies carry the Secure flag (set when the platform is served over HTTPS). */
  secureCookies: boolean;
  /**
   * The platform's public address (like CKAN's ckan.site_url), e.g. https://data.xm.gov.cn: the base of every link
   * CKAN, DCAT and the portal hand out. Unset, links use the request's Host.
   */
  publicUrl: string | null;
  /**
   * The reverse proxies in front whose X-Forwarded-For / -Proto / -Host are believed (client addresses for rate
   * limits, links): false (none), a number of hops, or their addresses / CIDR ranges. Never "all": a client could
   * then write its own address.
   */
  trustProxy: false | number | string;
  /** Requests a minute an anonymous visitor (by IP address) may make (0: no limit). */
  anonymousPerMinute: number;
  /** Requests a minute one application token may make (0: no limit). */
  tokenPerMinute: number;
  /** Longest an untrusted datastore_search_sql query may run, in milliseconds. */
  sqlTimeoutMs: number;
  /** Most rows a datastore_search_sql query returns. */
  sqlMaxRows: number;
  /** Most bytes (as JSON) of the rows a datastore_search_sql query returns; the rows stop before the cap. */
  sqlMaxBytes: number;
  /** Whole-dataset exports and downloads running at once per caller (person, system or anonymous address), and in all. */
  exportsPerCaller: number;
  exportsMax: number;
  /** Minutes between automatic signed checkpoints of the audit trail (0: only on demand). */
  auditCheckpointMinutes: number;
  /** Directory of the built web shell, served at '/'. */
  webDir: string;
  /** Minutes in one parking reservation time slice (时间片), a divisor of 60; each lot's reservable share applies per slice. */
  parkingSliceMinutes: number;
  /** Minutes a parking hold (预约锁定) keeps its space before it is released unless confirmed. */
  parkingHoldMinutes: number;
  /** Minutes without an occupancy push after which a lot shows state `unknown` instead of a stale count. */
  parkingSilentMinutes: number;
  /** Minutes after a confirmed reservation's start before it is released as a no-show (爽约). */
  parkingNoShowMinutes: number;
  /** Minutes between occupancy snapshots the parking platform publishes to the hub (a divisor of 60). */
  parkingSnapshotMinutes: number;
  /** Reservations one driver may hold at once. */
  parkingMaxActivePerDriver: number;
  /** The parking platform's connected system (智慧停车平台), which publishes its datasets to the hub. */
  parkingSystemCode: string;
  /** Beijing time (HH:MM) of the daily automatic settlement of pay-later charges; 'off' for none. */
  parkingSettleAt: string;
  /** Lowest city credit score (信用分) that allows pay-later parking (信用停车). */
  parkingCreditMinScore: number;
  /** Arrears in integer fen above which a driver's pay-later parking is suspended until settled. */
  parkingCreditArrearsLimitFen: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Raised at start-up when a setting is missing or malformed; names the variable. */
export class ConfigError extends Error {}

type Source = Record<string, string | undefined>;

function str(src: Source, key: string, fallback: string): string {
  const v = src[key];
  return v === undefined || v === '' ? fallback : v;
}

function int(src: Source, key: string, fallback: number, min: number, max: number): number {
  const raw = src[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key}=${JSON.stringify(raw)} is not a whole number between ${min} and ${max}`);
  }
  return n;
}

function bytes(src: Source, key: string, fallback: number): number {
  const raw = src[key];
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib|tb|tib)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(`${key}=${JSON.stringify(raw)} is not a size (e.g. 512MB, 10GiB, 1048576)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };
  return Math.floor(Number(m[1]) * mult[unit]);
}

function powerOfTwo(src: Source, key: string, fallback: number): number {
  const n = int(src, key, fallback, 1024, 2 ** 20);
  if ((n & (n - 1)) !== 0) throw new ConfigError(`${key}=${n} must be a power of two (e.g. 16384, 32768)`);
  return n;
}

function pattern(src: Source, key: string, re: RegExp, fallback: string, what: string): string {
  const raw = src[key];
  if (raw === undefined || raw === '') return fallback;
  if (!re.test(raw)) throw new ConfigError(`${key}=${JSON.stringify(raw)} must be ${what}`);
  return raw;
}

/** XMCITY_PUBLIC_URL: an http(s) origin with an optional path, kept without a trailing slash. */
function publicUrl(src: Source): string | null {
  const raw = src.XMCITY_PUBLIC_URL;
  if (raw === undefined || raw === '') return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`XMCITY_PUBLIC_URL=${JSON.stringify(raw)} is not a URL; give the platform's public address, e.g. https://data.xm.gov.cn`);
  }
  if (!['http:', 'https:'].includes(u.protocol) || u.search || u.hash) throw new ConfigError(`XMCITY_PUBLIC_URL=${JSON.stringify(raw)} must be an http(s) address without ? or #`);
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}

/** XMCITY_TRUST_PROXY: false, a hop count (1–10), or proxy addresses / CIDR ranges separated by commas. */
function trustProxy(src: Source): false | number | string {
  const raw = (src.XMCITY_TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (/^\d+$/.test(raw) && Number(raw) <= 10) return Number(raw);
  const parts = raw.split(',').map((x) => x.trim());
  if (raw !== 'true' && parts.every((p) => /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(p))) return parts.join(',');
  throw new ConfigError(
    `XMCITY_TRUST_PROXY=${JSON.stringify(raw)}: give the number of proxies in front (e.g. 1) or their addresses (e.g. 10.0.0.5,10.0.1.0/24); trusting every hop would let clients forge their address`,
  );
}

function oneOf<T extends string>(src: Source, key: string, allowed: readonly T[], fallback: T): T {
  const raw = src[key];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${key}=${JSON.stringify(raw)} must be one of: ${allowed.join(', ')}`);
  }
  return raw as T;
}

/**
 * Builds the typed configuration from environment variables (XMCITY_*, DATABASE_URL, PORT, HOST) layered
 * over an optional JSON file named by XMCITY_CONFIG; fails fast with the offending key named.
 */
export function loadConfig(opts: { env?: Source; cwd?: string } = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  let file: Source = {};
  const configPath = env.XMCITY_CONFIG;
  if (configPath) {
    const p = resolve(cwd, configPath);
    if (!existsSync(p)) throw new ConfigError(`XMCITY_CONFIG=${configPath}: file not found`);
    try {
      const parsed: unknown = JSON.parse(readFileSync(p, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      file = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v === null ? undefined : String(v)]));
    } catch (e) {
      throw new ConfigError(`XMCITY_CONFIG=${configPath}: not a JSON object of settings (${(e as Error).message})`);
    }
    const known = new Set(KNOWN_KEYS);
    for (const k of Object.keys(file)) if (!known.has(k)) throw new ConfigError(`${configPath}: unknown setting ${k}`);
  }
  const src: Source = { ...file, ...Object.fromEntries(Object.entries(env).filter(([k]) => KNOWN_KEYS.includes(k))) };
  const logLevel = str(src, 'XMCITY_LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`XMCITY_LOG_LEVEL=${logLevel} must be one of ${LOG_LEVELS.join(', ')}`);
  const dbUrl = str(src, 'DATABASE_URL', '');
  if (dbUrl && !/^postgres(ql)?:\/\//.test(dbUrl)) throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  const threads = src.XMCITY_LAKE_THREADS ? int(src, 'XMCITY_LAKE_THREADS', 1, 1, 1024) : null;
  return {
    dataDir: resolve(cwd, str(src, 'XMCITY_DATA_DIR', 'data')),
    databaseUrl: dbUrl || null,
    host: str(src, 'HOST', '127.0.0.1'),
    port: int(src, 'PORT', 3000, 0, 65535),
    logLevel,
    demo: oneOf(src, 'XMCITY_DEMO', ['none', 'small', 'full'] as const, 'full'),
    maxIngestBytes: bytes(src, 'XMCITY_MAX_INGEST_BYTES', 20 * 1024 ** 3),
    maxLineBytes: bytes(src, 'XMCITY_MAX_LINE_BYTES', 1024 ** 2),
    lakeMemoryLimit: str(src, 'XMCITY_LAKE_MEMORY', '1GB'),
    lakeThreads: threads,
    maxPageSize: int(src, 'XMCITY_MAX_PAGE', 10_000, 1, 1_000_000),
    maxOffset: int(src, 'XMCITY_MAX_OFFSET', 100_000, 0, 100_000_000),
    passwordCost: powerOfTwo(src, 'XMCITY_PASSWORD_COST', 2 ** 15),
    secureCookies: oneOf(src, 'XMCITY_SECURE_COOKIES', ['true', 'false'] as const, 'false') === 'true',
    publicUrl: publicUrl(src),
    trustProxy: trustProxy(src),
    anonymousPerMinute: int(src, 'XMCITY_ANON_RPM', 300, 0, 1_000_000_000),
    tokenPerMinute: int(src, 'XMCITY_TOKEN_RPM', 3000, 0, 1_000_000_000),
    sqlTimeoutMs: int(src, 'XMCITY_SQL_TIMEOUT_MS', 5000, 100, 600_000),
    sqlMaxRows: int(src, 'XMCITY_SQL_MAX_ROWS', 32_000, 1, 1_000_000),
    sqlMaxBytes: int(src, 'XMCITY_SQL_MAX_BYTES', 16 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    exportsPerCaller: int(src, 'XMCITY_EXPORTS_PER_CALLER', 2, 1, 100),
    exportsMax: int(src, 'XMCITY_EXPORTS_MAX', 8, 1, 1000),
    auditCheckpointMinutes: int(src, 'XMCITY_AUDIT_CHECKPOINT_MINUTES', 60, 0, 7 * 24 * 60),
    webDir: resolve(cwd, str(src, 'XMCITY_WEB_DIR', 'web/dist')),
    parkingSliceMinutes: Number(oneOf(src, 'XMCITY_PARKING_SLICE_MINUTES', ['5', '10', '15', '20', '30', '60'] as const, '30')),
    parkingHoldMinutes: int(src, 'XMCITY_PARKING_HOLD_MINUTES', 10, 1, 24 * 60),
    parkingSilentMinutes: int(src, 'XMCITY_PARKING_SILENT_MINUTES', 10, 1, 7 * 24 * 60),
    parkingNoShowMinutes: int(src, 'XMCITY_PARKING_NO_SHOW_MINUTES', 15, 1, 24 * 60),
    parkingSnapshotMinutes: Number(oneOf(src, 'XMCITY_PARKING_SNAPSHOT_MINUTES', ['1', '5', '10', '15', '30', '60'] as const, '15')),
    parkingMaxActivePerDriver: int(src, 'XMCITY_PARKING_MAX_ACTIVE_PER_DRIVER', 3, 1, 1000),
    parkingSystemCode: str(src, 'XMCITY_PARKING_SYSTEM', 'JTJ-PARK'),
    parkingSettleAt: pattern(src, 'XMCITY_PARKING_SETTLE_AT', /^(off|([01][0-9]|2[0-3]):[0-5][0-9])$/, '02:00', 'HH:MM (Beijing time) or off'),
    parkingCreditMinScore: int(src, 'XMCITY_PARKING_CREDIT_MIN_SCORE', 650, 0, 1000),
    parkingCreditArrearsLimitFen: int(src, 'XMCITY_PARKING_CREDIT_ARREARS_LIMIT_FEN', 20_000, 0, 100_000_000),
  };
}

const KNOWN_KEYS = [
  'XMCITY_DATA_DIR', 'DATABASE_URL', 'HOST', 'PORT', 'XMCITY_LOG_LEVEL', 'XMCITY_DEMO', 'XMCITY_MAX_INGEST_BYTES',
  'XMCITY_MAX_LINE_BYTES', 'XMCITY_LAKE_MEMORY', 'XMCITY_LAKE_THREADS', 'XMCITY_MAX_PAGE', 'XMCITY_MAX_OFFSET', 'XMCITY_WEB_DIR',
  'XMCITY_PASSWORD_COST', 'XMCITY_SECURE_COOKIES', 'XMCITY_PUBLIC_URL', 'XMCITY_TRUST_PROXY', 'XMCITY_AUDIT_CHECKPOINT_MINUTES', 'XMCITY_ANON_RPM', 'XMCITY_TOKEN_RPM',
  'XMCITY_SQL_TIMEOUT_MS', 'XMCITY_SQL_MAX_ROWS', 'XMCITY_SQL_MAX_BYTES', 'XMCITY_EXPORTS_PER_CALLER', 'XMCITY_EXPORTS_MAX',
  'XMCITY_PARKING_SETTLE_AT', 'XMCITY_PARKING_SNAPSHOT_MINUTES', 'XMCITY_PARKING_MAX_ACTIVE_PER_DRIVER', 'XMCITY_PARKING_SYSTEM',
  'XMCITY_PARKING_SLICE_MINUTES', 'XMCITY_PARKING_HOLD_MINUTES', 'XMCITY_PARKING_SILENT_MINUTES', 'XMCITY_PARKING_NO_SHOW_MINUTES',
  'XMCITY_PARKING_CREDIT_MIN_SCORE', 'XMCITY_PARKING_CREDIT_ARREARS_LIMIT_FEN',
];
