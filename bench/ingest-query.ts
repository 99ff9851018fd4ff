/**
 * Hub-core benchmark: end-to-end ingest (file or HTTP body → validated → queryable) and query latencies on
 * the embedded Lake, side by side with PostgreSQL COPY into a typed table (what CKAN's loader does).
 * Usage: node --import tsx bench/ingest-query.ts [--rows 1000000,10000000] [--no-pg] [--queries 300]
 *        node --import tsx bench/ingest-query.ts --queries-on bench/data/ckan-100000000 [--dataset CODE]  (query figures only)
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { seededRandom } from '../src/modules/demo/random.ts';
import { auth, dataRoot, ensureFiles, fmt, hubQueries, log, pct, root, rssSampler, runMeasured, useSystemToken, waitReady, xmcity, type Figures } from './lib.ts';
const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SIZES = arg('rows', '1000000,10000000').split(',').map(Number);
const WITH_PG = !args.includes('--no-pg');
const WITH_HTTP_INGEST = !args.includes('--no-http-ingest');
const QUERIES = Number(arg('queries', '300'));

/** The same load and queries on PostgreSQL: COPY into a typed table with the primary key. */
async function postgresPeer(csvPaths: string[], keys: string[]): Promise<Figures> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_enterprises');
    await client.query(`CREATE TABLE bench_enterprises (credit_code varchar(18) PRIMARY KEY, name text, legal_rep text, legal_rep_id varchar(18),
      phone varchar(20), district varchar(6), industry varchar(2), capital numeric(18,4), established_on date, status text)`);
    const t0 = performance.now();
    for (const csvPath of csvPaths) await client.query(`COPY bench_enterprises FROM '${csvPath.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`);
    const copySecs = (performance.now() - t0) / 1000;
    await client.query('ANALYZE bench_enterprises');
    const rows = Number((await client.query('SELECT count(*) AS n FROM bench_enterprises')).rows[0].n);
    const bytes = Number((await client.query("SELECT pg_total_relation_size('bench_enterprises') AS b")).rows[0].b);
    const time = async (sql: string, params: unknown[] = []) => {
      const t = performance.now();
      const r = await client.query(sql, params);
      return { ms: performance.now() - t, rows: r.rows };
    };
    const lookups: number[] = [];
    for (const k of keys) lookups.push((await time('SELECT * FROM bench_enterprises WHERE credit_code = $1', [k])).ms);
    const pages: number[] = [];
    let after: [number, string] | null = null;
    for (let i = 0; i < 30; i++) {
      const r = after
        ? await time(`SELECT * FROM bench_enterprises WHERE district = '350206' AND status = '存续' AND (capital, credit_code) < ($1, $2) ORDER BY capital DESC, credit_code DESC LIMIT 100`, after)
        : await time(`SELECT * FROM bench_enterprises WHERE district = '350206' AND status = '存续' ORDER BY capital DESC, credit_code DESC LIMIT 100`);
      pages.push(r.ms);
      const last = r.rows[r.rows.length - 1] as { capital: number; credit_code: string } | undefined;
      after = last ? [last.capital, last.credit_code] : null;
    }
    const groups: number[] = [];
    for (let i = 0; i < 5; i++) {
      groups.push((await time(`SELECT industry, count(*), sum(capital) FROM bench_enterprises WHERE district = '350206' AND established_on >= '2010-01-01' GROUP BY industry ORDER BY industry`)).ms);
    }
    await client.query('DROP TABLE bench_enterprises');
    return {
      pg_copy_secs: copySecs, pg_copy_rows_per_s: rows / copySecs, pg_rows: rows, pg_bytes: bytes, pg_bytes_per_record: bytes / rows,
      pg_key_lookup_p50_ms: pct(lookups, 50), pg_key_lookup_p99_ms: pct(lookups, 99),
      pg_keyset_page_sorted_p50_ms: pct(pages, 50), pg_groupby_p50_ms: pct(groups, 50),
    };
  } finally {
    await client.end();
  }
}

async function runSize(n: number): Promise<Figures> {
  log(`\n== ${fmt(n)} rows ==`);
  const files = n > 10_000_000 ? { csv: '', ndjson: '' } : await ensureFiles(n, WITH_HTTP_INGEST ? ['csv', 'ndjson'] : ['csv']);
  const dir = join(dataRoot, `run-${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, XMCITY_DATA_DIR: dir, XMCITY_DEMO: 'none', XMCITY_TOKEN_RPM: '0', XMCITY_LOG_LEVEL: 'warn', XMCITY_LAKE_MEMORY: '1GB' };
  delete env.DATABASE_URL;
  const [node, pre] = xmcity();
  // The catalogue needs the organisation and system: seed them with the small demo, then drop its datasets' weight.
  await runMeasured(node, [...pre, 'demo', '--size', 'small'], env);
  const code = (await runMeasured(node, [...pre, 'catalogue-add', join(root, 'bench', 'enterprise.json')], env)).stdout.trim();
  // The dataset the HTTP ingest fills, catalogued now: the CLI cannot open the Lake while the server holds it.
  const code2 = WITH_HTTP_INGEST ? (await runMeasured(node, [...pre, 'catalogue-add', join(root, 'bench', 'enterprise.json')], env)).stdout.trim() : '';
  await useSystemToken(env);

  // Up to 10 M rows arrive as one batch; larger sets as batches of 10 M (parts of the same generated sequence).
  const PART = 10_000_000;
  const parts = n > PART ? Array.from({ length: Math.ceil(n / PART) }, (_, i) => i * PART) : [0];
  const partFiles = n > PART ? await Promise.all(parts.map(async (from) => (await ensureFiles(PART, ['csv'], from)).csv)) : [files.csv];
  let valid = 0;
  let invalid = 0;
  let importSecs = 0;
  let wallSecs = 0;
  let cliPeak = 0;
  for (const file of partFiles) {
    log(`  CLI import of ${file} …`);
    const cli = await runMeasured(node, [...pre, 'import', file, '--dataset', code, '--no-progress'], env);
    log(cli.stdout.trim().replace(/^/gm, '    '));
    valid += Number(/valid ([\d,]+)/.exec(cli.stdout)?.[1].replace(/,/g, ''));
    invalid += Number(/invalid ([\d,]+)/.exec(cli.stdout)?.[1].replace(/,/g, ''));
    // The CLI's own clock starts after Node and the TypeScript loader are up (about 1.5 s here).
    importSecs += Number(/([\d.]+) s ·/.exec(cli.stdout)?.[1]);
    wallSecs += cli.secs;
    cliPeak = Math.max(cliPeak, cli.peakRss);
  }
  const cli = { secs: wallSecs, peakRss: cliPeak };
  const lakeFile = join(dir, 'lake.duckdb');

  // Start the server for queries and the HTTP ingest.
  const port = 3900 + Math.floor(Math.random() * 500);
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(node, [...pre, 'serve'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const sampler = rssSampler(server.pid);
  try {
    await waitReady(base);
    const lakeBytes = statSync(lakeFile).size + (existsSync(`${lakeFile}.wal`) ? statSync(`${lakeFile}.wal`).size : 0);
    const q = await queries(base, code);

    let http: { valid: number; invalid: number } = { valid: 0, invalid: 0 };
    let httpSecs = Number.NaN;
    if (WITH_HTTP_INGEST) {
      log(`  HTTP NDJSON ingest of ${files.ndjson} …`);
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/datasets/${code2}/records?format=ndjson`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-ndjson', 'idempotency-key': `bench-${n}` },
        body: Readable.toWeb(createReadStream(files.ndjson, { highWaterMark: 1 << 20 })) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      http = (await res.json()) as { valid: number; invalid: number };
      httpSecs = (performance.now() - t0) / 1000;
      log(`    HTTP: valid ${fmt(http.valid)} · invalid ${fmt(http.invalid)} · ${httpSecs.toFixed(2)} s`);
    }

    const figures: Figures = {
      rows: n,
      csv_bytes: partFiles.reduce((b, f) => b + statSync(f).size, 0),
      batches: partFiles.length,
      files: partFiles,
      ndjson_bytes: existsSync(files.ndjson) ? statSync(files.ndjson).size : null,
      cli_csv_secs: cli.secs,
      cli_csv_valid: valid,
      cli_csv_invalid: invalid,
      cli_csv_valid_per_s: valid / cli.secs,
      cli_csv_import_secs: importSecs,
      cli_csv_import_valid_per_s: valid / importSecs,
      cli_peak_rss_bytes: cli.peakRss,
      http_ndjson_secs: httpSecs,
      http_ndjson_valid: http.valid,
      http_ndjson_valid_per_s: http.valid / httpSecs,
      server_peak_rss_bytes: sampler.stop(),
      lake_bytes: lakeBytes,
      lake_bytes_per_record: lakeBytes / valid,
      ...q,
    };
    return figures;
  } finally {
    sampler.stop();
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
}

/** Key lookups, keyset pages and group-bys over HTTP, for keys sampled from the dataset's first 10 000 rows. */
async function queries(base: string, code: string): Promise<Figures> {
  const rand = seededRandom(7);
  const keys: string[] = [];
  const sample = await fetch(`${base}/api/v1/datasets/${code}/records?${new URLSearchParams({ fields: 'credit_code', limit: '10000', total: 'none' })}`, { headers: auth });
  const all = ((await sample.json()) as { items: { credit_code: string }[] }).items;
  for (let i = 0; i < QUERIES; i++) keys.push(all[Math.floor(rand() * all.length)].credit_code);
  log('  queries over HTTP …');
  return hubQueries(base, code, keys);
}

/** --queries-on DIR --dataset CODE: only the query figures, on a data directory built before (e.g. the 100 M one of bench:ckan). */
async function queriesOn(dir: string, code: string): Promise<Figures> {
  const env: NodeJS.ProcessEnv = { ...process.env, XMCITY_DATA_DIR: dir, XMCITY_DEMO: 'none', XMCITY_TOKEN_RPM: '0', XMCITY_LOG_LEVEL: 'warn', XMCITY_LAKE_MEMORY: '1GB' };
  delete env.DATABASE_URL;
  await useSystemToken(env);
  const [node, pre] = xmcity();
  const port = 3900 + Math.floor(Math.random() * 500);
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(node, [...pre, 'serve'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitReady(base);
    const count = await fetch(`${base}/api/v1/datasets/${code}/records?${new URLSearchParams({ limit: '1', total: 'exact' })}`, { headers: auth });
    const rows = ((await count.json()) as { total: number }).total;
    log(`  ${fmt(rows)} records in ${code} at ${dir}`);
    return { data_dir: dir, dataset: code, rows, ...(await queries(base, code)) };
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
}

async function main() {
  const on = args.indexOf('--queries-on');
  if (on >= 0) {
    const f = await queriesOn(args[on + 1], arg('dataset', 'XM-03-SCJGJ-00002'));
    for (const [k, v] of Object.entries(f)) log(`    ${k.padEnd(30)} ${typeof v === 'number' ? (Number.isInteger(v) ? fmt(v) : v.toFixed(3)) : v}`);
    const out = join(root, 'bench', 'results', `ingest-query-queries-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
    writeFileSync(out, JSON.stringify({ machine: { cores: (await import('node:os')).cpus().length, node: process.version }, results: [f] }, null, 2));
    log(`\nsaved ${out}`);
    return;
  }
  log(`hub-core benchmark · ${new Date().toISOString()} · sizes ${SIZES.map(fmt).join(', ')} · PostgreSQL peer ${WITH_PG && process.env.DATABASE_URL ? 'on' : 'off (set DATABASE_URL)'}`);
  const results: Figures[] = [];
  for (const n of SIZES) {
    const f = await runSize(n);
    if (WITH_PG && process.env.DATABASE_URL) {
      log('  PostgreSQL COPY and queries …');
      const keys: string[] = [];
      // Same keys as the hub run would be ideal; any existing keys serve for latency.
      const files = f.files as string[];
      const fd = openSync(files[0], 'r');
      const buf = Buffer.alloc(2_000_000);
      readSync(fd, buf, 0, buf.length, 0);
      closeSync(fd);
      const head = buf.toString('utf8').split('\n').slice(1, -1);
      const rand = seededRandom(9);
      for (let i = 0; i < QUERIES; i++) keys.push(head[Math.floor(rand() * head.length)].split(',')[0]);
      Object.assign(f, await postgresPeer(files, keys));
      f.ratio_cli_vs_pg_copy = (f.cli_csv_valid_per_s as number) / (f.pg_copy_rows_per_s as number);
      f.ratio_http_vs_pg_copy = (f.http_ndjson_valid_per_s as number) / (f.pg_copy_rows_per_s as number);
      f.ratio_groupby_pg_over_hub = (f.pg_groupby_p50_ms as number) / (f.groupby_p50_ms as number);
      f.ratio_bytes_vs_pg = (f.lake_bytes_per_record as number) / (f.pg_bytes_per_record as number);
    }
    results.push(f);
    log(`  figures for ${fmt(n)}:`);
    for (const [k, v] of Object.entries(f)) log(`    ${k.padEnd(30)} ${typeof v === 'number' ? (Number.isInteger(v) ? fmt(v) : v.toFixed(3)) : v}`);
  }
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const out = join(root, 'bench', 'results', `ingest-query-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ machine: { cores: (await import('node:os')).cpus().length, node: process.version }, results }, null, 2));
  log(`\nsaved ${out}`);
}

await main();
