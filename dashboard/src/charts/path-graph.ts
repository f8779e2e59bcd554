import type { GraphSeriesOption } from 'echarts/charts';
import type { Hop, TlsStatus, Trace } from '../../../schemas/index.ts';
import { h } from '../dom.ts';
import { shorten, tlsLabel, TLS_COLOR } from '../format.ts';
import { FONT, MONO, TOOLTIP_STYLE, type ChartOption } from './setup.ts';

interface Edge {
  from: string;
  to: string;
  tls: TlsStatus;
  /** every hop merged here was seen only in a Received header: a claim no ingested log confirms */
  headerOnly: boolean;
  versions: Set<string>;
  ciphers: Set<string>;
  trust: Set<string>;
  recipients: string[];
}

/** Hosts per column that fit side by side: a label gets what its column leaves. */
const CHAR_PX = 6.8;
const MARGIN = 8;

/**
 * The servers of a trace as a left→right graph: every recipient's path merged, a server's
 * column is its distance from where the message entered, edges coloured by TLS state; an edge
 * only a Received header claims is dotted (unknown TLS is dashed), so a claim never looks like a
 * logged hand-off.
 * Laid out on hidden cartesian axes so that node boxes keep their pixel size whatever the shape.
 */
export function pathGraphOption(trace: Trace, widthPx: number): ChartOption {
  const { edges, rank } = mergePaths(trace);
  const ingested = new Set(trace.queues.map((q) => q.host));
  const queuesOf = new Map<string, string[]>();
  for (const q of trace.queues) queuesOf.set(q.host, [...(queuesOf.get(q.host) ?? []), q.queueId]);
  const endsAt = new Map<string, string[]>();
  for (const r of trace.recipients) if (r.lastHost) endsAt.set(r.lastHost, [...(endsAt.get(r.lastHost) ?? []), `${r.address} (${r.status})`]);

  const columns = new Map<number, string[]>();
  for (const [host, col] of rank) columns.set(col, [...(columns.get(col) ?? []), host]);
  const lastCol = Math.max(0, ...columns.keys());
  const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const columnPx = (widthPx - 2 * MARGIN) / (lastCol + 1);
  const maxChars = Math.max(8, Math.min(34, Math.floor((columnPx - 24) / CHAR_PX)));
  type Node = NonNullable<GraphSeriesOption['data']>[number] & object;
  const nodes: Node[] = [];
  const nodeTips: (() => HTMLElement)[] = [];
  for (const [col, hosts] of columns) {
    hosts.forEach((host, row) => {
      const mine = ingested.has(host);
      const label = shorten(host, maxChars);
      // a small dot carries the edges (echarts stops an arrow at the symbol's radius), the host
      // name sits on it as a chip: above, or below for the lower branches, away from their edges
      const y = (hosts.length - 1) / 2 - row;
      nodes.push({
        name: host,
        value: [col, y],
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
        },
      });
      nodeTips.push(() => nodeTooltip(host, mine, queuesOf.get(host) ?? [], endsAt.get(host) ?? []));
    });
  }

  // parallel edges between the same two servers (different TLS states) fan out
  const seenPair = new Map<string, number>();
  const links = edges.map((e) => {
    const pair = `${e.from}\u0000${e.to}`;
    const n = seenPair.get(pair) ?? 0;
    seenPair.set(pair, n + 1);
    const color = TLS_COLOR[e.tls];
    return {
      source: e.from,
      target: e.to,
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
    xAxis: { type: 'value', show: false, min: -0.5, max: lastCol + 0.5 },
    yAxis: { type: 'value', show: false, min: -tallest / 2, max: tallest / 2 },
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

/** Pixels the graph needs: one band per server in its busiest column. */
export function pathGraphHeight(trace: Trace): number {
  const perColumn = new Map<number, number>();
  for (const col of mergePaths(trace).rank.values()) perColumn.set(col, (perColumn.get(col) ?? 0) + 1);
  return Math.max(120, Math.max(1, ...perColumn.values()) * 72 + 40);
}

function mergePaths(trace: Trace): { edges: Edge[]; rank: Map<string, number> } {
  const rank = new Map<string, number>();
  const byKey = new Map<string, Edge>();
  for (const r of trace.recipients) {
    for (const hop of r.hops) {
      // first placement wins: a later loop back (content filters re-injecting) keeps the column
      if (!rank.has(hop.from)) rank.set(hop.from, 0);
      if (!rank.has(hop.to)) rank.set(hop.to, (rank.get(hop.from) ?? 0) + 1);
      // a header's claim and a logged hand-off between the same servers stay two edges
      const headerOnly = hop.provenance === 'header';
      const key = `${hop.from}\u0000${hop.to}\u0000${hop.tls}\u0000${headerOnly}`;
      const e = byKey.get(key) ?? { from: hop.from, to: hop.to, tls: hop.tls, headerOnly, versions: new Set(), ciphers: new Set(), trust: new Set(), recipients: [] };
      addTls(e, hop);
      if (!e.recipients.includes(r.address)) e.recipients.push(r.address);
      byKey.set(key, e);
    }
  }
  return { edges: [...byKey.values()], rank };
}

function addTls(e: Edge, hop: Hop): void {
  if (hop.tlsVersion) e.versions.add(hop.tlsVersion);
  if (hop.cipher) e.ciphers.add(hop.cipher);
  if (hop.tlsTrust) e.trust.add(hop.tlsTrust);
}

function edgeLineType(e: Pick<Edge, 'tls' | 'headerOnly'>): 'dotted' | 'dashed' | 'solid' {
  if (e.headerOnly) return 'dotted';
  return e.tls === 'unknown' ? 'dashed' : 'solid';
}

function edgeLabel(e: Edge): string {
  if (e.tls !== 'encrypted') return tlsLabel({ tls: e.tls, tlsVersion: '' });
  return [...e.versions].join(' / ') || 'TLS';
}

function edgeTooltip(e: Edge): HTMLElement {
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, `${e.from} → ${e.to}`),
    h('div', null, h('span', { class: `tt-tls tt-${e.tls}` }, e.tls), e.versions.size ? ` ${[...e.versions].join(', ')}` : ''),
    e.ciphers.size ? h('div', { class: 'tt-mono' }, [...e.ciphers].join(', ')) : null,
    e.trust.size ? h('div', null, `certificate: ${[...e.trust].join(', ')}`) : null,
    e.headerOnly ? h('div', { class: 'tt-muted' }, 'seen only in a Received header (a claim; no ingested log saw it)') : null,
    h('div', { class: 'tt-muted' }, `${e.recipients.length === 1 ? 'recipient' : 'recipients'}: ${e.recipients.slice(0, 6).join(', ')}${e.recipients.length > 6 ? ` +${e.recipients.length - 6}` : ''}`));
}

function nodeTooltip(host: string, ingested: boolean, queues: string[], endsHere: string[]): HTMLElement {
  return h('div', { class: 'tt' },
    h('div', { class: 'tt-title' }, host),
    h('div', { class: 'tt-muted' }, ingested ? 'logs ingested' : 'no logs ingested from this host'),
    queues.length ? h('div', { class: 'tt-mono' }, `queue ${queues.join(', ')}`) : null,
    endsHere.length ? h('div', null, `last host for ${endsHere.slice(0, 6).join(', ')}${endsHere.length > 6 ? ` +${endsHere.length - 6}` : ''}`) : null);
}
