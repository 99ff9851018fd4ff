/**
 * Date and timestamp formats accepted for `date` and `timestamp` fields, with a JavaScript parser
 * and an equivalent DuckDB SQL expression for each. Both give the same value or both give NULL.
 *
 * Rules shared by JS and SQL:
 * - Values are not trimmed; the whole string must match one of the formats.
 * - Years are 1000-9999.
 * - Fractional seconds take 1-6 digits and are truncated (floored) to milliseconds.
 * - Offsets are `Z`, `±HH:MM`, `±HHMM` or `±HH` (hours 00-14); a timestamp without an offset is
 *   Asia/Shanghai local time, taken as a fixed UTC+8 (China's 1986-1991 summer time is ignored).
 * - SQL timestamps are naive TIMESTAMP values holding UTC, independent of the session TimeZone.
 * - Month, day and hour may be written with one digit between two separators (`2024-2-9 8:05:00`);
 *   minutes, seconds and the compact `%Y%m%d` always need two digits per field.
 */

/** strptime patterns accepted for `date` fields, in the order they are tried. */
export const DATE_FORMATS: readonly string[] = ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y.%m.%d', '%Y年%m月%d日'];

/**
 * strptime patterns accepted for `timestamp` fields, in the order they are tried (most common first, which is
 * also the cheapest in SQL): ISO 8601 with T or space, minutes / seconds / fractional seconds, with or without
 * an offset (`%z` also accepts `Z`), plus the slash and Chinese forms with seconds and no offset.
 * Shapes must stay mutually exclusive, and a pattern with and without `%z` must stay adjacent.
 */
export const TIMESTAMP_FORMATS: readonly string[] = [
  '%Y-%m-%d %H:%M:%S',
  '%Y-%m-%d %H:%M:%S%z',
  '%Y-%m-%dT%H:%M:%S%z',
  '%Y-%m-%dT%H:%M:%S',
  '%Y-%m-%dT%H:%M:%S.%f%z',
  '%Y-%m-%dT%H:%M:%S.%f',
  '%Y-%m-%d %H:%M:%S.%f',
  '%Y-%m-%d %H:%M:%S.%f%z',
  '%Y-%m-%d %H:%M',
  '%Y-%m-%d %H:%M%z',
  '%Y-%m-%dT%H:%M%z',
  '%Y-%m-%dT%H:%M',
  '%Y/%m/%d %H:%M:%S',
  '%Y年%m月%d日 %H:%M:%S',
];

/** Offset of Asia/Shanghai local time from UTC, in minutes (fixed UTC+8). */
const SHANGHAI_OFFSET_MINUTES = 8 * 60;

/** strptime directives understood by the format compiler. */
type Directive = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S' | 'f' | 'z';

/** One token of a strptime pattern: a directive or a literal character. */
type Token = { kind: 'directive'; directive: Directive } | { kind: 'literal'; text: string };

/** A strptime pattern compiled to a regex shared by JS (with captures) and DuckDB (RE2, without). */
interface CompiledFormat {
  /** The strptime pattern. */
  pattern: string;
  /** Directives in capture-group order. */
  fields: Directive[];
  /** Regex source without capture groups, valid in both JS and RE2. */
  shape: string;
  /** Anchored JS regex with one capture group per directive. */
  regex: RegExp;
}

/** Regex for a signed UTC offset (hours 00-14, optional minutes with optional colon) or `Z`. */
const OFFSET_RE = 'Z|[+-](?:0[0-9]|1[0-4])(?::?[0-5][0-9])?';

/** Split a strptime pattern into tokens. */
function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '%') {
      const directive = pattern[++i];
      if (!'YmdHMSfz'.includes(directive)) throw new Error(`Unsupported strptime directive %${directive} in ${pattern}`);
      tokens.push({ kind: 'directive', directive: directive as Directive });
    } else {
      tokens.push({ kind: 'literal', text: pattern[i] });
    }
  }
  return tokens;
}

/** Regex source for one directive; month, day and hour may drop a leading zero only if no directive is adjacent. */
function directiveRegex(directive: Directive, previous: Token | undefined, next: Token | undefined): string {
  switch (directive) {
    case 'Y':
      return '[1-9][0-9]{3}';
    case 'f':
      return '[0-9]{1,6}';
    case 'z':
      return OFFSET_RE;
    case 'M':
    case 'S':
      return '[0-9]{2}';
    default:
      return previous?.kind === 'directive' || next?.kind === 'directive' ? '[0-9]{2}' : '[0-9]{1,2}';
  }
}

/** Escape a literal character for a regex (JS and RE2). */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|\/-]/g, '\\$&');
}

/** Compile a strptime pattern into its shared shape regex and JS capturing regex. */
function compileFormat(pattern: string): CompiledFormat {
  const tokens = tokenize(pattern);
  const fields: Directive[] = [];
  let shape = '';
  let capturing = '';
  tokens.forEach((token, i) => {
    if (token.kind === 'literal') {
      shape += escapeRegex(token.text);
      capturing += escapeRegex(token.text);
    } else {
      const source = directiveRegex(token.directive, tokens[i - 1], tokens[i + 1]);
      fields.push(token.directive);
      shape += `(?:${source})`;
      capturing += `(${source})`;
    }
  });
  return { pattern, fields, shape, regex: new RegExp(`^${capturing}$`) };
}

/** Regex source matching any of the compiled formats (full match). */
function unionShape(formats: readonly CompiledFormat[]): string {
  return formats.map((f) => `(?:${f.shape})`).join('|');
}

/**
 * SQL CASE that sends a value to the one branch whose shape it matches, NULL if none. Each branch calls
 * try_strptime with a single constant pattern: a failed attempt costs about 1 µs in DuckDB 1.5, so a
 * pattern list (tried in order until one parses) is several times slower than shape dispatch.
 */
function sqlDispatch(expr: string, branches: readonly { formats: readonly CompiledFormat[]; then: string }[]): string {
  const arms = branches.map((b) => `WHEN regexp_full_match(${expr}, ${sqlString(unionShape(b.formats))}) THEN ${b.then}`);
  return `(CASE ${arms.join(' ')} END)`;
}

/** Quote a string as a SQL string literal. */
function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const COMPILED_DATE_FORMATS = DATE_FORMATS.map(compileFormat);
const COMPILED_TIMESTAMP_FORMATS = TIMESTAMP_FORMATS.map(compileFormat);

/** Calendar and clock fields parsed from a value; absent parts default to zero. */
interface ParsedFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC, or null when the value carries no offset. */
  offsetMinutes: number | null;
}

/** Minutes east of UTC of an offset string matched by OFFSET_RE. */
function parseOffset(text: string): number {
  if (text === 'Z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
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

/** Parse `value` with the first format whose shape it matches (as the SQL dispatch does), or null if none or invalid. */
function parseWith(formats: readonly CompiledFormat[], value: string): ParsedFields | null {
  for (const format of formats) {
    const match = format.regex.exec(value);
    if (!match) continue;
    const parsed: ParsedFields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0, offsetMinutes: null };
    format.fields.forEach((directive, i) => {
      const text = match[i + 1];
      switch (directive) {
        case 'Y': parsed.year = Number(text); break;
        case 'm': parsed.month = Number(text); break;
        case 'd': parsed.day = Number(text); break;
        case 'H': parsed.hour = Number(text); break;
        case 'M': parsed.minute = Number(text); break;
        case 'S': parsed.second = Number(text); break;
        case 'f': parsed.millisecond = Number(text.padEnd(3, '0').slice(0, 3)); break;
        case 'z': parsed.offsetMinutes = parseOffset(text); break;
      }
    });
    const valid =
      parsed.month >= 1 && parsed.month <= 12 &&
      parsed.day >= 1 && parsed.day <= daysInMonth(parsed.year, parsed.month) &&
      parsed.hour <= 23 && parsed.minute <= 59 && parsed.second <= 59;
    return valid ? parsed : null;
  }
  return null;
}

/** Parse a date in one of DATE_FORMATS to ISO `YYYY-MM-DD`, or null if it is not a valid date. */
export function parseDate(value: string): string | null {
  const parsed = parseWith(COMPILED_DATE_FORMATS, value);
  if (!parsed) return null;
  return `${parsed.year}-${String(parsed.month).padStart(2, '0')}-${String(parsed.day).padStart(2, '0')}`;
}

/** Parse a timestamp in one of TIMESTAMP_FORMATS to ISO UTC `YYYY-MM-DDTHH:MM:SS.sssZ` (no offset = UTC+8), or null. */
export function parseTimestamp(value: string): string | null {
  const parsed = parseWith(COMPILED_TIMESTAMP_FORMATS, value);
  if (!parsed) return null;
  const localMs = Date.UTC(parsed.year, parsed.month - 1, parsed.day, parsed.hour, parsed.minute, parsed.second, parsed.millisecond);
  return new Date(localMs - (parsed.offsetMinutes ?? SHANGHAI_OFFSET_MINUTES) * 60_000).toISOString();
}

/** DuckDB expression turning the VARCHAR `expr` into a DATE, or NULL when it is not a valid date in DATE_FORMATS. */
export function sqlDate(expr: string): string {
  const e = `(${expr})`;
  return sqlDispatch(
    e,
    COMPILED_DATE_FORMATS.map((f) => ({ formats: [f], then: `CAST(try_strptime(${e}, ${sqlString(f.pattern)}) AS DATE)` })),
  );
}

/** Timestamp formats grouped by their pattern without offset, in first-appearance order. */
const TIMESTAMP_FORMATS_BY_LOCAL_PATTERN: ReadonlyMap<string, readonly CompiledFormat[]> = (() => {
  const groups = new Map<string, CompiledFormat[]>();
  for (const format of COMPILED_TIMESTAMP_FORMATS) {
    const local = format.pattern.replace(/%z$/, '');
    groups.set(local, [...(groups.get(local) ?? []), format]);
  }
  return groups;
})();

/** Accepted numeric offset shapes, longest first: total length and negative positions of the hour and minute digits. */
const SQL_OFFSET_SHAPES: readonly { length: number; hour: number; minute: number | null }[] = [
  { length: 6, hour: -5, minute: -2 }, // +HH:MM
  { length: 5, hour: -4, minute: -2 }, // +HHMM
  { length: 3, hour: -2, minute: null }, // +HH
];

/**
 * DuckDB expression turning the VARCHAR `expr` into a naive TIMESTAMP holding UTC (truncated to milliseconds),
 * or NULL when it is not a valid timestamp in TIMESTAMP_FORMATS; independent of the session TimeZone.
 */
export function sqlTimestamp(expr: string): string {
  const e = `(${expr})`;
  /** SQL for the two-digit number whose first digit is at negative position `pos`. */
  const twoDigits = (pos: number): string =>
    `((ascii(substr(${e}, ${pos}, 1)) - 48) * 10 + ascii(substr(${e}, ${pos + 1}, 1)) - 48)`;
  // Offsets are cut off and applied by hand rather than parsed with %z: a try_strptime list containing %z
  // patterns rolls invalid dates over (2023-02-29 10:00:00+08:00 -> 2023-03-01), and %z yields TIMESTAMPTZ.
  // Within the accepted shapes a sign in the last 6, 5 or 3 characters can only start an offset.
  const isSign = (pos: number): string => `substr(${e}, ${pos}, 1) IN ('+', '-')`;
  const minutesBranches = SQL_OFFSET_SHAPES.map(({ length, hour, minute }) => {
    const magnitude = `${twoDigits(hour)} * 60${minute === null ? '' : ` + ${twoDigits(minute)}`}`;
    return `WHEN ${isSign(-length)} THEN (CASE WHEN substr(${e}, ${-length}, 1) = '-' THEN -1 ELSE 1 END) * (${magnitude})`;
  });
  const offsetMinutes = `CASE WHEN suffix(${e}, 'Z') THEN 0 ${minutesBranches.join(' ')} ELSE ${SHANGHAI_OFFSET_MINUTES} END`;
  const lengthBranches = SQL_OFFSET_SHAPES.map(({ length }) => `WHEN ${isSign(-length)} THEN ${length}`);
  const offsetLength = `CASE WHEN suffix(${e}, 'Z') THEN 1 ${lengthBranches.join(' ')} ELSE 0 END`;
  /** SQL parsing the value without its offset by `pattern`, then shifting it to UTC. */
  const parse = (pattern: string, mayHaveOffset: boolean): string => {
    const local = mayHaveOffset ? `substr(${e}, 1, length(${e}) - (${offsetLength}))` : e;
    const minutes = mayHaveOffset ? offsetMinutes : String(SHANGHAI_OFFSET_MINUTES);
    return `date_trunc('millisecond', try_strptime(${local}, ${sqlString(pattern)}) - to_minutes(${minutes}))`;
  };
  const branches = [...TIMESTAMP_FORMATS_BY_LOCAL_PATTERN].map(([pattern, formats]) => ({
    formats,
    then: parse(pattern, formats.some((f) => f.fields.includes('z'))),
  }));
  return sqlDispatch(e, branches);
}
