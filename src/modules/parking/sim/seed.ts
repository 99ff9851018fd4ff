import { Readable } from 'node:stream';
import { AppError } from '../../../errors.ts';
import type { Platform } from '../../../platform.ts';
import type { Actor } from '../../access/actor.ts';
import { DistrictMap } from './district-map.ts';
import { generateLots, lotBody } from './lot-generator.ts';
import { OPERATOR_SYSTEMS } from './operators.ts';
import { beijingMidnight, historyRecords, ndjson, TrafficModel } from './traffic-model.ts';

/**
 * Seeds a small simulated parking city in-process, through the same services the HTTP API calls: the operator
 * systems, `lots` generated lots (registered by `actor`), `days` whole past days of 15-minute occupancy history
 * pushed by the parking platform's system into its history dataset, and one current count per lot pushed by the
 * lot's own system (no live traffic: lots fall silent, "unknown", ten minutes later, as real ones would).
 */
export async function seedParkingCity(p: Platform, opts: { lots: number; days: number; actor: Actor }): Promise<{ lots: number; history: number }> {
  for (const s of OPERATOR_SYSTEMS) {
    if (!(await p.orgs.getSystem(s.code)) && (await p.orgs.findOrganisation(s.orgCode))) await p.orgs.createSystem(s);
  }
  const lots = generateLots(opts.lots, { map: DistrictMap.load() });
  for (const lot of lots) {
    try {
      await p.parking.createLot(opts.actor, lotBody(lot));
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'LOT_EXISTS')) throw e;
    }
  }
  const model = new TrafficModel((day) => p.sharing.calendar.isWorkingDay(day));
  const now = Date.now();
  let history = 0;
  if (opts.days > 0) {
    const codes = await p.parkingHub.datasets();
    const end = beijingMidnight(now);
    const r = await p.ingest.ingest({
      dataset: codes.occupancy, format: 'ndjson', mode: 'append', body: Readable.from(ndjson(historyRecords(model, lots, end - opts.days * 86400_000, end))),
      idempotencyKey: `demo-parking-history-${opts.lots}-${opts.days}-${end}`, actor: await p.parkingHub.actor(), source: 'demo',
    });
    history = r.valid;
  }
  const systems = new Map<string, Actor>();
  for (const lot of lots) {
    let system = systems.get(lot.systemCode);
    if (!system) {
      const s = await p.orgs.requireSystem(lot.systemCode);
      system = { kind: 'system', id: `demo-seed:${s.code}`, name: s.name, orgCode: s.org_code, systemCode: s.code, scopes: ['ingest'] };
      systems.set(lot.systemCode, system);
    }
    await p.parking.pushOccupancy(system, lot.id, { counts: model.occupied(lot, now) });
  }
  return { lots: lots.length, history };
}
