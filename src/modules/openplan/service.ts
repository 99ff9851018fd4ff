import { randomBytes } from 'node:crypto';
import { fail } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import type { Actor } from '../access/actor.ts';
import { requireAccess } from '../access/policy.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import { OPEN_TYPES, type Dataset, type OpenType } from '../catalogue/types.ts';
import type { OrganisationService } from '../organisations/service.ts';

/**
 * Where a plan item stands, derived from the catalogue (never typed in): opened — its dataset is published with
 * records, at least as openly as planned (an item planned 无条件开放 is not opened by a conditional dataset); in progress — catalogued but not yet published or still empty, before the due date; planned — not
 * catalogued yet, before the due date; overdue — not opened by the due date.
 */
export type PlanStatus = 'planned' | 'in_progress' | 'opened' | 'overdue';

/** A new item of the annual open plan (年度公共数据开放计划). */
export interface NewPlanItem {
  year: number;
  title: string;
  orgCode: string;
  datasetCode?: string | null;
  openType: OpenType;
  dueOn: string;
  note?: string | null;
}

/** The annual open plan: which datasets each organisation opens in a year, by when, and how far it has got. */
export class OpenPlanService {
  constructor(
    private readonly store: Store,
    private readonly catalogue: CatalogueService,
    private readonly orgs: OrganisationService,
  ) {}

  /** Adds an item (platform admins). */
  async add(by: Actor, input: NewPlanItem) {
    requireAccess({ actor: by, permission: 'share.check' });
    if (!Number.isInteger(input.year) || input.year < 2000 || input.year > 2100) fail('VALIDATION_FAILED', { reason: 'year is between 2000 and 2100' });
    if (!input.title?.trim()) fail('VALIDATION_FAILED', { reason: 'an item needs a title' });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.dueOn) || Number.isNaN(Date.parse(input.dueOn))) fail('VALIDATION_FAILED', { reason: 'dueOn is YYYY-MM-DD' });
    if (!OPEN_TYPES.includes(input.openType) || input.openType === 'closed') fail('VALIDATION_FAILED', { reason: 'openType is open or conditional' });
    await this.orgs.requireOrganisation(input.orgCode);
    if (input.datasetCode) {
      const d = await this.catalogue.get(input.datasetCode);
      if (d.orgCode !== input.orgCode) fail('VALIDATION_FAILED', { reason: `${d.code} belongs to ${d.orgCode}, not ${input.orgCode}` });
    }
    const row = {
      id: `P-${randomBytes(5).toString('hex')}`, year: input.year, title: input.title.trim().slice(0, 200), org_code: input.orgCode, dataset_code: input.datasetCode ?? null,
      open_type: input.openType, due_on: input.dueOn, note: input.note?.trim() || null, created_at: new Date().toISOString(),
    };
    await this.store.db.insertInto('open_plan_items').values(row).execute();
    return row.id;
  }

  /** Links an item to the dataset that fulfils it (platform admins, or the item's organisation). */
  async link(by: Actor, id: string, datasetCode: string | null) {
    const item = await this.store.db.selectFrom('open_plan_items').selectAll().where('id', '=', id).executeTakeFirst();
    if (!item) return fail('VALIDATION_FAILED', { reason: `no plan item ${id}` });
    requireAccess({ actor: by, permission: 'catalogue.write', orgs: [item.org_code] });
    if (datasetCode && (await this.catalogue.get(datasetCode)).orgCode !== item.org_code) fail('VALIDATION_FAILED', { reason: `${datasetCode} belongs to another organisation` });
    await this.store.db.updateTable('open_plan_items').set({ dataset_code: datasetCode }).where('id', '=', id).execute();
  }

  /** Whether a dataset fulfils an item: published with records, as openly as the item plans. */
  static fulfils(item: { open_type: string }, ds: Dataset | undefined): boolean {
    if (!ds || ds.validRecords <= 0 || ds.openType === 'closed') return false;
    return item.open_type === 'conditional' || ds.openType === 'open';
  }

  static status(item: { dataset_code: string | null; due_on: string; open_type: string }, ds: Dataset | undefined, now = new Date()): PlanStatus {
    if (OpenPlanService.fulfils(item, ds)) return 'opened';
    const dueEnd = new Date(`${item.due_on}T23:59:59+08:00`);
    if (now > dueEnd) return 'overdue';
    return ds ? 'in_progress' : 'planned';
  }

  /** A year's plan with each item's derived status, and progress per organisation and per month. */
  async plan(year: number) {
    const rows = await this.store.db.selectFrom('open_plan_items').selectAll().where('year', '=', year).orderBy('due_on').orderBy('id').execute();
    const datasets = new Map((await this.catalogue.all()).map((d) => [d.code, d]));
    const orgs = new Map((await this.orgs.listOrganisations()).map((o) => [o.code, o]));
    const now = new Date();
    const items = rows.map((r) => {
      const ds = r.dataset_code ? datasets.get(r.dataset_code) : undefined;
      return {
        // A dataset not yet opened is not named: the plan is public, the closed catalogue is not.
        id: r.id, year: Number(r.year), title: r.title, orgCode: r.org_code, orgName: orgs.get(r.org_code)?.name ?? r.org_code,
        datasetCode: ds && ds.openType !== 'closed' ? ds.code : null, datasetName: ds && ds.openType !== 'closed' ? ds.name : null, openType: r.open_type, dueOn: r.due_on, note: r.note, status: OpenPlanService.status(r, ds, now),
        openedAt: OpenPlanService.fulfils(r, ds) ? ds!.createdAt : null,
      };
    });
    const count = (xs: typeof items) => ({
      total: xs.length, opened: xs.filter((x) => x.status === 'opened').length, inProgress: xs.filter((x) => x.status === 'in_progress').length,
      planned: xs.filter((x) => x.status === 'planned').length, overdue: xs.filter((x) => x.status === 'overdue').length,
    });
    const byOrg = [...new Set(items.map((x) => x.orgCode))].map((o) => ({ orgCode: o, orgName: orgs.get(o)?.name ?? o, ...count(items.filter((x) => x.orgCode === o)) }));
    const byMonth = Array.from({ length: 12 }, (_, m) => {
      const month = `${year}-${String(m + 1).padStart(2, '0')}`;
      return { month, due: items.filter((x) => x.dueOn.startsWith(month)).length, dueToDate: items.filter((x) => x.dueOn.slice(0, 7) <= month).length };
    });
    return { year, ...count(items), rate: items.length ? items.filter((x) => x.status === 'opened').length / items.length : 0, byOrg, byMonth, items };
  }

  /** Years that have a plan. */
  async years(): Promise<number[]> {
    const rows = await this.store.db.selectFrom('open_plan_items').select('year').distinct().orderBy('year', 'desc').execute();
    return rows.map((r) => Number(r.year));
  }
}
