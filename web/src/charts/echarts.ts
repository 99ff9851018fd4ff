// ECharts is registered here, once, with only the parts the web shell uses.
// Every chart goes through BaseChart.vue, which imports this module.
import { registerMap, use } from 'echarts/core';
import { BarChart, GaugeChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([
  LineChart,
  BarChart,
  PieChart,
  GaugeChart,
  ScatterChart,
  GeoComponent,
  MarkLineComponent,
  MarkAreaComponent,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  DataZoomComponent,
  CanvasRenderer,
]);

export { default as VChart } from 'vue-echarts';
export type { EChartsCoreOption as ChartOption, ECElementEvent } from 'echarts/core';

let xiamenMap: Promise<boolean> | null = null;

/**
 * Registers the map of Xiamen's six districts as `xiamen` (once per page load): the boundaries in
 * web/public/geo/xiamen-districts.geojson, which the server serves as a static file. Resolves false when the file
 * could not be loaded (the map then draws the lots without boundaries) and tries again next time.
 */
export function loadXiamenMap(): Promise<boolean> {
  xiamenMap ??= fetch('/geo/xiamen-districts.geojson')
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`HTTP ${res.status}`))))
    .then((geo: Parameters<typeof registerMap>[1]) => {
      registerMap('xiamen', geo);
      return true;
    })
    .catch(() => {
      xiamenMap = null;
      return false;
    });
  return xiamenMap;
}

/** Shared palette (Element Plus–compatible). */
export const COLORS = {
  primary: '#1f6fd1',
  valid: '#2e9d6a',
  invalid: '#e6a23c',
  pending: '#a8abb2',
  stale: '#e6a23c',
  connected: '#2e9d6a',
  /** Open-plan statuses (年度开放计划): opened, in progress, planned, overdue. */
  opened: '#2e9d6a',
  inProgress: '#1f6fd1',
  planned: '#a8abb2',
  overdue: '#d9473f',
  late: '#e6a23c',
  /** Parking availability (车位余量): plenty free, few free, full, closed or unknown. */
  ample: '#2e9d6a',
  limited: '#e6a23c',
  full: '#d9473f',
  closed: '#909399',
  unknown: '#a8abb2',
  text: '#606266',
  axis: '#dcdfe6',
};

export const FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';

/** A centred "no data" title for empty charts. */
export function emptyTitle(text: string) {
  return {
    text,
    left: 'center',
    top: 'middle',
    textStyle: { color: '#909399', fontSize: 14, fontWeight: 'normal' as const, fontFamily: FONT_FAMILY },
  };
}
