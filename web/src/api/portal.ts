// The public open-data portal (公共数据开放平台): front-page figures, published dataset pages, registration,
// applications for conditionally open data (有条件开放申请) and their one-time application tokens.
// Browsing needs no sign-in; applying and the token need a portal account (role public).
import { request } from './client';
import type { IssuedToken, Items, LateDataset, NewApplication, PortalDataset, PortalSummary, Registration, ShareRequest, User } from './types';

export function getPortalSummary(signal?: AbortSignal): Promise<PortalSummary> {
  return request<PortalSummary>('/portal/summary', { signal });
}

/** Published datasets that missed their declared update cycle (未按时更新). */
export function listLateDatasets(signal?: AbortSignal): Promise<Items<LateDataset>> {
  return request<Items<LateDataset>>('/portal/late', { signal });
}

/** A published dataset; DATASET_NOT_FOUND (quietly, for the page to show) when it is not published. */
export function getPortalDataset(code: string, signal?: AbortSignal): Promise<PortalDataset> {
  return request<PortalDataset>(`/portal/datasets/${encodeURIComponent(code)}`, { signal, silent: true });
}

/** Registers a person or an enterprise (role public); failures (USER_EXISTS, VALIDATION_FAILED) are left to the form. */
export function register(body: Registration): Promise<User> {
  return request<User>('/portal/register', { method: 'POST', body, silent: true, signInOn401: false });
}

/** Applies for a conditionally open dataset; the owner reviews it within 5 working days. */
export function submitApplication(body: NewApplication): Promise<ShareRequest> {
  return request<ShareRequest>('/portal/applications', { method: 'POST', body, silent: true });
}

/** The signed-in applicant's applications with their status and clock. */
export function listApplications(signal?: AbortSignal): Promise<Items<ShareRequest> & { total: number }> {
  return request<Items<ShareRequest> & { total: number }>('/portal/applications', { signal });
}

/** The application token of a granted application: shown once; a new one replaces the old. */
export function issueApplicationToken(id: string): Promise<IssuedToken> {
  return request<IssuedToken>(`/portal/applications/${encodeURIComponent(id)}/token`, { method: 'POST' });
}
