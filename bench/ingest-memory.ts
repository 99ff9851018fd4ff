/**
 * Memory under a large import: streams a generated CSV of about --gb gigabytes through HTTP into a running
 * `xmcity serve` and samples the server's resident memory (target: under 2 GB for a 5 GB file).
 * Usage: node --import tsx bench/ingest-memory.ts [--gb 5] [--file PATH --format csv|ndjson] [--parts 4]
 * With --parts N the body is the first N generated 10 M-row CSV parts of the 100 M set, sent as one file
 * (headers after the first dropped), so a 5 GB body needs no extra generation.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { auth, dataRoot, ensureFiles, fmt, log, root, rssSampler, runMeasured, useSystemToken, waitReady, xmcity } from './lib.ts';

const args = process.argv.slice(2);
const gb = Number(args[args.indexOf('--gb') + 1] || 5);
const BYTES_PER_ROW = 133.4;
const rows = Math.round(((args.includes('--gb') ? gb : 5) * 1e9) / BYTES_PER_ROW / 1e6) * 1e6;

log(`ingest memory benchmark · ${new Date().toISOString()}`);
const fileArg = args.includes('--file') ? args[args.indexOf('--file') + 1] : null;
const format = args.includes('--format') ? args[args.indexOf('--format') + 1] : 'csv';
const partsArg = args.includes('--parts') ? Number(args[args.indexOf('--parts') + 1]) : 0;
const partFiles = partsArg
  ? await Promise.all(Array.from({ length: partsArg }, async (_, i) => (await ensureFiles(10_000_000, ['csv'], i * 10_000_000)).csv))
  : [];
const csv = fileArg ?? (partsArg ? partFiles.join(' + ') : (await ensureFiles(rows, ['csv'])).csv);
const size = partsArg ? partFiles.reduce((n, f) => n + statSync(f).size, 0) : statSync(csv).size;

/** The body: one file, or the parts one after another with every header but the first skipped. */
async function* bodyChunks(): AsyncGenerator<Buffer> {
  if (!partsArg) {
    for await (const c of createReadStream(csv, { highWaterMark: 1 << 20 })) yield c as Buffer;
    return;
  }
  for (let i = 0; i < partFiles.length; i++) {
    let first = true;
    for await (const c of createReadStream(partFiles[i], { highWaterMark: 1 << 20 })) {
      let b = c as Buffer;
      if (first && i > 0) b = b.subarray(b.indexOf(10) + 1);
      first = false;
      yield b;
    }
  }
}
const dir = join(dataRoot, 'run-memory');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const env: NodeJS.ProcessEnv = { ...process.env, XMCITY_DATA_DIR: dir, XMCITY_DEMO: 'none', XMCITY_TOKEN_RPM: '0', XMCITY_LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;
const [node, pre] = xmcity();
await runMeasured(node, [...pre, 'demo', '--size', 'small'], env);
const code = (await runMeasured(node, [...pre, 'catalogue-add', join(root, 'bench', 'enterprise.json')], env)).stdout.trim();
await useSystemToken(env);
const port = 4400 + Math.floor(Math.random() * 500);
const base = `http://127.0.0.1:${port}`;
const server = spawn(node, [...pre, 'serve'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  await waitReady(base);
  const idle = rssSampler(server.pid);
  await new Promise((r) => setTimeout(r, 300));
  const idleRss = idle.stop();
  const sampler = rssSampler(server.pid);
  const t0 = performance.now();
  const timeline: [number, number][] = [];
  const tick = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
      if (m) timeline.push([Math.round(performance.now() - t0), Math.round(Number(m[1]) / 1024)]);
    } catch {
      // ended
    }
  }, 2000);
  const res = await fetch(`${base}/api/v1/datasets/${code}/records?format=${format}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'text/csv' },
    body: Readable.toWeb(Readable.from(bodyChunks())) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as { valid: number; invalid: number };
  const secs = (performance.now() - t0) / 1000;
  const peak = sampler.stop();
  clearInterval(tick);
  log(`  server RSS over time (ms, MiB): ${timeline.map(([t, m]) => `${t}:${m}`).join(' ')}`);
  const figures = {
    file: csv,
    format,
    file_bytes: size,
    valid: body.valid,
    invalid: body.invalid,
    secs,
    valid_per_s: body.valid / secs,
    server_idle_rss_bytes: idleRss,
    server_peak_rss_bytes: peak,
    lake_memory_limit: '1GB (XMCITY_LAKE_MEMORY default)',
  };
  for (const [k, v] of Object.entries(figures)) log(`  ${k.padEnd(24)} ${typeof v === 'number' ? fmt(v) : v}`);
  log(`  peak server memory ${(peak / 2 ** 30).toFixed(2)} GiB for a ${(size / 1e9).toFixed(2)} GB file (target < 2 GB)`);
  const out = join(root, 'bench', 'results', `ingest-memory-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(figures, null, 2));
  log(`saved ${out}`);
} finally {
  server.kill('SIGTERM');
  await once(server, 'exit');
}
