import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AnyObject, authErrors } from '../../http/schemas.ts';
import { baseUrl } from '../ckan/routes.ts';
import type { OpenPlanService } from '../openplan/service.ts';
import type { PortalService } from './service.ts';

/** HTTP routes of the open-data portal (no sign-in to browse) and the annual open plan. */
export const portalRoutes: FastifyPluginAsyncTypebox<{ portal: PortalService; plans: OpenPlanService }> = async (app, { portal, plans }) => {
  app.get('/portal/summary', {
    schema: { tags: ['portal'], summary: 'Published datasets and records, timeliness (及时率) per organisation, this year\'s open plan', response: { 200: AnyObject, ...authErrors } },
  }, async () => portal.summary());

  app.get('/portal/late', {
    schema: { tags: ['portal'], summary: 'Published datasets that missed their declared update cycle', response: { 200: Type.Object({ items: Type.Array(AnyObject) }), ...authErrors } },
  }, async () => ({ items: await portal.late() }));

  app.get('/portal/datasets/:code', {
    schema: {
      tags: ['portal'],
      summary: 'A published dataset: metadata, published fields, timeliness, downloads and API calls (search with CKAN package_search)',
      params: Type.Object({ code: Type.String({ maxLength: 80, pattern: '^[A-Za-z0-9-]+$' }) }),
      response: { 200: AnyObject, ...authErrors },
    },
  }, async (req) => portal.dataset(req.params.code, baseUrl(req)));

  app.post('/portal/register', {
    schema: {
      tags: ['portal'],
      summary: 'Register as a person or an enterprise (with its unified social credit code) to apply for conditionally open data',
      body: Type.Object({
        kind: Type.Union([Type.Literal('person'), Type.Literal('enterprise')]),
        name: Type.String({ maxLength: 100 }),
        username: Type.String({ maxLength: 40 }),
        password: Type.String({ maxLength: 200 }),
        creditCode: Type.Optional(Type.String({ maxLength: 18 })),
      }),
      response: { 201: AnyObject, ...authErrors },
    },
  }, async (req, reply) => reply.code(201).send(await portal.register(req.body)));

  app.post('/portal/applications', {
    schema: {
      tags: ['portal'],
      summary: 'Apply for a conditionally open dataset (有条件开放): purpose and data-security commitment; the owner reviews',
      body: Type.Object({
        dataset: Type.String({ maxLength: 80 }),
        purpose: Type.String({ maxLength: 2000 }),
        commitment: Type.String({ maxLength: 2000 }),
        durationDays: Type.Integer({ minimum: 1, maximum: 366, default: 180 }),
      }),
      response: { 201: AnyObject, ...authErrors },
    },
  }, async (req, reply) => reply.code(201).send(await portal.apply(req.actor, req.body)));

  app.get('/portal/applications', {
    schema: { tags: ['portal'], summary: 'Your applications, with their status and clock', response: { 200: AnyObject, ...authErrors } },
  }, async (req) => portal.applications(req.actor));

  app.post('/portal/applications/:id/token', {
    schema: {
      tags: ['portal'],
      summary: 'The application token of an approved application (shown once; send it as X-App-Token); a new one replaces the old',
      params: Type.Object({ id: Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }) }),
      response: { 201: AnyObject, ...authErrors },
    },
  }, async (req, reply) => reply.code(201).send(await portal.token(req.actor, req.params.id)));

  app.get('/open-plans', {
    schema: { tags: ['portal'], summary: 'Years with an annual open plan (年度开放计划)', response: { 200: Type.Object({ years: Type.Array(Type.Integer()) }) } },
  }, async () => ({ years: await plans.years() }));

  app.get('/open-plans/:year', {
    schema: {
      tags: ['portal'],
      summary: 'A year\'s open plan: items with status derived from the catalogue (planned, in progress, opened, overdue), progress by organisation and month',
      params: Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2100 }) }),
      response: { 200: AnyObject, ...authErrors },
    },
  }, async (req) => plans.plan(req.params.year));

  app.post('/open-plans/items', {
    schema: {
      tags: ['portal'],
      summary: 'Add an item to an annual plan (platform admins)',
      body: Type.Object({
        year: Type.Integer({ minimum: 2000, maximum: 2100 }),
        title: Type.String({ maxLength: 200 }),
        orgCode: Type.String({ maxLength: 32 }),
        datasetCode: Type.Optional(Type.Union([Type.String({ maxLength: 80 }), Type.Null()])),
        openType: Type.Union([Type.Literal('open'), Type.Literal('conditional')]),
        dueOn: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
        note: Type.Optional(Type.String({ maxLength: 2000 })),
      }),
      response: { 201: Type.Object({ id: Type.String() }), ...authErrors },
    },
  }, async (req, reply) => reply.code(201).send({ id: await plans.add(req.actor, req.body) }));

  app.patch('/open-plans/items/:id', {
    schema: {
      tags: ['portal'],
      summary: 'Link a plan item to the dataset that fulfils it (platform admins or the owning organisation)',
      params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
      body: Type.Object({ datasetCode: Type.Union([Type.String({ maxLength: 80 }), Type.Null()]) }),
      response: { 204: Type.Null(), ...authErrors },
    },
  }, async (req, reply) => {
    await plans.link(req.actor, req.params.id, req.body.datasetCode);
    return reply.code(204).send(null);
  });
};
