import { AppError } from '../../errors.ts';
import type { Actor } from '../access/actor.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import { CATEGORIES, type Dataset } from '../catalogue/types.ts';
import { isTimely } from '../catalogue/timeliness.ts';
import type { OrganisationService } from '../organisations/service.ts';
import type { QueryService, RecordsQuery } from '../query/service.ts';
import type { SqlSandbox } from './sql.ts';
import { orgId, orgName, packageId, packageName, resourceId } from './ids.ts';
import { DOWNLOADS, ckanType, licenseOf, groupDict, groupName, organizationDict, packageDict, publishedFields, resources } from './package.ts';

/** A CKAN-style failure: the __type CKAN uses, an HTTP status, a message and, for validation, per-field errors. */
export class CkanError extends Error {
  constructor(
    readonly type: 'Not Found Error' | 'Validation Error' | 'Authorization Error' | 'Bad Request' | 'Search Query Error' | 'Too Many Requests',
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

const notFound = (what: string) => new CkanError('Not Found Error', 404, `Not found: ${what} was not found.`);
const invalid = (field: string, msg: string) => new CkanError('Validation Error', 409, `${field}: ${msg}`, { [field]: [msg] });

type Params = Record<string, unknown>;

/** The call context: who asks, and the public base URL links are made with. */
export interface CkanContext {
  actor: Actor;
  base: string;
  /** Who is calling, for per-caller limits: the account or token, else the address. */
  caller: string;
}

function str(p: Params, k: string): string | undefined {
  const v = p[k];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalid(k, 'must be a string');
}

function int(p: Params, k: string, dflt: number, min: number, max: number): number {
  const raw = p[k];
  if (raw === undefined || raw === null || raw === '') return dflt;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n)) throw invalid(k, 'Invalid integer');
  if (n < min) throw invalid(k, `Must be a natural number${min > 0 ? ` of at least ${min}` : ''}`);
  if (n > max) throw invalid(k, `Must be less than or equal to ${max}`);
  return n;
}

function bool(p: Params, k: string, dflt: boolean): boolean {
  const raw = p[k];
  if (raw === undefined || raw === null || raw === '') return dflt;
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw invalid(k, 'Must be a boolean');
}

/** A JSON-valued parameter: given as JSON text (GET) or as a value (POST). */
function json<T>(p: Params, k: string): T | undefined {
  const raw = p[k];
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') return raw as T;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw invalid(k, 'Cannot parse JSON');
  }
}

/** A list parameter: a JSON list, a list value, or comma-separated text. */
function list(p: Params, k: string): string[] | undefined {
  const raw = p[k];
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (Array.isArray(raw)) return raw.map(String);
  const s = String(raw).trim();
  if (s.startsWith('[')) {
    const v = json<unknown>(p, k);
    if (!Array.isArray(v)) throw invalid(k, 'Must be a list');
    return v.map(String);
  }
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

/** Quotes a value for the filter language. */
function lit(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

const SEARCH_KEYS = ['organization', 'tags', 'res_format', 'groups', 'license_id', 'name', 'id', 'open_type', 'update_cycle', 'timely'] as const;
type SearchKey = (typeof SEARCH_KEYS)[number];

/**
 * Splits a Solr-like query into field:value conditions and free words (quotes keep phrases together). A condition
 * may list alternatives, `organization:(wjw OR jtj)`; conditions on different fields, or repeated, all hold.
 */
function parseSolr(src: string, param: string): { conds: [SearchKey, string[]][]; words: string[] } {
  const invalid = (why: string): never => {
    throw new CkanError('Search Query Error', 409, `Search Query is invalid: ${why} in ${param}`);
  };
  if (src.length > 2000) invalid(`${src.length} characters are more than the 2,000 accepted`);
  const checkKey = (key: string): SearchKey => {
    if (!(SEARCH_KEYS as readonly string[]).includes(key)) invalid(`unknown field "${key}"; use one of ${SEARCH_KEYS.join(', ')}`);
    return key as SearchKey;
  };
  const unquote = (v: string) => v.trim().replace(/^"(.*)"$/, '$1').replace(/\\"/g, '"');
  // One pass over the text (no backtracking pattern over it): terms are [+-]key:value, key:(a OR b), key:"a b",
  // "a b" or a word; OR and AND stand between terms.
  type Term = { key: string | null; values: string[]; op: 'OR' | 'AND' | null };
  const terms: Term[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    if (/\s/.test(src[i])) {
      i++;
      continue;
    }
    const sign = src[i] === '+' || src[i] === '-' ? src[i++] : '';
    const k = /^[A-Za-z_.]{1,63}:/.exec(src.slice(i, i + 64));
    const key = k ? k[0].slice(0, -1) : null;
    if (k) i += k[0].length;
    let values: string[];
    let bare = false;
    if (src[i] === '(') {
      const close = src.indexOf(')', i);
      if (close < 0) invalid('a "(" is never closed');
      const inner = src.slice(i + 1, close);
      if (inner.includes('(')) invalid('parentheses inside parentheses are not supported');
      values = inner.split(/\s+OR\s+/i).map(unquote).filter(Boolean);
      if (!values.length) invalid(`no values in ${key ?? ''}:( )`);
      i = close + 1;
    } else if (src[i] === '"') {
      let j = i + 1;
      while (j < n && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= n) invalid('a quote is never closed');
      values = [src.slice(i + 1, j).replace(/\\"/g, '"')];
      i = j + 1;
    } else {
      let j = i;
      while (j < n && !/[\s()]/.test(src[j])) j++;
      if (j === i) invalid(key ? `no value after ${key}:` : `an unmatched "${src[i]}"`);
      values = [src.slice(i, j)];
      bare = true;
      i = j;
    }
    if (sign === '-') invalid(`negated terms are not supported ("-${key ? `${key}:` : ''}${values.join(' ')}")`);
    const op = !key && !sign && bare && (values[0] === 'OR' || values[0] === 'AND') ? values[0] : null;
    terms.push({ key, values, op });
  }
  const conds: [SearchKey, string[]][] = [];
  const words: string[] = [];
  for (let t = 0; t < terms.length; t++) {
    const term = terms[t];
    if (term.op === 'AND') continue;
    if (term.op === 'OR') {
      // key:a OR key:b is key:(a OR b); an OR between other terms would need a disjunction this search does not do.
      const prev = terms[t - 1];
      const next = terms[t + 1];
      if (!prev?.key || !next?.key || prev.key !== next.key || prev.op || next.op) invalid('OR joins values of one field only, as organization:a OR organization:b or organization:(a OR b)');
      const last = conds[conds.length - 1];
      last[1].push(...next.values);
      t++;
      continue;
    }
    if (term.key) conds.push([checkKey(term.key), [...term.values]]);
    else for (const v of term.values) if (v && v !== '*:*' && v !== '*') words.push(v.toLowerCase());
  }
  return { conds, words };
}

/** What help_show says of each action: its parameters here (CKAN's own docstrings describe the same contract). */
const ACTION_HELP: Record<string, string> = {
  status_show: 'Return the site title, description, URL, CKAN version served and extensions (datastore, dcat).',
  site_read: 'Return true: the catalogue may be read without signing in.',
  package_list: 'Return the names of all published datasets. Parameters: limit (≤ 10000), offset.',
  package_search: 'Search published datasets. Parameters: q (words, field:value, field:(a OR b), field:a OR field:b), fq (the same, as filters), rows (≤ 1000), start, sort (e.g. "metadata_modified desc"), facet.field (a JSON list), facet.limit. Fields: organization, tags, res_format, groups, license_id, name, id, open_type, update_cycle, timely.',
  package_show: 'Return one published dataset with its resources. Parameters: id (name or id).',
  organization_list: 'Return the organisations that publish datasets. Parameters: all_fields, sort, limit, offset.',
  organization_show: 'Return one organisation. Parameters: id, include_datasets.',
  group_list: 'Return the categories of published datasets as groups. Parameters: all_fields.',
  tag_list: 'Return the tags of published datasets. Parameters: query, all_fields.',
  resource_show: 'Return one resource (the DataStore table or a download). Parameters: id.',
  datastore_search: 'Return records of an open dataset (or a conditional one with an X-App-Token). Parameters: resource_id, filters (JSON object), q (text or JSON object), fields, sort, limit, offset, include_total, records_format (objects, lists, csv, tsv). _links.next carries a keyset cursor for the next page.',
  datastore_info: "Return a resource's fields with their types, index and key flags, and its record count. Parameters: id or resource_id.",
  datastore_search_sql: 'Run one read-only SELECT over open datasets, named by resource id, code or name. Parameters: sql. A time limit, a row cap and a byte cap apply; a cut result says records_truncated.',
  help_show: 'Return the help text of an action. Parameters: name.',
};

/** The CKAN Action API (/api/3/action) over the catalogue, the query service and the SQL sandbox. */
export class CkanService {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly orgs: OrganisationService,
    private readonly query: QueryService,
    private readonly sandbox: SqlSandbox,
    private readonly limits: { maxPageSize: number; siteTitle: string },
  ) {}

  /** Datasets the portal publishes: openly (无条件开放) or on application (有条件开放); closed ones never appear. */
  private async published(): Promise<Dataset[]> {
    return (await this.catalogue.all()).filter((d) => d.openType !== 'closed');
  }

  private async orgMap() {
    const list = await this.orgs.listOrganisations();
    return new Map(list.map((o) => [o.code, o]));
  }

  private async pkg(d: Dataset, base: string, orgs?: Map<string, { code: string; name: string; nameEn: string }>) {
    const o = (orgs ?? (await this.orgMap())).get(d.orgCode) ?? { code: d.orgCode, name: d.orgName, nameEn: '' };
    return packageDict(d, o, base);
  }

  /** Finds a published dataset by package id, name or resource code. */
  private async findPackage(id: string | undefined): Promise<Dataset> {
    if (!id) throw invalid('id', 'Missing value');
    const key = id.trim();
    const d = (await this.published()).find((x) => packageId(x.code) === key || packageName(x.code) === key.toLowerCase());
    if (!d) throw notFound('Dataset');
    return d;
  }

  /** Finds a published dataset by one of its resource ids, or by its resource code / package name as an alias. */
  private async findResource(id: string | undefined, param = 'resource_id'): Promise<{ d: Dataset; kind: string }> {
    if (!id) throw invalid(param, 'Missing value');
    const key = id.trim();
    for (const d of await this.published()) {
      if (d.code === key || packageName(d.code) === key.toLowerCase()) return { d, kind: 'datastore' };
      for (const kind of ['datastore', ...DOWNLOADS.map((x) => x.kind), ...d.services.map((x) => `service:${x.id}`)]) if (resourceId(d.code, kind) === key) return { d, kind };
    }
    throw notFound('Resource');
  }

  /** Runs one action by name. */
  async action(name: string, p: Params, ctx: CkanContext): Promise<unknown> {
    switch (name) {
      case 'status_show':
        return {
          site_title: this.limits.siteTitle, site_description: '厦门市公共数据开放平台 · Xiamen public data portal', site_url: ctx.base, ckan_version: '2.10.4',
          error_emails_to: null, locale_default: 'zh_Hans_CN', extensions: ['datastore', 'dcat'],
        };
      case 'site_read':
        return true;
      case 'package_list': {
        const limit = int(p, 'limit', 10_000, 0, 10_000);
        const offset = int(p, 'offset', 0, 0, 1_000_000);
        return (await this.published()).map((d) => packageName(d.code)).sort().slice(offset, offset + limit);
      }
      case 'package_search':
        return this.packageSearch(p, ctx);
      case 'package_show':
        return this.pkg(await this.findPackage(str(p, 'id') ?? str(p, 'name_or_id')), ctx.base);
      case 'organization_list':
        return this.organizationList(p);
      case 'organization_show':
        return this.organizationShow(p, ctx);
      case 'group_list':
        return this.groupList(p);
      case 'tag_list': {
        const q = str(p, 'query')?.toLowerCase();
        const tags = [...new Set((await this.published()).flatMap((d) => d.tags))].filter((t) => !q || t.toLowerCase().includes(q)).sort();
        return bool(p, 'all_fields', false) ? tags.map((t) => ({ id: `tag-${t}`, name: t, display_name: t, vocabulary_id: null })) : tags;
      }
      case 'resource_show': {
        const { d, kind } = await this.findResource(str(p, 'id'), 'id');
        return resources(d, ctx.base).find((r) => r.id === resourceId(d.code, kind));
      }
      case 'datastore_search':
        return this.datastoreSearch(p, ctx);
      case 'datastore_info':
        return this.datastoreInfo(p, ctx);
      case 'datastore_search_sql':
        return this.datastoreSearchSql(p, ctx);
      case 'help_show': {
        // Every envelope's help link points here, as CKAN's do.
        const about = str(p, 'name');
        if (!about) throw new CkanError('Validation Error', 409, 'Missing value: name', { name: ['Missing value'] });
        const text = ACTION_HELP[about];
        if (!text) throw new CkanError('Not Found Error', 404, `Not found: no action named ${about}`);
        return text;
      }
      default:
        throw new CkanError('Bad Request', 400, `Bad request - Action name not known: ${name}`);
    }
  }

  private async packageSearch(p: Params, ctx: CkanContext) {
    const rows = int(p, 'rows', 10, 0, 1000);
    const start = int(p, 'start', 0, 0, 1_000_000);
    const q = parseSolr(str(p, 'q') ?? '', 'q');
    const fq = parseSolr(str(p, 'fq') ?? '', 'fq');
    const conds = [...q.conds, ...fq.conds];
    const words = [...q.words, ...fq.words];
    const orgs = await this.orgMap();
    const now = new Date();
    const values = (d: Dataset, k: SearchKey): string[] => {
      switch (k) {
        case 'organization': return [orgName(d.orgCode)];
        case 'tags': return d.tags;
        case 'res_format': return ['API', ...DOWNLOADS.map((x) => x.format), ...d.services.map((s) => s.format)];
        case 'groups': return [groupName(d.category)];
        case 'license_id': return [licenseOf(d, '').id];
        case 'name': return [packageName(d.code)];
        case 'id': return [packageId(d.code)];
        case 'open_type': return [d.openType];
        case 'update_cycle': return [d.updateCycle];
        case 'timely': return [String(isTimely(d, now))];
      }
    };
    const text = (d: Dataset) => [d.name, d.nameEn, d.summary, d.code, d.orgName, ...d.tags, ...publishedFields(d).map((f) => f.label)].join(' ').toLowerCase();
    const scored: { d: Dataset; score: number }[] = [];
    for (const d of await this.published()) {
      if (!conds.every(([k, alts]) => values(d, k).some((x) => alts.some((v) => x.toLowerCase() === v.toLowerCase())))) continue;
      const t = text(d);
      if (!words.every((w) => t.includes(w))) continue;
      const score = words.reduce((s, w) => s + (d.name.toLowerCase().includes(w) ? 2 : 1), 1);
      scored.push({ d, score });
    }
    const sortSpec = (str(p, 'sort') ?? 'score desc, metadata_modified desc').split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
      const [field, dir = 'asc'] = x.split(/\s+/);
      if (!['score', 'metadata_modified', 'metadata_created', 'name', 'title_string', 'title'].includes(field) || !['asc', 'desc'].includes(dir.toLowerCase())) {
        throw new CkanError('Search Query Error', 409, `Search Query is invalid: cannot sort by "${x}"`);
      }
      return { field, desc: dir.toLowerCase() === 'desc' };
    });
    const key = (x: { d: Dataset; score: number }, f: string): string | number =>
      f === 'score' ? x.score : f === 'metadata_modified' ? (x.d.lastIngestAt ?? x.d.updatedAt) : f === 'metadata_created' ? x.d.createdAt : f === 'name' ? packageName(x.d.code) : x.d.name;
    scored.sort((a, b) => {
      for (const s of sortSpec) {
        const [x, y] = [key(a, s.field), key(b, s.field)];
        if (x < y) return s.desc ? 1 : -1;
        if (x > y) return s.desc ? -1 : 1;
      }
      return a.d.code.localeCompare(b.d.code);
    });
    const facetFields = list(p, 'facet.field') ?? [];
    const facetLimit = int(p, 'facet.limit', 50, -1, 10_000);
    const facets: Record<string, Record<string, number>> = {};
    const searchFacets: Record<string, { title: string; items: { name: string; display_name: string; count: number }[] }> = {};
    for (const f of facetFields) {
      if (!(SEARCH_KEYS as readonly string[]).includes(f)) throw invalid('facet.field', `cannot facet on "${f}"; use one of ${SEARCH_KEYS.join(', ')}`);
      const counts = new Map<string, number>();
      for (const { d } of scored) for (const v of new Set(values(d, f as SearchKey))) counts.set(v, (counts.get(v) ?? 0) + 1);
      const items = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, facetLimit < 0 ? undefined : facetLimit);
      facets[f] = Object.fromEntries(items);
      const display = (v: string) =>
        f === 'organization' ? (orgs.get(v.toUpperCase())?.name ?? v) : f === 'groups' ? (CATEGORIES.find((c) => groupName(c.code) === v)?.name ?? v) : v;
      searchFacets[f] = { title: f, items: items.map(([name, count]) => ({ name, display_name: display(name), count })) };
    }
    const page = scored.slice(start, start + rows);
    const results = [];
    for (const x of page) results.push(await this.pkg(x.d, ctx.base, orgs));
    return { count: scored.length, sort: sortSpec.map((s) => `${s.field} ${s.desc ? 'desc' : 'asc'}`).join(', '), facets, search_facets: searchFacets, results };
  }

  private async organizationList(p: Params) {
    const published = await this.published();
    const counts = new Map<string, number>();
    for (const d of published) counts.set(d.orgCode, (counts.get(d.orgCode) ?? 0) + 1);
    const only = list(p, 'organizations')?.map((x) => x.toLowerCase());
    const sort = str(p, 'sort') ?? 'name asc';
    if (!/^(name|title|package_count)( (asc|desc))?$/.test(sort)) throw invalid('sort', 'sort by name, title or package_count, asc or desc');
    const [sf, sd = 'asc'] = sort.split(' ');
    let orgs = (await this.orgs.listOrganisations()).map((o) => ({ ...organizationDict(o), package_count: counts.get(o.code) ?? 0 }));
    if (only) orgs = orgs.filter((o) => only.includes(o.name));
    orgs.sort((a, b) => {
      const [x, y] = sf === 'package_count' ? [a.package_count, b.package_count] : sf === 'title' ? [a.title, b.title] : [a.name, b.name];
      return (x < y ? -1 : x > y ? 1 : 0) * (sd === 'desc' ? -1 : 1);
    });
    const limit = int(p, 'limit', 1000, 0, 1000);
    const offset = int(p, 'offset', 0, 0, 100_000);
    const page = orgs.slice(offset, offset + limit);
    return bool(p, 'all_fields', false) ? page : page.map((o) => o.name);
  }

  private async organizationShow(p: Params, ctx: CkanContext) {
    const id = str(p, 'id');
    if (!id) throw invalid('id', 'Missing value');
    const o = (await this.orgs.listOrganisations()).find((x) => orgId(x.code) === id || orgName(x.code) === id.toLowerCase());
    if (!o) throw notFound('Organization');
    const mine = (await this.published()).filter((d) => d.orgCode === o.code);
    const out: Record<string, unknown> = { ...organizationDict(o), package_count: mine.length, users: [], extras: [], tags: [], groups: [] };
    if (bool(p, 'include_datasets', false)) {
      const orgs = await this.orgMap();
      const pkgs = [];
      for (const d of mine.slice(0, 1000)) pkgs.push(await this.pkg(d, ctx.base, orgs));
      out.packages = pkgs;
    }
    return out;
  }

  private async groupList(p: Params) {
    const published = await this.published();
    const groups = CATEGORIES.map((c) => ({ ...groupDict(c.code), package_count: published.filter((d) => d.category === c.code).length }));
    const limit = int(p, 'limit', 1000, 0, 1000);
    const offset = int(p, 'offset', 0, 0, 100_000);
    const page = groups.slice(offset, offset + limit);
    return bool(p, 'all_fields', false) ? page : page.map((g) => g.name);
  }

  /** Translates CKAN's datastore_search parameters to a records query of the platform's filter language. */
  private recordsQuery(d: Dataset, p: Params): { rq: RecordsQuery; limit: number; offset: number; fields: string[] | undefined } {
    const names = new Set(d.fields.map((f) => f.name));
    const conds: string[] = [];
    const filters = json<Record<string, unknown>>(p, 'filters');
    if (filters !== undefined) {
      if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) throw invalid('filters', 'Must be a JSON object of field: value');
      for (const [k, v] of Object.entries(filters)) {
        if (!names.has(k) && k !== '_seq') throw invalid('filters', `field "${k}" not in table`);
        const vals = Array.isArray(v) ? v : [v];
        if (!vals.length) throw invalid('filters', `no values for "${k}"`);
        if (vals.some((x) => x !== null && !['string', 'number', 'boolean'].includes(typeof x))) throw invalid('filters', `the value of "${k}" must be text, a number, true/false, null or a list of these`);
        conds.push(vals.length === 1 ? (vals[0] === null ? `${k} is null` : `${k} = ${lit(vals[0])}`) : `${k} in (${vals.map(lit).join(', ')})`);
      }
    }
    let text: string | undefined;
    const qRaw = p.q;
    if (qRaw !== undefined && qRaw !== null && qRaw !== '') {
      const qObj = typeof qRaw === 'string' && qRaw.trim().startsWith('{') ? json<Record<string, unknown>>(p, 'q') : typeof qRaw === 'object' ? (qRaw as Record<string, unknown>) : undefined;
      if (qObj) {
        for (const [k, v] of Object.entries(qObj)) {
          if (!names.has(k)) throw invalid('q', `field "${k}" not in table`);
          conds.push(`${k} ~ ${lit(String(v))}`);
        }
      } else text = String(qRaw);
    }
    const fields = list(p, 'fields');
    if (fields) for (const f of fields) if (!names.has(f) && f !== '_seq' && f !== '_at') throw invalid('fields', `field "${f}" not in table`);
    const sort = str(p, 'sort')?.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const m = /^"?([a-z_][a-z0-9_]*)"?(?:\s+(asc|desc))?$/i.exec(s);
      if (!m) throw invalid('sort', `cannot sort by "${s}"`);
      return `${m[2]?.toLowerCase() === 'desc' ? '-' : ''}${m[1]}`;
    }).join(',');
    const limit = int(p, 'limit', 100, 0, this.limits.maxPageSize);
    const offset = int(p, 'offset', 0, 0, 100_000_000);
    const cursor = str(p, 'cursor');
    const includeTotal = bool(p, 'include_total', true);
    return {
      rq: { filter: conds.length ? conds.join(' and ') : undefined, q: text, fields: fields?.join(','), sort, limit: Math.max(1, limit), offset, cursor, total: includeTotal ? 'exact' : 'none' },
      limit, offset, fields,
    };
  }

  private async datastoreSearch(p: Params, ctx: CkanContext) {
    const { d } = await this.findResource(str(p, 'resource_id') ?? str(p, 'id'));
    const format = str(p, 'records_format') ?? 'objects';
    if (!['objects', 'lists', 'csv', 'tsv'].includes(format)) throw invalid('records_format', 'Value must be one of: objects, lists, csv, tsv');
    const { rq, limit, offset } = this.recordsQuery(d, p);
    const byName = new Map(d.fields.map((f) => [f.name, f]));
    // One decision and one audit entry per call: limit=0 still reads (one row) to learn the fields and the total.
    const page = await this.query.records(ctx.actor, d.code, limit === 0 ? { ...rq, limit: 1, cursor: undefined } : rq);
    const r = limit === 0 ? { ...page, items: [], nextCursor: null } : page;
    const shown = new Map(page.view.fields.map((f) => [f.name, f.shown]));
    const names = rq.fields ? rq.fields.split(',') : page.view.fields.map((f) => f.name);
    const fields = names.map((n) => ({ id: n, type: n === '_seq' ? 'int8' : n === '_at' ? 'timestamp' : shown.get(n) !== 'clear' ? 'text' : ckanType(byName.get(n)!) }));
    const total = r.total;
    const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    const records =
      format === 'objects' ? r.items
        : format === 'lists' ? r.items.map((x) => names.map((n) => (x as Record<string, unknown>)[n] ?? null))
          : r.items.map((x) => names.map((n) => {
            const s = cell((x as Record<string, unknown>)[n]);
            return format === 'csv' ? (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s) : s.replace(/[\t\r\n]/g, ' ');
          }).join(format === 'csv' ? ',' : '\t')).join('\n') + (r.items.length ? '\n' : '');
    const rid = resourceId(d.code, 'datastore');
    const link = (extra: Record<string, string | number>) => {
      const params = new URLSearchParams({ resource_id: rid });
      for (const [k, v] of Object.entries(p)) {
        if (['resource_id', 'id', 'offset', 'cursor'].includes(k) || v === undefined || v === null) continue;
        params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      }
      for (const [k, v] of Object.entries(extra)) params.set(k, String(v));
      return `/api/3/action/datastore_search?${params}`;
    };
    // As CKAN does, the answer repeats the filters, q and sort it was asked for.
    const echoed = Object.fromEntries(['filters', 'q', 'sort'].filter((k) => p[k] !== undefined && p[k] !== null && p[k] !== '').map((k) => {
      const v = p[k];
      return [k, typeof v === 'string' && /^\s*\{/.test(v) ? (json<Record<string, unknown>>(p, k) ?? v) : v];
    }));
    return {
      include_total: rq.total === 'exact', limit, offset, records_format: format, resource_id: rid, total_estimation_threshold: null, ...echoed,
      fields, records, ...(total !== null ? { total, total_was_estimated: !r.totalExact } : {}),
      _links: { start: link({}), next: r.nextCursor ? link({ cursor: r.nextCursor }) : link({ offset: offset + limit }) },
      ...(r.nextCursor ? { next_cursor: r.nextCursor } : {}),
    };
  }

  private async datastoreInfo(p: Params, ctx: CkanContext) {
    const { d } = await this.findResource(str(p, 'id') ?? str(p, 'resource_id'), 'id');
    const byName = new Map(d.fields.map((f) => [f.name, f]));
    const page = await this.query.records(ctx.actor, d.code, { limit: 1, total: 'exact', fields: '_seq' });
    return {
      meta: { id: resourceId(d.code, 'datastore'), aliases: [d.code], count: page.total, table_type: 'BASE TABLE' },
      fields: page.view.fields.map((f) => {
        const spec = byName.get(f.name)!;
        // schema as CKAN 2.11 describes a column; is_index: a declared sort index keeps sorted paging on it fast.
        return {
          id: f.name, type: f.shown === 'clear' ? ckanType(spec) : 'text',
          schema: { native_type: f.shown === 'clear' ? ckanType(spec) : 'text', is_index: Boolean(spec.sortIndex) && f.shown === 'clear', uniquekey: d.primaryKey.length === 1 && spec.primaryKey, notnull: spec.required },
          info: { label: spec.label, notes: f.shown === 'clear' ? '' : `masked (${f.shown})`, type_override: '' },
        };
      }),
    };
  }

  private async datastoreSearchSql(p: Params, ctx: CkanContext) {
    const sql = str(p, 'sql');
    if (!sql) throw invalid('sql', 'Missing value');
    const r = await this.sandbox.run(ctx.actor, sql, ctx.caller);
    return { sql, records_format: 'objects', fields: r.fields, records: r.rows, ...(r.truncated ? { records_truncated: true } : {}) };
  }
}

/** Turns platform errors into CKAN's error shapes. */
export function toCkanError(e: unknown): CkanError | null {
  if (e instanceof CkanError) return e;
  if (!(e instanceof AppError)) return null;
  if (e.status === 404) return new CkanError('Not Found Error', 404, `Not found: ${e.message}`);
  if (e.status === 401 || e.status === 403) return new CkanError('Authorization Error', 403, `Access denied: ${e.message}`);
  if (e.status === 429) return new CkanError('Too Many Requests', 429, e.message);
  if (e.status < 500) return new CkanError('Validation Error', 409, e.message, { [e.code.toLowerCase()]: [e.message] });
  return null;
}
