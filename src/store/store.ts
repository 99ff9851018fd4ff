import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from './migrations.ts';
import type { StoreSchema } from './schema.ts';

/** The Store: the catalogue, identities, workflows and service state, behind one Kysely code path. */
export interface Store {
  /** The query builder; SQL written against it runs on SQLite and PostgreSQL alike. */
  db: Kysely<StoreSchema>;
  /** Which engine is underneath, for the few places (diagnostics) that must say. */
  dialect: 'sqlite' | 'postgres';
  /**
   * The embedded SQLite handle, for the one hot path (the audit append, once per request) that runs a prepared
   * statement directly; null on PostgreSQL.
   */
  sqlite: Database.Database | null;
  /** Closes connections. */
  close(): Promise<void>;
}

// PostgreSQL returns int8 and numeric as strings; the Store only keeps counts that fit a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

/** Opens the Store (PostgreSQL when a URL is given, else SQLite under dataDir) and applies migrations. */
export async function openStore(opts: { dataDir: string; databaseUrl: string | null; schema?: string }): Promise<Store> {
  let db: Kysely<StoreSchema>;
  let dialect: Store['dialect'];
  let raw: Database.Database | null = null;
  if (opts.databaseUrl) {
    const schema = opts.schema?.replace(/[^a-z0-9_]/gi, '');
    if (schema) {
      const admin = new pg.Client({ connectionString: opts.databaseUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      } finally {
        await admin.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
    dialect = 'postgres';
  } else {
    mkdirSync(opts.dataDir, { recursive: true });
    const sqlite = new Database(join(opts.dataDir, 'store.sqlite'));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
    dialect = 'sqlite';
    raw = sqlite;
  }
  const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };
  // With a named schema, the migrator must look for its own tables there, not in any schema of the database.
  const pgSchema = opts.databaseUrl ? opts.schema?.replace(/[^a-z0-9_]/gi, '') : undefined;
  const migrator = new Migrator({ db, provider, ...(pgSchema ? { migrationTableSchema: pgSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Store migration ${failed} failed: ${(error as Error).message}`);
  }
  return { db, dialect, sqlite: raw, close: () => db.destroy() };
}
