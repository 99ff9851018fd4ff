import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, fail } from '../../errors.ts';
import { authErrors } from '../../http/schemas.ts';
import { readCookie, setSessionCookie, SESSION_COOKIE } from '../../http/auth.ts';
import { ROLES, TOKEN_SCOPES, type Actor, type Role, type TokenScope } from '../access/actor.ts';
import type { AccessService } from '../access/service.ts';
import type { IdentityService } from './service.ts';

const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  orgCode: Type.String(),
  role: Type.String(),
  disabled: Type.Boolean(),
  lockedUntil: Type.Union([Type.String(), Type.Null()]),
  lastLoginAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

const Me = Type.Object({
  kind: Type.String(),
  id: Type.String(),
  name: Type.String(),
  orgCode: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()]),
  systemCode: Type.Union([Type.String(), Type.Null()]),
  scopes: Type.Array(Type.String()),
});

const Token = Type.Object({
  id: Type.String(),
  systemCode: Type.String(),
  orgCode: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  expiresAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Type.String(),
  state: Type.String(),
});

/** HTTP routes of sign-in, accounts and application tokens. */
export const identityRoutes: FastifyPluginAsyncTypebox<{ identity: IdentityService; access: AccessService; secureCookies: boolean }> = async (app, { identity, access, secureCookies }) => {
  /** Sign-ins and sign-outs are audited like every other access attempt. */
  const audit = (action: string, result: 'allowed' | 'denied', who: { id: string; name: string; orgCode: string | null } | null, detail: Record<string, unknown>) =>
    access.record({
      at: new Date().toISOString(), actorKind: who ? 'person' : 'anonymous', actorId: who?.id ?? 'anonymous', orgCode: who?.orgCode ?? null, action, datasetCode: null,
      fields: null, filter: null, grantId: null, purpose: null, rowCount: null, result, detail: { actorName: who?.name ?? null, ...detail },
    });
  /** Administration of accounts and tokens is audited too. */
  const admin = (by: Actor, action: string, detail: Record<string, unknown>) =>
    access.record({
      at: new Date().toISOString(), actorKind: by.kind, actorId: by.id, orgCode: by.orgCode, action, datasetCode: null, fields: null, filter: null,
      grantId: null, purpose: null, rowCount: null, result: 'allowed', detail: { actorName: by.name, ...detail },
    });

  app.post('/auth/login', {
    schema: {
      tags: ['identity'],
      summary: 'Sign in with user name and password; sets an HTTP-only session cookie',
      body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 100 }), password: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: { 200: Type.Object({ user: User, expiresAt: Type.String() }), ...authErrors },
    },
  }, async (req, reply) => {
    let r: Awaited<ReturnType<IdentityService['login']>>;
    try {
      r = await identity.login(req.body.username, req.body.password);
    } catch (e) {
      if (e instanceof AppError) await audit('auth.login', 'denied', null, { code: e.code, username: req.body.username.slice(0, 100), ip: req.ip });
      throw e;
    }
    await audit('auth.login', 'allowed', { id: r.user.id, name: r.user.displayName, orgCode: r.user.orgCode }, { username: r.user.username, ip: req.ip });
    setSessionCookie(reply, r.session, { secure: secureCookies, expiresAt: r.expiresAt });
    return { user: r.user, expiresAt: r.expiresAt };
  });

  app.post('/auth/logout', {
    schema: { tags: ['identity'], summary: 'Sign out (ends the session)', response: { 204: Type.Null(), ...authErrors } },
  }, async (req, reply) => {
    const s = readCookie(req, SESSION_COOKIE);
    if (s) await identity.logout(s);
    if (req.actor.kind === 'person') await audit('auth.logout', 'allowed', req.actor, { ip: req.ip });
    setSessionCookie(reply, null, { secure: secureCookies });
    return reply.code(204).send(null);
  });

  app.post('/auth/password', {
    schema: {
      tags: ['identity'],
      summary: 'Change your own password; your other sessions end',
      body: Type.Object({ current: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: { 204: Type.Null(), ...authErrors },
    },
  }, async (req, reply) => {
    const who = req.actor.kind === 'person' ? req.actor : null;
    try {
      await identity.changePassword(req.actor, readCookie(req, SESSION_COOKIE), req.body.current, req.body.password);
    } catch (e) {
      if (e instanceof AppError) await audit('auth.password', 'denied', who, { code: e.code, ip: req.ip });
      throw e;
    }
    await audit('auth.password', 'allowed', who, { ip: req.ip });
    return reply.code(204).send(null);
  });

  app.get('/auth/me', {
    schema: { tags: ['identity'], summary: 'Who the request is made as', response: { 200: Me, ...authErrors } },
  }, async (req) => {
    const a = req.actor;
    if (a.kind === 'anonymous') fail('AUTH_REQUIRED');
    return {
      kind: a.kind, id: a.id, name: a.name, orgCode: a.orgCode, role: a.kind === 'person' ? a.role : a.kind === 'platform' ? 'platform_admin' : null,
      systemCode: a.kind === 'system' ? a.systemCode : null, scopes: a.kind === 'system' ? a.scopes : [],
    };
  });

  app.get('/users', {
    schema: { tags: ['identity'], summary: 'Accounts you may manage', response: { 200: Type.Object({ items: Type.Array(User) }), ...authErrors } },
  }, async (req) => ({ items: await identity.listUsers(req.actor) }));

  app.post('/users', {
    schema: {
      tags: ['identity'],
      summary: 'Create an account (platform admin: any organisation; organisation admin: own organisation)',
      body: Type.Object({
        username: Type.String({ maxLength: 40 }),
        displayName: Type.String({ maxLength: 100 }),
        orgCode: Type.String({ maxLength: 32 }),
        role: Type.Union(ROLES.map((r) => Type.Literal(r))),
        password: Type.String({ maxLength: 200 }),
      }),
      response: { 201: User, ...authErrors },
    },
  }, async (req, reply) => {
    const u = await identity.createUser(req.actor, { ...req.body, role: req.body.role as Role });
    await admin(req.actor, 'user.create', { userId: u.id, username: u.username, orgCode: u.orgCode, role: u.role });
    return reply.code(201).send(u);
  });

  app.patch('/users/:id', {
    schema: {
      tags: ['identity'],
      summary: 'Disable or re-enable an account (re-enabling also lifts a lockout)',
      params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      body: Type.Object({ disabled: Type.Boolean() }),
      response: { 200: User, ...authErrors },
    },
  }, async (req) => {
    const u = await identity.setDisabled(req.actor, req.params.id, req.body.disabled);
    await admin(req.actor, req.body.disabled ? 'user.disable' : 'user.enable', { userId: u.id, username: u.username });
    return u;
  });

  app.get('/tokens', {
    schema: {
      tags: ['identity'],
      summary: "Application tokens of your organisation's systems (all for platform admins); secrets are never shown again",
      querystring: Type.Object({ system: Type.Optional(Type.String({ maxLength: 64 })) }),
      response: { 200: Type.Object({ items: Type.Array(Token) }), ...authErrors },
    },
  }, async (req) => ({ items: await identity.listTokens(req.actor, req.query.system ?? null) }));

  app.post('/tokens', {
    schema: {
      tags: ['identity'],
      summary: 'Issue an application token for a connected system; the token is shown once',
      body: Type.Object({
        systemCode: Type.String({ maxLength: 64 }),
        name: Type.String({ maxLength: 100 }),
        scopes: Type.Array(Type.Union(TOKEN_SCOPES.map((s) => Type.Literal(s))), { minItems: 1, maxItems: 2 }),
        expiresInDays: Type.Integer({ minimum: 1, maximum: 730, default: 90 }),
      }),
      response: {
        201: Type.Object({ token: Type.String(), id: Type.String(), systemCode: Type.String(), orgCode: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()), expiresAt: Type.String(), createdAt: Type.String() }),
        ...authErrors,
      },
    },
  }, async (req, reply) => {
    const t = await identity.issueToken(req.actor, { ...req.body, scopes: req.body.scopes as TokenScope[] });
    await admin(req.actor, 'token.issue', { tokenId: t.id, systemCode: t.systemCode, scopes: t.scopes, expiresAt: t.expiresAt });
    return reply.code(201).send(t);
  });

  app.delete('/tokens/:id', {
    schema: { tags: ['identity'], summary: 'Revoke an application token (effective on its next use)', params: Type.Object({ id: Type.String({ maxLength: 40 }) }), response: { 204: Type.Null(), ...authErrors } },
  }, async (req, reply) => {
    await identity.revokeToken(req.actor, req.params.id);
    await admin(req.actor, 'token.revoke', { tokenId: req.params.id });
    return reply.code(204).send(null);
  });
};
