import { fail } from '../../errors.ts';
import { parseInstant } from './inputs.ts';

const BEIJING_OFFSET_MS = 8 * 3600_000;

/** A reservation window rounded out to whole slices: its bounds and the start of every slice in it. */
export interface SliceWindow {
  startMs: number;
  endMs: number;
  /** ISO start times (UTC) of the slices, in ascending order: the keys of the slice counters. */
  slices: string[];
}

/**
 * The time slices (时间片) reservations are counted in: a lot's reservable share applies to each slice separately,
 * and a window is booked as every slice it touches. Slices divide the hour, so they align in Beijing time too.
 */
export class TimeSlices {
  private readonly ms: number;

  constructor(readonly minutes: number) {
    if (!Number.isInteger(minutes) || minutes <= 0 || 60 % minutes !== 0) throw new Error(`a time slice must divide the hour; ${minutes} min does not`);
    this.ms = minutes * 60_000;
  }

  /** The window [start, end) rounded out to slices; refuses empty, past and overlong windows. */
  cover(start: string, end: string, opts: { nowMs: number; maxHours: number; maxDaysAhead: number }): SliceWindow {
    const s = parseInstant(start, 'start');
    const e = parseInstant(end, 'end');
    if (e <= s) fail('VALIDATION_FAILED', { reason: 'the end of the window must be after its start' });
    const startMs = Math.floor(s / this.ms) * this.ms;
    const endMs = Math.ceil(e / this.ms) * this.ms;
    if (startMs < Math.floor(opts.nowMs / this.ms) * this.ms) fail('VALIDATION_FAILED', { reason: 'the window starts in the past' });
    if (endMs - startMs > opts.maxHours * 3600_000) fail('VALIDATION_FAILED', { reason: `a reservation lasts at most ${opts.maxHours} hours` });
    if (startMs > opts.nowMs + opts.maxDaysAhead * 86400_000) fail('VALIDATION_FAILED', { reason: `reservations open at most ${opts.maxDaysAhead} days ahead` });
    return { startMs, endMs, slices: this.starts(startMs, endMs) };
  }

  /** ISO starts of the slices from startMs (aligned) up to endMs. */
  starts(startMs: number, endMs: number): string[] {
    const out: string[] = [];
    for (let t = startMs; t < endMs; t += this.ms) out.push(new Date(t).toISOString());
    return out;
  }

  /** The first slice boundary at or after an instant. */
  ceil(ms: number): number {
    return Math.ceil(ms / this.ms) * this.ms;
  }

  /** An instant in Beijing time as a person reads it: "06-02 14:00". */
  static instant(ms: number): string {
    return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(5, 16).replace('T', ' ');
  }

  /** A window in Beijing time as a person reads it: "06-02 14:00–16:00" (the date repeated when it ends on another day). */
  static label(startMs: number, endMs: number): string {
    const a = TimeSlices.instant(startMs);
    const b = TimeSlices.instant(endMs);
    return a.slice(0, 5) === b.slice(0, 5) ? `${a}–${b.slice(6)}` : `${a}–${b}`;
  }
}
