// The tab a page shows, kept in the address (`?tab=…`) so a reload or a shared link opens the same tab.
import { computed } from 'vue';
import type { Ref, WritableComputedRef } from 'vue';
import { useRoute, useRouter } from 'vue-router';

/**
 * The current tab: `?tab=` when it names one of `tabs`, else the first of `tabs` (`fallback` while there are none).
 * Setting it replaces the address's `tab`, keeping the rest of the query; with `omitFirst` the first tab leaves
 * `tab` out, so the page's plain address stays plain.
 */
export function useQueryTab<T extends string>(tabs: Ref<readonly T[]>, fallback: T, omitFirst = false): WritableComputedRef<T> {
  const route = useRoute();
  const router = useRouter();
  return computed<T>({
    get: () => {
      const q = route.query.tab;
      return typeof q === 'string' && (tabs.value as readonly string[]).includes(q) ? (q as T) : (tabs.value[0] ?? fallback);
    },
    set: (v) => void router.replace({ query: { ...route.query, tab: omitFirst && v === tabs.value[0] ? undefined : v } }),
  });
}
