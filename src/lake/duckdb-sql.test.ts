import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { FieldSpec } from '../modules/catalogue/types.ts';
import { parseDate, parseTimestamp } from '../modules/catalogue/validators/dates.ts';
import { columnSql, lit, typedExpr } from './duckdb-sql.ts';

const field = (type: FieldSpec['type']): FieldSpec => ({ name: 'v', label: 'v', type, required: false, primaryKey: false, sensitivity: 'public', format: null, sinceVersion: 1 });

describe('typed conversion in the Lake', () => {
  it('accepts exactly the dates and timestamps the JS parsers accept', async () => {
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const values = ['2024-02-29', '2023-02-29', '0500-01-01', 'infinity', '2024-02-09 10:00:00', '2024/02/09', '20240209', '2024年2月9日', ' 2024-02-09', '2024-13-01', '',
      '2024-02-09T10:00:00+08:00', '2024-02-09 10:00', '2024-02-09T02:00:00Z', 'x'];
    for (const v of values) {
      const r = await c.runAndReadAll(`SELECT CAST(${typedExpr(field('date'), lit(v))} AS VARCHAR) AS d, strftime(${typedExpr(field('timestamp'), lit(v))}, '%Y-%m-%dT%H:%M:%S.%gZ') AS t`);
      const [row] = r.getRowObjects();
      expect([v, row.d ?? null]).toEqual([v, parseDate(v)]);
      expect([v, row.t ?? null]).toEqual([v, parseTimestamp(v)]);
    }
  });
});

describe('column definitions', () => {
  it('compresses text that is always distinct with FSST and leaves the rest to the engine, which keeps the choice', async () => {
    const f = (over: Partial<FieldSpec>): FieldSpec => ({ ...field('string'), ...over });
    const defs = {
      key: columnSql(f({ name: 'key', primaryKey: true })),
      idcard: columnSql(f({ name: 'idcard', format: 'idcard' })),
      person: columnSql(f({ name: 'person', sensitivity: 'sensitive' })),
      status: columnSql(f({ name: 'status', enum: ['a', 'b'], sensitivity: 'secret' })),
      adcode: columnSql(f({ name: 'adcode', format: 'adcode' })),
      free: columnSql(f({ name: 'free' })),
      amount: columnSql({ ...field('integer'), name: 'amount', primaryKey: true }),
    };
    expect(Object.entries(defs).filter(([, d]) => d.includes('USING COMPRESSION fsst')).map(([k]) => k)).toEqual(['key', 'idcard', 'person']);
    // The engine takes the definitions, and low-cardinality text still gets a dictionary next to forced FSST
    // (compression happens only in a database file).
    const dir = mkdtempSync(join(tmpdir(), 'xmcity-columns-'));
    const c = await (await DuckDBInstance.create(join(dir, 'c.duckdb'))).connect();
    await c.run(`CREATE TABLE t (${defs.key}, ${defs.free}); INSERT INTO t SELECT 'k' || (i % 3), 'v' || (i % 3) FROM range(150000) r(i); CHECKPOINT`);
    const r = await c.runAndReadAll(`SELECT column_name, bool_or(compression = 'FSST'), bool_or(compression = 'Dictionary') FROM pragma_storage_info('t') GROUP BY 1 ORDER BY 1`);
    expect(r.getRows()).toEqual([['free', false, true], ['key', true, false]]);
    c.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });
});
