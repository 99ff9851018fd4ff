/**
 * Field-format validators (字段格式校验): each format has a JavaScript predicate for single values
 * and an equivalent DuckDB SQL boolean expression for bulk ingest. The two must agree exactly on
 * every input; `formats.test.ts` checks that over thousands of generated values.
 *
 * Validation is strict: values are not trimmed or case-folded (except the idcard check letter,
 * where `x` is accepted for `X`). Normalise before validating if the source is sloppy.
 */

/** Names of the supported field formats (字段格式). */
export type FormatName = 'idcard' | 'uscc' | 'mobile' | 'adcode' | 'email';

/** One field format: display labels, a JS predicate and a DuckDB SQL expression generator that agree exactly. */
export interface FieldFormat {
  /** Chinese display label. */
  label: string;
  /** English display label. */
  labelEn: string;
  /** True iff `value` is valid in this format. */
  check(value: string): boolean;
  /**
   * DuckDB boolean expression that is true iff the VARCHAR expression `expr` (never NULL) is valid; never raises.
   * `once(sql)` returns a reference to `sql` evaluated once per row (the engine does not share subexpressions
   * inside CASE); it defaults to the expression itself. What is given to it must never raise, whatever the input.
   */
  sql(expr: string, once?: (sql: string) => string): string;
}

/** The default `once`: the expression inline. */
const inline = (sql: string) => `(${sql})`;

// ---------------------------------------------------------------------------------------------
// Shared pieces. Every regular expression below is written in the common subset of JavaScript
// and RE2 (DuckDB's regex engine): ASCII classes, bounded repetition, non-capturing groups.
// JS uses it anchored with ^(?:...)$, SQL with regexp_full_match, so both demand a full match.
// ---------------------------------------------------------------------------------------------

/** Valid two-digit province-level codes (省级行政区划代码), including 71 Taiwan, 81/82 HK/Macao, 83 and 91. */
const PROVINCE_RE = '(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3]|91)';

/** GB 11643-1999 weights for the first 17 characters of an identity number. */
const IDCARD_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Check characters of an identity number, indexed by weighted sum mod 11. */
const IDCARD_CHECK_CHARS = '10X98765432';
/** Identity number shape: province, 4 digits, birth date 1900-01-01..2100-12-31 (day 01-31), sequence, check char. */
const IDCARD_RE =
  `${PROVINCE_RE}[0-9]{4}(?:19[0-9]{2}|20[0-9]{2}|2100)(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]`;

/** GB 32100-2015 character set of unified social credit codes (no I, O, S, V, Z). */
const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** GB 32100-2015 weights for the first 17 characters (3^i mod 31). */
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
/** One USCC character as a regex class. */
const USCC_CHAR_RE = '[0-9A-HJ-NP-RTUW-Y]';
/** USCC shape: 2 chars (registration authority, entity type), 6-digit admin division code, 10 chars. */
const USCC_RE = `${USCC_CHAR_RE}{2}[0-9]{6}${USCC_CHAR_RE}{10}`;

/** Mainland mobile number with optional +86 / 86 prefix. */
const MOBILE_RE = '(?:\\+?86)?1[3-9][0-9]{9}';

/** Six-digit administrative division code with a valid province prefix. */
const ADCODE_RE = `${PROVINCE_RE}[0-9]{4}`;

/** One DNS label: alphanumerics and inner hyphens, at most 63 characters. */
const EMAIL_LABEL_RE = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** Practical email: dot-separated atoms of common local-part characters, dotted domain, alphabetic TLD. */
const EMAIL_RE =
  `[A-Za-z0-9_%+-]+(?:\\.[A-Za-z0-9_%+-]+)*@(?:${EMAIL_LABEL_RE}\\.)+[A-Za-z]{2,63}`;
/** Maximum total length of an email address (RFC 5321 path limit minus angle brackets). */
const EMAIL_MAX_LENGTH = 254;
/** Maximum length of an email local part. */
const EMAIL_MAX_LOCAL_LENGTH = 64;

/** Compile a shared regex source for anchored full-match use in JavaScript. */
function fullMatch(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** Quote a string as a SQL string literal. */
function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** SQL for "the regex matches, then `then` holds", guarding `then` from ever seeing a bad shape. */
function sqlGuarded(expr: string, source: string, then: string): string {
  return `CASE WHEN regexp_full_match(${expr}, ${sqlString(source)}) THEN (${then}) ELSE false END`;
}

const IDCARD_REGEX = fullMatch(IDCARD_RE);
const USCC_REGEX = fullMatch(USCC_RE);
const MOBILE_REGEX = fullMatch(MOBILE_RE);
const ADCODE_REGEX = fullMatch(ADCODE_RE);
const EMAIL_REGEX = fullMatch(EMAIL_RE);
const USCC_FIRST17_REGEX = fullMatch(`${USCC_CHAR_RE}{17}`);

// ---------------------------------------------------------------------------------------------
// Identity number (居民身份证号码, GB 11643-1999)
// ---------------------------------------------------------------------------------------------

/** Compute the GB 11643-1999 check character ('0'-'9' or 'X') for the first 17 digits of an identity number. */
export function idcardCheckChar(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) throw new RangeError(`idcardCheckChar needs 17 digits, got ${JSON.stringify(first17)}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * IDCARD_WEIGHTS[i];
  return IDCARD_CHECK_CHARS[sum % 11];
}

/** Whether `year` is a Gregorian leap year. */
function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month (1-12) of a year. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** JS predicate for identity numbers. */
function checkIdcard(value: string): boolean {
  if (!IDCARD_REGEX.test(value)) return false;
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  if (day > daysInMonth(year, month)) return false;
  return idcardCheckChar(value.slice(0, 17)) === value[17].toUpperCase();
}

/**
 * SQL predicate for identity numbers. Once the regex has vouched for the shape, the first 17 digits are read as
 * one integer and every digit comes out of it by integer arithmetic: a cast and a few vectorised divisions cost a
 * fifth of cutting the string into 17 one-character pieces.
 */
function sqlIdcard(value: string, once = inline): string {
  const e = `(${value})`;
  const n = once(`TRY_CAST(substr(${e}, 1, 17) AS BIGINT)`);
  // Digit i (1-based) of the 17 is (n // 10^(17 - i)) % 10; the date is digits 7-14.
  const digits = (from: number, count: number) => `((${n} // ${10n ** BigInt(17 - (from + count - 1))}) % ${10 ** count})`;
  const year = digits(7, 4);
  const leap = `((${year} % 4 = 0 AND ${year} % 100 <> 0) OR ${year} % 400 = 0)`;
  const maxDay = `CASE ${digits(11, 2)} WHEN 2 THEN (CASE WHEN ${leap} THEN 29 ELSE 28 END) WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END`;
  const dayOk = `${digits(13, 2)} <= ${maxDay}`;
  const sum = IDCARD_WEIGHTS.map((w, i) => `${digits(i + 1, 1)} * ${w}`).join(' + ');
  const checkOk = `substr(${sqlString(IDCARD_CHECK_CHARS)}, (${sum}) % 11 + 1, 1) = upper(substr(${e}, 18, 1))`;
  return sqlGuarded(e, IDCARD_RE, `${dayOk} AND ${checkOk}`);
}

// ---------------------------------------------------------------------------------------------
// Unified social credit code (统一社会信用代码, GB 32100-2015)
// ---------------------------------------------------------------------------------------------

/** Compute the GB 32100-2015 check character for the first 17 characters of a unified social credit code. */
export function usccCheckChar(first17: string): string {
  if (!USCC_FIRST17_REGEX.test(first17)) {
    throw new RangeError(`usccCheckChar needs 17 characters of ${USCC_CHARSET}, got ${JSON.stringify(first17)}`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARSET.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_CHARSET[(31 - (sum % 31)) % 31];
}

/** JS predicate for unified social credit codes. */
function checkUscc(value: string): boolean {
  return USCC_REGEX.test(value) && usccCheckChar(value.slice(0, 17)) === value[17];
}

/** Each ASCII code's value in the USCC character set (0 for characters outside it, which the regex refuses first). */
const USCC_VALUE_BY_CODE = `[${Array.from({ length: 128 }, (_, code) => Math.max(0, USCC_CHARSET.indexOf(String.fromCharCode(code)))).join(',')}]`;

/**
 * SQL predicate for unified social credit codes. Once the regex has vouched for 18 ASCII characters, their bytes
 * are read eight at a time from the hex of the string as two integers (plus the 17th alone); each byte is shifted
 * out and looked up in a table of values — far cheaper than 17 substrings each searched in the character set.
 */
function sqlUscc(value: string, once = inline): string {
  const e = `(${value})`;
  const words = [0, 1].map((k) => once(`TRY_CAST('0x' || substr(hex(${e}), ${1 + 16 * k}, 16) AS UBIGINT)`));
  const code = (i: number) => (i < 16 ? `((${words[Math.floor(i / 8)]} >> ${8 * (7 - (i % 8))}) & 255)::INTEGER` : `ascii(substr(${e}, ${i + 1}, 1))`);
  const sum = USCC_WEIGHTS.map((w, i) => `${USCC_VALUE_BY_CODE}[${code(i)} + 1] * ${w}`).join(' + ');
  const checkOk = `substr(${sqlString(USCC_CHARSET)}, (31 - (${sum}) % 31) % 31 + 1, 1) = substr(${e}, 18, 1)`;
  return sqlGuarded(e, USCC_RE, checkOk);
}

// ---------------------------------------------------------------------------------------------
// Simple shape-only formats
// ---------------------------------------------------------------------------------------------

/** JS predicate for email addresses. */
function checkEmail(value: string): boolean {
  return EMAIL_REGEX.test(value) && value.length <= EMAIL_MAX_LENGTH && value.indexOf('@') <= EMAIL_MAX_LOCAL_LENGTH;
}

/** SQL predicate for email addresses. */
function sqlEmail(value: string): string {
  const e = `(${value})`;
  // The regex admits only ASCII and exactly one '@', so length and strpos agree with JS code units.
  return sqlGuarded(e, EMAIL_RE, `length(${e}) <= ${EMAIL_MAX_LENGTH} AND strpos(${e}, '@') <= ${EMAIL_MAX_LOCAL_LENGTH + 1}`);
}

/** Build a format that is a pure regex shape check. */
function regexFormat(label: string, labelEn: string, source: string, regex: RegExp): FieldFormat {
  return {
    label,
    labelEn,
    check: (value) => regex.test(value),
    sql: (expr) => `regexp_full_match((${expr}), ${sqlString(source)})`,
  };
}

/** The field formats by name, each with a JS predicate and an equivalent DuckDB SQL expression. */
export const FORMATS: Record<FormatName, FieldFormat> = {
  idcard: { label: '居民身份证号码', labelEn: 'Resident identity card number', check: checkIdcard, sql: sqlIdcard },
  uscc: { label: '统一社会信用代码', labelEn: 'Unified social credit code', check: checkUscc, sql: sqlUscc },
  mobile: regexFormat('手机号码', 'Mobile phone number', MOBILE_RE, MOBILE_REGEX),
  adcode: regexFormat('行政区划代码', 'Administrative division code', ADCODE_RE, ADCODE_REGEX),
  email: { label: '电子邮箱', labelEn: 'Email address', check: checkEmail, sql: sqlEmail },
};

/** All format names, in display order. */
export const FORMAT_NAMES: readonly FormatName[] = ['idcard', 'uscc', 'mobile', 'adcode', 'email'];

// ---------------------------------------------------------------------------------------------
// Generators for demo data
// ---------------------------------------------------------------------------------------------

/** A random integer in [0, n) from a [0, 1) random source. */
function randomInt(rand: () => number, n: number): number {
  return Math.min(n - 1, Math.max(0, Math.floor(rand() * n)));
}

/** `count` random decimal digits. */
function randomDigits(rand: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(randomInt(rand, 10));
  return out;
}

/** Milliseconds of UTC+8 (Asia/Shanghai, no DST since 1991). */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** Generate a valid identity number for a 6-digit district code and a birth date (taken as its Asia/Shanghai calendar day). */
export function randomValidIdcard(rand: () => number, districtAdcode: string, birth: Date): string {
  if (!ADCODE_REGEX.test(districtAdcode)) throw new RangeError(`Not an adcode: ${JSON.stringify(districtAdcode)}`);
  const local = new Date(birth.getTime() + SHANGHAI_OFFSET_MS);
  const year = local.getUTCFullYear();
  if (!(year >= 1900 && year <= 2100)) throw new RangeError(`Birth year out of range 1900-2100: ${year}`);
  const ymd = `${year}${String(local.getUTCMonth() + 1).padStart(2, '0')}${String(local.getUTCDate()).padStart(2, '0')}`;
  const first17 = `${districtAdcode}${ymd}${randomDigits(rand, 3)}`;
  return first17 + idcardCheckChar(first17);
}

/** Common registration-authority + entity-type prefixes (登记管理部门码 + 机构类别码), mostly enterprises. */
const USCC_PREFIXES = ['91', '91', '91', '91', '92', '93', '11', '12', '13', '51', '52', '53', 'Y1'] as const;
/** GB 11714-1997 weights of the 8-character organisation code body. */
const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

/** Value of an organisation-code character under GB 11714 (digits 0-9, letters A=10 .. Z=35). */
function orgCodeValue(char: string): number {
  const code = char.charCodeAt(0);
  return code <= 57 ? code - 48 : code - 55;
}

/** Generate a valid unified social credit code registered in `adcode`, with a GB 11714-valid organisation code inside. */
export function randomValidUscc(rand: () => number, adcode: string): string {
  if (!/^[0-9]{6}$/.test(adcode)) throw new RangeError(`Not a 6-digit adcode: ${JSON.stringify(adcode)}`);
  const prefix = USCC_PREFIXES[randomInt(rand, USCC_PREFIXES.length)];
  // Market-regulation-assigned organisation codes since 2015 typically start with "MA".
  let body = rand() < 0.6 ? 'MA' : '';
  while (body.length < 8) body += USCC_CHARSET[randomInt(rand, USCC_CHARSET.length)];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += orgCodeValue(body[i]) * ORG_CODE_WEIGHTS[i];
  const c9 = 11 - (sum % 11);
  const orgCheck = c9 === 10 ? 'X' : c9 === 11 ? '0' : String(c9);
  const first17 = `${prefix}${adcode}${body}${orgCheck}`;
  return first17 + usccCheckChar(first17);
}

/** Generate a random 11-digit mainland mobile number (1[3-9] followed by 9 digits), without country prefix. */
export function randomMobile(rand: () => number): string {
  return `1${3 + randomInt(rand, 7)}${randomDigits(rand, 9)}`;
}
