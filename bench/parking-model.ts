/**
 * Parking occupancy model benchmark: the model behind guidance (车位诱导), measured on held-back history.
 *  1. Opens a platform on a fresh data directory, registers the transport department and its parking platform
 *     (JTJ-PARK), and generates `--lots` simulated lots with `--days` days of occupancy history at 15-minute
 *     snapshots (the simulator's traffic model: day shapes per lot use on working and rest days, a busier or
 *     quieter factor per day, smooth noise).
 *  2. Pushes that history into the hub's occupancy dataset through the validated, audited ingest as the parking
 *     system, and reads it back through the change feed — the path the model learns from in production — timing
 *     both (records/s).
 *  3. Holds back the last `--test-days` days: fits the seasonal profiles and τ on the rest, then predicts every
 *     held-back snapshot from the one h minutes earlier, for h = 15, 30, 60, 120, 240 minutes. Prints, per horizon,
 *     the mean absolute error of the occupied share for the model, persistence (ŷ = the last value) and the bare
 *     profile, the model's error in places for a lot of the median capacity, and the Brier score and accuracy of
 *     P(at least one free place); the ratios model ÷ persistence and model ÷ profile.
 *  4. Saves everything as JSON under bench/results/parking-model-<date>.json.
 *
 * Usage: npm run bench:parking-model -- [--lots 300] [--days 28] [--test-days 7]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../src/config.ts';
import { openPlatform } from '../src/platform.ts';
import { evaluate, type Observation } from '../src/modules/parking/occupancy-model.ts';
import { DistrictMap } from '../src/modules/parking/sim/district-map.ts';
import { generateLots } from '../src/modules/parking/sim/lot-generator.ts';
import { TrafficModel, historyRecords, ndjson } from '../src/modules/parking/sim/traffic-model.ts';
import type { SpaceType } from '../src/modules/parking/types.ts';
import { root } from './lib.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const LOTS = Number(arg('lots', '300'));
const DAYS = Number(arg('days', '28'));
const TEST_DAYS = Number(arg('test-days', '7'));
const DAY = 86400_000;

const pad = (s: string | number, n: number) => String(s).padStart(n);
const f3 = (x: number) => x.toFixed(3);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'xmcity-parking-model-'));
  const started = new Date();
  const config = loadConfig({ env: { XMCITY_DATA_DIR: dir, XMCITY_LOG_LEVEL: 'silent', XMCITY_DEMO: 'none', XMCITY_LAKE_MEMORY: '2GB' } });
  const p = await openPlatform(config, { log: () => undefined });
  try {
    await p.orgs.createOrganisation({ code: 'JTJ', name: '厦门市交通运输局', nameEn: 'Transport Bureau', kind: 'department', adcode: null });
    await p.orgs.createSystem({ code: 'JTJ-PARK', orgCode: 'JTJ', name: '智慧停车平台', nameEn: 'Smart parking platform', cycle: 'realtime' });
    const codes = await p.parkingHub.datasets();
    const actor = await p.parkingHub.actor();
    const calendar = p.sharing.calendar;
    const lots = generateLots(LOTS, { map: DistrictMap.load() });
    const traffic = new TrafficModel((day) => calendar.isWorkingDay(day));
    const to = Math.floor(Date.now() / (15 * 60_000)) * 15 * 60_000;
    const from = to - DAYS * DAY;

    // 2. Into the hub and back out, as production does it.
    let t0 = performance.now();
    let pushed = 0;
    for (let d = 0; d < DAYS; d++) {
      const recs = [...historyRecords(traffic, lots, from + d * DAY, from + (d + 1) * DAY)];
      pushed += recs.length;
      const r = await p.ingest.ingest({ dataset: codes.occupancy, format: 'ndjson', mode: 'append', body: Readable.from(ndjson(recs)), idempotencyKey: `model-bench-${d}`, actor, source: 'bench' });
      if (r.invalid > 0) throw new Error(`${r.invalid} history records were refused`);
      process.stdout.write(`\r  pushed ${pushed.toLocaleString()} records (${d + 1}/${DAYS} days)`);
    }
    const pushSecs = (performance.now() - t0) / 1000;
    process.stdout.write('\n');
    t0 = performance.now();
    const obs: Observation[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await p.query.changes(actor, codes.occupancy, { cursor, since: cursor ? undefined : 0, limit: 10_000 });
      for (const c of page.items) {
        const r = c.record;
        obs.push({ lotId: String(r.lot_id), spaceType: r.space_type as SpaceType, at: Date.parse(String(r.observed_at)), capacity: Number(r.capacity), occupied: Number(r.occupied) });
      }
      cursor = page.nextCursor;
      if (!page.more) break;
    }
    const readSecs = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const learnt = await p.parking.learn();
    const learnSecs = (performance.now() - t0) / 1000;

    // 3. Held-back evaluation.
    t0 = performance.now();
    const e = evaluate(obs, (day) => calendar.isWorkingDay(day), { testDays: TEST_DAYS, horizons: [15, 30, 60, 120, 240] });
    const evalSecs = (performance.now() - t0) / 1000;

    console.log(`\nParking occupancy model — ${LOTS} lots, ${DAYS} days of 15-minute history (${obs.length.toLocaleString()} records), last ${TEST_DAYS} days held back`);
    console.log(`  hub round trip: pushed ${fmtRate(pushed, pushSecs)}, read back through the change feed ${fmtRate(obs.length, readSecs)}, learnt by the server ${fmtRate(learnt, learnSecs)}`);
    console.log(`  fitted decay time τ = ${e.tauMinutes} min; train ${e.trainObservations.toLocaleString()} records, test ${e.testObservations.toLocaleString()} (${e.testFrom.slice(0, 16)} → ${e.testTo.slice(0, 16)})`);
    console.log('');
    console.log(`  ${pad('horizon', 8)} ${pad('pairs', 8)} ${pad('MAE model', 10)} ${pad('persist.', 9)} ${pad('profile', 8)} ${pad('model/persist.', 15)} ${pad('model/profile', 14)} ${pad('places', 7)} ${pad('Brier', 6)} ${pad('right', 6)}`);
    for (const h of e.horizons) {
      console.log(`  ${pad(`${h.horizonMinutes} min`, 8)} ${pad(h.pairs, 8)} ${pad(f3(h.maeModel), 10)} ${pad(f3(h.maePersistence), 9)} ${pad(f3(h.maeProfile), 8)} ${pad(f3(h.maeModel / h.maePersistence), 15)} ${pad(f3(h.maeModel / h.maeProfile), 14)} ${pad(h.maeModelPlaces.toFixed(1), 7)} ${pad(f3(h.brierFree), 6)} ${pad(`${(h.accuracyFree * 100).toFixed(1)}%`, 6)}`);
    }
    console.log('\n  MAE: mean absolute error of the occupied share (0–1); places: the model\'s MAE for a lot of the median capacity;');
    console.log('  Brier / right: P(at least one free place) against what happened (0 is perfect, 0.25 a coin toss).');

    const out = {
      command: 'npm run bench:parking-model', started: started.toISOString(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
      settings: { lots: LOTS, days: DAYS, testDays: TEST_DAYS, snapshotMinutes: 15 },
      hub: { records: obs.length, push_secs: pushSecs, push_per_s: pushed / pushSecs, read_secs: readSecs, read_per_s: obs.length / readSecs, learn_secs: learnSecs, learn_per_s: learnt / learnSecs },
      evaluation: { ...e, secs: evalSecs },
      ratios: e.horizons.map((h) => ({ horizonMinutes: h.horizonMinutes, model_over_persistence: h.maeModel / h.maePersistence, model_over_profile: h.maeModel / h.maeProfile })),
    };
    const file = join(root, 'bench', 'results', `parking-model-${started.toISOString().slice(0, 19).replace(/:/g, '-').replace('T', '-')}.json`);
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\nsaved ${file}`);
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmtRate(n: number, secs: number): string {
  return `${n.toLocaleString()} in ${secs.toFixed(1)} s (${Math.round(n / secs).toLocaleString()}/s)`;
}

await main();
