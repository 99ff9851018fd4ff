import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AnyObject, authErrors as errorResponses } from '../../http/schemas.ts';
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
export const organisationRoutes: FastifyPluginAsyncTypebox<{ orgs: OrganisationService }> = async (app, { orgs }) => {
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
