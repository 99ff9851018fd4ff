import type { LotRow } from './repository.ts';

const E6 = 1_000_000;
const EARTH_M = 6_371_008.8;
/** Grid cell size in micro-degrees (0.01°: about 1.1 km north–south, 1.0 km east–west at Xiamen's latitude). */
const CELL = 10_000;

/** Great-circle distance in metres between two WGS-84 points. */
export function distanceM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * The lots in memory, bucketed in a grid of 0.01° cells, so "lots within r metres of a point" reads a few cells
 * instead of the table. Loaded from the Store once and kept current by the service that adds lots (the platform
 * runs one server per Store).
 */
export class LotIndex {
  private readonly byId = new Map<string, LotRow>();
  private readonly cells = new Map<string, LotRow[]>();
  private sorted: LotRow[] | null = null;

  constructor(lots: Iterable<LotRow> = []) {
    for (const l of lots) this.add(l);
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): LotRow | undefined {
    return this.byId.get(id);
  }

  /** Every lot, by id. */
  all(): readonly LotRow[] {
    this.sorted ??= [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.sorted;
  }

  add(lot: LotRow): void {
    this.sorted = null;
    const old = this.byId.get(lot.id);
    if (old) {
      const cell = this.cells.get(key(old.lon_e6, old.lat_e6));
      if (cell) cell.splice(cell.indexOf(old), 1);
    }
    this.byId.set(lot.id, lot);
    const k = key(lot.lon_e6, lot.lat_e6);
    const cell = this.cells.get(k);
    if (cell) cell.push(lot);
    else this.cells.set(k, [lot]);
  }

  /** Lots within `radius` metres of a point, nearest first, with their distances. */
  near(lon: number, lat: number, radius: number): { lot: LotRow; d: number }[] {
    const dLat = (radius / EARTH_M) * (180 / Math.PI) * E6;
    const dLon = dLat / Math.max(0.01, Math.cos((lat * Math.PI) / 180));
    const x0 = Math.floor((lon * E6 - dLon) / CELL);
    const x1 = Math.floor((lon * E6 + dLon) / CELL);
    const y0 = Math.floor((lat * E6 - dLat) / CELL);
    const y1 = Math.floor((lat * E6 + dLat) / CELL);
    const out: { lot: LotRow; d: number }[] = [];
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > this.byId.size) {
      // A huge circle (near a pole, a radius of many kilometres): reading every lot is cheaper than every cell.
      for (const lot of this.byId.values()) {
        const d = distanceM(lon, lat, lot.lon_e6 / E6, lot.lat_e6 / E6);
        if (d <= radius) out.push({ lot, d });
      }
      return out.sort((a, b) => a.d - b.d);
    }
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        for (const lot of this.cells.get(`${x}:${y}`) ?? []) {
          const d = distanceM(lon, lat, lot.lon_e6 / E6, lot.lat_e6 / E6);
          if (d <= radius) out.push({ lot, d });
        }
      }
    }
    return out.sort((a, b) => a.d - b.d);
  }
}

function key(lonE6: number, latE6: number): string {
  return `${Math.floor(lonE6 / CELL)}:${Math.floor(latE6 / CELL)}`;
}
