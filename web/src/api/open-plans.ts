// The annual open plan (年度公共数据开放计划): which datasets each organisation opens in a year, and how far it has got.
import { request } from './client';
import type { OpenPlan } from './types';

/** Years that have a plan, newest first. */
export function listPlanYears(signal?: AbortSignal): Promise<{ years: number[] }> {
  return request<{ years: number[] }>('/open-plans', { signal });
}

/** A year's plan, with each item's status derived from the catalogue. */
export function getOpenPlan(year: number, signal?: AbortSignal): Promise<OpenPlan> {
  return request<OpenPlan>(`/open-plans/${year}`, { signal });
}
