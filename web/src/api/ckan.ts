// The CKAN Action API (/api/3/action), which the portal's search runs on: the same calls any CKAN client makes.
import { CKAN_BASE, request } from './client';
import type { CkanEnvelope, CkanOrganization, PackageSearchQuery, PackageSearchResult } from './types';

function action<T>(name: string, query: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T> {
  return request<CkanEnvelope<T>>(`/action/${name}`, { base: CKAN_BASE, query, signal }).then((r) => r.result);
}

/** package_search: full text `q`, filter terms `fq`, paging by rows/start, sort, and facet counts. */
export function packageSearch(q: PackageSearchQuery, signal?: AbortSignal): Promise<PackageSearchResult> {
  return action<PackageSearchResult>(
    'package_search',
    {
      q: q.q?.trim() || undefined,
      fq: q.fq?.trim() || undefined,
      rows: q.rows,
      start: q.start,
      sort: q.sort,
      'facet.field': q.facetFields?.length ? JSON.stringify(q.facetFields) : undefined,
      'facet.limit': q.facetLimit,
    },
    signal,
  );
}

/** organization_list with all fields: every organisation's CKAN name, Chinese title and English description. */
export function organizationList(signal?: AbortSignal): Promise<CkanOrganization[]> {
  return action<CkanOrganization[]>('organization_list', { all_fields: 'true' }, signal);
}
