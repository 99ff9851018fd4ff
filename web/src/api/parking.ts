// Smart parking (智慧停车): the open real-time feed of lots, a lot with its occupancy history and forecast, guidance
// (车位诱导) to lots near a destination, quotes, and reservations (预约车位) from hold to check-out.
import { request, revalidate } from './client';
import type { Revalidated } from './client';
import type {
  CreditAccount, Guidance, GuidanceQuery, HoldRequest, Items, LotFeed, LotHistory, ParkingLot, ParkingPass, ParkingQuote, Reservation, SettlementRun, ShareWindow, SpaceType,
} from './types';

/** Filters of the open feed: a district adcode, or lots within `radius` metres of `near` (lon,lat). */
export interface FeedFilter {
  district?: string;
  near?: string;
  radius?: number;
}

/** The open feed (public), revalidated with its ETag: unchanged answers cost a 304 and no parsing. */
export function getLotFeed(filter: FeedFilter, etag: string | null, signal?: AbortSignal): Promise<Revalidated<LotFeed>> {
  return revalidate<LotFeed>('/parking/lots.geojson', etag, { query: { ...filter }, signal, silent: true });
}

/** One lot with capacity, tariff, opening hours and live state (public). */
export function getLot(id: string, signal?: AbortSignal): Promise<ParkingLot> {
  return request<ParkingLot>(`/parking/lots/${encodeURIComponent(id)}`, { signal, silent: true });
}

/** Occupancy of a lot over the past `hours` and the forecast ahead (public). */
export function getLotHistory(id: string, hours: number, signal?: AbortSignal): Promise<LotHistory> {
  return request<LotHistory>(`/parking/lots/${encodeURIComponent(id)}/history`, { query: { hours }, signal, silent: true });
}

/** Lots ranked for a destination, arrival time, stay and space type (public). */
export function getGuidance(q: GuidanceQuery, signal?: AbortSignal): Promise<Guidance> {
  return request<Guidance>('/parking/guidance', { query: { ...q }, signal, silent: true });
}

/** The price and places left for a window (public). */
export function getQuote(lotId: string, spaceType: SpaceType, start: string, end: string, signal?: AbortSignal): Promise<ParkingQuote> {
  return request<ParkingQuote>(`/parking/lots/${encodeURIComponent(lotId)}/quote`, { query: { spaceType, start, end }, signal, silent: true });
}

/** Holds a place until the hold expires (needs a signed-in person or a token); 409 PARKING_FULL when a slice is full. */
export function holdReservation(body: HoldRequest): Promise<Reservation> {
  return request<Reservation>('/parking/reservations', { method: 'POST', body, silent: true });
}

export function getReservation(id: string, signal?: AbortSignal): Promise<Reservation> {
  return request<Reservation>(`/parking/reservations/${encodeURIComponent(id)}`, { signal, silent: true });
}

/** Confirms a hold before it expires. */
export function confirmReservation(id: string): Promise<Reservation> {
  return request<Reservation>(`/parking/reservations/${encodeURIComponent(id)}/confirm`, { method: 'POST', silent: true });
}

/** Cancels a held or confirmed reservation; its places are given back. */
export function cancelReservation(id: string): Promise<Reservation> {
  return request<Reservation>(`/parking/reservations/${encodeURIComponent(id)}/cancel`, { method: 'POST', silent: true });
}

/** The signed-in person's reservations. */
export function listMyReservations(signal?: AbortSignal): Promise<Items<Reservation>> {
  return request<Items<Reservation>>('/parking/my/reservations', { signal, silent: true });
}

/** The signed-in person's off-peak passes (错峰停车证). */
export function listMyPasses(signal?: AbortSignal): Promise<Items<ParkingPass>> {
  return request<Items<ParkingPass>>('/parking/my/passes', { signal, silent: true });
}

/** A shared lot's sharing windows (public). */
export function listShareWindows(lotId: string, signal?: AbortSignal): Promise<Items<ShareWindow>> {
  return request<Items<ShareWindow>>(`/parking/lots/${encodeURIComponent(lotId)}/share-windows`, { signal, silent: true });
}

/** Buys an off-peak pass for a plate and window (signed in); PASSES_SOLD_OUT, PASS_EXISTS or PASS_SUSPENDED when refused. */
export function buyPass(body: { windowId: string; plate: string; validFrom?: string }): Promise<ParkingPass> {
  return request<ParkingPass>('/parking/passes', { method: 'POST', body, silent: true });
}

/** A driver's pay-later account with its latest ledger entries (the transport department's operators). */
export function getCreditAccount(plate: string, signal?: AbortSignal): Promise<CreditAccount> {
  return request<CreditAccount>(`/parking/credit/accounts/${encodeURIComponent(plate)}`, { signal, silent: true });
}

/** Settles every driver's unsettled charges now (operators); the daily run does the same on its own. */
export function runSettlement(): Promise<SettlementRun> {
  return request<SettlementRun>('/parking/credit/settlements', { method: 'POST', body: {}, silent: true });
}

/** Records that the payment channel returned a settlement's collection: its amount is arrears again (operators). */
export function markSettlementReturned(settlementId: string, reason: string): Promise<{ balanceFen: number; returnedFen: number; state: string }> {
  return request(`/parking/credit/settlements/${encodeURIComponent(settlementId)}/returned`, { method: 'POST', body: { reason }, silent: true });
}
