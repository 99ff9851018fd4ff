import type { Lake } from '../../lake/lake.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import type { IngestService } from '../ingest/service.ts';
import type { OrganisationService } from '../organisations/service.ts';

/** The plan's target for valid records in the hub (有效数据 50 亿条). */
export const VALID_RECORDS_TARGET = 5_000_000_000;

/** Hub-wide figures: the counts the big-data office reports against the plan. */
export class HubService {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly orgs: OrganisationService,
    private readonly ingest: IngestService,
    private readonly lake: Lake,
  ) {}

  async summary() {
    const [datasets, orgs, systems, lakeBytes] = await Promise.all([
      this.catalogue.all(),
      this.orgs.listOrganisations(),
      this.orgs.listSystems(),
      this.lake.sizeBytes(),
    ]);
    return {
      organisations: orgs.length,
      systems: systems.length,
      systemsConnected: systems.filter((s) => s.status === 'connected').length,
      datasets: datasets.length,
      validRecords: datasets.reduce((n, d) => n + d.validRecords, 0),
      invalidRecords: datasets.reduce((n, d) => n + d.invalidRecords, 0),
      validRecordsTarget: VALID_RECORDS_TARGET,
      lakeBytes,
    };
  }

  daily(days: number) {
    return this.ingest.daily(null, days);
  }
}
