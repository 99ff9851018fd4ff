import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DuckDbLake } from '../../src/lake/duckdb-lake.ts';
import type { LakeTableSpec, SelectPlan } from '../../src/lake/lake.ts';
import type { FieldSpec } from '../../src/modules/catalogue/types.ts';

/**
 * Parquet exports are sent while the engine writes them (the bytes of a file written front to back): the whole
 * stream must still be one valid file with every row, and a client that goes away stops the write and leaves no
 * file behind.
 */
const field = (name: string, type: FieldSpec['type'], extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name, label: name, type, required: false, primaryKey: false, sensitivity: 'public', format: null, sinceVersion: 1, ...extra,
});
const spec: LakeTableSpec = { code: 'T-EXPORT-1', fields: [field('id', 'integer', { primaryKey: true, required: true }), field('name', 'string'), field('score', 'decimal')], primaryKey: ['id'] };
const ROWS = 600_000;

describe('parquet exports', () => {
  let dir: string;
  let lake: DuckDbLake;
  const plan: SelectPlan = { fields: ['id', 'name', 'score'], masks: {}, filter: null, q: null, textFields: [], limit: 0, offset: 0, after: null, total: 'none', sort: [] };
  const exportsLeft = () => readdirSync(join(dir, 'tmp')).filter((f) => f.startsWith('export-'));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xmcity-export-'));
    mkdirSync(join(dir, 'tmp', 'spool'), { recursive: true });
    lake = await DuckDbLake.open({ dataDir: dir, memoryLimit: '1GB', threads: 2 });
    await lake.ensureTable(spec);
    const path = join(dir, 'tmp', 'spool', 'b1.ndjson');
    writeFileSync(path, Array.from({ length: ROWS }, (_, i) => JSON.stringify({ id: i + 1, name: `name ${i % 997}`, score: (i % 10000) / 100 })).join('\n'));
    const r = await lake.ingest({ table: spec, source: { path, format: 'ndjson', columns: null }, mode: 'append', seq: 1, batchId: 'b1', idempotencyKey: null, at: new Date(), maxLineBytes: 10_000 });
    expect(r.valid).toBe(ROWS);
  }, 120_000);
  afterAll(async () => {
    await lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams a file of several row groups that reads back whole', async () => {
    const chunks: Buffer[] = [];
    for await (const c of lake.export(spec, plan, 'parquet')) chunks.push(Buffer.from(c));
    const file = join(dir, 'out.parquet');
    writeFileSync(file, Buffer.concat(chunks));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const r = (await c.runAndReadAll(`SELECT count(*)::INTEGER, sum(id)::BIGINT, count(DISTINCT name)::INTEGER FROM read_parquet('${file}')`)).getRows()[0];
    const groups = (await c.runAndReadAll(`SELECT count(DISTINCT row_group_id)::INTEGER FROM parquet_metadata('${file}')`)).getRows()[0][0];
    c.closeSync();
    expect(r.map(Number)).toEqual([ROWS, (ROWS * (ROWS + 1)) / 2, 997]);
    expect(Number(groups)).toBeGreaterThan(1);
    expect(exportsLeft()).toEqual([]);
  }, 60_000);

  it('stops the write and removes the file when the client goes away', async () => {
    const interrupt = vi.spyOn(DuckDBConnection.prototype, 'interrupt');
    const it = lake.export(spec, plan, 'parquet')[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    await it.return?.();
    expect(interrupt).toHaveBeenCalled();
    interrupt.mockRestore();
    expect(exportsLeft()).toEqual([]);
    // The reader connection it held is back in the pool and answers.
    expect((await lake.select(spec, { ...plan, limit: 1 })).rows).toEqual([{ id: expect.any(Number), name: expect.stringMatching(/^name /), score: expect.any(Number) }]);
  }, 60_000);
});
