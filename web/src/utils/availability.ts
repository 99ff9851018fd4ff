// How available a lot is (车位余量), the one classification the map's colours, legend and tags share.
import type { LotState } from '../api/types';

/** Plenty free, few free (under a quarter of the spaces), full, closed, or unknown (its system is silent). */
export type Availability = 'ample' | 'limited' | 'full' | 'closed' | 'unknown';

/** Every class, in the legend's order. */
export const AVAILABILITIES: readonly Availability[] = ['ample', 'limited', 'full', 'closed', 'unknown'];

/** Below this share of free spaces an open lot counts as having few left. */
export const LIMITED_BELOW = 0.25;

/** The class of a lot from its state and free/total figures. */
export function availabilityOf(lot: { state: LotState; free: number | null; total: number }): Availability {
  if (lot.state === 'unknown' || lot.state === 'closed' || lot.state === 'full') return lot.state;
  if (lot.free === null) return 'unknown';
  if (lot.free <= 0) return 'full';
  return lot.total > 0 && lot.free / lot.total < LIMITED_BELOW ? 'limited' : 'ample';
}
