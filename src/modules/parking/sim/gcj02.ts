// GCJ-02 (the shifted datum Chinese maps publish coordinates in) from and to WGS-84 (GPS degrees, what lots store).
// The district boundaries are GCJ-02; lots are placed inside them and stored as WGS-84, a few hundred metres apart.

/** Semi-major axis (m) and first eccentricity squared of the Krasovsky ellipsoid the published formula uses. */
const AXIS = 6378245.0;
const ECC2 = 0.00669342162296594323;

/** The published polynomial-and-sine offset in latitude, before scaling to degrees; x, y relative to (105° E, 35° N). */
function latOffset(x: number, y: number): number {
  const p = Math.PI;
  return -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
    + (2 / 3) * (20 * Math.sin(6 * p * x) + 20 * Math.sin(2 * p * x))
    + (2 / 3) * (20 * Math.sin(p * y) + 40 * Math.sin((p * y) / 3))
    + (2 / 3) * (160 * Math.sin((p * y) / 12) + 320 * Math.sin((p * y) / 30));
}

/** The published offset in longitude, before scaling to degrees. */
function lonOffset(x: number, y: number): number {
  const p = Math.PI;
  return 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
    + (2 / 3) * (20 * Math.sin(6 * p * x) + 20 * Math.sin(2 * p * x))
    + (2 / 3) * (20 * Math.sin(p * x) + 40 * Math.sin((p * x) / 3))
    + (2 / 3) * (150 * Math.sin((p * x) / 12) + 300 * Math.sin((p * x) / 30));
}

/** A WGS-84 point as GCJ-02 (Xiamen lies well inside the area the shift applies to). */
export function wgs84ToGcj02(lon: number, lat: number): [number, number] {
  const phi = (lat * Math.PI) / 180;
  const w = 1 - ECC2 * Math.sin(phi) ** 2;
  const metresPerRadLat = (AXIS * (1 - ECC2)) / (w * Math.sqrt(w));
  const metresPerRadLon = (AXIS / Math.sqrt(w)) * Math.cos(phi);
  const dLat = (latOffset(lon - 105, lat - 35) * 180) / (metresPerRadLat * Math.PI);
  const dLon = (lonOffset(lon - 105, lat - 35) * 180) / (metresPerRadLon * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** A GCJ-02 point back as WGS-84, by fixed-point iteration of the forward shift (converges to millimetres). */
export function gcj02ToWgs84(lon: number, lat: number): [number, number] {
  let x = lon;
  let y = lat;
  for (let i = 0; i < 8; i++) {
    const [gx, gy] = wgs84ToGcj02(x, y);
    x += lon - gx;
    y += lat - gy;
  }
  return [x, y];
}
