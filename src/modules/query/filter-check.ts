import { fail } from '../../errors.ts';
import type { FieldSpec } from '../catalogue/types.ts';
import { parseDate, parseTimestamp } from '../catalogue/validators/dates.ts';
import type { Filter, Literal } from './filter.ts';

/** Field types with no order: they can only be tested for null. */
export const UNORDERED = new Set(['json', 'geopoint']);

/** Converts a filter literal to the field's type, or refuses it with the field named. */
export function normaliseLiteral(f: FieldSpec, v: Literal): Literal {
  if (v === null) return null;
  const bad = (): never => fail('BAD_FILTER', { reason: `${JSON.stringify(v)} is not a valid ${f.type} for field ${f.name}` });
  switch (f.type) {
    case 'string':
      return String(v);
    case 'integer': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      if (!Number.isSafeInteger(n)) bad();
      return n;
    }
    case 'decimal': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      if (!Number.isFinite(n) || String(v).trim() === '') bad();
      // Decimal fields hold up to 14 integer digits (DECIMAL(18,4)); a larger literal cannot be compared with them.
      if (Math.abs(n) >= 1e14) fail('BAD_FILTER', { reason: `${v} is outside the range of decimal field ${f.name} (up to ±99,999,999,999,999.9999)` });
      return n;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (['true', 'false'].includes(String(v).toLowerCase())) return String(v).toLowerCase() === 'true';
      return bad();
    case 'date':
      return parseDate(String(v)) ?? bad();
    case 'timestamp': {
      const t = parseTimestamp(String(v)) ?? bad();
      return t.replace('T', ' ').replace('Z', '');
    }
    default:
      return bad();
  }
}

/** Checks a parsed filter against the schema and types its literals; `usable` refuses fields the caller may not test. */
export function checkFilter(filter: Filter, fields: Map<string, FieldSpec>, dataset: string, usable: (name: string) => void = () => undefined): Filter {
  const field = (name: string) => {
    const f = fields.get(name);
    if (!f) fail('UNKNOWN_FIELD', { dataset, field: name });
    usable(name);
    return f;
  };
  switch (filter.op) {
    case 'and':
    case 'or':
      return { op: filter.op, args: filter.args.map((a) => checkFilter(a, fields, dataset, usable)) };
    case 'not':
      return { op: 'not', arg: checkFilter(filter.arg, fields, dataset, usable) };
    case 'null':
      field(filter.field);
      return filter;
    case 'prefix':
    case 'contains': {
      const f = field(filter.field);
      if (f.type !== 'string') fail('BAD_FILTER', { reason: `${filter.op === 'prefix' ? '^=' : '~'} applies to text fields; ${f.name} is ${f.type}` });
      return filter;
    }
    default: {
      const f = field(filter.field);
      if (UNORDERED.has(f.type)) fail('BAD_FILTER', { reason: `field ${f.name} (${f.type}) can only be tested with is null / is not null` });
      if (filter.op === 'cmp') return { ...filter, value: normaliseLiteral(f, filter.value) };
      if (filter.op === 'in') return { ...filter, values: filter.values.map((v) => normaliseLiteral(f, v)) };
      return { ...filter, lo: normaliseLiteral(f, filter.lo), hi: normaliseLiteral(f, filter.hi) };
    }
  }
}

