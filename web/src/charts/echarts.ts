// ECharts is registered here, once, with only the parts the web shell uses.
// Every chart goes through BaseChart.vue, which imports this module.
import { use } from 'echarts/core';
import { BarChart, GaugeChart, LineChart, PieChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([
  LineChart,
  BarChart,
  PieChart,
  GaugeChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  DataZoomComponent,
  CanvasRenderer,
]);

export { default as VChart } from 'vue-echarts';
export type { EChartsCoreOption as ChartOption } from 'echarts/core';

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
