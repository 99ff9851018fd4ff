/**
 * Governance benchmark: what governed sharing costs.
 *  1. Query throughput and latency with grants and auditing off vs on, side by side in one run, interleaved in
 *     rounds: "off" (the Lake with the plan the query layer builds for an owner, no access decision, no audit),
 *     "owner" (platform.query as a person of the owning organisation: full view, one audit entry per request),
 *     "grant" (platform.query as a consumer analyst under a grant: two masks, a row scope, quotas, usage charged,
 *     one audit entry) and, as a reference, "grant_sql" (the grant's own plan — scope ANDed, masks compiled — sent
 *     straight to the Lake with no access decision and no audit: grant vs grant_sql is the bookkeeping alone,
 *     grant_sql vs off the cost of the narrower, masked query itself). In-process, then the same over HTTP with
 *     app.inject (the ungoverned modes get routes of their own with the same auth hook and schemas, so the session
 *     lookup is in every mode). Target: overhead ≤ 15 %.
 *  2. Audit append cost: sequential and 64 in flight, on SQLite (and PostgreSQL when DATABASE_URL is set).
 *  3. Verify speed: a valid 10 M-entry chain with signed checkpoints every 1 M is bulk-built into a fresh SQLite
 *     Store (entryHash per entry, one prepared statement; the first checkpoint by AuditService.checkpoint(), the
 *     others signed the same way from a running Merkle accumulator), then platform.audit.verify() runs over it in
 *     a child process (for a clean peak RSS); then one entry in the middle is edited and verify must name exactly
 *     that entry. Needs about 5.5 GB of free disk under the temp directory for 10 M entries.
 *
 * Usage: npm run bench:governance -- [--rows 1000000] [--rounds 20] [--appends 20000] [--no-http]
 *          [--only query,append,verify] [--keep]
 *        BENCH_AUDIT_ENTRIES=1000000 for a quicker verify run (default 10 000 000).
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { openPlatform, type Platform } from '../src/platform.ts';
import { registerAuth } from '../src/http/auth.ts';
import { AnyObject } from '../src/http/schemas.ts';
import type { AggregatePlan } from '../src/lake/lake.ts';
import { cliActor, type Actor, type Role } from '../src/modules/access/actor.ts';
import type { DataView } from '../src/modules/access/service.ts';
import { GENESIS_HASH, MerkleAccumulator, entryHash, type AuditFacts } from '../src/modules/audit/chain.ts';
import { loadSigningKey } from '../src/modules/audit/keys.ts';
import { SYSTEM_FIELDS, type Dataset } from '../src/modules/catalogue/types.ts';
import { seededRandom } from '../src/modules/demo/random.ts';
import { beijingDay } from '../src/modules/sharing/calendar.ts';
import { parseFilter } from '../src/modules/query/filter.ts';
import { checkFilter } from '../src/modules/query/filter-check.ts';
import type { AggregateQuery, RecordsQuery } from '../src/modules/query/service.ts';
import { ensureFiles, fmt, log, pct, root, type Figures } from './lib.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const ROWS = Number(arg('rows', '1000000'));
const ROUNDS = Number(arg('rounds', '20'));
const APPENDS = Number(arg('appends', '20000'));
const IN_FLIGHT = 64;
const CONCURRENCY = 8;
const AUDIT_ENTRIES = Number(process.env.BENCH_AUDIT_ENTRIES ?? 10_000_000);
const ONLY = new Set(arg('only', 'query,append,verify').split(','));
const WITH_HTTP = !args.includes('--no-http');
const KEEP = args.includes('--keep');
const PASSWORD = 'Bench-password-1';
const SCOPE = "district in ('350203','350206','350211')";
const SCOPE_DISTRICTS = new Set(['350203', '350206', '350211']);

const MODES = ['off', 'owner', 'grant_sql', 'grant'] as const;
type Mode = (typeof MODES)[number];
const KINDS = ['key_lookup', 'page_sorted', 'page_counted', 'group_by', 'keyset_page2'] as const;
type Kind = (typeof KINDS)[number];
/** Requests of each kind per mode per round (sequential part). */
const PER_ROUND: Record<Kind, number> = { key_lookup: 40, page_sorted: 3, page_counted: 8, group_by: 8, keyset_page2: 3 };
/** The mixed workload of the concurrent part, per mode per round. */
const MIX: Record<Kind, number> = { key_lookup: 40, page_sorted: 4, page_counted: 8, group_by: 8, keyset_page2: 4 };

const PAGE_SORTED: RecordsQuery = { filter: "status = '存续' and capital >= 1000", sort: '-capital', limit: 100, total: 'none' };
const PAGE_COUNTED: RecordsQuery = { filter: "industry = 'I' and established_on >= '2010-01-01'", limit: 100, total: 'exact' };
const GROUP_BY: AggregateQuery = { groupBy: 'industry', metrics: 'count' };

function stamp(): string {
  return new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

function procStatus(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : String(x));
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x));

/** A fresh data directory and configuration, as the tests make them. */
function freshConfig(databaseUrl: string | null = null): { config: Config; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'xmcity-bench-gov-'));
  const config = loadConfig({
    env: {
      XMCITY_DATA_DIR: dir, XMCITY_LOG_LEVEL: 'silent', XMCITY_DEMO: 'none', XMCITY_LAKE_MEMORY: '1GB', XMCITY_PASSWORD_COST: '1024',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
  });
  return { config, dir };
}

/** The dataset as the Lake sees it (the query layer's `stored`). */
function stored(ds: Dataset): Dataset {
  return { ...ds, fields: [...ds.fields, ...SYSTEM_FIELDS] };
}

// ───────────────────────────── 1. query throughput, governance off vs on ─────────────────────────────

interface Setup {
  p: Platform;
  dir: string;
  code: string;
  owner: Actor;
  analyst: Actor;
  admin: Actor;
  sessions: Record<'owner' | 'analyst', string>;
  grantId: string;
  ownerView: DataView;
  grantView: DataView;
  keys: string[];
  ingest: Figures;
}

async function person(p: Platform, username: string, orgCode: string, role: Role): Promise<{ actor: Actor; session: string }> {
  await p.identity.createUser(cliActor('bench'), { username, displayName: username, orgCode, role, password: PASSWORD });
  const { session } = await p.identity.login(username, PASSWORD);
  return { actor: await p.identity.sessionActor(session), session };
}

async function setup(): Promise<Setup> {
  const { config, dir } = freshConfig();
  log(`  data dir ${dir}`);
  const p = await openPlatform(config);
  const op = cliActor('bench');
  await p.orgs.createOrganisation({ code: 'SCJGJ', name: '厦门市市场监督管理局', nameEn: 'Xiamen Market Regulation Bureau', kind: 'department', adcode: null });
  await p.orgs.createSystem({ code: 'SCJGJ-REG', orgCode: 'SCJGJ', name: '企业登记系统', nameEn: 'Enterprise registration system', cycle: 'daily' });
  await p.orgs.createOrganisation({ code: 'SWJ', name: '国家税务总局厦门市税务局', nameEn: 'Xiamen Tax Bureau', kind: 'department', adcode: null });
  await p.orgs.createSystem({ code: 'SWJ-TAX', orgCode: 'SWJ', name: '税源管理系统', nameEn: 'Tax source system', cycle: 'daily' });
  await p.orgs.createOrganisation({ code: 'DSJ', name: '厦门市大数据管理局', nameEn: 'Xiamen Big Data Administration', kind: 'department', adcode: null });
  const spec = JSON.parse(readFileSync(join(root, 'bench', 'enterprise.json'), 'utf8'));
  const ds = await p.catalogue.create(op, spec);

  const { csv } = await ensureFiles(ROWS, ['csv']);
  log(`  ingesting ${csv} …`);
  const t0 = performance.now();
  const r = await p.ingest.ingest({ dataset: ds.code, format: 'csv', mode: 'append', body: createReadStream(csv, { highWaterMark: 1 << 20 }), idempotencyKey: null, actor: op, source: 'cli' });
  const ingestSecs = (performance.now() - t0) / 1000;
  log(`    valid ${fmt(r.valid)} · invalid ${fmt(r.invalid)} · ${ingestSecs.toFixed(1)} s`);

  const admin = await person(p, 'bench.admin', 'DSJ', 'platform_admin');
  const steward = await person(p, 'bench.steward', 'SCJGJ', 'data_steward');
  const owner = await person(p, 'bench.owner', 'SCJGJ', 'analyst');
  const analyst = await person(p, 'bench.analyst', 'SWJ', 'analyst');

  // The real workflow: the consumer's analyst asks, the platform admin checks, the provider's steward decides.
  const fields = ds.fields.map((f) => f.name);
  const req = await p.sharing.submit(analyst.actor, { dataset: ds.code, consumerSystem: 'SWJ-TAX', purpose: '税源比对：核对企业登记信息与纳税登记信息', fields, durationDays: 365 });
  await p.sharing.check(admin.actor, req.id, { approve: true, note: '材料齐全' });
  const decided = await p.sharing.decide(steward.actor, req.id, {
    approve: true,
    // Two masks; legal_rep (sensitive) would get a default partial mask, so it is granted in clear on purpose.
    masks: { legal_rep_id: 'partial', phone: 'hash', legal_rep: 'clear' },
    rowScope: SCOPE,
    rowsPerDay: 1_000_000_000,
    requestsPerMinute: 1_000_000_000,
  });
  if (decided.status !== 'granted' || !decided.grantId) throw new Error(`grant not made: ${JSON.stringify(decided)}`);

  const fresh = await p.catalogue.get(ds.code);
  const ownerView = await p.access.view(owner.actor, fresh);
  if (ownerView.basis !== 'owner') throw new Error('owner view expected');
  const grantView = await p.access.view(analyst.actor, fresh);
  if (grantView.basis !== 'grant' || grantView.grant?.id !== decided.grantId) throw new Error('grant view expected');

  // Keys within the grant's scope, so every mode finds its row.
  const sample = await p.query.records(owner.actor, ds.code, { filter: SCOPE, fields: 'credit_code', limit: 5000, offset: 50_000, total: 'none' });
  const rand = seededRandom(11);
  const pool = sample.items.map((i) => String(i.credit_code));
  const keys = Array.from({ length: 400 }, () => pool[Math.floor(rand() * pool.length)]);
  return {
    p, dir, code: ds.code, owner: owner.actor, analyst: analyst.actor, admin: admin.actor, sessions: { owner: owner.session, analyst: analyst.session },
    grantId: decided.grantId, ownerView, grantView, keys,
    ingest: { rows: ROWS, valid: r.valid, invalid: r.invalid, ingest_secs: ingestSecs },
  };
}

/**
 * What the query layer does without governance: the plan a view gets (the owner's, or the grant's with its scope
 * and masks), straight to the Lake — no grant lookup, no quota, no usage charged, no audit entry.
 */
function offPath(s: Setup, view: DataView) {
  const { p } = s;
  return {
    async records(code: string, q: RecordsQuery) {
      const ds = await p.catalogue.get(code);
      const { plan, fingerprint } = p.query.plan(ds, view, q, { forExport: false, rowsLeft: Infinity });
      const r = await p.lake.select(stored(ds), plan);
      return { items: r.rows, total: r.total, totalExact: r.totalExact, nextCursor: r.last ? p.access.seal({ f: fingerprint, k: r.last }) : null };
    },
    async aggregate(code: string, q: AggregateQuery) {
      const base = await p.catalogue.get(code);
      const ds = stored(base);
      const all = new Map(ds.fields.map((f) => [f.name, f]));
      const plan: AggregatePlan = {
        groupBy: (q.groupBy ?? '').split(',').filter(Boolean).map((field) => ({ field, bucket: null })),
        metrics: (q.metrics ?? 'count').split(',').map((m) => {
          const [fn, field] = m.split(':');
          return { fn: fn as AggregatePlan['metrics'][number]['fn'], field: field ?? null, as: field ? `${fn}_${field}` : fn };
        }),
        filter: ((client) => (view.scope ? (client ? { op: 'and' as const, args: [view.scope, client] } : view.scope) : client))(
          q.filter ? checkFilter(parseFilter(q.filter), all, base.code) : null,
        ),
        q: null,
        textFields: base.fields.filter((f) => f.type === 'string' && f.sensitivity !== 'secret' && view.clear.has(f.name)).map((f) => f.name),
        sort: [],
        limit: q.limit ?? 1000,
      };
      return { items: await p.lake.aggregate(ds, plan) };
    },
  };
}

type Runner = (kind: Kind, i: number) => Promise<number>;
type Transport = 'in_process' | 'http';

interface Samples {
  lat: Record<Mode, Record<Kind, number[]>>;
  rows: Record<Mode, Record<Kind, number>>;
  mixed: Record<Mode, { requests: number; secs: number }>;
}

function emptySamples(): Samples {
  const per = <T>(f: () => T) => Object.fromEntries(KINDS.map((k) => [k, f()])) as Record<Kind, T>;
  return {
    lat: Object.fromEntries(MODES.map((m) => [m, per((): number[] => [])])) as Samples['lat'],
    rows: Object.fromEntries(MODES.map((m) => [m, per(() => 0)])) as Samples['rows'],
    mixed: Object.fromEntries(MODES.map((m) => [m, { requests: 0, secs: 0 }])) as Samples['mixed'],
  };
}

/** Rounds of every kind in every mode, the mode order rotating each round; then a mixed workload with 8 in flight. */
async function measure(runners: Record<Mode, Runner>, label: string): Promise<Samples> {
  const s = emptySamples();
  const mix: Kind[] = KINDS.flatMap((k) => Array<Kind>(MIX[k]).fill(k));
  const rand = seededRandom(5);
  for (let i = mix.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [mix[i], mix[j]] = [mix[j], mix[i]];
  }
  let counter = 0;
  for (let round = -1; round < ROUNDS; round++) {
    const warm = round < 0; // the first round warms caches and is not recorded
    const order = MODES.map((_, i) => MODES[(i + Math.max(round, 0)) % MODES.length]);
    for (const kind of KINDS) {
      for (const mode of order) {
        for (let j = 0; j < PER_ROUND[kind]; j++) {
          const t = performance.now();
          const n = await runners[mode](kind, counter++);
          const ms = performance.now() - t;
          if (!warm) {
            s.lat[mode][kind].push(ms);
            s.rows[mode][kind] += n;
          }
        }
      }
    }
    for (const mode of order) {
      let next = 0;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < mix.length) {
            const k = mix[next++];
            await runners[mode](k, counter++);
          }
        }),
      );
      if (!warm) {
        s.mixed[mode].requests += mix.length;
        s.mixed[mode].secs += (performance.now() - t) / 1000;
      }
    }
    process.stdout.write(`\r  ${label}: round ${round + 1}/${ROUNDS}`);
  }
  process.stdout.write('\n');
  return s;
}

/** Overheads reported: each as the throughput lost going from the second mode to the first. */
const COMPARE: [Mode, Mode][] = [['owner', 'off'], ['grant', 'off'], ['grant', 'grant_sql'], ['grant_sql', 'off']];

/** Figures of one transport: req/s, p50, p99 per mode and kind, overheads between modes. */
function summarise(s: Samples, transport: Transport): Figures {
  const out: Figures = {};
  const mixedKey = `${transport}.mixed_c${CONCURRENCY}`;
  for (const kind of KINDS) {
    const rps = {} as Record<Mode, number>;
    const p50 = {} as Record<Mode, number>;
    for (const mode of MODES) {
      const xs = s.lat[mode][kind];
      const sum = xs.reduce((a, b) => a + b, 0);
      rps[mode] = (xs.length / sum) * 1000;
      p50[mode] = pct(xs, 50);
      out[`${transport}.${kind}.${mode}.n`] = xs.length;
      out[`${transport}.${kind}.${mode}.req_per_s`] = rps[mode];
      out[`${transport}.${kind}.${mode}.mean_ms`] = sum / xs.length;
      out[`${transport}.${kind}.${mode}.p50_ms`] = p50[mode];
      out[`${transport}.${kind}.${mode}.p99_ms`] = pct(xs, 99);
      out[`${transport}.${kind}.${mode}.rows_per_req`] = s.rows[mode][kind] / xs.length;
    }
    for (const [a, b] of COMPARE) {
      out[`${transport}.${kind}.overhead_pct.${a}_vs_${b}`] = (1 - rps[a] / rps[b]) * 100;
      out[`${transport}.${kind}.p50_added_ms.${a}_vs_${b}`] = p50[a] - p50[b];
    }
  }
  const mrps = (m: Mode) => s.mixed[m].requests / s.mixed[m].secs;
  for (const mode of MODES) out[`${mixedKey}.${mode}.req_per_s`] = mrps(mode);
  for (const [a, b] of COMPARE) out[`${mixedKey}.overhead_pct.${a}_vs_${b}`] = (1 - mrps(a) / mrps(b)) * 100;
  return out;
}

function printTable(f: Figures, transport: Transport) {
  log(`\n  ${transport === 'http' ? 'HTTP (app.inject)' : 'in-process'} — sequential, one request at a time; overhead = throughput lost vs the mode named`);
  log(`  ${'query'.padEnd(13)} ${'mode'.padEnd(9)} ${'n'.padStart(4)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'rows/req'.padStart(8)}  overhead`);
  for (const kind of KINDS) {
    for (const mode of MODES) {
      const g = (k: string) => f[`${transport}.${kind}.${mode}.${k}`] as number;
      const over = COMPARE.filter(([a]) => a === mode)
        .map(([a, b]) => `${f1(f[`${transport}.${kind}.overhead_pct.${a}_vs_${b}`] as number)} % vs ${b} (${(f[`${transport}.${kind}.p50_added_ms.${a}_vs_${b}`] as number) >= 0 ? '+' : ''}${f2(f[`${transport}.${kind}.p50_added_ms.${a}_vs_${b}`] as number)} ms p50)`)
        .join(' · ');
      log(`  ${(mode === 'off' ? kind : '').padEnd(13)} ${mode.padEnd(9)} ${String(g('n')).padStart(4)} ${fmt(g('req_per_s')).padStart(7)} ${f2(g('p50_ms')).padStart(8)} ${f2(g('p99_ms')).padStart(8)} ${f1(g('rows_per_req')).padStart(8)}  ${over}`);
    }
  }
  log(`  mixed workload (${KINDS.map((k) => `${MIX[k]} ${k}`).join(', ')}), ${CONCURRENCY} in flight:`);
  for (const mode of MODES) {
    const rps = f[`${transport}.mixed_c${CONCURRENCY}.${mode}.req_per_s`] as number;
    const over = COMPARE.filter(([a]) => a === mode).map(([a, b]) => `${f1(f[`${transport}.mixed_c${CONCURRENCY}.overhead_pct.${a}_vs_${b}`] as number)} % vs ${b}`).join(' · ');
    log(`    ${mode.padEnd(9)} ${f1(rps).padStart(7)} req/s  ${over}`);
  }
}

async function auditCount(p: Platform): Promise<number> {
  const r = await p.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Checks the modes answer as they should before anything is timed. */
async function sanity(s: Setup, off: ReturnType<typeof offPath>, grantSql: ReturnType<typeof offPath>) {
  const { p, code } = s;
  const same = (x: unknown, y: unknown, what: string) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) throw new Error(`${what} differ`);
  };
  same((await off.records(code, PAGE_SORTED)).items, (await p.query.records(s.owner, code, PAGE_SORTED)).items, 'off and owner pages');
  const g = await p.query.records(s.analyst, code, PAGE_SORTED);
  same((await grantSql.records(code, PAGE_SORTED)).items, g.items, 'grant_sql and grant pages');
  if (!g.items.length) throw new Error('grant page is empty');
  for (const it of g.items) {
    if (!SCOPE_DISTRICTS.has(String(it.district))) throw new Error(`grant row outside scope: ${it.district}`);
    if (!/^[0-9a-f]{64}$/.test(String(it.phone))) throw new Error(`phone not hashed: ${it.phone}`);
    if (!/^\d{6}\*{8}[\dX]{4}$/.test(String(it.legal_rep_id))) throw new Error(`legal_rep_id not partly masked: ${it.legal_rep_id}`);
  }
  const ga = await p.query.aggregate(s.analyst, code, GROUP_BY);
  same((await grantSql.aggregate(code, GROUP_BY)).items, ga.items, 'grant_sql and grant group-bys');
  const oa = await off.aggregate(code, GROUP_BY);
  same(oa.items, (await p.query.aggregate(s.owner, code, GROUP_BY)).items, 'off and owner group-bys');
  const inScope = await p.query.records(s.owner, code, { filter: SCOPE, limit: 1, total: 'exact', fields: 'credit_code' });
  const sum = (xs: Record<string, unknown>[]) => xs.reduce((n, x) => n + Number(x.count), 0);
  if (sum(ga.items) !== inScope.total) throw new Error(`grant group-by counts ${sum(ga.items)} rows, scope holds ${inScope.total}`);
  log(`  sanity: off = owner and grant_sql = grant (pages, group-bys); grant rows in scope, phone hashed, legal_rep_id partial; group-by counts ${fmt(sum(oa.items))} (owner) vs ${fmt(sum(ga.items))} (grant = rows in scope)`);
}

async function queryBench(): Promise<Figures> {
  log('\n== 1. query throughput, governance off vs on ==');
  const s = await setup();
  const { p, code } = s;
  const off = offPath(s, s.ownerView);
  const grantSql = offPath(s, s.grantView);
  const direct: Partial<Record<Mode, ReturnType<typeof offPath>>> = { off, grant_sql: grantSql };
  const actorOf: Partial<Record<Mode, Actor>> = { owner: s.owner, grant: s.analyst };
  await sanity(s, off, grantSql);

  // First pages, whose cursors the keyset-second-page requests carry (cursors are bound to the view).
  const cursorOwner = (await p.query.records(s.owner, code, PAGE_SORTED)).nextCursor;
  const cursorGrant = (await p.query.records(s.analyst, code, PAGE_SORTED)).nextCursor;
  if (!cursorOwner || !cursorGrant) throw new Error('no cursor');
  const cursors: Record<Mode, string> = { off: cursorOwner, owner: cursorOwner, grant_sql: cursorGrant, grant: cursorGrant };

  const recordsQuery = (mode: Mode, kind: Exclude<Kind, 'group_by'>, i: number): RecordsQuery => {
    switch (kind) {
      case 'key_lookup':
        return { filter: `credit_code = '${s.keys[i % s.keys.length]}'`, total: 'none' };
      case 'page_sorted':
        return PAGE_SORTED;
      case 'page_counted':
        return PAGE_COUNTED;
      case 'keyset_page2':
        return { ...PAGE_SORTED, cursor: cursors[mode] };
    }
  };
  const figures: Figures = {
    ...s.ingest, dataset: code, grant: s.grantId, row_scope: SCOPE, masks: 'legal_rep_id partial, phone hash', rounds: ROUNDS, cores: cpus().length,
    page_sorted: JSON.stringify(PAGE_SORTED), page_counted: JSON.stringify(PAGE_COUNTED), group_by: JSON.stringify(GROUP_BY),
  };

  // In-process.
  const inproc = (mode: Mode): Runner => async (kind, i) => {
    const d = direct[mode];
    const actor = actorOf[mode] as Actor;
    if (kind === 'group_by') return (d ? await d.aggregate(code, GROUP_BY) : await p.query.aggregate(actor, code, GROUP_BY)).items.length;
    const q = recordsQuery(mode, kind, i);
    return (d ? await d.records(code, q) : await p.query.records(actor, code, q)).items.length;
  };
  const auditBefore = await auditCount(p);
  const usageBefore = (await p.sharing.grant(s.admin, s.grantId)).usage.reduce((n, u) => n + u.rows, 0);
  let governed = 0;
  let grantRows = 0;
  const counting = (mode: Mode): Runner => async (k, i) => {
    const n = await inproc(mode)(k, i);
    if (!direct[mode]) governed++;
    if (mode === 'grant') grantRows += n;
    return n;
  };
  const inSamples = await measure(Object.fromEntries(MODES.map((m) => [m, counting(m)])) as Record<Mode, Runner>, 'in-process');
  const auditAfter = await auditCount(p);
  const usageAfter = (await p.sharing.grant(s.admin, s.grantId)).usage.reduce((n, u) => n + u.rows, 0);
  figures.audit_entries_written = auditAfter - auditBefore;
  figures.governed_requests = governed;
  figures.grant_rows_returned = grantRows;
  figures.grant_rows_charged = usageAfter - usageBefore;
  log(`  audit entries written ${fmt(auditAfter - auditBefore)} for ${fmt(governed)} governed requests (off and grant_sql wrote none); grant rows charged ${fmt(usageAfter - usageBefore)} for ${fmt(grantRows)} returned`);
  if (auditAfter - auditBefore !== governed) log('  !! audit entry count does not match the governed requests');
  if (usageAfter - usageBefore !== grantRows) log('  !! rows charged to the grant do not match the rows returned');
  Object.assign(figures, summarise(inSamples, 'in_process'));
  printTable(figures, 'in_process');

  // The bookkeeping's parts, timed alone in the same process: the view (the grant looked up in the Store, masks
  // and scope compiled), the usage charge (one upsert) and the audit append (one insert, chained).
  const ds = await p.catalogue.get(code);
  const part = async (name: string, n: number, fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 100; i++) await fn(i);
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn(i);
    const us = ((performance.now() - t) * 1000) / n;
    figures[`in_process.part_us.${name}`] = us;
    return `${name} ${f1(us)} µs`;
  };
  const day = beijingDay(new Date());
  const parts = [
    await part('view_owner', 2000, () => p.access.view(s.owner, ds)),
    await part('view_grant', 2000, () => p.access.view(s.analyst, ds)),
    await part('usage_charge_0_rows', 2000, async () => p.sharing.addUsage(s.grantView.grant!, day, 0)),
    await part('audit_append', 2000, (i) => p.audit.append(readFacts(i, code, s.analyst.id))),
  ];
  log(`  parts of the bookkeeping, each alone: ${parts.join(' · ')}`);

  if (WITH_HTTP) {
    const app = await buildApp(p.config, { platform: p });
    // The ungoverned routes: the same auth hook, query-string and response schemas, no access decision, no audit.
    const bareRoutes = (path: ReturnType<typeof offPath>) => async (bare: FastifyInstance) => {
      registerAuth(bare, { identity: p.identity, access: p.access, secureCookies: false });
      const qs = Type.Object({
        filter: Type.Optional(Type.String()), sort: Type.Optional(Type.String()), fields: Type.Optional(Type.String()), cursor: Type.Optional(Type.String()),
        limit: Type.Optional(Type.Integer()), total: Type.Optional(Type.Union([Type.Literal('exact'), Type.Literal('estimate'), Type.Literal('none')])),
        groupBy: Type.Optional(Type.String()), metrics: Type.Optional(Type.String()),
      });
      const params = Type.Object({ code: Type.String() });
      bare.get('/datasets/:code/records', {
        schema: { params, querystring: qs, response: { 200: Type.Object({ items: Type.Array(AnyObject), total: Type.Union([Type.Number(), Type.Null()]), totalExact: Type.Boolean(), nextCursor: Type.Union([Type.String(), Type.Null()]) }) } },
      }, async (req) => path.records((req.params as { code: string }).code, req.query as RecordsQuery));
      bare.get('/datasets/:code/aggregate', {
        schema: { params, querystring: qs, response: { 200: Type.Object({ items: Type.Array(AnyObject) }) } },
      }, async (req) => path.aggregate((req.params as { code: string }).code, req.query as AggregateQuery));
    };
    await app.register(bareRoutes(off), { prefix: '/bench-off' });
    await app.register(bareRoutes(grantSql), { prefix: '/bench-grant-sql' });
    await app.ready();
    const cookie = (who: 'owner' | 'analyst') => `xmc_session=${encodeURIComponent(s.sessions[who])}`;
    const prefix: Record<Mode, string> = { off: '/bench-off', grant_sql: '/bench-grant-sql', owner: '/api/v1', grant: '/api/v1' };
    const http = (mode: Mode): Runner => async (kind, i) => {
      const q = kind === 'group_by' ? GROUP_BY : recordsQuery(mode, kind, i);
      const qs = new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]));
      const url = `${prefix[mode]}/datasets/${code}/${kind === 'group_by' ? 'aggregate' : 'records'}?${qs}`;
      const r = await app.inject({ method: 'GET', url, headers: { cookie: cookie(mode === 'grant' || mode === 'grant_sql' ? 'analyst' : 'owner') } });
      if (r.statusCode !== 200) throw new Error(`${mode} ${kind}: HTTP ${r.statusCode} ${r.body.slice(0, 300)}`);
      return (r.json() as { items: unknown[] }).items.length;
    };
    const httpSamples = await measure(Object.fromEntries(MODES.map((m) => [m, http(m)])) as Record<Mode, Runner>, 'HTTP');
    Object.assign(figures, summarise(httpSamples, 'http'));
    printTable(figures, 'http');
    await app.close();
  }
  await p.close();
  if (!KEEP) rmSync(s.dir, { recursive: true, force: true });
  return figures;
}

// ───────────────────────────── 2. audit append cost ─────────────────────────────

function readFacts(i: number, code: string, actorId: string): AuditFacts {
  return {
    at: new Date().toISOString(), actorKind: 'person', actorId, orgCode: 'SWJ', action: 'records.read', datasetCode: code, fields: null,
    filter: `credit_code = '91350203MA${String(i).padStart(8, '0')}'`, grantId: 'G-3f9a1c2b7d4e', purpose: '税源比对：核对企业登记信息与纳税登记信息', rowCount: 1,
    result: 'allowed', detail: { q: null, sort: null, basis: 'grant' },
  };
}

async function appendBench(backend: 'sqlite' | 'postgres'): Promise<Figures> {
  const url = backend === 'postgres' ? (process.env.DATABASE_URL as string) : null;
  const schema = url ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  const { config, dir } = freshConfig(url);
  const p = await openPlatform(config, { storeSchema: schema });
  const actorId = randomUUID();
  try {
    for (let i = 0; i < 500; i++) await p.audit.append(readFacts(i, 'XM-03-SCJGJ-00001', actorId));
    let t = performance.now();
    for (let i = 0; i < APPENDS; i++) await p.audit.append(readFacts(i, 'XM-03-SCJGJ-00001', actorId));
    const seqSecs = (performance.now() - t) / 1000;
    let next = 0;
    t = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < APPENDS) await p.audit.append(readFacts(next++, 'XM-03-SCJGJ-00001', actorId));
      }),
    );
    const concSecs = (performance.now() - t) / 1000;
    const v = await p.audit.verify();
    if (!v.ok || v.entries !== 2 * APPENDS + 500) throw new Error(`trail after the append run does not verify: ${JSON.stringify(v)}`);
    const f: Figures = {
      [`append.${backend}.n`]: APPENDS,
      [`append.${backend}.sequential_us`]: (seqSecs * 1e6) / APPENDS,
      [`append.${backend}.sequential_per_s`]: APPENDS / seqSecs,
      [`append.${backend}.in_flight_${IN_FLIGHT}_us`]: (concSecs * 1e6) / APPENDS,
      [`append.${backend}.in_flight_${IN_FLIGHT}_per_s`]: APPENDS / concSecs,
    };
    log(`  ${backend.padEnd(8)} sequential ${f1((seqSecs * 1e6) / APPENDS)} µs/append (${fmt(APPENDS / seqSecs)}/s) · ${IN_FLIGHT} in flight ${f1((concSecs * 1e6) / APPENDS)} µs/append (${fmt(APPENDS / concSecs)}/s) · trail verifies`);
    return f;
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
    if (url && schema) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
  }
}

// ───────────────────────────── 3. verify speed over a bulk-built chain ─────────────────────────────

const ORGS = ['SWJ', 'GAJ', 'RSJ', 'WJW', 'SCJGJ', 'D350203'];
const DATASETS = Array.from({ length: 24 }, (_, i) => `XM-${String(1 + (i % 12)).padStart(2, '0')}-${ORGS[i % ORGS.length]}-${String(i + 1).padStart(5, '0')}`);
const ACTORS = Array.from({ length: 300 }, () => randomUUID());
const GRANTS = Array.from({ length: 40 }, () => `G-${randomBytes(6).toString('hex')}`);
const BASE_MS = Date.parse('2026-01-01T00:00:00.000Z');

/** A believable entry of the trail: mostly reads under grants, some aggregates, exports, writes and denials. */
function bulkFacts(i: number): AuditFacts {
  const denied = i % 97 === 0;
  const action = i % 41 === 0 ? 'records.write' : i % 13 === 0 ? 'records.aggregate' : i % 29 === 0 ? 'records.export' : 'records.read';
  return {
    at: new Date(BASE_MS + i * 850).toISOString(),
    actorKind: i % 10 === 0 ? 'system' : 'person',
    actorId: ACTORS[(i * 7919) % ACTORS.length],
    orgCode: ORGS[i % ORGS.length],
    action,
    datasetCode: DATASETS[(i * 31) % DATASETS.length],
    fields: i % 3 === 0 ? ['credit_code', 'name', 'district', 'capital'] : null,
    filter: i % 4 === 0 ? null : `credit_code = '91350203MA${String(i % 1e8).padStart(8, '0')}'`,
    grantId: i % 5 === 0 ? null : GRANTS[i % GRANTS.length],
    purpose: i % 5 === 0 ? null : '税源比对：核对企业登记信息与纳税登记信息',
    rowCount: denied ? null : i % 101,
    result: denied ? 'denied' : 'allowed',
    detail: denied ? { code: 'QUOTA_EXCEEDED', basis: 'grant' } : { q: null, sort: i % 7 === 0 ? '-capital' : null, basis: i % 5 === 0 ? 'owner' : 'grant' },
  };
}

function checkpointMessage(c: { seqTo: number; at: string; headHash: string; merkleRoot: string }): Buffer {
  // As AuditService signs it (module-private there); verify() checks every signature, so a mismatch cannot pass.
  return Buffer.from(JSON.stringify(['xmcity-audit-checkpoint-v1', c.seqTo, c.at, c.headHash, c.merkleRoot]), 'utf8');
}

async function verifyInChild(dir: string): Promise<{ report: { ok: boolean; entries: number; checkpoints: number; fault: unknown }; secs: number; rssBefore: number; peakRss: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'governance.ts'), '--verify-child', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`verify child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop() as string);
}

async function verifyChild(dir: string) {
  const config = loadConfig({ env: { XMCITY_DATA_DIR: dir, XMCITY_LOG_LEVEL: 'silent', XMCITY_DEMO: 'none', XMCITY_LAKE_MEMORY: '1GB' } });
  const p = await openPlatform(config);
  const rssBefore = procStatus('VmRSS');
  const t0 = performance.now();
  let shown = 0;
  const report = await p.audit.verify({
    onProgress: (seq) => {
      if (seq - shown >= 500_000) {
        shown = seq;
        const s = (performance.now() - t0) / 1000;
        process.stderr.write(`\r    verified ${fmt(seq)} · ${fmt(seq / s)} entries/s · RSS ${gb(procStatus('VmRSS'))}   `);
      }
    },
  });
  const secs = (performance.now() - t0) / 1000;
  process.stderr.write('\n');
  const peakRss = procStatus('VmHWM');
  await p.close();
  process.stdout.write(`${JSON.stringify({ report, secs, rssBefore, peakRss })}\n`);
}

async function verifyBench(): Promise<Figures> {
  const N = AUDIT_ENTRIES;
  const every = Math.min(1_000_000, Math.max(1, Math.floor(N / 10)));
  log(`\n== 3. verify speed: ${fmt(N)} entries, a signed checkpoint every ${fmt(every)} ==`);
  const { config, dir } = freshConfig();
  log(`  data dir ${dir}`);
  const p = await openPlatform(config);
  const key = loadSigningKey(dir);
  const file = join(dir, 'store.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288');
  const ins = db.prepare(`INSERT INTO audit_entries (seq, at, actor_kind, actor_id, org_code, action, dataset_code, fields, filter, grant_id, purpose, row_count, result, detail, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insCp = db.prepare('INSERT INTO audit_checkpoints (seq_to, at, head_hash, merkle_root, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)');
  const acc = new MerkleAccumulator();
  let prev = GENESIS_HASH;
  let seq = 0;
  const TX = 50_000;
  const t0 = performance.now();
  let realCheckpointSecs = Number.NaN;
  const writeRun = db.transaction((upTo: number) => {
    while (seq < upTo) {
      seq++;
      const f = bulkFacts(seq);
      const hash = entryHash(seq, prev, f);
      ins.run(seq, f.at, f.actorKind, f.actorId, f.orgCode, f.action, f.datasetCode, f.fields === null ? null : JSON.stringify(f.fields), f.filter, f.grantId, f.purpose,
        f.rowCount, f.result, f.detail === null ? null : JSON.stringify(f.detail), prev, hash);
      acc.push(hash);
      prev = hash;
    }
  });
  while (seq < N) {
    const boundary = (Math.floor(seq / every) + 1) * every;
    writeRun(Math.min(seq + TX, boundary, N));
    if (seq % every === 0) {
      if (seq === every) {
        // The first checkpoint through the service itself (it reads every hash up to the head); the rest the same way in one pass.
        const t = performance.now();
        const c = await p.audit.checkpoint();
        realCheckpointSecs = (performance.now() - t) / 1000;
        if (!c || c.seqTo !== seq || c.headHash !== prev || c.merkleRoot !== acc.root()) throw new Error('AuditService.checkpoint disagrees with the accumulator');
      } else {
        const body = { seqTo: seq, at: new Date().toISOString(), headHash: prev, merkleRoot: acc.root() };
        insCp.run(body.seqTo, body.at, body.headHash, body.merkleRoot, key.keyId, key.sign(checkpointMessage(body)));
      }
    }
    const s = (performance.now() - t0) / 1000;
    process.stdout.write(`\r  building ${fmt(seq)}/${fmt(N)} · ${fmt(seq / s)} entries/s   `);
  }
  const buildSecs = (performance.now() - t0) / 1000;
  process.stdout.write('\n');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  await p.close();
  const bytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
  log(`  built in ${buildSecs.toFixed(0)} s (${fmt(N / buildSecs)} entries/s) · store.sqlite ${gb(bytes)} (${fmt(bytes / N)} B/entry) · AuditService.checkpoint() at ${fmt(every)} entries took ${f2(realCheckpointSecs)} s`);

  log('  verify (child process) …');
  const v = await verifyInChild(dir);
  if (!v.report.ok || v.report.entries !== N) throw new Error(`verify of the built trail failed: ${JSON.stringify(v.report)}`);
  log(`  verify: ok · ${fmt(v.report.entries)} entries · ${v.report.checkpoints} checkpoints · ${f1(v.secs)} s · ${fmt(N / v.secs)} entries/s · peak RSS ${gb(v.peakRss)} (${gb(v.rssBefore)} before verify)`);

  const target = Math.floor(N / 2) + 1 + (Math.floor(N / 2) + 1 === every ? 1 : 0);
  const tdb = new Database(file);
  const changed = tdb.prepare("UPDATE audit_entries SET action = 'records.export' WHERE seq = ? AND action <> 'records.export'").run(target).changes;
  const changed2 = changed ? 0 : tdb.prepare("UPDATE audit_entries SET action = 'records.read' WHERE seq = ?").run(target).changes;
  tdb.close();
  if (changed + changed2 !== 1) throw new Error('tamper: no row changed');
  log(`  tampered entry ${fmt(target)} (action edited); verify again …`);
  const t = await verifyInChild(dir);
  const fault = t.report.fault as { seq: number; problem: string; detail: string } | null;
  const named = !t.report.ok && fault?.seq === target && fault.problem === 'edited';
  log(`  verify: ${t.report.ok ? 'ok (!!)' : 'fault'} ${fault ? `at ${fmt(fault.seq)} (${fault.problem}: ${fault.detail})` : ''} · ${f1(t.secs)} s · ${fmt(target / t.secs)} entries/s to the fault · ${named ? 'names exactly the edited entry' : '!! does NOT name the edited entry'}`);
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
  return {
    'verify.entries': N,
    'verify.checkpoint_every': every,
    'verify.build_secs': buildSecs,
    'verify.build_entries_per_s': N / buildSecs,
    'verify.store_bytes': bytes,
    'verify.store_bytes_per_entry': bytes / N,
    'verify.service_checkpoint_secs_at_first': realCheckpointSecs,
    'verify.ok': String(v.report.ok),
    'verify.checkpoints': v.report.checkpoints,
    'verify.secs': v.secs,
    'verify.entries_per_s': N / v.secs,
    'verify.peak_rss_bytes': v.peakRss,
    'verify.rss_before_bytes': v.rssBefore,
    'verify.tampered_seq': target,
    'verify.tamper_fault_seq': fault?.seq ?? null,
    'verify.tamper_fault_problem': fault?.problem ?? null,
    'verify.tamper_named_exactly': String(named),
    'verify.tamper_secs': t.secs,
    'verify.tamper_peak_rss_bytes': t.peakRss,
  };
}

// ───────────────────────────── main ─────────────────────────────

async function main() {
  log(`governance benchmark · ${new Date().toISOString()} · ${cpus().length} cores · node ${process.version} · rows ${fmt(ROWS)} · rounds ${ROUNDS} · audit entries ${fmt(AUDIT_ENTRIES)} · PostgreSQL ${process.env.DATABASE_URL ? 'on' : 'off (set DATABASE_URL)'}`);
  const figures: Figures = {};
  const loadStart = loadavg()[0];
  if (ONLY.has('query')) Object.assign(figures, await queryBench());
  if (ONLY.has('append')) {
    log(`\n== 2. audit append cost: ${fmt(APPENDS)} appends, sequential and ${IN_FLIGHT} in flight ==`);
    Object.assign(figures, await appendBench('sqlite'));
    if (process.env.DATABASE_URL) Object.assign(figures, await appendBench('postgres'));
  }
  if (ONLY.has('verify')) Object.assign(figures, await verifyBench());

  log('\n== summary ==');
  const tgt = (x: number) => `${f1(x)} %${x <= 15 ? '' : ' (!)'}`;
  for (const tr of ['in_process', 'http'] as const) {
    if (figures[`${tr}.key_lookup.off.req_per_s`] === undefined) continue;
    log(`  ${tr === 'http' ? 'HTTP' : 'in-process'} throughput overhead (target ≤ 15 %; (!) = over):`);
    log(`    ${'query'.padEnd(14)} ${COMPARE.map(([a, b]) => `${a} vs ${b}`.padEnd(22)).join(' ')}`);
    const row = (label: string, key: (a: Mode, b: Mode) => string) => log(`    ${label.padEnd(14)} ${COMPARE.map(([a, b]) => tgt(figures[key(a, b)] as number).padEnd(22)).join(' ')}`);
    for (const k of KINDS) row(k, (a, b) => `${tr}.${k}.overhead_pct.${a}_vs_${b}`);
    row(`mixed c=${CONCURRENCY}`, (a, b) => `${tr}.mixed_c${CONCURRENCY}.overhead_pct.${a}_vs_${b}`);
  }
  for (const b of ['sqlite', 'postgres']) {
    if (figures[`append.${b}.sequential_us`] === undefined) continue;
    log(`  audit append ${b.padEnd(8)} ${f1(figures[`append.${b}.sequential_us`] as number)} µs sequential · ${f1(figures[`append.${b}.in_flight_${IN_FLIGHT}_us`] as number)} µs at ${IN_FLIGHT} in flight`);
  }
  if (figures['verify.secs'] !== undefined) {
    log(`  verify ${fmt(figures['verify.entries'] as number)} entries: ${f1(figures['verify.secs'] as number)} s · ${fmt(figures['verify.entries_per_s'] as number)} entries/s · peak RSS ${gb(figures['verify.peak_rss_bytes'] as number)} · tamper named exactly: ${figures['verify.tamper_named_exactly']}`);
  }
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const out = join(root, 'bench', 'results', `governance-${stamp()}.json`);
  const machine = { cores: cpus().length, node: process.version, postgres: Boolean(process.env.DATABASE_URL), load_1m_at_start: loadStart, load_1m_at_end: loadavg()[0] };
  writeFileSync(out, JSON.stringify({ machine, figures }, null, 2));
  log(`\nsaved ${out}`);
}

if (args.includes('--verify-child')) await verifyChild(arg('verify-child', ''));
else await main();
