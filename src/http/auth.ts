import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { ANONYMOUS, type Actor } from '../modules/access/actor.ts';
import type { AccessService } from '../modules/access/service.ts';
import type { IdentityService } from '../modules/identity/service.ts';
import type { RateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking, resolved once per request from the session cookie or the application token. */
    actor: Actor;
  }
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'xmc_session';

/** Reads one cookie from the Cookie header. */
export function readCookie(req: FastifyRequest, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return part.slice(i + 1).trim();
      }
    }
  }
  return null;
}

/** Sets (or, with null, clears) the session cookie: HTTP-only, SameSite=Strict, Secure when configured. */
export function setSessionCookie(reply: FastifyReply, value: string | null, opts: { secure: boolean; expiresAt?: string }): void {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(opts.secure ? ['Secure'] : [])];
  if (value === null) attrs.push('Max-Age=0');
  else if (opts.expiresAt) attrs.push(`Expires=${new Date(opts.expiresAt).toUTCString()}`);
  reply.header('set-cookie', `${SESSION_COOKIE}=${value === null ? '' : encodeURIComponent(value)}; ${attrs.join('; ')}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the actor of every request under a prefix: an application token (Authorization: Bearer xmc_…, or
 * X-App-Token), else a session cookie, else anonymous. A bad token or an ended session is refused (401) and the
 * refusal audited; a cookie-authenticated write from another site is refused (403).
 */
export function registerAuth(
  app: FastifyInstance,
  deps: { identity: IdentityService; access: AccessService; secureCookies: boolean; limits?: { anonymous: RateLimiter; token: RateLimiter } },
): void {
  app.decorateRequest('actor', null as never);
  app.addHook('onRequest', async (req, reply) => {
    await resolveActor(req, reply);
    // Anonymous visitors are limited per IP address, systems per token, registered members of the public per
    // account (as strictly as anonymous visitors); government staff are not.
    const a = req.actor;
    const l = deps.limits;
    const wait = !l ? 0
      : a.kind === 'anonymous' ? l.anonymous.hit(`ip:${req.ip}`)
        : a.kind === 'system' ? l.token.hit(`token:${a.id}`)
          : a.kind === 'person' && a.role === 'public' ? Math.max(l.anonymous.hit(`user:${a.id}`), l.anonymous.hit(`ip:${req.ip}`)) : 0;
    if (wait > 0) throw new AppError('TOO_MANY_REQUESTS', { who: a.kind === 'anonymous' ? `address ${req.ip}` : `token ${a.id}`, retryAfter: wait }, { retryAfterSeconds: wait });
  });

  function throttleFailure(req: FastifyRequest): void {
    const wait = deps.limits?.anonymous.hit(`ip:${req.ip}`) ?? 0;
    if (wait > 0) throw new AppError('TOO_MANY_REQUESTS', { who: `address ${req.ip}`, retryAfter: wait }, { retryAfterSeconds: wait });
  }

  async function resolveActor(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    req.actor = ANONYMOUS;
    // An application token: "Authorization: Bearer xmc_…", or as CKAN clients send keys — a bare Authorization
    // header, X-CKAN-API-KEY — or the open-data portal's X-App-Token.
    const auth = req.headers.authorization?.trim();
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' && v.trim() ? v.trim() : null;
    };
    const token = auth ? (auth.startsWith('Bearer ') ? auth.slice(7).trim() : auth) : (header('x-app-token') ?? header('x-ckan-api-key'));
    if (token !== null) {
      try {
        req.actor = await deps.identity.tokenActor(token);
      } catch (e) {
        // Failed credentials count against the address's limit, so guessing tokens is throttled and cannot flood
        // the audit trail.
        throttleFailure(req);
        if (e instanceof AppError) await deps.access.recordAuthFailure(e.code, { path: req.url.split('?')[0], ip: req.ip });
        throw e;
      }
      return;
    }
    const session = readCookie(req, SESSION_COOKIE);
    if (session === null) return;
    if (req.url.startsWith('/api/v1/auth/login')) return;
    try {
      req.actor = await deps.identity.sessionActor(session);
    } catch (e) {
      setSessionCookie(reply, null, { secure: deps.secureCookies });
      if (req.url.startsWith('/api/v1/auth/')) return;
      throttleFailure(req);
      throw e;
    }
    if (!SAFE_METHODS.has(req.method)) {
      const origin = req.headers.origin;
      const site = req.headers['sec-fetch-site'];
      const host = req.headers.host;
      const originHost = (() => {
        try {
          return origin ? new URL(origin).host : null;
        } catch {
          return 'invalid';
        }
      })();
      if ((originHost && host && originHost !== host) || (typeof site === 'string' && !['same-origin', 'none'].includes(site))) {
        throw new AppError('CSRF_REJECTED', { origin: origin ?? site });
      }
    }
  }
}
