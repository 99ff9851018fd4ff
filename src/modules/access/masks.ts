import { createHmac } from 'node:crypto';
import { fail } from '../../errors.ts';
import type { FieldMask } from '../../lake/lake.ts';
import type { FieldSpec } from '../catalogue/types.ts';

/**
 * How a grant shows a field (脱敏方式): in clear, partly masked (350203********1234, 138****5678, 张*), as a keyed
 * hash (a stable pseudonym to join on, different for every consumer organisation), or not at all (drop).
 * `partial:S:E` keeps S leading and E trailing characters.
 */
export type MaskName = 'clear' | 'partial' | 'hash' | 'drop' | `partial:${number}:${number}`;

/** The characters a partial mask keeps, by the field's format. */
const PARTIAL_BY_FORMAT: Record<string, [number, number]> = { idcard: [6, 4], mobile: [3, 4], uscc: [8, 4] };

/** The mask a grant gives a field unless the provider chooses otherwise, from the field's sensitivity. */
export function defaultMask(f: FieldSpec): MaskName {
  if (f.sensitivity === 'secret') return f.type === 'string' && f.format ? 'partial' : 'drop';
  if (f.sensitivity === 'sensitive') return f.type === 'string' ? 'partial' : 'drop';
  return 'clear';
}

/** Checks a mask name for a field, or refuses it with the reason. */
export function checkMask(f: FieldSpec, m: string): MaskName {
  if (m === 'clear' || m === 'drop') return m;
  if (m === 'hash') {
    if (f.type === 'json' || f.type === 'geopoint') fail('VALIDATION_FAILED', { reason: `field ${f.name}: a keyed hash applies to text, number, date and time fields` });
    return m;
  }
  const p = /^partial(?::(\d{1,2}):(\d{1,2}))?$/.exec(m);
  if (!p) return fail('VALIDATION_FAILED', { reason: `field ${f.name}: mask must be clear, partial, partial:S:E, hash or drop` });
  if (f.type !== 'string') fail('VALIDATION_FAILED', { reason: `field ${f.name}: a partial mask applies to text fields; use hash or drop for ${f.type}` });
  return m as MaskName;
}

/** The Lake's form of a mask, or null for clear and drop. `hashKey` is the consumer organisation's join key (hex). */
export function toFieldMask(f: FieldSpec, m: MaskName, hashKey: string): FieldMask | null {
  if (m === 'clear' || m === 'drop') return null;
  if (m === 'hash') return { kind: 'hash', key: hashKey };
  const p = /^partial:(\d+):(\d+)$/.exec(m);
  const [keepStart, keepEnd] = p ? [Number(p[1]), Number(p[2])] : (PARTIAL_BY_FORMAT[f.format ?? ''] ?? [1, 0]);
  return { kind: 'partial', keepStart, keepEnd };
}

/** The same masks in JavaScript, the reference the engines' SQL is tested against. */
export function maskValue(v: string | null, m: FieldMask): string | null {
  if (v === null) return null;
  if (m.kind === 'hash') return createHmac('sha256', Buffer.from(m.key, 'hex')).update(v, 'utf8').digest('hex');
  const chars = [...v];
  if (chars.length <= m.keepStart + m.keepEnd) return '*'.repeat(chars.length);
  return chars.slice(0, m.keepStart).join('') + '*'.repeat(chars.length - m.keepStart - m.keepEnd) + (m.keepEnd ? chars.slice(-m.keepEnd).join('') : '');
}
