import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditFacts } from '../../src/modules/audit/chain.ts';
import { loadSigningKey } from '../../src/modules/audit/keys.ts';
import { AuditRepository } from '../../src/modules/audit/repository.ts';
import { AuditService } from '../../src/modules/audit/service.ts';
import type { Platform } from '../../src/platform.ts';
import { STORE_BACKENDS, testPlatform } from '../helpers.ts';

const facts = (i: number): AuditFacts => ({
  at: new Date(Date.UTC(2026, 10, 29, 8, 0, i)).toISOString(),
  actorKind: 'system',
  actorId: `JTJ-PARK`,
  orgCode: 'JTJ',
  action: 'records.read',
  datasetCode: 'XM-04-JTJ-00001',
  fields: ['line', 'day'],
  filter: `boardings > ${i}`,
  grantId: 'g-1',
  purpose: '客流分析',
  rowCount: i * 10,
  result: i % 5 === 0 ? 'denied' : 'allowed',
  detail: { ip: '127.0.0.1', n: i },
});

describe.each(STORE_BACKENDS)('audit trail on $name', ({ databaseUrl }) => {
  let p: Platform;
  let close: () => Promise<void>;
  let audit: AuditService;
  let keyDir: string;

  beforeEach(async () => {
    ({ platform: p, close } = await testPlatform(databaseUrl));
    keyDir = mkdtempSync(join(tmpdir(), 'xmcity-key-'));
    audit = new AuditService(new AuditRepository(p.store), loadSigningKey(keyDir));
    for (let i = 1; i <= 20; i++) await audit.append(facts(i));
  });
  afterEach(async () => {
    await close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const db = () => p.store.db;

  it('verifies an untouched trail and its signed checkpoint', async () => {
    const cp = await audit.checkpoint();
    expect(cp?.seqTo).toBe(20);
    expect(await audit.verify({ pageSize: 7 })).toEqual({ ok: true, entries: 20, checkpoints: 1, fault: null });
    expect(statSync(join(keyDir, 'keys', 'audit-ed25519.pem')).mode & 0o777).toBe(0o600);
  });

  it('serialises concurrent appends into one chain', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => audit.append(facts(100 + i))));
    expect((await audit.verify()).ok).toBe(true);
  });

  it('names an edited entry', async () => {
    await db().updateTable('audit_entries').set({ row_count: 999999 }).where('seq', '=', 7).execute();
    expect((await audit.verify({ pageSize: 5 })).fault).toMatchObject({ seq: 7, problem: 'edited' });
  });

  it('names a deleted entry', async () => {
    await db().deleteFrom('audit_entries').where('seq', '=', 12).execute();
    expect((await audit.verify()).fault).toMatchObject({ seq: 12, problem: 'missing' });
  });

  it('names an entry inserted in the middle (with a recomputed hash)', async () => {
    // Shift 11..20 up by one and put a forged, self-consistent entry at 11.
    for (let s = 20; s >= 11; s--) await db().updateTable('audit_entries').set({ seq: s + 1 }).where('seq', '=', s).execute();
    const prev = await db().selectFrom('audit_entries').select('hash').where('seq', '=', 10).executeTakeFirstOrThrow();
    const { entryHash } = await import('../../src/modules/audit/chain.ts');
    const forged = facts(99);
    await new AuditRepository(p.store).insert({ ...forged, seq: 11, prevHash: prev.hash, hash: entryHash(11, prev.hash, forged) });
    expect((await audit.verify()).fault).toMatchObject({ seq: 12, problem: 'edited' });
  });

  it('names reordered entries', async () => {
    await db().updateTable('audit_entries').set({ seq: -1 }).where('seq', '=', 4).execute();
    await db().updateTable('audit_entries').set({ seq: 4 }).where('seq', '=', 5).execute();
    await db().updateTable('audit_entries').set({ seq: 5 }).where('seq', '=', -1).execute();
    expect((await audit.verify()).fault).toMatchObject({ seq: 4, problem: 'edited' });
  });

  it('catches entries cut from the end after a checkpoint, and a forged checkpoint', async () => {
    await audit.checkpoint();
    await db().deleteFrom('audit_entries').where('seq', '>', 18).execute();
    expect((await audit.verify()).fault).toMatchObject({ seq: 20, problem: 'checkpoint' });
    await db().deleteFrom('audit_checkpoints').execute();
    await audit.checkpoint();
    await db().updateTable('audit_checkpoints').set({ head_hash: sql<string>`head_hash || 'x'` as unknown as string }).execute();
    expect((await audit.verify()).fault).toMatchObject({ problem: 'checkpoint' });
  });

  it('proves the inclusion of any entry under a checkpoint', async () => {
    await audit.checkpoint();
    for (const seq of [1, 2, 13, 20]) {
      const proof = await audit.proof(seq);
      expect(proof && AuditService.verifyProof(proof)).toBe(true);
    }
    const p7 = (await audit.proof(7))!;
    expect(AuditService.verifyProof({ ...p7, entryHash: (await audit.proof(8))!.entryHash })).toBe(false);
  });

  it('signs periodic checkpoints only when entries were added, and checks each in one pass', async () => {
    expect((await audit.checkpointIfNew())?.seqTo).toBe(20);
    expect(await audit.checkpointIfNew()).toBeNull();
    for (let i = 21; i <= 35; i++) await audit.append(facts(i));
    expect((await audit.checkpointIfNew())?.seqTo).toBe(35);
    expect(await audit.verify({ pageSize: 4 })).toEqual({ ok: true, entries: 35, checkpoints: 2, fault: null });
    // An entry covered by the second checkpoint only, edited with a consistent re-hash of the rest of the chain, is
    // caught by that checkpoint's Merkle root.
    const { entryHash } = await import('../../src/modules/audit/chain.ts');
    let prev = (await db().selectFrom('audit_entries').select('hash').where('seq', '=', 29).executeTakeFirstOrThrow()).hash;
    for (let s = 30; s <= 35; s++) {
      const f = { ...facts(s), ...(s === 30 ? { rowCount: 0 } : {}) };
      const h = entryHash(s, prev, f);
      await db().updateTable('audit_entries').set({ row_count: f.rowCount, prev_hash: prev, hash: h }).where('seq', '=', s).execute();
      prev = h;
    }
    expect((await audit.verify()).fault).toMatchObject({ seq: 35, problem: 'checkpoint' });
  });
});
