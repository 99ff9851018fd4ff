import type { Selectable } from 'kysely';
import type { Store } from '../../store/store.ts';
import type { GrantTable, ShareRequestTable } from '../../store/schema.ts';

export type RequestRow = Selectable<ShareRequestTable>;
export type GrantRow = Selectable<GrantTable>;

/** Which requests a listing covers. */
export interface RequestFilter {
  orgCode: string | null;
  side: 'consumer' | 'provider' | 'all';
  statuses: string[] | null;
  dataset: string | null;
}

/** Which grants a listing covers. */
export interface GrantFilter {
  consumerOrg?: string | null;
  providerOrg?: string | null;
  eitherOrg?: string | null;
  dataset?: string | null;
}

/** SQL for share requests, their histories, grants, grant usage and the working-day calendar. */
export class SharingRepository {
  constructor(private readonly store: Store) {}

  request(id: string) {
    return this.store.db.selectFrom('share_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private requestFilter(opts: RequestFilter) {
    let q = this.store.db.selectFrom('share_requests');
    const org = opts.orgCode;
    if (org) {
      if (opts.side === 'consumer') q = q.where('consumer_org', '=', org);
      else if (opts.side === 'provider') q = q.where('provider_org', '=', org);
      else q = q.where((eb) => eb.or([eb('consumer_org', '=', org), eb('provider_org', '=', org)]));
    }
    if (opts.statuses?.length) q = q.where('status', 'in', opts.statuses);
    if (opts.dataset) q = q.where('dataset_code', '=', opts.dataset);
    return q;
  }

  /** Requests where the organisation is consumer, provider or either (all when null), newest first. */
  listRequests(opts: RequestFilter & { limit: number; offset: number }) {
    return this.requestFilter(opts).selectAll().orderBy('created_at', 'desc').orderBy('id').limit(opts.limit).offset(opts.offset).execute();
  }

  async countRequests(opts: RequestFilter): Promise<number> {
    const r = await this.requestFilter(opts).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  events(requestId: string) {
    return this.store.db.selectFrom('share_request_events').selectAll().where('request_id', '=', requestId).orderBy('n').execute();
  }

  /**
   * Moves a request from one status to another and appends the history entry, in one transaction; the status
   * guard in the UPDATE makes two racing decisions resolve to one winner. Returns false when the status moved on.
   */
  async transition(
    id: string,
    from: string,
    patch: Partial<Pick<RequestRow, 'status' | 'step_started_at' | 'step_due_at' | 'refusal_reason' | 'grant_id'>> & { status: string },
    event: { at: string; actor: string; action: string; note: string | null },
    grant?: GrantRow,
  ): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('share_requests').set({ ...patch, updated_at: event.at }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      if (grant) await tx.insertInto('grants').values(grant).execute();
      const last = await tx.selectFrom('share_request_events').select((eb) => eb.fn.max<number>('n').as('n')).where('request_id', '=', id).executeTakeFirst();
      await tx.insertInto('share_request_events').values({ request_id: id, n: Number(last?.n ?? 0) + 1, ...event, from_status: from, to_status: patch.status }).execute();
      return true;
    });
  }

  async insertRequest(r: RequestRow, event: { at: string; actor: string; action: string; note: string | null }) {
    await this.store.db.transaction().execute(async (tx) => {
      await tx.insertInto('share_requests').values(r).execute();
      await tx.insertInto('share_request_events').values({ request_id: r.id, n: 1, ...event, from_status: null, to_status: r.status }).execute();
    });
  }

  grant(id: string) {
    return this.store.db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Active, unexpired grants on a dataset to an organisation, newest first. */
  activeGrants(dataset: string, consumerOrg: string, now: string) {
    return this.store.db
      .selectFrom('grants')
      .selectAll()
      .where('dataset_code', '=', dataset)
      .where('consumer_org', '=', consumerOrg)
      .where('status', '=', 'active')
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
  }

  private grantFilter(opts: GrantFilter) {
    let q = this.store.db.selectFrom('grants');
    if (opts.consumerOrg) q = q.where('consumer_org', '=', opts.consumerOrg);
    if (opts.providerOrg) q = q.where('provider_org', '=', opts.providerOrg);
    if (opts.eitherOrg) q = q.where((eb) => eb.or([eb('consumer_org', '=', opts.eitherOrg as string), eb('provider_org', '=', opts.eitherOrg as string)]));
    if (opts.dataset) q = q.where('dataset_code', '=', opts.dataset);
    return q;
  }

  listGrants(opts: GrantFilter & { limit: number; offset: number }) {
    return this.grantFilter(opts).selectAll().orderBy('created_at', 'desc').orderBy('id').limit(opts.limit).offset(opts.offset).execute();
  }

  async countGrants(opts: GrantFilter): Promise<number> {
    const r = await this.grantFilter(opts).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async insertGrant(g: GrantRow) {
    await this.store.db.insertInto('grants').values(g).execute();
  }

  async revokeGrant(id: string, at: string, by: string, reason: string): Promise<boolean> {
    const r = await this.store.db
      .updateTable('grants')
      .set({ status: 'revoked', revoked_at: at, revoked_by: by, revoke_reason: reason })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async usage(grantId: string, day: string): Promise<{ rows: number; requests: number }> {
    const r = await this.store.db.selectFrom('grant_usage').select(['rows', 'requests']).where('grant_id', '=', grantId).where('day', '=', day).executeTakeFirst();
    return { rows: Number(r?.rows ?? 0), requests: Number(r?.requests ?? 0) };
  }

  /** Rows and requests on a day over every grant of a dataset to one consumer system. */
  async usageOfPair(dataset: string, consumerSystem: string, day: string): Promise<{ rows: number; requests: number }> {
    const r = await this.store.db
      .selectFrom('grant_usage as u')
      .innerJoin('grants as g', 'g.id', 'u.grant_id')
      .select((eb) => [eb.fn.sum<number>('u.rows').as('rows'), eb.fn.sum<number>('u.requests').as('requests')])
      .where('g.dataset_code', '=', dataset)
      .where('g.consumer_system', '=', consumerSystem)
      .where('u.day', '=', day)
      .executeTakeFirst();
    return { rows: Number(r?.rows ?? 0), requests: Number(r?.requests ?? 0) };
  }

  usageHistory(grantId: string, days: number) {
    return this.store.db.selectFrom('grant_usage').select(['day', 'rows', 'requests']).where('grant_id', '=', grantId).orderBy('day', 'desc').limit(days).execute();
  }

  /** Adds to a grant's use for the day (insert or increment). */
  async addUsage(grantId: string, day: string, rows: number, requests = 1): Promise<void> {
    await this.store.db
      .insertInto('grant_usage')
      .values({ grant_id: grantId, day, rows, requests })
      .onConflict((oc) => oc.columns(['grant_id', 'day']).doUpdateSet((eb) => ({ rows: eb('grant_usage.rows', '+', rows), requests: eb('grant_usage.requests', '+', requests) })))
      .execute();
  }

  calendar() {
    return this.store.db.selectFrom('calendar_days').selectAll().orderBy('day').execute();
  }

  async setCalendarDay(day: string, kind: 'holiday' | 'workday' | null, name: string) {
    await this.store.db.deleteFrom('calendar_days').where('day', '=', day).execute();
    if (kind) await this.store.db.insertInto('calendar_days').values({ day, kind, name }).execute();
  }
}
