/**
 * Downloads of a whole dataset at 100 M rows, as the portal offers them (CSV, JSON, Parquet, XLSX): how soon the
 * first byte arrives, the rate while it streams, and the server's memory meanwhile. Parquet is also fetched to the
 * end once: before Parquet downloads were sent while being written, the first byte came only when the whole file
 * was written, so its complete time is also what the first byte used to wait for.
 *
 *   npm run bench:downloads -- [--data bench/data/ckan-100000000] [--dataset CODE] [--secs 20] [--full parquet]
 *
 * Uses the lake `npm run bench:ckan` built (stop any server on it first: the lake file admits one process).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { dataRoot, fmt, freePort, log, root, rssSampler, waitReady, xmcity } from './lib.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const DATA = resolve(arg('data', join(dataRoot, 'ckan-100000000')));
const SECS = Number(arg('secs', '20'));
const FULL = arg('full', 'parquet').split(',').filter(Boolean);
const FORMATS = ['csv', 'json', 'parquet', 'xlsx'];

type Download = { format: string; status: number; first_byte_ms: number; bytes: number; secs: number; mb_per_s: number; complete: boolean; server_peak_rss_bytes: number };

/** Fetches a URL until its end or `maxSecs`, timing the first byte. */
function fetchFor(url: string, maxSecs: number): Promise<Omit<Download, 'format' | 'server_peak_rss_bytes'>> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    let first = Number.NaN;
    let bytes = 0;
    const req = request(url, (res) => {
      const finish = (complete: boolean) => {
        clearTimeout(timer);
        const secs = (performance.now() - t0) / 1000;
        done({ status: res.statusCode ?? 0, first_byte_ms: first, bytes, secs, mb_per_s: bytes / 1e6 / secs, complete });
      };
      const timer = setTimeout(() => {
        res.destroy();
        finish(false);
      }, maxSecs * 1000);
      res.on('data', (c: Buffer) => {
        if (Number.isNaN(first)) first = performance.now() - t0;
        bytes += c.length;
      });
      res.on('end', () => finish(true));
      res.on('error', () => undefined);
    });
    req.on('error', fail);
    req.end();
  });
}

async function main() {
  const meta = join(DATA, 'ckan-bench.json');
  const code = arg('dataset', existsSync(meta) ? (JSON.parse(readFileSync(meta, 'utf8')) as { code: string }).code : '');
  if (!code) throw new Error(`name the dataset with --dataset CODE (no ${meta})`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [node, pre] = xmcity();
  const env = { ...process.env, XMCITY_DATA_DIR: DATA, XMCITY_DEMO: 'none', XMCITY_ANON_RPM: '0', XMCITY_TOKEN_RPM: '0', XMCITY_LOG_LEVEL: 'warn', XMCITY_LAKE_MEMORY: '1GB', PORT: String(port) };
  const server = spawn(node, [...pre, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const started = new Date();
  const load0 = loadavg();
  const results: Download[] = [];
  try {
    await waitReady(base);
    log(`== downloads of ${code} (${DATA}) · ${SECS} s each, ${FULL.join(', ') || 'none'} to the end ==`);
    const runs = [...FORMATS.map((f) => ({ format: f, full: false })), ...FULL.map((f) => ({ format: f, full: true }))];
    for (const { format, full } of runs) {
      const sampler = rssSampler(server.pid);
      const r = await fetchFor(`${base}/api/v1/datasets/${code}/download.${format}`, full ? 3600 : SECS);
      const d: Download = { format: full ? `${format} (to the end)` : format, ...r, server_peak_rss_bytes: sampler.stop() };
      results.push(d);
      log(`  ${d.format.padEnd(20)} HTTP ${d.status} · first byte ${d.first_byte_ms.toFixed(0).padStart(6)} ms · ${fmt(d.bytes / 1e6).padStart(6)} MB in ${d.secs.toFixed(1)} s (${d.mb_per_s.toFixed(1)} MB/s)${d.complete ? ' · complete' : ''} · server RSS ${(d.server_peak_rss_bytes / 2 ** 30).toFixed(2)} GiB`);
      // Let the server notice the closed connection and stop the export before the next one.
      await new Promise((r) => setTimeout(r, 3000));
    }
    const pq = results.find((r) => r.format === 'parquet');
    const pqFull = results.find((r) => r.format.startsWith('parquet ('));
    if (pq && pqFull?.complete) log(`  Parquet first byte ${pq.first_byte_ms.toFixed(0)} ms against ${(pqFull.secs * 1000).toFixed(0)} ms to write the whole file (what the first byte waited for before): ${(pqFull.secs * 1000 / pq.first_byte_ms).toFixed(0)}× sooner`);
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    const out = join(root, 'bench', 'results', `downloads-${started.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
    writeFileSync(out, JSON.stringify({ command: `npm run bench:downloads -- ${argv.join(' ')}`.trim(), started, machine: { cores: cpus().length, mem_bytes: totalmem(), loadavg_at_start: load0, loadavg_at_end: loadavg() }, dataset: code, data_dir: DATA, secs: SECS, results }, null, 2));
    log(`saved ${out}`);
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
}

await main();
