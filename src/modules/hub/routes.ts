import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../http/schemas.ts';
import type { HubService } from './service.ts';

/** HTTP routes of hub-wide figures. */
export const hubRoutes: FastifyPluginAsyncTypebox<{ hub: HubService }> = async (app, { hub }) => {
  app.get('/hub/summary', {
    schema: {
      tags: ['hub'],
      summary: 'Hub totals: organisations, systems, datasets, valid records against the plan target',
      response: {
        200: Type.Object({
          organisations: Type.Integer(),
          systems: Type.Integer(),
          systemsConnected: Type.Integer(),
          datasets: Type.Integer(),
          validRecords: Type.Number(),
          invalidRecords: Type.Number(),
          validRecordsTarget: Type.Number(),
          lakeBytes: Type.Number(),
        }),
        ...errorResponses,
      },
    },
  }, async () => hub.summary());

  app.get('/hub/daily', {
    schema: {
      tags: ['hub'],
      summary: 'Valid and invalid records ingested per day, whole hub',
      querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 3660, default: 30 }) }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ day: Type.String(), valid: Type.Number(), invalid: Type.Number() })) }) },
    },
  }, async (req) => ({ items: await hub.daily(req.query.days) }));
};
