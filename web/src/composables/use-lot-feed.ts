// The open parking feed (停车场实时泊位), kept fresh: fetched at once and then every few seconds with If-None-Match,
// so an unchanged feed costs the server a 304. A new filter starts over; a hidden tab skips its turns.
import { onBeforeUnmount, onMounted, ref, watch } from 'vue';
import type { Ref } from 'vue';
import { getLotFeed } from '../api/parking';
import type { FeedFilter } from '../api/parking';
import { asApiError } from '../api/client';
import type { ApiError } from '../api/client';
import type { LotFeed } from '../api/types';

/** How often the feed is revalidated, in seconds. */
export const FEED_REFRESH_SECONDS = 20;

export type LotFeature = LotFeed['features'][number];

/** `lots` from the feed under `filter`, revalidated every FEED_REFRESH_SECONDS; `refresh()` revalidates now. */
export function useLotFeed(filter: Ref<FeedFilter>) {
  const lots = ref<LotFeature[]>([]);
  const loading = ref(true);
  const error = ref<ApiError | null>(null);
  /** When the server last answered (200 or 304). */
  const checkedAt = ref<Date | null>(null);
  /** How many revalidations found the feed unchanged (304). */
  const unchanged = ref(0);
  let etag: string | null = null;
  let ctrl: AbortController | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;

  async function refresh() {
    ctrl?.abort();
    const mine = (ctrl = new AbortController());
    try {
      const r = await getLotFeed(filter.value, etag, mine.signal);
      if (r.changed) {
        lots.value = r.body.features;
        etag = r.etag;
      } else {
        unchanged.value++;
      }
      error.value = null;
      checkedAt.value = new Date();
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      error.value = asApiError(err);
    } finally {
      if (ctrl === mine) loading.value = false;
    }
  }

  watch(
    filter,
    () => {
      etag = null;
      loading.value = true;
      void refresh();
    },
    { deep: true },
  );

  onMounted(() => {
    void refresh();
    timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, FEED_REFRESH_SECONDS * 1000);
  });
  onBeforeUnmount(() => {
    if (timer) clearInterval(timer);
    ctrl?.abort();
  });

  return { lots, loading, error, checkedAt, unchanged, refresh };
}
