import { fail } from '../../errors.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import type { Dataset, UpdateCycle } from '../catalogue/types.ts';
import type { OrganisationService } from '../organisations/service.ts';
import { orgName, packageName, resourceId } from '../ckan/ids.ts';
import { DOWNLOADS, LICENSE, licenseOf } from '../ckan/package.ts';
import { Graph, type Term } from './graph.ts';

const EU = 'http://publications.europa.eu/resource/authority';
/** DCAT-AP's frequency vocabulary for each update cycle. */
const FREQUENCY: Record<UpdateCycle, string> = {
  realtime: 'CONT', hourly: 'HOURLY', daily: 'DAILY', weekly: 'WEEKLY', monthly: 'MONTHLY', quarterly: 'QUARTERLY', yearly: 'ANNUAL',
};
/** The EU data theme of each resource category (资源分类). */
const THEME: Record<string, string> = {
  '01': 'GOVE', '02': 'ECON', '03': 'ECON', '04': 'TRAN', '05': 'HEAL', '06': 'JUST', '07': 'ENVI', '08': 'TECH', '09': 'REGI', '10': 'SOCI', '11': 'EDUC', '12': 'TRAN',
};
const FILE_TYPE: Record<string, string> = { csv: 'CSV', json: 'JSON', parquet: 'PARQUET', xlsx: 'XLSX' };
/** The EU file-type of a live API's format, where the vocabulary has one. */
const FILE_TYPE_BY_FORMAT: Record<string, string> = { geojson: 'GEOJSON', json: 'JSON', csv: 'CSV', xml: 'XML' };

/** Rows of the catalogue per page of /catalog.*. */
export const PAGE_SIZE = 100;

/** The DCAT-AP catalogue (dcat:Catalog) of the published datasets, and each dataset's description. */
export class DcatCatalog {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly orgs: OrganisationService,
  ) {}

  private async published(): Promise<Dataset[]> {
    return (await this.catalogue.all()).filter((d) => d.openType !== 'closed');
  }

  private modified(d: Dataset): string {
    return d.lastIngestAt && d.lastIngestAt > d.updatedAt ? d.lastIngestAt : d.updatedAt;
  }

  /** One page of the catalogue, optionally only datasets modified since an instant. */
  async catalog(base: string, opts: { page: number; modifiedSince: string | null; selfUrl: (page: number) => string }): Promise<Graph> {
    // A date (Beijing midnight) or a date-time with an offset; nothing looser (Date.parse would take "1" for 2001).
    const m = opts.modifiedSince ? /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(opts.modifiedSince) : null;
    const since = opts.modifiedSince ? (m ? Date.parse(m[2] ? opts.modifiedSince : `${m[1]}T00:00:00+08:00`) : Number.NaN) : null;
    if (opts.modifiedSince && Number.isNaN(since)) fail('VALIDATION_FAILED', { reason: 'modified_since is an ISO 8601 date or date-time' });
    const all = (await this.published()).filter((d) => since === null || Date.parse(this.modified(d)) >= (since as number));
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    if (opts.page > pages) fail('VALIDATION_FAILED', { reason: `page ${opts.page} is past the last page (${pages})` });
    const page = all.slice((opts.page - 1) * PAGE_SIZE, opts.page * PAGE_SIZE);
    const g = new Graph();
    const cat = g.node(`${base}/catalog`);
    g.type(cat, 'dcat:Catalog');
    g.lang(cat, 'dct:title', '厦门市公共数据开放目录', 'zh');
    g.lang(cat, 'dct:title', 'Xiamen public data catalogue', 'en');
    g.lang(cat, 'dct:description', '厦门市公共数据资源开放目录清单：无条件开放与有条件开放的数据集。', 'zh');
    g.add(cat, 'foaf:homepage', g.node(`${base}/portal`));
    g.add(cat, 'dct:language', g.node(`${EU}/language/ZHO`));
    g.add(cat, 'dct:license', g.node(LICENSE.url));
    const bdo = g.node(`${base}/organization/dsjj`);
    g.type(bdo, 'foaf:Organization');
    g.lang(bdo, 'foaf:name', '厦门市大数据管理局', 'zh');
    g.add(cat, 'dct:publisher', bdo);
    if (all.length) g.typed(cat, 'dct:modified', all.map((d) => this.modified(d)).sort().at(-1) as string, 'xsd:dateTime');
    const orgs = new Map((await this.orgs.listOrganisations()).map((o) => [o.code, o]));
    for (const d of page) g.add(cat, 'dcat:dataset', this.describe(g, d, base, orgs));
    const coll = g.node(opts.selfUrl(opts.page));
    g.type(coll, 'hydra:PagedCollection');
    g.typed(coll, 'hydra:totalItems', all.length, 'xsd:integer');
    g.typed(coll, 'hydra:itemsPerPage', PAGE_SIZE, 'xsd:integer');
    g.add(coll, 'hydra:firstPage', opts.selfUrl(1));
    g.add(coll, 'hydra:lastPage', opts.selfUrl(pages));
    if (opts.page < pages) g.add(coll, 'hydra:nextPage', opts.selfUrl(opts.page + 1));
    if (opts.page > 1) g.add(coll, 'hydra:previousPage', opts.selfUrl(opts.page - 1));
    return g;
  }

  /** One published dataset, by resource code or package name. */
  async dataset(base: string, id: string): Promise<Graph> {
    const d = (await this.published()).find((x) => x.code === id || packageName(x.code) === id.toLowerCase());
    if (!d) return fail('DATASET_NOT_FOUND', { code: id });
    const g = new Graph();
    this.describe(g, d, base, new Map((await this.orgs.listOrganisations()).map((o) => [o.code, o])));
    return g;
  }

  /** Adds a dcat:Dataset with its publisher, contact point, themes, place, period and distributions. */
  private describe(g: Graph, d: Dataset, base: string, orgs: Map<string, { code: string; name: string; nameEn: string; adcode: string | null }>): Term {
    const name = packageName(d.code);
    const ds = g.node(`${base}/dataset/${name}`);
    const org = orgs.get(d.orgCode);
    g.type(ds, 'dcat:Dataset');
    g.lang(ds, 'dct:title', d.name, 'zh');
    g.lang(ds, 'dct:title', d.nameEn, 'en');
    g.lang(ds, 'dct:description', d.summary, 'zh');
    g.add(ds, 'dct:identifier', d.code);
    g.typed(ds, 'dct:issued', d.createdAt, 'xsd:dateTime');
    g.typed(ds, 'dct:modified', this.modified(d), 'xsd:dateTime');
    g.add(ds, 'dct:accrualPeriodicity', g.node(`${EU}/frequency/${FREQUENCY[d.updateCycle]}`));
    g.add(ds, 'dcat:landingPage', g.node(`${base}/portal/datasets/${d.code}`));
    g.add(ds, 'dct:accessRights', g.node(`${EU}/access-right/${d.openType === 'open' ? 'PUBLIC' : 'RESTRICTED'}`));
    for (const t of d.tags) g.lang(ds, 'dcat:keyword', t, 'zh');
    g.add(ds, 'dcat:theme', g.node(`${EU}/data-theme/${THEME[d.category] ?? 'GOVE'}`));
    g.add(ds, 'dcat:theme', g.node(`${base}/category/${d.category}`));
    const publisher = g.node(`${base}/organization/${orgName(d.orgCode)}`);
    g.type(publisher, 'foaf:Organization');
    g.lang(publisher, 'foaf:name', org?.name ?? d.orgName, 'zh');
    g.lang(publisher, 'foaf:name', org?.nameEn, 'en');
    g.add(ds, 'dct:publisher', publisher);
    const contact = g.blank();
    g.type(contact, 'vcard:Organization');
    g.add(contact, 'vcard:fn', org?.name ?? d.orgName);
    g.add(contact, 'vcard:hasURL', g.node(`${base}/portal/organizations/${d.orgCode}`));
    g.add(ds, 'dcat:contactPoint', contact);
    // The place: a district's own datasets cover that district; a city department's cover Xiamen.
    const place = g.blank();
    g.type(place, 'dct:Location');
    g.add(place, 'dct:identifier', org?.adcode ?? '350200');
    g.lang(place, 'skos:prefLabel', org?.adcode ? org.name.replace(/^厦门市|人民政府$/g, '') : '厦门市', 'zh');
    g.add(ds, 'dct:spatial', place);
    // The period the records span: from the first push to the latest.
    const period = g.blank();
    g.type(period, 'dct:PeriodOfTime');
    g.typed(period, 'dcat:startDate', d.createdAt, 'xsd:dateTime');
    g.typed(period, 'dcat:endDate', d.lastIngestAt ?? d.createdAt, 'xsd:dateTime');
    g.add(ds, 'dct:temporal', period);
    const api = g.node(`${base}/dataset/${name}/resource/${resourceId(d.code, 'datastore')}`);
    g.type(api, 'dcat:Distribution');
    g.lang(api, 'dct:title', `${d.name}（数据接口 API）`, 'zh');
    g.add(api, 'dcat:accessURL', g.node(`${base}/api/3/action/datastore_search?resource_id=${resourceId(d.code, 'datastore')}`));
    g.add(api, 'dcat:mediaType', g.node('https://www.iana.org/assignments/media-types/application/json'));
    g.add(api, 'dct:format', g.node(`${EU}/file-type/JSON`));
    g.add(api, 'dct:license', g.node(licenseOf(d, base).url));
    g.add(ds, 'dcat:distribution', api);
    for (const x of DOWNLOADS) {
      const dist = g.node(`${base}/dataset/${name}/resource/${resourceId(d.code, x.kind)}`);
      g.type(dist, 'dcat:Distribution');
      g.lang(dist, 'dct:title', `${d.name}（${x.format}）`, 'zh');
      g.add(dist, 'dcat:accessURL', g.node(`${base}/portal/datasets/${d.code}`));
      g.add(dist, 'dcat:downloadURL', g.node(`${base}/api/v1/datasets/${d.code}/download.${x.kind}`));
      g.add(dist, 'dcat:mediaType', g.node(`https://www.iana.org/assignments/media-types/${x.mimetype}`));
      g.add(dist, 'dct:format', g.node(`${EU}/file-type/${FILE_TYPE[x.kind]}`));
      g.add(dist, 'dct:license', g.node(licenseOf(d, base).url));
      g.add(ds, 'dcat:distribution', dist);
    }
    // Live APIs of the dataset's system (the parking feed, …): a distribution reached through its API.
    for (const s of d.services) {
      const dist = g.node(`${base}/dataset/${name}/resource/${resourceId(d.code, `service:${s.id}`)}`);
      g.type(dist, 'dcat:Distribution');
      g.lang(dist, 'dct:title', s.name, 'zh');
      if (s.nameEn) g.lang(dist, 'dct:title', s.nameEn, 'en');
      g.add(dist, 'dcat:accessURL', g.node(`${base}${s.path}`));
      g.add(dist, 'dcat:mediaType', g.node(`https://www.iana.org/assignments/media-types/${s.mediaType}`));
      if (FILE_TYPE_BY_FORMAT[s.format.toLowerCase()]) g.add(dist, 'dct:format', g.node(`${EU}/file-type/${FILE_TYPE_BY_FORMAT[s.format.toLowerCase()]}`));
      g.add(dist, 'dct:license', g.node(licenseOf(d, base).url));
      g.add(ds, 'dcat:distribution', dist);
    }
    return ds;
  }
}
