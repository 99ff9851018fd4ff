import type { Store } from '../../store/store.ts';

/** SQL for accounts, sessions and application tokens. */
export class IdentityRepository {
  constructor(private readonly store: Store) {}

  userByName(username: string) {
    return this.store.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  userById(id: string) {
    return this.store.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listUsers(orgCode: string | null) {
    let q = this.store.db.selectFrom('users').select(['id', 'username', 'display_name', 'org_code', 'role', 'disabled', 'locked_until', 'last_login_at', 'created_at']);
    if (orgCode) q = q.where('org_code', '=', orgCode);
    return q.orderBy('org_code').orderBy('username').execute();
  }

  async insertUser(u: { id: string; username: string; display_name: string; org_code: string; role: string; password_hash: string; created_at: string }) {
    await this.store.db.insertInto('users').values({ ...u, failed_logins: 0, disabled: 0 }).execute();
  }

  async updateUser(id: string, patch: Partial<{ failed_logins: number; locked_until: string | null; last_login_at: string; password_hash: string; disabled: number; role: string }>) {
    await this.store.db.updateTable('users').set(patch).where('id', '=', id).execute();
  }

  /**
   * Counts one sign-in attempt atomically, unless the account is locked; returns the attempts in a row so far, or
   * null when it is locked. A successful sign-in resets the count.
   */
  async claimAttempt(id: string, now: string): Promise<number | null> {
    const r = await this.store.db
      .updateTable('users')
      .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
      .where('id', '=', id)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return null;
    const u = await this.store.db.selectFrom('users').select('failed_logins').where('id', '=', id).executeTakeFirstOrThrow();
    return Number(u.failed_logins);
  }

  async insertSession(s: { id_hash: string; user_id: string; created_at: string; expires_at: string; last_seen_at: string }) {
    await this.store.db.insertInto('sessions').values(s).execute();
  }

  session(idHash: string) {
    return this.store.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.id_hash', 's.expires_at', 's.last_seen_at', 'u.id', 'u.username', 'u.display_name', 'u.org_code', 'u.role', 'u.disabled'])
      .where('s.id_hash', '=', idHash)
      .executeTakeFirst();
  }

  async touchSession(idHash: string, at: string) {
    await this.store.db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
  }

  async deleteSession(idHash: string) {
    await this.store.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  /** Ends every session of a person, except the one given (the session making the change). */
  async deleteSessionsOf(userId: string, except: string | null = null) {
    let q = this.store.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (except) q = q.where('id_hash', '!=', except);
    await q.execute();
  }

  async insertToken(t: { id: string; system_code: string; org_code: string; name: string; secret_hash: string; scopes: string; expires_at: string; created_by: string; created_at: string }) {
    await this.store.db.insertInto('app_tokens').values(t).execute();
  }

  token(id: string) {
    return this.store.db
      .selectFrom('app_tokens as t')
      .innerJoin('organisations as o', 'o.code', 't.org_code')
      .selectAll('t')
      .select('o.kind as org_kind')
      .where('t.id', '=', id)
      .executeTakeFirst();
  }

  listTokens(opts: { orgCode: string | null; systemCode: string | null }) {
    let q = this.store.db.selectFrom('app_tokens').select(['id', 'system_code', 'org_code', 'name', 'scopes', 'expires_at', 'revoked_at', 'last_used_at', 'created_by', 'created_at']);
    if (opts.orgCode) q = q.where('org_code', '=', opts.orgCode);
    if (opts.systemCode) q = q.where('system_code', '=', opts.systemCode);
    return q.orderBy('created_at', 'desc').execute();
  }

  async revokeToken(id: string, at: string) {
    await this.store.db.updateTable('app_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  async touchToken(id: string, at: string) {
    await this.store.db.updateTable('app_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
