#!/usr/bin/env node
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { userInfo } from 'node:os';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { buildApp } from '../app.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { DEMO_PASSWORD, resetDemo, seedDemo } from '../modules/demo/seed.ts';
import { HubClient, HubError, httpTransport } from '../modules/parking/sim/hub-client.ts';
import { ParkingSimulator } from '../modules/parking/sim/simulator.ts';
import type { SourceFormat } from '../modules/ingest/sources/spool.ts';
import type { IngestMode } from '../modules/ingest/service.ts';
import type { NewDataset } from '../modules/catalogue/service.ts';
import { openPlatform, type Platform } from '../platform.ts';
import { ROLES, TOKEN_SCOPES, cliActor, type Actor, type Role, type TokenScope } from '../modules/access/actor.ts';

const FORMAT_BY_EXT: Record<string, SourceFormat> = { '.csv': 'csv', '.txt': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.json': 'json', '.parquet': 'parquet', '.xlsx': 'xlsx' };

function config(): Config {
  return loadConfig();
}

/** Who a command acts as: a connected system when its token is given, else the local operator (audited as such). */
async function actorFor(p: Platform, token: string | undefined): Promise<Actor> {
  return token ? p.identity.tokenActor(token) : cliActor(userInfo().username);
}

async function withPlatform<T>(fn: (p: Platform) => Promise<T>): Promise<T> {
  const p = await openPlatform(config());
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
}

const program = new Command();
program.name('xmcity').description('数字厦门 Digital Xiamen — city data hub command line').version('0.1.0');

program
  .command('serve')
  .description('run the HTTP server and web console (seeds demo data into an empty data directory)')
  .action(async () => {
    const cfg = config();
    const app = await buildApp(cfg);
    const close = async () => {
      await app.close();
      process.exit(0);
    };
    process.once('SIGINT', close);
    process.once('SIGTERM', close);
    await app.listen({ host: cfg.host, port: cfg.port });
  });

program
  .command('import')
  .description('import a data file into a dataset: CSV (UTF-8 or GBK/GB18030), NDJSON, JSON array, Parquet or XLSX')
  .argument('<file>', 'the file to import')
  .requiredOption('-d, --dataset <code>', 'dataset resource code, e.g. XM-03-SCJGJ-00001')
  .option('-f, --format <format>', 'csv | ndjson | json | parquet | xlsx (default: from the file extension)')
  .option('-m, --mode <mode>', 'append | upsert | delete', 'append')
  .option('-k, --key <idempotencyKey>', 'batch id: a retried import with the same key is applied once')
  .option('--sheet <name>', 'XLSX worksheet (default: the first)')
  .option('--no-progress', 'no progress bar')
  .option('--token <token>', "push as a connected system with its application token (default: the local operator)")
  .action(async (file: string, o: { dataset: string; format?: string; mode: string; key?: string; sheet?: string; progress: boolean; token?: string }) => {
    const format = (o.format ?? FORMAT_BY_EXT[extname(file).toLowerCase()]) as SourceFormat | undefined;
    if (!format) throw new AppError('UNKNOWN_FORMAT', { format: extname(file) || '(none)', allowed: 'csv, ndjson, json, parquet, xlsx (use --format)' });
    const size = statSync(file).size;
    await withPlatform(async (p) => {
      const interactive = o.progress && process.stderr.isTTY;
      const bar = new cliProgress.SingleBar(
        { format: '{phase} {bar} {percentage}% · {rate} · ETA {eta_formatted}', hideCursor: true, stream: process.stderr, etaBuffer: 50, barsize: 24 },
        cliProgress.Presets.shades_classic,
      );
      const started = performance.now();
      let read = 0;
      let lines = 0;
      let phase = '读取 reading ';
      const rate = () => {
        const secs = (performance.now() - started) / 1000;
        const avgLine = lines ? read / lines : 0;
        const mbps = read / 1e6 / Math.max(secs, 1e-3);
        return avgLine ? `${Math.round(read / avgLine / Math.max(secs, 1e-3)).toLocaleString('en')} rows/s · ${mbps.toFixed(0)} MB/s` : `${mbps.toFixed(0)} MB/s`;
      };
      if (interactive) bar.start(size, 0, { phase, rate: '' });
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          read += chunk.length;
          if (lines < 100_000) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
          if (interactive) bar.update(read, { phase, rate: rate() });
          cb(null, chunk);
        },
      });
      const source = createReadStream(file, { highWaterMark: 1 << 20 });
      const piped = pipeline(source, counter).catch(() => undefined);
      try {
        const r = await p.ingest.ingest({
          actor: await actorFor(p, o.token),
          dataset: o.dataset,
          format,
          mode: o.mode as IngestMode,
          body: counter,
          idempotencyKey: o.key ?? null,
          source: 'cli',
          sheet: o.sheet,
          onValidateProgress: (f) => {
            phase = '校验 validating';
            if (interactive) bar.update(Math.round(f * size), { phase, rate: '' });
          },
        });
        await piped;
        if (interactive) {
          bar.update(size, { phase: '完成 done     ', rate: '' });
          bar.stop();
        }
        const secs = (performance.now() - started) / 1000;
        process.stdout.write(
          `${r.replayed ? 'replayed (already applied)' : 'committed'} batch ${r.batchId} (seq ${r.seq}) into ${o.dataset}\n` +
            `  accepted ${r.accepted.toLocaleString('en')} · valid ${r.valid.toLocaleString('en')} · invalid ${r.invalid.toLocaleString('en')}` +
            `${r.deleted ? ` · deleted ${r.deleted.toLocaleString('en')}` : ''}\n` +
            `  ${secs.toFixed(2)} s · ${Math.round(r.accepted / secs).toLocaleString('en')} rows/s · ${(size / 1e6 / secs).toFixed(1)} MB/s\n`,
        );
      } catch (e) {
        if (interactive) bar.stop();
        source.destroy();
        throw e;
      }
    });
  });

program
  .command('demo')
  .description('seed demo data (departments, systems, datasets with generated records)')
  .option('--reset', 'remove existing catalogue and records first')
  .option('--size <size>', 'small | full', 'full')
  .action(async (o: { reset?: boolean; size: string }) => {
    if (o.size !== 'small' && o.size !== 'full') throw new InvalidArgumentError('--size is small or full');
    await withPlatform(async (p) => {
      const log = (m: string) => process.stdout.write(`${m}\n`);
      if (o.reset) await resetDemo(p, o.size as 'full', log);
      else if (!(await seedDemo(p, o.size as 'full', { onlyIfEmpty: true, log }))) log('the hub already has data; use --reset to rebuild it');
    });
  });

program
  .command('catalogue-add')
  .description('catalogue a dataset from a JSON description (as POST /api/v1/datasets takes); prints its resource code')
  .argument('<spec>', 'JSON file')
  .action(async (spec: string) => {
    const { readFileSync } = await import('node:fs');
    let input: NewDataset;
    try {
      input = JSON.parse(readFileSync(spec, 'utf8')) as NewDataset;
    } catch (e) {
      throw new AppError('VALIDATION_FAILED', { reason: `${spec} is not a JSON dataset description (${(e as Error).message})` });
    }
    await withPlatform(async (p) => {
      const d = await p.catalogue.create(cliActor(userInfo().username), input);
      process.stdout.write(`${d.code}\n`);
    });
  });

const audit = program.command('audit').description('the tamper-evident audit trail');
audit
  .command('verify')
  .description('re-walk the hash chain and the signed checkpoints; names the first bad entry (exit 3 if any)')
  .action(async () => {
    await withPlatform(async (p) => {
      const r = await p.audit.verify({ onProgress: (seq) => process.stderr.isTTY && process.stderr.write(`\rverified ${seq.toLocaleString('en')} entries`) });
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (r.ok) process.stdout.write(`ok: ${r.entries.toLocaleString('en')} entries, ${r.checkpoints} signed checkpoints\n`);
      else {
        process.stdout.write(`TAMPERED at entry ${r.fault?.seq}: ${r.fault?.problem} — ${r.fault?.detail}\n`);
        process.exitCode = 3;
      }
    });
  });
audit
  .command('checkpoint')
  .description('sign the chain head and the Merkle root with the platform key (to anchor in an external ledger)')
  .action(async () => {
    await withPlatform(async (p) => {
      const c = await p.audit.checkpoint();
      process.stdout.write(c ? `${JSON.stringify(c, null, 2)}\n` : 'the audit trail is empty\n');
    });
  });

program
  .command('datasets')
  .description('list the resource catalogue')
  .action(async () => {
    await withPlatform(async (p) => {
      for (const d of await p.catalogue.all()) {
        process.stdout.write(`${d.code.padEnd(22)} ${String(d.validRecords).padStart(12)} valid ${String(d.invalidRecords).padStart(9)} invalid  ${d.name}\n`);
      }
    });
  });

program
  .command('query')
  .description('read records of a dataset (filter language as in the API)')
  .argument('<dataset>', 'dataset code')
  .option('--filter <expr>', "e.g. district = '350203' and capital >= 100")
  .option('--q <text>', 'text search')
  .option('--fields <list>', 'comma-separated fields')
  .option('--sort <list>', 'comma-separated; - for descending')
  .option('--limit <n>', 'rows', positiveInt, 20)
  .option('--format <f>', 'json | ndjson | csv', 'json')
  .option('--token <token>', 'read as a connected system under its grants (default: the local operator)')
  .action(async (code: string, o: { filter?: string; q?: string; fields?: string; sort?: string; limit: number; format: string; token?: string }) => {
    await withPlatform(async (p) => {
      const actor = await actorFor(p, o.token);
      if (o.format === 'json') {
        const r = await p.query.records(actor, code, { ...o, total: 'exact' });
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      if (o.format !== 'csv' && o.format !== 'ndjson') throw new AppError('UNKNOWN_FORMAT', { format: o.format, allowed: 'json, ndjson, csv' });
      const { stream } = await p.query.export(actor, code, o, o.format);
      for await (const chunk of stream) process.stdout.write(chunk);
    });
  });

const user = program.command('user').description('accounts of people (for the first platform admin of a new deployment)');
user
  .command('add')
  .description('create an account; the password is read from XMCITY_NEW_PASSWORD or the first line of stdin')
  .requiredOption('--username <name>', 'lower-case user name')
  .requiredOption('--org <code>', 'organisation code, e.g. DSJJ')
  .requiredOption('--role <role>', ROLES.join(' | '))
  .option('--name <displayName>', 'display name')
  .action(async (o: { username: string; org: string; role: string; name?: string }) => {
    const password = process.env.XMCITY_NEW_PASSWORD ?? (await readFirstLine());
    await withPlatform(async (p) => {
      const u = await p.identity.createUser(cliActor(userInfo().username), { username: o.username, displayName: o.name ?? o.username, orgCode: o.org, role: o.role as Role, password });
      process.stdout.write(`created ${u.username} (${u.role}, ${u.orgCode})\n`);
    });
  });

const org = program.command('org').description('organisations and their connected systems (for setting up a deployment)');
org
  .command('add')
  .description('register a department or a district government')
  .requiredOption('--code <code>', 'upper-case code, e.g. JTJ')
  .requiredOption('--name <name>', 'Chinese name, e.g. 厦门市交通运输局')
  .requiredOption('--name-en <name>', 'English name')
  .option('--kind <kind>', 'department | district', 'department')
  .option('--adcode <adcode>', "a district's six-digit administrative division code")
  .action(async (o: { code: string; name: string; nameEn: string; kind: string; adcode?: string }) => {
    await withPlatform(async (p) => {
      const made = await p.orgs.register(cliActor(userInfo().username), { code: o.code, name: o.name, nameEn: o.nameEn, kind: o.kind as 'department' | 'district', adcode: o.adcode ?? null });
      process.stdout.write(`registered ${made.code} ${made.name}\n`);
    });
  });
org
  .command('add-system')
  .description('register a connected information system (接入系统) of an organisation; then `xmcity token issue` gives it a token')
  .requiredOption('--org <code>', 'its organisation, e.g. JTJ')
  .requiredOption('--code <code>', 'system code, e.g. JTJ-PARK')
  .requiredOption('--name <name>', 'Chinese name')
  .requiredOption('--name-en <name>', 'English name')
  .option('--cycle <cycle>', 'declared update cycle: realtime, hourly, daily, weekly, monthly, quarterly, yearly', 'daily')
  .action(async (o: { org: string; code: string; name: string; nameEn: string; cycle: string }) => {
    await withPlatform(async (p) => {
      const made = await p.orgs.registerSystem(cliActor(userInfo().username), { code: o.code, orgCode: o.org, name: o.name, nameEn: o.nameEn, cycle: o.cycle });
      process.stdout.write(`registered ${made.code} ${made.name} (${made.orgCode}, ${made.cycle})\n`);
    });
  });

const token = program.command('token').description('application tokens of connected systems');
token
  .command('issue')
  .description('issue a token for a system; it is printed once and stored only as a hash')
  .requiredOption('--system <code>', 'system code, e.g. JTJ-PARK')
  .option('--scopes <list>', `comma-separated: ${TOKEN_SCOPES.join(', ')}`, 'ingest,read')
  .option('--days <n>', 'days until it expires', positiveInt, 90)
  .option('--name <name>', 'what it is for')
  .action(async (o: { system: string; scopes: string; days: number; name?: string }) => {
    await withPlatform(async (p) => {
      const t = await p.identity.issueToken(cliActor(userInfo().username), { systemCode: o.system, name: o.name ?? `${o.system} (CLI)`, scopes: o.scopes.split(',') as TokenScope[], expiresInDays: o.days });
      process.stdout.write(`${t.token}\n`);
      process.stderr.write(`token ${t.id} for ${t.systemCode} (${t.scopes.join(', ')}), expires ${t.expiresAt}; store it now, it is not shown again\n`);
    });
  });

function wholeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number ≥ 0');
  return n;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number > 0');
  return n;
}

const parking = program.command('parking').description('smart parking (智慧停车)');
parking
  .command('simulate')
  .description("simulate a city of parking lots against a running server: register lots, push past days of occupancy history and live entry/exit traffic with each lot system's own token (signs in as a platform admin; password from XMCITY_PASSWORD, else the demo password)")
  .option('--lots <n>', 'lots to simulate', positiveInt, 2000)
  .option('--days <n>', 'whole past days of 15-minute occupancy history to push (0: none)', wholeNumber, 14)
  .option('--speed <n>', 'simulated minutes per real second', positiveNumber, 60)
  .option('--duration <s>', 'real seconds of live traffic (0: until Ctrl-C)', wholeNumber, 600)
  .option('--rate <n>', "pushes per second per operator system (the server's token limit is XMCITY_TOKEN_RPM per minute)", positiveNumber, 40)
  .option('--url <url>', 'the server', 'http://127.0.0.1:3000')
  .option('--user <name>', 'a platform admin', 'admin')
  .option('--seed <n>', 'seed of the generated city', wholeNumber, 2026)
  .option('--no-progress', 'no progress bars')
  .action(async (o: { lots: number; days: number; speed: number; duration: number; rate: number; url: string; user: string; seed: number; progress: boolean }) => {
    const out = (m: string) => process.stdout.write(`${m}\n`);
    const interactive = o.progress && process.stderr.isTTY;
    const bar = (unit: string) => new cliProgress.SingleBar(
      { format: `{phase} {bar} {percentage}% · {value}/{total} ${unit} · {rate} · ETA {eta_formatted}`, hideCursor: true, stream: process.stderr, etaBuffer: 50, barsize: 24 },
      cliProgress.Presets.shades_classic,
    );
    const step = async <T>(phase: string, unit: string, fn: (tick: (done: number, total: number) => void) => Promise<T>): Promise<T> => {
      const b = bar(unit);
      const t0 = performance.now();
      let started = false;
      const tick = (done: number, total: number) => {
        if (!interactive) return;
        const rate = `${Math.round(done / Math.max(1e-3, (performance.now() - t0) / 1000)).toLocaleString('en')} ${unit}/s`;
        if (!started) b.start(total, 0, { phase, rate });
        started = true;
        b.update(done, { phase, rate });
      };
      try {
        return await fn(tick);
      } finally {
        if (started) b.stop();
      }
    };
    const client = new HubClient(httpTransport(o.url));
    const admin = await client.signIn(o.user, process.env.XMCITY_PASSWORD ?? DEMO_PASSWORD);
    const sim = new ParkingSimulator(client, { lots: o.lots, seed: o.seed });
    const t0 = performance.now();
    const setup = await step('登记 lots    ', 'lots', (tick) => sim.setup(admin, { onProgress: tick }));
    out(`lots: ${setup.created} registered, ${setup.existing} already there (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    if (o.days > 0) {
      try {
        const t1 = performance.now();
        const h = await step('历史 history ', 'records', (tick) => sim.pushHistory(o.days, { onProgress: tick }));
        const secs = (performance.now() - t1) / 1000;
        out(`history: ${h.valid.toLocaleString('en')} valid, ${h.invalid} invalid records in ${h.batches} batches (${h.replayed} already applied) into ${h.dataset} · ${secs.toFixed(1)} s · ${Math.round(h.records / secs).toLocaleString('en')} records/s`);
      } catch (e) {
        if (!(e instanceof HubError && e.status === 404)) throw e;
        out(`history skipped: ${e.message}`);
      }
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    const b = bar('s');
    if (interactive && o.duration > 0) b.start(o.duration, 0, { phase: '实时 traffic ', rate: '' });
    const fmtSim = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(5, 16).replace('T', ' ');
    const r = await sim.run({
      speed: o.speed, durationSec: o.duration, pushesPerSecond: o.rate, signal: stop.signal,
      onTick: (s) => {
        const rate = `sim ${fmtSim(s.simNow)} · ${Math.round(s.pushes / Math.max(1e-3, s.realSeconds))} pushes/s · +${s.entries.toLocaleString('en')} −${s.exits.toLocaleString('en')}${s.errors ? ` · ${s.errors} errors` : ''}`;
        if (interactive && o.duration > 0) b.update(Math.min(o.duration, Math.round(s.realSeconds)), { phase: '实时 traffic ', rate });
        else if (!interactive && Math.floor(s.realSeconds) % 30 === 0) out(rate);
      },
    });
    if (interactive && o.duration > 0) b.stop();
    out(`traffic: ${r.pushes.toLocaleString('en')} pushes (${r.countPushes} counts, ${r.eventPushes} event batches), ${r.entries.toLocaleString('en')} entries, ${r.exits.toLocaleString('en')} exits, ${(r.simulatedMinutes / 60).toFixed(1)} simulated hours in ${r.realSeconds.toFixed(0)} s${r.errors ? ` · ${r.errors} errors, last: ${r.lastError}` : ''}`);
  });

async function readFirstLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n')) break;
  }
  return data.split(/\r?\n/)[0];
}

program.parseAsync().catch((e: unknown) => {
  if (e instanceof AppError || e instanceof ConfigError || e instanceof InvalidArgumentError) {
    process.stderr.write(`xmcity: ${e instanceof AppError ? `${e.code}: ` : ''}${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`xmcity: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
