import { BarChart, CustomChart, GraphChart, LineChart, PieChart, type BarSeriesOption, type CustomSeriesOption, type GraphSeriesOption, type LineSeriesOption, type PieSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, type GridComponentOption, type LegendComponentOption, type TooltipComponentOption } from 'echarts/components';
import { init, use, type ComposeOption, type EChartsType } from 'echarts/core';
import { LabelLayout } from 'echarts/features';
import { CanvasRenderer } from 'echarts/renderers';

// only what the dashboard draws: the full echarts build is several times larger
use([GraphChart, CustomChart, PieChart, BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, LabelLayout, CanvasRenderer]);

export type ChartOption = ComposeOption<GraphSeriesOption | CustomSeriesOption | PieSeriesOption | BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption>;

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

/** Shared look for tooltips. Their content is always built as DOM nodes, never as HTML strings. */
export const TOOLTIP_STYLE = {
  backgroundColor: '#ffffff',
  borderColor: '#d0d7de',
  borderWidth: 1,
  padding: [6, 8],
  textStyle: { color: '#1f2328', fontFamily: FONT, fontSize: 12 },
  extraCssText: 'box-shadow: 0 4px 12px rgba(31,35,40,.12); border-radius: 6px; max-width: 420px; white-space: normal;',
} satisfies TooltipComponentOption;

const live: { chart: EChartsType; observer: ResizeObserver }[] = [];

/**
 * Draw a chart into an element that is already in the document (it needs its size). An option
 * built from the width is built again when the width changes (labels are cut to fit).
 */
export function mountChart(el: HTMLElement, option: ChartOption | ((widthPx: number) => ChartOption)): EChartsType {
  const chart = init(el, undefined, { renderer: 'canvas' });
  let width = el.clientWidth;
  chart.setOption(typeof option === 'function' ? option(width) : option);
  const observer = new ResizeObserver(() => {
    if (typeof option === 'function' && el.clientWidth !== width) {
      width = el.clientWidth;
      chart.setOption(option(width), { notMerge: true });
    }
    chart.resize();
  });
  observer.observe(el);
  live.push({ chart, observer });
  return chart;
}

/** Before a page is replaced: charts hold canvases, listeners and timers. */
export function disposeCharts(): void {
  for (const { chart, observer } of live.splice(0)) {
    observer.disconnect();
    chart.dispose();
  }
}
