// Catalogue (资源目录): dataset listing, detail, daily counts.
import { request } from './client';
import type { DailyPoint, Dataset, DatasetQuery, DatasetSummary, Items, Page } from './types';

const path = (code: string, rest = '') => `/datasets/${encodeURIComponent(code)}${rest}`;

export function listDatasets(query: DatasetQuery, opts: { signal?: AbortSignal; silent?: boolean } = {}): Promise<Page<DatasetSummary>> {
  return request<Page<DatasetSummary>>('/datasets', { query: { ...query }, ...opts });
}

export function getDataset(code: string, signal?: AbortSignal): Promise<Dataset> {
  return request<Dataset>(path(code), { signal });
}

export function getDatasetDaily(code: string, days = 30, signal?: AbortSignal): Promise<Items<DailyPoint>> {
  return request<Items<DailyPoint>>(path(code, '/daily'), { query: { days }, signal });
}
