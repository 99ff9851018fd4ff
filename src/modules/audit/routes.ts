import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fail } from '../../errors.ts';
import { AnyObject, authErrors } from '../../http/schemas.ts';
import { allowed, requireAccess } from '../access/policy.ts';
import type { AccessService } from '../access/service.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import { AuditService } from './service.ts';

/** HTTP routes of the audit trail: search (auditors: all; providers: about their data), verification, checkpoints, proofs. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService; access: AccessService; catalogue: CatalogueService }> = async (app, { audit, access, catalogue }) => {
  app.get('/audit/entries', {
    schema: {
      tags: ['audit'],
      summary: 'Search the audit trail, newest first (auditors and platform admins: everything; providers: use of their data and their own people)',
      querystring: Type.Object({
        actor: Type.Optional(Type.String({ maxLength: 100 })),
        org: Type.Optional(Type.String({ maxLength: 32 })),
        dataset: Type.Optional(Type.String({ maxLength: 80 })),
        action: Type.Optional(Type.String({ maxLength: 40 })),
        result: Type.Optional(Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('error')])),
        grant: Type.Optional(Type.String({ maxLength: 40 })),
        from: Type.Optional(Type.String({ format: 'date-time' })),
        to: Type.Optional(Type.String({ format: 'date-time' })),
        before: Type.Optional(Type.Integer({ minimum: 1 })),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(AnyObject), nextBefore: Type.Union([Type.Integer(), Type.Null()]) }), ...authErrors },
    },
  }, async (req) => {
    const actor = req.actor;
    const q = req.query;
    let scopeOrg: { org: string; datasets: string[] } | undefined;
    if (!allowed(actor, 'audit.read')) {
      requireAccess({ actor, permission: 'audit.read.org', orgs: [actor.orgCode] });
      const org = actor.orgCode as string;
      scopeOrg = { org, datasets: (await catalogue.all()).filter((d) => d.orgCode === org).map((d) => d.code) };
    }
    const norm = (s: string | undefined) => (s ? new Date(s).toISOString() : undefined);
    const items = await audit.search({
      actorId: q.actor, orgCode: q.org, dataset: q.dataset, action: q.action, result: q.result, grantId: q.grant, from: norm(q.from), to: norm(q.to),
      before: q.before, limit: q.limit, scopeOrg,
    });
    await access.record({
      at: new Date().toISOString(), actorKind: actor.kind, actorId: actor.id, orgCode: actor.orgCode, action: 'audit.read', datasetCode: q.dataset ?? null,
      fields: null, filter: null, grantId: null, purpose: null, rowCount: items.length, result: 'allowed', detail: { actorName: actor.name, scope: scopeOrg ? 'organisation' : 'all' },
    });
    return { items, nextBefore: items.length === q.limit ? items[items.length - 1].seq : null };
  });

  app.post('/audit/verify', {
    schema: {
      tags: ['audit'],
      summary: 'Re-walk the hash chain and every signed checkpoint; names the first bad entry',
      response: { 200: AnyObject, ...authErrors },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'audit.verify' });
    return audit.verify();
  });

  app.get('/audit/checkpoints', {
    schema: {
      tags: ['audit'],
      summary: 'Signed checkpoints (chain head + Merkle root, Ed25519) and the public key to check them',
      response: { 200: Type.Object({ items: Type.Array(AnyObject), key: AnyObject }), ...authErrors },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'audit.verify' });
    return { items: await audit.checkpoints(), key: audit.publicKey() };
  });

  app.post('/audit/checkpoints', {
    schema: { tags: ['audit'], summary: 'Sign a checkpoint now (to anchor in an external ledger)', response: { 201: AnyObject, ...authErrors } },
  }, async (req, reply) => {
    requireAccess({ actor: req.actor, permission: 'audit.verify' });
    const c = await audit.checkpoint();
    if (!c) fail('VALIDATION_FAILED', { reason: 'the audit trail is empty' });
    return reply.code(201).send(c);
  });

  app.get('/audit/entries/:seq/proof', {
    schema: {
      tags: ['audit'],
      summary: 'Merkle inclusion proof of one entry under the first checkpoint that covers it',
      params: Type.Object({ seq: Type.Integer({ minimum: 1 }) }),
      response: { 200: Type.Intersect([AnyObject, Type.Object({ valid: Type.Boolean() })]), ...authErrors },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'audit.read' });
    const p = await audit.proof(req.params.seq);
    if (!p) fail('VALIDATION_FAILED', { reason: `no signed checkpoint covers entry ${req.params.seq} yet; sign one first` });
    return { ...p, valid: AuditService.verifyProof(p) };
  });
};
