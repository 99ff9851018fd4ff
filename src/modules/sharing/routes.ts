import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AnyObject, authErrors as errors } from '../../http/schemas.ts';
import type { SharingService } from './service.ts';

const Id = Type.Object({ id: Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }) });
const Quota = Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()]));
const ListPaging = { limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }), offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }) };

/** HTTP routes of the sharing workflow: requests, decisions, disputes, grants, revocation and the working-day calendar. */
export const sharingRoutes: FastifyPluginAsyncTypebox<{ sharing: SharingService }> = async (app, { sharing }) => {
  app.get('/share-requests', {
    schema: {
      tags: ['sharing'],
      summary: 'Share requests (共享申请) you take part in, with their clocks; all for platform admins and auditors',
      querystring: Type.Object({
        status: Type.Optional(Type.String({ maxLength: 100, description: 'one status or several, comma-separated' })),
        dataset: Type.Optional(Type.String({ maxLength: 80 })),
        as: Type.Union([Type.Literal('consumer'), Type.Literal('provider'), Type.Literal('all')], { default: 'all' }),
        ...ListPaging,
      }),
      response: { 200: Type.Object({ items: Type.Array(AnyObject), total: Type.Integer() }), ...errors },
    },
  }, async (req) => sharing.list(req.actor, req.query as { as: 'all'; limit: number; offset: number }));

  app.post('/share-requests', {
    schema: {
      tags: ['sharing'],
      summary: 'Request data: purpose, fields, row scope (filter language) and duration; 无条件共享 datasets are granted at once',
      body: Type.Object({
        dataset: Type.String({ maxLength: 80 }),
        consumerSystem: Type.String({ maxLength: 64 }),
        purpose: Type.String({ maxLength: 2000 }),
        fields: Type.Array(Type.String({ maxLength: 63 }), { minItems: 1, maxItems: 500 }),
        rowScope: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
        durationDays: Type.Integer({ minimum: 1, maximum: 1095, default: 365 }),
      }),
      response: { 201: AnyObject, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await sharing.submit(req.actor, req.body)));

  app.get('/share-requests/:id', {
    schema: { tags: ['sharing'], summary: 'One request with its history and clock', params: Id, response: { 200: AnyObject, ...errors } },
  }, async (req) => sharing.get(req.actor, req.params.id));

  app.post('/share-requests/:id/check', {
    schema: {
      tags: ['sharing'],
      summary: "The platform's check (平台审核): pass to the provider, or refuse with a reason",
      params: Id,
      body: Type.Object({ approve: Type.Boolean(), note: Type.Optional(Type.String({ maxLength: 2000 })) }),
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => sharing.check(req.actor, req.params.id, req.body));

  app.post('/share-requests/:id/decide', {
    schema: {
      tags: ['sharing'],
      summary: "The provider's decision (提供方审批): grant with masks, scope and quotas, or refuse with a reason",
      params: Id,
      body: Type.Object({
        approve: Type.Boolean(),
        reason: Type.Optional(Type.String({ maxLength: 2000 })),
        masks: Type.Optional(Type.Record(Type.String({ maxLength: 63 }), Type.String({ maxLength: 20 }))),
        rowScope: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
        rowsPerDay: Quota,
        requestsPerMinute: Quota,
      }),
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => sharing.decide(req.actor, req.params.id, req.body));

  app.post('/share-requests/:id/dispute', {
    schema: {
      tags: ['sharing'],
      summary: "Dispute a provider's refusal (异议); the platform arbitrates",
      params: Id,
      body: Type.Object({ note: Type.String({ maxLength: 2000 }) }),
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => sharing.dispute(req.actor, req.params.id, req.body.note));

  app.post('/share-requests/:id/arbitrate', {
    schema: {
      tags: ['sharing'],
      summary: 'Platform arbitration of a dispute: uphold the refusal or grant',
      params: Id,
      body: Type.Object({ uphold: Type.Boolean(), note: Type.String({ maxLength: 2000 }) }),
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => sharing.arbitrate(req.actor, req.params.id, req.body));

  app.post('/share-requests/:id/withdraw', {
    schema: { tags: ['sharing'], summary: 'Withdraw an open request', params: Id, response: { 200: AnyObject, ...errors } },
  }, async (req) => sharing.withdraw(req.actor, req.params.id));

  app.get('/grants', {
    schema: {
      tags: ['sharing'],
      summary: 'Grants: as consumer ("my grants"), as provider, or both',
      querystring: Type.Object({
        as: Type.Union([Type.Literal('consumer'), Type.Literal('provider'), Type.Literal('all')], { default: 'all' }),
        dataset: Type.Optional(Type.String({ maxLength: 80 })),
        ...ListPaging,
      }),
      response: { 200: Type.Object({ items: Type.Array(AnyObject), total: Type.Integer() }), ...errors },
    },
  }, async (req) => sharing.grants(req.actor, req.query as { as: 'all'; limit: number; offset: number }));

  app.get('/grants/:id', {
    schema: { tags: ['sharing'], summary: 'One grant with its daily use', params: Id, response: { 200: AnyObject, ...errors } },
  }, async (req) => sharing.grant(req.actor, req.params.id));

  app.post('/grants/:id/revoke', {
    schema: {
      tags: ['sharing'],
      summary: 'Revoke a grant (provider or platform admin); effective on the next request',
      params: Id,
      body: Type.Object({ reason: Type.String({ maxLength: 2000 }) }),
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => sharing.revoke(req.actor, req.params.id, req.body.reason));

  app.get('/calendar', {
    schema: {
      tags: ['sharing'],
      summary: 'Holiday and make-up working-day overrides of the workflow clocks',
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ day: Type.String(), kind: Type.String(), name: Type.String() })) }) },
    },
  }, async () => ({ items: await sharing.calendarDays() }));

  app.put('/calendar/:day', {
    schema: {
      tags: ['sharing'],
      summary: 'Mark a day as a holiday or a make-up working day, or clear it (platform admin)',
      params: Type.Object({ day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }) }),
      body: Type.Object({ kind: Type.Union([Type.Literal('holiday'), Type.Literal('workday'), Type.Null()]), name: Type.String({ maxLength: 50, default: '' }) }),
      response: { 204: Type.Null(), ...errors },
    },
  }, async (req, reply) => {
    await sharing.setCalendarDay(req.actor, req.params.day, req.body.kind, req.body.name);
    return reply.code(204).send(null);
  });
};
