// What the signed-in person may read of a dataset (数据视图), as the console understands it: everything as its
// owner, the fields and rows of their organisation's newest active grant, or nothing. It mirrors the server's
// decision (AccessService.view) to shape the records table; the server still decides every read.
import { listGrants } from '../../api/sharing';
import type { Dataset, Field, Grant, Me } from '../../api/types';
import { can } from '../../auth/permissions';

export interface DataAccess {
  basis: 'owner' | 'grant' | 'none';
  grant: Grant | null;
}

/** Finds the caller's access to a dataset (one GET /grants call for non-owners). */
export async function loadDataAccess(me: Me | null, ds: Dataset, signal?: AbortSignal): Promise<DataAccess> {
  if (can.ownData(me, ds.orgCode)) return { basis: 'owner', grant: null };
  if (!me?.orgCode || me.role === 'auditor' || ds.shareType === 'none') return { basis: 'none', grant: null };
  try {
    const { items } = await listGrants({ as: 'consumer', dataset: ds.code, limit: 50 }, { signal, silent: true });
    // The server uses the newest active grant of the organisation; the list is newest first.
    const grant = items.find((g) => g.status === 'active' && g.consumerOrg === me.orgCode) ?? null;
    return { basis: grant ? 'grant' : 'none', grant };
  } catch {
    return { basis: 'none', grant: null };
  }
}

/** Fields the caller sees (schema order), with those shown masked and those withheld named apart. */
export function fieldView(ds: Dataset, access: DataAccess | null): { visible: Field[]; masked: Set<string>; withheld: Field[] } {
  const g = access?.grant;
  if (!g) return { visible: ds.fields, masked: new Set(), withheld: [] };
  const visible: Field[] = [];
  const withheld: Field[] = [];
  const masked = new Set<string>();
  for (const f of ds.fields) {
    const m = g.masks[f.name] ?? 'clear';
    if (!g.fields.includes(f.name) || m === 'drop') withheld.push(f);
    else {
      visible.push(f);
      if (m !== 'clear') masked.add(f.name);
    }
  }
  return { visible, masked, withheld };
}

/** Error codes the dataset page answers with a "request the data" panel rather than a raw error. */
export const NO_ACCESS_CODES: ReadonlySet<string> = new Set(['NO_GRANT', 'FIELD_WITHHELD', 'FIELD_MASKED']);
