// Ingest side of a dataset: upload, batches, quarantine (问题数据).
import { apiUrl, request, upload } from './client';
import type { UploadHandle } from './client';
import type { Batch, IngestFormat, IngestMode, IngestResult, Page, QuarantineItem } from './types';

const path = (code: string, rest: string) => `/datasets/${encodeURIComponent(code)}${rest}`;

export const CONTENT_TYPES: Record<IngestFormat, string> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
  parquet: 'application/octet-stream',
  xlsx: 'application/octet-stream',
};

/** Guess the ingest format from a file name, or null when the extension is unknown. */
export function formatFromFileName(name: string): IngestFormat | null {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (ext === 'csv' || ext === 'tsv' || ext === 'txt') return 'csv';
  if (ext === 'ndjson' || ext === 'jsonl') return 'ndjson';
  if (ext === 'json') return 'json';
  if (ext === 'parquet' || ext === 'pq') return 'parquet';
  if (ext === 'xlsx') return 'xlsx';
  return null;
}

export interface UploadRecordsOptions {
  format: IngestFormat;
  mode: IngestMode;
  idempotencyKey?: string;
  onProgress?: (fraction: number) => void;
}

export function uploadRecords(code: string, file: Blob, opts: UploadRecordsOptions): UploadHandle<IngestResult> {
  return upload<IngestResult>(path(code, '/records'), file, {
    query: { format: opts.format, mode: opts.mode },
    contentType: CONTENT_TYPES[opts.format],
    headers: opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : undefined,
    onProgress: opts.onProgress,
  });
}

export function listBatches(code: string, limit: number, offset: number, signal?: AbortSignal): Promise<Page<Batch>> {
  return request<Page<Batch>>(path(code, '/batches'), { query: { limit, offset }, signal });
}

/** One batch, by its seq and/or batchId (both are sent: the contract names `batch`, the server reads `seq`). */
export interface BatchRef {
  seq?: number | null;
  batchId?: string | null;
}

function batchParams(b: BatchRef | undefined) {
  return { seq: b?.seq ?? undefined, batch: b?.batchId ?? undefined };
}

export function listQuarantine(
  code: string,
  q: { batch?: BatchRef; limit: number; offset: number },
  signal?: AbortSignal,
): Promise<Page<QuarantineItem>> {
  return request<Page<QuarantineItem>>(path(code, '/quarantine'), {
    query: { ...batchParams(q.batch), limit: q.limit, offset: q.offset },
    signal,
  });
}

export function quarantineCsvUrl(code: string, batch?: BatchRef): string {
  return apiUrl(path(code, '/quarantine'), { ...batchParams(batch), format: 'csv' });
}
