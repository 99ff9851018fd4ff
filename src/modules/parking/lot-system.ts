import { fail } from '../../errors.ts';
import type { Actor } from '../access/actor.ts';
import { requireAccess } from '../access/policy.ts';
import type { OrganisationService } from '../organisations/service.ts';
import type { LotRow } from './repository.ts';

/** Lets through only the lot's own connected system (its application token, ingest scope) or the platform operator. */
export async function requireLotSystem(orgs: OrganisationService, actor: Actor, lot: LotRow): Promise<void> {
  const system = await orgs.requireSystem(lot.system_code);
  requireAccess({ actor, permission: 'records.write', orgs: [system.org_code] });
  if (actor.kind !== 'platform' && !(actor.kind === 'system' && actor.systemCode === lot.system_code)) {
    fail('FORBIDDEN', { reason: `only lot ${lot.id}'s own system ${lot.system_code} may report its entries and exits` });
  }
}

/** A driver key for the person or system acting (who holds a pass). */
export function holderKey(actor: Actor): string {
  if (actor.kind === 'anonymous') fail('AUTH_REQUIRED');
  return actor.kind === 'system' ? `system:${actor.systemCode}` : `${actor.kind}:${actor.id}`;
}
