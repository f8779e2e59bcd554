import type { DeliveryView } from '../../../schemas/views.ts';
import { fetchView } from '../api.ts';
import { barsHeight, barsOption } from '../charts/bars.ts';
import { mountChart } from '../charts/setup.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, fmtDateTime, fmtDuration } from '../format.ts';
import { traceHref } from '../router.ts';
import { scopeBar } from './scope-bar.ts';
import { card, chartBox, foldRows, loadInto, pageHead, statCard, table } from './view-kit.ts';
import { apiQuery, fixedScope, hopsHref, scopeFromParams, viewHref, type ViewScope } from './view-scope.ts';

const CHART_ROUTES = 12;

/**
 * `/delivery`: why mail was deferred, bounced or refused (replies grouped with their ids and
 * addresses masked, each with a sample trace), how long each route's hand-offs took, and how long
 * messages took end to end. Hooks: `tr.reason-row[data-status]`, `a.sample-trace`,
 * `tr.latency-row[data-from][data-to]`, `[data-stat=…] .stat-value`.
 */
export function renderDeliveryPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  document.title = 'Delivery · mailtrace';
  const scope = scopeFromParams(params);
  const query = apiQuery(scope);
  const body = h('div', { class: 'view-body' });
  fill(root,
    pageHead('Delivery', 'Deferrals, bounces and refusals by reason; hand-off latency per route; time in transit end to end.'),
    scopeBar({ scope, query, href: (s) => viewHref('/delivery', s), host: true, domain: true }),
    body);
  void loadInto(body, 'the delivery view', () => fetchView('delivery', query, signal), signal).then((view) => {
    if (view) draw(body, view, fixedScope(query));
  });
}

const secs = (s: number) => fmtDuration(s * 1000);

function draw(el: HTMLElement, v: DeliveryView, scope: ViewScope): void {
  const by = (status: string) => v.reasons.filter((r) => r.status === status).reduce((a, r) => a + r.recipients, 0);
  const routes = v.latency.slice(0, CHART_ROUTES);
  const chart = chartBox('chart-latency', barsHeight(routes.length, 2));
  const latencyRows = v.latency.map((l) => h('tr', { class: 'latency-row', 'data-from': l.from, 'data-to': l.to },
    h('td', { class: 'mono hop-path' }, h('a', { href: hopsHref(scope, { hopFrom: l.from, hopTo: l.to }), title: 'the hand-offs of this route' },
      h('span', null, l.from), h('span', { class: 'arrow' }, ' → '), h('span', null, l.to))),
    h('td', { class: 'num' }, fmtCount(l.handoffs)),
    h('td', { class: 'num', 'data-col': 'p50' }, secs(l.p50)),
    h('td', { class: 'num', 'data-col': 'p95' }, secs(l.p95)),
    h('td', { class: 'num', 'data-col': 'max' }, secs(l.max))));
  const reasonRows = v.reasons.map((r) => h('tr', { class: 'reason-row', 'data-status': r.status },
    h('td', null, h('span', { class: `badge status-${r.status}` }, r.status)),
    h('td', { class: 'mono nowrap' }, r.dsn || h('span', { class: 'muted' }, '—')),
    h('td', null, h('code', { class: 'excerpt reason-text' }, r.reason || '(no reply text)')),
    h('td', { class: 'num', 'data-col': 'recipients' }, fmtCount(r.recipients)),
    h('td', { class: 'mono small nowrap' }, fmtDateTime(r.lastSeen)),
    h('td', null, r.sampleTraceId ? h('a', { class: 'sample-trace', href: traceHref(r.sampleTraceId), title: r.sampleTraceId }, 'sample trace') : h('span', { class: 'muted' }, '—'))));

  fill(el,
    h('div', { class: 'stat-row' },
      statCard('messages', 'Messages', v.endToEnd.messages, { foot: 'first seen → last seen' }),
      statCard('p50', 'End to end, median', secs(v.endToEnd.p50), { foot: 'half the messages took less' }),
      statCard('p95', 'End to end, p95', secs(v.endToEnd.p95), { foot: '1 in 20 took longer' }),
      statCard('problems', 'Not delivered', by('deferred') + by('bounced') + by('rejected'),
        { foot: `${fmtCount(by('deferred'))} deferred · ${fmtCount(by('bounced'))} bounced · ${fmtCount(by('rejected'))} refused` })),
    card('Why mail was not delivered', 'replies grouped; ids, addresses and IP addresses masked',
      v.reasons.length === 0 ? stateBox('empty', 'Every recipient in this range was delivered.')
        : [table('delivery-reasons', [{ label: 'Status' }, { label: 'DSN' }, { label: 'Reason' }, { label: 'Recipients', num: true }, { label: 'Last seen (UTC)' }, { label: 'Example' }], reasonRows),
          foldRows(reasonRows, 20)]),
    card('Hand-off latency per route', 'each hand-off from its start to its end; the busiest routes',
      v.latency.length === 0 ? stateBox('empty', 'No timed hand-offs in this range.') : [
        chart,
        table('delivery-latency', [{ label: 'Route' }, { label: 'Hand-offs', num: true }, { label: 'p50', num: true }, { label: 'p95', num: true }, { label: 'max', num: true }], latencyRows),
        foldRows(latencyRows, 15)]));

  if (routes.length) {
    mountChart(chart, barsOption(routes.map((l) => ({ label: `${l.from} → ${l.to}`, values: [l.p50, l.p95] })),
      [{ name: 'p50', color: '#0969da' }, { name: 'p95', color: '#8250df' }], { mono: true, unit: secs, labelChars: 40 }));
  }
}
