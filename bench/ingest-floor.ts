/**
 * What each stage of an import costs on its own, in the engine the Lake uses: the floor under the hub's ingest
 * rate. Reads the benchmark CSV, then writes the same already-typed rows in the ways a Lake could store them.
 * Usage: node --import tsx bench/ingest-floor.ts [--rows 10000000] [--memory 1GB]
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { columnSql } from '../src/lake/duckdb-sql.ts';
import type { FieldSpec } from '../src/modules/catalogue/types.ts';
import { dataRoot, ensureFiles, fmt, log, root, type Figures } from './lib.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const ROWS = Number(arg('rows', '10000000'));
const MEMORY = arg('memory', '1GB');

// The benchmark dataset's columns as the Lake defines them (FSST outright for always-distinct text).
const SPEC = JSON.parse(readFileSync(join(root, 'bench', 'enterprise.json'), 'utf8')) as { fields: Partial<FieldSpec>[] };
const COLUMNS = [
  ...SPEC.fields.map((f) => columnSql({ primaryKey: false, sensitivity: 'public', format: null, required: false, ...f } as FieldSpec)),
  '_seq BIGINT', '_at TIMESTAMP', '_kb USMALLINT',
].join(', ');

async function main() {
  const { csv } = await ensureFiles(ROWS, ['csv']);
  const dir = join(dataRoot, 'floor');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const db = await DuckDBInstance.create(join(dir, 'floor.duckdb'), { memory_limit: MEMORY, temp_directory: join(dir, 'tmp'), preserve_insertion_order: 'true' });
  const c = await db.connect();
  log(`ingest floor · ${new Date().toISOString()} · ${fmt(ROWS)} rows · engine memory ${MEMORY}`);
  const figures: Figures = { rows: ROWS, memory_limit: MEMORY };
  const step = async (name: string, sql: string, file?: string) => {
    const t = performance.now();
    await c.run(sql);
    const secs = (performance.now() - t) / 1000;
    figures[`${name}_secs`] = secs;
    figures[`${name}_rows_per_s`] = ROWS / secs;
    if (file) figures[`${name}_bytes_per_record`] = statSync(file).size / ROWS;
    log(`  ${name.padEnd(28)} ${secs.toFixed(2).padStart(7)} s  ${fmt(Math.round(ROWS / secs)).padStart(11)} rows/s${file ? `  ${(statSync(file).size / ROWS).toFixed(1)} B/record` : ''}`);
  };
  const read = `read_csv('${csv}', header = true, all_varchar = true)`;
  await step('read_csv', `SELECT count(*), count(credit_code) FROM ${read}`);
  // The typed rows every write below starts from, in memory (spilled when they do not fit).
  await step('stage_typed_rows', `CREATE TEMP TABLE typed AS SELECT * REPLACE (TRY_CAST(capital AS DECIMAL(18,4)) AS capital,
    TRY_CAST(established_on AS DATE) AS established_on), CAST(hash(credit_code) % 65536 AS USMALLINT) AS _kb FROM ${read}`);
  const select = `SELECT credit_code, name, legal_rep, legal_rep_id, phone, district, industry, capital, established_on, status, 1, TIMESTAMP '2026-01-01', _kb FROM typed`;
  const table = async (name: string, settings: string, order: string, columns = COLUMNS) => {
    const file = join(dir, `${name}.duckdb`);
    await c.run(`ATTACH '${file}' AS ${name}; ${settings}; CREATE TABLE ${name}.t (${columns})`);
    await step(name, `INSERT INTO ${name}.t ${select} ${order}; CHECKPOINT ${name}`, file);
    await c.run(`DETACH ${name}; RESET force_compression`);
  };
  await table('duckdb_compressed', 'SELECT 1', '');
  await table('duckdb_sorted_by_key', 'SELECT 1', 'ORDER BY _kb');
  figures.columns = COLUMNS;
  await table('duckdb_uncompressed', "SET force_compression = 'uncompressed'", '', COLUMNS.replaceAll(' USING COMPRESSION fsst', ''));
  for (const codec of ['snappy', 'zstd']) {
    const file = join(dir, `t-${codec}.parquet`);
    await step(`parquet_${codec}`, `COPY (${select}) TO '${file}' (FORMAT parquet, COMPRESSION ${codec})`, file);
  }
  c.closeSync();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const out = join(root, 'bench', 'results', `ingest-floor-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ machine: { cores: (await import('node:os')).cpus().length, node: process.version }, results: [figures] }, null, 2));
  log(`\nsaved ${out}`);
}

await main();
