import { fail } from '../../errors.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86400_000;

/**
 * ISO 8601 date-times as the parking APIs accept them: `2025-06-02T14:00`, with seconds and fractions optional, and
 * an offset (`Z`, `+08:00`) that defaults to Beijing time when left out. Nothing looser (no RFC 2822, no space for
 * `T`): a time read in the server's own zone would silently move a booking by hours.
 */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Reads an ISO 8601 instant (see ISO_INSTANT); `what` names the field in the refusal. */
export function parseInstant(s: string, what: string): number {
  const example = 'e.g. 2026-06-02T14:00:00+08:00 (Beijing time when no offset is given)';
  const m = ISO_INSTANT.exec(s);
  if (!m) fail('VALIDATION_FAILED', { reason: `${what} ${shown(s.slice(0, 40))} is not an ISO 8601 time, ${example}` });
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const ms = Math.floor(Number(`0${m[7] ?? ''}`) * 1000);
  const zone = m[8] ?? '+08:00';
  const offsetMs = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * MINUTE_MS;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || sec > 59 || Math.abs(offsetMs) > 14 * 60 * MINUTE_MS) {
    fail('VALIDATION_FAILED', { reason: `${what} ${s} is not a valid date and time, ${example}` });
  }
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMs;
}

/** How far from now a lot's system may date an event: late reports after an outage, a little clock skew ahead. */
export const EVENT_PAST_DAYS = 7;
export const EVENT_AHEAD_MINUTES = 5;

/**
 * The time of an event reported by a lot's system (an entry, an exit, a count); now when absent. Refused when it
 * lies more than EVENT_PAST_DAYS back or EVENT_AHEAD_MINUTES ahead: an entry dated 2099 would lock the car in, one
 * dated 1970 would charge decades of parking.
 */
export function eventTime(at: string | undefined, nowMs = Date.now()): number {
  if (at === undefined) return nowMs;
  const t = parseInstant(at, 'at');
  if (t > nowMs + EVENT_AHEAD_MINUTES * MINUTE_MS) fail('VALIDATION_FAILED', { reason: `at ${at} is in the future; events are reported when they happen (a clock at most ${EVENT_AHEAD_MINUTES} minutes fast is tolerated)` });
  if (t < nowMs - EVENT_PAST_DAYS * DAY_MS) fail('VALIDATION_FAILED', { reason: `at ${at} is more than ${EVENT_PAST_DAYS} days ago; events that old are settled by the operator, not reported` });
  return t;
}

/** Provinces (and the embassy / consulate series) that open a mainland number plate (GA 36). */
const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领';
/**
 * A mainland plate: province, issuing-office letter, then five characters (six for new-energy plates), the last
 * of which may be 挂 (trailer), 学 (learner), 警 (police), 港 or 澳. Letters I and O are not used.
 */
const PLATE = new RegExp(`^[${PLATE_PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$`, 'u');

/**
 * A number plate as people type it (`闽d·12345`, full-width `闽Ｄ１２３４５`, spaces) in its one stored form
 * (`闽D12345`); anything that is not a mainland plate is refused, so a plate never carries control or direction
 * characters into the sessions dataset.
 */
export function normalisePlate(input: string): string {
  return canonicalPlate(input) ?? fail('VALIDATION_FAILED', { reason: `${shown(input.slice(0, 20))} is not a number plate such as 闽D12345 or 闽DD12345 (new energy)` });
}

/** A string quoted for a message, with control and direction characters escaped (they would reorder the text). */
function shown(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A plate in its stored form, or null when the text is not a plate (for rows loaded or stored before). */
export function canonicalPlate(input: string): string | null {
  const p = input.normalize('NFKC').replace(/[\s·•・.\-]/gu, '').toUpperCase();
  return PLATE.test(p) ? p : null;
}
