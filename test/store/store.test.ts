import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/platform.ts';
import { STORE_BACKENDS, testPlatform } from '../helpers.ts';
import { cliActor } from '../../src/modules/access/actor.ts';

const OP = cliActor('test');

describe.each(STORE_BACKENDS)('Store on $name', ({ databaseUrl }) => {
  let p: Platform;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ platform: p, close } = await testPlatform(databaseUrl));
    await p.orgs.createOrganisation({ code: 'SCJGJ', name: '市场监督管理局', nameEn: 'Market regulation', kind: 'department', adcode: null });
    await p.orgs.createOrganisation({ code: 'D350203', name: '思明区', nameEn: 'Siming', kind: 'district', adcode: '350203' });
    await p.orgs.createSystem({ code: 'SCJGJ-REG', orgCode: 'SCJGJ', name: '登记系统', nameEn: 'Registration', cycle: 'daily' });
  });
  afterAll(async () => close());

  it('runs the migrations and reports its dialect', () => {
    expect(p.store.dialect).toBe(databaseUrl ? 'postgres' : 'sqlite');
  });

  it('lists organisations with counts and systems with connection status', async () => {
    const orgs = await p.orgs.listOrganisations();
    expect(orgs.map((o) => o.code).sort()).toEqual(['D350203', 'SCJGJ']);
    expect(orgs.find((o) => o.code === 'SCJGJ')?.systems).toBe(1);
    const [s] = await p.orgs.listSystems('SCJGJ');
    expect(s.status).toBe('pending');
    await p.orgs.touchSystem('SCJGJ-REG', new Date().toISOString());
    expect((await p.orgs.listSystems('SCJGJ'))[0].status).toBe('connected');
    await p.orgs.touchSystem('SCJGJ-REG', new Date(Date.now() - 3 * 86400_000).toISOString());
    expect((await p.orgs.listSystems('SCJGJ'))[0].status).toBe('stale');
  });

  it("loads the State Council's 2026 holiday arrangement and names the years still missing", async () => {
    const cal = p.sharing.calendar;
    expect(cal.isWorkingDay('2026-10-01')).toBe(false); // National Day, a Thursday
    expect(cal.isWorkingDay('2026-02-23')).toBe(false); // the last day of the Spring Festival break, a Monday
    expect(cal.isWorkingDay('2026-10-10')).toBe(true); // a Saturday worked in exchange
    expect(cal.isWorkingDay('2026-10-12')).toBe(true);
    expect((await p.sharing.calendarDays()).filter((d) => d.day.startsWith('2026-')).length).toBe(3 + 9 + 3 + 5 + 3 + 3 + 7 + 6);
    expect(p.sharing.calendarGaps(new Date('2026-06-01T00:00:00+08:00'))).toEqual([]);
    expect(p.sharing.calendarGaps(new Date('2026-11-30T12:00:00+08:00'))).toEqual([2027]);
  });

  it('refuses a system of an unknown organisation', async () => {
    await expect(p.orgs.createSystem({ code: 'X', orgCode: 'NOPE', name: 'x', nameEn: 'x', cycle: 'daily' })).rejects.toMatchObject({ code: 'ORGANISATION_NOT_FOUND' });
  });

  it('generates resource codes from category, organisation and a sequence', async () => {
    const base = { summary: 's', category: '03', orgCode: 'SCJGJ', systemCode: 'SCJGJ-REG', updateCycle: 'daily' as const, shareType: 'unconditional' as const, openType: 'open' as const, fields: [{ name: 'a', label: 'A', type: 'string' as const }] };
    const a = await p.catalogue.create(OP, { ...base, name: '一' });
    const b = await p.catalogue.create(OP, { ...base, name: '二' });
    expect(a.code).toBe('XM-03-SCJGJ-00001');
    expect(b.code).toBe('XM-03-SCJGJ-00002');
  });

  it('allocates sequence numbers without duplicates under concurrency', async () => {
    const repo = (p.catalogue as unknown as { repo: { nextSequence(s: string): Promise<number> } }).repo;
    const got = await Promise.all(Array.from({ length: 20 }, () => repo.nextSequence('concurrency')));
    expect(new Set(got).size).toBe(20);
    expect(Math.max(...got)).toBe(20);
  });

  it('adds a field as a new schema version', async () => {
    const d = await p.catalogue.addField(OP, 'XM-03-SCJGJ-00001', { name: 'b', label: 'B', type: 'integer' });
    expect(d.schemaVersion).toBe(2);
    expect(d.fields.map((f) => [f.name, f.sinceVersion])).toEqual([['a', 1], ['b', 2]]);
    await expect(p.catalogue.addField(OP, 'XM-03-SCJGJ-00001', { name: 'b', label: 'B', type: 'integer' })).rejects.toMatchObject({ code: 'FIELD_EXISTS' });
  });

  it('records batches, counts them per day and enforces one batch per idempotency key', async () => {
    const { Readable } = await import('node:stream');
    const r = await p.ingest.ingest({ dataset: 'XM-03-SCJGJ-00001', format: 'csv', mode: 'append', body: Readable.from(['a,b\nx,1\ny,notanumber\n']), idempotencyKey: 'k1', source: 'test', actor: OP });
    expect(r).toMatchObject({ accepted: 2, valid: 1, invalid: 1, replayed: false });
    const again = await p.ingest.ingest({ dataset: 'XM-03-SCJGJ-00001', format: 'csv', mode: 'append', body: Readable.from(['a,b\nx,1\n']), idempotencyKey: 'k1', source: 'test', actor: OP });
    expect(again).toMatchObject({ batchId: r.batchId, replayed: true, valid: 1 });
    const daily = await p.ingest.daily('XM-03-SCJGJ-00001', 7);
    expect(daily).toEqual([{ day: new Date().toISOString().slice(0, 10), valid: 1, invalid: 1 }]);
    const d = await p.catalogue.get('XM-03-SCJGJ-00001');
    expect([d.validRecords, d.invalidRecords, d.lastSeq]).toEqual([1, 1, 1]);
    expect((await p.orgs.listSystems('SCJGJ'))[0].status).toBe('connected');
  });

  it('recovers a batch the Lake committed but the Store never recorded, before the next batch', async () => {
    const { Readable } = await import('node:stream');
    const code = 'XM-03-SCJGJ-00001';
    const first = await p.ingest.ingest({ dataset: code, format: 'csv', mode: 'append', body: Readable.from(['a,b\nr1,1\nr2,2\n']), idempotencyKey: 'lost-1', source: 'test', actor: OP });
    // As if the process had stopped between the Lake's commit and the Store's.
    const before = await p.catalogue.get(code);
    await p.store.db.deleteFrom('batches').where('batch_id', '=', first.batchId).execute();
    await p.store.db.updateTable('datasets').set({ last_seq: first.seq - 1, valid_records: before.validRecords - 2 }).where('code', '=', code).execute();
    await p.catalogue.refresh(code);
    const next = await p.ingest.ingest({ dataset: code, format: 'csv', mode: 'append', body: Readable.from(['a,b\nr3,3\n']), idempotencyKey: 'after-loss', source: 'test', actor: OP });
    expect(next.seq).toBe(first.seq + 1);
    const replay = await p.ingest.ingest({ dataset: code, format: 'csv', mode: 'append', body: Readable.from(['a,b\nr1,1\nr2,2\n']), idempotencyKey: 'lost-1', source: 'test', actor: OP });
    expect(replay).toMatchObject({ replayed: true, seq: first.seq });
    const d = await p.catalogue.get(code);
    expect(d.validRecords).toBe(await p.lake.rowCount(code));
    expect(d.lastSeq).toBe(next.seq);
  });
});
