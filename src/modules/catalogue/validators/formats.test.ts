import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { seededRandom } from '../../demo/random.ts';
import {
  FORMATS,
  FORMAT_NAMES,
  type FormatName,
  idcardCheckChar,
  randomMobile,
  randomValidIdcard,
  randomValidUscc,
  usccCheckChar,
} from './formats.ts';


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

/** Evaluate every format's SQL predicate over `values` in one DuckDB query; rows are in input order. */
async function sqlChecks(values: readonly string[]): Promise<Record<FormatName, boolean[]>> {
  await connection.run('CREATE OR REPLACE TABLE format_values (i INTEGER, v VARCHAR)');
  const appender = await connection.createAppender('format_values');
  values.forEach((value, i) => {
    appender.appendInteger(i);
    appender.appendVarchar(value);
    appender.endRow();
  });
  appender.closeSync();
  const columns = FORMAT_NAMES.map((name) => `${FORMATS[name].sql('v')} AS ${name}`).join(', ');
  const reader = await connection.runAndReadAll(`SELECT ${columns} FROM format_values ORDER BY i`);
  const rows = reader.getRowObjectsJS();
  const out = {} as Record<FormatName, boolean[]>;
  for (const name of FORMAT_NAMES) out[name] = rows.map((row) => row[name] as boolean);
  return out;
}

/** Assert JS and SQL agree on `values` for `name` and return the verdicts. */
async function bothChecks(name: FormatName, values: readonly string[]): Promise<boolean[]> {
  const sql = (await sqlChecks(values))[name];
  const js = values.map((v) => FORMATS[name].check(v));
  expect(sql).toEqual(js);
  return js;
}

/** Junk that must fail every format, in JS and SQL alike. */
const JUNK = [
  '',
  ' ',
  "'",
  "''; DROP TABLE t; --",
  '"',
  '\\',
  '%',
  '_',
  '中华人民共和国',
  '１１０１０５１９４９１２３１００２Ｘ', // full-width digits
  '١١٠١٠٥١٩٤٩١٢٣١٠٠٢X', // Arabic-Indic digits
  '😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀',
  'null',
  'NULL',
  '\n',
  '\t11010519491231002X',
];

describe('idcard', () => {
  // Hand check of 11010519491231002X: digits 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 times weights
  // 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167;
  // 167 mod 11 = 2; "10X98765432"[2] = 'X'.
  it('computes check characters', () => {
    expect(idcardCheckChar('11010519491231002')).toBe('X');
    expect(idcardCheckChar('44052418800101001')).toBe('4');
    expect(() => idcardCheckChar('1101051949123100')).toThrow(RangeError);
  });

  it('accepts valid numbers in JS and SQL', async () => {
    const rand = seededRandom(1);
    const valid = [
      '11010519491231002X',
      '11010519491231002x', // lowercase check letter is accepted
      randomValidIdcard(rand, '350203', new Date('1990-05-17')), // 思明区
      randomValidIdcard(rand, '350206', new Date('2000-02-29')), // 湖里区, leap day
      randomValidIdcard(rand, '350211', new Date('1900-01-01')), // 集美区, earliest year
      randomValidIdcard(rand, '810000', new Date('2100-12-31')),
    ];
    expect(valid[2].slice(0, 14)).toBe('35020319900517');
    expect(await bothChecks('idcard', valid)).toEqual(valid.map(() => true));
  });

  it('rejects invalid numbers in JS and SQL', async () => {
    const invalid = [
      '110105194912310021', // wrong check char
      '11010519491231002Y', // check char not a digit or X
      '440524188001010014', // correct check char, but born 1880
      '110105190002290017', // 1900-02-29 does not exist (1900 is not a leap year)
      '350203202302290011', // 2023-02-29 (each of these has a correct check char)
      '350203199013010015', // month 13
      '350203199004310016', // 31 April
      '350203199001000012', // day 00
      '100105194912310028', // province 10
      '990105194912310023', // province 99
      '1101051949123100', // too short
      '11010519491231002X1', // too long
      '11010519491231002', // 17 digits
      ...JUNK,
    ];
    expect(await bothChecks('idcard', invalid)).toEqual(invalid.map(() => false));
  });

  it('rejects out-of-range birth years', () => {
    expect(() => randomValidIdcard(Math.random, '350203', new Date('1899-12-31T00:00:00+08:00'))).toThrow(RangeError);
  });
});

describe('uscc', () => {
  // Hand check of 91350200MA2Y0K7B3?: character values 9 1 3 5 0 2 0 0 M=21 A=10 2 Y=30 0 K=19 7 B=11 3
  // times weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 =
  // 9+3+27+135+0+52+0+0+420+290+50+390+0+456+70+330+84 = 2316; 2316 mod 31 = 22; (31-22) mod 31 = 9 -> '9'.
  it('computes check characters', () => {
    expect(usccCheckChar('91350200MA2Y0K7B3')).toBe('9');
    expect(() => usccCheckChar('91350200MA2Y0K7BO')).toThrow(RangeError);
  });

  it('accepts valid codes in JS and SQL', async () => {
    const rand = seededRandom(2);
    const valid = [
      '91350200MA2Y0K7B39',
      // Published codes of well-known companies, as an independent check of the algorithm.
      '91110108551385082Q',
      '91330100716105852F',
      '9144030071526726XG',
      randomValidUscc(rand, '350200'),
      randomValidUscc(rand, '350203'),
      randomValidUscc(rand, '100000'),
    ];
    expect(valid[4].slice(2, 8)).toBe('350200');
    expect(await bothChecks('uscc', valid)).toEqual(valid.map(() => true));
  });

  it('rejects invalid codes in JS and SQL', async () => {
    const invalid = [
      '91350200MA2Y0K7B38', // wrong check char
      '91350200ma2y0k7b39', // lowercase
      '91350200MA2Y0k7B39', // one lowercase letter
      '91350200MI2Y0K7B39', // I
      '91350200MO2Y0K7B39', // O
      '91350200MS2Y0K7B39', // S
      '91350200MV2Y0K7B39', // V
      '91350200MZ2Y0K7B39', // Z
      '9135020AMA2Y0K7B39', // letter in the admin division code
      '91350200MA2Y0K7B3', // too short
      '91350200MA2Y0K7B390', // too long
      ...JUNK,
    ];
    expect(await bothChecks('uscc', invalid)).toEqual(invalid.map(() => false));
  });
});

describe('mobile, adcode, email', () => {
  it('accepts valid values', async () => {
    const rand = seededRandom(3);
    expect(await bothChecks('mobile', ['13800138000', '+8613800138000', '8619912345678', randomMobile(rand)])).toEqual([true, true, true, true]);
    expect(await bothChecks('adcode', ['350200', '350203', '110000', '710000', '910000'])).toEqual([true, true, true, true, true]);
    expect(await bothChecks('email', ['a@b.cn', 'zhang.san+tag@xm.gov.cn', 'USER_1%x@sub-domain.example.com'])).toEqual([true, true, true]);
  });

  it('rejects invalid values', async () => {
    const mobiles = ['12800138000', '1380013800', '138001380000', '+86 13800138000', '138-0013-8000', '+8513800138000', '++8613800138000', ...JUNK];
    expect(await bothChecks('mobile', mobiles)).toEqual(mobiles.map(() => false));
    const adcodes = ['100000', '990000', '35020', '3502000', 'A50200', ...JUNK];
    expect(await bothChecks('adcode', adcodes)).toEqual(adcodes.map(() => false));
    const emails = [
      'a@b', 'a@b.c', '@b.cn', 'a@.cn', 'a..b@x.cn', '.a@x.cn', 'a.@x.cn', 'a@-x.cn', 'a@x-.cn', 'a b@x.cn', "o'neil@x.cn",
      'a@b@x.cn', '张三@x.cn', 'a@例子.cn', `${'a'.repeat(65)}@x.cn`, `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.cn`, // 260 chars
      `a@${'b'.repeat(64)}.cn`, // label over 63
      ...JUNK,
    ];
    expect(await bothChecks('email', emails)).toEqual(emails.map(() => false));
  });

  it('accepts the longest allowed local part', () => {
    expect(FORMATS.email.check(`${'a'.repeat(64)}@x.cn`)).toBe(true);
  });
});

describe('JS and SQL agreement', () => {
  /** Characters used to mutate values: near misses, forbidden letters, quotes, non-ASCII. */
  const MUTATION_CHARS = '0123456789XxIOSVZAMY-+@. \'"中１';

  /** Apply one random edit (replace, delete, insert, swap, lowercase) to a value. */
  function mutate(rand: () => number, value: string): string {
    const pos = Math.floor(rand() * value.length);
    const char = MUTATION_CHARS[Math.floor(rand() * MUTATION_CHARS.length)];
    switch (Math.floor(rand() * 5)) {
      case 0: return value.slice(0, pos) + char + value.slice(pos + 1);
      case 1: return value.slice(0, pos) + value.slice(pos + 1);
      case 2: return value.slice(0, pos) + char + value.slice(pos);
      case 3: return pos + 1 < value.length ? value.slice(0, pos) + value[pos + 1] + value[pos] + value.slice(pos + 2) : value + char;
      default: return value.toLowerCase();
    }
  }

  /** A random valid value of each format. */
  function validValue(rand: () => number, name: FormatName): string {
    const adcodes = ['350200', '350203', '350206', '350211', '350212', '350213', '110105', '440305', '810000'];
    const adcode = adcodes[Math.floor(rand() * adcodes.length)];
    switch (name) {
      case 'idcard': return randomValidIdcard(rand, adcode, new Date(Date.UTC(1900, 0, 1) + rand() * 200 * 365.25 * 86400_000));
      case 'uscc': return randomValidUscc(rand, adcode);
      case 'mobile': return ['', '86', '+86'][Math.floor(rand() * 3)] + randomMobile(rand);
      case 'adcode': return adcode.slice(0, 4) + String(Math.floor(rand() * 100)).padStart(2, '0');
      case 'email': return `user${Math.floor(rand() * 1000)}.x@mail${Math.floor(rand() * 10)}.xm.gov.cn`;
    }
  }

  it('agrees on ~5,000 random valid and mutated values for every format', async () => {
    const rand = seededRandom(42);
    const values: string[] = [];
    for (const name of FORMAT_NAMES) {
      for (let i = 0; i < 1000; i++) {
        const valid = validValue(rand, name);
        values.push(i % 3 === 0 ? valid : mutate(rand, i % 5 === 0 ? mutate(rand, valid) : valid));
      }
    }
    // Random 17-digit prefixes with every possible check char exercise the checksum and date logic directly.
    for (let i = 0; i < 300; i++) {
      const first17 = String(11 + Math.floor(rand() * 81)) + String(Math.floor(rand() * 1e4)).padStart(4, '0') +
        String(1890 + Math.floor(rand() * 220)) + String(Math.floor(rand() * 14)).padStart(2, '0') +
        String(Math.floor(rand() * 33)).padStart(2, '0') + String(Math.floor(rand() * 1000)).padStart(3, '0');
      values.push(first17 + '0123456789Xx'[Math.floor(rand() * 12)]);
    }
    values.push(...JUNK);
    const sql = await sqlChecks(values);
    for (const name of FORMAT_NAMES) {
      const js = values.map((v) => FORMATS[name].check(v));
      const mismatches = values.filter((v, i) => js[i] !== sql[name][i]);
      expect(mismatches, name).toEqual([]);
      // Sanity: the sample holds both valid and invalid values of each format.
      expect(js.some(Boolean), name).toBe(true);
      expect(js.some((ok) => !ok), name).toBe(true);
    }
  });
});
