import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../../errors.ts';
import type { Actor } from '../access/actor.ts';
import { publicView } from '../access/service.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import { isTimely, nextDueAt, timelinessByOrg } from '../catalogue/timeliness.ts';
import type { Dataset } from '../catalogue/types.ts';
import { FORMATS } from '../catalogue/validators/formats.ts';
import { packageName, resourceId } from '../ckan/ids.ts';
import { DOWNLOADS } from '../ckan/package.ts';
import type { IdentityService } from '../identity/service.ts';
import type { OpenPlanService } from '../openplan/service.ts';
import type { OrganisationService } from '../organisations/service.ts';
import type { SharingService } from '../sharing/service.ts';

/** The portal's own actor for what it does on someone's behalf (registration, application tokens). */
const PORTAL: Actor = { kind: 'platform', id: 'platform:portal', name: 'open-data portal', orgCode: null };

/** The public open-data portal (公共数据开放平台): what is published, how timely it is, registration and applications. */
export class PortalService {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly orgs: OrganisationService,
    private readonly identity: IdentityService,
    private readonly sharing: SharingService,
    private readonly plans: OpenPlanService,
  ) {}

  private async published(): Promise<Dataset[]> {
    return (await this.catalogue.all()).filter((d) => d.openType !== 'closed');
  }

  /** Portal front-page figures: published datasets and records, timeliness (及时率) per organisation, this year's plan. */
  async summary(now = new Date()) {
    const pub = await this.published();
    const year = Number(new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 4));
    const plan = await this.plans.plan(year);
    const timely = pub.filter((d) => isTimely(d, now)).length;
    return {
      datasets: pub.length, open: pub.filter((d) => d.openType === 'open').length, conditional: pub.filter((d) => d.openType === 'conditional').length,
      records: pub.reduce((s, d) => s + d.validRecords, 0), organisations: new Set(pub.map((d) => d.orgCode)).size,
      timeliness: { rate: pub.length ? timely / pub.length : 0, timely, late: pub.length - timely, byOrg: timelinessByOrg(pub, now) },
      plan: { year, total: plan.total, opened: plan.opened, overdue: plan.overdue, rate: plan.rate },
    };
  }

  /** Published datasets that missed their declared update cycle. */
  async late(now = new Date()) {
    return (await this.published()).filter((d) => !isTimely(d, now)).map((d) => ({
      code: d.code, name: d.name, orgCode: d.orgCode, orgName: d.orgName, updateCycle: d.updateCycle, lastIngestAt: d.lastIngestAt, dueAt: nextDueAt(d),
    }));
  }

  /** A published dataset as the portal shows it: metadata, published fields, timeliness, downloads and API calls. */
  async dataset(code: string, base: string) {
    const d = (await this.published()).find((x) => x.code === code || packageName(x.code) === code.toLowerCase());
    if (!d) return fail('DATASET_NOT_FOUND', { code });
    const fields = publicView(d).fields.map((f) => ({ name: f.name, label: f.label, type: f.type, format: f.format, primaryKey: f.primaryKey }));
    const rid = resourceId(d.code, 'datastore');
    return {
      code: d.code, name: d.name, nameEn: d.nameEn, summary: d.summary, category: d.category, tags: d.tags, orgCode: d.orgCode, orgName: d.orgName,
      updateCycle: d.updateCycle, openType: d.openType, records: d.validRecords, createdAt: d.createdAt, lastIngestAt: d.lastIngestAt,
      timely: isTimely(d), nextDueAt: nextDueAt(d), fields, resourceId: rid, packageName: packageName(d.code),
      downloads: DOWNLOADS.map((x) => ({ format: x.format, url: `${base}/api/v1/datasets/${d.code}/download.${x.kind}` })),
      services: d.services.map((s) => ({ id: s.id, name: s.name, nameEn: s.nameEn, format: s.format, url: `${base}${s.path}` })),
      api: {
        ckan: `${base}/api/3/action/datastore_search?resource_id=${rid}&limit=10`,
        records: `${base}/api/v1/datasets/${d.code}/records?limit=10`,
        sql: `${base}/api/3/action/datastore_search_sql?sql=${encodeURIComponent(`SELECT * FROM "${rid}" LIMIT 10`)}`,
        dcat: `${base}/dataset/${packageName(d.code)}.jsonld`,
        token: d.openType === 'conditional' ? 'X-App-Token: <token issued with your approved application>' : null,
      },
    };
  }

  /** Registers a person or an enterprise (with its unified social credit code, checked) and their portal account. */
  async register(input: { kind: 'person' | 'enterprise'; name: string; username: string; password: string; creditCode?: string }) {
    const name = input.name?.trim() ?? '';
    if (name.length < 2 || name.length > 100) fail('VALIDATION_FAILED', { reason: 'name is 2 to 100 characters' });
    let orgCode: string;
    if (input.kind === 'enterprise') {
      const cc = input.creditCode?.trim().toUpperCase() ?? '';
      if (!FORMATS.uscc.check(cc)) fail('VALIDATION_FAILED', { reason: 'creditCode must be a valid 18-character unified social credit code (GB 32100)' });
      orgCode = `E${createHash('sha256').update(cc).digest('hex').slice(0, 12).toUpperCase()}`;
      if (await this.orgs.findOrganisation(orgCode)) fail('USER_EXISTS', { username: `enterprise ${cc}` });
    } else if (input.kind === 'person') {
      orgCode = `P${randomBytes(6).toString('hex').toUpperCase()}`;
    } else {
      return fail('VALIDATION_FAILED', { reason: 'kind is person or enterprise' });
    }
    await this.orgs.createOrganisation({ code: orgCode, name, nameEn: input.kind === 'enterprise' ? 'Registered enterprise' : 'Registered person', kind: input.kind, adcode: null });
    try {
      return await this.identity.createUser(PORTAL, { username: input.username, displayName: name, orgCode, role: 'public', password: input.password });
    } catch (e) {
      await this.orgs.removeOrganisation(orgCode);
      throw e;
    }
  }

  /** Applies for a conditionally open dataset (有条件开放), for its published fields. */
  async apply(by: Actor, input: { dataset: string; purpose: string; commitment: string; durationDays: number }) {
    const d = await this.catalogue.get(input.dataset);
    return this.sharing.submitApplication(by, { ...input, fields: publicView(d).fields.map((f) => f.name) });
  }

  /** The applicant's applications with their status and clock. */
  async applications(by: Actor) {
    if (by.kind !== 'person') return fail('AUTH_REQUIRED');
    return this.sharing.list(by, { as: 'consumer', limit: 200, offset: 0 });
  }

  /**
   * Issues the application token of an approved application (shown once): it reads only that dataset, for that
   * purpose, until the grant expires. A new token replaces the previous one.
   */
  private readonly issuing = new Set<string>();

  async token(by: Actor, id: string) {
    if (by.kind !== 'person' || by.role !== 'public') return fail('FORBIDDEN', { reason: 'application tokens are for portal applicants' });
    // One issue at a time per application, so two concurrent calls cannot leave two live tokens.
    if (this.issuing.has(id)) return fail('BAD_TRANSITION', { id, status: 'being given a token', action: 'given another at the same time' });
    this.issuing.add(id);
    try {
      return await this.issue(by, id);
    } finally {
      this.issuing.delete(id);
    }
  }

  private async issue(by: Actor & { kind: 'person' }, id: string) {
    const r = await this.sharing.get(by, id);
    if (r.consumerOrg !== by.orgCode) return fail('REQUEST_NOT_FOUND', { id });
    if (r.status !== 'granted' || !r.grantId) return fail('BAD_TRANSITION', { id, status: r.status, action: 'given a token' });
    const g = await this.sharing.grant(by, r.grantId);
    if (g.status !== 'active') return fail('BAD_TRANSITION', { id, status: `granted, but the grant is ${g.status}`, action: 'given a token' });
    for (const t of await this.identity.listTokens(PORTAL, r.consumerSystem)) if (t.state === 'active') await this.identity.revokeToken(PORTAL, t.id);
    const days = Math.max(1, Math.min(730, Math.ceil((new Date(g.expiresAt).getTime() - Date.now()) / 86400_000)));
    return this.identity.issueToken(PORTAL, { systemCode: r.consumerSystem, name: `${r.datasetName} · ${id}`, scopes: ['read'], expiresInDays: days });
  }
}
