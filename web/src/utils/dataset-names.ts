// Dataset names by code, for pages that list grants or audit entries (which carry only the code).
// Loaded once per sign-in from the catalogue (up to 1,000 datasets), and shared.
import { ref, watch } from 'vue';
import { listDatasets } from '../api/datasets';
import type { DatasetSummary } from '../api/types';
import { session } from '../auth/session';
import { localName } from './format';

export const datasetsByCode = ref<Map<string, DatasetSummary>>(new Map());
let pending: Promise<Map<string, DatasetSummary>> | null = null;

export function loadDatasetNames(): Promise<Map<string, DatasetSummary>> {
  if (!session.me) return Promise.resolve(datasetsByCode.value);
  pending ??= listDatasets({ limit: 1000 }, { silent: true })
    .then((r) => (datasetsByCode.value = new Map(r.items.map((d) => [d.code, d]))))
    .catch(() => {
      pending = null;
      return datasetsByCode.value;
    });
  return pending;
}

/** The localised dataset name; until names are loaded, `fallback` (e.g. the server's Chinese name) or the code. */
export function datasetName(code: string | null | undefined, fallback?: string): string {
  if (!code) return '';
  const d = datasetsByCode.value.get(code);
  return d ? localName(d) : (fallback ?? code);
}

watch(
  () => session.me?.id,
  () => {
    pending = null;
    datasetsByCode.value = new Map();
  },
);
