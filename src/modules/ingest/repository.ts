import { sql } from 'kysely';
import type { Store } from '../../store/store.ts';
import type { BatchTable } from '../../store/schema.ts';

/** A batch as the Store keeps it (the quarantine index: counts per batch). */
export type BatchRecord = Omit<BatchTable, 'row_id'>;

/** SQL for ingest batches and the counts they move. */
export class BatchRepository {
  constructor(private readonly store: Store) {}

  findByKey(dataset: string, key: string) {
    return this.store.db.selectFrom('batches').selectAll().where('dataset_code', '=', dataset).where('idempotency_key', '=', key).executeTakeFirst();
  }

  /** Records a committed batch and moves the dataset's counts in one transaction. */
  async recordBatch(b: BatchRecord, rowCount: number, systemCode: string) {
    await this.store.db.transaction().execute(async (tx) => {
      await tx.insertInto('batches').values(b).execute();
      await tx
        .updateTable('datasets')
        .set({
          valid_records: rowCount,
          invalid_records: sql`invalid_records + ${b.invalid}`,
          last_ingest_at: b.created_at,
          last_seq: b.seq,
          updated_at: b.created_at,
        })
        .where('code', '=', b.dataset_code)
        .execute();
      await tx.updateTable('systems').set({ last_push_at: b.created_at }).where('code', '=', systemCode).execute();
    });
  }

  list(dataset: string, limit: number, offset: number) {
    return this.store.db.selectFrom('batches').selectAll().where('dataset_code', '=', dataset).orderBy('seq', 'desc').limit(limit).offset(offset).execute();
  }

  async count(dataset: string): Promise<number> {
    const r = await this.store.db.selectFrom('batches').select((eb) => eb.fn.countAll<number>().as('n')).where('dataset_code', '=', dataset).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Valid and invalid records per day (UTC) since a day, for one dataset or the whole hub. */
  async daily(dataset: string | null, sinceDay: string) {
    let q = this.store.db
      .selectFrom('batches')
      .select([
        sql<string>`substr(created_at, 1, 10)`.as('day'),
        sql<number>`sum(valid)`.as('valid'),
        sql<number>`sum(invalid)`.as('invalid'),
      ])
      .where('created_at', '>=', sinceDay)
      .groupBy(sql`substr(created_at, 1, 10)`)
      .orderBy(sql`substr(created_at, 1, 10)`);
    if (dataset) q = q.where('dataset_code', '=', dataset);
    return (await q.execute()).map((r) => ({ day: r.day, valid: Number(r.valid), invalid: Number(r.invalid) }));
  }
}
