import { AppError } from '../../errors.ts';
import type { Actor } from './actor.ts';
import type { AccessService } from './service.ts';

/** Runs an action that touches no dataset (parking, organisations) and records it in the audit trail: allowed, refused or failed, with who and what. */
export type Audited = <T>(actor: Actor, action: string, detail: Record<string, unknown>, fn: () => Promise<T>) => Promise<T>;

const DENIED = new Set(['FORBIDDEN', 'AUTH_REQUIRED', 'RESERVATION_NOT_FOUND', 'PASS_NOT_FOUND']);

/** The audit wrapper of such actions over the platform's audit trail (no entry, no success: AUDIT_UNAVAILABLE). */
export function auditedActions(access: AccessService): Audited {
  return async (actor, action, detail, fn) => {
    const facts = (result: 'allowed' | 'denied' | 'error', extra: Record<string, unknown> = {}) => ({
      at: new Date().toISOString(), actorKind: actor.kind, actorId: actor.id, orgCode: actor.orgCode, action, datasetCode: null, fields: null, filter: null,
      grantId: null, purpose: null, rowCount: null, result, detail: { actorName: actor.name, ...detail, ...extra },
    });
    let value: Awaited<ReturnType<typeof fn>>;
    try {
      value = await fn();
    } catch (e) {
      if (e instanceof AppError) {
        if (e.code !== 'AUDIT_UNAVAILABLE') await access.record(facts(DENIED.has(e.code) ? 'denied' : 'error', { code: e.code }));
      } else {
        // An unexpected failure is recorded too (the caller gets a 500 and the log the details).
        await access.record(facts('error', { code: 'INTERNAL' })).catch(() => undefined);
      }
      throw e;
    }
    const v = value as { id?: unknown; status?: unknown; state?: unknown } | null;
    await access.record(facts('allowed', { id: v?.id ?? null, status: v?.status ?? v?.state ?? null }));
    return value;
  };
}
