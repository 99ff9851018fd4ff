// Districts (区) by adcode, loaded once per page load and shared.
import { listDistricts } from '../api/organisations';
import type { District } from '../api/types';

let pending: Promise<Map<string, District>> | null = null;

export function loadDistricts(): Promise<Map<string, District>> {
  pending ??= listDistricts()
    .then((r) => new Map(r.items.map((d) => [d.adcode, d])))
    .catch(() => {
      pending = null; // retry next time
      return new Map<string, District>();
    });
  return pending;
}
