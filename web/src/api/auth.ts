// Sign-in (登录): the session is an HTTP-only cookie the server sets; these calls only start, end and read it.
import { request } from './client';
import type { LoginResult, Me } from './types';

/** Signs in; failures (BAD_CREDENTIALS, ACCOUNT_LOCKED) are left to the sign-in page to show. */
export function login(username: string, password: string): Promise<LoginResult> {
  return request<LoginResult>('/auth/login', { method: 'POST', body: { username, password }, silent: true, signInOn401: false });
}

export function logout(): Promise<void> {
  return request<void>('/auth/logout', { method: 'POST', silent: true, signInOn401: false });
}

/** Who the browser is signed in as; rejects with AUTH_REQUIRED (quietly) when nobody is. */
export function getMe(signal?: AbortSignal): Promise<Me> {
  return request<Me>('/auth/me', { signal, silent: true, signInOn401: false });
}

/** Changes one's own password; the person's other sessions end. BAD_CREDENTIALS when `current` is wrong. */
export function changePassword(current: string, password: string): Promise<void> {
  return request<void>('/auth/password', { method: 'POST', body: { current, password }, silent: true });
}
