import type { Config } from './config.ts';
import { DuckDbLake } from './lake/duckdb-lake.ts';
import type { Lake } from './lake/lake.ts';
import { CatalogueRepository } from './modules/catalogue/repository.ts';
import { CatalogueService } from './modules/catalogue/service.ts';
import { HubMetrics } from './modules/hub/metrics.ts';
import { HubService } from './modules/hub/service.ts';
import { BatchRepository } from './modules/ingest/repository.ts';
import { IngestService } from './modules/ingest/service.ts';
import { AuditRepository } from './modules/audit/repository.ts';
import { loadSigningKey } from './modules/audit/keys.ts';
import { AuditService } from './modules/audit/service.ts';
import { OrganisationRepository } from './modules/organisations/repository.ts';
import { OrganisationService } from './modules/organisations/service.ts';
import { QueryService } from './modules/query/service.ts';
import { openStore, type Store } from './store/store.ts';

/** The platform's services over its two storage ports; the HTTP server and the CLI both stand on it. */
export interface Platform {
  config: Config;
  store: Store;
  lake: Lake;
  metrics: HubMetrics;
  orgs: OrganisationService;
  catalogue: CatalogueService;
  ingest: IngestService;
  query: QueryService;
  hub: HubService;
  audit: AuditService;
  close(): Promise<void>;
}

/** Opens the Store and the Lake, wires the domain services and reconciles batches the Store missed. */
export async function openPlatform(config: Config, opts: { storeSchema?: string } = {}): Promise<Platform> {
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, schema: opts.storeSchema });
  let lake: Lake;
  try {
    lake = await DuckDbLake.open({ dataDir: config.dataDir, memoryLimit: config.lakeMemoryLimit, threads: config.lakeThreads });
  } catch (e) {
    await store.close();
    throw e;
  }
  const metrics = new HubMetrics();
  const orgs = new OrganisationService(new OrganisationRepository(store));
  const catalogue = new CatalogueService(new CatalogueRepository(store), orgs, lake);
  const batches = new BatchRepository(store);
  const ingest = new IngestService(catalogue, batches, lake, metrics, config);
  const query = new QueryService(catalogue, lake, config);
  const hub = new HubService(catalogue, orgs, ingest, lake);
  const audit = new AuditService(new AuditRepository(store), loadSigningKey(config.dataDir));
  for (const d of await catalogue.all()) await lake.ensureTable(d);
  await reconcile(catalogue, batches, lake);
  let closed = false;
  return {
    config, store, lake, metrics, orgs, catalogue, ingest, query, hub, audit,
    async close() {
      if (closed) return;
      closed = true;
      await lake.close();
      await store.close();
    },
  };
}

/**
 * A batch commits in the Lake first, then in the Store. If the process stopped between the two, the Lake's
 * own batch log is the truth: copy what the Store lacks, so counts and idempotency stay exact.
 */
async function reconcile(catalogue: CatalogueService, batches: BatchRepository, lake: Lake): Promise<void> {
  for (const d of await catalogue.all()) {
    const missing = await lake.committedBatches(d.code, d.lastSeq);
    for (const b of missing) {
      const rowCount = await lake.rowCount(d.code);
      await batches.recordBatch(
        {
          batch_id: b.batchId, dataset_code: d.code, seq: b.seq, idempotency_key: b.idempotencyKey, request_hash: `recovered:${b.mode}`,
          system_code: d.systemCode, source: 'recovered', format: 'unknown', mode: b.mode, accepted: b.accepted, valid: b.valid,
          invalid: b.invalid, status: 'committed', created_at: b.at.toISOString(), duration_ms: 0,
        },
        rowCount,
        d.systemCode,
      );
      await catalogue.refresh(d.code);
    }
  }
}
