import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gcj02ToWgs84, wgs84ToGcj02 } from './gcj02.ts';

/** A ring of [lon, lat] points; the first ring of a polygon is its outline, the others its holes. */
type Ring = [number, number][];

/** One district's boundary (GCJ-02, as published) with its bounding box. */
interface DistrictShape {
  adcode: string;
  name: string;
  polygons: Ring[][];
  box: { minLon: number; minLat: number; maxLon: number; maxLat: number };
}

/** A built-up area (城区) lots cluster around: a GCJ-02 centre, a spread in metres and a share of the district's lots. */
export interface UrbanCentre {
  name: string;
  lon: number;
  lat: number;
  spreadM: number;
  weight: number;
}

/**
 * Where parking is in each district: the old town, business districts, transport hubs and new towns, with the share of
 * the city's lots each district holds — dense in 思明 and 湖里 on the island, sparser on the mainland.
 */
export const URBAN_CENTRES: Record<string, { share: number; centres: UrbanCentre[] }> = {
  350203: {
    share: 30,
    centres: [
      { name: '中山路', lon: 118.083, lat: 24.458, spreadM: 800, weight: 3 },
      { name: '火车站', lon: 118.116, lat: 24.470, spreadM: 900, weight: 3 },
      { name: '莲坂', lon: 118.131, lat: 24.484, spreadM: 900, weight: 3 },
      { name: '厦大', lon: 118.104, lat: 24.442, spreadM: 800, weight: 2 },
      { name: '前埔', lon: 118.172, lat: 24.482, spreadM: 1000, weight: 2 },
      { name: '会展中心', lon: 118.186, lat: 24.470, spreadM: 800, weight: 1 },
    ],
  },
  350206: {
    share: 25,
    centres: [
      { name: '江头', lon: 118.130, lat: 24.503, spreadM: 900, weight: 3 },
      { name: '湖里老城', lon: 118.101, lat: 24.514, spreadM: 1000, weight: 3 },
      { name: '五缘湾', lon: 118.175, lat: 24.520, spreadM: 1000, weight: 2 },
      { name: '高崎', lon: 118.126, lat: 24.538, spreadM: 1000, weight: 2 },
      { name: '枋湖', lon: 118.150, lat: 24.510, spreadM: 800, weight: 2 },
    ],
  },
  350211: {
    share: 14,
    centres: [
      { name: '集美学村', lon: 118.104, lat: 24.582, spreadM: 1000, weight: 3 },
      { name: '杏林', lon: 118.055, lat: 24.576, spreadM: 1200, weight: 2 },
      { name: '厦门北站', lon: 118.072, lat: 24.630, spreadM: 1500, weight: 2 },
      { name: '灌口', lon: 117.985, lat: 24.600, spreadM: 1500, weight: 1 },
    ],
  },
  350205: {
    share: 12,
    centres: [
      { name: '海沧湾', lon: 118.036, lat: 24.486, spreadM: 1500, weight: 3 },
      { name: '新阳', lon: 118.012, lat: 24.540, spreadM: 1500, weight: 2 },
      { name: '东孚', lon: 117.950, lat: 24.560, spreadM: 1500, weight: 1 },
    ],
  },
  350212: {
    share: 10,
    centres: [
      { name: '同安城区', lon: 118.155, lat: 24.730, spreadM: 1500, weight: 3 },
      { name: '西柯', lon: 118.125, lat: 24.655, spreadM: 1500, weight: 2 },
    ],
  },
  350213: {
    share: 9,
    centres: [
      { name: '马巷', lon: 118.245, lat: 24.665, spreadM: 1500, weight: 2 },
      { name: '翔安新城', lon: 118.245, lat: 24.615, spreadM: 1500, weight: 2 },
      { name: '内厝', lon: 118.300, lat: 24.600, spreadM: 1500, weight: 1 },
    ],
  },
};

const M_PER_DEG_LAT = 111_320;

function inRing(lon: number, lat: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A standard normal deviate from two uniform ones (Box–Muller). */
function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * Xiamen's six districts as polygons (民政 boundaries as published for web maps, GCJ-02): which district a point
 * lies in, and believable lot positions inside a district — around its built-up centres, now and then anywhere in it.
 */
export class DistrictMap {
  private constructor(private readonly shapes: DistrictShape[]) {}

  /** The boundaries shipped beside this file (a DataV GeoAtlas extract; see README.md here). */
  static load(file = join(import.meta.dirname, 'xiamen-districts.geojson')): DistrictMap {
    const fc = JSON.parse(readFileSync(file, 'utf8')) as { features: { properties: { adcode: number | string; name: string }; geometry: { type: string; coordinates: unknown } }[] };
    return new DistrictMap(fc.features.map((f) => {
      const polygons = (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates) as Ring[][];
      const pts = polygons.flatMap((p) => p[0]);
      return {
        adcode: String(f.properties.adcode), name: f.properties.name, polygons,
        box: { minLon: Math.min(...pts.map((p) => p[0])), minLat: Math.min(...pts.map((p) => p[1])), maxLon: Math.max(...pts.map((p) => p[0])), maxLat: Math.max(...pts.map((p) => p[1])) },
      };
    }));
  }

  /** The adcodes of the districts on the map. */
  adcodes(): string[] {
    return this.shapes.map((s) => s.adcode);
  }

  /** Whether a GCJ-02 point lies inside a district (in one of its polygons and in none of their holes). */
  containsGcj(adcode: string, lon: number, lat: number): boolean {
    const s = this.shape(adcode);
    if (lon < s.box.minLon || lon > s.box.maxLon || lat < s.box.minLat || lat > s.box.maxLat) return false;
    return s.polygons.some((p) => inRing(lon, lat, p[0]) && !p.slice(1).some((hole) => inRing(lon, lat, hole)));
  }

  /** Whether a WGS-84 point (as lots store it) lies inside a district. */
  contains(adcode: string, lon: number, lat: number): boolean {
    const [gx, gy] = wgs84ToGcj02(lon, lat);
    return this.containsGcj(adcode, gx, gy);
  }

  /**
   * Whether a WGS-84 point lies within a district's bounding box widened by `marginDeg` (0.01° ≈ 1 km): a coarse
   * check that catches a swapped coordinate or a lot placed in another city, not a lot across a district line.
   */
  nearDistrict(adcode: string, lon: number, lat: number, marginDeg = 0.01): boolean {
    const [gx, gy] = wgs84ToGcj02(lon, lat);
    const b = this.shape(adcode).box;
    return gx >= b.minLon - marginDeg && gx <= b.maxLon + marginDeg && gy >= b.minLat - marginDeg && gy <= b.maxLat + marginDeg;
  }

  /** The district a WGS-84 point lies in, or null (at sea, outside the city). */
  districtAt(lon: number, lat: number): string | null {
    const [gx, gy] = wgs84ToGcj02(lon, lat);
    return this.shapes.find((s) => this.containsGcj(s.adcode, gx, gy))?.adcode ?? null;
  }

  /**
   * A WGS-84 lot position inside a district: most near one of its centres (normal spread), one in ten anywhere in
   * it (suburbs, villages); the GCJ-02 point is drawn inside the boundary, then shifted back to WGS-84.
   */
  samplePoint(adcode: string, rand: () => number): { lon: number; lat: number; near: string | null } {
    const s = this.shape(adcode);
    const centres = URBAN_CENTRES[adcode]?.centres ?? [];
    const total = centres.reduce((n, c) => n + c.weight, 0);
    if (centres.length && rand() >= 0.1) {
      let r = rand() * total;
      const c = centres.find((x) => (r -= x.weight) < 0) ?? centres[centres.length - 1];
      for (let i = 0; i < 60; i++) {
        const lat = c.lat + (gaussian(rand) * c.spreadM) / M_PER_DEG_LAT;
        const lon = c.lon + (gaussian(rand) * c.spreadM) / (M_PER_DEG_LAT * Math.cos((c.lat * Math.PI) / 180));
        if (this.containsGcj(adcode, lon, lat)) return { ...this.wgs(lon, lat), near: c.name };
      }
    }
    for (;;) {
      const lon = s.box.minLon + rand() * (s.box.maxLon - s.box.minLon);
      const lat = s.box.minLat + rand() * (s.box.maxLat - s.box.minLat);
      if (this.containsGcj(adcode, lon, lat)) return { ...this.wgs(lon, lat), near: null };
    }
  }

  private wgs(lon: number, lat: number) {
    const [x, y] = gcj02ToWgs84(lon, lat);
    return { lon: Math.round(x * 1e6) / 1e6, lat: Math.round(y * 1e6) / 1e6 };
  }

  private shape(adcode: string): DistrictShape {
    const s = this.shapes.find((x) => x.adcode === adcode);
    if (!s) throw new Error(`no boundary for district ${adcode}`);
    return s;
  }
}
