/**
 * Smart parking benchmark (issue 5), over the real HTTP server on the embedded default (SQLite + DuckDB):
 *  1. A server child process (this file with --server-child) on a temp data directory, rate limits off
 *     (XMCITY_TOKEN_RPM=0, XMCITY_ANON_RPM=0); it registers the operator systems and 1,000 driver accounts, and
 *     adds two bench-only routes: a bare Fastify route answering a captured copy of a feed body as it is, and an
 *     overbooking count read from its Store.
 *  2. The simulator creates 10,000 lots through the API, pushes --history-days of 15-minute occupancy history, and
 *     one live count per lot with each lot system's own token.
 *  3. Measured in one run, from this process over keep-alive connections:
 *     (a) the open feed GET /api/v1/parking/lots.geojson (whole city, a district, near+radius) at 1/8/32 in flight,
 *         each cell next to the bare route with a body of the same size → the ratio; and with If-None-Match (304s);
 *     (b) guidance GET /api/v1/parking/guidance from random destinations across the city (target p99 < 5 ms);
 *     (c) reservations per second: quote → hold → confirm over many lots and windows by many signed-in drivers;
 *     (d) the race: 1,000 concurrent drivers hold the same window at one lot with 50 reservable places →
 *         201s, 409 PARKING_FULL, anything else, and overbooking counted from the database (must be 0) —
 *         on SQLite, and on PostgreSQL too when DATABASE_URL is set.
 *  Figures are printed and saved as bench/results/parking-<date>.json.
 *
 * Usage: npm run bench:parking -- [--lots 10000] [--history-days 1] [--cell-seconds 4] [--guidance 3000]
 *          [--flows 2000] [--race 1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { cliActor } from '../src/modules/access/actor.ts';
import { seededRandom } from '../src/modules/demo/random.ts';
import { DistrictMap, URBAN_CENTRES } from '../src/modules/parking/sim/district-map.ts';
import { HubClient, httpTransport } from '../src/modules/parking/sim/hub-client.ts';
import { OPERATOR_SYSTEMS, PLATFORM_SYSTEM } from '../src/modules/parking/sim/operators.ts';
import { ParkingSimulator } from '../src/modules/parking/sim/simulator.ts';
import { fmt, log, pct, root, type Figures } from './lib.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const LOTS = Number(arg('lots', '10000'));
const HISTORY_DAYS = Number(arg('history-days', '1'));
const CELL_SECONDS = Number(arg('cell-seconds', '4'));
const GUIDANCE = Number(arg('guidance', '3000'));
const FLOWS = Number(arg('flows', '2000'));
const RACE = Number(arg('race', '1000'));
const DRIVERS = Math.max(RACE, 1000);
const PASSWORD = 'Bench-password-1';
const CONCURRENCY = [1, 8, 32];

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : String(x));
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x));
const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');

// ───────────────────────────── the server child ─────────────────────────────

async function serverChild(dir: string, databaseUrl: string | null, schema: string | undefined) {
  const config = loadConfig({
    env: {
      XMCITY_DATA_DIR: dir, XMCITY_LOG_LEVEL: 'silent', XMCITY_DEMO: 'none', XMCITY_LAKE_MEMORY: '1GB', XMCITY_PASSWORD_COST: '1024',
      XMCITY_TOKEN_RPM: '0', XMCITY_ANON_RPM: '0', PORT: '0', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
  });
  const app = await buildApp(config, { storeSchema: schema });
  const p = app.platform;
  const op = cliActor('bench');
  for (const [code, name] of [['DSJJ', '厦门市大数据管理局'], ['JTJ', '厦门市交通运输局'], ['WJW', '厦门市卫生健康委员会']]) {
    await p.orgs.createOrganisation({ code, name, nameEn: code, kind: 'department', adcode: null });
  }
  await p.orgs.createSystem({ code: PLATFORM_SYSTEM, orgCode: 'JTJ', name: '智慧停车平台', nameEn: 'Smart parking platform', cycle: 'realtime' });
  for (const s of OPERATOR_SYSTEMS) await p.orgs.createSystem(s);
  await p.identity.createUser(op, { username: 'bench.admin', displayName: 'bench admin', orgCode: 'DSJJ', role: 'platform_admin', password: PASSWORD });
  for (let i = 0; i < DRIVERS; i++) {
    await p.identity.createUser(op, { username: `bench.driver${i}`, displayName: `driver ${i}`, orgCode: 'JTJ', role: 'analyst', password: PASSWORD });
  }
  // The bare route: the very bytes of a feed answer, captured once and then sent as they are — as cheap as Fastify
  // gets, and the same body (same size, same UTF-8) for the client to read.
  const bodies = new Map<string, Buffer>();
  app.get('/bench/bare', { schema: { hide: true } }, async (req, reply) => {
    const of = String((req.query as { of?: string }).of ?? '');
    let b = bodies.get(of);
    if (!b) {
      b = (await app.inject({ url: `/api/v1/parking/lots.geojson${of}` })).rawPayload;
      bodies.set(of, b);
    }
    return reply.type('application/geo+json; charset=utf-8').header('etag', '"bare"').send(b);
  });
  // Overbooking of one lot and space type, from the Store: slices whose counter or whose live reservations exceed the limit.
  app.get('/bench/overbooking', { schema: { hide: true } }, async (req) => {
    const q = req.query as { lot: string; spaceType: string; limit: string };
    const limit = Number(q.limit);
    const db = p.store.db;
    const counters = await db.selectFrom('parking_slice_counters').select(['slice_start', 'booked']).where('lot_id', '=', q.lot).where('space_type', '=', q.spaceType).execute();
    const live = await db.selectFrom('parking_reservations').select(['starts_at', 'ends_at', 'status']).where('lot_id', '=', q.lot).where('space_type', '=', q.spaceType).where('status', 'in', ['held', 'confirmed', 'checked_in']).execute();
    let overCounter = 0;
    let overReservations = 0;
    let mismatched = 0;
    for (const c of counters) {
      const booked = Number(c.booked);
      const holding = live.filter((r) => r.starts_at <= c.slice_start && c.slice_start < r.ends_at).length;
      overCounter += Math.max(0, booked - limit);
      overReservations += Math.max(0, holding - limit);
      if (holding !== booked) mismatched++;
    }
    return { slices: counters.length, maxBooked: Math.max(0, ...counters.map((c) => Number(c.booked))), reservations: live.length, overCounter, overReservations, mismatched, overbooking: overCounter + overReservations };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
}

async function startServer(label: string, databaseUrl: string | null): Promise<{ base: string; child: ChildProcess; dir: string; schema?: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'xmcity-bench-parking-'));
  const schema = databaseUrl ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server alone.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'bench', 'parking.ts'), '--server-child', dir, ...(databaseUrl ? ['--pg', databaseUrl, '--schema', schema as string] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const m = /^READY (\d+)/.exec(line);
    if (m) {
      log(`  ${label} server on port ${m[1]} · data dir ${dir}${schema ? ` · schema ${schema}` : ''}`);
      return { base: `http://127.0.0.1:${m[1]}`, child, dir, schema };
    }
  }
  throw new Error(`${label} server did not start`);
}

async function stopServer(s: { child: ChildProcess; dir: string; schema?: string }, databaseUrl: string | null) {
  s.child.kill('SIGTERM');
  await once(s.child, 'exit');
  rmSync(s.dir, { recursive: true, force: true });
  if (databaseUrl && s.schema) {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${s.schema}" CASCADE`);
    await c.end();
  }
}

// ───────────────────────────── measuring ─────────────────────────────

const agent = new Agent({ keepAlive: true, maxSockets: 2048 });

/** One GET or POST over keep-alive; status, body and milliseconds. */
function call(base: string, method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string; ms: number; headers: Record<string, unknown> }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const h = { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const req = request(`${base}${path}`, { method, headers: h, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `fn` with `inFlight` loops for `seconds`; latencies and req/s. */
async function load(inFlight: number, seconds: number, fn: (i: number) => Promise<number>): Promise<{ n: number; rps: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let i = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end || lat.length < inFlight * 2) lat.push(await fn(i++));
  }));
  const secs = (performance.now() - t0) / 1000;
  return { n: lat.length, rps: lat.length / secs, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function feedBench(base: string, figures: Figures) {
  log('\n== (a) open feed vs a bare Fastify route with a body of the same size ==');
  const variants: [string, string][] = [['city', ''], ['district', '?district=350206'], ['near', '?near=118.13,24.50&radius=2000']];
  log(`  ${'feed'.padEnd(9)} ${'bytes'.padStart(10)} ${'lots'.padStart(6)} ${'c'.padStart(3)} ${'feed req/s'.padStart(10)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'bare req/s'.padStart(10)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'ratio'.padStart(6)} ${'304 req/s'.padStart(9)} ${'p99'.padStart(7)}`);
  for (const [name, q] of variants) {
    const first = await call(base, 'GET', `/api/v1/parking/lots.geojson${q}`);
    if (first.status !== 200) throw new Error(`feed ${name}: ${first.status} ${first.body.slice(0, 200)}`);
    const bytes = Buffer.byteLength(first.body);
    const lots = (JSON.parse(first.body) as { features: unknown[] }).features.length;
    const etag = String(first.headers.etag);
    const bareUrl = `/bench/bare?of=${encodeURIComponent(q)}`;
    const bare = await call(base, 'GET', bareUrl);
    if (bare.body !== first.body) throw new Error('the bare route does not answer the feed body');
    figures[`feed.${name}.bytes`] = bytes;
    figures[`feed.${name}.lots`] = lots;
    for (const c of CONCURRENCY) {
      const ok = (r: { status: number; ms: number }, want: number) => {
        if (r.status !== want) throw new Error(`feed ${name}: HTTP ${r.status}, expected ${want}`);
        return r.ms;
      };
      const feed = await load(c, CELL_SECONDS, async () => ok(await call(base, 'GET', `/api/v1/parking/lots.geojson${q}`), 200));
      const bareR = await load(c, CELL_SECONDS, async () => ok(await call(base, 'GET', bareUrl), 200));
      const nm = await load(c, Math.max(1, CELL_SECONDS / 2), async () => ok(await call(base, 'GET', `/api/v1/parking/lots.geojson${q}`, { 'if-none-match': etag }), 304));
      const k = `feed.${name}.c${c}`;
      Object.assign(figures, {
        [`${k}.req_per_s`]: feed.rps, [`${k}.p50_ms`]: feed.p50, [`${k}.p99_ms`]: feed.p99,
        [`${k}.bare_req_per_s`]: bareR.rps, [`${k}.bare_p50_ms`]: bareR.p50, [`${k}.bare_p99_ms`]: bareR.p99,
        [`${k}.ratio_to_bare`]: feed.rps / bareR.rps,
        [`${k}.not_modified_req_per_s`]: nm.rps, [`${k}.not_modified_p50_ms`]: nm.p50, [`${k}.not_modified_p99_ms`]: nm.p99,
      });
      log(`  ${name.padEnd(9)} ${fmt(bytes).padStart(10)} ${String(lots).padStart(6)} ${String(c).padStart(3)} ${fmt(feed.rps).padStart(10)} ${f2(feed.p50).padStart(7)} ${f2(feed.p99).padStart(7)} ${fmt(bareR.rps).padStart(10)} ${f2(bareR.p50).padStart(7)} ${f2(bareR.p99).padStart(7)} ${f2(feed.rps / bareR.rps).padStart(6)} ${fmt(nm.rps).padStart(9)} ${f2(nm.p99).padStart(7)}`);
    }
  }
}

/** Random destinations across the city, as many in each district as it has lots. */
function destinations(n: number): { lon: number; lat: number }[] {
  const map = DistrictMap.load();
  const rand = seededRandom(99);
  const districts = Object.entries(URBAN_CENTRES);
  const total = districts.reduce((s, [, d]) => s + d.share, 0);
  return Array.from({ length: n }, () => {
    let r = rand() * total;
    const [adcode] = districts.find(([, d]) => (r -= d.share) < 0) ?? districts[0];
    return map.samplePoint(adcode, rand);
  });
}

async function guidanceBench(base: string, figures: Figures) {
  log('\n== (b) guidance from random destinations across the city (target p99 < 5 ms) ==');
  const probe = await call(base, 'GET', '/api/v1/parking/guidance?lon=118.13&lat=24.49');
  if (probe.status === 404 && probe.body.includes('NOT_FOUND')) {
    log('  skipped: the server has no GET /api/v1/parking/guidance yet');
    figures['guidance.skipped'] = 'no route';
    return;
  }
  const rand = seededRandom(7);
  const dest = destinations(GUIDANCE);
  const path = (i: number) => {
    const d = dest[i % dest.length];
    const arrive = new Date(Date.now() + Math.floor(rand() * 180) * 60_000).toISOString();
    const spaceType = rand() < 0.1 ? 'ev' : 'standard';
    return `/api/v1/parking/guidance?lon=${d.lon}&lat=${d.lat}&arrive=${encodeURIComponent(arrive)}&spaceType=${spaceType}&stayMinutes=${60 + 15 * Math.floor(rand() * 12)}`;
  };
  let results = 0;
  let empty = 0;
  const one = async (i: number) => {
    const r = await call(base, 'GET', path(i));
    if (r.status !== 200) throw new Error(`guidance: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    const n = (JSON.parse(r.body) as { results: unknown[] }).results.length;
    results += n;
    if (n === 0) empty++;
    return r.ms;
  };
  for (let i = 0; i < 200; i++) await one(i);
  results = 0;
  empty = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < GUIDANCE; i++) lat.push(await one(i));
  const seqRps = GUIDANCE / ((performance.now() - t0) / 1000);
  figures['guidance.requests'] = GUIDANCE;
  figures['guidance.c1.p50_ms'] = pct(lat, 50);
  figures['guidance.c1.p99_ms'] = pct(lat, 99);
  figures['guidance.c1.max_ms'] = Math.max(...lat);
  figures['guidance.c1.req_per_s'] = seqRps;
  figures['guidance.mean_results'] = results / GUIDANCE;
  figures['guidance.empty_share'] = empty / GUIDANCE;
  figures['guidance.p99_under_5ms'] = String(pct(lat, 99) < 5);
  log(`  1 in flight: ${fmt(GUIDANCE)} requests · p50 ${f2(pct(lat, 50))} ms · p99 ${f2(pct(lat, 99))} ms${pct(lat, 99) < 5 ? ' (target met)' : ' (!) over the 5 ms target'} · max ${f2(Math.max(...lat))} ms · ${fmt(seqRps)} req/s · ${f1(results / GUIDANCE)} results per answer, ${f1((100 * empty) / GUIDANCE)} % empty`);
  const c8 = await load(8, CELL_SECONDS, one);
  figures['guidance.c8.req_per_s'] = c8.rps;
  figures['guidance.c8.p50_ms'] = c8.p50;
  figures['guidance.c8.p99_ms'] = c8.p99;
  log(`  8 in flight: ${fmt(c8.rps)} req/s · p50 ${f2(c8.p50)} ms · p99 ${f2(c8.p99)} ms`);
}

/** Signs in the drivers: their session cookies. */
async function drivers(base: string): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < DRIVERS; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, DRIVERS - i) }, async (_, j) => {
      const r = await call(base, 'POST', '/api/v1/auth/login', {}, JSON.stringify({ username: `bench.driver${i + j}`, password: PASSWORD }));
      if (r.status !== 200) throw new Error(`sign-in: ${r.status} ${r.body}`);
      return String([r.headers['set-cookie']].flat()[0]).split(';')[0];
    }));
    cookies.push(...batch);
  }
  return cookies;
}

/** An ISO time in Beijing, `days` after today at minute `minute` of the day. */
function bj(days: number, minute: number): string {
  const day = new Date(Date.now() + 8 * 3600_000 + days * 86400_000).toISOString().slice(0, 10);
  return `${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00+08:00`;
}

async function reservationBench(base: string, sim: ParkingSimulator, cookies: string[], label: string, figures: Figures) {
  log(`\n== (c) reservations per second (${label}): quote → hold → confirm, ${fmt(FLOWS)} flows by ${fmt(Math.min(cookies.length, FLOWS))} drivers, 16 in flight ==`);
  const lots = sim.lots.filter((l) => l.reservablePercent > 0 && l.openingHours === null && Math.floor((l.capacity.standard * l.reservablePercent) / 100) > 0);
  const rand = seededRandom(31);
  const steps = { quote: [] as number[], hold: [] as number[], confirm: [] as number[] };
  const outcome: Record<string, number> = {};
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < FLOWS) {
      const i = next++;
      const cookie = { cookie: cookies[i % cookies.length] };
      const lot = lots[Math.floor(rand() * lots.length)];
      const startMin = 8 * 60 + 30 * Math.floor(rand() * 24);
      const start = bj(1 + Math.floor(rand() * 5), startMin);
      const end = new Date(Date.parse(start) + (1 + Math.floor(rand() * 3)) * 3600_000).toISOString();
      const q = await call(base, 'GET', `/api/v1/parking/lots/${lot.id}/quote?spaceType=standard&start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`);
      steps.quote.push(q.ms);
      if (q.status !== 200) {
        outcome[`quote_${q.status}`] = (outcome[`quote_${q.status}`] ?? 0) + 1;
        continue;
      }
      const h = await call(base, 'POST', '/api/v1/parking/reservations', cookie, JSON.stringify({ lotId: lot.id, spaceType: 'standard', start, end, plate: `闽D${String(10000 + i).slice(-5)}` }));
      steps.hold.push(h.ms);
      if (h.status !== 201) {
        const code = (JSON.parse(h.body) as { error?: { code: string } }).error?.code ?? h.status;
        outcome[`hold_${code}`] = (outcome[`hold_${code}`] ?? 0) + 1;
        continue;
      }
      const c = await call(base, 'POST', `/api/v1/parking/reservations/${(JSON.parse(h.body) as { id: string }).id}/confirm`, cookie);
      steps.confirm.push(c.ms);
      const key = c.status === 200 ? 'confirmed' : `confirm_${c.status}`;
      outcome[key] = (outcome[key] ?? 0) + 1;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const k = `reservations.${label}`;
  figures[`${k}.flows`] = FLOWS;
  figures[`${k}.flows_per_s`] = FLOWS / secs;
  figures[`${k}.confirmed_per_s`] = (outcome.confirmed ?? 0) / secs;
  figures[`${k}.outcomes`] = JSON.stringify(outcome);
  for (const [s, xs] of Object.entries(steps)) {
    figures[`${k}.${s}.p50_ms`] = pct(xs, 50);
    figures[`${k}.${s}.p99_ms`] = pct(xs, 99);
  }
  log(`  ${fmt(FLOWS / secs)} flows/s · ${fmt((outcome.confirmed ?? 0) / secs)} confirmed reservations/s · outcomes ${JSON.stringify(outcome)}`);
  log(`  p50/p99 ms: quote ${f2(pct(steps.quote, 50))}/${f2(pct(steps.quote, 99))} · hold ${f2(pct(steps.hold, 50))}/${f2(pct(steps.hold, 99))} · confirm ${f2(pct(steps.confirm, 50))}/${f2(pct(steps.confirm, 99))}`);
}

async function raceBench(base: string, admin: Record<string, string>, cookies: string[], label: string, figures: Figures) {
  log(`\n== (d) the race (${label}): ${fmt(RACE)} concurrent drivers hold the same window at one lot with 50 reservable places ==`);
  const client = new HubClient(httpTransport(base));
  const lotId = `bench-race-${randomBytes(3).toString('hex')}`;
  await client.call('POST', '/api/v1/parking/lots', {
    auth: admin,
    json: {
      id: lotId, name: '万象城地下停车场（抢订测试）', district: '350203', kind: 'garage', operator: '华润万象生活', lon: 118.131, lat: 24.478,
      capacity: { standard: 100 }, reservablePercent: 50, tariff: [{ from: '00:00', to: '24:00', fenPerHour: 800 }], systemCode: 'JTJ-GARAGE',
    },
  });
  const start = bj(2, 9 * 60);
  const end = bj(2, 11 * 60);
  const body = JSON.stringify({ lotId, spaceType: 'standard', start, end, plate: '闽D88888' });
  // Open the connections first, so the race is between requests, not TCP handshakes.
  await Promise.all(Array.from({ length: RACE }, () => call(base, 'GET', '/healthz')));
  const t0 = performance.now();
  const answers = await Promise.all(Array.from({ length: RACE }, (_, i) => call(base, 'POST', '/api/v1/parking/reservations', { cookie: cookies[i % cookies.length] }, body)));
  const secs = (performance.now() - t0) / 1000;
  let won = 0;
  let full = 0;
  const other: Record<string, number> = {};
  for (const a of answers) {
    if (a.status === 201) won++;
    else if (a.status === 409 && (JSON.parse(a.body) as { error: { code: string } }).error.code === 'PARKING_FULL') full++;
    else {
      const k = `${a.status} ${(JSON.parse(a.body) as { error?: { code: string } }).error?.code ?? ''}`;
      other[k] = (other[k] ?? 0) + 1;
    }
  }
  const ob = (await call(base, 'GET', `/bench/overbooking?lot=${lotId}&spaceType=standard&limit=50`)).body;
  const o = JSON.parse(ob) as { slices: number; maxBooked: number; reservations: number; overCounter: number; overReservations: number; mismatched: number; overbooking: number };
  const k = `race.${label}`;
  Object.assign(figures, {
    [`${k}.clients`]: RACE, [`${k}.reservable`]: 50, [`${k}.created_201`]: won, [`${k}.full_409`]: full, [`${k}.other`]: JSON.stringify(other),
    [`${k}.secs`]: secs, [`${k}.slices`]: o.slices, [`${k}.max_booked`]: o.maxBooked, [`${k}.reservations`]: o.reservations,
    [`${k}.counter_mismatches`]: o.mismatched, [`${k}.overbooking`]: o.overbooking, [`${k}.p50_ms`]: pct(answers.map((a) => a.ms), 50), [`${k}.p99_ms`]: pct(answers.map((a) => a.ms), 99),
  });
  log(`  201 held: ${won} · 409 PARKING_FULL: ${full} · other: ${Object.keys(other).length ? JSON.stringify(other) : 0} · in ${f2(secs)} s (p50 ${f1(pct(answers.map((a) => a.ms), 50))} ms, p99 ${f1(pct(answers.map((a) => a.ms), 99))} ms)`);
  log(`  database: ${o.slices} slices, max booked ${o.maxBooked}, ${o.reservations} live reservations, ${o.mismatched} counters differing from their reservations`);
  log(`  OVERBOOKING: ${o.overbooking}${o.overbooking === 0 ? '' : '  (!!)'}`);
}

// ───────────────────────────── main ─────────────────────────────

async function backend(label: 'sqlite' | 'postgres', databaseUrl: string | null, figures: Figures, full: boolean) {
  log(`\n######## ${label} ########`);
  const server = await startServer(label, databaseUrl);
  try {
    const client = new HubClient(httpTransport(server.base, { maxSockets: 64 }));
    const admin = await client.signIn('bench.admin', PASSWORD);
    const sim = new ParkingSimulator(client, { lots: full ? LOTS : 200 });
    let t = performance.now();
    const setup = await sim.setup(admin, { concurrency: 16, onProgress: (d, n) => d % 500 === 0 && process.stdout.write(`\r  lots ${fmt(d)}/${fmt(n)}`) });
    let secs = (performance.now() - t) / 1000;
    process.stdout.write('\n');
    log(`  ${fmt(setup.created)} lots registered through the API in ${f1(secs)} s (${fmt(setup.created / secs)} lots/s)`);
    figures[`${label}.lots`] = setup.created;
    figures[`${label}.lots_per_s`] = setup.created / secs;
    if (full && HISTORY_DAYS > 0) {
      t = performance.now();
      try {
        const h = await sim.pushHistory(HISTORY_DAYS, { onProgress: (d, n) => process.stdout.write(`\r  history ${fmt(d)}/${fmt(n)} records`) });
        secs = (performance.now() - t) / 1000;
        process.stdout.write('\n');
        log(`  history: ${fmt(h.valid)} valid, ${h.invalid} invalid records of ${HISTORY_DAYS} day(s) into ${h.dataset} in ${f1(secs)} s (${fmt(h.records / secs)} records/s)`);
        Object.assign(figures, { [`${label}.history_records`]: h.valid, [`${label}.history_invalid`]: h.invalid, [`${label}.history_records_per_s`]: h.records / secs });
      } catch (e) {
        log(`  history skipped: ${(e as Error).message}`);
      }
    }
    t = performance.now();
    const pushed = await sim.pushSnapshot({ concurrency: 32 });
    secs = (performance.now() - t) / 1000;
    log(`  live counts: ${fmt(pushed)} pushes with the lots' own system tokens in ${f1(secs)} s (${fmt(pushed / secs)} pushes/s, 32 in flight)`);
    figures[`${label}.occupancy_pushes_per_s`] = pushed / secs;
    if (full) {
      await feedBench(server.base, figures);
      await sim.pushSnapshot({ concurrency: 32 }); // keep every lot fresh (silent lots turn "unknown" after 10 minutes)
      await guidanceBench(server.base, figures);
    }
    const cookies = await drivers(server.base);
    await reservationBench(server.base, sim, cookies, label, figures);
    await raceBench(server.base, admin, cookies, label, figures);
  } finally {
    await stopServer(server, databaseUrl);
  }
}

async function main() {
  log(`parking benchmark · ${new Date().toISOString()} · ${cpus().length} cores · node ${process.version} · ${fmt(LOTS)} lots · history ${HISTORY_DAYS} day(s) · PostgreSQL ${process.env.DATABASE_URL ? 'on (race and reservations)' : 'off (set DATABASE_URL)'}`);
  const figures: Figures = {};
  const loadStart = loadavg()[0];
  await backend('sqlite', null, figures, true);
  if (process.env.DATABASE_URL) await backend('postgres', process.env.DATABASE_URL, figures, false);

  log('\n== summary ==');
  for (const v of ['city', 'district', 'near']) {
    log(`  feed ${v.padEnd(8)} (${fmt(figures[`feed.${v}.lots`] as number)} lots, ${fmt(figures[`feed.${v}.bytes`] as number)} B): ${CONCURRENCY.map((c) => `c${c} ${fmt(figures[`feed.${v}.c${c}.req_per_s`] as number)} req/s = ${f2(figures[`feed.${v}.c${c}.ratio_to_bare`] as number)}× bare`).join(' · ')}`);
  }
  if (figures['guidance.c1.p99_ms'] !== undefined) log(`  guidance p99 ${f2(figures['guidance.c1.p99_ms'] as number)} ms (target < 5 ms) · ${fmt(figures['guidance.c8.req_per_s'] as number)} req/s at 8 in flight`);
  for (const b of ['sqlite', 'postgres']) {
    if (figures[`race.${b}.overbooking`] === undefined) continue;
    log(`  ${b.padEnd(8)} reservations ${fmt(figures[`reservations.${b}.confirmed_per_s`] as number)} confirmed/s · race: ${figures[`race.${b}.created_201`]} held, ${figures[`race.${b}.full_409`]} PARKING_FULL, other ${figures[`race.${b}.other`]}, OVERBOOKING ${figures[`race.${b}.overbooking`]}`);
  }
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const out = join(root, 'bench', 'results', `parking-${stamp()}.json`);
  const machine = { cores: cpus().length, node: process.version, postgres: Boolean(process.env.DATABASE_URL), load_1m_at_start: loadStart, load_1m_at_end: loadavg()[0] };
  writeFileSync(out, JSON.stringify({ machine, settings: { lots: LOTS, history_days: HISTORY_DAYS, cell_seconds: CELL_SECONDS, guidance: GUIDANCE, flows: FLOWS, race: RACE }, figures }, null, 2));
  log(`\nsaved ${out}`);
  agent.destroy();
}

if (args.includes('--server-child')) await serverChild(arg('server-child', ''), args.includes('--pg') ? arg('pg', '') : null, args.includes('--schema') ? arg('schema', '') : undefined);
else await main();
