// One list per tab of a page (我的申请 / 待我审批 …, 我使用的 / 我提供的 …), each loaded on its own with its own spinner.
import { onBeforeUnmount, shallowReactive, watch } from 'vue';
import type { Ref } from 'vue';

/**
 * Lists for the tabs named in `names`: `items[tab]` and `loading[tab]`, fetched by `fetch` for every tab in `tabs`
 * now, whenever `tabs` changes, and on `refresh()`. A failed fetch leaves an empty list (the client shows the
 * error); leaving the page aborts what is still loading.
 */
export function useTabLists<T extends string, R>(names: readonly T[], tabs: Ref<readonly T[]>, fetch: (tab: T, signal: AbortSignal) => Promise<R[]>) {
  // Each list is replaced whole, never changed in place, so shallow reactivity is enough.
  const items: Record<T, R[]> = shallowReactive(Object.fromEntries(names.map((n) => [n, [] as R[]])) as Record<T, R[]>);
  const loading: Record<T, boolean> = shallowReactive(Object.fromEntries(names.map((n) => [n, false])) as Record<T, boolean>);
  const ctrl = new AbortController();

  async function load(tab: T) {
    loading[tab] = true;
    try {
      items[tab] = await fetch(tab, ctrl.signal);
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'AbortError')) items[tab] = [];
    } finally {
      loading[tab] = false;
    }
  }

  /** Loads every tab again. */
  function refresh() {
    for (const tab of tabs.value) void load(tab);
  }

  watch(tabs, refresh, { immediate: true });
  onBeforeUnmount(() => ctrl.abort());
  return { items, loading, refresh };
}
