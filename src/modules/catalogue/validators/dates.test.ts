import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DATE_FORMATS, TIMESTAMP_FORMATS, parseDate, parseTimestamp, sqlDate, sqlTimestamp } from './dates.ts';
import { seededRandom } from '../../demo/random.ts';


let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Load `values` into a table, preserving order. */
async function loadValues(values: readonly string[]): Promise<void> {
  await connection.run('CREATE OR REPLACE TABLE date_values (i INTEGER, v VARCHAR)');
  const appender = await connection.createAppender('date_values');
  values.forEach((value, i) => {
    appender.appendInteger(i);
    appender.appendVarchar(value);
    appender.endRow();
  });
  appender.closeSync();
}

/** SQL dates of `values` as ISO strings (null when unparseable), in input order. */
async function sqlDates(values: readonly string[]): Promise<(string | null)[]> {
  await loadValues(values);
  const reader = await connection.runAndReadAll(
    `SELECT typeof(${sqlDate('v')}) AS t, strftime(${sqlDate('v')}, '%Y-%m-%d') AS d FROM date_values ORDER BY i`,
  );
  return reader.getRowsJS().map(([type, date]) => {
    expect(type).toBe('DATE');
    return date as string | null;
  });
}

/** SQL timestamps of `values` as ISO UTC strings (null when unparseable), in input order. */
async function sqlTimestamps(values: readonly string[]): Promise<(string | null)[]> {
  await loadValues(values);
  const reader = await connection.runAndReadAll(
    `SELECT typeof(${sqlTimestamp('v')}) AS t, epoch_us(${sqlTimestamp('v')}) AS us FROM date_values ORDER BY i`,
  );
  return reader.getRowsJS().map(([type, micros]) => {
    expect(type).toBe('TIMESTAMP');
    if (micros === null) return null;
    const us = micros as bigint;
    expect(us % 1000n).toBe(0n); // truncated to milliseconds, like the JS parser
    return new Date(Number(us / 1000n)).toISOString();
  });
}

describe('format lists', () => {
  it('lists the accepted strptime patterns', () => {
    expect(DATE_FORMATS).toEqual(['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y.%m.%d', '%Y年%m月%d日']);
    expect(TIMESTAMP_FORMATS).toContain('%Y-%m-%dT%H:%M:%S.%f%z');
    expect(TIMESTAMP_FORMATS).toContain('%Y-%m-%d %H:%M');
    expect(TIMESTAMP_FORMATS).toContain('%Y/%m/%d %H:%M:%S');
    expect(TIMESTAMP_FORMATS).toContain('%Y年%m月%d日 %H:%M:%S');
  });
});

describe('dates', () => {
  const cases: [string, string | null][] = [
    ['2024-02-29', '2024-02-29'], // leap day
    ['2000-02-29', '2000-02-29'], // divisible by 400
    ['2024/02/09', '2024-02-09'],
    ['2024/2/9', '2024-02-09'],
    ['20240209', '2024-02-09'],
    ['2024.02.09', '2024-02-09'],
    ['2024年2月9日', '2024-02-09'],
    ['2024年02月09日', '2024-02-09'],
    ['1000-01-01', '1000-01-01'],
    ['9999-12-31', '9999-12-31'],
    ['2023-02-29', null], // not a leap year
    ['1900-02-29', null], // divisible by 100, not 400
    ['2024-13-01', null],
    ['2024-00-10', null],
    ['2024-04-31', null],
    ['2024-01-00', null],
    ['2024-01-32', null],
    ['2024-1-5x', null],
    ['2024-001-05', null],
    ['2024/02-09', null], // mixed separators
    ['2024029', null], // compact form needs eight digits
    ['202402099', null],
    ['0999-01-01', null], // years 1000-9999 only
    ['24-02-09', null],
    ['2024-02-09 10:00:00', null], // a timestamp is not a date
    [' 2024-02-09', null], // no trimming
    ['2024-02-09 ', null],
    ['', null],
    ["2024-02-09'", null],
    ['２０２４-０２-０９', null], // full-width digits
    ['2024年2月9', null],
  ];

  it('parses known values identically in JS and SQL', async () => {
    const values = cases.map(([value]) => value);
    expect(values.map(parseDate)).toEqual(cases.map(([, expected]) => expected));
    expect(await sqlDates(values)).toEqual(cases.map(([, expected]) => expected));
  });
});

describe('timestamps', () => {
  const cases: [string, string | null][] = [
    ['2024-02-29T10:00:00Z', '2024-02-29T10:00:00.000Z'],
    ['2024-02-29T10:00:00+08:00', '2024-02-29T02:00:00.000Z'],
    ['2024-02-29T10:00:00+0800', '2024-02-29T02:00:00.000Z'],
    ['2024-02-29T10:00:00+08', '2024-02-29T02:00:00.000Z'],
    ['2024-02-29T10:00:00-05:30', '2024-02-29T15:30:00.000Z'],
    ['2024-02-29T10:00:00', '2024-02-29T02:00:00.000Z'], // no offset: Asia/Shanghai
    ['2024-02-29 10:00:00', '2024-02-29T02:00:00.000Z'],
    ['2024-02-29 10:00', '2024-02-29T02:00:00.000Z'],
    ['2024-02-29T10:00Z', '2024-02-29T10:00:00.000Z'],
    ['2024-03-01 07:59:59.999', '2024-02-29T23:59:59.999Z'],
    ['2024-01-01T00:00:00.123999Z', '2024-01-01T00:00:00.123Z'], // truncated, not rounded
    ['2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.500Z'],
    ['1960-06-30T23:59:59.9999-08:00', '1960-07-01T07:59:59.999Z'],
    ['2024-01-01 00:30:00', '2023-12-31T16:30:00.000Z'], // crosses the year in UTC
    ['2024-2-9 8:05:00', '2024-02-09T00:05:00.000Z'],
    ['2024/02/29 10:00:00', '2024-02-29T02:00:00.000Z'],
    ['2024年02月29日 10:00:00', '2024-02-29T02:00:00.000Z'],
    ['2024-02-29T24:00:00Z', null],
    ['2024-02-29T10:60Z', null],
    ['2024-02-29T10:00:60Z', null],
    ['2023-02-29 10:00', null],
    ['2024-13-01 00:00', null],
    ['2024-02-29T10:00:00.1234567Z', null], // at most 6 fractional digits
    ['2024-02-29T10:00:00.Z', null],
    ['2024-02-29T10:00:00+15:00', null],
    ['2024-02-29T10:00:00+08:60', null],
    ['2024-02-29T10:00:00z', null],
    ['2024-02-29t10:00:00', null],
    ['2024-02-29', null], // a date is not a timestamp
    ['2024-02-29T10', null],
    ['2024-02-29 10:5', null], // minutes and seconds need two digits
    ['2024-02-29 10:05:7', null],
    ['2024/02/29 10:00', null], // slash form needs seconds
    ['2024/02/29T10:00:00', null],
    ['2024/02/29 10:00:00Z', null], // offsets only on ISO forms
    ['2024-02-29 10:00:00 +08:00', null],
    [' 2024-02-29 10:00:00', null],
    ['', null],
    ["'; SELECT 1; --", null],
  ];

  it('parses known values identically in JS and SQL', async () => {
    const values = cases.map(([value]) => value);
    expect(values.map(parseTimestamp)).toEqual(cases.map(([, expected]) => expected));
    expect(await sqlTimestamps(values)).toEqual(cases.map(([, expected]) => expected));
  });
});

describe('JS and SQL agreement', () => {
  /** Pick one element at random. */
  function pick<T>(rand: () => number, items: readonly T[]): T {
    return items[Math.floor(rand() * items.length)];
  }

  /** A random integer in [min, max], zero-padded to `width` with probability 0.7. */
  function field(rand: () => number, min: number, max: number, width: number): string {
    const n = min + Math.floor(rand() * (max - min + 1));
    return rand() < 0.7 ? String(n).padStart(width, '0') : String(n);
  }

  /** A random date part, mostly plausible, sometimes out of range. */
  function randomDatePart(rand: () => number, style: 'iso' | 'any'): string {
    const year = rand() < 0.95 ? field(rand, 1890, 2110, 4) : pick(rand, ['0999', '1000', '9999', '10000', '24']);
    const month = rand() < 0.9 ? field(rand, 1, 12, 2) : field(rand, 0, 13, 2);
    const day = rand() < 0.8 ? field(rand, 1, 28, 2) : field(rand, 0, 32, 2);
    const shape = style === 'iso' ? '-' : pick(rand, ['-', '/', '.', '', '年', '-', '/']);
    if (shape === '年') return `${year}年${month}月${day}日`;
    if (shape === '') return `${year}${month.padStart(2, '0')}${day.padStart(2, '0')}`;
    return `${year}${shape}${month}${shape}${day}`;
  }

  /** Apply one random edit to a value (replace, delete or insert a character). */
  function mutate(rand: () => number, value: string): string {
    const pos = Math.floor(rand() * value.length);
    const char = pick(rand, [...'0123456789-/.:T Z+年月日x\'']);
    switch (Math.floor(rand() * 3)) {
      case 0: return value.slice(0, pos) + char + value.slice(pos + 1);
      case 1: return value.slice(0, pos) + value.slice(pos + 1);
      default: return value.slice(0, pos) + char + value.slice(pos);
    }
  }

  /** A random timestamp string across all accepted shapes, with some invalid clocks and offsets. */
  function randomTimestamp(rand: () => number): string {
    const hour = rand() < 0.9 ? field(rand, 0, 23, 2) : field(rand, 0, 25, 2);
    const minute = rand() < 0.9 ? field(rand, 0, 59, 2) : field(rand, 0, 61, 2);
    const second = rand() < 0.9 ? field(rand, 0, 59, 2) : field(rand, 0, 61, 2);
    const fraction = '123456789'.slice(0, Math.floor(rand() * 8));
    const offset = pick(rand, ['', '', '', 'Z', '+08:00', '+0800', '+08', '-05:30', '+14:00', '-12:00', '+15:00', '+05:45', 'z', ' +08:00']);
    const kind = Math.floor(rand() * 4);
    if (kind === 0) return `${randomDatePart(rand, 'any')} ${hour}:${minute}:${second}`;
    const time = pick(rand, [`${hour}:${minute}`, `${hour}:${minute}:${second}`, `${hour}:${minute}:${second}.${fraction}`]);
    return `${randomDatePart(rand, 'iso')}${pick(rand, ['T', ' '])}${time}${offset}`;
  }

  it('agrees on ~5,000 random valid and invalid dates', async () => {
    const rand = seededRandom(7);
    const values: string[] = ['2023-02-29', '2024-13-01', '2024-02-29', '2100-02-29', '2000-02-29'];
    for (let i = 0; i < 5000; i++) {
      const value = randomDatePart(rand, 'any');
      values.push(rand() < 0.15 ? mutate(rand, value) : value);
    }
    const js = values.map(parseDate);
    const sql = await sqlDates(values);
    const mismatches = values.flatMap((v, i) => (js[i] === sql[i] ? [] : [{ v, js: js[i], sql: sql[i] }]));
    expect(mismatches).toEqual([]);
    expect(js.filter((d) => d !== null).length).toBeGreaterThan(1000);
    expect(js.filter((d) => d === null).length).toBeGreaterThan(500);
  });

  for (const timeZone of ['UTC', 'Asia/Shanghai', 'America/New_York']) {
    it(`agrees on ~5,000 random valid and invalid timestamps with session TimeZone ${timeZone}`, async () => {
      await connection.run(`SET TimeZone = '${timeZone}'`);
      const rand = seededRandom(11);
      const values: string[] = ['2023-02-29 10:00:00', '2024-13-01 10:00:00', '2024-02-29 10:00:00', '2024-02-29T23:59:59.999999Z'];
      for (let i = 0; i < 5000; i++) {
        const value = randomTimestamp(rand);
        values.push(rand() < 0.15 ? mutate(rand, value) : value);
      }
      const js = values.map(parseTimestamp);
      const sql = await sqlTimestamps(values);
      const mismatches = values.flatMap((v, i) => (js[i] === sql[i] ? [] : [{ v, js: js[i], sql: sql[i] }]));
      expect(mismatches).toEqual([]);
      expect(js.filter((t) => t !== null).length).toBeGreaterThan(1000);
      expect(js.filter((t) => t === null).length).toBeGreaterThan(500);
      await connection.run('RESET TimeZone');
    });
  }
});
