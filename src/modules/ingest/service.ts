import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { AppError, fail } from '../../errors.ts';
import type { Lake } from '../../lake/lake.ts';
import type { Actor } from '../access/actor.ts';
import type { AccessService } from '../access/service.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import type { Dataset } from '../catalogue/types.ts';
import type { HubMetrics } from '../hub/metrics.ts';
import type { BatchRecord, BatchRepository } from './repository.ts';
import { spoolSource, type SourceFormat, type SpoolResult } from './sources/spool.ts';
import { SourceError } from './sources/source-error.ts';

/** How a batch applies to stored records. */
export type IngestMode = 'append' | 'upsert' | 'delete';
export const INGEST_MODES: readonly IngestMode[] = ['append', 'upsert', 'delete'];
export const SOURCE_FORMATS: readonly SourceFormat[] = ['csv', 'ndjson', 'json', 'parquet', 'xlsx'];

/** One batch to ingest. */
export interface IngestRequest {
  dataset: string;
  format: SourceFormat;
  mode: IngestMode;
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream;
  idempotencyKey: string | null;
  /** Who pushes it: a steward or admin of the owning organisation, or one of its systems with the ingest scope. */
  actor: Actor;
  /** Where it came from: 'http', 'cli', 'upload', 'demo'. */
  source: string;
  sheet?: string;
  signal?: AbortSignal;
  /** Called while the engine validates and writes, with the share done (0–1). */
  onValidateProgress?: (fraction: number) => void;
}

/** What a batch did, as the API answers it. */
export interface IngestResult {
  batchId: string;
  seq: number;
  status: 'committed';
  accepted: number;
  valid: number;
  invalid: number;
  deleted: number;
  replayed: boolean;
  durationMs: number;
}

/** A lock per key, so batches of one dataset apply one after another. */
class KeyedLock {
  private tails = new Map<string, Promise<unknown>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

function fromBatch(b: BatchRecord, replayed: boolean): IngestResult {
  return {
    batchId: b.batch_id,
    seq: Number(b.seq),
    status: 'committed',
    accepted: Number(b.accepted),
    valid: Number(b.valid),
    invalid: Number(b.invalid),
    deleted: 0,
    replayed,
    durationMs: Number(b.duration_ms),
  };
}

const normalise = (s: string) => s.trim().toLowerCase();

/** Validated, atomic, idempotent ingest of batches into the Lake, with the Store's counts kept exact. */
export class IngestService {
  private locks = new KeyedLock();
  private readonly spoolDir: string;

  constructor(
    private readonly catalogue: CatalogueService,
    private readonly batches: BatchRepository,
    private readonly lake: Lake,
    private readonly metrics: HubMetrics,
    private readonly access: AccessService,
    private readonly limits: { dataDir: string; maxIngestBytes: number; maxLineBytes: number },
  ) {
    this.spoolDir = join(limits.dataDir, 'tmp', 'spool');
    mkdirSync(this.spoolDir, { recursive: true });
  }

  /**
   * Spools, validates and commits one batch; a retried Idempotency-Key returns the first result. Only the owning
   * organisation's stewards and ingest-scoped systems may push; every attempt is audited.
   */
  async ingest(req: IngestRequest): Promise<IngestResult> {
    const ds = await this.catalogue.get(req.dataset);
    const ctx = { action: 'records.write', detail: { format: req.format, mode: req.mode, source: req.source, idempotencyKey: req.idempotencyKey } };
    return this.access.act(req.actor, ds, 'records.write', ctx, async () => {
      const r = await this.apply(ds, req);
      return { value: r, rows: r.valid, detail: { batchId: r.batchId, seq: r.seq, invalid: r.invalid, replayed: r.replayed } };
    });
  }

  /** Quarantined rows of a dataset (raw values as pushed): for the owning organisation's stewards and systems, audited. */
  async quarantine(actor: Actor, code: string, opts: { seq: number | null; limit: number; offset: number }) {
    const ds = await this.catalogue.get(code);
    return this.access.act(actor, ds, 'quality.read', { action: 'quarantine.read', detail: { seq: opts.seq } }, async () => {
      const r = await this.lake.quarantine(ds.code, opts);
      return { value: { dataset: ds, ...r }, rows: r.items.length };
    });
  }

  private async apply(ds: Dataset, req: IngestRequest): Promise<IngestResult> {
    const started = performance.now();
    const pusher = req.actor.kind === 'system' ? req.actor.systemCode : ds.systemCode;
    if (!SOURCE_FORMATS.includes(req.format)) fail('UNKNOWN_FORMAT', { format: req.format, allowed: SOURCE_FORMATS.join(', ') });
    if (!INGEST_MODES.includes(req.mode)) fail('VALIDATION_FAILED', { reason: `mode must be one of ${INGEST_MODES.join(', ')}` });
    if (req.mode !== 'append' && !ds.primaryKey.length) fail('PRIMARY_KEY_REQUIRED', { mode: req.mode, dataset: ds.code });
    if (req.idempotencyKey !== null && !/^[\x21-\x7e]{1,200}$/.test(req.idempotencyKey)) {
      fail('VALIDATION_FAILED', { reason: 'Idempotency-Key must be 1–200 visible ASCII characters' });
    }
    const requestHash = `${req.format}:${req.mode}`;
    const replay = await this.findReplay(ds.code, req.idempotencyKey, requestHash);
    if (replay) {
      await drain(req.body);
      return replay;
    }
    let spooled: SpoolResult | null = null;
    try {
      spooled = await spoolSource(req.body, {
        format: req.format,
        dir: this.spoolDir,
        maxBytes: this.limits.maxIngestBytes,
        maxLineBytes: this.limits.maxLineBytes,
        sheet: req.sheet,
        signal: req.signal,
      });
    } catch (e) {
      this.metrics.ingestRejected.inc({ reason: e instanceof SourceError ? e.code : 'error' });
      throw toAppError(e);
    }
    const spool = spooled;
    try {
      const columns = await this.mapColumns(ds, spool, req.mode);
      return await this.locks.run(ds.code, async () => {
        const again = await this.findReplay(ds.code, req.idempotencyKey, requestHash);
        if (again) return again;
        // A batch the Lake committed but the Store never recorded (the process stopped, or the Store failed) is
        // copied over first, so sequence numbers and counts stay exact.
        await this.reconcile(ds.code);
        const fresh = await this.catalogue.get(ds.code);
        const seq = fresh.lastSeq + 1;
        const batchId = randomUUID();
        const at = new Date();
        const r = await this.lake.ingest({
          table: fresh,
          source: { path: spool.path, format: spool.format, columns },
          mode: req.mode,
          seq,
          batchId,
          idempotencyKey: req.idempotencyKey,
          at,
          maxLineBytes: this.limits.maxLineBytes,
          onProgress: req.onValidateProgress,
        });
        const durationMs = Math.round(performance.now() - started);
        const record: BatchRecord = {
          batch_id: batchId,
          dataset_code: ds.code,
          seq,
          idempotency_key: req.idempotencyKey,
          request_hash: requestHash,
          system_code: pusher,
          source: req.source,
          format: req.format,
          mode: req.mode,
          accepted: r.accepted,
          valid: r.valid,
          invalid: r.invalid,
          status: 'committed',
          created_at: at.toISOString(),
          duration_ms: durationMs,
        };
        await this.batches.recordBatch(record, r.rowCount, pusher);
        await this.catalogue.refresh(ds.code);
        this.metrics.recordsIngested.inc({ dataset: ds.code, result: 'valid' }, r.valid);
        this.metrics.recordsIngested.inc({ dataset: ds.code, result: 'invalid' }, r.invalid);
        this.metrics.batches.inc({ format: req.format, mode: req.mode });
        return { ...fromBatch(record, false), deleted: r.deleted };
      });
    } finally {
      await spool.cleanup();
    }
  }

  private async findReplay(dataset: string, key: string | null, requestHash: string): Promise<IngestResult | null> {
    if (key === null) return null;
    const prior = await this.batches.findByKey(dataset, key);
    if (!prior) return null;
    // A batch recovered from the Lake's log knows its mode but not its format.
    const recovered = `recovered:${requestHash.split(':')[1]}`;
    if (prior.request_hash !== requestHash && prior.request_hash !== recovered) fail('IDEMPOTENCY_CONFLICT', { key, dataset });
    return fromBatch(prior, true);
  }

  /** Maps file columns to fields by name or Chinese label; refuses unknown or missing required columns. */
  private async mapColumns(ds: Dataset, spool: SpoolResult, mode: IngestMode): Promise<{ source: string; field: string }[] | null> {
    let names: string[];
    if (spool.format === 'csv') names = spool.header ?? [];
    else if (spool.format === 'parquet') names = await this.lake.sourceColumns(spool.path);
    else return null;
    const byKey = new Map<string, string>();
    for (const f of ds.fields) {
      byKey.set(normalise(f.name), f.name);
      byKey.set(normalise(f.label), f.name);
    }
    const out: { source: string; field: string }[] = [];
    const unknown: string[] = [];
    const seen = new Set<string>();
    for (const n of names) {
      const field = byKey.get(normalise(n));
      if (!field) {
        unknown.push(n);
        continue;
      }
      if (seen.has(field)) fail('SCHEMA_MISMATCH', { dataset: ds.code, reason: `two columns map to field ${field}` });
      seen.add(field);
      out.push({ source: n, field });
    }
    if (unknown.length) {
      fail('SCHEMA_MISMATCH', {
        dataset: ds.code,
        reason: `unknown column(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')}; columns are named by field name or label: ${ds.fields.map((f) => `${f.name} (${f.label})`).join(', ')}`,
      });
    }
    const needed = ds.fields.filter((f) => (mode === 'delete' ? f.primaryKey : f.required || f.primaryKey));
    const missing = needed.filter((f) => !seen.has(f.name));
    if (missing.length) {
      fail('SCHEMA_MISMATCH', { dataset: ds.code, reason: `missing required column(s) ${missing.map((f) => `${f.name} (${f.label})`).join(', ')}` });
    }
    if (spool.format === 'csv') {
      // read_csv needs every column of the file, in order; unknown ones were refused above.
      return names.map((n) => ({ source: n, field: byKey.get(normalise(n)) as string }));
    }
    return out;
  }

  /**
   * A batch commits in the Lake first, then in the Store. The Lake's own batch log is the truth: any batch it has
   * that the Store lacks is recorded now (at start-up, and before each new batch of the dataset).
   */
  async reconcile(code: string): Promise<void> {
    const d = await this.catalogue.get(code);
    const missing = await this.lake.committedBatches(d.code, d.lastSeq);
    for (const b of missing) {
      await this.batches.recordBatch(
        {
          batch_id: b.batchId, dataset_code: d.code, seq: b.seq, idempotency_key: b.idempotencyKey, request_hash: `recovered:${b.mode}`,
          system_code: d.systemCode, source: 'recovered', format: 'unknown', mode: b.mode, accepted: b.accepted, valid: b.valid,
          invalid: b.invalid, status: 'committed', created_at: b.at.toISOString(), duration_ms: 0,
        },
        await this.lake.rowCount(d.code),
        d.systemCode,
      );
    }
    if (missing.length) await this.catalogue.refresh(d.code);
  }

  listBatches(dataset: string, limit: number, offset: number) {
    return Promise.all([this.batches.list(dataset, limit, offset), this.batches.count(dataset)]);
  }

  daily(dataset: string | null, days: number) {
    const since = new Date(Date.now() - (days - 1) * 86400_000).toISOString().slice(0, 10);
    return this.batches.daily(dataset, since);
  }
}

/** Reads and discards a body we do not need (a replayed batch). */
async function drain(body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream): Promise<void> {
  for await (const _ of body as AsyncIterable<Uint8Array>) {
    // discard
  }
}

function toAppError(e: unknown): unknown {
  if (e instanceof SourceError) {
    const code = e.code as ConstructorParameters<typeof AppError>[0];
    const err = new AppError(code, { reason: e.message }, e.details as Record<string, unknown> | undefined);
    return err;
  }
  return e;
}
