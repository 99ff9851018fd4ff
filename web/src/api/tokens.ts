// Application tokens (应用凭证) of connected systems.
import { request } from './client';
import type { AppToken, IssuedToken, Items, NewToken } from './types';

export function listTokens(system?: string, signal?: AbortSignal): Promise<Items<AppToken>> {
  return request<Items<AppToken>>('/tokens', { query: { system }, signal });
}

/** Issues a token; the secret in the answer is shown once and never again. */
export function issueToken(body: NewToken): Promise<IssuedToken> {
  return request<IssuedToken>('/tokens', { method: 'POST', body });
}

export function revokeToken(id: string): Promise<void> {
  return request<void>(`/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
