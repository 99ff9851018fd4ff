/** Helpers shared by the benchmark programs: generated input files, measured child processes, servers. */
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ENTERPRISE_COLUMNS, enterpriseRows } from '../src/modules/demo/generators.ts';

export const root = resolve(import.meta.dirname, '..');
export const dataRoot = join(root, 'bench', 'data');
const CHUNK = 1_000_000;

/** Benchmark figures by name. */
export type Figures = Record<string, number | string | string[] | null>;

/** Prints a line. */
export function log(s: string) {
  process.stdout.write(`${s}\n`);
}

/** A whole number with thousands separators. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/** The p-th percentile of samples. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Samples a process's resident memory every 50 ms; stop() returns the peak in bytes. */
export function rssSampler(pid: number | undefined): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // the process has ended
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Writes the CSV (and NDJSON) of N generated rows once, in chunks of a million with distinct seeds. */
export async function ensureFiles(
  n: number,
  kinds: readonly ('csv' | 'ndjson')[] = ['csv', 'ndjson'],
  from = 0,
): Promise<{ csv: string; ndjson: string }> {
  mkdirSync(dataRoot, { recursive: true });
  // Rows from..from+n; each million has its own seed, so a part of a larger set equals that slice of it.
  const name = from ? `enterprises-${n}-from-${from}` : `enterprises-${n}`;
  const csv = join(dataRoot, `${name}.csv`);
  const ndjson = join(dataRoot, `${name}.ndjson`);
  for (const [path, kind] of [[csv, 'csv'], [ndjson, 'ndjson']] as const) {
    if (existsSync(path) || !kinds.includes(kind)) continue;
    const t0 = performance.now();
    const out = createWriteStream(`${path}.part`, { highWaterMark: 1 << 22 });
    if (kind === 'csv') out.write(`${ENTERPRISE_COLUMNS.join(',')}\n`);
    for (let start = 0; start < n; start += CHUNK) {
      let buf = '';
      const first = from + start;
      for (const r of enterpriseRows({ seed: 4242 + first / CHUNK, count: Math.min(CHUNK, n - start), invalidShare: 0.01, startIndex: first, typeSafe: true })) {
        if (kind === 'csv') buf += `${r.map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')}\n`;
        else {
          const o: Record<string, string> = {};
          for (let i = 0; i < ENTERPRISE_COLUMNS.length; i++) o[ENTERPRISE_COLUMNS[i]] = r[i];
          buf += `${JSON.stringify(o)}\n`;
        }
        if (buf.length > 1 << 22) {
          if (!out.write(buf)) await once(out, 'drain');
          buf = '';
        }
      }
      if (buf && !out.write(buf)) await once(out, 'drain');
      process.stdout.write(`\r  generating ${kind} ${fmt(Math.min(n, start + CHUNK))}/${fmt(n)}`);
    }
    out.end();
    await once(out, 'finish');
    execFileSync('mv', [`${path}.part`, path]);
    process.stdout.write(`\r  generated ${path} (${(statSync(path).size / 1e9).toFixed(2)} GB) in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  return { csv, ndjson };
}

/** Runs a child process, sampling its resident memory; returns wall seconds, peak RSS and stdout. */
export async function runMeasured(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Promise<{ secs: number; peakRss: number; stdout: string }> {
  const t0 = performance.now();
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const sampler = rssSampler(child.pid);
  const [code] = (await once(child, 'exit')) as [number];
  const peakRss = sampler.stop();
  if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${code}`);
  return { secs: (performance.now() - t0) / 1000, peakRss, stdout };
}

export function xmcity(): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts')]];
}

/** Headers every benchmark request carries: the application token of the system that owns the bench dataset. */
export const auth: Record<string, string> = {};

/** Issues a token for a system in a data directory (through the CLI) and makes later requests use it. */
export async function useSystemToken(env: NodeJS.ProcessEnv, system = 'SCJGJ-REG'): Promise<string> {
  const [node, pre] = xmcity();
  const token = (await runMeasured(node, [...pre, 'token', 'issue', '--system', system, '--scopes', 'ingest,read', '--days', '7'], env)).stdout.trim();
  auth.authorization = `Bearer ${token}`;
  return token;
}

/** A TCP port free on the loopback interface now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

export async function waitReady(base: string) {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}


/** Query latencies over HTTP against a running server. */
export async function hubQueries(base: string, code: string, keys: string[]): Promise<Figures> {
  // One keep-alive connection through node:http, as a service client would hold it: fetch (undici) adds about
  // 2 ms of its own to every request, which is the client's latency, not the server's.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (params: Record<string, string>, path = 'records') =>
    new Promise<{ ms: number; body: { items: unknown[]; nextCursor?: string } }>((resolve, reject) => {
      const t = performance.now();
      const req = httpGet(`${base}/api/v1/datasets/${code}/${path}?${new URLSearchParams(params)}`, { agent, headers: auth }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(text.slice(0, 500)));
          resolve({ ms: performance.now() - t, body: JSON.parse(text) as { items: unknown[]; nextCursor?: string } });
        });
      });
      req.on('error', reject);
    });
  for (const k of keys.slice(0, 20)) await get({ filter: `credit_code = '${k}'`, total: 'none' });
  const lookups: number[] = [];
  let found = 0;
  for (const k of keys) {
    const r = await get({ filter: `credit_code = '${k}'`, total: 'none' });
    lookups.push(r.ms);
    found += r.body.items.length;
  }
  const pages: number[] = [];
  let cursor = '';
  const filter = "district = '350206' and status = '存续'";
  for (let i = 0; i < 30; i++) {
    const r = await get({ filter, sort: '-capital', limit: '100', total: 'none', ...(cursor ? { cursor } : {}) });
    pages.push(r.ms);
    cursor = r.body.nextCursor ?? '';
  }
  const firstPages: number[] = [];
  for (let i = 0; i < 20; i++) firstPages.push((await get({ filter: "district = '350213'", limit: '100', total: 'none' })).ms);
  const groups: number[] = [];
  for (let i = 0; i < 10; i++) {
    groups.push((await get({ groupBy: 'industry', metrics: 'count,sum:capital', filter: "district = '350206' and established_on >= '2010-01-01'" }, 'aggregate')).ms);
  }
  agent.destroy();
  return {
    key_lookup_p50_ms: pct(lookups, 50), key_lookup_p99_ms: pct(lookups, 99), key_lookup_found: found,
    keyset_page_sorted_p50_ms: pct(pages, 50), keyset_page_sorted_p99_ms: pct(pages, 99),
    keyset_page_p50_ms: pct(firstPages, 50), keyset_page_p99_ms: pct(firstPages, 99),
    groupby_p50_ms: pct(groups, 50), groupby_max_ms: Math.max(...groups),
  };
}

