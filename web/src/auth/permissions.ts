// What the signed-in person may do, mirroring the server's rule table (src/modules/access/policy.ts) so the
// console shows only the menus, tabs and buttons that will work. The server still decides every request.
import type { Me, Role } from '../api/types';

/** The organisation that runs the city's parking (交通运输局); mirrors the server's PARKING_ORG. */
const PARKING_ORG = 'JTJ';

type Person = Me & { kind: 'person'; role: Role; orgCode: string };

function person(me: Me | null | undefined): me is Person {
  return !!me && me.kind === 'person' && !!me.role && !!me.orgCode;
}

function hasRole(me: Me | null | undefined, ...roles: Role[]): boolean {
  if (me?.kind === 'platform') return true;
  return person(me) && roles.includes(me.role);
}

function own(me: Me | null | undefined, org: string | null | undefined): boolean {
  return person(me) && !!org && me.orgCode === org;
}

export const can = {
  /** Ask for data for one's own organisation (share.request). */
  request: (me: Me | null | undefined, consumerOrg?: string | null) =>
    hasRole(me, 'org_admin', 'data_steward', 'analyst') && me?.kind === 'person' && (consumerOrg === undefined || own(me, consumerOrg)),
  /** The platform check and dispute arbitration (share.check). */
  check: (me: Me | null | undefined) => hasRole(me, 'platform_admin'),
  /** Decide requests for one's own organisation's data (share.decide). */
  decide: (me: Me | null | undefined, providerOrg: string | null | undefined) => own(me, providerOrg) && hasRole(me, 'org_admin', 'data_steward'),
  /** Revoke a grant on one's own organisation's data, or any as platform admin (grants.revoke). */
  revoke: (me: Me | null | undefined, providerOrg: string | null | undefined) =>
    hasRole(me, 'platform_admin') || (own(me, providerOrg) && hasRole(me, 'org_admin', 'data_steward')),
  /** See every request and grant, not only one's organisation's. */
  seeAllSharing: (me: Me | null | undefined) => hasRole(me, 'platform_admin', 'auditor'),
  /** Take part in sharing at all (share.read on one's own organisation); portal accounts apply on the portal instead. */
  share: (me: Me | null | undefined) => (person(me) && me.role !== 'public') || me?.kind === 'platform',
  /** Use the console (the hub's pages): everyone but members of the public, who only use the portal. */
  useConsole: (me: Me | null | undefined) => me?.role !== 'public',
  /** Apply for conditionally open data on the portal and take its application token (a portal account, role public). */
  applyOpenData: (me: Me | null | undefined) => person(me) && me.role === 'public',
  /** Issue and revoke application tokens (tokens.manage). */
  manageTokens: (me: Me | null | undefined) => hasRole(me, 'platform_admin', 'org_admin'),
  /** List and manage accounts (users.manage). */
  manageUsers: (me: Me | null | undefined) => hasRole(me, 'platform_admin', 'org_admin'),
  /** Search the audit trail: all of it (audit.read) or about one's organisation (audit.read.org). */
  readAudit: (me: Me | null | undefined) => hasRole(me, 'platform_admin', 'auditor', 'org_admin', 'data_steward'),
  readAllAudit: (me: Me | null | undefined) => hasRole(me, 'platform_admin', 'auditor'),
  /** Verify the chain and sign checkpoints (audit.verify). */
  verifyAudit: (me: Me | null | undefined) => hasRole(me, 'platform_admin', 'auditor'),
  /** Read every field and record of a dataset as its owner (ownsData). */
  ownData: (me: Me | null | undefined, org: string | null | undefined) => me?.kind === 'platform' || (own(me, org) && me?.role !== 'auditor'),
  /** Watch every lot's live state in the parking operations view (停车运营): the transport department and platform admins. */
  operateParking: (me: Me | null | undefined) =>
    hasRole(me, 'platform_admin') || (own(me, PARKING_ORG) && hasRole(me, 'org_admin', 'data_steward', 'analyst')),
  /** Manage lots, sharing windows, credit accounts and settlements (parking.manage). */
  manageParking: (me: Me | null | undefined) => hasRole(me, 'platform_admin') || (own(me, PARKING_ORG) && hasRole(me, 'org_admin', 'data_steward')),
  /** Push records and read quarantined rows of a dataset (records.write, quality.read). */
  writeData: (me: Me | null | undefined, org: string | null | undefined) => own(me, org) && hasRole(me, 'org_admin', 'data_steward'),
};
