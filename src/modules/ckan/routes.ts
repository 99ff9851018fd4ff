import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CkanError, toCkanError, type CkanService } from './service.ts';

/** The public base URL of a request (scheme and host), for the links CKAN answers carry. */
export function baseUrl(req: FastifyRequest): string {
  // The configured public address; else the request's own scheme and host, which honour X-Forwarded-Proto / -Host
  // only when a trusted proxy is configured (a forged header must not plant links in cached answers).
  return req.server.platform.config.publicUrl ?? `${req.protocol}://${req.host || 'localhost'}`;
}

/**
 * The CKAN Action API, version 3: GET with query parameters or POST with a JSON (or form) body, answered in CKAN's
 * envelope {help, success, result} or {help, success: false, error: {__type, message}}.
 */
export async function ckanRoutes(app: FastifyInstance, opts: { ckan: CkanService }): Promise<void> {
  const help = (req: FastifyRequest, name: string) => `${baseUrl(req)}/api/3/action/help_show?name=${encodeURIComponent(name)}`;
  const fail = (req: FastifyRequest, reply: FastifyReply, name: string, e: CkanError) => {
    if (e.status === 429) reply.header('retry-after', String((e as CkanError & { retryAfter?: number }).retryAfter ?? 60));
    return reply.code(e.status).send({ help: help(req, name), success: false, error: { __type: e.type, message: e.message, ...e.fields } });
  };
  app.setErrorHandler((err, req, reply) => {
    const name = (req.params as { action?: string }).action ?? '';
    const ck = toCkanError(err);
    if (ck) {
      const retry = (err as { details?: { retryAfterSeconds?: number } }).details?.retryAfterSeconds;
      if (retry) reply.header('retry-after', String(retry));
      return reply.code(ck.status).send({ help: help(req, name), success: false, error: { __type: ck.type, message: ck.message, ...ck.fields } });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if ((err as { validation?: unknown }).validation || status === 400) {
      return fail(req, reply, name, new CkanError('Bad Request', 400, `Bad request: ${(err as Error).message}`));
    }
    // What the HTTP layer refuses before the action runs (a body over 1 MiB, a content type it cannot read, …).
    if (status && status > 400 && status < 500) {
      const why = status === 413 ? 'the request body is larger than 1 MiB' : status === 415 ? 'send JSON or form-encoded parameters, or a query string' : (err as Error).message;
      return fail(req, reply, name, new CkanError('Bad Request', status, `Bad request: ${why}`));
    }
    req.log.error({ err }, 'CKAN action failed');
    return reply.code(500).send({ help: help(req, name), success: false, error: { __type: 'Internal Server Error', message: `An internal error occurred; it has been logged with id ${req.id}` } });
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  const handle = async (req: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply) => {
    const name = req.params.action;
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
    const params = { ...(req.query as Record<string, unknown>), ...body };
    const caller = req.actor.kind === 'anonymous' ? `ip:${req.ip}` : `${req.actor.kind}:${req.actor.id}`;
    const result = await opts.ckan.action(name, params, { actor: req.actor, base: baseUrl(req), caller });
    if (name === 'datastore_search' && (params.records_format === 'csv' || params.records_format === 'tsv')) reply.header('x-records-format', String(params.records_format));
    return reply.send({ help: help(req, name), success: true, result });
  };
  const schema = { tags: ['ckan'], summary: 'CKAN Action API v3 (status_show, package_search, datastore_search, datastore_search_sql …)', params: { type: 'object', properties: { action: { type: 'string', pattern: '^[a-z_]{1,60}$' } } } };
  app.get('/action/:action', { schema }, handle);
  app.post('/action/:action', { schema }, handle);
}
