// Reading CKAN packages and facets for the portal: extras, group slugs as categories, organisation names.
import { ref } from 'vue';
import { organizationList } from '../api/ckan';
import type { CkanOrganization, CkanPackage } from '../api/types';
import { currentLocale } from '../i18n';

/** CKAN group slugs (the category's English name in kebab case) and the category codes they stand for. */
export const GROUP_CATEGORY: Readonly<Record<string, string>> = {
  'general-government': '01',
  economy: '02',
  'market-regulation': '03',
  transport: '04',
  health: '05',
  'public-safety': '06',
  'resources-and-environment': '07',
  'science-and-innovation': '08',
  'urban-and-rural-development': '09',
  'social-services': '10',
  'education-and-culture': '11',
  'port-and-logistics': '12',
};

/** The group slug of a category code. */
export function groupOfCategory(category: string): string | undefined {
  return Object.keys(GROUP_CATEGORY).find((g) => GROUP_CATEGORY[g] === category);
}

/** One `extras` value of a package. */
export function extra(p: CkanPackage, key: string): string | undefined {
  return p.extras.find((e) => e.key === key)?.value;
}

/** The resource code (资源编码) of a package, which names its portal page. */
export function packageCode(p: CkanPackage): string {
  return extra(p, 'resource_code') ?? p.name.toUpperCase();
}

/** The package's title in the reader's language. */
export function packageTitle(p: CkanPackage): string {
  const en = extra(p, 'name_en');
  return currentLocale() === 'en' && en ? en : p.title;
}

/** Whether the package missed its declared update cycle (未按时更新). */
export function packageLate(p: CkanPackage): boolean {
  return extra(p, 'timely') === 'false';
}

/** The download formats of a package, without the API resource. */
export function packageFormats(p: CkanPackage): string[] {
  return [...new Set(p.resources.map((r) => r.format).filter((f) => f && f !== 'API'))];
}

/** CKAN organisations by CKAN name (lower-case code), loaded once. */
export const ckanOrganisations = ref<Map<string, CkanOrganization>>(new Map());
let pending: Promise<void> | null = null;

export function loadCkanOrganisations(): Promise<void> {
  pending ??= organizationList()
    .then((list) => {
      ckanOrganisations.value = new Map(list.map((o) => [o.name, o]));
    })
    .catch(() => {
      pending = null;
    });
  return pending;
}

/** An organisation's name in the reader's language, by CKAN name or code; `fallback` until the names are loaded. */
export function portalOrgName(codeOrName: string | null | undefined, fallback = ''): string {
  if (!codeOrName) return fallback;
  const o = ckanOrganisations.value.get(codeOrName.toLowerCase());
  if (!o) return fallback || codeOrName;
  return currentLocale() === 'en' && o.description ? o.description : o.title;
}
