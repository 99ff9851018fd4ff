import { fail } from '../../errors.ts';
import type { Actor } from '../access/actor.ts';
import { allowed, requireAccess } from '../access/policy.ts';
import { CYCLE_SECONDS, UPDATE_CYCLES, type UpdateCycle } from '../catalogue/types.ts';
import { DISTRICTS } from './districts.ts';
import type { OrganisationRepository } from './repository.ts';

/** A connected system's connection status (接入状态). */
export type ConnectionStatus = 'connected' | 'pending' | 'stale';

/** Whether a system pushed within its declared cycle: never pushed → pending; overdue → stale. */
export function connectionStatus(cycle: string, lastPushAt: string | null, now = Date.now()): ConnectionStatus {
  if (!lastPushAt) return 'pending';
  const limit = CYCLE_SECONDS[cycle as UpdateCycle] ?? CYCLE_SECONDS.daily;
  return now - Date.parse(lastPushAt) > limit * 1000 ? 'stale' : 'connected';
}

/** Organisations (departments and districts) and their connected information systems. */
export class OrganisationService {
  constructor(private readonly repo: OrganisationRepository) {}

  /** Government organisations: departments and districts (registered enterprises and people are not listed). */
  async listOrganisations() {
    const rows = (await this.repo.listOrganisations()).filter((o) => o.kind === 'department' || o.kind === 'district');
    return rows.map((o) => ({
      code: o.code,
      name: o.name,
      nameEn: o.name_en,
      kind: o.kind,
      adcode: o.adcode,
      systems: Number(o.systems ?? 0),
      datasets: Number(o.datasets ?? 0),
      validRecords: Number(o.valid_records ?? 0),
    }));
  }

  async getOrganisation(code: string) {
    const all = await this.listOrganisations();
    const org = all.find((o) => o.code === code);
    if (!org) fail('ORGANISATION_NOT_FOUND', { code });
    return { ...org, systemsList: await this.listSystems(code) };
  }

  async listSystems(orgCode: string | null = null) {
    if (orgCode && !(await this.repo.getOrganisation(orgCode))) fail('ORGANISATION_NOT_FOUND', { code: orgCode });
    const rows = await this.repo.listSystems(orgCode);
    const now = Date.now();
    return rows.map((s) => ({
      code: s.code,
      name: s.name,
      nameEn: s.name_en,
      orgCode: s.org_code,
      orgName: s.org_name,
      cycle: s.cycle,
      status: connectionStatus(s.cycle, s.last_push_at, now),
      lastPushAt: s.last_push_at,
      datasets: Number(s.datasets ?? 0),
      validRecords: Number(s.valid_records ?? 0),
    }));
  }

  /** Checks that a system exists and belongs to the organisation. */
  async requireSystem(code: string, orgCode?: string) {
    const s = await this.repo.getSystem(code);
    if (!s || (orgCode && s.org_code !== orgCode)) fail('SYSTEM_NOT_FOUND', { code });
    return s;
  }

  /** A system, or undefined. */
  getSystem(code: string) {
    return this.repo.getSystem(code);
  }

  /** Any organisation (government or registered), or undefined. */
  findOrganisation(code: string) {
    return this.repo.getOrganisation(code);
  }

  /** Removes an organisation that has nothing attached (undoing a failed registration). */
  async removeOrganisation(code: string) {
    await this.repo.deleteOrganisation(code);
  }

  async requireOrganisation(code: string) {
    const o = await this.repo.getOrganisation(code);
    if (!o) fail('ORGANISATION_NOT_FOUND', { code });
    return o;
  }

  /** Registers a department or district government (platform admins). */
  async register(actor: Actor, o: { code: string; name: string; nameEn: string; kind: 'department' | 'district'; adcode: string | null }) {
    requireAccess({ actor, permission: 'orgs.manage' });
    if (o.kind === 'district' && !DISTRICTS.some((d) => d.adcode === o.adcode)) fail('VALIDATION_FAILED', { reason: `a district government needs one of Xiamen's adcodes (${DISTRICTS.map((d) => d.adcode).join(', ')})` });
    if (await this.repo.getOrganisation(o.code)) fail('VALIDATION_FAILED', { reason: `organisation ${o.code} exists already` });
    await this.createOrganisation(o);
    return this.getOrganisation(o.code);
  }

  /** Registers a connected system (接入系统) of an organisation (platform admins, the organisation's admins). */
  async registerSystem(actor: Actor, s: { code: string; orgCode: string; name: string; nameEn: string; cycle: string }) {
    requireAccess({ actor, permission: 'systems.manage', orgs: [s.orgCode] });
    if (!/^[A-Z][A-Z0-9]{1,15}(-[A-Z0-9]{1,20}){0,3}$/.test(s.code)) fail('VALIDATION_FAILED', { reason: 'a system code is upper-case letters and digits in parts joined by -, e.g. JTJ-PARK' });
    // A system's code starts with its organisation's (JTJ-PARK belongs to JTJ), so an organisation cannot claim
    // another's code — say, a platform system the hub trusts by name — before it is registered.
    if (!allowed(actor, 'orgs.manage') && !s.code.startsWith(`${s.orgCode}-`)) fail('VALIDATION_FAILED', { reason: `a system of ${s.orgCode} has a code starting with ${s.orgCode}-, e.g. ${s.orgCode}-PARK` });
    if (await this.repo.getSystem(s.code)) fail('VALIDATION_FAILED', { reason: `system ${s.code} exists already` });
    await this.createSystem(s);
    const made = (await this.listSystems(s.orgCode)).find((x) => x.code === s.code);
    if (!made) fail('SYSTEM_NOT_FOUND', { code: s.code });
    return made;
  }

  async createOrganisation(o: { code: string; name: string; nameEn: string; kind: 'department' | 'district' | 'enterprise' | 'person'; adcode: string | null }) {
    if (!/^[A-Z][A-Z0-9]{1,15}$/.test(o.code)) fail('VALIDATION_FAILED', { reason: 'an organisation code is 2–16 upper-case letters or digits' });
    await this.repo.insertOrganisation(o);
  }

  async createSystem(s: { code: string; orgCode: string; name: string; nameEn: string; cycle: string }) {
    await this.requireOrganisation(s.orgCode);
    if (!(UPDATE_CYCLES as readonly string[]).includes(s.cycle)) fail('VALIDATION_FAILED', { reason: `cycle must be one of ${UPDATE_CYCLES.join(', ')}` });
    await this.repo.insertSystem(s);
  }

  /** Records that a system pushed data now. */
  touchSystem(code: string, at: string) {
    return this.repo.touchSystem(code, at);
  }

  districts() {
    return DISTRICTS;
  }
}
