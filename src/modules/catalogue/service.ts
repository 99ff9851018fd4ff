import { fail } from '../../errors.ts';
import type { Lake, SortIndexState } from '../../lake/lake.ts';
import type { Actor } from '../access/actor.ts';
import { requireAccess } from '../access/policy.ts';
import type { OrganisationService } from '../organisations/service.ts';
import type { CatalogueRepository } from './repository.ts';
import {
  CATEGORIES, FIELD_TYPES, OPEN_TYPES, SENSITIVITIES, SHARE_TYPES, UPDATE_CYCLES,
  type Dataset, type DatasetService, type FieldSpec, type OpenType, type ShareType, type UpdateCycle,
} from './types.ts';
import { FORMATS, type FormatName } from './validators/formats.ts';

/** What a steward sends to catalogue a new dataset. */
export interface NewDataset {
  name: string;
  nameEn?: string;
  summary: string;
  category: string;
  tags?: string[];
  orgCode: string;
  systemCode: string;
  updateCycle: UpdateCycle;
  shareType: ShareType;
  openType: OpenType;
  fields: NewField[];
  /** Live APIs the system serves beside the records. */
  services?: DatasetService[];
}

/** Checks a dataset's live APIs: slugs, platform paths under /api/, a format and a media type. */
function checkServices(services: DatasetService[]): DatasetService[] {
  const bad = (reason: string) => fail('VALIDATION_FAILED', { reason });
  if (!Array.isArray(services) || services.length > 20) bad('services is a list of at most 20 APIs');
  const ids = new Set<string>();
  return services.map((s) => {
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(s.id ?? '')) bad(`a service id is a lower-case slug; ${JSON.stringify(s.id)} is not`);
    if (ids.has(s.id)) bad(`service ${s.id} appears twice`);
    ids.add(s.id);
    if (!s.name?.trim() || s.name.length > 200) bad(`service ${s.id} needs a name of at most 200 characters`);
    // A plain path and query (no quotes, spaces, $ or ;): it is shown in curl commands people paste into a shell.
    if (!/^\/api\/[A-Za-z0-9._~\/%-]*(\?[A-Za-z0-9._~%=&-]*)?$/.test(s.path ?? '') || s.path.includes('//') || s.path.length > 500) bad(`service ${s.id}'s path must be a plain path on this platform under /api/ (letters, digits, . _ ~ / % - and a query of name=value&…)`);
    if (!/^[A-Za-z0-9 .+-]{1,40}$/.test(s.format ?? '')) bad(`service ${s.id} needs a format such as GeoJSON`);
    if (!/^[a-z]+\/[a-z0-9.+-]+$/.test(s.mediaType ?? '')) bad(`service ${s.id} needs a media type such as application/geo+json`);
    return { id: s.id, name: s.name.trim(), nameEn: (s.nameEn ?? '').trim(), path: s.path, format: s.format, mediaType: s.mediaType };
  });
}

/** A field as sent by a steward; sinceVersion is assigned by the catalogue. */
export type NewField = Omit<FieldSpec, 'sinceVersion' | 'required' | 'primaryKey' | 'sensitivity' | 'format'> &
  Partial<Pick<FieldSpec, 'required' | 'primaryKey' | 'sensitivity' | 'format'>>;

/** Field types with no order, which a sort index cannot serve. */
const UNSORTABLE: readonly string[] = ['geopoint', 'json'];

/** A catalogue search. */
export interface DatasetQuery {
  q?: string;
  org?: string;
  category?: string;
  shareType?: string;
  openType?: string;
  limit: number;
  offset: number;
}

const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const RE2_UNSUPPORTED = /\(\?[=!<]|\\[1-9]/;

/** Checks one field definition and returns it normalised. */
export function checkField(f: NewField, version: number): FieldSpec {
  const bad = (reason: string) => fail('VALIDATION_FAILED', { reason: `field ${JSON.stringify(f.name)}: ${reason}` });
  if (typeof f.name !== 'string' || !FIELD_NAME.test(f.name)) bad('a field name is a lower-case letter followed by up to 62 letters, digits or _');
  if (!f.label || typeof f.label !== 'string') bad('a label (中文名) is required');
  if (!FIELD_TYPES.includes(f.type)) bad(`type must be one of ${FIELD_TYPES.join(', ')}`);
  const sensitivity = f.sensitivity ?? 'internal';
  if (!SENSITIVITIES.includes(sensitivity)) bad(`sensitivity must be one of ${SENSITIVITIES.join(', ')}`);
  const format = f.format ?? null;
  if (format !== null && !(format in FORMATS)) bad(`format must be one of ${Object.keys(FORMATS).join(', ')}`);
  if (format !== null && f.type !== 'string') bad('a format check applies to string fields');
  if (f.enum !== undefined && (!Array.isArray(f.enum) || !f.enum.length || f.enum.some((v) => typeof v !== 'string'))) bad('enum is a non-empty list of strings');
  for (const k of ['min', 'max'] as const) {
    if (f[k] !== undefined && (typeof f[k] !== 'number' || !Number.isFinite(f[k]))) bad(`${k} must be a number`);
    if (f[k] !== undefined && f.type !== 'integer' && f.type !== 'decimal') bad(`${k} applies to integer and decimal fields`);
  }
  for (const k of ['minLength', 'maxLength'] as const) {
    if (f[k] !== undefined && (!Number.isInteger(f[k]) || (f[k] as number) < 0)) bad(`${k} must be a whole number ≥ 0`);
  }
  if (f.pattern !== undefined) {
    if (typeof f.pattern !== 'string' || RE2_UNSUPPORTED.test(f.pattern)) bad('pattern must be a regular expression without look-around or back-references');
    try {
      new RegExp(f.pattern as string, 'u');
    } catch (e) {
      bad(`pattern is not a valid regular expression (${(e as Error).message})`);
    }
  }
  const required = Boolean(f.required ?? false);
  const primaryKey = Boolean(f.primaryKey ?? false);
  if (primaryKey && (f.type === 'json' || f.type === 'geopoint')) bad('a primary key field cannot be json or geopoint');
  if (f.sortIndex !== undefined && typeof f.sortIndex !== 'boolean') bad('sortIndex is true or false');
  if (f.sortIndex && UNSORTABLE.includes(f.type)) bad(`${f.type} values have no order to index`);
  const out: FieldSpec = {
    name: f.name,
    label: f.label,
    type: f.type,
    required: required || primaryKey,
    primaryKey,
    sensitivity,
    format: format as FormatName | null,
    sinceVersion: version,
  };
  for (const k of ['enum', 'min', 'max', 'minLength', 'maxLength', 'pattern'] as const) {
    if (f[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = f[k];
  }
  if (f.sortIndex) out.sortIndex = true;
  return out;
}

/** The resource catalogue (资源目录): datasets, their typed schemas and schema versions. */
export class CatalogueService {
  private cache = new Map<string, Dataset>();
  private loaded = false;

  constructor(
    private readonly repo: CatalogueRepository,
    private readonly orgs: OrganisationService,
    private readonly lake: Lake,
  ) {}

  private async load() {
    if (this.loaded) return;
    for (const d of await this.repo.allDatasets()) this.cache.set(d.code, d);
    this.loaded = true;
  }

  /** Re-reads one dataset from the Store after a change. */
  async refresh(code: string): Promise<Dataset | undefined> {
    const d = await this.repo.getDataset(code);
    if (d) this.cache.set(code, d);
    else this.cache.delete(code);
    return d;
  }

  /** The dataset, or DATASET_NOT_FOUND. */
  async get(code: string): Promise<Dataset> {
    await this.load();
    const d = this.cache.get(code);
    if (!d) fail('DATASET_NOT_FOUND', { code });
    return d;
  }

  async all(): Promise<Dataset[]> {
    await this.load();
    return [...this.cache.values()].sort((a, b) => a.code.localeCompare(b.code));
  }

  /** Searches the catalogue by text and facets. */
  async search(q: DatasetQuery): Promise<{ items: Dataset[]; total: number }> {
    const needle = q.q?.trim().toLowerCase();
    const hits = (await this.all()).filter(
      (d) =>
        (!q.org || d.orgCode === q.org) &&
        (!q.category || d.category === q.category) &&
        (!q.shareType || d.shareType === q.shareType) &&
        (!q.openType || d.openType === q.openType) &&
        (!needle ||
          [d.code, d.name, d.nameEn, d.summary, d.orgName, ...d.tags, ...d.fields.map((f) => f.label)].some((s) => s.toLowerCase().includes(needle))),
    );
    return { items: hits.slice(q.offset, q.offset + q.limit), total: hits.length };
  }

  /** Catalogues a dataset: checks the schema, generates its resource code and creates its Lake table. */
  async create(actor: Actor, input: NewDataset): Promise<Dataset> {
    requireAccess({ actor, permission: 'catalogue.write', orgs: [input.orgCode ?? null] });
    const bad = (reason: string) => fail('VALIDATION_FAILED', { reason });
    if (!input.name?.trim()) bad('name is required');
    const cat = CATEGORIES.find((c) => c.code === input.category);
    if (!cat) bad(`category must be one of ${CATEGORIES.map((c) => `${c.code} (${c.name})`).join(', ')}`);
    if (!UPDATE_CYCLES.includes(input.updateCycle)) bad(`updateCycle must be one of ${UPDATE_CYCLES.join(', ')}`);
    if (!SHARE_TYPES.includes(input.shareType)) bad(`shareType must be one of ${SHARE_TYPES.join(', ')}`);
    if (!OPEN_TYPES.includes(input.openType)) bad(`openType must be one of ${OPEN_TYPES.join(', ')}`);
    if (input.shareType === 'none' && input.openType !== 'closed') bad('a dataset that is not shared (不予共享) cannot be opened to the public');
    await this.orgs.requireSystem(input.systemCode, input.orgCode);
    if (!Array.isArray(input.fields) || !input.fields.length) bad('a dataset needs at least one field');
    if (input.fields.length > 500) bad('a dataset may have at most 500 fields');
    const fields = input.fields.map((f) => checkField(f, 1));
    const names = new Set<string>();
    for (const f of fields) {
      if (names.has(f.name)) bad(`field ${f.name} appears twice`);
      names.add(f.name);
    }
    const services = checkServices(input.services ?? []);
    const seq = await this.repo.nextSequence(`dataset:${input.category}:${input.orgCode}`);
    const code = `XM-${input.category}-${input.orgCode}-${String(seq).padStart(5, '0')}`;
    const now = new Date().toISOString();
    await this.repo.insertDataset({
      code,
      name: input.name.trim(),
      nameEn: input.nameEn?.trim() ?? '',
      summary: input.summary ?? '',
      category: input.category,
      tags: input.tags ?? [],
      orgCode: input.orgCode,
      systemCode: input.systemCode,
      updateCycle: input.updateCycle,
      shareType: input.shareType,
      openType: input.openType,
      schemaVersion: 1,
      fields,
      services,
      createdAt: now,
      updatedAt: now,
    });
    const d = (await this.refresh(code)) as Dataset;
    await this.lake.ensureTable(d);
    if (d.fields.some((f) => f.sortIndex)) await this.lake.sortIndexes(d);
    return d;
  }

  /** Replaces a dataset's live APIs (the owning organisation's stewards, the platform). */
  async setServices(actor: Actor, code: string, services: DatasetService[]): Promise<Dataset> {
    const d = await this.get(code);
    requireAccess({ actor, permission: 'catalogue.write', orgs: [d.orgCode] });
    await this.repo.setServices(code, checkServices(services), new Date().toISOString());
    return (await this.refresh(code)) as Dataset;
  }

  /** Adds a field as a new schema version; stored records keep their values and read NULL for it. */
  async addField(actor: Actor, code: string, input: NewField): Promise<Dataset> {
    const d = await this.get(code);
    requireAccess({ actor, permission: 'catalogue.write', orgs: [d.orgCode] });
    const f = checkField(input, d.schemaVersion + 1);
    if (d.fields.some((x) => x.name === f.name)) fail('FIELD_EXISTS', { dataset: code, field: f.name });
    if (f.primaryKey) fail('VALIDATION_FAILED', { reason: 'a primary key cannot be added to a dataset that already exists' });
    if (f.required && d.validRecords > 0) {
      fail('VALIDATION_FAILED', { reason: `field ${f.name} cannot be required: ${d.validRecords} stored records have no value for it` });
    }
    await this.repo.addField(code, d.fields.length, f, d.schemaVersion + 1);
    const next = (await this.refresh(code)) as Dataset;
    await this.lake.ensureTable(next);
    return next;
  }

  /**
   * Declares which fields carry a sort index (排序索引, CKAN's `indexes`): exactly these, in place of the previous
   * declaration. The Lake builds new ones in the background (`wait`: before returning) and drops undeclared ones;
   * sorted pages on a field take its index once built. Returns the indexes' state.
   */
  async setSortIndexes(actor: Actor, code: string, fields: string[], opts: { wait?: boolean } = {}): Promise<SortIndexState[]> {
    const d = await this.get(code);
    requireAccess({ actor, permission: 'catalogue.write', orgs: [d.orgCode] });
    const names = [...new Set(fields)];
    if (names.length > 8) fail('VALIDATION_FAILED', { reason: 'at most 8 sort indexes per dataset' });
    for (const n of names) {
      const f = d.fields.find((x) => x.name === n);
      if (!f) fail('UNKNOWN_FIELD', { dataset: code, field: n });
      if (UNSORTABLE.includes(f.type)) fail('VALIDATION_FAILED', { reason: `field ${n}: ${f.type} values have no order to index` });
    }
    await this.repo.setSortIndexes(code, names);
    const next = (await this.refresh(code)) as Dataset;
    return this.lake.sortIndexes(next, { wait: opts.wait });
  }

  /** The state of a dataset's sort indexes (building, ready, rebuilding, failed), with their size and age. */
  async sortIndexes(actor: Actor, code: string): Promise<SortIndexState[]> {
    const d = await this.get(code);
    requireAccess({ actor, permission: 'catalogue.read', orgs: [d.orgCode] });
    return this.lake.sortIndexes(d);
  }

  /** Removes a dataset with its records (used by the demo reset). */
  async remove(code: string): Promise<void> {
    await this.lake.dropTable(code);
    await this.repo.deleteDataset(code);
    this.cache.delete(code);
  }
}
