import type { GraphSeriesOption } from 'echarts/charts';
import { h } from '../dom.ts';
import { fmtCount, shorten, TLS_COLOR } from '../format.ts';
import { FONT, MONO, TOOLTIP_STYLE, type ChartOption } from './setup.ts';
import { EXTENT, type PlacedNode, type TopologyEdge, type TopologyLayout } from './topology-layout.ts';

/** Kept in step with the .role-* swatches in views.css. */
export const ROLE_COLOR: Record<string, string> = { edge: '#0969da', frontend: '#1b7c83', hub: '#8250df', server: '#24292f', mailbox: '#bf3989', external: '#ffffff' };

/** An edge's colour says how much of its mail went without TLS. */
export type EdgeClass = 'encrypted' | 'some-plaintext' | 'mostly-plaintext' | 'unknown';
export const EDGE_COLOR: Record<EdgeClass, string> = { encrypted: TLS_COLOR.encrypted, 'some-plaintext': '#d18616', 'mostly-plaintext': TLS_COLOR.plaintext, unknown: TLS_COLOR.unknown };
export const EDGE_LABEL: Record<EdgeClass, string> = { encrypted: 'all encrypted', 'some-plaintext': 'some plaintext', 'mostly-plaintext': 'half or more plaintext', unknown: 'TLS mostly unknown' };

export function edgeClass(e: Pick<TopologyEdge, 'handoffs' | 'encrypted' | 'plaintext' | 'unknown'>): EdgeClass {
  if (e.plaintext > 0) return e.plaintext * 2 >= e.handoffs ? 'mostly-plaintext' : 'some-plaintext';
  return e.unknown > e.encrypted ? 'unknown' : 'encrypted';
}

/**
 * The servers as a graph on hidden axes (positions from topology-layout.ts): nodes coloured by
 * role and sized by hand-offs, external peers as dashed outlines; edges sized by hand-offs and
 * coloured by their plaintext share. Tooltips are DOM.
 */
export function topologyOption(layout: TopologyLayout): ChartOption {
  const maxInner = Math.max(1, ...layout.nodes.filter((n) => n.inner).map((n) => n.handoffs));
  const maxOuter = Math.max(1, ...layout.nodes.filter((n) => !n.inner).map((n) => n.handoffs));
  const maxEdge = Math.max(1, ...layout.edges.map((e) => e.handoffs));
  type Node = NonNullable<GraphSeriesOption['data']>[number] & object;
  const nodes: Node[] = layout.nodes.map((n) => {
    const external = !n.inner;
    const size = external ? 5 + 9 * Math.sqrt(n.handoffs / maxOuter) : 16 + 18 * Math.sqrt(n.handoffs / maxInner);
    return {
      id: n.id,
      name: n.id,
      value: [n.x, n.y],
      symbol: 'circle',
      symbolSize: size,
      itemStyle: external
        ? { color: '#ffffff', borderColor: '#8c959f', borderType: 'dashed', borderWidth: 1.2 }
        : { color: ROLE_COLOR[n.role] ?? ROLE_COLOR.server, borderColor: '#ffffff', borderWidth: n.selfLoop ? 3 : 1.5 },
      label: {
        // every label is asked for; those that would overlap a bigger node's are hidden (labelLayout)
        show: true,
        position: labelSide(n),
        distance: 5,
        formatter: () => (n.selfLoop ? `${shorten(n.id, 28)} ↻${fmtCount(n.selfLoop)}` : shorten(n.id, external ? 24 : 28)),
        color: external ? '#57606a' : '#1f2328',
        fontFamily: MONO,
        fontSize: external ? 10 : 11,
        fontWeight: external ? 'normal' : 'bold',
        backgroundColor: external ? undefined : 'rgba(255,255,255,0.85)',
        padding: external ? 0 : [1, 3],
        borderRadius: 3,
      },
    };
  });
  const links = layout.edges.map((e) => {
    const cls = edgeClass(e);
    return {
      source: e.from,
      target: e.to,
      // the peers' fan stays behind the servers' own hand-offs
      lineStyle: { color: EDGE_COLOR[cls], width: 1 + 6 * Math.sqrt(e.handoffs / maxEdge), opacity: e.internal ? 0.95 : 0.55, curveness: e.curveness },
    };
  });
  return {
    animation: false,
    textStyle: { fontFamily: FONT },
    tooltip: {
      ...TOOLTIP_STYLE,
      trigger: 'item',
      confine: true,
      formatter: (p) => {
        const x = Array.isArray(p) ? p[0] : p;
        const i = Number(x?.dataIndex ?? -1);
        if (x?.dataType === 'edge') return layout.edges[i] ? edgeTooltip(layout.edges[i]) : '';
        return layout.nodes[i] ? nodeTooltip(layout.nodes[i]) : '';
      },
    },
    grid: { left: 0, right: 0, top: 0, bottom: 0 },
    xAxis: { type: 'value', show: false, min: -EXTENT.x, max: EXTENT.x },
    yAxis: { type: 'value', show: false, min: -EXTENT.y, max: EXTENT.y },
    series: [{
      type: 'graph',
      coordinateSystem: 'cartesian2d',
      layout: 'none',
      roam: false,
      draggable: false,
      edgeSymbol: ['none', 'arrow'],
      edgeSymbolSize: [0, 7],
      labelLayout: { hideOverlap: true },
      emphasis: { focus: 'adjacency', lineStyle: { width: 5, opacity: 1 } },
      blur: { itemStyle: { opacity: 0.25 }, lineStyle: { opacity: 0.12 } },
      data: nodes,
      links,
    }],
  };
}

function labelSide(n: PlacedNode): 'left' | 'right' | 'top' | 'bottom' {
  if (n.inner) return n.y > 0.05 ? 'top' : 'bottom';
  const c = Math.cos(n.angle);
  if (Math.abs(c) > 0.45) return c > 0 ? 'right' : 'left';
  return Math.sin(n.angle) > 0 ? 'top' : 'bottom';
}

function edgeTooltip(e: TopologyEdge): HTMLElement {
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, `${e.from} → ${e.to}`),
    h('div', null, `${fmtCount(e.handoffs)} hand-offs`),
    h('div', null, h('span', { class: 'tt-tls tt-encrypted' }, `${fmtCount(e.encrypted)} encrypted`), ' · ',
      h('span', { class: 'tt-tls tt-plaintext' }, `${fmtCount(e.plaintext)} plaintext`), ' · ',
      h('span', { class: 'tt-tls tt-unknown' }, `${fmtCount(e.unknown)} unknown`)),
    h('div', { class: 'tt-muted' }, 'click to list its hand-offs'));
}

function nodeTooltip(n: PlacedNode): HTMLElement {
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, n.id),
    h('div', null, `role: ${n.role}${n.inner ? '' : ' (no logs ingested from it)'}`),
    h('div', null, `${fmtCount(n.handoffs)} hand-offs in or out`),
    n.selfLoop ? h('div', null, `${fmtCount(n.selfLoop)} hand-offs to itself (its own transport)`) : null,
    h('div', { class: 'tt-muted' }, 'click to show only this server\'s hand-offs'));
}
