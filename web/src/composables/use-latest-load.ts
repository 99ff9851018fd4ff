// Loading what a page shows when its inputs change: only the latest load counts, so a slow earlier answer never
// overwrites a newer one.
import { onBeforeUnmount, ref } from 'vue';

/**
 * `load(...args)` runs `run(signal, ...args)` with a fresh AbortSignal, aborting the run before it, with `loading`
 * true while it runs; a failure other than that abort goes to `onError`. Leaving the page aborts the last run.
 */
export function useLatestLoad<A extends unknown[]>(
  run: (signal: AbortSignal, ...args: A) => Promise<void>,
  onError: (err: unknown) => void,
  initiallyLoading = false,
) {
  const loading = ref(initiallyLoading);
  let ctrl: AbortController | null = null;

  async function load(...args: A) {
    ctrl?.abort();
    ctrl = new AbortController();
    loading.value = true;
    try {
      await run(ctrl.signal, ...args);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      onError(err);
    } finally {
      loading.value = false;
    }
  }

  onBeforeUnmount(() => ctrl?.abort());
  return { loading, load };
}
