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
import { AccessService } from './modules/access/service.ts';
import { PlatformSecret } from './modules/access/secret.ts';
import { IdentityRepository } from './modules/identity/repository.ts';
import { IdentityService, PasswordProvider, DEFAULT_SIGN_IN } from './modules/identity/service.ts';
import { SharingRepository } from './modules/sharing/repository.ts';
import { SharingService } from './modules/sharing/service.ts';
import { CkanService } from './modules/ckan/service.ts';
import { SqlSandbox } from './modules/ckan/sql.ts';
import { OpenPlanService } from './modules/openplan/service.ts';
import { PortalService } from './modules/portal/service.ts';
import { ParkingRepository } from './modules/parking/repository.ts';
import { ParkingService } from './modules/parking/service.ts';
import { PassService } from './modules/parking/passes.ts';
import { CreditService } from './modules/parking/credit.ts';
import { ParkingHub } from './modules/parking/hub.ts';
import { OccupancyModel } from './modules/parking/occupancy-model.ts';
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
  identity: IdentityService;
  sharing: SharingService;
  access: AccessService;
  ckan: CkanService;
  plans: OpenPlanService;
  portal: PortalService;
  parking: ParkingService;
  /** Off-peak sharing passes (错时停车). */
  parkingPasses: PassService;
  /** Credit parking (信用停车). */
  parkingCredit: CreditService;
  /** The parking platform's datasets on the hub. */
  parkingHub: ParkingHub;
  close(): Promise<void>;
}

/** Opens the Store and the Lake, wires the domain services and reconciles batches the Store missed. */
export async function openPlatform(config: Config, opts: { storeSchema?: string; log?: (message: string) => void } = {}): Promise<Platform> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
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
  const audit = new AuditService(new AuditRepository(store), loadSigningKey(config.dataDir));
  const identityRepo = new IdentityRepository(store);
  const signIn = { ...DEFAULT_SIGN_IN, kdf: { ...DEFAULT_SIGN_IN.kdf, N: config.passwordCost } };
  const identity = new IdentityService(identityRepo, orgs, new PasswordProvider(identityRepo, signIn), signIn);
  const sharing = new SharingService(new SharingRepository(store), catalogue, orgs, audit);
  await sharing.loadCalendar();
  for (const year of sharing.calendarGaps()) {
    log(`calendar: no holiday arrangement for ${year} is loaded, so its public holidays count as working days (workflow clocks, off-peak windows); a platform admin loads the State Council's notice with PUT /api/v1/calendar/:day`);
  }
  const access = new AccessService(sharing, audit, PlatformSecret.load(config.dataDir));
  const ingest = new IngestService(catalogue, batches, lake, metrics, access, config);
  const query = new QueryService(catalogue, lake, access, config);
  const hub = new HubService(catalogue, orgs, ingest, lake);
  const sandbox = new SqlSandbox(catalogue, lake, access, { timeoutMs: config.sqlTimeoutMs, maxRows: config.sqlMaxRows, maxBytes: config.sqlMaxBytes });
  const plans = new OpenPlanService(store, catalogue, orgs);
  const portal = new PortalService(catalogue, orgs, identity, sharing, plans);
  const parkingHub = new ParkingHub(catalogue, ingest, orgs, config.parkingSystemCode, log);
  const parking = new ParkingService(new ParkingRepository(store), orgs, {
    sliceMinutes: config.parkingSliceMinutes, holdMinutes: config.parkingHoldMinutes, silentMinutes: config.parkingSilentMinutes, noShowMinutes: config.parkingNoShowMinutes,
    snapshotMinutes: config.parkingSnapshotMinutes, maxActivePerDriver: config.parkingMaxActivePerDriver,
  }, { hub: parkingHub, model: new OccupancyModel((day) => sharing.calendar.isWorkingDay(day)), query, access });
  parking.startBackground(log);
  parkingHub.start(10);
  const parkingPasses = new PassService(store, orgs, sharing.calendar, undefined, parkingHub);
  const parkingCredit = new CreditService(store, orgs, { minScore: config.parkingCreditMinScore, arrearsLimitFen: config.parkingCreditArrearsLimitFen }, { hub: parkingHub, query });
  if (config.parkingSettleAt !== 'off') {
    // The daily settlement is the platform's own action: recorded in the audit trail like an operator's run.
    parkingCredit.startSchedule(config.parkingSettleAt, (r) => {
      void access.record({
        at: new Date().toISOString(), actorKind: 'platform', actorId: 'platform:parking-settlement', orgCode: null, action: 'parking.credit.settle', datasetCode: null,
        fields: null, filter: null, grantId: null, purpose: null, rowCount: r instanceof Error ? null : r.settlements.length, result: r instanceof Error ? 'error' : 'allowed',
        detail: r instanceof Error ? { scheduled: config.parkingSettleAt, error: r.message } : { scheduled: config.parkingSettleAt, totalFen: r.totalFen },
      }).catch((e: Error) => log(`parking: recording the daily settlement failed: ${e.message}`));
    });
  }
  const ckan = new CkanService(catalogue, orgs, query, sandbox, { maxPageSize: config.maxPageSize, siteTitle: '厦门市公共数据开放平台 Xiamen Open Data' });
  for (const d of await catalogue.all()) await lake.ensureTable(d);
  for (const d of await catalogue.all()) await ingest.reconcile(d.code);
  // Periodic checkpoints (定期签名): sign the chain head and Merkle root when entries were added since the last one.
  const checkpointTimer = config.auditCheckpointMinutes > 0
    ? setInterval(() => {
        void audit.checkpointIfNew().catch(() => undefined);
      }, config.auditCheckpointMinutes * 60_000)
    : null;
  checkpointTimer?.unref();
  let closed = false;
  return {
    config, store, lake, metrics, orgs, catalogue, ingest, query, hub, audit, identity, sharing, access, ckan, plans, portal, parking, parkingHub, parkingPasses, parkingCredit,
    async close() {
      if (closed) return;
      closed = true;
      if (checkpointTimer) clearInterval(checkpointTimer);
      parking.stop();
      parkingCredit.stopSchedule();
      await parkingHub.stop();
      await sharing.flushUsage().catch(() => undefined);
      await lake.close();
      await store.close();
    },
  };
}
