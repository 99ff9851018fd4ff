// Districts (区) by adcode, loaded once per page load and shared.
import { computed, onMounted, ref } from 'vue';
import { listDistricts } from '../api/organisations';
import type { District } from '../api/types';
import { localName } from './format';

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

/** The districts for a view, loaded once it mounts, and the local name of an adcode (the adcode while unknown). */
export function useDistricts() {
  const byCode = ref(new Map<string, District>());
  onMounted(async () => {
    byCode.value = await loadDistricts();
  });
  const districts = computed(() => [...byCode.value.values()]);
  const districtName = (adcode: string) => {
    const d = byCode.value.get(adcode);
    return d ? localName(d) : adcode;
  };
  return { districts, districtName };
}
