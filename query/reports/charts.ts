import type { ChartSpec } from './model.ts';

/**
 * Charts drawn on the server: echarts' server-side rendering to an SVG string (no browser, no
 * DOM). echarts escapes the text it draws (axis labels are server and domain names anyone can
 * choose), and its SVG holds no script. Loaded on first use: most commands never draw a chart.
 */
type ECharts = typeof import('echarts');
let loaded: Promise<ECharts> | undefined;
const echarts = (): Promise<ECharts> => (loaded ??= import('echarts'));

const WIDTH = 760;
const FONT = { fontFamily: 'Helvetica, Arial, sans-serif' };
/** long SMTP replies would squeeze the bars to nothing; the full text is in the table and the CSV */
const LABEL_MAX = 48;

const clip = (s: string) => (s.length > LABEL_MAX ? `${s.slice(0, LABEL_MAX - 1)}…` : s);

function empty(spec: ChartSpec): boolean {
  if (spec.type === 'pie') return spec.slices.every((s) => s.value === 0);
  if (spec.type === 'bars') return spec.labels.length === 0;
  return spec.x.length === 0 || spec.series.every((s) => s.data.every((v) => v === 0));
}

/** The echarts option and canvas height of one spec. */
export function chartOption(spec: ChartSpec): { option: Record<string, unknown>; height: number } {
  const title = { text: spec.title, left: 'center', top: 4, textStyle: { fontSize: 14, ...FONT } };
  const base = { animation: false, textStyle: FONT, title };
  if (empty(spec)) {
    return { height: 120, option: { ...base, graphic: { type: 'text', left: 'center', top: 60, style: { text: 'no data in this period', fill: '#59636e', fontSize: 13 } } } };
  }
  const legend = { top: 32, textStyle: FONT };
  if (spec.type === 'pie') {
    const slices = spec.slices.filter((s) => s.value > 0).map((s) => ({ name: s.name, value: s.value, itemStyle: s.color ? { color: s.color } : undefined }));
    return { height: 320, option: { ...base, legend, series: [{ type: 'pie', top: 60, radius: ['35%', '65%'], label: { formatter: '{b}: {c} ({d}%)' }, data: slices }] } };
  }
  if (spec.type === 'bars') {
    const height = 110 + (spec.layout === 'stacked' ? 26 : 12 + 10 * spec.series.length) * spec.labels.length;
    return {
      height,
      option: {
        ...base, legend,
        grid: { left: 16, right: 32, top: 64, bottom: 40, containLabel: true },
        xAxis: { type: 'value', name: spec.unit ?? '', nameLocation: 'middle', nameGap: 26 },
        yAxis: { type: 'category', inverse: true, data: spec.labels.map(clip) },
        series: spec.series.map((s) => ({ type: 'bar', name: s.name, stack: spec.layout === 'stacked' ? 'all' : undefined, data: s.data, itemStyle: s.color ? { color: s.color } : undefined })),
      },
    };
  }
  const totals = spec.x.map((_, i) => spec.series.reduce((a, s) => a + (s.data[i] ?? 0), 0));
  const percent = spec.layout === 'percent';
  const values = (data: number[]) => (percent ? data.map((v, i) => (totals[i] === 0 ? 0 : Math.round((1000 * v) / totals[i]) / 10)) : data);
  return {
    height: 320,
    option: {
      ...base, legend,
      grid: { left: 16, right: 24, top: 68, bottom: 16, containLabel: true },
      xAxis: { type: 'category', data: spec.x },
      yAxis: percent ? { type: 'value', max: 100, axisLabel: { formatter: '{value} %' } } : { type: 'value', minInterval: 1 },
      series: spec.series.map((s) => ({ type: 'bar', name: s.name, stack: spec.layout === 'side-by-side' ? undefined : 'all', barMaxWidth: 40, data: values(s.data), itemStyle: s.color ? { color: s.color } : undefined })),
    },
  };
}

export async function renderChart(spec: ChartSpec): Promise<string> {
  const { option, height } = chartOption(spec);
  const lib = await echarts();
  const chart = lib.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  // disposed whatever happens: an undisposed chart keeps a render loop (a timer) alive
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
