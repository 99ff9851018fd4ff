import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyError, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';
import { ErrorEnvelope } from './http/schemas.ts';
import { catalogueRoutes } from './modules/catalogue/routes.ts';
import { seedDemo } from './modules/demo/seed.ts';
import { hubRoutes } from './modules/hub/routes.ts';
import { ingestRoutes } from './modules/ingest/routes.ts';
import { organisationRoutes } from './modules/organisations/routes.ts';
import { ExportSlots } from './modules/query/export-slots.ts';
import { queryRoutes } from './modules/query/routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { identityRoutes } from './modules/identity/routes.ts';
import { sharingRoutes } from './modules/sharing/routes.ts';
import { registerAuth } from './http/auth.ts';
import { ckanRoutes } from './modules/ckan/routes.ts';
import { DcatCatalog } from './modules/dcat/catalog.ts';
import { dcatRoutes } from './modules/dcat/routes.ts';
import { portalRoutes } from './modules/portal/routes.ts';
import { auditedActions } from './modules/access/audited.ts';
import { parkingRoutes } from './modules/parking/routes.ts';
import { RateLimiter } from './http/rate-limit.ts';
import { openPlatform, type Platform } from './platform.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Slots of the whole-dataset exports running now. */
    exportSlots: ExportSlots;
    platform: Platform;
  }
}

/** Maps Fastify's own error codes to the platform's stable ones. */
function fastifyErrorToApp(err: FastifyError, req: FastifyRequest): AppError | null {
  if (err.validation) return new AppError('VALIDATION_FAILED', { reason: `${err.validationContext ?? 'request'} ${err.message.replace(/^(querystring|body|params|headers)\s*/, '')}` });
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('BODY_TOO_LARGE', { reason: 'The JSON body is larger than 1 MiB; send data files to /datasets/:code/records' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', { type: err.message.split(': ').pop() });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('MALFORMED_BODY', { format: 'JSON', reason: err.message });
  }
  if (err instanceof SyntaxError || err.statusCode === 400) return new AppError('MALFORMED_BODY', { format: 'JSON', reason: err.message });
  // The static file server refuses paths that climb out of its root (403) and missing files (404): both are not found.
  if (err.statusCode === 403 || err.statusCode === 404) return new AppError('NOT_FOUND', { method: req.method, url: req.url.split('?')[0] });
  return null;
}

/**
 * Builds the HTTP server in three stages: infrastructure (config, Store, Lake, logger), domain services,
 * then routes under /api/v1, operations endpoints and the web shell.
 */
export async function buildApp(config: Config, opts: { platform?: Platform; storeSchema?: string; seed?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: 1024 * 1024,
    requestTimeout: 0,
    // A hop count trusts that many proxies nearest to us (proxy-addr's trust function), never the client's own entries.
    trustProxy: typeof config.trustProxy === 'number' ? ((hops: number) => (_addr: string, i: number) => i < hops)(config.trustProxy) : config.trustProxy,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Stage 1: infrastructure.
  const platform = opts.platform ?? (await openPlatform(config, { storeSchema: opts.storeSchema }));
  app.decorate('platform', platform);
  app.decorate('exportSlots', new ExportSlots(config.exportsPerCaller, config.exportsMax));
  if (!opts.platform) app.addHook('onClose', async () => platform.close());
  if (opts.seed !== false && config.demo !== 'none') await seedDemo(platform, config.demo, { onlyIfEmpty: true, log: (m) => app.log.info(m) });

  app.addSchema(ErrorEnvelope);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const appErr = err instanceof AppError ? err : fastifyErrorToApp(err, req);
    const retry = appErr?.details?.retryAfterSeconds;
    if (typeof retry === 'number') reply.header('retry-after', String(retry));
    if (appErr && (appErr.status < 500 || appErr.code === 'AUDIT_UNAVAILABLE')) {
      req.log.info({ code: appErr.code }, appErr.message);
      return reply.code(appErr.status).send({ error: { code: appErr.code, message: appErr.message, ...(appErr.details ? { details: appErr.details } : {}) } });
    }
    req.log.error({ err }, 'request failed');
    const e = appErr ?? new AppError('INTERNAL', { requestId: req.id });
    return reply.code(e.status).send({ error: { code: e.code, message: e.code === 'INTERNAL' ? new AppError('INTERNAL', { requestId: req.id }).message : e.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    // Client-side routes fall back to the web shell; API paths and missing files (anything with an extension) are 404s.
    const path = req.url.split('?')[0];
    if (path.startsWith('/api/') || /\.[A-Za-z0-9]+$/.test(path) || !existsSync(join(config.webDir, 'index.html')) || req.method !== 'GET') {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: new AppError('NOT_FOUND', { method: req.method, url: req.url.split('?')[0] }).message } });
    }
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });

  const { metrics } = platform;
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: '数字厦门 Digital Xiamen — data hub API', version: '1.0.0', description: 'Catalogue, ingest and query of the municipal data hub.' },
      tags: ['hub', 'identity', 'organisations', 'catalogue', 'ingest', 'query', 'sharing', 'audit', 'ckan', 'dcat', 'portal'].map((name) => ({ name })),
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'xmc_session' },
          appToken: { type: 'http', scheme: 'bearer', description: 'Application token of a connected system: xmc_<id>_<secret>' },
        },
      },
      security: [{ session: [] }, { appToken: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const limits = { anonymous: new RateLimiter(config.anonymousPerMinute), token: new RateLimiter(config.tokenPerMinute) };

  // Actions that touch no dataset (registering systems, parking) are audited through one wrapper.
  const audited = auditedActions(platform.access);

  // Stage 2 and 3: domain routes, each module a plugin given the services it depends on.
  await app.register(
    async (api) => {
      // Every request under /api/v1 is made as someone: a session, an application token, or anonymous.
      registerAuth(api, { identity: platform.identity, access: platform.access, secureCookies: config.secureCookies, limits });
      await api.register(identityRoutes, { identity: platform.identity, access: platform.access, secureCookies: config.secureCookies });
      await api.register(hubRoutes, { hub: platform.hub });
      await api.register(organisationRoutes, { orgs: platform.orgs, audited });
      await api.register(catalogueRoutes, { catalogue: platform.catalogue });
      await api.register(queryRoutes, { query: platform.query, maxPageSize: config.maxPageSize, exports: app.exportSlots });
      await api.register(ingestRoutes, { ingest: platform.ingest, catalogue: platform.catalogue });
      await api.register(sharingRoutes, { sharing: platform.sharing });
      await api.register(portalRoutes, { portal: platform.portal, plans: platform.plans });
      await api.register(auditRoutes, { audit: platform.audit, access: platform.access, catalogue: platform.catalogue });
      await api.register(parkingRoutes, { parking: platform.parking, passes: platform.parkingPasses, credit: platform.parkingCredit, hub: platform.parkingHub, audited });
    },
    { prefix: '/api/v1' },
  );

  // The CKAN Action API for open-data clients and harvesters, under the same actors, limits and audit.
  await app.register(
    async (ckan) => {
      registerAuth(ckan, { identity: platform.identity, access: platform.access, secureCookies: config.secureCookies, limits });
      await ckan.register(ckanRoutes, { ckan: platform.ckan });
    },
    { prefix: '/api/3' },
  );
  // DCAT-AP for harvesters (the EU data portal, national catalogues), as ckanext-dcat serves it.
  await app.register(async (rdf) => {
    registerAuth(rdf, { identity: platform.identity, access: platform.access, secureCookies: config.secureCookies, limits });
    await rdf.register(dcatRoutes, { dcat: new DcatCatalog(platform.catalogue, platform.orgs) });
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await platform.lake.ping();
      await platform.store.db.selectFrom('organisations').select('code').limit(1).execute();
      return { status: 'ready', store: platform.store.dialect, lake: 'duckdb' };
    } catch (e) {
      return reply.code(503).send({ error: { code: 'LAKE_UNAVAILABLE', message: (e as Error).message } });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const s = await platform.hub.summary();
    metrics.lakeBytes.set(s.lakeBytes);
    metrics.validRecords.set(s.validRecords);
    for (const [k, v] of Object.entries(platform.lake.counters())) metrics.lakeCounters.set({ counter: k }, v);
    for (const [k, v] of Object.entries(await platform.parking.stateCounts())) metrics.parkingLots.set({ state: k }, v);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  if (existsSync(config.webDir)) {
    await app.register(fastifyStatic, { root: config.webDir, prefix: '/', wildcard: true, index: ['index.html'] });
  }
  return app;
}
