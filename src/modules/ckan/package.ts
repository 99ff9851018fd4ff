import { CATEGORIES, type Dataset, type FieldSpec } from '../catalogue/types.ts';
import { isTimely, nextDueAt } from '../catalogue/timeliness.ts';
import { OPEN_SENSITIVITIES } from '../access/service.ts';
import { orgId, orgName, packageId, packageName, resourceId } from './ids.ts';

/** The download formats every published dataset offers, as CKAN resources. */
export const DOWNLOADS = [
  { kind: 'csv', format: 'CSV', mimetype: 'text/csv' },
  { kind: 'json', format: 'JSON', mimetype: 'application/json' },
  { kind: 'parquet', format: 'Parquet', mimetype: 'application/vnd.apache.parquet' },
  { kind: 'xlsx', format: 'XLSX', mimetype: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
] as const;

/** The licence of openly published data (无条件开放). */
export const LICENSE = { id: 'cc-by', title: 'Creative Commons Attribution 4.0', url: 'https://creativecommons.org/licenses/by/4.0/' };

/**
 * The licence a dataset is published under: CC BY for open data; conditionally open data (有条件开放) is used under
 * the agreement of an approved application — purpose-bound, with a data-security commitment, not to be passed on —
 * which CKAN lists as its "other-closed" licence, linked to the dataset's page where one applies.
 */
export function licenseOf(d: Pick<Dataset, 'code' | 'openType'>, base: string): { id: string; title: string; url: string } {
  if (d.openType === 'open') return LICENSE;
  return { id: 'other-closed', title: '有条件开放数据使用协议 (conditional use under an approved application; not open)', url: `${base}/portal/datasets/${d.code}` };
}

/** CKAN's DataStore column type for a field type. */
export function ckanType(f: FieldSpec): string {
  return { string: 'text', integer: 'int8', decimal: 'numeric', boolean: 'bool', date: 'date', timestamp: 'timestamp', geopoint: 'json', json: 'json' }[f.type];
}

/** The slug of a category as a CKAN group. */
export function groupName(category: string): string {
  const c = CATEGORIES.find((x) => x.code === category);
  return c ? c.nameEn.toLowerCase().replace(/[^a-z0-9]+/g, '-') : `category-${category}`;
}

/** A CKAN group dict for a category. */
export function groupDict(category: string) {
  const c = CATEGORIES.find((x) => x.code === category);
  return { id: `category-${category}`, name: groupName(category), title: c?.name ?? category, display_name: c?.name ?? category, description: c?.nameEn ?? '', image_display_url: '' };
}

/** A CKAN organization dict. */
export function organizationDict(o: { code: string; name: string; nameEn: string; createdAt?: string }) {
  return {
    id: orgId(o.code), name: orgName(o.code), title: o.name, display_name: o.name, description: o.nameEn, image_url: '', created: o.createdAt ?? null,
    is_organization: true, approval_status: 'approved', state: 'active', type: 'organization',
  };
}

/** The CKAN resources of a dataset: its DataStore table, one download per file format, and its live APIs. */
export function resources(d: Dataset, base: string) {
  const common = { package_id: packageId(d.code), created: d.createdAt, last_modified: d.lastIngestAt ?? d.updatedAt, state: 'active', size: null, resource_type: null };
  return [
    {
      ...common, id: resourceId(d.code, 'datastore'), name: `${d.name}（数据接口 API）`, description: '按条件查询、分页读取记录 (CKAN DataStore API)', format: 'API',
      mimetype: 'application/json', url: `${base}/api/3/action/datastore_search?resource_id=${resourceId(d.code, 'datastore')}`, url_type: 'datastore', datastore_active: true, position: 0,
    },
    ...DOWNLOADS.map((x, i) => ({
      ...common, id: resourceId(d.code, x.kind), name: `${d.name}（${x.format}）`, description: `全部记录 (${x.format}, streamed)`, format: x.format,
      mimetype: x.mimetype, url: `${base}/api/v1/datasets/${d.code}/download.${x.kind}`, url_type: null, datastore_active: true, position: i + 1,
    })),
    ...d.services.map((s, i) => ({
      ...common, id: resourceId(d.code, `service:${s.id}`), name: s.name, description: s.nameEn, format: s.format,
      mimetype: s.mediaType, url: `${base}${s.path}`, url_type: null, datastore_active: false, position: DOWNLOADS.length + 1 + i,
    })),
  ];
}

/** Published fields of a dataset: sensitive and secret fields are never opened. */
export function publishedFields(d: Dataset): FieldSpec[] {
  return d.fields.filter((f) => OPEN_SENSITIVITIES.has(f.sensitivity));
}

/** A CKAN package dict for a published dataset. */
export function packageDict(d: Dataset, org: { code: string; name: string; nameEn: string }, base: string) {
  const res = resources(d, base);
  const license = licenseOf(d, base);
  return {
    id: packageId(d.code), name: packageName(d.code), title: d.name, notes: d.summary, type: 'dataset', state: 'active', private: false,
    isopen: d.openType === 'open', license_id: license.id, license_title: license.title, license_url: license.url,
    author: org.name, author_email: null, maintainer: org.name, maintainer_email: null, url: `${base}/portal/datasets/${d.code}`, version: String(d.schemaVersion),
    metadata_created: d.createdAt, metadata_modified: d.lastIngestAt && d.lastIngestAt > d.updatedAt ? d.lastIngestAt : d.updatedAt,
    owner_org: orgId(d.orgCode), organization: organizationDict(org),
    num_tags: d.tags.length, tags: d.tags.map((t) => ({ id: `tag-${t}`, name: t, display_name: t, state: 'active', vocabulary_id: null })),
    groups: [groupDict(d.category)], num_resources: res.length, resources: res,
    extras: [
      { key: 'resource_code', value: d.code },
      { key: 'open_type', value: d.openType },
      { key: 'update_cycle', value: d.updateCycle },
      { key: 'timely', value: String(isTimely(d)) },
      { key: 'next_update_due', value: nextDueAt(d) },
      { key: 'records', value: String(d.validRecords) },
      { key: 'name_en', value: d.nameEn },
    ],
    relationships_as_object: [], relationships_as_subject: [],
  };
}
