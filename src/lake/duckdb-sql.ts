import type { FieldSpec, FieldType } from '../modules/catalogue/types.ts';
import { FORMATS } from '../modules/catalogue/validators/formats.ts';
import { sqlDate, sqlTimestamp } from '../modules/catalogue/validators/dates.ts';
import type { Filter, Literal } from '../modules/query/filter.ts';
import type { Bucket, FieldMask, SortKey } from './lake.ts';

/** DuckDB column type of each field type. */
export const DUCK_TYPES: Record<FieldType, string> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  decimal: 'DECIMAL(18,4)',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  geopoint: 'STRUCT(lon DOUBLE, lat DOUBLE)',
  json: 'JSON',
};

/** Quotes an identifier (field names are already restricted to [a-z][a-z0-9_]*). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The table of a dataset. */
export function tableName(code: string): string {
  return ident(`ds_${code.toLowerCase().replace(/[^a-z0-9]/g, '_')}`);
}

const TRUE_WORDS = ['true', 't', '1', 'yes', 'y', '是'];
const FALSE_WORDS = ['false', 'f', '0', 'no', 'n', '否'];

/** Converts a raw VARCHAR expression (never empty: NULLIF'd) to the field's type, or NULL when it does not convert. */
export function typedExpr(f: FieldSpec, raw: string): string {
  switch (f.type) {
    case 'string':
      return raw;
    case 'integer':
      return `TRY_CAST(trim(${raw}) AS BIGINT)`;
    case 'decimal':
      return `TRY_CAST(trim(${raw}) AS DECIMAL(18,4))`;
    case 'boolean':
      return `(CASE WHEN lower(trim(${raw})) IN (${TRUE_WORDS.map(lit).join(',')}) THEN true WHEN lower(trim(${raw})) IN (${FALSE_WORDS.map(lit).join(',')}) THEN false END)`;
    case 'date':
      // Plain ISO dates take the fast cast (its shape guard keeps it to what parseDate accepts); other accepted
      // shapes go through the pattern parser.
      return `(CASE WHEN regexp_full_match(${raw}, '[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST(${raw} AS DATE) ELSE ${sqlDate(raw)} END)`;
    case 'timestamp':
      return sqlTimestamp(raw);
    case 'geopoint': {
      const parts = `TRY_CAST(string_split(regexp_replace(${raw}, '[\\[\\]\\s]', '', 'g'), ',') AS DOUBLE[])`;
      return `(CASE WHEN len(${parts}) = 2 AND ${parts}[1] BETWEEN -180 AND 180 AND ${parts}[2] BETWEEN -90 AND 90 THEN struct_pack(lon := ${parts}[1], lat := ${parts}[2]) END)`;
    }
    case 'json':
      return `(CASE WHEN json_valid(${raw}) THEN ${raw}::JSON END)`;
  }
}

/** Formats whose values are (nearly) all different: no dictionary will ever pay off for them. */
const DISTINCT_FORMATS: ReadonlySet<string> = new Set(['idcard', 'uscc', 'mobile', 'email']);

/**
 * A column's definition. Text that is (nearly) always distinct — a key, an identity or credit code, a phone or
 * email, personal data — is compressed with FSST outright: weighing every other method for it took a quarter of
 * the write. Other text keeps the engine's choice, where dictionaries make group-bys on low-cardinality fields fast.
 */
export function columnSql(f: FieldSpec): string {
  const distinct = f.type === 'string' && !f.enum?.length && (f.primaryKey || DISTINCT_FORMATS.has(f.format ?? '') || f.sensitivity === 'sensitive' || f.sensitivity === 'secret');
  return `${ident(f.name)} ${DUCK_TYPES[f.type]}${distinct ? ' USING COMPRESSION fsst' : ''}`;
}

/**
 * A CASE expression naming the first rule a value breaks (NULL when valid), given its raw and typed forms;
 * `once` lets a format have a helper value computed once per row (see FieldFormat.sql).
 */
export function ruleExpr(f: FieldSpec, raw: string, typed: string = typedExpr(f, raw), once?: (sql: string) => string): string {
  const arms: string[] = [];
  arms.push(`WHEN ${raw} IS NULL THEN ${f.required || f.primaryKey ? "'required'" : 'NULL'}`);
  if (f.type !== 'string') arms.push(`WHEN ${typed} IS NULL THEN 'type'`);
  if (f.enum && f.enum.length) arms.push(`WHEN ${raw} NOT IN (${f.enum.map(lit).join(', ')}) THEN 'enum'`);
  if ((f.type === 'integer' || f.type === 'decimal') && (f.min !== undefined || f.max !== undefined)) {
    const conds = [];
    if (f.min !== undefined) conds.push(`${typed} < ${Number(f.min)}`);
    if (f.max !== undefined) conds.push(`${typed} > ${Number(f.max)}`);
    arms.push(`WHEN ${conds.join(' OR ')} THEN 'range'`);
  }
  if (f.minLength !== undefined || f.maxLength !== undefined) {
    const conds = [];
    if (f.minLength !== undefined) conds.push(`length(${raw}) < ${Math.floor(f.minLength)}`);
    if (f.maxLength !== undefined) conds.push(`length(${raw}) > ${Math.floor(f.maxLength)}`);
    arms.push(`WHEN ${conds.join(' OR ')} THEN 'length'`);
  }
  if (f.pattern) arms.push(`WHEN NOT regexp_full_match(${raw}, ${lit(f.pattern)}) THEN 'pattern'`);
  if (f.format) arms.push(`WHEN NOT (${FORMATS[f.format].sql(raw, once)}) THEN ${lit(f.format)}`);
  return `(CASE ${arms.join(' ')} ELSE NULL END)`;
}

/** Binds literals positionally while compiling a filter. */
export class Params {
  readonly values: (string | number | boolean | bigint | null)[] = [];
  /** Binds a value and returns its numbered placeholder, which may be used more than once. */
  add(v: Literal | bigint): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function cast(f: FieldSpec, p: string): string {
  return f.type === 'string' ? p : `CAST(${p} AS ${DUCK_TYPES[f.type]})`;
}

/** Compiles a filter to a DuckDB boolean expression; literals have been normalised to the field types. */
export function filterSql(filter: Filter, fields: Map<string, FieldSpec>, params: Params): string {
  const col = (name: string) => ident(name);
  const fieldOf = (name: string) => fields.get(name) as FieldSpec;
  switch (filter.op) {
    case 'and':
    case 'or':
      return `(${filter.args.map((a) => filterSql(a, fields, params)).join(filter.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT coalesce(${filterSql(filter.arg, fields, params)}, false))`;
    case 'cmp': {
      const op = filter.cmp === '!=' ? '<>' : filter.cmp;
      return `(${col(filter.field)} ${op} ${cast(fieldOf(filter.field), params.add(filter.value))})`;
    }
    case 'in': {
      const f = fieldOf(filter.field);
      const list = filter.values.filter((v) => v !== null).map((v) => cast(f, params.add(v)));
      if (!list.length) return filter.negate ? 'true' : 'false';
      return `(${col(filter.field)} ${filter.negate ? 'NOT IN' : 'IN'} (${list.join(', ')}))`;
    }
    case 'between': {
      const f = fieldOf(filter.field);
      return `(${col(filter.field)} BETWEEN ${cast(f, params.add(filter.lo))} AND ${cast(f, params.add(filter.hi))})`;
    }
    case 'prefix':
      return `starts_with(${col(filter.field)}, ${params.add(filter.value)})`;
    case 'contains':
      return `contains(lower(${col(filter.field)}), lower(${params.add(filter.value)}))`;
    case 'null':
      return `(${col(filter.field)} IS ${filter.negate ? 'NOT ' : ''}NULL)`;
  }
}

/** A text-search condition over the given text fields. */
export function textSearchSql(q: string, textFields: string[], params: Params): string {
  if (!textFields.length) return 'false';
  const terms = q.split(/\s+/).filter(Boolean).slice(0, 8);
  return `(${terms
    .map((t) => {
      const p = params.add(t.toLowerCase());
      return `(${textFields.map((f) => `contains(lower(${ident(f)}), ${p})`).join(' OR ')})`;
    })
    .join(' AND ')})`;
}

/**
 * The keyset condition "after these sort values", with NULLS LAST in both directions. `ridCol` names the column
 * that holds the row id (`rowid` in a dataset's table, `_rid` in a sort index that copied it).
 */
export function keysetSql(keys: SortKey[], values: Literal[], fields: Map<string, FieldSpec>, params: Params, ridCol = 'rowid'): string {
  const ors: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      const v = values[j];
      const c = keyCol(keys[j].field, ridCol);
      parts.push(v === null ? `${c} IS NULL` : `${c} = ${keyCast(keys[j].field, fields, params.add(v))}`);
    }
    const v = values[i];
    const c = keyCol(keys[i].field, ridCol);
    if (v === null) continue; // nothing sorts after NULL in the same key (NULLS LAST)
    const p = keyCast(keys[i].field, fields, params.add(v));
    // A column that can hold no NULL (the row id, a required field) gets a plain range, which the engine pushes
    // into the scan: "> v OR IS NULL" would make it read every row before the cursor.
    const f = fields.get(keys[i].field);
    const nullable = keys[i].field !== '_rid' && !(f?.required || f?.primaryKey);
    parts.push(nullable ? `(${c} ${keys[i].desc ? '<' : '>'} ${p} OR ${c} IS NULL)` : `${c} ${keys[i].desc ? '<' : '>'} ${p}`);
    ors.push(`(${parts.join(' AND ')})`);
  }
  return ors.length ? `(${ors.join(' OR ')})` : 'false';
}

function keyCol(name: string, ridCol = 'rowid'): string {
  return name === '_rid' ? ridCol : ident(name);
}

function keyCast(name: string, fields: Map<string, FieldSpec>, p: string): string {
  if (name === '_rid') return `CAST(${p} AS BIGINT)`;
  return cast(fields.get(name) as FieldSpec, p);
}

/** ORDER BY for sort keys (NULLS LAST); `ridCol` as for keysetSql. */
export function orderSql(keys: SortKey[], ridCol = 'rowid'): string {
  return keys.map((k) => `${keyCol(k.field, ridCol)} ${k.desc ? 'DESC' : 'ASC'} NULLS LAST`).join(', ');
}

/** A grouping expression, bucketed for date/timestamp fields. */
export function bucketSql(field: string, bucket: Bucket | null): string {
  return bucket ? `date_trunc(${lit(bucket)}, ${ident(field)})` : ident(field);
}

/** HMAC-SHA-256 of a VARCHAR expression under a key (hex), computed in SQL; equal to Node's createHmac('sha256'). */
export function hmacSql(expr: string, keyHex: string): string {
  const key = Buffer.alloc(64);
  Buffer.from(keyHex, 'hex').copy(key);
  const pad = (b: number) => Buffer.from(key.map((x) => x ^ b)).toString('hex');
  return `sha256(unhex('${pad(0x5c)}') || unhex(sha256(unhex('${pad(0x36)}') || encode(${expr}))))`;
}

/** The masked form of a column (text), or NULL where the value is NULL. */
export function maskSql(column: string, mask: FieldMask): string {
  const text = `CAST(${column} AS VARCHAR)`;
  if (mask.kind === 'hash') return `(CASE WHEN ${column} IS NULL THEN NULL ELSE ${hmacSql(text, mask.key)} END)`;
  const ks = Math.max(0, Math.floor(mask.keepStart));
  const ke = Math.max(0, Math.floor(mask.keepEnd));
  return `(CASE WHEN ${column} IS NULL THEN NULL WHEN length(${text}) <= ${ks + ke} THEN repeat('*', length(${text}))
    ELSE left(${text}, ${ks}) || repeat('*', length(${text}) - ${ks + ke}) || right(${text}, ${ke}) END)`;
}

/** A selected column: masked when a mask is given, JSON as text, otherwise the column itself. */
export function outputColumnSql(f: FieldSpec, masks: Record<string, FieldMask>): string {
  const m = masks[f.name];
  if (m) return `${maskSql(ident(f.name), m)} AS ${ident(f.name)}`;
  return f.type === 'json' ? `${ident(f.name)}::VARCHAR AS ${ident(f.name)}` : ident(f.name);
}

/** A SQL expression producing one RFC 4180 CSV line from the selected fields (masked ones as their masks). */
export function csvLineSql(fields: FieldSpec[], masks: Record<string, FieldMask> = {}): string {
  const cells = fields.map((f) => {
    const c = masks[f.name] ? maskSql(ident(f.name), masks[f.name]) : ident(f.name);
    if (masks[f.name]) return `coalesce('"' || replace(${c}, '"', '""') || '"', '')`;
    const text =
      f.type === 'timestamp'
        ? `strftime(${c}, '%Y-%m-%dT%H:%M:%SZ')`
        : f.type === 'geopoint'
          ? `(${c}.lon::VARCHAR || ',' || ${c}.lat::VARCHAR)`
          : `${c}::VARCHAR`;
    return `coalesce('"' || replace(${text}, '"', '""') || '"', '')`;
  });
  return `concat_ws(',', ${cells.join(', ')})`;
}
