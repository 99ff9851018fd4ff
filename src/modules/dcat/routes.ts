import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authErrors } from '../../http/schemas.ts';
import { baseUrl } from '../ckan/routes.ts';
import type { DcatCatalog } from './catalog.ts';
import { toJsonLd, toTurtle } from './serialise.ts';

const TYPES = { jsonld: 'application/ld+json; charset=utf-8', ttl: 'text/turtle; charset=utf-8' } as const;

/** DCAT-AP endpoints as ckanext-dcat serves them: /catalog.{jsonld,ttl} (paged) and /dataset/{id}.{jsonld,ttl}. */
export const dcatRoutes: FastifyPluginAsyncTypebox<{ dcat: DcatCatalog }> = async (app, { dcat }) => {
  const Ext = Type.Union([Type.Literal('jsonld'), Type.Literal('ttl')]);
  app.get('/catalog.:ext', {
    schema: {
      tags: ['dcat'],
      summary: 'The DCAT-AP catalogue of published datasets, 100 a page (hydra paging), optionally modified_since',
      params: Type.Object({ ext: Ext }),
      querystring: Type.Object({ page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }), modified_since: Type.Optional(Type.String({ maxLength: 40 })) }),
      response: authErrors,
    },
  }, async (req, reply) => {
    const base = baseUrl(req);
    const ext = req.params.ext as 'jsonld' | 'ttl';
    const selfUrl = (page: number) => `${base}/catalog.${ext}?${new URLSearchParams({ page: String(page), ...(req.query.modified_since ? { modified_since: req.query.modified_since } : {}) })}`;
    const g = await dcat.catalog(base, { page: req.query.page, modifiedSince: req.query.modified_since ?? null, selfUrl });
    return reply.type(TYPES[ext]).send(ext === 'ttl' ? toTurtle(g) : JSON.stringify(toJsonLd(g)));
  });

  app.get('/dataset/:id.:ext', {
    schema: {
      tags: ['dcat'],
      summary: 'One published dataset in DCAT-AP (JSON-LD or Turtle), by resource code or package name',
      params: Type.Object({ id: Type.String({ maxLength: 80, pattern: '^[A-Za-z0-9-]+$' }), ext: Ext }),
      response: authErrors,
    },
  }, async (req, reply) => {
    const ext = req.params.ext as 'jsonld' | 'ttl';
    const g = await dcat.dataset(baseUrl(req), req.params.id);
    return reply.type(TYPES[ext]).send(ext === 'ttl' ? toTurtle(g) : JSON.stringify(toJsonLd(g)));
  });
};
