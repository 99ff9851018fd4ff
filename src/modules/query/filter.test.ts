import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { filterFields, parseFilter } from './filter.ts';

describe('filter language', () => {
  it('parses comparisons joined by and/or with the usual precedence', () => {
    expect(parseFilter("a = 'x' or b > 2 and c != -1.5")).toEqual({
      op: 'or',
      args: [
        { op: 'cmp', field: 'a', cmp: '=', value: 'x' },
        { op: 'and', args: [{ op: 'cmp', field: 'b', cmp: '>', value: 2 }, { op: 'cmp', field: 'c', cmp: '!=', value: -1.5 }] },
      ],
    });
  });

  it('parses in, not in, between, prefix, contains and null tests', () => {
    const f = parseFilter("status in ('存续', '在业') and not (x not in (1,2)) and d between '2020-01-01' and '2020-12-31' and name ^= '厦门' and addr ~ '路' and closed is null and opened is not null");
    expect(f.op).toBe('and');
    expect([...filterFields(f)].sort()).toEqual(['addr', 'closed', 'd', 'name', 'opened', 'status', 'x']);
  });

  it('keeps quotes doubled inside strings', () => {
    expect(parseFilter("name = 'O''Brien'")).toEqual({ op: 'cmp', field: 'name', cmp: '=', value: "O'Brien" });
  });

  it.each([
    ['', 'empty'],
    ["name = 'abc", 'unterminated'],
    ['name = ', 'expected a value'],
    ['= 3', 'field name'],
    ['a = 1 b = 2', 'unexpected'],
    ['a == 1', 'expected a value'],
    ['a = null', 'is null'],
    ['a; drop table x', 'unexpected character'],
    ['(a = 1', 'expected ")"'],
  ])('refuses %j with a readable reason', (src, reason) => {
    try {
      parseFilter(src);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('BAD_FILTER');
      expect((e as AppError).message).toContain(reason);
    }
  });
});
