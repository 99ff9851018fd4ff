/**
 * A person's role (角色): what they may do within their organisation or the platform. `public` is a person or an
 * enterprise registered on the open-data portal (公众用户), who may only apply for conditionally open data.
 */
export type Role = 'platform_admin' | 'org_admin' | 'data_steward' | 'analyst' | 'auditor' | 'public';
/** All roles, most powerful first. */
export const ROLES: readonly Role[] = ['platform_admin', 'org_admin', 'data_steward', 'analyst', 'auditor', 'public'];

/** What an application token may be used for: pushing its organisation's data, or reading by grant. */
export type TokenScope = 'ingest' | 'read';
export const TOKEN_SCOPES: readonly TokenScope[] = ['ingest', 'read'];

/**
 * Who is asking: a signed-in person, a connected system with an application token, the local operator running
 * the CLI (who holds the data directory anyway, and is audited like everyone else), or nobody.
 */
export type Actor =
  | { kind: 'person'; id: string; name: string; orgCode: string; role: Role }
  | { kind: 'system'; id: string; name: string; orgCode: string; systemCode: string; scopes: TokenScope[]; registrant?: boolean }
  | { kind: 'platform'; id: string; name: string; orgCode: null }
  | { kind: 'anonymous'; id: 'anonymous'; name: ''; orgCode: null };

/** The actor of requests that carry no credentials. */
export const ANONYMOUS: Actor = { kind: 'anonymous', id: 'anonymous', name: '', orgCode: null };

/** The local operator at the command line. */
export function cliActor(user = process.env.USER ?? 'operator'): Actor {
  return { kind: 'platform', id: `cli:${user}`, name: `CLI (${user})`, orgCode: null };
}

/** How an actor is named in audit entries and workflow histories. */
export function actorLabel(a: Actor): string {
  return a.kind === 'anonymous' ? 'anonymous' : a.kind === 'system' ? `${a.systemCode} (token ${a.id})` : `${a.name} (${a.id})`;
}
