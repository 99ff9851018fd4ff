import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AnyObject, authErrors as errorResponses } from '../../http/schemas.ts';
import type { Audited } from '../access/audited.ts';
import { requireAccess } from '../access/policy.ts';
import type { OrganisationService } from './service.ts';

const Organisation = Type.Object({
  code: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  kind: Type.String(),
  adcode: Type.Union([Type.String(), Type.Null()]),
  systems: Type.Integer(),
  datasets: Type.Integer(),
  validRecords: Type.Number(),
});
const System = Type.Object({
  code: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  orgCode: Type.String(),
  orgName: Type.String(),
  cycle: Type.String(),
  status: Type.Union([Type.Literal('connected'), Type.Literal('pending'), Type.Literal('stale')]),
  lastPushAt: Type.Union([Type.String(), Type.Null()]),
  datasets: Type.Integer(),
  validRecords: Type.Number(),
});

/** HTTP routes of organisations, districts and connected systems. */
export const organisationRoutes: FastifyPluginAsyncTypebox<{ orgs: OrganisationService; audited: Audited }> = async (app, { orgs, audited }) => {
  const Code = Type.String({ minLength: 2, maxLength: 16, pattern: '^[A-Z][A-Z0-9]{1,15}$' });
  app.post('/organisations', {
    schema: {
      tags: ['organisations'],
      summary: 'Register a department or a district government (platform admins)',
      body: Type.Object({
        code: Code, name: Type.String({ minLength: 1, maxLength: 100 }), nameEn: Type.String({ minLength: 1, maxLength: 200 }),
        kind: Type.Union([Type.Literal('department'), Type.Literal('district')]), adcode: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]{6}$' }), Type.Null()])),
      }),
      response: { 201: AnyObject, ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await audited(req.actor, 'organisations.register', { code: req.body.code }, () => orgs.register(req.actor, { ...req.body, adcode: req.body.adcode ?? null }))));

  app.post('/organisations/:code/systems', {
    schema: {
      tags: ['organisations'],
      summary: "Register a connected information system (接入系统) of an organisation (platform admins, the organisation's admins); then issue it tokens",
      params: Type.Object({ code: Code }),
      body: Type.Object({
        code: Type.String({ minLength: 3, maxLength: 64 }), name: Type.String({ minLength: 1, maxLength: 100 }), nameEn: Type.String({ minLength: 1, maxLength: 200 }),
        cycle: Type.String({ description: 'declared update cycle: realtime, hourly, daily, weekly, monthly, quarterly, yearly' }),
      }),
      response: { 201: AnyObject, ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await audited(req.actor, 'systems.register', { org: req.params.code, code: req.body.code }, () => orgs.registerSystem(req.actor, { ...req.body, orgCode: req.params.code }))));

  app.get('/organisations', {
    schema: { tags: ['organisations'], summary: 'Departments and districts', response: { 200: Type.Object({ items: Type.Array(Organisation) }), ...errorResponses } },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'catalogue.read' });
    return { items: await orgs.listOrganisations() };
  });

  app.get('/organisations/:code', {
    schema: {
      tags: ['organisations'],
      summary: 'One organisation with its systems',
      params: Type.Object({ code: Type.String({ maxLength: 32 }) }),
      response: { 200: Type.Intersect([Organisation, Type.Object({ systemsList: Type.Array(System) })]), ...errorResponses },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'catalogue.read' });
    return orgs.getOrganisation(req.params.code);
  });

  app.get('/systems', {
    schema: {
      tags: ['organisations'],
      summary: 'Connected information systems (接入系统) with connection status',
      querystring: Type.Object({ org: Type.Optional(Type.String({ maxLength: 32 })) }),
      response: { 200: Type.Object({ items: Type.Array(System) }), ...errorResponses },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'catalogue.read' });
    return { items: await orgs.listSystems(req.query.org ?? null) };
  });

  app.get('/districts', {
    schema: { tags: ['organisations'], summary: "Xiamen's districts", response: { 200: Type.Object({ items: Type.Array(AnyObject) }) } },
  }, async () => ({ items: [...orgs.districts()] }));
};
