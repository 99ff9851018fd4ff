import type { Kysely, Migration } from 'kysely';

/** The Store's schema migrations, in order; dialect-neutral (text, integer, bigint only). */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_hub_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('organisations')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_en', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('adcode', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('systems')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('org_code', 'text', (c) => c.notNull().references('organisations.code'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_en', 'text', (c) => c.notNull())
        .addColumn('cycle', 'text', (c) => c.notNull())
        .addColumn('last_push_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('datasets')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_en', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('org_code', 'text', (c) => c.notNull().references('organisations.code'))
        .addColumn('system_code', 'text', (c) => c.notNull().references('systems.code'))
        .addColumn('update_cycle', 'text', (c) => c.notNull())
        .addColumn('share_type', 'text', (c) => c.notNull())
        .addColumn('open_type', 'text', (c) => c.notNull())
        .addColumn('schema_version', 'integer', (c) => c.notNull())
        .addColumn('valid_records', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('invalid_records', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_ingest_at', 'text')
        .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('dataset_fields')
        .addColumn('dataset_code', 'text', (c) => c.notNull().references('datasets.code'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('required', 'integer', (c) => c.notNull())
        .addColumn('primary_key', 'integer', (c) => c.notNull())
        .addColumn('sensitivity', 'text', (c) => c.notNull())
        .addColumn('format', 'text')
        .addColumn('constraints', 'text', (c) => c.notNull())
        .addColumn('since_version', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('dataset_fields_pk', ['dataset_code', 'name'])
        .execute();
      await db.schema
        .createTable('code_sequences')
        .addColumn('scope', 'text', (c) => c.primaryKey())
        .addColumn('next_value', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('batches')
        .addColumn('batch_id', 'text', (c) => c.primaryKey())
        .addColumn('dataset_code', 'text', (c) => c.notNull().references('datasets.code'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('system_code', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('accepted', 'bigint', (c) => c.notNull())
        .addColumn('valid', 'bigint', (c) => c.notNull())
        .addColumn('invalid', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('batches_dataset_seq').on('batches').columns(['dataset_code', 'seq']).unique().execute();
      await db.schema
        .createIndex('batches_idempotency')
        .on('batches')
        .columns(['dataset_code', 'idempotency_key'])
        .unique()
        .execute();
      await db.schema.createIndex('batches_created').on('batches').column('created_at').execute();
    },
  },
  '0002_audit': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_entries')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('org_code', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('dataset_code', 'text')
        .addColumn('fields', 'text')
        .addColumn('filter', 'text')
        .addColumn('grant_id', 'text')
        .addColumn('purpose', 'text')
        .addColumn('row_count', 'bigint')
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_entries_dataset').on('audit_entries').columns(['dataset_code', 'seq']).execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('seq_to', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('head_hash', 'text', (c) => c.notNull())
        .addColumn('merkle_root', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
