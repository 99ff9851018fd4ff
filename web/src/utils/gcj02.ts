// WGS-84 ⇄ GCJ-02. Lots and destinations are WGS-84 (GPS) degrees, while the district boundaries drawn under them
// are GCJ-02, the shifted system Chinese maps are published in (a few hundred metres apart in Xiamen). The shift is
// the published GCJ-02 formula (Krasovsky ellipsoid); the way back is found by iterating the way there.

const A = 6378245.0;
const EE = 0.00669342162296594323;
const PI = Math.PI;

function shiftLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
  r += ((20 * Math.sin(y * PI) + 40 * Math.sin((y / 3) * PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * PI) + 320 * Math.sin((y * PI) / 30)) * 2) / 3;
  return r;
}

function shiftLon(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
  r += ((20 * Math.sin(x * PI) + 40 * Math.sin((x / 3) * PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * PI) + 300 * Math.sin((x / 30) * PI)) * 2) / 3;
  return r;
}

/** Whether a point is roughly inside mainland China, where GCJ-02 applies (elsewhere it equals WGS-84). */
function inChina(lon: number, lat: number): boolean {
  return lon > 72.004 && lon < 137.8347 && lat > 0.8293 && lat < 55.8271;
}

/** A WGS-84 [lon, lat] as GCJ-02. */
export function wgsToGcj(lon: number, lat: number): [number, number] {
  if (!inChina(lon, lat)) return [lon, lat];
  const radLat = (lat / 180) * PI;
  const magic = 1 - EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (shiftLat(lon - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * PI);
  const dLon = (shiftLon(lon - 105, lat - 35) * 180) / ((A / sqrtMagic) * Math.cos(radLat) * PI);
  return [lon + dLon, lat + dLat];
}

/** A GCJ-02 [lon, lat] back as WGS-84, to well under a metre. */
export function gcjToWgs(lon: number, lat: number): [number, number] {
  let w: [number, number] = [lon, lat];
  for (let i = 0; i < 6; i++) {
    const g = wgsToGcj(w[0], w[1]);
    w = [w[0] - (g[0] - lon), w[1] - (g[1] - lat)];
  }
  return w;
}
