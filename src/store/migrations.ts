import { sql, type Kysely, type Migration } from 'kysely';
import { canonicalPlate } from '../modules/parking/inputs.ts';

/** The Store's schema migrations, in order; dialect-neutral (text, integer, bigint only). */
/**
 * Gives every stored plate its one stored form (see canonicalPlate). Tables keyed by plate (scores, pay-later
 * accounts) merge rows stored under two spellings: the newer score wins; balances add up (the ledger rows move
 * with them, so entries still sum to the balance) and a suspension holds.
 */
async function canonicalisePlates(db: Kysely<unknown>): Promise<void> {
  for (const table of ['parking_reservations', 'parking_passes', 'parking_credit_sessions', 'parking_credit_ledger']) {
    const rows = (await sql<{ id: string; plate: string }>`SELECT id, plate FROM ${sql.table(table)} WHERE plate IS NOT NULL`.execute(db)).rows;
    for (const r of rows) {
      const c = canonicalPlate(r.plate);
      if (c && c !== r.plate) await sql`UPDATE ${sql.table(table)} SET plate = ${c} WHERE id = ${r.id}`.execute(db);
    }
  }
  // Rows keyed by plate: renamed, or merged into the row already under the stored form and then removed.
  const rekey = async <T extends { plate: string }>(table: string, rows: T[], merge: (row: T, into: string) => Promise<unknown>) => {
    for (const r of rows) {
      const c = canonicalPlate(r.plate);
      if (!c || c === r.plate) continue;
      const taken = (await sql`SELECT 1 AS x FROM ${sql.table(table)} WHERE plate = ${c}`.execute(db)).rows.length > 0;
      if (!taken) await sql`UPDATE ${sql.table(table)} SET plate = ${c} WHERE plate = ${r.plate}`.execute(db);
      else {
        await merge(r, c);
        await sql`DELETE FROM ${sql.table(table)} WHERE plate = ${r.plate}`.execute(db);
      }
    }
  };
  const scores = (await sql<{ plate: string; score: number; updated_at: string }>`SELECT plate, score, updated_at FROM parking_credit_scores`.execute(db)).rows;
  await rekey('parking_credit_scores', scores, (s, into) =>
    sql`UPDATE parking_credit_scores SET score = ${s.score}, updated_at = ${s.updated_at} WHERE plate = ${into} AND updated_at < ${s.updated_at}`.execute(db));
  const accounts = (await sql<{ plate: string; state: string; balance_fen: number }>`SELECT plate, state, balance_fen FROM parking_credit_accounts`.execute(db)).rows;
  await rekey('parking_credit_accounts', accounts, (a, into) =>
    sql`UPDATE parking_credit_accounts SET balance_fen = balance_fen + ${Number(a.balance_fen)},
      state = CASE WHEN state = 'suspended' OR ${a.state} = 'suspended' THEN 'suspended' ELSE state END WHERE plate = ${into}`.execute(db));
}

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
  '0003_governed_sharing': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('org_code', 'text', (c) => c.notNull().references('organisations.code'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'text')
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_login_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema
        .createTable('app_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('system_code', 'text', (c) => c.notNull().references('systems.code'))
        .addColumn('org_code', 'text', (c) => c.notNull().references('organisations.code'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('app_tokens_system').on('app_tokens').column('system_code').execute();
      await db.schema
        .createTable('share_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dataset_code', 'text', (c) => c.notNull().references('datasets.code'))
        .addColumn('provider_org', 'text', (c) => c.notNull())
        .addColumn('consumer_org', 'text', (c) => c.notNull().references('organisations.code'))
        .addColumn('consumer_system', 'text', (c) => c.notNull().references('systems.code'))
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('row_scope', 'text')
        .addColumn('duration_days', 'integer', (c) => c.notNull())
        .addColumn('share_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('step_started_at', 'text', (c) => c.notNull())
        .addColumn('step_due_at', 'text')
        .addColumn('refusal_reason', 'text')
        .addColumn('grant_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('share_requests_provider').on('share_requests').columns(['provider_org', 'status']).execute();
      await db.schema.createIndex('share_requests_consumer').on('share_requests').columns(['consumer_org', 'status']).execute();
      await db.schema
        .createTable('share_request_events')
        .addColumn('request_id', 'text', (c) => c.notNull().references('share_requests.id'))
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addPrimaryKeyConstraint('share_request_events_pk', ['request_id', 'n'])
        .execute();
      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text')
        .addColumn('dataset_code', 'text', (c) => c.notNull().references('datasets.code'))
        .addColumn('provider_org', 'text', (c) => c.notNull())
        .addColumn('consumer_org', 'text', (c) => c.notNull().references('organisations.code'))
        .addColumn('consumer_system', 'text', (c) => c.notNull().references('systems.code'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('masks', 'text', (c) => c.notNull())
        .addColumn('row_scope', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('rows_per_day', 'integer')
        .addColumn('requests_per_minute', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_by', 'text')
        .addColumn('revoke_reason', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('grants_dataset_consumer').on('grants').columns(['dataset_code', 'consumer_org', 'status']).execute();
      await db.schema.createIndex('grants_consumer').on('grants').columns(['consumer_org', 'status']).execute();
      await db.schema
        .createTable('grant_usage')
        .addColumn('grant_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('rows', 'bigint', (c) => c.notNull())
        .addColumn('requests', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('grant_usage_pk', ['grant_id', 'day'])
        .execute();
      await db.schema
        .createTable('calendar_days')
        .addColumn('day', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_entries_org').on('audit_entries').columns(['org_code', 'seq']).execute();
      await db.schema.createIndex('audit_entries_actor').on('audit_entries').columns(['actor_id', 'seq']).execute();
    },
  },
  '0004_open_data': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('open_plan_items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('org_code', 'text', (c) => c.notNull().references('organisations.code'))
        .addColumn('dataset_code', 'text')
        .addColumn('open_type', 'text', (c) => c.notNull())
        .addColumn('due_on', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('open_plan_items_year').on('open_plan_items').columns(['year', 'org_code']).execute();
    },
  },
  '0005_audit_frontier': {
    async up(db: Kysely<unknown>) {
      // The Merkle frontier at each checkpoint, so the next one reads only the entries added since.
      await db.schema.alterTable('audit_checkpoints').addColumn('frontier', 'text').execute();
    },
  },
  '0006_application_commitment': {
    async up(db: Kysely<unknown>) {
      // A portal applicant's data-security commitment (数据安全承诺), kept apart from the purpose.
      await db.schema.alterTable('share_requests').addColumn('commitment', 'text').execute();
    },
  },
  '0007_parking': {
    async up(db: Kysely<unknown>) {
      // Smart parking (智慧停车): lots, their live occupancy, reservations and the per-slice counters that decide them.
      await db.schema
        .createTable('parking_lots')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('district', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('operator', 'text', (c) => c.notNull())
        // Micro-degrees (WGS-84 × 10⁶), so coordinates stay exact integers on both dialects.
        .addColumn('lon_e6', 'integer', (c) => c.notNull())
        .addColumn('lat_e6', 'integer', (c) => c.notNull())
        .addColumn('cap_standard', 'integer', (c) => c.notNull())
        .addColumn('cap_ev', 'integer', (c) => c.notNull())
        .addColumn('cap_accessible', 'integer', (c) => c.notNull())
        .addColumn('cap_large', 'integer', (c) => c.notNull())
        .addColumn('reservable_pct', 'integer', (c) => c.notNull())
        .addColumn('tariff', 'text', (c) => c.notNull())
        .addColumn('opening_hours', 'text')
        .addColumn('system_code', 'text', (c) => c.notNull().references('systems.code'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('parking_lots_district').on('parking_lots').column('district').execute();
      await db.schema.createIndex('parking_lots_position').on('parking_lots').columns(['lon_e6', 'lat_e6']).execute();
      await db.schema
        .createTable('parking_occupancy')
        .addColumn('lot_id', 'text', (c) => c.notNull().references('parking_lots.id'))
        .addColumn('space_type', 'text', (c) => c.notNull())
        .addColumn('occupied', 'integer', (c) => c.notNull())
        .addColumn('last_event_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('parking_occupancy_pk', ['lot_id', 'space_type'])
        .execute();
      await db.schema
        .createTable('parking_reservations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('lot_id', 'text', (c) => c.notNull().references('parking_lots.id'))
        .addColumn('space_type', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'text', (c) => c.notNull())
        .addColumn('ends_at', 'text', (c) => c.notNull())
        .addColumn('slice_minutes', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('hold_expires_at', 'text', (c) => c.notNull())
        .addColumn('price_fen', 'bigint', (c) => c.notNull())
        .addColumn('driver', 'text', (c) => c.notNull())
        .addColumn('plate', 'text')
        .addColumn('checked_in_at', 'text')
        .addColumn('checked_out_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('parking_reservations_lot').on('parking_reservations').columns(['lot_id', 'status', 'starts_at']).execute();
      await db.schema.createIndex('parking_reservations_hold').on('parking_reservations').columns(['status', 'hold_expires_at']).execute();
      await db.schema.createIndex('parking_reservations_driver').on('parking_reservations').columns(['driver', 'created_at']).execute();
      // One counter per lot, space type and slice: a hold wins only by raising every counter of its window below the limit.
      await db.schema
        .createTable('parking_slice_counters')
        .addColumn('lot_id', 'text', (c) => c.notNull().references('parking_lots.id'))
        .addColumn('space_type', 'text', (c) => c.notNull())
        .addColumn('slice_start', 'text', (c) => c.notNull())
        .addColumn('booked', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('parking_slice_counters_pk', ['lot_id', 'space_type', 'slice_start'])
        .execute();
    },
  },
  '0008_parking_passes_credit': {
    async up(db: Kysely<unknown>) {
      // Off-peak sharing (错时停车): a shared lot's windows, the passes residents buy and each visit made on a pass.
      await db.schema
        .createTable('parking_share_windows')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('lot_id', 'text', (c) => c.notNull().references('parking_lots.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('periods', 'text', (c) => c.notNull())
        .addColumn('price_fen', 'bigint', (c) => c.notNull())
        .addColumn('overstay_fen_per_hour', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('parking_passes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('lot_id', 'text', (c) => c.notNull().references('parking_lots.id'))
        .addColumn('window_id', 'text', (c) => c.notNull().references('parking_share_windows.id'))
        .addColumn('plate', 'text', (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('price_fen', 'bigint', (c) => c.notNull())
        .addColumn('valid_from', 'text', (c) => c.notNull())
        .addColumn('valid_until', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('parking_passes_plate').on('parking_passes').columns(['lot_id', 'plate']).execute();
      await db.schema
        .createTable('parking_pass_visits')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('pass_id', 'text', (c) => c.notNull().references('parking_passes.id'))
        .addColumn('entered_at', 'text', (c) => c.notNull())
        .addColumn('window_ends_at', 'text', (c) => c.notNull())
        .addColumn('exited_at', 'text')
        .addColumn('overstay_fen', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('parking_pass_visits_pass').on('parking_pass_visits').columns(['pass_id', 'exited_at']).execute();
      // Credit parking (信用停车): scores, pay-later accounts, sessions and the append-only ledger with its settlements.
      await db.schema
        .createTable('parking_credit_scores')
        .addColumn('plate', 'text', (c) => c.primaryKey())
        .addColumn('score', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('parking_credit_accounts')
        .addColumn('plate', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('balance_fen', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('parking_credit_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('lot_id', 'text', (c) => c.notNull().references('parking_lots.id'))
        .addColumn('plate', 'text', (c) => c.notNull())
        .addColumn('entered_at', 'text', (c) => c.notNull())
        .addColumn('exited_at', 'text')
        .addColumn('charge_fen', 'bigint')
        .execute();
      await db.schema.createIndex('parking_credit_sessions_open').on('parking_credit_sessions').columns(['lot_id', 'plate', 'exited_at']).execute();
      await db.schema
        .createTable('parking_credit_ledger')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('plate', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('settlement_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('parking_credit_ledger_plate').on('parking_credit_ledger').columns(['plate', 'kind', 'created_at']).execute();
      // Which charge a settlement covered: insert-only, and the primary key lets each charge be settled once.
      await db.schema
        .createTable('parking_credit_settled')
        .addColumn('entry_id', 'text', (c) => c.primaryKey())
        .addColumn('settlement_id', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0009_parking_driver_limits': {
    async up(db: Kysely<unknown>) {
      // Active reservations per driver: a hold wins only by raising its driver's counter below the limit.
      await db.schema
        .createTable('parking_driver_counters')
        .addColumn('driver', 'text', (c) => c.primaryKey())
        .addColumn('active', 'integer', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO parking_driver_counters (driver, active)
        SELECT driver, COUNT(*) FROM parking_reservations WHERE status IN ('held', 'confirmed', 'checked_in') GROUP BY driver`.execute(db);
    },
  },
  '0010_parking_one_open_stay': {
    async up(db: Kysely<unknown>) {
      // Plates stored before they were normalised take their one stored form (闽d·12345 → 闽D12345), so a car is one
      // plate everywhere; pay-later accounts and scores stored under two spellings merge (balances add up, a
      // suspension holds, the newer score wins). Text that is no plate at all stays as it was.
      await canonicalisePlates(db);
      // A car is in at most once: one open pay-later session per plate, one open pass visit per plate and lot. Unique
      // partial indexes make the database refuse the second entry (it was a check-then-insert before). Duplicates
      // that check let through are closed at their own entry time, free of charge, keeping the first entry open.
      await sql`UPDATE parking_credit_sessions SET exited_at = entered_at, charge_fen = 0
        WHERE exited_at IS NULL AND EXISTS (SELECT 1 FROM parking_credit_sessions o WHERE o.plate = parking_credit_sessions.plate
          AND o.exited_at IS NULL AND (o.entered_at < parking_credit_sessions.entered_at OR (o.entered_at = parking_credit_sessions.entered_at AND o.id < parking_credit_sessions.id)))`.execute(db);
      await sql`CREATE UNIQUE INDEX parking_credit_sessions_one_open ON parking_credit_sessions (plate) WHERE exited_at IS NULL`.execute(db);
      await db.schema.alterTable('parking_pass_visits').addColumn('lot_id', 'text').execute();
      await db.schema.alterTable('parking_pass_visits').addColumn('plate', 'text').execute();
      await sql`UPDATE parking_pass_visits SET lot_id = (SELECT p.lot_id FROM parking_passes p WHERE p.id = parking_pass_visits.pass_id),
        plate = (SELECT p.plate FROM parking_passes p WHERE p.id = parking_pass_visits.pass_id)`.execute(db);
      await sql`UPDATE parking_pass_visits SET exited_at = entered_at
        WHERE exited_at IS NULL AND EXISTS (SELECT 1 FROM parking_pass_visits o WHERE o.lot_id = parking_pass_visits.lot_id AND o.plate = parking_pass_visits.plate
          AND o.exited_at IS NULL AND (o.entered_at < parking_pass_visits.entered_at OR (o.entered_at = parking_pass_visits.entered_at AND o.id < parking_pass_visits.id)))`.execute(db);
      await sql`CREATE UNIQUE INDEX parking_pass_visits_one_open ON parking_pass_visits (lot_id, plate) WHERE exited_at IS NULL`.execute(db);
      await db.schema.createIndex('parking_pass_visits_car').on('parking_pass_visits').columns(['lot_id', 'plate', 'exited_at']).execute();
      // The places a sharing window offers, which cap the passes sold for it; existing windows offer all the lot's places.
      await db.schema.alterTable('parking_share_windows').addColumn('places', 'integer').execute();
      await sql`UPDATE parking_share_windows SET places = (SELECT CASE WHEN l.cap_standard + l.cap_ev + l.cap_accessible + l.cap_large > 0
        THEN l.cap_standard + l.cap_ev + l.cap_accessible + l.cap_large ELSE 1 END FROM parking_lots l WHERE l.id = parking_share_windows.lot_id)`.execute(db);
    },
  },
  '0011_calendar_2026': {
    async up(db: Kysely<unknown>) {
      // The State Council's holiday arrangement for 2026 (国务院办公厅关于2026年部分节假日安排的通知): holidays, and the
      // weekend days worked in exchange (调休上班). Later years are loaded by a platform admin (PUT /calendar/:day)
      // when each year's notice is published; the server warns at start while the coming year has none.
      const span = (from: string, to: string) => {
        const out: string[] = [];
        for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86400_000) out.push(new Date(t).toISOString().slice(0, 10));
        return out;
      };
      const holidays: [string, string, string][] = [
        ['2026-01-01', '2026-01-03', '元旦'], ['2026-02-15', '2026-02-23', '春节'], ['2026-04-04', '2026-04-06', '清明节'],
        ['2026-05-01', '2026-05-05', '劳动节'], ['2026-06-19', '2026-06-21', '端午节'], ['2026-09-25', '2026-09-27', '中秋节'], ['2026-10-01', '2026-10-07', '国庆节'],
      ];
      const workdays: [string, string][] = [
        ['2026-01-04', '元旦调休'], ['2026-02-14', '春节调休'], ['2026-02-28', '春节调休'], ['2026-05-09', '劳动节调休'], ['2026-09-20', '国庆节调休'], ['2026-10-10', '国庆节调休'],
      ];
      const rows = [
        ...holidays.flatMap(([from, to, name]) => span(from, to).map((day) => ({ day, kind: 'holiday', name }))),
        ...workdays.map(([day, name]) => ({ day, kind: 'workday', name })),
      ];
      for (const r of rows) await sql`INSERT INTO calendar_days (day, kind, name) VALUES (${r.day}, ${r.kind}, ${r.name}) ON CONFLICT (day) DO NOTHING`.execute(db);
    },
  },
  '0012_dataset_services': {
    async up(db: Kysely<unknown>) {
      // Live APIs a dataset's system serves beside its records (DCAT data services, CKAN API resources).
      await db.schema.alterTable('datasets').addColumn('services', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    },
  },
  '0013_parking_credit_returns': {
    async up(db: Kysely<unknown>) {
      // A settlement whose collection the payment channel returned (扣款失败) is re-opened once: one 'returned' entry
      // per settlement, which the next settlement collects again.
      await sql`CREATE UNIQUE INDEX parking_credit_ledger_one_return ON parking_credit_ledger (settlement_id) WHERE kind = 'returned'`.execute(db);
    },
  },
  '0014_parking_push_keys': {
    async up(db: Kysely<unknown>) {
      // Keys of occupancy pushes (Idempotency-Key): a push retried under its key is applied once.
      await db.schema
        .createTable('parking_push_keys')
        .addColumn('lot_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('parking_push_keys_pk', ['lot_id', 'key'])
        .execute();
    },
  },
};
