import { randomBytes } from 'node:crypto';
import { fail } from '../../errors.ts';
import type { AuditService } from '../audit/service.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import type { Dataset } from '../catalogue/types.ts';
import type { OrganisationService } from '../organisations/service.ts';
import { filterFields, parseFilter } from '../query/filter.ts';
import { checkFilter } from '../query/filter-check.ts';
import { actorLabel, type Actor } from '../access/actor.ts';
import { checkMask, defaultMask, type MaskName } from '../access/masks.ts';
import { allowed } from '../access/policy.ts';
import { WorkCalendar, beijingDay } from './calendar.ts';
import type { GrantRow, RequestRow, SharingRepository } from './repository.ts';

/**
 * Where a share request (共享申请) stands: the platform's check (平台审核, 2 working days), the provider's decision
 * (提供方审批, 5 working days), a dispute back at the platform (异议处理, 2 working days), or an end state.
 */
export type RequestStatus = 'platform_review' | 'provider_review' | 'disputed' | 'granted' | 'refused' | 'withdrawn';

/** Working days each open step has. */
export const STEP_DAYS: Partial<Record<RequestStatus, number>> = { platform_review: 2, provider_review: 5, disputed: 2 };

/** Quotas a grant gets unless the provider sets its own. */
export const DEFAULT_QUOTAS = { rowsPerDay: 1_000_000, requestsPerMinute: 600 };

const PAST: Record<string, string> = { pass: 'passed', refuse: 'refused', grant: 'granted', dispute: 'disputed', uphold: 'upheld', overturn: 'overturned', withdraw: 'withdrawn' };

/** What a consumer asks for. */
export interface NewRequest {
  dataset: string;
  consumerSystem: string;
  purpose: string;
  fields: string[];
  rowScope?: string | null;
  durationDays: number;
}

/** The provider's terms when approving: masks per field, optional narrower scope, quotas. */
export interface GrantTerms {
  masks?: Record<string, string>;
  rowScope?: string | null;
  rowsPerDay?: number | null;
  requestsPerMinute?: number | null;
}

/** Which grants a listing covers: the organisation's as consumer, as provider, or either (everything for platform roles). */
function filterOf(as: 'consumer' | 'provider' | 'all', org: string | null, all: boolean) {
  return { consumerOrg: as === 'consumer' ? org : null, providerOrg: as === 'provider' ? org : null, eitherOrg: as === 'all' && !all ? org : null };
}

function grantView(g: GrantRow, now = new Date()) {
  const expired = new Date(g.expires_at) <= now;
  return {
    id: g.id, requestId: g.request_id, datasetCode: g.dataset_code, providerOrg: g.provider_org, consumerOrg: g.consumer_org,
    consumerSystem: g.consumer_system, purpose: g.purpose, fields: JSON.parse(g.fields) as string[], masks: JSON.parse(g.masks) as Record<string, MaskName>,
    rowScope: g.row_scope, expiresAt: g.expires_at, rowsPerDay: g.rows_per_day === null ? null : Number(g.rows_per_day),
    requestsPerMinute: g.requests_per_minute === null ? null : Number(g.requests_per_minute), status: g.status === 'active' && expired ? 'expired' : g.status,
    revokedAt: g.revoked_at, revokedBy: g.revoked_by, revokeReason: g.revoke_reason, createdBy: g.created_by, createdAt: g.created_at,
  };
}

/** A grant as the API shows it. */
export type GrantView = ReturnType<typeof grantView>;

/**
 * The sharing workflow (共享审批): requests, the platform check, the provider's decision, disputes, grants and
 * revocation, with working-day clocks and the whole history kept.
 */
export class SharingService {
  readonly calendar = new WorkCalendar();
  private readonly grantCache = new Map<string, { at: number; rows: GrantRow[] }>();
  private readonly pendingUsage = new Map<string, { grantId: string; dataset: string; system: string; day: string; rows: number; requests: number }>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: SharingRepository,
    private readonly catalogue: CatalogueService,
    private readonly orgs: OrganisationService,
    private readonly audit: AuditService,
  ) {}

  /** Loads the holiday overrides into the calendar. */
  async loadCalendar(): Promise<void> {
    this.calendar.setOverrides((await this.repo.calendar()).map((d) => ({ day: d.day, kind: d.kind })));
  }

  /** Marks a day as a holiday or a make-up working day (null: back to the weekday rule). Platform admins only. */
  async setCalendarDay(by: Actor, day: string, kind: 'holiday' | 'workday' | null, name: string): Promise<void> {
    if (!allowed(by, 'share.check')) fail('FORBIDDEN', { reason: 'only a platform admin edits the working-day calendar' });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) fail('VALIDATION_FAILED', { reason: 'day is YYYY-MM-DD' });
    await this.repo.setCalendarDay(day, kind, name.slice(0, 50));
    await this.loadCalendar();
  }

  calendarDays() {
    return this.repo.calendar();
  }

  /**
   * Years whose holiday arrangement is missing from the calendar: this year, and from November the next (the State
   * Council publishes it late in the year before). Without it, holidays count as working days.
   */
  calendarGaps(now = new Date()): number[] {
    const year = Number(beijingDay(now).slice(0, 4));
    const wanted = Number(beijingDay(now).slice(5, 7)) >= 11 ? [year, year + 1] : [year];
    return wanted.filter((y) => !this.calendar.hasYear(y));
  }

  /** A request as the API shows it, with the organisations' names and, once granted, the grant's state. */
  private async view(r: RequestRow, now = new Date()) {
    const ds = await this.catalogue.get(r.dataset_code).catch(() => null);
    const due = r.step_due_at ? new Date(r.step_due_at) : null;
    const name = async (code: string) => (await this.orgs.findOrganisation(code))?.name ?? code;
    const g = r.grant_id ? await this.repo.grant(r.grant_id) : undefined;
    return {
      id: r.id, datasetCode: r.dataset_code, datasetName: ds?.name ?? r.dataset_code, providerOrg: r.provider_org, providerName: await name(r.provider_org),
      consumerOrg: r.consumer_org, consumerName: await name(r.consumer_org), consumerSystem: r.consumer_system, requestedBy: r.requested_by, purpose: r.purpose,
      commitment: r.commitment, fields: JSON.parse(r.fields) as string[], rowScope: r.row_scope, durationDays: Number(r.duration_days), shareType: r.share_type,
      status: r.status as RequestStatus, stepStartedAt: r.step_started_at, stepDueAt: r.step_due_at, workingDaysLeft: due ? this.calendar.workingDaysLeft(now, due) : null,
      overdue: due ? now > due : false, refusalReason: r.refusal_reason, grantId: r.grant_id,
      grant: g ? { id: g.id, status: grantView(g, now).status, expiresAt: g.expires_at, revokedAt: g.revoked_at, revokeReason: g.revoke_reason } : null,
      createdAt: r.created_at, updatedAt: r.updated_at,
    };
  }

  /**
   * Checks fields and a row scope against a dataset; returns the scope normalised (or null). A consumer's scope may
   * only test fields it asks for (`ownScope`), or it would be an oracle on fields it will never see.
   */
  private checkTerms(ds: Dataset, fields: string[], rowScope: string | null | undefined, ownScope = true): string | null {
    const names = new Set(ds.fields.map((f) => f.name));
    if (!Array.isArray(fields) || !fields.length) fail('VALIDATION_FAILED', { reason: 'name at least one field' });
    for (const f of fields) if (!names.has(f)) fail('UNKNOWN_FIELD', { dataset: ds.code, field: f });
    const scope = rowScope?.trim() || null;
    if (scope) {
      const parsed = checkFilter(parseFilter(scope), new Map(ds.fields.map((f) => [f.name, f])), ds.code);
      if (ownScope) {
        for (const n of filterFields(parsed)) {
          if (!fields.includes(n)) fail('VALIDATION_FAILED', { reason: `the row scope tests ${n}, which the request does not ask for; a scope may only use requested fields` });
        }
      }
    }
    return scope;
  }

  /** Submits a request; an unconditional (无条件共享) dataset passes the platform's automatic check and is granted at once. */
  async submit(by: Actor, input: NewRequest) {
    const ds = await this.catalogue.get(input.dataset);
    const system = await this.orgs.requireSystem(input.consumerSystem);
    if (by.kind === 'person' && by.role === 'public') fail('FORBIDDEN', { reason: 'apply for conditionally open data on the portal (POST /portal/applications)' });
    if (!allowed(by, 'share.request', system.org_code)) fail('FORBIDDEN', { reason: `you may not request data for ${system.org_code}'s system ${system.code}` });
    if (ds.shareType === 'none') fail('NOT_SHAREABLE', { dataset: ds.code });
    if (system.org_code === ds.orgCode) fail('VALIDATION_FAILED', { reason: `${ds.code} belongs to your own organisation; no grant is needed` });
    const purpose = input.purpose?.trim() ?? '';
    if (purpose.length < 4 || purpose.length > 2000) fail('VALIDATION_FAILED', { reason: 'state the purpose (用途) in 4 to 2000 characters' });
    if (!Number.isInteger(input.durationDays) || input.durationDays < 1 || input.durationDays > 1095) fail('VALIDATION_FAILED', { reason: 'duration is 1 to 1095 days' });
    const fields = [...new Set(input.fields)];
    const scope = this.checkTerms(ds, fields, input.rowScope);
    const now = new Date();
    const at = now.toISOString();
    const row: RequestRow = {
      id: `SR-${randomBytes(6).toString('hex')}`, dataset_code: ds.code, provider_org: ds.orgCode, consumer_org: system.org_code, consumer_system: system.code,
      requested_by: actorLabel(by), purpose, commitment: null, fields: JSON.stringify(fields), row_scope: scope, duration_days: input.durationDays, share_type: ds.shareType,
      status: 'platform_review', step_started_at: at, step_due_at: this.calendar.dueAfter(now, STEP_DAYS.platform_review as number).toISOString(),
      refusal_reason: null, grant_id: null, created_at: at, updated_at: at,
    };
    await this.repo.insertRequest(row, { at, actor: actorLabel(by), action: 'submit', note: null });
    if (ds.shareType === 'unconditional') {
      const grant = this.newGrant(row, ds, {}, 'platform (automatic check)');
      this.forgetGrants();
      await this.repo.transition(row.id, 'platform_review', { status: 'granted', step_started_at: at, step_due_at: null, grant_id: grant.id },
        { at, actor: 'platform (automatic check)', action: 'grant', note: '无条件共享: granted after the automatic check' }, grant);
      await this.recordGrant(by, grant, 'grant.create');
    }
    return this.get(by, row.id);
  }

  /**
   * An application for conditionally open data (有条件开放) from a registered person or enterprise: purpose and a
   * data-security commitment; the owner reviews it (5 working days). The applicant's own application system is
   * the grant's consumer, so the token it gets on approval reads exactly this dataset for this purpose.
   */
  async submitApplication(by: Actor, input: { dataset: string; purpose: string; commitment: string; durationDays: number; fields: string[] }) {
    if (by.kind !== 'person' || by.role !== 'public') fail('FORBIDDEN', { reason: 'applications for open data are made by people and enterprises registered on the portal' });
    const ds = await this.catalogue.get(input.dataset);
    if (ds.openType !== 'conditional') fail('VALIDATION_FAILED', { reason: ds.openType === 'open' ? `${ds.code} is open to everyone; no application is needed` : `${ds.code} is not open to the public` });
    const purpose = input.purpose?.trim() ?? '';
    if (purpose.length < 4 || purpose.length > 2000) fail('VALIDATION_FAILED', { reason: 'state the purpose (用途) in 4 to 2000 characters' });
    const commitment = input.commitment?.trim() ?? '';
    if (commitment.length < 10) fail('VALIDATION_FAILED', { reason: 'the data-security commitment (数据安全承诺) must be given in at least 10 characters' });
    if (!Number.isInteger(input.durationDays) || input.durationDays < 1 || input.durationDays > 366) fail('VALIDATION_FAILED', { reason: 'duration is 1 to 366 days' });
    const fields = [...new Set(input.fields)];
    this.checkTerms(ds, fields, null);
    const open = await this.repo.listRequests({ orgCode: by.orgCode, side: 'consumer', statuses: ['provider_review'], dataset: ds.code, limit: 1, offset: 0 });
    if (open.length) fail('BAD_TRANSITION', { id: open[0].id, status: 'still under review', action: 'applied for again' });
    const id = `OA-${randomBytes(6).toString('hex')}`;
    const systemCode = `APP-${id.slice(3)}`;
    await this.orgs.createSystem({ code: systemCode, orgCode: by.orgCode, name: `${by.name} · ${ds.name}`, nameEn: 'Open-data application', cycle: 'yearly' });
    const now = new Date();
    const at = now.toISOString();
    const row: RequestRow = {
      id, dataset_code: ds.code, provider_org: ds.orgCode, consumer_org: by.orgCode, consumer_system: systemCode, requested_by: actorLabel(by),
      purpose, commitment, fields: JSON.stringify(fields), row_scope: null, duration_days: input.durationDays,
      share_type: 'open-conditional', status: 'provider_review', step_started_at: at, step_due_at: this.calendar.dueAfter(now, STEP_DAYS.provider_review as number).toISOString(),
      refusal_reason: null, grant_id: null, created_at: at, updated_at: at,
    };
    await this.repo.insertRequest(row, { at, actor: actorLabel(by), action: 'apply', note: null });
    return this.get(by, id);
  }

  private newGrant(r: RequestRow, ds: Dataset, terms: GrantTerms, by: string): GrantRow {
    const fields = (JSON.parse(r.fields) as string[]).filter((n) => ds.fields.some((f) => f.name === n));
    const masks: Record<string, MaskName> = {};
    for (const n of fields) {
      const f = ds.fields.find((x) => x.name === n)!;
      const m = terms.masks?.[n];
      masks[n] = m === undefined ? defaultMask(f) : checkMask(f, m);
    }
    for (const n of Object.keys(terms.masks ?? {})) if (!fields.includes(n)) fail('VALIDATION_FAILED', { reason: `a mask is given for ${n}, which the request does not ask for` });
    // The consumer's own scope may only test fields granted in clear: a masked one would answer questions about
    // its clear values row by row.
    if (r.row_scope) {
      for (const n of filterFields(parseFilter(r.row_scope))) {
        if (masks[n] !== 'clear') fail('VALIDATION_FAILED', { reason: `the requested row scope tests ${n}, which this grant would not show in clear; grant ${n} in clear or refuse` });
      }
    }
    // The provider may narrow the requested rows, never widen them: its condition is ANDed with the request's.
    const extra = terms.rowScope?.trim() ? this.checkTerms(ds, fields, terms.rowScope, false) : null;
    const scope = extra && r.row_scope ? `(${r.row_scope}) and (${extra})` : (extra ?? r.row_scope);
    if (scope) this.checkTerms(ds, fields, scope, false);
    const quota = (v: number | null | undefined, d: number, name: string) => {
      if (v === undefined) return d;
      if (v !== null && (!Number.isInteger(v) || v < 1)) fail('VALIDATION_FAILED', { reason: `${name} is a whole number ≥ 1, or null for no limit` });
      return v;
    };
    const now = new Date();
    return {
      id: `G-${randomBytes(6).toString('hex')}`, request_id: r.id, dataset_code: ds.code, provider_org: ds.orgCode, consumer_org: r.consumer_org,
      consumer_system: r.consumer_system, purpose: r.purpose, fields: JSON.stringify(fields), masks: JSON.stringify(masks), row_scope: scope,
      expires_at: new Date(now.getTime() + Number(r.duration_days) * 86400_000).toISOString(),
      rows_per_day: quota(terms.rowsPerDay, DEFAULT_QUOTAS.rowsPerDay, 'rowsPerDay'), requests_per_minute: quota(terms.requestsPerMinute, DEFAULT_QUOTAS.requestsPerMinute, 'requestsPerMinute'),
      status: 'active', revoked_at: null, revoked_by: null, revoke_reason: null, created_by: by, created_at: now.toISOString(),
    };
  }

  private async recordGrant(by: Actor, g: GrantRow, action: string, reason: string | null = null) {
    await this.audit.append({
      at: new Date().toISOString(), actorKind: by.kind, actorId: by.id, orgCode: by.orgCode, action, datasetCode: g.dataset_code,
      fields: JSON.parse(g.fields) as string[], filter: g.row_scope, grantId: g.id, purpose: g.purpose, rowCount: null, result: 'allowed',
      detail: { actorName: by.name, consumerOrg: g.consumer_org, consumerSystem: g.consumer_system, masks: JSON.parse(g.masks), ...(reason ? { reason } : {}) },
    });
  }

  private async load(by: Actor, id: string, need: 'read' | 'check' | 'decide' | 'consumer') {
    if (by.kind === 'anonymous') fail('AUTH_REQUIRED');
    const r = await this.repo.request(id);
    const ok =
      r &&
      (need === 'check' ? allowed(by, 'share.check')
        : need === 'decide' ? allowed(by, 'share.decide', r.provider_org)
          : need === 'consumer' ? allowed(by, 'share.request', r.consumer_org)
            : allowed(by, 'share.read', r.consumer_org) || allowed(by, 'share.read', r.provider_org));
    if (!r || !ok) return fail('REQUEST_NOT_FOUND', { id });
    return r;
  }

  private async move(by: Actor, r: RequestRow, action: string, to: RequestStatus, note: string | null, extra: { refusal_reason?: string | null; grant?: GrantRow } = {}) {
    const at = new Date();
    const days = STEP_DAYS[to];
    const ok = await this.repo.transition(
      r.id, r.status,
      {
        status: to, step_started_at: at.toISOString(), step_due_at: days ? this.calendar.dueAfter(at, days).toISOString() : null,
        ...(extra.refusal_reason !== undefined ? { refusal_reason: extra.refusal_reason } : {}), ...(extra.grant ? { grant_id: extra.grant.id } : {}),
      },
      { at: at.toISOString(), actor: actorLabel(by), action, note },
      extra.grant,
    );
    if (extra.grant) this.forgetGrants();
    if (!ok) fail('BAD_TRANSITION', { id: r.id, status: (await this.repo.request(r.id))?.status ?? r.status, action: PAST[action] ?? action });
    if (extra.grant) await this.recordGrant(by, extra.grant, 'grant.create');
  }

  private need(r: RequestRow, status: RequestStatus, action: string) {
    if (r.status !== status) fail('BAD_TRANSITION', { id: r.id, status: r.status, action });
  }

  private reason(note: string | undefined): string {
    const n = note?.trim() ?? '';
    if (n.length < 2 || n.length > 2000) fail('VALIDATION_FAILED', { reason: 'give a reason (2 to 2000 characters)' });
    return n;
  }

  /** The platform's check: pass the request to the provider, or refuse it with a reason. */
  async check(by: Actor, id: string, input: { approve: boolean; note?: string }) {
    const r = await this.load(by, id, 'check');
    this.need(r, 'platform_review', 'checked');
    if (input.approve) await this.move(by, r, 'pass', 'provider_review', input.note?.trim() || null);
    else {
      const reason = this.reason(input.note);
      await this.move(by, r, 'refuse', 'refused', reason, { refusal_reason: reason });
    }
    return this.get(by, id);
  }

  /** The provider's decision: grant on its terms (masks, scope, quotas), or refuse with a reason. */
  async decide(by: Actor, id: string, input: { approve: boolean; reason?: string } & GrantTerms) {
    const r = await this.load(by, id, 'decide');
    this.need(r, 'provider_review', 'decided');
    if (input.approve) {
      const ds = await this.catalogue.get(r.dataset_code);
      const grant = this.newGrant(r, ds, input, actorLabel(by));
      await this.move(by, r, 'grant', 'granted', input.reason?.trim() || null, { grant });
    } else {
      const reason = this.reason(input.reason);
      await this.move(by, r, 'refuse', 'refused', reason, { refusal_reason: reason });
    }
    return this.get(by, id);
  }

  /** The consumer disputes a provider's refusal; the platform arbitrates. Once only. */
  async dispute(by: Actor, id: string, note: string | undefined) {
    const r = await this.load(by, id, 'consumer');
    this.need(r, 'refused', 'disputed');
    const events = await this.repo.events(id);
    if (events.some((e) => e.action === 'dispute')) fail('BAD_TRANSITION', { id, status: 'refused after arbitration', action: 'disputed again' });
    if (!events.some((e) => e.action === 'refuse' && e.from_status === 'provider_review')) fail('BAD_TRANSITION', { id, status: 'refused by the platform check', action: 'disputed' });
    await this.move(by, r, 'dispute', 'disputed', this.reason(note));
    return this.get(by, id);
  }

  /** The platform's arbitration of a dispute: uphold the refusal, or grant with the default masks. */
  async arbitrate(by: Actor, id: string, input: { uphold: boolean; note?: string }) {
    const r = await this.load(by, id, 'check');
    this.need(r, 'disputed', 'arbitrated');
    const note = this.reason(input.note);
    if (input.uphold) await this.move(by, r, 'uphold', 'refused', note, { refusal_reason: r.refusal_reason });
    else {
      const ds = await this.catalogue.get(r.dataset_code);
      await this.move(by, r, 'overturn', 'granted', note, { grant: this.newGrant(r, ds, {}, actorLabel(by)) });
    }
    return this.get(by, id);
  }

  /** The consumer withdraws an open request. */
  async withdraw(by: Actor, id: string) {
    const r = await this.load(by, id, 'consumer');
    if (!['platform_review', 'provider_review', 'disputed'].includes(r.status)) fail('BAD_TRANSITION', { id, status: r.status, action: 'withdrawn' });
    await this.move(by, r, 'withdraw', 'withdrawn', null);
    return this.get(by, id);
  }

  /** One request with its history and clock. */
  async get(by: Actor, id: string) {
    const r = await this.load(by, id, 'read');
    const events = (await this.repo.events(id)).map((e) => ({ n: Number(e.n), at: e.at, actor: e.actor, action: e.action, from: e.from_status, to: e.to_status, note: e.note }));
    return { ...(await this.view(r)), events };
  }

  /** Requests the actor may see: platform admins and auditors all, others their organisation's (as consumer or provider). */
  async list(by: Actor, q: { status?: string; dataset?: string; as?: 'consumer' | 'provider' | 'all'; limit: number; offset: number }) {
    if (by.kind === 'anonymous') fail('AUTH_REQUIRED');
    const all = allowed(by, 'share.check') || allowed(by, 'audit.read');
    if (!all && !(by.orgCode && allowed(by, 'share.read', by.orgCode))) fail('FORBIDDEN', { reason: 'your role does not take part in sharing' });
    const statuses = q.status ? q.status.split(',').map((x) => x.trim()).filter(Boolean) : null;
    const side = q.as ?? 'all';
    const filter = {
      orgCode: all && side === 'all' ? null : by.orgCode, side, statuses, dataset: q.dataset ?? null,
    };
    const [rows, total] = await Promise.all([this.repo.listRequests({ ...filter, limit: q.limit, offset: q.offset }), this.repo.countRequests(filter)]);
    const now = new Date();
    const items = [];
    for (const r of rows) items.push(await this.view(r, now));
    return { items, total };
  }

  /** Grants the actor may see: `consumer` — its organisation's; `provider` — on its organisation's data; all for platform roles. */
  async grants(by: Actor, q: { as: 'consumer' | 'provider' | 'all'; dataset?: string; limit: number; offset: number }) {
    if (by.kind === 'anonymous') fail('AUTH_REQUIRED');
    const all = allowed(by, 'share.check') || allowed(by, 'audit.read');
    const org = by.orgCode;
    if (!all && !org) fail('FORBIDDEN', { reason: 'no organisation' });
    const rows = await this.repo.listGrants({ ...filterOf(q.as, org, all), dataset: q.dataset ?? null, limit: q.limit, offset: q.offset });
    // A system sees only the grants it can use itself.
    const visible = rows.filter((g) => by.kind !== 'system' || g.consumer_system === by.systemCode);
    const items = [];
    for (const g of visible) items.push({ ...grantView(g), datasetName: (await this.catalogue.get(g.dataset_code).catch(() => null))?.name ?? g.dataset_code });
    return { items, total: items.length < q.limit && q.offset === 0 ? items.length : await this.repo.countGrants({ ...filterOf(q.as, org, all), dataset: q.dataset ?? null }) };
  }

  /** One grant with its recent daily use, if the actor is its consumer, its provider or a platform role. */
  async grant(by: Actor, id: string) {
    if (by.kind === 'anonymous') fail('AUTH_REQUIRED');
    const g = await this.repo.grant(id);
    const ok = g && (allowed(by, 'share.check') || allowed(by, 'audit.read') || allowed(by, 'share.read', g.consumer_org) || allowed(by, 'share.read', g.provider_org));
    if (!g || !ok || (by.kind === 'system' && by.systemCode !== g.consumer_system)) return fail('GRANT_NOT_FOUND', { id });
    await this.flushUsage();
    const usage = (await this.repo.usageHistory(id, 30)).map((u) => ({ day: u.day, rows: Number(u.rows), requests: Number(u.requests) }));
    const ds = await this.catalogue.get(g.dataset_code).catch(() => null);
    return { ...grantView(g), datasetName: ds?.name ?? g.dataset_code, usage };
  }

  /** Revokes a grant; the next request under it is refused. */
  async revoke(by: Actor, id: string, reason: string | undefined) {
    if (by.kind === 'anonymous') fail('AUTH_REQUIRED');
    const g = await this.repo.grant(id);
    if (!g || !allowed(by, 'grants.revoke', g.provider_org)) return fail('GRANT_NOT_FOUND', { id });
    const why = this.reason(reason);
    const revoked = await this.repo.revokeGrant(id, new Date().toISOString(), actorLabel(by), why);
    this.forgetGrants();
    if (!revoked) fail('BAD_TRANSITION', { id, status: g.status, action: 'revoked' });
    await this.recordGrant(by, g, 'grant.revoke', why);
    return this.grant(by, id);
  }

  /**
   * Active, unexpired grants of a dataset to an organisation (for the access decision). Kept in memory between
   * changes: every grant, revocation and decision in this process clears the cache, so a revocation still takes
   * effect on the next request; expiry is checked on every use.
   */
  async activeGrants(dataset: string, consumerOrg: string): Promise<GrantRow[]> {
    const key = `${dataset}|${consumerOrg}`;
    const now = new Date().toISOString();
    let hit = this.grantCache.get(key);
    if (!hit || Date.now() - hit.at > 60_000) {
      hit = { at: Date.now(), rows: await this.repo.activeGrants(dataset, consumerOrg, now) };
      this.grantCache.set(key, hit);
    }
    return hit.rows.filter((g) => g.expires_at > now);
  }

  /**
   * Rows and requests on a day over every grant of a dataset to one consumer system — what the Store holds plus
   * what is still to be written. Quotas count per dataset and consumer, so a fresh grant does not reset them.
   */
  async usageOfPair(dataset: string, consumerSystem: string, day: string): Promise<{ rows: number; requests: number }> {
    const u = await this.repo.usageOfPair(dataset, consumerSystem, day);
    for (const p of this.pendingUsage.values()) {
      if (p.dataset === dataset && p.system === consumerSystem && p.day === day) {
        u.rows += p.rows;
        u.requests += p.requests;
      }
    }
    return u;
  }

  /** Adds to a grant's use; written to the Store at most a second later (the access decision counts in memory). */
  addUsage(g: { id: string; dataset_code: string; consumer_system: string }, day: string, rows: number): void {
    const key = `${g.id}|${day}`;
    const p = this.pendingUsage.get(key) ?? { grantId: g.id, dataset: g.dataset_code, system: g.consumer_system, day, rows: 0, requests: 0 };
    p.rows += rows;
    p.requests += 1;
    this.pendingUsage.set(key, p);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushUsage().catch(() => undefined), 1000);
      this.flushTimer.unref();
    }
  }

  /** Writes pending usage to the Store. */
  async flushUsage(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const pending = [...this.pendingUsage.values()];
    this.pendingUsage.clear();
    for (const p of pending) await this.repo.addUsage(p.grantId, p.day, p.rows, p.requests);
  }

  private forgetGrants(): void {
    this.grantCache.clear();
  }
}
