import { h } from '../dom.ts';
import { fmtCount } from '../format.ts';
import { FONT, TOOLTIP_STYLE, type ChartOption } from './setup.ts';

/** One line or bar series over the buckets of a view. */
export interface SeriesSpec {
  name: string;
  color: string;
  /** one value per bucket, in the order of `buckets` */
  values: number[];
  type?: 'bar' | 'line';
  /** series with the same stack are piled up */
  stack?: string;
}

/**
 * The buckets between the first and the last one the API sent (it sends only buckets with
 * data): a quiet hour is a zero, not a missing column. `t` is each bucket's start (ISO).
 */
export function fillBuckets<T extends { t: string }>(rows: T[], bucketSeconds: number, empty: (t: string) => T): T[] {
  if (rows.length < 2) return rows;
  const step = bucketSeconds * 1000;
  const byTime = new Map(rows.map((r) => [Date.parse(r.t), r]));
  const first = Math.min(...byTime.keys());
  const last = Math.max(...byTime.keys());
  // a store spanning years with hourly buckets cannot happen (the API widens them), but stay bounded
  if ((last - first) / step > 5000) return rows;
  const out: T[] = [];
  for (let t = first; t <= last; t += step) out.push(byTime.get(t) ?? empty(new Date(t).toISOString()));
  return out;
}

/** A bucket's width in words. */
export function bucketWord(seconds: number): string {
  return seconds === 3600 ? 'hour' : seconds === 86_400 ? 'day' : seconds === 604_800 ? 'week' : `${seconds} s`;
}

/** A bucket's start as an axis label: hours show the time, days and weeks the date (UTC). */
export function bucketLabel(iso: string, bucketSeconds: number): string {
  const s = new Date(iso).toISOString();
  return bucketSeconds < 86_400 ? `${s.slice(5, 10)} ${s.slice(11, 16)}` : s.slice(0, 10);
}

/**
 * Bars or lines over time buckets, with a tooltip listing every series for the bucket under the
 * pointer (built as DOM: the CSP allows no inline styles, which echarts' own tooltip markup uses).
 * `percent` draws each value as its share of the bucket's total and says both in the tooltip.
 */
export function seriesOption(buckets: string[], bucketSeconds: number, series: SeriesSpec[], opts: { percent?: boolean; unit?: string } = {}): ChartOption {
  const totals = buckets.map((_, i) => series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const shown = (s: SeriesSpec) => (opts.percent ? s.values.map((v, i) => (totals[i] ? (100 * v) / totals[i] : 0)) : s.values);
  const labels = buckets.map((b) => bucketLabel(b, bucketSeconds));
  return {
    animation: false,
    textStyle: { fontFamily: FONT },
    color: series.map((s) => s.color),
    legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 8, textStyle: { color: '#57606a', fontSize: 11 } },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    tooltip: {
      ...TOOLTIP_STYLE,
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'shadow' },
      formatter: (p) => {
        const items = Array.isArray(p) ? p : [p];
        const i = Number(items[0]?.dataIndex ?? 0);
        return bucketTooltip(buckets[i] ?? '', bucketSeconds, series.map((s) => ({ name: s.name, color: s.color, n: s.values[i] ?? 0 })), opts.percent ? totals[i] ?? 0 : 0, opts.unit ?? '');
      },
    },
    xAxis: {
      type: 'category',
      data: labels,
      axisTick: { alignWithLabel: true },
      axisLabel: { color: '#57606a', fontSize: 11, hideOverlap: true },
      axisLine: { lineStyle: { color: '#d0d7de' } },
    },
    yAxis: {
      type: 'value',
      max: opts.percent ? 100 : undefined,
      minInterval: 1,
      axisLabel: { color: '#57606a', fontSize: 11, formatter: opts.percent ? '{value}%' : undefined },
      splitLine: { lineStyle: { color: '#eaeef2' } },
    },
    series: series.map((s) => s.type === 'line'
      ? { type: 'line' as const, name: s.name, data: shown(s), stack: s.stack, showSymbol: buckets.length < 40, symbolSize: 5, lineStyle: { width: 2, color: s.color }, itemStyle: { color: s.color } }
      : { type: 'bar' as const, name: s.name, data: shown(s), stack: s.stack, barMaxWidth: 36, itemStyle: { color: s.color } }),
  };
}

/** `total` > 0 adds each row's share of it. */
function bucketTooltip(start: string, bucketSeconds: number, rows: { name: string; color: string; n: number }[], total: number, unit: string): HTMLElement {
  const end = start ? new Date(Date.parse(start) + bucketSeconds * 1000).toISOString() : '';
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, start ? `${start.slice(0, 16).replace('T', ' ')} – ${end.slice(bucketSeconds < 86_400 ? 11 : 0, 16).replace('T', ' ')} UTC` : ''),
    rows.map((r) => h('div', { class: 'tt-row' }, swatch(r.color), h('span', { class: 'tt-name' }, r.name),
      h('span', { class: 'tt-num' }, `${fmtCount(r.n)}${unit}${total > 0 ? ` (${Math.round((100 * r.n) / total)}%)` : ''}`))));
}

/** A colour dot for a DOM tooltip: the colour is set through CSSOM, which the CSP allows. */
export function swatch(color: string): HTMLElement {
  const el = h('span', { class: 'tt-dot' });
  el.style.backgroundColor = color;
  return el;
}
