// Accounts (账号) the signed-in admin may manage.
import { request } from './client';
import type { Items, User } from './types';

/** Accounts of one's organisation (org_admin) or all (platform_admin); FORBIDDEN for other roles. */
export function listUsers(opts: { signal?: AbortSignal; silent?: boolean } = {}): Promise<Items<User>> {
  return request<Items<User>>('/users', opts);
}
