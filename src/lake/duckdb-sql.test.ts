import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { FieldSpec } from '../modules/catalogue/types.ts';
import { parseDate, parseTimestamp } from '../modules/catalogue/validators/dates.ts';
import { lit, typedExpr } from './duckdb-sql.ts';

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
