// Organisation names by code, loaded once per sign-in and shared (the catalogue needs a signed-in person).
import { ref, watch } from 'vue';
import { listOrganisations } from '../api/organisations';
import type { Organisation } from '../api/types';
import { session } from '../auth/session';
import { localName } from './format';

/** Organisations by code; empty until loaded. */
export const organisations = ref<Map<string, Organisation>>(new Map());
let pending: Promise<Map<string, Organisation>> | null = null;

/** Loads the organisations if signed in to the console (once; again after the person changes). */
export function loadOrganisations(): Promise<Map<string, Organisation>> {
  // Portal accounts (role public) may not read the internal list of organisations.
  if (!session.me || session.me.role === 'public') return Promise.resolve(organisations.value);
  pending ??= listOrganisations()
    .then((r) => (organisations.value = new Map(r.items.map((o) => [o.code, o]))))
    .catch(() => {
      pending = null; // retry next time
      return organisations.value;
    });
  return pending;
}

/** The localised name of an organisation, or its code until the names are loaded. */
export function orgName(code: string | null | undefined): string {
  if (!code) return '';
  const o = organisations.value.get(code);
  return o ? localName(o) : code;
}

watch(
  () => session.me?.id,
  () => {
    pending = null;
    organisations.value = new Map();
  },
);
