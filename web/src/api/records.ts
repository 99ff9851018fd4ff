// Query side of a dataset: records (keyset paging), exports, aggregates.
import { apiUrl, request } from './client';
import type { AggregateQuery, DataRow, ExportFormat, Items, RecordsPage, RecordsQuery } from './types';

const path = (code: string, rest: string) => `/datasets/${encodeURIComponent(code)}${rest}`;

function recordsParams(q: RecordsQuery) {
  return {
    filter: q.filter?.trim(),
    q: q.q?.trim(),
    fields: q.fields,
    sort: q.sort,
    limit: q.limit,
    cursor: q.cursor ?? undefined,
    total: q.total,
  };
}

/** `silent`: leave failures to the caller (the dataset page shows NO_GRANT and the like as a panel). */
export function queryRecords(code: string, q: RecordsQuery, signal?: AbortSignal, silent = false): Promise<RecordsPage> {
  return request<RecordsPage>(path(code, '/records'), { query: recordsParams(q), signal, silent });
}

/** Download link for the same query in another format (no cursor/limit: the whole result). */
export function exportUrl(code: string, q: RecordsQuery, format: ExportFormat): string {
  const { cursor: _c, limit: _l, total: _t, ...rest } = recordsParams(q);
  return apiUrl(path(code, '/records'), { ...rest, format });
}

export function aggregate(code: string, q: AggregateQuery, signal?: AbortSignal, silent = false): Promise<Items<DataRow>> {
  return request<Items<DataRow>>(path(code, '/aggregate'), {
    query: { groupBy: q.groupBy, metrics: q.metrics, filter: q.filter?.trim(), sort: q.sort, limit: q.limit },
    signal,
    silent,
  });
}
