// Named destinations for parking guidance (车位诱导): well-known places in Xiamen with approximate WGS-84 positions.

export interface Landmark {
  /** The key of its name under `parking.landmarks` in the message catalogue. */
  key: string;
  lon: number;
  lat: number;
}

export const LANDMARKS: readonly Landmark[] = [
  { key: 'zhongshanRoad', lon: 118.0806, lat: 24.4558 }, // 中山路步行街, 思明区
  { key: 'gulangyuFerry', lon: 118.0713, lat: 24.4561 }, // 鼓浪屿轮渡码头 (厦鼓码头, 鹭江道)
  { key: 'xiamenNorth', lon: 118.0737, lat: 24.6374 }, // 厦门北站, 集美区
  { key: 'airport', lon: 118.1290, lat: 24.5398 }, // 厦门高崎国际机场, 湖里区
  { key: 'softwarePark', lon: 118.1826, lat: 24.4905 }, // 软件园二期, 思明区
  { key: 'xiamenStation', lon: 118.1168, lat: 24.4705 }, // 厦门站, 思明区
];
