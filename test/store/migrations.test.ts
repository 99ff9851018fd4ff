import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Migration } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.ts';

/**
 * Migration 0010 on rows written before it (SQLite): plates stored in other spellings take their one form, pay-later
 * accounts stored under two spellings merge with their ledgers, duplicate open stays are closed keeping the first,
 * and sharing windows of a lot without standard places still have places to sell.
 */
describe('migrating stored parking data to one open stay per car', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xmcity-mig-'));
  const raw = new Database(join(dir, 'store.sqlite'));
  // The rows below stand alone (no organisations or systems behind them): this test is about the parking tables.
  raw.pragma('foreign_keys = OFF');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS as Record<string, Migration> } });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('normalises plates, merges accounts and closes duplicate open sessions', async () => {
    const before = await migrator.migrateTo('0009_parking_driver_limits');
    expect(before.error).toBeUndefined();
    const t = (h: number) => `2026-11-20T0${h}:00:00.000Z`;
    await sql`INSERT INTO parking_lots (id, name, district, kind, operator, lon_e6, lat_e6, cap_standard, cap_ev, cap_accessible, cap_large, reservable_pct, tariff, opening_hours, system_code, created_at)
      VALUES ('ev-yard', 'EV 共享', '350203', 'shared', 'op', 118089000, 24479000, 0, 10, 0, 0, 0, '[]', NULL, 'JTJ-PARK', ${t(1)})`.execute(db);
    await sql`INSERT INTO parking_share_windows (id, lot_id, name, periods, price_fen, overstay_fen_per_hour, created_at) VALUES ('w1', 'ev-yard', '夜间', '[]', 100, 100, ${t(1)})`.execute(db);
    for (const [id, plate, h] of [['s1', '闽D12345', 1], ['s2', '闽D12345', 2], ['s3', '闽d·12345', 3], ['s4', 'not a plate', 4]] as const) {
      await sql`INSERT INTO parking_credit_sessions (id, lot_id, plate, entered_at, exited_at, charge_fen) VALUES (${id}, 'ev-yard', ${plate}, ${t(h)}, NULL, NULL)`.execute(db);
    }
    await sql`INSERT INTO parking_credit_accounts (plate, state, balance_fen, updated_at) VALUES ('闽D12345', 'active', 100, ${t(1)}), ('闽d·12345', 'suspended', 50, ${t(2)})`.execute(db);
    await sql`INSERT INTO parking_credit_ledger (id, plate, kind, amount_fen, session_id, settlement_id, created_at) VALUES ('l1', '闽D12345', 'charge', 100, NULL, NULL, ${t(1)}), ('l2', '闽d·12345', 'charge', 50, NULL, NULL, ${t(2)})`.execute(db);
    await sql`INSERT INTO parking_credit_scores (plate, score, updated_at) VALUES ('闽D12345', 600, ${t(1)}), ('闽Ｄ１２３４５', 720, ${t(2)})`.execute(db);

    const after = await migrator.migrateToLatest();
    expect(after.error).toBeUndefined();
    const open = (await sql<{ id: string; plate: string }>`SELECT id, plate FROM parking_credit_sessions WHERE exited_at IS NULL ORDER BY id`.execute(db)).rows;
    expect(open).toEqual([{ id: 's1', plate: '闽D12345' }, { id: 's4', plate: 'not a plate' }]);
    expect((await sql<{ plate: string; state: string; balance_fen: number }>`SELECT plate, state, balance_fen FROM parking_credit_accounts`.execute(db)).rows)
      .toEqual([{ plate: '闽D12345', state: 'suspended', balance_fen: 150 }]);
    const ledger = (await sql<{ plate: string; n: number; fen: number }>`SELECT plate, count(*) AS n, sum(amount_fen) AS fen FROM parking_credit_ledger GROUP BY plate`.execute(db)).rows;
    expect(ledger).toEqual([{ plate: '闽D12345', n: 2, fen: 150 }]);
    expect((await sql<{ plate: string; score: number }>`SELECT plate, score FROM parking_credit_scores`.execute(db)).rows).toEqual([{ plate: '闽D12345', score: 720 }]);
    expect((await sql<{ places: number }>`SELECT places FROM parking_share_windows WHERE id = 'w1'`.execute(db)).rows).toEqual([{ places: 10 }]);
  });
});
