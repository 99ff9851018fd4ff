// The sign-in state of the console (a small reactive store, no Pinia): who is signed in, from GET /auth/me.
// The session itself is the HTTP-only cookie `xmc_session`; this module only mirrors what the server says.
import { computed, reactive, readonly } from 'vue';
import { getMe, login, logout } from '../api/auth';
import { ApiError } from '../api/client';
import type { Me } from '../api/types';

interface SessionState {
  /** The signed-in person, or null when signed out. */
  me: Me | null;
  /** Whether GET /auth/me has answered at least once. */
  ready: boolean;
}

const state = reactive<SessionState>({ me: null, ready: false });
let pending: Promise<Me | null> | null = null;

/** The store, read-only to components. */
export const session = readonly(state);

/** Loads (once, or again with `force`) who is signed in; null when nobody is. */
export function loadSession(force = false): Promise<Me | null> {
  if (pending && !force) return pending;
  const p = getMe()
    .then((me) => {
      state.me = me;
      return me as Me | null;
    })
    .catch((err: unknown) => {
      state.me = null;
      // A 401 means "signed out"; anything else (network) is worth asking again next time.
      if (!(err instanceof ApiError && err.status === 401) && pending === p) pending = null;
      return null;
    })
    .finally(() => {
      state.ready = true;
    });
  pending = p;
  return p;
}

/** Signs in and loads the person; rejects with the ApiError (BAD_CREDENTIALS, ACCOUNT_LOCKED, …). */
export async function signIn(username: string, password: string): Promise<Me | null> {
  await login(username, password);
  return loadSession(true);
}

/** Forgets the person locally (after a 401, or on sign-out). */
export function clearSession(): void {
  state.me = null;
  state.ready = true;
  pending = Promise.resolve(null);
}

/** Ends the session on the server and locally; the session is forgotten locally even when the server fails. */
export async function signOut(): Promise<void> {
  try {
    await logout();
  } catch {
    // a failed logout (quiet) changes nothing here: the session is forgotten below
  } finally {
    clearSession();
  }
}

/** The signed-in person as computed refs, for components. */
export function useSession() {
  return {
    me: computed(() => state.me),
    signedIn: computed(() => state.me !== null),
    ready: computed(() => state.ready),
  };
}
