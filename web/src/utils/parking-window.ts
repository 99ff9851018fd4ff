// The window a parking search or booking asks about: from arrival for the length of stay.
import type { SpaceType } from '../api/types';

/** Arrival, length of stay and space type. */
export interface ParkingWindow {
  arrive: Date;
  stayMinutes: number;
  spaceType: SpaceType;
}

/** A default window: arriving at the next five-minute mark, staying two hours, a standard space. */
export function defaultWindow(): ParkingWindow {
  const five = 5 * 60_000;
  return { arrive: new Date(Math.ceil(Date.now() / five) * five), stayMinutes: 120, spaceType: 'standard' };
}

/** The window's start and end as ISO times; an arrival already past counts from now. */
export function windowTimes(w: ParkingWindow): { start: string; end: string } {
  const start = Math.max(w.arrive.getTime(), Date.now());
  return { start: new Date(start).toISOString(), end: new Date(start + w.stayMinutes * 60_000).toISOString() };
}
