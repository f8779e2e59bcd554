import type { GraphSeriesOption } from 'echarts/charts';
import type { Trace } from '../../../schemas/index.ts';
import { h } from '../dom.ts';
import { shorten, tlsLabel, TLS_COLOR } from '../format.ts';
import { pathTree, type TreeEdge } from './path-tree.ts';
import { FONT, MONO, TOOLTIP_STYLE, type ChartOption } from './setup.ts';

/** Hosts per column that fit side by side: a label gets what its column leaves. */
const CHAR_PX = 6.8;
const MARGIN = 8;
/** Pixels per leaf of the tree. */
const SLOT_PX = 72;

/**
 * The servers of a trace as a left→right tree (path-tree.ts): every recipient's path merged, a
 * node per (server, queue) so that where recipients part the path forks, a column per step from
 * where the message entered, edges coloured by TLS state; an edge only a Received header claims
 * is dotted (unknown TLS is dashed), so a claim never looks like a logged hand-off. A server that
 * appears as several nodes says its queue under its name.
 * Laid out on hidden cartesian axes so that node boxes keep their pixel size whatever the shape.
 */
export function pathGraphOption(trace: Trace, widthPx: number): ChartOption {
  const tree = pathTree(trace);
  const edges = tree.edges;
  const ingested = new Set(trace.queues.map((q) => q.host));
  const nodesOfHost = new Map<string, number>();
  for (const n of tree.nodes) nodesOfHost.set(n.host, (nodesOfHost.get(n.host) ?? 0) + 1);
  const columnPx = (widthPx - 2 * MARGIN) / tree.columns;
  const maxChars = Math.max(8, Math.min(34, Math.floor((columnPx - 24) / CHAR_PX)));
  const middle = (tree.slots - 1) / 2;
  // echarts ids: plain, whatever the queue ids hold
  const idOf = new Map(tree.nodes.map((n, i) => [n.key, `n${i}`]));
  type Node = NonNullable<GraphSeriesOption['data']>[number] & object;
  const nodes: Node[] = [];
  const nodeTips: (() => HTMLElement)[] = [];
  for (const n of tree.nodes) {
    const mine = ingested.has(n.host);
    // the queue tells two nodes of one server apart
    const label = (nodesOfHost.get(n.host) ?? 0) > 1 && n.queueId ? `${shorten(n.host, maxChars)}\n${shorten(n.queueId, maxChars)}` : shorten(n.host, maxChars);
    // a small dot carries the edges (echarts stops an arrow at the symbol's radius), the host
    // name sits on it as a chip: above, or below for the lower branches, away from their edges
    const y = middle - n.y;
    nodes.push({
      id: idOf.get(n.key),
      name: n.host,
      value: [n.col, y],
      symbol: 'circle',
      symbolSize: 14,
      itemStyle: mine ? { color: '#24292f', borderColor: '#24292f' } : { color: '#ffffff', borderColor: '#8c959f', borderType: 'dashed', borderWidth: 1.5 },
      label: {
        show: true,
        position: y < 0 ? 'bottom' : 'top',
        distance: 7,
        formatter: () => label,
        color: mine ? '#ffffff' : '#424a53',
        backgroundColor: mine ? '#24292f' : '#ffffff',
        borderColor: mine ? '#24292f' : '#8c959f',
        borderWidth: 1,
        borderType: mine ? 'solid' : 'dashed',
        borderRadius: 4,
        padding: [4, 7],
        fontFamily: MONO,
        fontSize: 11,
        lineHeight: 14,
      },
    });
    nodeTips.push(() => nodeTooltip(n.host, mine, n.queueId, n.endsHere));
  }

  // parallel edges between the same two servers (different TLS states) fan out
  const seenPair = new Map<string, number>();
  const links = edges.map((e) => {
    const pair = `${e.from}\u0001${e.to}`;
    const n = seenPair.get(pair) ?? 0;
    seenPair.set(pair, n + 1);
    const color = TLS_COLOR[e.tls];
    return {
      source: idOf.get(e.from) ?? '',
      target: idOf.get(e.to) ?? '',
      lineStyle: { color, opacity: 1, width: e.tls === 'plaintext' ? 2.5 : 2, type: edgeLineType(e), curveness: n === 0 ? 0 : (n % 2 ? 1 : -1) * 0.25 * Math.ceil(n / 2) },
      label: { show: true, formatter: () => edgeLabel(e), color, fontWeight: e.tls === 'plaintext' ? 'bold' as const : 'normal' as const, fontSize: 11, fontFamily: FONT },
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
        const tip = x?.dataType === 'edge' ? edges[i] && (() => edgeTooltip(edges[i])) : nodeTips[i];
        return tip ? tip() : '';
      },
    },
    grid: { left: MARGIN, right: MARGIN, top: 8, bottom: 8 },
    xAxis: { type: 'value', show: false, min: -0.5, max: tree.columns - 0.5 },
    yAxis: { type: 'value', show: false, min: -tree.slots / 2, max: tree.slots / 2 },
    series: [{
      type: 'graph',
      coordinateSystem: 'cartesian2d',
      layout: 'none',
      roam: false,
      draggable: false,
      edgeSymbol: ['none', 'arrow'],
      edgeSymbolSize: [0, 10],
      edgeLabel: { show: true, position: 'insideMiddleBottom', distance: 5 },
      emphasis: { focus: 'adjacency', lineStyle: { width: 4 } },
      data: nodes,
      links,
    }],
  };
}

/** Pixels the graph needs: one band per leaf of the tree. */
export function pathGraphHeight(trace: Trace): number {
  return Math.max(120, pathTree(trace).slots * SLOT_PX + 40);
}

function edgeLineType(e: Pick<TreeEdge, 'tls' | 'headerOnly'>): 'dotted' | 'dashed' | 'solid' {
  if (e.headerOnly) return 'dotted';
  return e.tls === 'unknown' ? 'dashed' : 'solid';
}

function edgeLabel(e: TreeEdge): string {
  if (e.tls !== 'encrypted') return tlsLabel({ tls: e.tls, tlsVersion: '' });
  return [...e.versions].join(' / ') || 'TLS';
}

function edgeTooltip(e: TreeEdge): HTMLElement {
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, `${e.fromHost} → ${e.toHost}`),
    h('div', null, h('span', { class: `tt-tls tt-${e.tls}` }, e.tls), e.versions.size ? ` ${[...e.versions].join(', ')}` : ''),
    e.ciphers.size ? h('div', { class: 'tt-mono' }, [...e.ciphers].join(', ')) : null,
    e.trust.size ? h('div', null, `certificate: ${[...e.trust].join(', ')}`) : null,
    e.headerOnly ? h('div', { class: 'tt-muted' }, 'seen only in a Received header (a claim; no ingested log saw it)') : null,
    h('div', { class: 'tt-muted' }, `${e.recipients.length === 1 ? 'recipient' : 'recipients'}: ${e.recipients.slice(0, 6).join(', ')}${e.recipients.length > 6 ? ` +${e.recipients.length - 6}` : ''}`));
}

function nodeTooltip(host: string, ingested: boolean, queueId: string, endsHere: string[]): HTMLElement {
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, host),
    h('div', { class: 'tt-muted' }, ingested ? 'logs ingested' : 'no logs ingested from this host'),
    queueId ? h('div', { class: 'tt-mono' }, `queue ${queueId}`) : null,
    endsHere.length ? h('div', null, `last host for ${endsHere.slice(0, 6).join(', ')}${endsHere.length > 6 ? ` +${endsHere.length - 6}` : ''}`) : null);
}
