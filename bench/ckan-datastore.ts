/**
 * CKAN DataStore benchmark (issue 4): datastore_search req/s and latency at 100 M rows, keyset paging (following
 * `_links.next`, which carries a sealed cursor) vs offset paging, over the real HTTP server with concurrent clients.
 *
 *  1. Builds (or reuses, --data DIR) a data directory holding the 100 M-row enterprise dataset, as ingest-query.ts
 *     does: the small demo seeds the organisation and its system, a copy of bench/enterprise.json is catalogued, the
 *     10 × 10 M CSV parts (ensureFiles with offsets) are imported with `xmcity import`. The benchmark's copy is
 *     published — "openType": "open", "shareType": "unconditional" — because the CKAN API publishes only open and
 *     conditionally open datasets (a closed one is "Not Found" through /api/3 even to its owner). Requests are made
 *     anonymously, as a CKAN client of the open-data portal is: the anonymous view (public and internal fields).
 *  1b. Declares a sort index on each sorted order's field (--sort-index, default: the fields of --orders other than
 *     natural; --sort-index none to measure without) as a steward would (PUT /datasets/:code/sort-indexes), through
 *     the platform's services before the server starts, and waits for the build: its time, rows and bytes (and the
 *     lake file's growth) go into the results. An index already built is reused.
 *  2. Starts `xmcity serve` on a free port with XMCITY_TOKEN_RPM=0 and XMCITY_ANON_RPM=0 (no rate limits) and
 *     XMCITY_MAX_OFFSET=100000000 (the default cap is 100 000, which refuses the deep offsets), then measures with
 *     1, 8 and 32 requests in flight (Node's fetch, keep-alive) — in rounds, every offset cell next to its keyset
 *     twin, so machine noise hits both alike:
 *       offset  datastore_search?limit=100&offset=D+100·k       (k = 1, 2, … per client: paging on from depth D)
 *       keyset  the same pages reached by following _links.next, starting from the cursor an offset call at D gives
 *     at depths D = 0, 10 000, 100 000, 1 M, 10 M, 50 M; natural order and sort=credit_code; include_total true
 *     (CKAN's default: an exact count over 100 M rows on every page) and false. Each case's first request is a
 *     probe; cases slower than --slow seconds are measured one request at a time only (once per round), and a
 *     concurrency level is skipped when its estimated cell time (probe × in-flight ÷ cores) exceeds --max-cell.
 *     Sorted cases run at 1 and 8 in flight by default (--sorted-concurrency): every sorted page is a full sort of
 *     the table taking seconds, and 32 of them queue for minutes behind the server's 4 reader connections.
 *  3. Prints req/s, p50, p99 and max per case, keyset/offset ratios per depth and the include_total cost, and saves
 *     everything as JSON under bench/results/ckan-datastore-<date>.json.
 *
 * The measurement phase waits while another benchmark (bench/*.ts) runs, unless --no-wait.
 *
 * Usage: npm run bench:ckan -- [--rows 100000000] [--data DIR] [--dataset CODE] [--keep] [--build-only]
 *          [--rounds 3] [--concurrency 1,8,32] [--depths 0,10000,100000,1000000,10000000,50000000]
 *          [--sorted-concurrency 1,8] [--orders natural,credit_code] [--sort-index credit_code|none] [--totals true,false] [--sorted-totals true] [--budget 2]
 *          [--slow 20] [--max-cell 90] [--timeout 1800] [--lake-memory 1GB] [--no-wait]
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { dataRoot, ensureFiles, fmt, freePort, log, pct, root, rssSampler, runMeasured, waitReady, xmcity } from './lib.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name: string) => args.includes(`--${name}`);
const nums = (s: string) => s.split(',').filter(Boolean).map(Number);
const bools = (s: string) => s.split(',').filter(Boolean).map((x) => x === 'true');

const ROWS = Number(arg('rows', '100000000'));
const DATA = resolve(arg('data', join(dataRoot, `ckan-${ROWS}`)));
const DATASET = arg('dataset', '');
const KEEP = flag('keep');
const ROUNDS = Number(arg('rounds', '3'));
const CONCURRENCY = nums(arg('concurrency', '1,8,32'));
const SORTED_CONCURRENCY = nums(arg('sorted-concurrency', '1,8'));
const DEPTHS = nums(arg('depths', '0,10000,100000,1000000,10000000,50000000'));
const ORDERS = arg('orders', 'natural,credit_code').split(',').filter(Boolean);
const SORT_INDEX = arg('sort-index', ORDERS.filter((o) => o !== 'natural').join(',')).split(',').filter((f) => f && f !== 'none');
const TOTALS = bools(arg('totals', 'true,false'));
const SORTED_TOTALS = bools(arg('sorted-totals', 'true'));
const BUDGET_MS = Number(arg('budget', '2')) * 1000;
const SLOW_MS = Number(arg('slow', '20')) * 1000;
const MAX_CELL_MS = Number(arg('max-cell', '90')) * 1000;
const TIMEOUT_MS = Number(arg('timeout', '1800')) * 1000;
const LAKE_MEMORY = arg('lake-memory', '1GB');
const PAGE = 100;
const PART = 10_000_000;
const CORES = cpus().length;

/** The server's settings for the whole run (build and measurement). */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  XMCITY_DATA_DIR: DATA,
  XMCITY_DEMO: 'none',
  XMCITY_TOKEN_RPM: '0',
  XMCITY_ANON_RPM: '0',
  XMCITY_MAX_OFFSET: '100000000',
  XMCITY_LOG_LEVEL: 'warn',
  XMCITY_LAKE_MEMORY: LAKE_MEMORY,
};
delete env.DATABASE_URL;
const [node, pre] = xmcity();

interface Built {
  code: string;
  rows: number;
  valid: number;
  invalid: number;
  import_secs: number;
  import_wall_secs: number;
  generate_secs: number;
  lake_bytes: number;
  csv_bytes: number;
  built_at: string;
}

/** Free bytes on the file system holding a path (or its nearest existing parent). */
function freeBytes(path: string): number {
  let p = path;
  while (!existsSync(p)) p = dirname(p);
  const out = execFileSync('df', ['-Pk', p], { encoding: 'utf8' }).trim().split('\n').pop() as string;
  return Number(out.split(/\s+/)[3]) * 1024;
}

/** Builds the data directory: demo seed, the open copy of the enterprise dataset, the generated rows imported. */
async function build(): Promise<Built> {
  const parts = ROWS > PART ? Array.from({ length: Math.ceil(ROWS / PART) }, (_, i) => ({ from: i * PART, n: Math.min(PART, ROWS - i * PART) })) : [{ from: 0, n: ROWS }];
  const partPath = (p: { from: number; n: number }) => join(dataRoot, `${p.from ? `enterprises-${p.n}-from-${p.from}` : `enterprises-${p.n}`}.csv`);
  const existed = new Set(parts.map(partPath).filter((f) => existsSync(f)));
  // About 133 bytes of CSV and 52 bytes of lake per row (the 100 M run of ingest-query.ts), plus headroom.
  const need = (parts.length - existed.size) * PART * 134 + ROWS * 55 + 2e9;
  const free = freeBytes(DATA);
  log(`  disk: ${(free / 1e9).toFixed(1)} GB free at ${DATA}; this build needs about ${(need / 1e9).toFixed(1)} GB (${parts.length - existed.size} CSV parts to generate, the lake)`);
  if (free < need) throw new Error(`not enough disk: ${(free / 1e9).toFixed(1)} GB free, about ${(need / 1e9).toFixed(1)} GB needed`);

  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  await runMeasured(node, [...pre, 'demo', '--size', 'small'], env);
  const spec = JSON.parse(readFileSync(join(root, 'bench', 'enterprise.json'), 'utf8')) as Record<string, unknown>;
  const open = {
    ...spec,
    name: '企业登记信息（CKAN 基准，开放）',
    nameEn: 'Enterprise registrations (CKAN benchmark, open)',
    summary: 'Synthetic enterprise registrations, published openly for the CKAN datastore_search benchmark.',
    shareType: 'unconditional',
    openType: 'open',
  };
  const specFile = join(DATA, 'enterprise-open.json');
  writeFileSync(specFile, JSON.stringify(open, null, 2));
  const code = (await runMeasured(node, [...pre, 'catalogue-add', specFile], env)).stdout.trim();
  log(`  catalogued ${code} (open copy of bench/enterprise.json)`);

  const g0 = performance.now();
  const files = await Promise.all(parts.map(async (p) => (await ensureFiles(p.n, ['csv'], p.from)).csv));
  const generateSecs = (performance.now() - g0) / 1000;
  let valid = 0;
  let invalid = 0;
  let importSecs = 0;
  let wallSecs = 0;
  for (const file of files) {
    log(`  import ${basename(file)} …`);
    const r = await runMeasured(node, [...pre, 'import', file, '--dataset', code, '--no-progress'], env);
    log(r.stdout.trim().replace(/^/gm, '    '));
    valid += Number(/valid ([\d,]+)/.exec(r.stdout)?.[1].replace(/,/g, ''));
    invalid += Number(/invalid ([\d,]+)/.exec(r.stdout)?.[1].replace(/,/g, ''));
    importSecs += Number(/([\d.]+) s ·/.exec(r.stdout)?.[1]);
    wallSecs += r.secs;
  }
  const csvBytes = files.reduce((b, f) => b + statSync(f).size, 0);
  if (!KEEP) {
    // The -from- parts serve only 100 M runs; a single enterprises-N.csv that was already cached is another benchmark's input.
    for (const f of files) {
      if (f.includes('-from-') || !existed.has(f)) {
        rmSync(f, { force: true });
        log(`  deleted ${basename(f)}`);
      }
    }
  }
  const lake = join(DATA, 'lake.duckdb');
  const built: Built = {
    code, rows: ROWS, valid, invalid, import_secs: importSecs, import_wall_secs: wallSecs, generate_secs: generateSecs,
    lake_bytes: statSync(lake).size + (existsSync(`${lake}.wal`) ? statSync(`${lake}.wal`).size : 0), csv_bytes: csvBytes, built_at: new Date().toISOString(),
  };
  writeFileSync(join(DATA, 'ckan-bench.json'), JSON.stringify(built, null, 2));
  return built;
}

/** Other benchmark programs running on this machine (their measurements and ours would disturb each other). */
function otherBenchmarks(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid || Number(pid) === process.ppid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (/bench\/[\w-]+\.ts/.test(cmd) && !cmd.includes('bench/ckan-datastore.ts') && !cmd.startsWith('sh ')) out.push(`${pid} ${cmd}`);
    } catch {
      // the process has ended
    }
  }
  return out;
}

type Result = {
  records: Record<string, unknown>[];
  total?: number;
  include_total: boolean;
  _links: { start: string; next: string };
  next_cursor?: string;
};

let base = '';
let responseBytes = 0;

/**
 * Keep-alive connections, as many as there are requests in flight. node:http rather than fetch: undici's default
 * headersTimeout (300 s) fails requests that queue longer than that for a reader connection (as 32 sorted pages do).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/** One datastore_search over HTTP (the path is relative to the server); the CKAN result, or an error. */
function get(path: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${base}${path}`, { agent, signal: AbortSignal.timeout(TIMEOUT_MS) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        responseBytes += buf.length;
        try {
          const body = JSON.parse(buf.toString('utf8')) as { success: boolean; result: Result; error?: unknown };
          if (res.statusCode !== 200 || !body.success) throw new Error(`HTTP ${res.statusCode}: ${JSON.stringify(body.error).slice(0, 300)}`);
          resolve(body.result);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
  });
}

type Mode = 'offset' | 'keyset';
interface Case {
  mode: Mode;
  order: string;
  depth: number;
  total: boolean;
  key: string;
  /** A client's sequence of pages: the first request's path, then each next one from the previous answer. */
  first(): string;
  next(prev: Result, k: number): string;
  probeMs: number;
  status: 'ok' | 'slow' | 'failed';
  error?: string;
}
interface Cell {
  key: string;
  concurrency: number;
  lat: number[];
  rounds: { n: number; secs: number; rps: number }[];
  errors: string[];
  skipped?: string;
}

let rid = '';
function search(params: Record<string, string | number | boolean>): string {
  return `/api/3/action/datastore_search?${new URLSearchParams(Object.fromEntries(Object.entries({ resource_id: rid, ...params }).map(([k, v]) => [k, String(v)])))}`;
}
const sortOf = (order: string): Record<string, string> => (order === 'natural' ? {} : { sort: order });

/** Runs one cell: `conc` clients, each paging on from its case's start until the budget is spent (at least one request each). */
async function runCell(c: Case, conc: number, budgetMs: number): Promise<{ n: number; secs: number; lat: number[]; errors: string[] }> {
  const lat: number[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      let path = c.first();
      for (let k = 0; ; k++) {
        const t = performance.now();
        try {
          const res = await get(path);
          lat.push(performance.now() - t);
          path = c.next(res, k + 1);
        } catch (e) {
          errors.push((e as Error).message);
          return;
        }
        if (performance.now() >= deadline) return;
      }
    }),
  );
  return { n: lat.length, secs: (performance.now() - t0) / 1000, lat, errors };
}

function summarise(cell: Cell) {
  const n = cell.rounds.reduce((s, r) => s + r.n, 0);
  const secs = cell.rounds.reduce((s, r) => s + r.secs, 0);
  return {
    requests: n,
    req_per_s: n && secs ? n / secs : null,
    req_per_s_by_round: cell.rounds.map((r) => r.rps),
    p50_ms: cell.lat.length ? pct(cell.lat, 50) : null,
    p99_ms: cell.lat.length ? pct(cell.lat, 99) : null,
    max_ms: cell.lat.length ? Math.max(...cell.lat) : null,
    mean_ms: cell.lat.length ? cell.lat.reduce((a, b) => a + b, 0) / cell.lat.length : null,
    errors: cell.errors.length,
    first_error: cell.errors[0] ?? null,
    skipped: cell.skipped ?? null,
  };
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)}s` : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const dur = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${ms(v)} ms`);
const rps = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3));
const x = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}×`);

/**
 * Declares the sort indexes (exactly SORT_INDEX) on the dataset through the platform's catalogue service and waits
 * for their builds; returns what was built, how long it took and what it occupies.
 */
async function declareSortIndexes(code: string) {
  const [{ loadConfig }, { openPlatform }, { cliActor }] = await Promise.all([
    import('../src/config.ts'), import('../src/platform.ts'), import('../src/modules/access/actor.ts'),
  ]);
  const lakeFile = join(DATA, 'lake.duckdb');
  const size = () => (existsSync(lakeFile) ? statSync(lakeFile).size : 0) + (existsSync(`${lakeFile}.wal`) ? statSync(`${lakeFile}.wal`).size : 0);
  const before = size();
  log(`== sort indexes == declaring [${SORT_INDEX.join(', ') || 'none'}] on ${code} (lake ${(before / 1e9).toFixed(2)} GB)`);
  const p = await openPlatform(loadConfig({ env }));
  const t0 = performance.now();
  let states;
  try {
    states = await p.catalogue.setSortIndexes(cliActor('bench'), code, SORT_INDEX, { wait: true });
  } finally {
    await p.close();
  }
  const secs = (performance.now() - t0) / 1000;
  const after = size();
  for (const s of states) {
    log(`  ${s.field}: ${s.status}${s.error ? ` (${s.error})` : ''} · ${fmt(s.rows ?? 0)} rows · built in ${((s.buildMs ?? 0) / 1000).toFixed(0)} s at ${s.builtAt} · ${s.bytes === null ? '—' : `${(s.bytes / 1e9).toFixed(2)} GB`}`);
  }
  log(`  declared in ${secs.toFixed(0)} s · lake file ${(before / 1e9).toFixed(2)} → ${(after / 1e9).toFixed(2)} GB`);
  return { fields: SORT_INDEX, states, declare_secs: secs, lake_bytes_before: before, lake_bytes_after: after, loadavg_after: loadavg() };
}

async function main() {
  const started = new Date();
  const command = `npm run bench:ckan${args.length ? ` -- ${args.join(' ')}` : ''}`;
  log(`CKAN datastore_search benchmark · ${started.toISOString()} · ${fmt(ROWS)} rows · ${CORES} cores · ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  log(`  data directory ${DATA}`);

  // 1. The data directory.
  const markerFile = join(DATA, 'ckan-bench.json');
  let built: Built;
  let reused = false;
  if (existsSync(markerFile)) {
    built = JSON.parse(readFileSync(markerFile, 'utf8')) as Built;
    reused = true;
    log(`  reusing ${built.code} built ${built.built_at}: ${fmt(built.valid)} valid rows`);
  } else if (existsSync(join(DATA, 'lake.duckdb'))) {
    if (!DATASET) throw new Error(`${DATA} holds a lake this program did not build; name its (open) dataset with --dataset CODE, or pick another --data`);
    built = { code: DATASET, rows: ROWS, valid: Number.NaN, invalid: Number.NaN, import_secs: Number.NaN, import_wall_secs: Number.NaN, generate_secs: Number.NaN, lake_bytes: statSync(join(DATA, 'lake.duckdb')).size, csv_bytes: Number.NaN, built_at: 'unknown' };
    reused = true;
  } else {
    log('== build ==');
    const t0 = performance.now();
    built = await build();
    log(`  built in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${fmt(built.valid)} valid · ${fmt(built.invalid)} invalid · lake ${(built.lake_bytes / 1e9).toFixed(2)} GB`);
  }
  if (DATASET) built.code = DATASET;
  if (flag('build-only')) return;

  // Measurement only while no other benchmark runs.
  for (let waited = 0; !flag('no-wait'); waited++) {
    const others = otherBenchmarks();
    if (!others.length) break;
    if (waited % 10 === 0) log(`  waiting for another benchmark to finish before measuring: ${others.join('; ')}`);
    await new Promise((r) => setTimeout(r, 30_000));
  }

  // 1b. The sort indexes, declared and built before the server starts (the lake file admits one process).
  const sortIndex = await declareSortIndexes(built.code);

  // 2. The server.
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const server = spawn(node, [...pre, 'serve'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const sampler = rssSampler(server.pid);
  const load0 = loadavg();
  try {
    await waitReady(base);
    const info = (await (await fetch(`${base}/api/3/action/datastore_info?id=${built.code}`)).json()) as { success: boolean; result: { meta: { id: string; count: number }; fields: { id: string }[] }; error?: unknown };
    if (!info.success) throw new Error(`datastore_info: ${JSON.stringify(info.error)}`);
    rid = info.result.meta.id;
    const count = info.result.meta.count;
    log(`== measure == ${base} · resource ${rid} (${built.code}) · ${fmt(count)} records · fields ${info.result.fields.map((f) => f.id).join(', ')}`);
    const dflt = await get(`/api/3/action/datastore_search?resource_id=${rid}&limit=1`);
    log(`  default include_total=${dflt.include_total}, total=${dflt.total === undefined ? '—' : fmt(dflt.total)}`);
    const depths = DEPTHS.filter((d) => d + 2 * PAGE <= count);
    if (depths.length < DEPTHS.length) log(`  depths beyond the table dropped: ${DEPTHS.filter((d) => !depths.includes(d)).join(', ')}`);

    // Keyset seeds: one offset call at depth D per order; its _links.next is the cursor to the page after D.
    const seeds = new Map<string, { link: string; ms: number }>();
    const parity: { order: string; depth: number; same: boolean; offset_first: unknown; keyset_first: unknown }[] = [];
    const cases: Case[] = [];
    for (const order of ORDERS) {
      for (const depth of depths) {
        const t = performance.now();
        let link = '';
        try {
          const r = await get(search({ limit: PAGE, offset: depth, include_total: false, ...sortOf(order) }));
          link = r._links.next;
          if (!link.includes('cursor=')) throw new Error(`_links.next carries no cursor: ${link}`);
        } catch (e) {
          log(`  seed ${order} @ ${fmt(depth)} failed: ${(e as Error).message}`);
        }
        const seedMs = performance.now() - t;
        seeds.set(`${order}|${depth}`, { link, ms: seedMs });
        log(`  seed ${order.padEnd(11)} @ ${fmt(depth).padStart(10)}: offset call ${dur(seedMs)}`);
        for (const total of order === 'natural' ? TOTALS : SORTED_TOTALS) {
          const common = { order, depth, total, probeMs: Number.NaN, status: 'ok' as const };
          cases.push({
            ...common, mode: 'offset', key: `offset|${order}|${depth}|${total}`,
            first: () => search({ limit: PAGE, offset: depth + PAGE, include_total: total, ...sortOf(order) }),
            next: (_prev, k) => search({ limit: PAGE, offset: depth + PAGE * (k + 1), include_total: total, ...sortOf(order) }),
          });
          cases.push({
            ...common, mode: 'keyset', key: `keyset|${order}|${depth}|${total}`,
            first: () => {
              const u = new URL(link, base);
              u.searchParams.set('include_total', String(total));
              return `${u.pathname}${u.search}`;
            },
            next: (prev) => prev._links.next,
            ...(link ? {} : { status: 'failed' as const, error: 'no seed cursor (the offset call at this depth failed)' }),
          });
        }
      }
    }

    // Probes (also the warm-up): each case's first page once; offset and keyset must return the same records.
    for (let i = 0; i < cases.length; i += 2) {
      const [o, k] = [cases[i], cases[i + 1]];
      const res: (Result | null)[] = [];
      for (const c of [o, k]) {
        if (c.status === 'failed') {
          res.push(null);
          continue;
        }
        const t = performance.now();
        try {
          res.push(await get(c.first()));
          c.probeMs = performance.now() - t;
          if (c.probeMs > SLOW_MS) c.status = 'slow';
        } catch (e) {
          c.probeMs = performance.now() - t;
          c.status = 'failed';
          c.error = (e as Error).message;
          res.push(null);
        }
      }
      const [ro, rk] = res;
      if (ro && rk && !parity.some((p) => p.order === o.order && p.depth === o.depth)) {
        const same = JSON.stringify(ro.records) === JSON.stringify(rk.records) && ro.records.length === PAGE;
        parity.push({ order: o.order, depth: o.depth, same, offset_first: ro.records[0] ?? null, keyset_first: rk.records[0] ?? null });
        if (!same) log(`  !! offset and keyset pages after ${o.order} @ ${fmt(o.depth)} differ`);
      }
      if (ro?.include_total && ro.total !== count) log(`  !! total ${ro.total} ≠ datastore_info count ${count}`);
      log(`  probe ${o.order.padEnd(11)} @ ${fmt(o.depth).padStart(10)} total=${String(o.total).padEnd(5)}: offset ${dur(o.probeMs)}${o.status !== 'ok' ? ` (${o.status})` : ''} · keyset ${dur(k.probeMs)}${k.status !== 'ok' ? ` (${k.status})` : ''}`);
    }

    // The rounds: every offset cell next to its keyset twin, pairs in a rotating order, which twin goes first alternating.
    const cells = new Map<string, Cell>();
    const concOf = (order: string) => (order === 'natural' ? CONCURRENCY : SORTED_CONCURRENCY);
    const allConc = [...new Set([...CONCURRENCY, ...SORTED_CONCURRENCY])].sort((a, b) => a - b);
    for (const c of cases) {
      for (const conc of concOf(c.order)) {
        const cell: Cell = { key: c.key, concurrency: conc, lat: [], rounds: [], errors: [] };
        if (c.status === 'failed') cell.skipped = `failed: ${c.error}`;
        else if (c.status === 'slow' && conc > 1) cell.skipped = `probe ${dur(c.probeMs)} > --slow ${SLOW_MS / 1000} s: one request at a time only`;
        else if (conc > 1 && (c.probeMs * conc) / CORES > MAX_CELL_MS) cell.skipped = `estimated ${((c.probeMs * conc) / CORES / 1000).toFixed(0)} s per round > --max-cell ${MAX_CELL_MS / 1000} s`;
        cells.set(`${c.key}|${conc}`, cell);
      }
    }
    const pairs = Array.from({ length: cases.length / 2 }, (_, i) => [cases[2 * i], cases[2 * i + 1]] as const);
    const t0 = performance.now();
    const roundLog: { round: number; secs: number; loadavg_at_end: number[] }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rt = performance.now();
      const rot = Math.floor((round * pairs.length) / ROUNDS);
      for (const pair of [...pairs.slice(rot), ...pairs.slice(0, rot)]) {
        for (const conc of allConc) {
          for (const c of round % 2 ? [pair[1], pair[0]] : [pair[0], pair[1]]) {
            const cell = cells.get(`${c.key}|${conc}`);
            if (!cell || cell.skipped || cell.errors.length) continue;
            // A slow case: one request per round (the budget ends after the first).
            const r = await runCell(c, conc, c.status === 'slow' ? 0 : BUDGET_MS);
            cell.lat.push(...r.lat);
            cell.errors.push(...r.errors);
            cell.rounds.push({ n: r.n, secs: r.secs, rps: r.n / r.secs });
          }
        }
        process.stdout.write(`\r  round ${round + 1}/${ROUNDS}: ${pair[0].order} @ ${fmt(pair[0].depth)} total=${pair[0].total} done at ${((performance.now() - rt) / 1000).toFixed(0)} s   `);
      }
      roundLog.push({ round: round + 1, secs: (performance.now() - rt) / 1000, loadavg_at_end: loadavg() });
      log(`\r  round ${round + 1}/${ROUNDS} in ${((performance.now() - rt) / 1000).toFixed(0)} s · load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}${' '.repeat(30)}`);
    }
    const measureSecs = (performance.now() - t0) / 1000;
    const serverPeak = sampler.stop();

    // 3. Figures.
    const results = [...cells.values()].map((cell) => {
      const [mode, order, depth, total] = cell.key.split('|');
      const c = cases.find((k) => k.key === cell.key) as Case;
      return { mode, order, depth: Number(depth), include_total: total === 'true', concurrency: cell.concurrency, probe_ms: c.probeMs, ...summarise(cell) };
    });
    const find = (mode: string, order: string, depth: number, total: boolean, conc: number) =>
      results.find((r) => r.mode === mode && r.order === order && r.depth === depth && r.include_total === total && r.concurrency === conc);
    const ratios = [];
    for (const r of results.filter((r) => r.mode === 'offset')) {
      const k = find('keyset', r.order, r.depth, r.include_total, r.concurrency);
      ratios.push({
        order: r.order, depth: r.depth, include_total: r.include_total, concurrency: r.concurrency,
        keyset_over_offset_req_per_s: k?.req_per_s && r.req_per_s ? k.req_per_s / r.req_per_s : null,
        offset_over_keyset_p50: k?.p50_ms && r.p50_ms ? r.p50_ms / k.p50_ms : null,
        offset_over_keyset_p99: k?.p99_ms && r.p99_ms ? r.p99_ms / k.p99_ms : null,
        offset_over_keyset_probe: k && Number.isFinite(k.probe_ms) && Number.isFinite(r.probe_ms) ? r.probe_ms / k.probe_ms : null,
      });
    }
    const totalCost = [];
    for (const r of results.filter((r) => r.include_total)) {
      const f = find(r.mode, r.order, r.depth, false, r.concurrency);
      if (!f) continue;
      totalCost.push({
        mode: r.mode, order: r.order, depth: r.depth, concurrency: r.concurrency,
        false_over_true_req_per_s: f.req_per_s && r.req_per_s ? f.req_per_s / r.req_per_s : null,
        true_minus_false_p50_ms: f.p50_ms !== null && r.p50_ms !== null ? r.p50_ms - f.p50_ms : null,
      });
    }

    log('\n== datastore_search, limit 100: offset vs keyset (req/s · p50 / p99 / max ms) ==');
    log(`${'order'.padEnd(11)} ${'total'.padEnd(5)} ${'depth'.padStart(10)} ${'c'.padStart(3)} | ${'offset req/s'.padStart(12)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)} | ${'keyset req/s'.padStart(12)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)} | ${'req/s k/o'.padStart(9)} ${'p99 o/k'.padStart(8)}`);
    for (const r of results.filter((r) => r.mode === 'offset')) {
      const k = find('keyset', r.order, r.depth, r.include_total, r.concurrency);
      const q = ratios.find((z) => z.order === r.order && z.depth === r.depth && z.include_total === r.include_total && z.concurrency === r.concurrency);
      const side = (s: typeof r | undefined) =>
        s?.skipped ? `${`skipped${s.p50_ms === null && Number.isFinite(s.probe_ms) ? ` (probe ${dur(s.probe_ms)})` : ''}`.padStart(36)}` : `${rps(s?.req_per_s).padStart(12)} ${ms(s?.p50_ms).padStart(7)} ${ms(s?.p99_ms).padStart(7)} ${ms(s?.max_ms).padStart(7)}`;
      log(`${r.order.padEnd(11)} ${String(r.include_total).padEnd(5)} ${fmt(r.depth).padStart(10)} ${String(r.concurrency).padStart(3)} | ${side(r)} | ${side(k)} | ${x(q?.keyset_over_offset_req_per_s).padStart(9)} ${x(q?.offset_over_keyset_p99).padStart(8)}`);
    }
    log('\n== include_total: req/s with false ÷ with true (the exact count over all rows on every page) ==');
    for (const t of totalCost) log(`  ${t.mode.padEnd(6)} ${t.order.padEnd(11)} @ ${fmt(t.depth).padStart(10)} c=${String(t.concurrency).padStart(2)}: ${x(t.false_over_true_req_per_s)} · p50 ${t.true_minus_false_p50_ms !== null && t.true_minus_false_p50_ms >= 0 ? '+' : ''}${dur(t.true_minus_false_p50_ms)} with the count`);
    const skipped = results.filter((r) => r.skipped);
    if (skipped.length) {
      log('\n== skipped cells ==');
      for (const s of skipped) log(`  ${s.mode} ${s.order} @ ${fmt(s.depth)} total=${s.include_total} c=${s.concurrency}: ${s.skipped}`);
    }
    const failed = results.filter((r) => r.errors);
    for (const f of failed) log(`  !! ${f.mode} ${f.order} @ ${fmt(f.depth)} c=${f.concurrency}: ${f.errors} errors, first: ${f.first_error}`);
    log(`\n  parity (offset page = keyset page after each depth): ${parity.filter((p) => p.same).length}/${parity.length}`);
    log(`  server peak RSS ${(serverPeak / 2 ** 20).toFixed(0)} MiB · measured ${measureSecs.toFixed(0)} s · ${(responseBytes / 1e6).toFixed(0)} MB of responses`);

    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    const out = join(root, 'bench', 'results', `ckan-datastore-${started.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
    writeFileSync(
      out,
      JSON.stringify(
        {
          command,
          started: started.toISOString(),
          machine: { cores: CORES, cpu: cpus()[0]?.model, mem_bytes: totalmem(), free_mem_bytes_at_end: freemem(), node: process.version, loadavg_at_start: load0, loadavg_at_end: loadavg() },
          server_env: { XMCITY_TOKEN_RPM: '0', XMCITY_ANON_RPM: '0', XMCITY_MAX_OFFSET: '100000000', XMCITY_LAKE_MEMORY: LAKE_MEMORY, XMCITY_DEMO: 'none', store: 'sqlite' },
          reader: 'anonymous (the dataset is an open copy of bench/enterprise.json: openType open, shareType unconditional)',
          dataset: { ...built, reused, data_dir: DATA, resource_id: rid, records: count, fields: info.result.fields.map((f) => f.id), default_include_total: dflt.include_total },
          settings: { page: PAGE, rounds: ROUNDS, concurrency: CONCURRENCY, sorted_concurrency: SORTED_CONCURRENCY, depths, orders: ORDERS, totals: TOTALS, sorted_totals: SORTED_TOTALS, budget_ms: BUDGET_MS, slow_ms: SLOW_MS, max_cell_ms: MAX_CELL_MS, timeout_ms: TIMEOUT_MS },
          sort_index: sortIndex,
          seeds: Object.fromEntries([...seeds].map(([k, v]) => [k, { offset_call_ms: v.ms, ok: !!v.link }])),
          parity,
          results,
          ratios,
          include_total_cost: totalCost,
          server_peak_rss_bytes: serverPeak,
          measure_secs: measureSecs,
          rounds: roundLog,
          response_bytes: responseBytes,
        },
        null,
        2,
      ),
    );
    log(`\nsaved ${out}`);
  } finally {
    sampler.stop();
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
}

await main();
