import { request } from './client';
import type { DailyPoint, HubSummary, Items } from './types';

export function getHubSummary(signal?: AbortSignal): Promise<HubSummary> {
  return request<HubSummary>('/hub/summary', { signal });
}

export function getHubDaily(days = 30, signal?: AbortSignal): Promise<Items<DailyPoint>> {
  return request<Items<DailyPoint>>('/hub/daily', { query: { days }, signal });
}
