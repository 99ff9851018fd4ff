import { AppError, fail } from '../../errors.ts';
import type { Actor } from './actor.ts';

/**
 * Everything the platform guards, apart from reading records (which needs a data view, see AccessService.view).
 * Each permission is judged against the organisations that own the targets.
 */
export type Permission =
  | 'catalogue.read' // dataset metadata, organisations, systems, batch history
  | 'catalogue.write' // catalogue a dataset, add a field (target: the provider organisation)
  | 'records.write' // push batches (target: the dataset's organisation)
  | 'quality.read' // quarantined raw rows (target: the dataset's organisation)
  | 'share.request' // ask for a grant (target: the consumer organisation)
  | 'share.check' // the platform check of a request, dispute arbitration
  | 'share.decide' // the provider's decision (target: the provider organisation)
  | 'share.read' // see a request (target: provider and consumer organisations; either suffices)
  | 'grants.revoke' // (target: the provider organisation)
  | 'tokens.manage' // application tokens of systems (target: the system's organisation)
  | 'users.manage' // accounts (target: the account's organisation)
  | 'audit.read' // the whole trail
  | 'audit.read.org' // the trail about one's own organisation's data and people (target: the organisation)
  | 'audit.verify' // verify the chain, sign checkpoints
  | 'orgs.manage' // register departments, districts' governments (platform admins)
  | 'systems.manage' // register a connected system (target: its organisation)
  | 'parking.manage' // lots, sharing windows, credit scores and settlements (target: the transport department)
  | 'parking.book'; // reserve a place, buy an off-peak pass (drivers: any signed-in person)

/**
 * The single rule table: may `actor` do `permission` on targets owned by `org` (null: not organisation-bound)?
 * `any` means one of several owning organisations suffices (a request is visible to its consumer and provider).
 */
export function allowed(actor: Actor, permission: Permission, org: string | null = null): boolean {
  if (actor.kind === 'anonymous') return false;
  if (actor.kind === 'platform') return true;
  const own = org !== null && actor.orgCode === org;
  if (actor.kind === 'system') {
    // An application of a registered person or enterprise reads its granted data and nothing of the hub.
    if (actor.registrant) return false;
    switch (permission) {
      case 'catalogue.read':
        return true;
      case 'records.write':
      case 'quality.read':
        return own && actor.scopes.includes('ingest');
      case 'parking.book':
        // A booking application acting for its drivers.
        return actor.scopes.includes('read');
      default:
        return false;
    }
  }
  const r = actor.role;
  // Registered members of the public use the portal and the city's services: they apply for data, read it by
  // grant and book parking, nothing else.
  if (r === 'public') return (permission === 'share.read' && own) || permission === 'parking.book';
  switch (permission) {
    case 'catalogue.read':
      return true;
    case 'catalogue.write':
      return r === 'platform_admin' || (own && (r === 'org_admin' || r === 'data_steward'));
    case 'records.write':
    case 'quality.read':
    case 'share.decide':
      return own && (r === 'org_admin' || r === 'data_steward');
    case 'share.request':
      return own && (r === 'org_admin' || r === 'data_steward' || r === 'analyst');
    case 'share.check':
      return r === 'platform_admin';
    case 'share.read':
      return r === 'platform_admin' || r === 'auditor' || own;
    case 'grants.revoke':
      return r === 'platform_admin' || (own && (r === 'org_admin' || r === 'data_steward'));
    case 'tokens.manage':
      return r === 'platform_admin' || (own && r === 'org_admin');
    case 'users.manage':
      return r === 'platform_admin' || (own && r === 'org_admin');
    case 'audit.read':
    case 'audit.verify':
      return r === 'platform_admin' || r === 'auditor';
    case 'audit.read.org':
      return r === 'platform_admin' || r === 'auditor' || (own && (r === 'org_admin' || r === 'data_steward'));
    case 'orgs.manage':
      return r === 'platform_admin';
    case 'systems.manage':
      return r === 'platform_admin' || (own && r === 'org_admin');
    case 'parking.manage':
      return r === 'platform_admin' || (own && (r === 'org_admin' || r === 'data_steward'));
    case 'parking.book':
      return r !== 'auditor';
  }
}

/** Whether a person or system belongs to the organisation that owns a dataset and may read all of it. */
export function ownsData(actor: Actor, orgCode: string): boolean {
  if (actor.kind === 'platform') return true;
  if (actor.kind === 'system') return actor.orgCode === orgCode && actor.scopes.includes('read');
  if (actor.kind === 'person') return actor.orgCode === orgCode && actor.role !== 'auditor' && actor.role !== 'public';
  return false;
}

/** Whether a grant made to (consumer organisation, system) may be used by this actor. */
export function usesGrant(actor: Actor, grant: { consumerOrg: string; consumerSystem: string }): boolean {
  if (actor.kind === 'system') return actor.systemCode === grant.consumerSystem && actor.scopes.includes('read');
  if (actor.kind === 'person') return actor.orgCode === grant.consumerOrg && actor.role !== 'auditor';
  return false;
}

/**
 * The access decision for everything but record reads (STYLE item 4): refuses unless the actor holds the
 * permission on targets owned by one of `orgs`. Anonymous callers get AUTH_REQUIRED; others FORBIDDEN, or
 * `notFound` where the answer must not confirm that the target exists.
 */
export function requireAccess(q: { actor: Actor; permission: Permission; orgs?: (string | null)[]; notFound?: AppError }): void {
  if (q.actor.kind === 'anonymous') fail('AUTH_REQUIRED');
  const orgs = q.orgs ?? [null];
  if (orgs.some((o) => allowed(q.actor, q.permission, o))) return;
  if (q.notFound) throw q.notFound;
  fail('FORBIDDEN', { reason: `${q.permission} is not among your rights${orgs.some(Boolean) ? ` for ${orgs.filter(Boolean).join(', ')}` : ''}` });
}
