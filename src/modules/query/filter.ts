import { fail } from '../../errors.ts';

/** A literal in a filter: text, number, boolean or null. */
export type Literal = string | number | boolean | null;

/** The parsed form of the query filter language; engines compile it to their own SQL. */
export type Filter =
  | { op: 'and' | 'or'; args: Filter[] }
  | { op: 'not'; arg: Filter }
  | { op: 'cmp'; field: string; cmp: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { op: 'in'; field: string; values: Literal[]; negate: boolean }
  | { op: 'between'; field: string; lo: Literal; hi: Literal }
  | { op: 'prefix'; field: string; value: string }
  | { op: 'contains'; field: string; value: string }
  | { op: 'null'; field: string; negate: boolean };

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'end'; pos: number };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'between', 'true', 'false']);
const MAX_LENGTH = 8192;
const MAX_NODES = 500;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) fail('BAD_FILTER', { reason: `unterminated string starting at position ${start + 1}` });
        if (src[i] === c) {
          if (src[i + 1] === c) {
            s += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: 'str', v: s, pos: start });
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && (c !== '-' || out.length === 0 || out[out.length - 1].t === 'op')) {
      out.push({ t: 'num', v: Number(num[0]), pos: start });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'ident', v: id[0], pos: start });
      i += id[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|<>|\^=|=|<|>|~|\(|\)|,)/.exec(src.slice(i));
    if (op) {
      out.push({ t: 'op', v: op[0] === '<>' ? '!=' : op[0], pos: start });
      i += op[0].length;
      continue;
    }
    fail('BAD_FILTER', { reason: `unexpected character ${JSON.stringify(c)} at position ${i + 1}` });
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

/**
 * Parses the filter language, e.g. `district = '350203' and capital >= 100 and name ^= '厦门'`.
 * Operators: = != < <= > >=, in (…), not in (…), between … and …, ^= (prefix), ~ (contains), is [not] null;
 * combined with and, or, not and parentheses. Field names are checked later against the schema.
 */
export function parseFilter(src: string): Filter {
  if (src.length > MAX_LENGTH) fail('BAD_FILTER', { reason: `longer than ${MAX_LENGTH} characters` });
  const toks = tokenize(src);
  let p = 0;
  let nodes = 0;
  const peek = () => toks[p];
  const isKw = (t: Token, kw: string) => t.t === 'ident' && t.v.toLowerCase() === kw;
  const isOp = (t: Token, op: string) => t.t === 'op' && t.v === op;
  const where = (t: Token) => (t.t === 'end' ? 'at the end' : `at position ${t.pos + 1}`);
  const expectOp = (op: string) => {
    const t = toks[p];
    if (!isOp(t, op)) fail('BAD_FILTER', { reason: `expected "${op}" ${where(t)}` });
    p++;
  };
  const node = <T extends Filter>(f: T): T => {
    if (++nodes > MAX_NODES) fail('BAD_FILTER', { reason: `more than ${MAX_NODES} conditions` });
    return f;
  };

  const literal = (): Literal => {
    const t = toks[p];
    if (t.t === 'str' || t.t === 'num') {
      p++;
      return t.v;
    }
    if (isKw(t, 'true') || isKw(t, 'false')) {
      p++;
      return (t as { v: string }).v.toLowerCase() === 'true';
    }
    if (isKw(t, 'null')) {
      p++;
      return null;
    }
    return fail('BAD_FILTER', { reason: `expected a value (a 'quoted string', a number, true or false) ${where(t)}` });
  };

  const predicate = (): Filter => {
    const t = toks[p];
    if (isOp(t, '(')) {
      p++;
      const f = orExpr();
      expectOp(')');
      return f;
    }
    if (isKw(t, 'not')) {
      p++;
      return node({ op: 'not', arg: predicate() });
    }
    if (t.t !== 'ident' || KEYWORDS.has(t.v.toLowerCase())) {
      fail('BAD_FILTER', { reason: `expected a field name ${where(t)}` });
    }
    const field = t.v;
    p++;
    const o = toks[p];
    if (o.t === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(o.v)) {
      p++;
      const value = literal();
      if (value === null) fail('BAD_FILTER', { reason: `use "${field} is null" rather than comparing with null` });
      return node({ op: 'cmp', field, cmp: o.v as '=', value });
    }
    if (isOp(o, '^=') || isOp(o, '~')) {
      p++;
      const v = toks[p];
      if (v.t !== 'str') fail('BAD_FILTER', { reason: `"${o.t === 'op' ? o.v : ''}" needs a 'quoted string' ${where(v)}` });
      p++;
      return node({ op: isOp(o, '^=') ? 'prefix' : 'contains', field, value: (v as { v: string }).v });
    }
    let negate = false;
    if (isKw(o, 'not')) {
      negate = true;
      p++;
    }
    const k = toks[p];
    if (isKw(k, 'in')) {
      p++;
      expectOp('(');
      const values: Literal[] = [literal()];
      while (isOp(toks[p], ',')) {
        p++;
        values.push(literal());
        if (values.length > 1000) fail('BAD_FILTER', { reason: 'an in (…) list may hold at most 1000 values' });
      }
      expectOp(')');
      return node({ op: 'in', field, values, negate });
    }
    if (!negate && isKw(k, 'between')) {
      p++;
      const lo = literal();
      if (!isKw(toks[p], 'and')) fail('BAD_FILTER', { reason: `expected "and" in between ${where(toks[p])}` });
      p++;
      const hi = literal();
      return node({ op: 'between', field, lo, hi });
    }
    if (!negate && isKw(k, 'is')) {
      p++;
      let neg = false;
      if (isKw(toks[p], 'not')) {
        neg = true;
        p++;
      }
      if (!isKw(toks[p], 'null')) fail('BAD_FILTER', { reason: `expected "null" ${where(toks[p])}` });
      p++;
      return node({ op: 'null', field, negate: neg });
    }
    return fail('BAD_FILTER', { reason: `expected an operator after ${field} ${where(k)}` });
  };

  const andExpr = (): Filter => {
    const args = [predicate()];
    while (isKw(peek(), 'and')) {
      p++;
      args.push(predicate());
    }
    return args.length === 1 ? args[0] : node({ op: 'and', args });
  };
  const orExpr = (): Filter => {
    const args = [andExpr()];
    while (isKw(peek(), 'or')) {
      p++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0] : node({ op: 'or', args });
  };

  if (toks[0].t === 'end') fail('BAD_FILTER', { reason: 'the filter is empty' });
  const f = orExpr();
  if (toks[p].t !== 'end') fail('BAD_FILTER', { reason: `unexpected ${JSON.stringify(src.slice(toks[p].pos, toks[p].pos + 12))} ${where(toks[p])}` });
  return f;
}

/** The field names a filter refers to. */
export function filterFields(f: Filter, out = new Set<string>()): Set<string> {
  switch (f.op) {
    case 'and':
    case 'or':
      for (const a of f.args) filterFields(a, out);
      break;
    case 'not':
      filterFields(f.arg, out);
      break;
    default:
      out.add(f.field);
  }
  return out;
}
