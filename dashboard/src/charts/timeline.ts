import type { Hop, Trace } from '../../../schemas/index.ts';
import { h } from '../dom.ts';
import { fmtClock, fmtDuration, shorten, tlsLabel, TLS_COLOR } from '../format.ts';
import { FONT, MONO, TOOLTIP_STYLE, type ChartOption } from './setup.ts';

export interface TimelineRow {
  hop: Hop;
  start: number;
  end: number;
}

/** Every distinct hop of a trace (recipients that travelled together share theirs), in time order. */
export function timelineRows(trace: Trace): TimelineRow[] {
  const seen = new Map<string, TimelineRow>();
  for (const r of trace.recipients) {
    for (const hop of r.hops) {
      const key = [hop.from, hop.to, hop.start, hop.end, hop.tls, hop.fromQueueId, hop.toQueueId].join('\u0000');
      if (seen.has(key)) continue;
      const s = Date.parse(hop.start);
      const e = Date.parse(hop.end);
      // a hop with only one known end is drawn as a point at that end
      const start = Number.isNaN(s) ? e : s;
      const end = Number.isNaN(e) ? s : e;
      if (Number.isNaN(start)) continue;
      seen.set(key, { hop, start, end: Math.max(start, end) });
    }
  }
  return [...seen.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}

export const TIMELINE_ROW_PX = 30;

/** Gantt-style bars, one row per hop from its start to its end, coloured by TLS state. */
export function timelineOption(rows: TimelineRow[]): ChartOption {
  const min = Math.min(...rows.map((r) => r.start));
  const max = Math.max(...rows.map((r) => r.end));
  const span = max - min;
  const pad = Math.max(span * 0.04, 100);
  const day = new Date(min).toISOString().slice(0, 10);
  const withMs = span < 60_000;
  return {
    animation: false,
    useUTC: true,
    textStyle: { fontFamily: FONT },
    grid: { left: 8, right: 24, top: 8, bottom: 24, containLabel: true },
    tooltip: { ...TOOLTIP_STYLE, trigger: 'item', confine: true },
    xAxis: {
      type: 'time',
      min: min - pad,
      max: max + pad,
      axisLabel: { color: '#57606a', fontSize: 11, hideOverlap: true, formatter: (v: number) => { const s = new Date(v).toISOString(); return withMs ? s.slice(11, 23) : s.slice(11, 19); } },
      splitLine: { show: true, lineStyle: { color: '#eaeef2' } },
      axisLine: { lineStyle: { color: '#d0d7de' } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r, i) => `${i + 1}  ${shorten(r.hop.from, 22)} → ${shorten(r.hop.to, 22)}`),
      axisTick: { show: false },
      axisLine: { lineStyle: { color: '#d0d7de' } },
      axisLabel: { color: '#1f2328', fontFamily: MONO, fontSize: 11 },
    },
    series: [{
      type: 'custom',
      encode: { x: [1, 2], y: 0 },
      data: rows.map((r, i) => [i, r.start, r.end]),
      renderItem: (_params, api) => {
        const i = Number(api.value(0));
        const row = rows[i];
        const a = api.coord([api.value(1), i]);
        const b = api.coord([api.value(2), i]);
        const size = api.size?.([0, 1]);
        const height = Math.min(16, (Array.isArray(size) ? size[1] : 20) * 0.55);
        const width = Math.max(b[0] - a[0], 4); // an instant hand-over still shows
        return { type: 'rect', shape: { x: a[0], y: a[1] - height / 2, width, height, r: 2 }, style: { fill: TLS_COLOR[row.hop.tls] } };
      },
      tooltip: { formatter: (p) => { const x = Array.isArray(p) ? p[0] : p; return rowTooltip(rows[Number(x?.dataIndex ?? 0)], day); } },
    }],
  };
}

function rowTooltip(row: TimelineRow, day: string): HTMLElement {
  const { hop } = row;
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, `${hop.from} → ${hop.to}`),
    h('div', null, h('span', { class: `tt-tls tt-${hop.tls}` }, tlsLabel(hop))),
    h('div', { class: 'tt-mono' }, `${fmtClock(hop.start, day)} → ${fmtClock(hop.end, day)}`),
    h('div', null, `took ${fmtDuration(row.end - row.start)}`));
}
