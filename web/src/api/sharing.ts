// Governed sharing (共享): share requests and their workflow, and the grants they end in.
import { request } from './client';
import type {
  Decision,
  Grant,
  GrantDetail,
  Items,
  NewShareRequest,
  ShareRequest,
  ShareRequestDetail,
  ShareRequestQuery,
} from './types';

const req = (id: string, rest = '') => `/share-requests/${encodeURIComponent(id)}${rest}`;

export function listShareRequests(q: ShareRequestQuery, signal?: AbortSignal): Promise<Items<ShareRequest>> {
  return request<Items<ShareRequest>>('/share-requests', { query: { ...q }, signal });
}

export function getShareRequest(id: string, signal?: AbortSignal): Promise<ShareRequestDetail> {
  return request<ShareRequestDetail>(req(id), { signal });
}

/** Submits a request; an unconditional (无条件共享) dataset comes back already granted. */
export function submitShareRequest(body: NewShareRequest): Promise<ShareRequestDetail> {
  return request<ShareRequestDetail>('/share-requests', { method: 'POST', body });
}

/** The platform's check (平台审核); a refusal needs a note. */
export function checkShareRequest(id: string, approve: boolean, note?: string): Promise<ShareRequestDetail> {
  return request<ShareRequestDetail>(req(id, '/check'), { method: 'POST', body: { approve, note } });
}

/** The provider's decision (提供方审批): grant on its terms, or refuse with a reason. */
export function decideShareRequest(id: string, decision: Decision): Promise<ShareRequestDetail> {
  return request<ShareRequestDetail>(req(id, '/decide'), { method: 'POST', body: decision });
}

/** The consumer disputes a provider's refusal (异议). */
export function disputeShareRequest(id: string, note: string): Promise<ShareRequestDetail> {
  return request<ShareRequestDetail>(req(id, '/dispute'), { method: 'POST', body: { note } });
}

/** The platform arbitrates a dispute: uphold the refusal, or grant. */
export function arbitrateShareRequest(id: string, uphold: boolean, note: string): Promise<ShareRequestDetail> {
  return request<ShareRequestDetail>(req(id, '/arbitrate'), { method: 'POST', body: { uphold, note } });
}

export function withdrawShareRequest(id: string): Promise<ShareRequestDetail> {
  return request<ShareRequestDetail>(req(id, '/withdraw'), { method: 'POST' });
}

export type GrantSide = 'consumer' | 'provider' | 'all';

export function listGrants(
  q: { as: GrantSide; dataset?: string; limit?: number; offset?: number },
  opts: { signal?: AbortSignal; silent?: boolean } = {},
): Promise<Items<Grant>> {
  return request<Items<Grant>>('/grants', { query: { ...q }, ...opts });
}

export function getGrant(id: string, signal?: AbortSignal): Promise<GrantDetail> {
  return request<GrantDetail>(`/grants/${encodeURIComponent(id)}`, { signal });
}

export function revokeGrant(id: string, reason: string): Promise<GrantDetail> {
  return request<GrantDetail>(`/grants/${encodeURIComponent(id)}/revoke`, { method: 'POST', body: { reason } });
}
