import type { TopologyView } from '../../../schemas/views.ts';
import { fetchHops, fetchView } from '../api.ts';
import { mountChart } from '../charts/setup.ts';
import { EDGE_COLOR, EDGE_LABEL, edgeClass, topologyOption, type EdgeClass } from '../charts/topology.ts';
import { ROLE_ORDER, TOPOLOGY_HEIGHT, topologyLayout, type TopologyEdge } from '../charts/topology-layout.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount } from '../format.ts';
import { navigate } from '../router.ts';
import { hopListTable } from './hop-table.ts';
import { scopeBar } from './scope-bar.ts';
import { chartBox, countCell, foldRows, loadInto, pageHead, table } from './view-kit.ts';
import { apiQuery, fixedScope, hopsHref, scopeFromParams, viewHref, type ViewScope } from './view-scope.ts';

const PANEL_ROWS = 20;

/**
 * `/topology`: the servers and who hands mail to whom. Clicking an edge (or a row of the
 * connections table) lists that pair's hand-offs below, each opening its trace; the pair goes
 * into the URL (`hopFrom`, `hopTo`) so the selection survives a reload. Clicking a server shows
 * only its hand-offs (`host`). Hooks: `.chart-topology`, `section.edge-hops[data-from][data-to]`,
 * `tr.edge-row[data-from][data-to]`, `.topology-legend`.
 */
export function renderTopologyPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  document.title = 'Topology · mailtrace';
  const scope = scopeFromParams(params);
  const query = apiQuery(scope);
  const body = h('div', { class: 'view-body' });
  fill(root,
    pageHead('Topology', 'Servers whose logs are ingested on the inner ring, coloured by role; the peers they exchange mail with outside. Lines are hand-offs, thicker for more, coloured by how much went without TLS.'),
    scopeBar({ scope, query, href: (s) => viewHref('/topology', s), host: true, domain: true }),
    body);
  const selected = params.has('hopFrom') && params.has('hopTo') ? { from: params.get('hopFrom') ?? '', to: params.get('hopTo') ?? '' } : undefined;
  void loadInto(body, 'the topology', () => fetchView('topology', query, signal), signal).then((view) => {
    if (view) draw(body, view, scope, fixedScope(query), selected, signal);
  });
}

function draw(el: HTMLElement, v: TopologyView, scope: ViewScope, fixed: ViewScope, selected: { from: string; to: string } | undefined, signal: AbortSignal): void {
  if (v.edges.length === 0) {
    fill(el, stateBox('empty', 'No hand-offs in this range.', 'Widen the time range or clear the filters.'));
    return;
  }
  const layout = topologyLayout(v);
  const chart = chartBox('chart-topology', TOPOLOGY_HEIGHT);
  const panel = h('section', { class: 'card edge-hops', hidden: true, 'aria-live': 'polite' });
  let running: AbortController | undefined;
  const select = (e: TopologyEdge) => {
    // the pair goes into the URL without redrawing the page: a reload shows the same selection
    history.replaceState(null, '', viewHref('/topology', scope, { hopFrom: e.from, hopTo: e.to }));
    running?.abort();
    running = new AbortController();
    void showEdge(panel, e, fixed, AbortSignal.any([signal, running.signal]));
  };
  const edgeRows = [...v.edges].sort((a, b) => b.handoffs - a.handoffs).map((e) => edgeRow(e, fixed, select));

  fill(el,
    h('section', { class: 'card topology-card' },
      h('div', { class: 'card-head' },
        h('h2', { class: 'card-title' }, `${fmtCount(v.nodes.length)} servers, ${fmtCount(v.edges.length)} connections`),
        legend()),
      chart),
    panel,
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Connections'), h('span', { class: 'muted small' }, 'busiest first · a pair lists its hand-offs')),
      table('topology-edges', [{ label: 'From → To' }, { label: 'Hand-offs', num: true }, { label: 'Encrypted', num: true }, { label: 'Plaintext', num: true }, { label: 'TLS unknown', num: true }], edgeRows),
      foldRows(edgeRows, 25)));

  const ec = mountChart(chart, topologyOption(layout));
  ec.on('click', (p) => {
    if (p.dataType === 'edge') {
      const e = layout.edges[p.dataIndex];
      if (e) select(e);
    } else if (p.dataType === 'node') {
      const n = layout.nodes[p.dataIndex];
      if (n) navigate(viewHref('/topology', { ...scope, host: n.id }));
    }
  });
  const pre = selected && v.edges.find((e) => e.from === selected.from && e.to === selected.to);
  if (pre) void showEdge(panel, pre, fixed, signal);
}

function edgeRow(e: TopologyEdge, fixed: ViewScope, select: (e: TopologyEdge) => void): HTMLTableRowElement {
  const pair = { hopFrom: e.from, hopTo: e.to };
  const link = h('a', { href: hopsHref(fixed, pair), class: 'edge-select', title: 'list the hand-offs of this pair below' },
    h('span', { class: `swatch edge-${edgeClass(e)}` }), h('span', null, e.from), h('span', { class: 'arrow' }, ' → '), h('span', null, e.to));
  link.addEventListener('click', (ev) => {
    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    select(e);
  });
  return h('tr', { class: 'edge-row', 'data-from': e.from, 'data-to': e.to },
    h('td', { class: 'mono hop-path' }, link),
    countCell('handoffs', e.handoffs, hopsHref(fixed, pair)),
    countCell('encrypted', e.encrypted, undefined),
    countCell('plaintext', e.plaintext, hopsHref(fixed, { ...pair, filter: 'plaintext' }), true),
    countCell('unknown', e.unknown, hopsHref(fixed, { ...pair, filter: 'unknown' })));
}

async function showEdge(panel: HTMLElement, e: TopologyEdge, fixed: ViewScope, signal: AbortSignal): Promise<void> {
  panel.hidden = false;
  panel.dataset.from = e.from;
  panel.dataset.to = e.to;
  const pair = { hopFrom: e.from, hopTo: e.to };
  const list = h('div', { class: 'edge-hop-list' });
  fill(panel,
    h('div', { class: 'card-head' },
      h('h2', { class: 'card-title mono' }, `${e.from} → ${e.to}`),
      h('span', { class: 'muted small' }, `${fmtCount(e.handoffs)} hand-offs: ${fmtCount(e.encrypted)} encrypted, ${fmtCount(e.plaintext)} plaintext, ${fmtCount(e.unknown)} unknown`)),
    h('div', { class: 'edge-actions' },
      h('a', { class: 'btn btn-small open-hop-list', href: hopsHref(fixed, pair) }, 'Open as a hop list'),
      e.plaintext > 0 ? h('a', { class: 'btn btn-small', href: hopsHref(fixed, { ...pair, filter: 'plaintext' }) }, `Plaintext only (${fmtCount(e.plaintext)})`) : null),
    list);
  panel.scrollIntoView({ block: 'nearest' });
  const hops = await loadInto(list, 'its hand-offs', () => fetchHops({ ...apiQuery(fixed), ...pair, limit: PANEL_ROWS }, signal), signal);
  if (!hops) return;
  fill(list,
    hops.rows.length ? hopListTable(hops.rows) : stateBox('empty', 'No hand-offs listed.'),
    hops.total > hops.rows.length ? h('p', { class: 'muted small' }, `The newest ${hops.rows.length} of ${fmtCount(hops.total)}: `, h('a', { href: hopsHref(fixed, pair) }, 'see them all')) : null);
}

function legend(): HTMLElement {
  return h('span', { class: 'legend-inline small topology-legend' },
    ROLE_ORDER.map((r) => h('span', null, h('span', { class: `dot role-dot role-${r}` }), r)),
    (Object.keys(EDGE_COLOR) as EdgeClass[]).map((c) => h('span', null, h('span', { class: `swatch edge-${c}` }), EDGE_LABEL[c])));
}
