import { AppError, fail } from '../../errors.ts';
import type { FieldMask } from '../../lake/lake.ts';
import type { AuditService } from '../audit/service.ts';
import type { AuditFacts } from '../audit/chain.ts';
import type { Dataset, FieldSpec } from '../catalogue/types.ts';
import { parseFilter, type Filter } from '../query/filter.ts';
import { checkFilter } from '../query/filter-check.ts';
import type { SharingService } from '../sharing/service.ts';
import { beijingDay, nextBeijingMidnight } from '../sharing/calendar.ts';
import type { GrantRow } from '../sharing/repository.ts';
import type { Actor } from './actor.ts';
import { toFieldMask, type MaskName } from './masks.ts';
import { ownsData, requireAccess, usesGrant, type Permission } from './policy.ts';
import type { PlatformSecret } from './secret.ts';

/**
 * What one actor may see of one dataset (数据视图): its fields (masked ones typed as text), the masks, and the row
 * scope every query is narrowed by. Owners see everything; consumers see what their grant names.
 */
export interface DataView {
  basis: 'owner' | 'grant' | 'open';
  grant: GrantRow | null;
  /** A stable id of the view (the grant id, or 'owner'), bound into cursors. */
  key: string;
  /** Visible fields in schema order; masked fields are typed as string. */
  fields: FieldSpec[];
  /** Masks by field name. */
  masks: Record<string, FieldMask>;
  /** Fields the caller may filter, sort, group and aggregate on: visible and in clear. */
  clear: Set<string>;
  /** Schema fields the caller cannot see at all. */
  withheld: Set<string>;
  /** The grant's row scope, checked and typed; ANDed into every query. */
  scope: Filter | null;
}

/** Field sensitivities an open dataset publishes; sensitive and secret fields are never opened. */
export const OPEN_SENSITIVITIES = new Set(['public', 'internal']);

/** What anyone sees of an openly published dataset: its public and internal fields, in clear, every row. */
export function publicView(ds: Dataset): DataView {
  const fields = ds.fields.filter((f) => OPEN_SENSITIVITIES.has(f.sensitivity));
  return {
    basis: 'open', grant: null, key: 'open', fields, masks: {}, clear: new Set(fields.map((f) => f.name)),
    withheld: new Set(ds.fields.filter((f) => !OPEN_SENSITIVITIES.has(f.sensitivity)).map((f) => f.name)), scope: null,
  };
}

/** The context of one guarded data access, for the audit entry. */
export interface AccessContext {
  action: string;
  fields?: string[] | null;
  filter?: string | null;
  detail?: Record<string, unknown>;
}

/** Denials recorded as such in the trail; other refusals (bad input) are recorded as errors. */
const DENIALS = new Set(['AUTH_REQUIRED', 'FORBIDDEN', 'NO_GRANT', 'FIELD_WITHHELD', 'FIELD_MASKED', 'RATE_LIMITED', 'QUOTA_EXCEEDED', 'NOT_SHAREABLE']);

/**
 * The one access decision (访问决策) every route and CLI command goes through: who may do what to which data,
 * under which grant, within which quotas — and the audit entry for every attempt, allowed or not. If the entry
 * cannot be written the access is refused, as an X-Road security server does.
 */
export class AccessService {
  private readonly minute = new Map<string, { start: number; n: number }>();
  private readonly rowsToday = new Map<string, { day: string; rows: number }>();

  constructor(
    private readonly sharing: SharingService,
    private readonly audit: AuditService,
    private readonly secret: PlatformSecret,
  ) {}

  /**
   * The view of a dataset the actor may read: the owner's, else a grant's, else — for an openly published
   * dataset (无条件开放) — the public view (its public and internal fields, every row); or NO_GRANT / AUTH_REQUIRED.
   */
  async view(actor: Actor, ds: Dataset): Promise<DataView> {
    const names = new Set(ds.fields.map((f) => f.name));
    if (ownsData(actor, ds.orgCode)) {
      return { basis: 'owner', grant: null, key: 'owner', fields: ds.fields, masks: {}, clear: names, withheld: new Set(), scope: null };
    }
    const grants = actor.orgCode
      ? (await this.sharing.activeGrants(ds.code, actor.orgCode)).filter((g) => usesGrant(actor, { consumerOrg: g.consumer_org, consumerSystem: g.consumer_system }))
      : [];
    const g = grants[0];
    if (!g) {
      if (ds.openType === 'open') return publicView(ds);
      if (actor.kind === 'anonymous') fail('AUTH_REQUIRED');
      return fail('NO_GRANT', { dataset: ds.code });
    }
    const granted = JSON.parse(g.fields) as string[];
    const maskNames = JSON.parse(g.masks) as Record<string, MaskName>;
    const hashKey = this.secret.joinKey(g.consumer_org);
    const fields: FieldSpec[] = [];
    const masks: Record<string, FieldMask> = {};
    const clear = new Set<string>();
    for (const f of ds.fields) {
      const m = maskNames[f.name] ?? 'clear';
      if (!granted.includes(f.name) || m === 'drop') continue;
      const fm = toFieldMask(f, m, hashKey);
      if (fm) {
        masks[f.name] = fm;
        fields.push({ ...f, type: 'string', format: null, enum: undefined, min: undefined, max: undefined, pattern: undefined });
      } else {
        fields.push(f);
        clear.add(f.name);
      }
    }
    const withheld = new Set([...names].filter((n) => !fields.some((f) => f.name === n)));
    const scope = g.row_scope ? checkFilter(parseFilter(g.row_scope), new Map(ds.fields.map((f) => [f.name, f])), ds.code) : null;
    return { basis: 'grant', grant: g, key: g.id, fields, masks, clear, withheld, scope };
  }

  /** Refuses a field the view does not show, or shows only masked, for a use that needs its clear value. */
  static requireClear(view: DataView, ds: Dataset, field: string): void {
    if (field === '_seq' || field === '_at' || view.clear.has(field)) return;
    if (view.withheld.has(field)) fail('FIELD_WITHHELD', { field, dataset: ds.code });
    if (view.masks[field]) fail('FIELD_MASKED', { field });
  }

  /** Refuses a field the view does not show at all. */
  static requireVisible(view: DataView, ds: Dataset, field: string): void {
    if (view.withheld.has(field)) fail('FIELD_WITHHELD', { field, dataset: ds.code });
  }

  /**
   * Admits one request under the grant's quotas and reserves up to `want` of today's rows for it (Infinity without
   * a grant or a row limit). The reservation is taken in the same synchronous step as the check, so concurrent
   * requests can never together read past the day's limit; `settle` later books what was really read.
   */
  private async admit(g: GrantRow | null, now: Date, want: number): Promise<number> {
    if (!g) return Infinity;
    const rpm = g.requests_per_minute === null ? null : Number(g.requests_per_minute);
    const limit = g.rows_per_day === null ? null : Number(g.rows_per_day);
    const day = limit === null ? null : await this.today(g, now);
    if (rpm !== null) {
      const w = this.minute.get(g.id);
      const t = now.getTime();
      if (!w || t - w.start >= 60_000) this.minute.set(g.id, { start: t, n: 1 });
      else if (w.n >= rpm) {
        const retryAfter = Math.ceil((w.start + 60_000 - t) / 1000);
        fail('RATE_LIMITED', { grant: g.id, limit: rpm, retryAfter }, { retryAfterSeconds: retryAfter });
      } else w.n++;
    }
    if (limit === null || !day) return Infinity;
    const left = limit - day.rows;
    if (left <= 0) {
      const retryAfter = Math.ceil((nextBeijingMidnight(now).getTime() - now.getTime()) / 1000);
      fail('QUOTA_EXCEEDED', { grant: g.id, limit, retryAfter }, { retryAfterSeconds: retryAfter });
    }
    const reserved = Math.min(left, Math.max(1, want));
    day.rows += reserved;
    return reserved;
  }

  /**
   * Today's row count (Beijing day) of a dataset read by one consumer system, over all its grants — loaded once from
   * the Store and then kept here.
   */
  private async today(g: GrantRow, now: Date): Promise<{ day: string; rows: number }> {
    const day = beijingDay(now);
    const key = `${g.dataset_code}|${g.consumer_system}`;
    const c = this.rowsToday.get(key);
    if (c && c.day === day) return c;
    const u = await this.sharing.usageOfPair(g.dataset_code, g.consumer_system, day);
    const again = this.rowsToday.get(key);
    if (again && again.day === day) return again;
    const fresh = { day, rows: u.rows };
    this.rowsToday.set(key, fresh);
    return fresh;
  }

  /** Books the rows a request really read against its reservation, in memory and (soon) in the Store. */
  private async settle(g: GrantRow, reserved: number, rows: number, now: Date): Promise<void> {
    const c = this.rowsToday.get(`${g.dataset_code}|${g.consumer_system}`);
    if (c && Number.isFinite(reserved)) c.rows += rows - reserved;
    this.sharing.addUsage(g, beijingDay(now), rows);
  }

  /** Appends an audit entry; a failure to write refuses the access (AUDIT_UNAVAILABLE). */
  async record(facts: AuditFacts): Promise<void> {
    try {
      await this.audit.append(facts);
    } catch {
      fail('AUDIT_UNAVAILABLE');
    }
  }

  private facts(actor: Actor, ds: Dataset | null, ctx: AccessContext, view: DataView | null, result: AuditFacts['result'], rows: number | null, extra: Record<string, unknown> = {}): AuditFacts {
    return {
      at: new Date().toISOString(), actorKind: actor.kind, actorId: actor.id, orgCode: actor.orgCode, action: ctx.action, datasetCode: ds?.code ?? null,
      fields: ctx.fields ?? null, filter: ctx.filter?.trim() || null, grantId: view?.grant?.id ?? null, purpose: view?.grant?.purpose ?? null, rowCount: rows,
      result, detail: { actorName: actor.name, ...(ctx.detail ?? {}), ...(view ? { basis: view.basis } : {}), ...extra },
    };
  }

  /**
   * Runs one read of dataset records under the actor's view: decides, admits against the grant's quotas (reserving
   * up to `want` rows; the reader gets the rows it may still read today), runs `fn`, writes the audit entry and
   * books the rows before the answer leaves. Refusals and errors are audited too.
   */
  async read<T>(
    actor: Actor,
    ds: Dataset,
    ctx: AccessContext,
    want: number,
    fn: (view: DataView, rowsLeft: number) => Promise<{ value: T; rows: number | null }>,
  ): Promise<T> {
    let view: DataView | null = null;
    let reserved = 0;
    const now = new Date();
    try {
      view = await this.view(actor, ds);
      reserved = await this.admit(view.grant, now, want);
      let out: { value: T; rows: number | null };
      try {
        out = await fn(view, reserved);
        await this.record(this.facts(actor, ds, ctx, view, 'allowed', out.rows));
      } catch (e) {
        if (view.grant) await this.settle(view.grant, reserved, 0, now);
        throw e;
      }
      if (view.grant) await this.settle(view.grant, reserved, out.rows ?? 0, now);
      return out.value;
    } catch (e) {
      if (e instanceof AppError && e.code !== 'AUDIT_UNAVAILABLE') {
        await this.record(this.facts(actor, ds, ctx, view, DENIALS.has(e.code) ? 'denied' : 'error', null, { code: e.code }));
      }
      throw e;
    }
  }

  /** Runs any other guarded action on a dataset's data (ingest, quarantine) after a permission check, audited the same way. */
  async act<T>(actor: Actor, ds: Dataset, permission: Permission, ctx: AccessContext, fn: () => Promise<{ value: T; rows: number | null; detail?: Record<string, unknown> }>): Promise<T> {
    try {
      requireAccess({ actor, permission, orgs: [ds.orgCode] });
      const { value, rows, detail } = await fn();
      await this.record(this.facts(actor, ds, ctx, null, 'allowed', rows, detail));
      return value;
    } catch (e) {
      if (e instanceof AppError && e.code !== 'AUDIT_UNAVAILABLE') {
        await this.record(this.facts(actor, ds, ctx, null, DENIALS.has(e.code) ? 'denied' : 'error', null, { code: e.code }));
      }
      throw e;
    }
  }

  /** Records a refused sign-in or token as a denied attempt. */
  async recordAuthFailure(code: string, detail: Record<string, unknown>): Promise<void> {
    await this.record({
      at: new Date().toISOString(), actorKind: 'anonymous', actorId: 'anonymous', orgCode: null, action: 'auth', datasetCode: null, fields: null,
      filter: null, grantId: null, purpose: null, rowCount: null, result: 'denied', detail: { code, ...detail },
    });
  }

  /** Seals a value (a cursor) so it can be neither read nor altered by the client. */
  seal(v: unknown): string {
    return this.secret.seal(v);
  }

  /** Opens a sealed cursor, or BAD_CURSOR. */
  open(s: string): unknown {
    const v = this.secret.open(s);
    if (v === null) fail('BAD_CURSOR');
    return v;
  }
}
