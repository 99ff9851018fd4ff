import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { fail } from '../../errors.ts';
import type { OrganisationService } from '../organisations/service.ts';
import { ROLES, TOKEN_SCOPES, type Actor, type Role, type TokenScope } from '../access/actor.ts';
import { allowed, requireAccess } from '../access/policy.ts';
import { DEFAULT_COST, hashPassword, passwordProblem, verifyPassword, type KdfCost } from './password.ts';
import type { IdentityRepository } from './repository.ts';

/** An account as the API shows it (never its password hash). */
export interface UserView {
  id: string;
  username: string;
  displayName: string;
  orgCode: string;
  role: Role;
  disabled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

/** A person an identity provider vouched for. */
export interface VerifiedPerson {
  userId: string;
}

/**
 * Where people prove who they are. Passwords are the built-in provider; a government single sign-on (OIDC)
 * plugs in here, mapping its subject to a local account, while sessions, roles and grants stay the same.
 */
export interface IdentityProvider {
  readonly name: string;
  authenticate(credentials: { username: string; password: string }): Promise<VerifiedPerson>;
}

/** Sign-in rules. */
export interface SignInPolicy {
  /** Failed sign-ins in a row that lock an account. */
  maxFailures: number;
  /** How long a lock lasts, in seconds. */
  lockSeconds: number;
  /** A session's absolute lifetime, in seconds. */
  sessionSeconds: number;
  /** A session ends after this many idle seconds. */
  idleSeconds: number;
  /** scrypt cost for new passwords. */
  kdf: KdfCost;
}

export const DEFAULT_SIGN_IN: SignInPolicy = { maxFailures: 5, lockSeconds: 15 * 60, sessionSeconds: 12 * 3600, idleSeconds: 2 * 3600, kdf: DEFAULT_COST };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const USERNAME = /^[a-z][a-z0-9._-]{2,39}$/;
/** Roles only platform admins manage. */
const PLATFORM_ROLES = new Set(['platform_admin', 'auditor']);
/** A stored hash no password matches, checked when the user does not exist so timing does not tell. */
let decoyHash: Promise<string> | null = null;

function toView(u: { id: string; username: string; display_name: string; org_code: string; role: string; disabled: number; locked_until: string | null; last_login_at: string | null; created_at: string }): UserView {
  return {
    id: u.id, username: u.username, displayName: u.display_name, orgCode: u.org_code, role: u.role as Role, disabled: Boolean(u.disabled),
    lockedUntil: u.locked_until, lastLoginAt: u.last_login_at, createdAt: u.created_at,
  };
}

/** The built-in password provider, with lockout after repeated failures. */
export class PasswordProvider implements IdentityProvider {
  readonly name = 'password';
  constructor(
    private readonly repo: IdentityRepository,
    private readonly policy: SignInPolicy,
  ) {}

  async authenticate({ username, password }: { username: string; password: string }): Promise<VerifiedPerson> {
    const u = await this.repo.userByName(username.trim().toLowerCase());
    const now = new Date();
    if (!u) {
      decoyHash ??= hashPassword(randomBytes(16).toString('hex'), this.policy.kdf);
      await verifyPassword(password, await decoyHash);
      fail('BAD_CREDENTIALS');
    }
    // Each attempt is claimed atomically before the slow check, so parallel guesses cannot outrun the lock: an
    // attempt past the limit is refused unchecked, and the one that reaches it locks the account.
    const n = await this.repo.claimAttempt(u.id, now.toISOString());
    if (n === null || n > this.policy.maxFailures) {
      const locked = n === null ? (await this.repo.userById(u.id))?.locked_until ?? now.toISOString() : await this.lock(u.id, now);
      fail('ACCOUNT_LOCKED', { until: locked }, { retryAfterSeconds: Math.max(1, Math.ceil((new Date(locked).getTime() - now.getTime()) / 1000)) });
    }
    if (!(await verifyPassword(password, u.password_hash)) || u.disabled) {
      if (n >= this.policy.maxFailures) {
        const until = await this.lock(u.id, now);
        fail('ACCOUNT_LOCKED', { until }, { retryAfterSeconds: this.policy.lockSeconds });
      }
      fail('BAD_CREDENTIALS');
    }
    await this.repo.updateUser(u.id, { failed_logins: 0 });
    return { userId: u.id };
  }

  private async lock(id: string, now: Date): Promise<string> {
    const until = new Date(now.getTime() + this.policy.lockSeconds * 1000).toISOString();
    await this.repo.updateUser(id, { locked_until: until, failed_logins: 0 });
    return until;
  }
}

/** Accounts, sessions and application tokens (应用凭证) of connected systems. */
export class IdentityService {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly repo: IdentityRepository,
    private readonly orgs: OrganisationService,
    private readonly provider: IdentityProvider,
    private readonly policy: SignInPolicy = DEFAULT_SIGN_IN,
  ) {}

  /** Creates an account; organisation admins create accounts in their own organisation, below platform roles. */
  async createUser(by: Actor, input: { username: string; displayName: string; orgCode: string; role: Role; password: string }): Promise<UserView> {
    requireAccess({ actor: by, permission: 'users.manage', orgs: [input.orgCode] });
    if (by.kind === 'person' && by.role !== 'platform_admin' && (input.role === 'platform_admin' || input.role === 'auditor')) {
      fail('FORBIDDEN', { reason: 'only a platform admin creates platform admins and auditors' });
    }
    if (input.role === 'public' && by.kind !== 'platform') fail('FORBIDDEN', { reason: 'members of the public register themselves on the open-data portal' });
    const username = input.username.trim().toLowerCase();
    if (!USERNAME.test(username)) fail('VALIDATION_FAILED', { reason: 'a user name is 3–40 lower-case letters, digits, . _ or -, starting with a letter' });
    if (!ROLES.includes(input.role)) fail('VALIDATION_FAILED', { reason: `role must be one of ${ROLES.join(', ')}` });
    const problem = passwordProblem(input.password);
    if (problem) fail('VALIDATION_FAILED', { reason: problem });
    await this.orgs.requireOrganisation(input.orgCode);
    if (await this.repo.userByName(username)) fail('USER_EXISTS', { username });
    const row = {
      id: randomUUID(), username, display_name: input.displayName.trim() || username, org_code: input.orgCode, role: input.role,
      password_hash: await hashPassword(input.password, this.policy.kdf), created_at: new Date().toISOString(),
    };
    await this.repo.insertUser(row);
    return toView({ ...row, disabled: 0, locked_until: null, last_login_at: null });
  }

  /** Accounts the actor may manage: all for platform admins, their own organisation's for organisation admins. */
  async listUsers(by: Actor): Promise<UserView[]> {
    if (by.kind === 'anonymous') fail('AUTH_REQUIRED');
    if (by.kind === 'platform' || (by.kind === 'person' && by.role === 'platform_admin')) return (await this.repo.listUsers(null)).map(toView);
    if (by.kind === 'person' && allowed(by, 'users.manage', by.orgCode)) {
      return (await this.repo.listUsers(by.orgCode)).filter((u) => !PLATFORM_ROLES.has(u.role)).map(toView);
    }
    return fail('FORBIDDEN', { reason: 'managing accounts needs the organisation admin or platform admin role' });
  }

  /** Enables or disables an account; disabling ends its sessions at once. */
  async setDisabled(by: Actor, userId: string, disabled: boolean): Promise<UserView> {
    const u = await this.repo.userById(userId);
    const platformCaller = by.kind === 'platform' || (by.kind === 'person' && by.role === 'platform_admin');
    // Organisation admins manage their organisation's people, not the platform's admins and auditors who sit in it.
    if (!u || !allowed(by, 'users.manage', u.org_code) || (PLATFORM_ROLES.has(u.role) && !platformCaller)) return fail('USER_NOT_FOUND', { id: userId });
    await this.repo.updateUser(u.id, { disabled: disabled ? 1 : 0, ...(disabled ? {} : { locked_until: null, failed_logins: 0 }) });
    if (disabled) await this.repo.deleteSessionsOf(u.id);
    return toView({ ...u, disabled: disabled ? 1 : 0 });
  }

  /** Signs a person in and opens a session; the session id is returned once and stored only as a hash. */
  async login(username: string, password: string): Promise<{ session: string; expiresAt: string; user: UserView }> {
    const { userId } = await this.provider.authenticate({ username, password });
    const u = await this.repo.userById(userId);
    if (!u || u.disabled) return fail('BAD_CREDENTIALS');
    const now = new Date();
    const session = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.policy.sessionSeconds * 1000).toISOString();
    await this.repo.insertSession({ id_hash: sha256(session), user_id: u.id, created_at: now.toISOString(), expires_at: expiresAt, last_seen_at: now.toISOString() });
    await this.repo.updateUser(u.id, { failed_logins: 0, locked_until: null, last_login_at: now.toISOString() });
    return { session, expiresAt, user: toView({ ...u, last_login_at: now.toISOString() }) };
  }

  /** Changes the signed-in person's own password (the current one must be given); their other sessions end. */
  async changePassword(by: Actor, session: string | null, current: string, next: string): Promise<void> {
    if (by.kind !== 'person') return fail(by.kind === 'anonymous' ? 'AUTH_REQUIRED' : 'FORBIDDEN', { reason: 'only a signed-in person has a password' });
    const u = await this.repo.userById(by.id);
    if (!u) return fail('BAD_CREDENTIALS');
    // The current password is checked like a sign-in: wrong guesses count towards the lockout.
    await this.provider.authenticate({ username: u.username, password: current });
    const problem = passwordProblem(next);
    if (problem) fail('VALIDATION_FAILED', { reason: problem });
    if (next === current) fail('VALIDATION_FAILED', { reason: 'the new password must differ from the current one' });
    await this.repo.updateUser(u.id, { password_hash: await hashPassword(next, this.policy.kdf) });
    await this.repo.deleteSessionsOf(u.id, session ? sha256(session) : null);
  }

  /** Ends a session. */
  async logout(session: string): Promise<void> {
    await this.repo.deleteSession(sha256(session));
  }

  /** The person behind a session cookie; an unknown, expired or idle session is refused with SESSION_EXPIRED. */
  async sessionActor(session: string): Promise<Actor> {
    const hash = sha256(session);
    const s = await this.repo.session(hash);
    const now = Date.now();
    if (!s || s.disabled || new Date(s.expires_at).getTime() <= now || new Date(s.last_seen_at).getTime() + this.policy.idleSeconds * 1000 <= now) {
      if (s) await this.repo.deleteSession(hash);
      return fail('SESSION_EXPIRED');
    }
    // Sliding idle clock, written at most once a minute per session.
    if (now - (this.touched.get(hash) ?? 0) > 60_000) {
      this.touched.set(hash, now);
      await this.repo.touchSession(hash, new Date(now).toISOString());
    }
    return { kind: 'person', id: s.id, name: s.display_name, orgCode: s.org_code, role: s.role as Role };
  }

  /** Issues an application token for a connected system; the secret is returned once and stored as a SHA-256 hash. */
  async issueToken(by: Actor, input: { systemCode: string; name: string; scopes: TokenScope[]; expiresInDays: number }) {
    const system = await this.orgs.requireSystem(input.systemCode);
    requireAccess({ actor: by, permission: 'tokens.manage', orgs: [system.org_code] });
    const scopes = [...new Set(input.scopes)];
    if (!scopes.length || scopes.some((s) => !TOKEN_SCOPES.includes(s))) fail('VALIDATION_FAILED', { reason: `scopes are a non-empty list of ${TOKEN_SCOPES.join(', ')}` });
    if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > 730) fail('VALIDATION_FAILED', { reason: 'a token expires in 1 to 730 days' });
    const id = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').toLowerCase();
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    const row = {
      id, system_code: system.code, org_code: system.org_code, name: input.name.trim().slice(0, 100) || system.code, secret_hash: sha256(secret),
      scopes: JSON.stringify(scopes), expires_at: new Date(now.getTime() + input.expiresInDays * 86400_000).toISOString(), created_by: by.id, created_at: now.toISOString(),
    };
    await this.repo.insertToken(row);
    return { token: `xmc_${id}_${secret}`, id, systemCode: row.system_code, orgCode: row.org_code, name: row.name, scopes, expiresAt: row.expires_at, createdAt: row.created_at };
  }

  /** Tokens the actor may manage, never with their secrets. */
  async listTokens(by: Actor, systemCode: string | null) {
    if (by.kind === 'anonymous') fail('AUTH_REQUIRED');
    const all = by.kind === 'platform' || (by.kind === 'person' && by.role === 'platform_admin');
    if (!all && !(by.kind === 'person' && allowed(by, 'tokens.manage', by.orgCode))) fail('FORBIDDEN', { reason: 'managing tokens needs the organisation admin or platform admin role' });
    const rows = await this.repo.listTokens({ orgCode: all ? null : by.orgCode, systemCode });
    const now = Date.now();
    return rows.map((t) => ({
      id: t.id, systemCode: t.system_code, orgCode: t.org_code, name: t.name, scopes: JSON.parse(t.scopes) as TokenScope[], expiresAt: t.expires_at,
      revokedAt: t.revoked_at, lastUsedAt: t.last_used_at, createdBy: t.created_by, createdAt: t.created_at,
      state: t.revoked_at ? 'revoked' : new Date(t.expires_at).getTime() <= now ? 'expired' : 'active',
    }));
  }

  /** Revokes a token; the next request with it is refused. */
  async revokeToken(by: Actor, id: string): Promise<void> {
    const t = await this.repo.token(id);
    if (!t || !allowed(by, 'tokens.manage', t.org_code)) fail('TOKEN_NOT_FOUND', { id });
    await this.repo.revokeToken(id, new Date().toISOString());
  }

  /** The system behind an application token (xmc_<id>_<secret>); anything else is refused with a stable code. */
  async tokenActor(token: string): Promise<Actor> {
    const m = /^xmc_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return fail('TOKEN_INVALID');
    const t = await this.repo.token(m[1]);
    const given = Buffer.from(sha256(m[2]), 'hex');
    if (!t || !timingSafeEqual(given, Buffer.from(t.secret_hash, 'hex'))) return fail('TOKEN_INVALID');
    if (t.revoked_at) return fail('TOKEN_REVOKED', { id: t.id });
    const now = Date.now();
    if (new Date(t.expires_at).getTime() <= now) return fail('TOKEN_EXPIRED', { id: t.id, at: t.expires_at });
    if (now - (this.touched.get(t.id) ?? 0) > 60_000) {
      this.touched.set(t.id, now);
      await this.repo.touchToken(t.id, new Date(now).toISOString());
    }
    return {
      kind: 'system', id: t.id, name: t.system_code, orgCode: t.org_code, systemCode: t.system_code, scopes: JSON.parse(t.scopes) as TokenScope[],
      registrant: t.org_kind === 'enterprise' || t.org_kind === 'person',
    };
  }
}
