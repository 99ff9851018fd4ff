import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AnyObject, DatasetParams, Paging, authErrors as errorResponses } from '../../http/schemas.ts';
import { requireAccess } from '../access/policy.ts';
import type { CatalogueService, NewDataset, NewField } from './service.ts';
import { CATEGORIES, type Dataset } from './types.ts';

const Field = Type.Object({
  name: Type.String(),
  label: Type.String(),
  type: Type.String(),
  required: Type.Optional(Type.Boolean()),
  primaryKey: Type.Optional(Type.Boolean()),
  sensitivity: Type.Optional(Type.String()),
  format: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  enum: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  minLength: Type.Optional(Type.Integer({ minimum: 0 })),
  maxLength: Type.Optional(Type.Integer({ minimum: 0 })),
  pattern: Type.Optional(Type.String({ maxLength: 1000 })),
  sortIndex: Type.Optional(Type.Boolean({ description: 'keep sorted paging on this field fast (CKAN datastore_create indexes)' })),
  sinceVersion: Type.Optional(Type.Integer()),
});

const SortIndexStates = Type.Array(Type.Object({
  field: Type.String(),
  status: Type.Union([Type.Literal('building'), Type.Literal('ready'), Type.Literal('rebuilding'), Type.Literal('failed')]),
  rows: Type.Union([Type.Integer(), Type.Null()]),
  pendingRows: Type.Union([Type.Integer(), Type.Null()]),
  changedSince: Type.Boolean(),
  bytes: Type.Union([Type.Integer(), Type.Null()]),
  builtAt: Type.Union([Type.String(), Type.Null()]),
  buildMs: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
}));

const summaryKeys = [
  'code', 'name', 'nameEn', 'summary', 'category', 'tags', 'orgCode', 'orgName', 'systemCode', 'updateCycle', 'shareType', 'openType',
  'schemaVersion', 'validRecords', 'invalidRecords', 'lastIngestAt',
] as const;

/** The catalogue listing form of a dataset. */
export function datasetSummary(d: Dataset) {
  return Object.fromEntries(summaryKeys.map((k) => [k, d[k]]));
}

/** The full form of a dataset, with its schema. */
export function datasetDetail(d: Dataset) {
  return { ...datasetSummary(d), fields: d.fields, primaryKey: d.primaryKey, services: d.services, createdAt: d.createdAt, updatedAt: d.updatedAt };
}

/** A dataset's live APIs. */
const Services = Type.Array(
  Type.Object({
    id: Type.String({ maxLength: 40 }),
    name: Type.String({ maxLength: 200 }),
    nameEn: Type.String({ maxLength: 200, default: '' }),
    path: Type.String({ maxLength: 500, description: 'a path on this platform under /api/' }),
    format: Type.String({ maxLength: 40 }),
    mediaType: Type.String({ maxLength: 100 }),
  }),
  { maxItems: 20 },
);

/** HTTP routes of the resource catalogue. */
export const catalogueRoutes: FastifyPluginAsyncTypebox<{ catalogue: CatalogueService }> = async (app, { catalogue }) => {
  app.get('/datasets', {
    schema: {
      tags: ['catalogue'],
      summary: 'Search the resource catalogue',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: 200 })),
        org: Type.Optional(Type.String({ maxLength: 32 })),
        category: Type.Optional(Type.String({ maxLength: 8 })),
        shareType: Type.Optional(Type.Union([Type.Literal('unconditional'), Type.Literal('conditional'), Type.Literal('none')])),
        openType: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('conditional'), Type.Literal('closed')])),
        ...Paging,
      }),
      response: { 200: Type.Object({ items: Type.Array(AnyObject), total: Type.Integer() }), ...errorResponses },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'catalogue.read' });
    const r = await catalogue.search(req.query);
    return { items: r.items.map(datasetSummary), total: r.total };
  });

  app.get('/categories', {
    schema: {
      tags: ['catalogue'],
      summary: 'Resource categories (资源分类) with their classification codes',
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), nameEn: Type.String() })) }) },
    },
  }, async () => ({ items: [...CATEGORIES] }));

  app.get('/datasets/:code', {
    schema: { tags: ['catalogue'], summary: 'A dataset with its schema', params: DatasetParams, response: { 200: AnyObject, ...errorResponses } },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'catalogue.read' });
    return datasetDetail(await catalogue.get(req.params.code));
  });

  app.post('/datasets', {
    schema: {
      tags: ['catalogue'],
      summary: 'Catalogue a new dataset (resource code generated)',
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }),
        nameEn: Type.Optional(Type.String({ maxLength: 200 })),
        summary: Type.String({ maxLength: 4000 }),
        category: Type.String({ maxLength: 8 }),
        tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 30 })),
        orgCode: Type.String({ maxLength: 32 }),
        systemCode: Type.String({ maxLength: 64 }),
        updateCycle: Type.String(),
        shareType: Type.String(),
        openType: Type.String(),
        fields: Type.Array(Field, { minItems: 1, maxItems: 500 }),
        services: Type.Optional(Services),
      }),
      response: { 201: AnyObject, ...errorResponses },
    },
  }, async (req, reply) => {
    const d = await catalogue.create(req.actor, req.body as unknown as NewDataset);
    return reply.code(201).send(datasetDetail(d));
  });

  app.put('/datasets/:code/services', {
    schema: {
      tags: ['catalogue'],
      summary: "Replace a dataset's live APIs (served by its system on this platform, e.g. a real-time feed): published as CKAN API resources and DCAT distributions",
      params: DatasetParams,
      body: Type.Object({ services: Services }),
      response: { 200: AnyObject, ...errorResponses },
    },
  }, async (req) => datasetDetail(await catalogue.setServices(req.actor, req.params.code, req.body.services)));

  app.post('/datasets/:code/fields', {
    schema: { tags: ['catalogue'], summary: 'Add a field (new schema version)', params: DatasetParams, body: Field, response: { 201: AnyObject, ...errorResponses } },
  }, async (req, reply) => {
    const d = await catalogue.addField(req.actor, req.params.code, req.body as unknown as NewField);
    return reply.code(201).send(datasetDetail(d));
  });

  app.get('/datasets/:code/sort-indexes', {
    schema: {
      tags: ['catalogue'], summary: 'Sort indexes of a dataset and their state (building, ready, rebuilding, failed)', params: DatasetParams,
      response: { 200: Type.Object({ items: SortIndexStates }), ...errorResponses },
    },
  }, async (req) => ({ items: await catalogue.sortIndexes(req.actor, req.params.code) }));

  app.put('/datasets/:code/sort-indexes', {
    schema: {
      tags: ['catalogue'],
      summary: 'Declare the fields whose sorted paging stays fast (CKAN datastore_create indexes); built in the background',
      params: DatasetParams,
      body: Type.Object({ fields: Type.Array(Type.String({ maxLength: 63 }), { maxItems: 8 }) }),
      response: { 200: Type.Object({ items: SortIndexStates }), ...errorResponses },
    },
  }, async (req) => ({ items: await catalogue.setSortIndexes(req.actor, req.params.code, req.body.fields) }));
};
