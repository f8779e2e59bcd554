import { h } from '../dom.ts';
import { fmtCount, shorten } from '../format.ts';
import { FONT, MONO, TOOLTIP_STYLE, type ChartOption } from './setup.ts';
import { swatch } from './series.ts';

export interface BarRow {
  label: string;
  /** one value per series */
  values: number[];
  /** one colour for the whole row (a single series coloured per category) */
  color?: string;
}

/**
 * Horizontal bars, one row per category (a status, a route), one bar per series side by side or
 * stacked; labels in a monospace font when they are host names. Tooltips are DOM.
 */
export function barsOption(rows: BarRow[], series: { name: string; color: string; stack?: string }[], opts: { mono?: boolean; unit?: (n: number) => string; labelChars?: number } = {}): ChartOption {
  const fmt = opts.unit ?? fmtCount;
  return {
    animation: false,
    textStyle: { fontFamily: FONT },
    legend: series.length > 1 ? { top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 8, textStyle: { color: '#57606a', fontSize: 11 } } : undefined,
    grid: { left: 8, right: 48, top: series.length > 1 ? 26 : 4, bottom: 4, containLabel: true },
    tooltip: {
      ...TOOLTIP_STYLE,
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'shadow' },
      formatter: (p) => {
        const items = Array.isArray(p) ? p : [p];
        const row = rows[Number(items[0]?.dataIndex ?? 0)];
        if (!row) return '';
        return h('div', { class: 'tt' },
          h('div', { class: opts.mono ? 'tt-title' : 'tt-title tt-plain' }, row.label),
          series.map((s, i) => h('div', { class: 'tt-row' }, swatch(row.color ?? s.color), h('span', { class: 'tt-name' }, s.name), h('span', { class: 'tt-num' }, fmt(row.values[i] ?? 0)))));
      },
    },
    xAxis: { type: 'value', axisLabel: { color: '#57606a', fontSize: 11, formatter: (v: number) => fmt(v) }, splitLine: { lineStyle: { color: '#eaeef2' } } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => shorten(r.label, opts.labelChars ?? 28)),
      axisTick: { show: false },
      axisLine: { lineStyle: { color: '#d0d7de' } },
      axisLabel: { color: '#1f2328', fontSize: 11, fontFamily: opts.mono ? MONO : FONT },
    },
    series: series.map((s, i) => ({
      type: 'bar' as const,
      name: s.name,
      stack: s.stack,
      barMaxWidth: 18,
      itemStyle: { color: s.color },
      label: { show: series.length === 1, position: 'right' as const, color: '#57606a', fontSize: 11, formatter: (p: { value?: unknown }) => fmt(Number(p.value ?? 0)) },
      data: rows.map((r) => (r.color && series.length === 1 ? { value: r.values[i] ?? 0, itemStyle: { color: r.color } } : r.values[i] ?? 0)),
    })),
  };
}

/** Rows × px: the height a bar chart needs. */
export function barsHeight(rows: number, series: number): number {
  return Math.max(80, rows * (series > 1 ? 30 : 26) + (series > 1 ? 40 : 16));
}
