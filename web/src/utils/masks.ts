// Field masks (脱敏方式) a provider may choose, mirroring src/modules/access/masks.ts.
import type { Field, MaskName } from '../api/types';

/**
 * The mask a grant gives a field unless the provider chooses otherwise, from its sensitivity: secret text fields
 * with a format (ID card, mobile, …) and sensitive text fields partly masked; other secret or sensitive fields not
 * provided; the rest in clear.
 */
export function defaultMask(f: Field): MaskName {
  if (f.sensitivity === 'secret') return f.type === 'string' && f.format ? 'partial' : 'drop';
  if (f.sensitivity === 'sensitive') return f.type === 'string' ? 'partial' : 'drop';
  return 'clear';
}

/** The masks that apply to a field's type: partial only to text, hash not to JSON or coordinates. */
export function maskOptions(f: Field): MaskName[] {
  const out: MaskName[] = ['clear'];
  if (f.type === 'string') out.push('partial');
  if (f.type !== 'json' && f.type !== 'geopoint') out.push('hash');
  out.push('drop');
  return out;
}
