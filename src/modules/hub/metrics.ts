import { Counter, Histogram, Registry, Gauge, collectDefaultMetrics } from 'prom-client';

/** The platform's Prometheus metrics, in a registry of its own (one per app instance). */
export class HubMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'xmcity_http_request_duration_seconds',
    help: 'HTTP request latency by route and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly recordsIngested = new Counter({
    name: 'xmcity_ingest_records_total',
    help: 'Records ingested, by dataset and result (valid or invalid)',
    labelNames: ['dataset', 'result'] as const,
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'xmcity_ingest_batches_total',
    help: 'Committed ingest batches by format and mode',
    labelNames: ['format', 'mode'] as const,
    registers: [this.registry],
  });
  readonly ingestRejected = new Counter({
    name: 'xmcity_ingest_rejected_total',
    help: 'Ingest bodies refused before validation, by error code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly lakeBytes = new Gauge({
    name: 'xmcity_lake_bytes',
    help: 'Bytes the Lake occupies on disk',
    registers: [this.registry],
  });
  readonly validRecords = new Gauge({
    name: 'xmcity_valid_records',
    help: 'Valid records stored in the hub (the plan’s 有效数据 figure)',
    registers: [this.registry],
  });

  readonly lakeCounters = new Gauge({
    name: 'xmcity_lake_counter',
    help: 'Running counters of the Lake engine (sort_index_pages_topn, sort_index_pages_position: pages answered by sort indexes)',
    labelNames: ['counter'] as const,
    registers: [this.registry],
  });
  readonly parkingLots = new Gauge({
    name: 'xmcity_parking_lots',
    help: 'Parking lots by live state (open, full, closed, unknown: silent beyond the threshold)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'xmcity_' });
  }
}
