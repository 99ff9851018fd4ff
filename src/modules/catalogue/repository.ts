import { sql } from 'kysely';
import type { Store } from '../../store/store.ts';
import type { Dataset, DatasetService, FieldSpec } from './types.ts';

type DatasetRow = Awaited<ReturnType<CatalogueRepository['datasetRows']>>[number];

function toField(r: { name: string; label: string; type: string; required: number; primary_key: number; sensitivity: string; format: string | null; constraints: string; since_version: number }): FieldSpec {
  const c = JSON.parse(r.constraints) as Partial<FieldSpec>;
  return {
    name: r.name,
    label: r.label,
    type: r.type as FieldSpec['type'],
    required: Boolean(r.required),
    primaryKey: Boolean(r.primary_key),
    sensitivity: r.sensitivity as FieldSpec['sensitivity'],
    format: (r.format as FieldSpec['format']) ?? null,
    ...c,
    sinceVersion: r.since_version,
  };
}

function constraintsOf(f: FieldSpec): string {
  const c: Record<string, unknown> = {};
  for (const k of ['enum', 'min', 'max', 'minLength', 'maxLength', 'pattern'] as const) if (f[k] !== undefined && f[k] !== null) c[k] = f[k];
  if (f.sortIndex) c.sortIndex = true;
  return JSON.stringify(c);
}

/** SQL for the resource catalogue: datasets, their fields and ingest batches. */
export class CatalogueRepository {
  constructor(private readonly store: Store) {}

  private datasetRows(codes: string[] | null) {
    let q = this.store.db
      .selectFrom('datasets as d')
      .innerJoin('organisations as o', 'o.code', 'd.org_code')
      .selectAll('d')
      .select('o.name as org_name');
    if (codes) q = q.where('d.code', 'in', codes.length ? codes : ['']);
    return q.execute();
  }

  private async assemble(rows: DatasetRow[]): Promise<Dataset[]> {
    if (!rows.length) return [];
    const fields = await this.store.db
      .selectFrom('dataset_fields')
      .selectAll()
      .where('dataset_code', 'in', rows.map((r) => r.code))
      .orderBy('dataset_code')
      .orderBy('position')
      .execute();
    const byDs = new Map<string, FieldSpec[]>();
    for (const f of fields) {
      const list = byDs.get(f.dataset_code) ?? [];
      list.push(toField(f));
      byDs.set(f.dataset_code, list);
    }
    return rows.map((r) => {
      const fs = byDs.get(r.code) ?? [];
      return {
        code: r.code,
        name: r.name,
        nameEn: r.name_en,
        summary: r.summary,
        category: r.category,
        tags: JSON.parse(r.tags) as string[],
        orgCode: r.org_code,
        orgName: r.org_name,
        systemCode: r.system_code,
        updateCycle: r.update_cycle as Dataset['updateCycle'],
        shareType: r.share_type as Dataset['shareType'],
        openType: r.open_type as Dataset['openType'],
        schemaVersion: Number(r.schema_version),
        validRecords: Number(r.valid_records),
        invalidRecords: Number(r.invalid_records),
        lastIngestAt: r.last_ingest_at,
        lastSeq: Number(r.last_seq),
        fields: fs,
        primaryKey: fs.filter((f) => f.primaryKey).map((f) => f.name),
        services: JSON.parse(r.services) as DatasetService[],
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
    });
  }

  async getDataset(code: string): Promise<Dataset | undefined> {
    const [d] = await this.assemble(await this.datasetRows([code]));
    return d;
  }

  async allDatasets(): Promise<Dataset[]> {
    return this.assemble(await this.datasetRows(null));
  }

  /**
   * Allocates the next number in a named sequence in one atomic upsert (no read-then-write), so concurrent
   * callers never get the same number on SQLite or PostgreSQL.
   */
  async nextSequence(scope: string): Promise<number> {
    const row = await this.store.db
      .insertInto('code_sequences')
      .values({ scope, next_value: 2 })
      .onConflict((oc) => oc.column('scope').doUpdateSet({ next_value: sql`code_sequences.next_value + 1` }))
      .returning('next_value')
      .executeTakeFirstOrThrow();
    return Number(row.next_value) - 1;
  }

  async setServices(code: string, services: DatasetService[], at: string): Promise<void> {
    await this.store.db.updateTable('datasets').set({ services: JSON.stringify(services), updated_at: at }).where('code', '=', code).execute();
  }

  async insertDataset(d: Omit<Dataset, 'orgName' | 'validRecords' | 'invalidRecords' | 'lastIngestAt' | 'lastSeq' | 'primaryKey'>) {
    await this.store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('datasets')
        .values({
          code: d.code,
          name: d.name,
          name_en: d.nameEn,
          summary: d.summary,
          category: d.category,
          tags: JSON.stringify(d.tags),
          org_code: d.orgCode,
          system_code: d.systemCode,
          update_cycle: d.updateCycle,
          share_type: d.shareType,
          open_type: d.openType,
          schema_version: d.schemaVersion,
          valid_records: 0,
          invalid_records: 0,
          last_ingest_at: null,
          last_seq: 0,
          services: JSON.stringify(d.services),
          created_at: d.createdAt,
          updated_at: d.updatedAt,
        })
        .execute();
      await tx
        .insertInto('dataset_fields')
        .values(d.fields.map((f, i) => this.fieldRow(d.code, i, f)))
        .execute();
    });
  }

  private fieldRow(code: string, position: number, f: FieldSpec) {
    return {
      dataset_code: code,
      position,
      name: f.name,
      label: f.label,
      type: f.type,
      required: f.required ? 1 : 0,
      primary_key: f.primaryKey ? 1 : 0,
      sensitivity: f.sensitivity,
      format: f.format,
      constraints: constraintsOf(f),
      since_version: f.sinceVersion,
    };
  }

  async addField(code: string, position: number, f: FieldSpec, version: number) {
    await this.store.db.transaction().execute(async (tx) => {
      await tx.insertInto('dataset_fields').values(this.fieldRow(code, position, f)).execute();
      await tx.updateTable('datasets').set({ schema_version: version, updated_at: new Date().toISOString() }).where('code', '=', code).execute();
    });
  }

  /** Marks exactly the named fields of a dataset as sort-indexed (the flag lives with the field's constraints). */
  async setSortIndexes(code: string, names: string[]) {
    await this.store.db.transaction().execute(async (tx) => {
      const rows = await tx.selectFrom('dataset_fields').select(['name', 'constraints']).where('dataset_code', '=', code).execute();
      for (const r of rows) {
        const c = JSON.parse(r.constraints) as Record<string, unknown>;
        const want = names.includes(r.name);
        if (Boolean(c.sortIndex) === want) continue;
        if (want) c.sortIndex = true;
        else delete c.sortIndex;
        await tx.updateTable('dataset_fields').set({ constraints: JSON.stringify(c) }).where('dataset_code', '=', code).where('name', '=', r.name).execute();
      }
      await tx.updateTable('datasets').set({ updated_at: new Date().toISOString() }).where('code', '=', code).execute();
    });
  }

  async deleteDataset(code: string) {
    await this.store.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('batches').where('dataset_code', '=', code).execute();
      await tx.deleteFrom('dataset_fields').where('dataset_code', '=', code).execute();
      await tx.deleteFrom('datasets').where('code', '=', code).execute();
    });
  }
}
