import type { OverviewView } from '../../../schemas/views.ts';
import { fetchView } from '../api.ts';
import { barsHeight, barsOption } from '../charts/bars.ts';
import { bucketWord, fillBuckets, seriesOption } from '../charts/series.ts';
import { mountChart } from '../charts/setup.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, STATUS_COLOR, STATUS_ORDER, TLS_COLOR, TLS_ORDER } from '../format.ts';
import { scopeBar } from './scope-bar.ts';
import { card, chartBox, loadInto, pageHead, pct, statCard } from './view-kit.ts';
import { apiQuery, fixedScope, hopsHref, scopeFromParams, viewHref, type ViewScope } from './view-scope.ts';

/**
 * `/overview`: how much mail, how it ended and how much of it travelled encrypted, over the
 * range in the URL. Hand-offs are counted once however many recipients crossed them; hops only a
 * Received header claims are left out (the API's rule). Hooks: `[data-stat=…] .stat-value`,
 * `li.outcome[data-status] .bar-num`, `.chart-volume`, `.chart-outcome`, `.chart-tls-share`.
 */
export function renderOverviewPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  document.title = 'Overview · mailtrace';
  const scope = scopeFromParams(params);
  const query = apiQuery(scope);
  const body = h('div', { class: 'view-body' });
  fill(root,
    pageHead('Overview', 'Mail volume, how delivery ended, and how much of it travelled encrypted.'),
    scopeBar({ scope, query, href: (s) => viewHref('/overview', s), host: true, domain: true }),
    body);
  void loadInto(body, 'the overview', () => fetchView('overview', query, signal), signal).then((view) => {
    if (view) draw(body, view, fixedScope(query));
  });
}

function draw(el: HTMLElement, v: OverviewView, scope: ViewScope): void {
  const messages = v.volume.reduce((a, b) => a + b.messages, 0);
  const recipients = v.volume.reduce((a, b) => a + b.recipients, 0);
  const tls = { encrypted: 0, plaintext: 0, unknown: 0 };
  for (const b of v.tls) for (const k of TLS_ORDER) tls[k] += b[k];
  const handoffs = tls.encrypted + tls.plaintext + tls.unknown;
  if (messages === 0 && handoffs === 0) {
    fill(el, stateBox('empty', 'No mail in this range.', 'Widen the time range or clear the filters; the Ingestion page shows what has been read.'));
    return;
  }
  const outcomeTotal = STATUS_ORDER.reduce((a, s) => a + (v.outcome[s] ?? 0), 0);
  const volume = fillBuckets(v.volume, v.bucketSeconds, (t) => ({ t, messages: 0, recipients: 0 }));
  const share = fillBuckets(v.tls, v.bucketSeconds, (t) => ({ t, encrypted: 0, plaintext: 0, unknown: 0 }));
  const volumeChart = chartBox('chart-volume', 240);
  const outcomeChart = chartBox('chart-outcome', barsHeight(STATUS_ORDER.length, 1));
  const shareChart = chartBox('chart-tls-share', 240);
  const searchRange = (s: string) => {
    const p = new URLSearchParams({ status: s });
    // the search form's times have no zone (UTC)
    if (scope.from) p.set('from', scope.from.slice(0, 19));
    if (scope.to) p.set('to', scope.to.slice(0, 19));
    return `/?${p.toString()}`;
  };

  fill(el,
    h('div', { class: 'stat-row' },
      statCard('messages', 'Messages', messages, { foot: `${fmtCount(recipients)} recipients` }),
      statCard('handoffs', 'Hand-offs', handoffs, { href: hopsHref(scope, {}), foot: `${pct(tls.encrypted, handoffs)} encrypted` }),
      statCard('plaintext', 'Plaintext hand-offs', tls.plaintext, { href: tls.plaintext ? hopsHref(scope, { filter: 'plaintext' }) : undefined, alert: tls.plaintext > 0, foot: pct(tls.plaintext, handoffs) }),
      statCard('unknown', 'TLS unknown', tls.unknown, { href: tls.unknown ? hopsHref(scope, { filter: 'unknown' }) : undefined, foot: `${pct(tls.unknown, handoffs)}: no log line says` })),
    h('div', { class: 'chart-grid' },
      card('Volume', `per ${bucketWord(v.bucketSeconds)}, UTC`, volumeChart),
      card('Delivery outcome', `${fmtCount(outcomeTotal)} recipients`, outcomeChart,
        h('ul', { class: 'bars outcome-list' }, STATUS_ORDER.map((s) => h('li', { class: 'outcome', 'data-status': s },
          h('a', { href: searchRange(s), class: 'bar-link', title: `search messages with status ${s}` },
            h('span', { class: `dot status-${s}` }), h('span', { class: 'bar-name' }, s), h('span', { class: 'bar-num' }, fmtCount(v.outcome[s] ?? 0))),
          h('span', { class: 'muted small legend-pct' }, pct(v.outcome[s] ?? 0, outcomeTotal))))))),
    card('Hand-offs by TLS', 'share of each bucket; hover for counts', shareChart));

  mountChart(volumeChart, seriesOption(volume.map((b) => b.t), v.bucketSeconds, [
    { name: 'messages', color: '#0969da', values: volume.map((b) => b.messages) },
    { name: 'recipients', color: '#8c959f', values: volume.map((b) => b.recipients), type: 'line' },
  ]));
  mountChart(outcomeChart, barsOption(STATUS_ORDER.map((s) => ({ label: s, values: [v.outcome[s] ?? 0], color: STATUS_COLOR[s] })), [{ name: 'recipients', color: STATUS_COLOR.delivered }]));
  mountChart(shareChart, seriesOption(share.map((b) => b.t), v.bucketSeconds,
    TLS_ORDER.map((k) => ({ name: k, color: TLS_COLOR[k], values: share.map((b) => b[k]), stack: 'tls' })), { percent: true }));
}
