import { request } from './client';
import type { CitySystem, District, Items, Organisation, OrganisationDetail } from './types';

export function listOrganisations(signal?: AbortSignal): Promise<Items<Organisation>> {
  return request<Items<Organisation>>('/organisations', { signal });
}

export function getOrganisation(code: string, signal?: AbortSignal): Promise<OrganisationDetail> {
  return request<OrganisationDetail>(`/organisations/${encodeURIComponent(code)}`, { signal });
}

export function listSystems(org?: string, signal?: AbortSignal): Promise<Items<CitySystem>> {
  return request<Items<CitySystem>>('/systems', { query: { org }, signal });
}

export function listDistricts(signal?: AbortSignal): Promise<Items<District>> {
  return request<Items<District>>('/districts', { signal });
}
