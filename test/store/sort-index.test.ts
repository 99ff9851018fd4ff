import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbLake } from '../../src/lake/duckdb-lake.ts';
import type { LakeTableSpec, SelectPlan, SortKey } from '../../src/lake/lake.ts';
import { SYSTEM_FIELDS, type FieldSpec } from '../../src/modules/catalogue/types.ts';
import { checkFilter } from '../../src/modules/query/filter-check.ts';
import { parseFilter } from '../../src/modules/query/filter.ts';

/**
 * Sort indexes on the real DuckDB: every page a sort index answers must equal the page of the plain plan (the same
 * spec without the declaration) — keyset and offset, filters, masks, row-id tie-breaks, ties on the key — before and
 * after appends, upserts and deletions, and after the rebuild.
 */
const field = (name: string, type: FieldSpec['type'], extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name, label: name, type, required: false, primaryKey: false, sensitivity: 'public', format: null, sinceVersion: 1, ...extra,
});
const FIELDS: FieldSpec[] = [
  field('id', 'integer', { primaryKey: true, required: true }),
  field('name', 'string'),
  field('k', 'integer'),
  field('district', 'string'),
  field('score', 'decimal'),
];
const plainSpec: LakeTableSpec = { code: 'T-SORT-1', fields: [...FIELDS, ...SYSTEM_FIELDS], primaryKey: ['id'] };
const indexedSpec = (...names: string[]): LakeTableSpec => ({ ...plainSpec, fields: plainSpec.fields.map((f) => (names.includes(f.name) ? { ...f, sortIndex: true } : f)) });
const spec = indexedSpec('k', 'name');
/** The spec as the catalogue gives it to ensureTable and ingest: without the system fields. */
const written: LakeTableSpec = { ...spec, fields: spec.fields.filter((f) => !f.name.startsWith('_')) };
const DISTRICTS = ['350203', '350205', '350206', '350211'];

let seed = 42;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
}

describe('sort indexes', () => {
  let dir: string;
  let lake: DuckDbLake;
  let seq = 0;

  async function ingest(mode: 'append' | 'upsert' | 'delete', rows: Record<string, unknown>[]) {
    const path = join(dir, 'tmp', 'spool', `b${++seq}.ndjson`);
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n'));
    return lake.ingest({
      table: written, source: { path, format: 'ndjson', columns: null }, mode, seq, batchId: `b${seq}`, idempotencyKey: null, at: new Date(), maxLineBytes: 10_000,
    });
  }
  const row = (id: number) => ({
    id, name: `n${String(Math.floor(rnd() * 5000)).padStart(4, '0')}`, k: rnd() < 0.02 ? null : Math.floor(rnd() * 300),
    district: DISTRICTS[Math.floor(rnd() * DISTRICTS.length)], score: Math.round(rnd() * 10000) / 100,
  });

  const plan = (p: Partial<SelectPlan> & { sort: SortKey[] }): SelectPlan => ({
    fields: ['id', 'name', 'k', 'district', 'score'], masks: {}, filter: null, q: null, textFields: ['name', 'district'], limit: 37, offset: 0, after: null, total: 'none', ...p,
  });
  const fieldMap = new Map(plainSpec.fields.map((f) => [f.name, f]));
  const filter = (src: string) => checkFilter(parseFilter(src), fieldMap, plainSpec.code);

  /** Selects with the index and without; the pages, cursors and totals must agree. Returns the indexed result. */
  async function same(p: SelectPlan, s: LakeTableSpec = spec) {
    const [a, b] = [await lake.select(s, p), await lake.select(plainSpec, p)];
    expect(a.rows).toEqual(b.rows);
    expect(a.last).toEqual(b.last);
    expect(a.total).toEqual(b.total);
    return a;
  }

  /** Walks a few keyset pages from a random offset, comparing each, and a few random offsets. */
  async function walk(sort: SortKey[], extra: Partial<SelectPlan> = {}) {
    const before = lake.sortIndexPages;
    for (let i = 0; i < 3; i++) {
      let r = await same(plan({ sort, offset: Math.floor(rnd() * 30_000), ...extra }));
      for (let j = 0; j < 3 && r.last; j++) r = await same(plan({ sort, after: r.last, ...extra }));
    }
    for (const offset of [0, 1, 36, 37, Math.floor(rnd() * 39_000), 39_990, 60_000]) await same(plan({ sort, offset, ...extra }));
    const after = lake.sortIndexPages;
    expect(after.topN + after.position).toBeGreaterThan(before.topN + before.position);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xmcity-sortidx-'));
    mkdirSync(join(dir, 'tmp', 'spool'), { recursive: true });
    lake = await DuckDbLake.open({ dataDir: dir, memoryLimit: '1GB', threads: 2, sortIndexes: { autoRebuild: false, partRows: 6_000 } });
    await lake.ensureTable(written);
    await ingest('append', Array.from({ length: 40_000 }, (_, i) => row(i + 1)));
    const states = await lake.sortIndexes(spec, { wait: true });
    expect(states.map((s) => [s.field, s.status, s.rows])).toEqual([['name', 'ready', 40_000], ['k', 'ready', 40_000]]);
  });
  afterAll(async () => {
    await lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const orders: [string, SortKey[], Partial<SelectPlan>][] = [
    ['k ascending (ties on the key, NULLs last)', [{ field: 'k', desc: false }], {}],
    ['k descending', [{ field: 'k', desc: true }], {}],
    ['k, then name', [{ field: 'k', desc: false }, { field: 'name', desc: true }], {}],
    ['name ascending, ties broken by row', [{ field: 'name', desc: false }], { tieBreakByRow: true }],
    ['k with a filter (a row scope ANDed in)', [{ field: 'k', desc: false }], { filter: filter("district = '350205' and score >= 20") }],
    ['k with a text search and a mask', [{ field: 'k', desc: false }], { q: 'n1', masks: { name: { kind: 'partial', keepStart: 1, keepEnd: 1 } }, fields: ['id', 'name', 'k'] }],
  ];

  it.each(orders)('pages sorted by %s equal the plain plan', async (_n, sort, extra) => walk(sort, extra));

  it('answers an unfiltered ascending offset by position, and counts totals as the plain plan does', async () => {
    const before = lake.sortIndexPages.position;
    const r = await same(plan({ sort: [{ field: 'k', desc: false }], offset: 25_000, total: 'exact' }));
    expect(r.total).toBe(40_000);
    expect(lake.sortIndexPages.position).toBe(before + 1);
  });

  it('merges rows appended after the build into sorted pages', async () => {
    await ingest('append', Array.from({ length: 900 }, (_, i) => row(100_000 + i)));
    const before = lake.sortIndexPages.position;
    for (const [, sort, extra] of orders) await walk(sort, extra);
    expect(lake.sortIndexPages.position).toBeGreaterThan(before);
  });

  it('reads past rows updated or deleted since the build', async () => {
    // Upserts: existing keys get new sort values (the stale copies must not show), new keys are added.
    await ingest('upsert', [...Array.from({ length: 300 }, (_, i) => row(1 + i * 97)), ...Array.from({ length: 50 }, (_, i) => row(200_000 + i))]);
    await ingest('delete', Array.from({ length: 200 }, (_, i) => ({ id: 5 + i * 131 })));
    for (const [, sort, extra] of orders) await walk(sort, extra);
  });

  it('rebuilds, swaps the new copy in and drops the old one', async () => {
    const states = await lake.sortIndexes(spec, { wait: true });
    const k = states.find((s) => s.field === 'k');
    expect(k).toMatchObject({ status: 'ready', pendingRows: 0, changedSince: false });
    expect(k?.rows).toBe(40_000 + 900 + 50 - 200);
    for (const [, sort, extra] of orders) await walk(sort, extra);
  });

  it('drops an index no longer declared, and sorted pages take the plain plan', async () => {
    const states = await lake.sortIndexes(indexedSpec('k'), { wait: true });
    expect(states.map((s) => s.field)).toEqual(['k']);
    const before = lake.sortIndexPages;
    await same(plan({ sort: [{ field: 'name', desc: false }], offset: 100 }), indexedSpec('k'));
    expect(lake.sortIndexPages).toEqual(before);
    await lake.sortIndexes(spec, { wait: true });
  });
});
