/**
 * Query latencies on an existing data directory (for example the 100 M run left by ingest-query.ts), each
 * query set run twice: cold (first touch of each row group) and warm.
 * Usage: node --import tsx bench/query-latency.ts --data bench/data/run-100000000 [--dataset XM-03-SCJGJ-00002]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seededRandom } from '../src/modules/demo/random.ts';
import { auth, fmt, hubQueries, log, root, useSystemToken, waitReady, xmcity } from './lib.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const dir = resolve(arg('data', join(root, 'bench', 'data', 'run-100000000')));
const code = arg('dataset', 'XM-03-SCJGJ-00002');
const [node, pre] = xmcity();
const port = 4900 + Math.floor(Math.random() * 500);
const base = `http://127.0.0.1:${port}`;
const env = { ...process.env, XMCITY_DATA_DIR: dir, XMCITY_DEMO: 'none', XMCITY_TOKEN_RPM: '0', XMCITY_LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: '' };
await useSystemToken(env);
const server = spawn(node, [...pre, 'serve'], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  await waitReady(base);
  const info = (await (await fetch(`${base}/api/v1/datasets/${code}`, { headers: auth })).json()) as { validRecords: number };
  log(`query latency · ${new Date().toISOString()} · ${dir} · ${code} with ${fmt(info.validRecords)} records`);
  // Keys drawn from across the table: a sampled aggregate gives one key per row group's worth of rows.
  const sample = (await (await fetch(`${base}/api/v1/datasets/${code}/records?${new URLSearchParams({ fields: 'credit_code', filter: "credit_code ^= '91'", limit: '10000', offset: '90000', total: 'none' })}`, { headers: auth })).json()) as { items: { credit_code: string }[] };
  const rand = seededRandom(3);
  const keys = Array.from({ length: 300 }, () => sample.items[Math.floor(rand() * sample.items.length)].credit_code);
  const cold = await hubQueries(base, code, keys);
  const warm = await hubQueries(base, code, keys);
  const figures = { records: info.validRecords, cold, warm };
  for (const [pass, f] of [['cold', cold], ['warm', warm]] as const) {
    log(`  ${pass}:`);
    for (const [k, v] of Object.entries(f)) log(`    ${k.padEnd(28)} ${typeof v === 'number' ? v.toFixed(2) : v}`);
  }
  const out = join(root, 'bench', 'results', `query-latency-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(figures, null, 2));
  log(`saved ${out}`);
} finally {
  server.kill('SIGTERM');
  await once(server, 'exit');
}
