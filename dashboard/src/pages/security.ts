import type { HopFilter, SecurityRow, SecurityView } from '../../../schemas/views.ts';
import { fetchView } from '../api.ts';
import { bucketWord, fillBuckets, seriesOption } from '../charts/series.ts';
import { mountChart } from '../charts/setup.ts';
import { fill, h, stateBox } from '../dom.ts';
import { FINDING_COLOR, fmtCount, fmtDateTime } from '../format.ts';
import { renderConnectorCard } from './connector-card.ts';
import { renderPolicyCard } from './policy-card.ts';
import { scopeBar } from './scope-bar.ts';
import { card, chartBox, countCell, foldRows, loadInto, pageHead, pct, statCard, table } from './view-kit.ts';
import { apiQuery, fixedScope, hopsHref, scopeFromParams, viewHref, type ViewScope } from './view-scope.ts';

/**
 * `/security`: hand-offs without TLS, with TLS below 1.2, with a certificate not verified, and
 * with no TLS state logged — in total, per server pair, per recipient domain and over time — and
 * the peers seen in plaintext for the first time. Every non-zero count links to the hop list
 * behind it (`/hops`), whose rows open the traces: any plaintext hop is three clicks away. Below,
 * the same findings per connector (connector-card.ts), and the TLS policy's findings in the same
 * range and its open incidents (policy-card.ts).
 * Hooks: `[data-stat=…] .stat-value`, `a.all-plaintext`, `tr.pair-row[data-from][data-to]`,
 * `tr.domain-row[data-domain]`, `td[data-col=…] a.count-link`, `li.new-peer`.
 */
export function renderSecurityPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  document.title = 'Security · mailtrace';
  const scope = scopeFromParams(params);
  const query = apiQuery(scope);
  const body = h('div', { class: 'view-body' });
  const connectors = h('div', { class: 'view-body connector-body' });
  const policy = h('div', { class: 'view-body policy-body' });
  fill(root,
    pageHead('Security', 'Where mail travelled without TLS, with weak TLS (below 1.2) or with a certificate nobody verified. Hops only a Received header claims are not counted.'),
    scopeBar({ scope, query, href: (s) => viewHref('/security', s), host: true, domain: true }),
    body, connectors, policy);
  renderConnectorCard(connectors, query, signal);
  renderPolicyCard(policy, query, signal);
  void loadInto(body, 'the security view', () => fetchView('security', query, signal), signal).then((view) => {
    if (view) draw(body, view, fixedScope(query));
  });
}

const COUNTS: { key: Exclude<HopFilter, 'all'>; col: 'plaintext' | 'weakTls' | 'unverified' | 'unknown'; label: string; title: string }[] = [
  { key: 'plaintext', col: 'plaintext', label: 'Plaintext', title: 'hand-offs without TLS' },
  { key: 'weak-tls', col: 'weakTls', label: 'Weak TLS', title: 'encrypted with SSL, TLS 1.0 or TLS 1.1' },
  { key: 'unverified', col: 'unverified', label: 'Unverified cert.', title: 'encrypted, but the peer certificate was not verified (none, anonymous or untrusted)' },
  { key: 'unknown', col: 'unknown', label: 'TLS unknown', title: 'no log line says whether TLS was used' },
];

function draw(el: HTMLElement, v: SecurityView, scope: ViewScope): void {
  const t = v.totals;
  if (t.handoffs === 0) {
    fill(el, stateBox('empty', 'No hand-offs in this range.', 'Widen the time range or clear the filters.'));
    return;
  }
  const overTime = fillBuckets(v.overTime, v.bucketSeconds, (time) => ({ t: time, plaintext: 0, weakTls: 0, unverified: 0 }));
  const chart = chartBox('chart-security', 220);
  const pairRows = v.byPair.map((r) => pairRow(r, scope));
  // every pair with a plaintext hand-off stays in view: each is one click from its hops
  const shownPairs = Math.max(25, v.byPair.filter((r) => r.plaintext > 0).length);
  const domainRows = v.byDomain.map((r) => domainRow(r, scope));

  fill(el,
    h('div', { class: 'stat-row stat-row-5' },
      statCard('handoffs', 'Hand-offs', t.handoffs, { href: hopsHref(scope, {}), foot: 'each counted once' }),
      statCard('plaintext', 'Plaintext', t.plaintext, {
        href: t.plaintext ? hopsHref(scope, { filter: 'plaintext' }) : undefined, alert: t.plaintext > 0,
        foot: t.plaintext ? [`${pct(t.plaintext, t.handoffs)} · `, h('a', { href: hopsHref(scope, { filter: 'plaintext' }), class: 'all-plaintext' }, 'all plaintext hops →')] : 'none',
      }),
      statCard('weakTls', 'Weak TLS (< 1.2)', t.weakTls, { href: t.weakTls ? hopsHref(scope, { filter: 'weak-tls' }) : undefined, foot: pct(t.weakTls, t.handoffs) }),
      statCard('unverified', 'Unverified certificate', t.unverified, { href: t.unverified ? hopsHref(scope, { filter: 'unverified' }) : undefined, foot: pct(t.unverified, t.handoffs) }),
      statCard('unknown', 'TLS unknown', t.unknown, { href: t.unknown ? hopsHref(scope, { filter: 'unknown' }) : undefined, foot: `${pct(t.unknown, t.handoffs)}: not logged` })),
    card('Findings over time', `per ${bucketWord(v.bucketSeconds)}, UTC`, chart),
    card('By server pair', `${fmtCount(v.byPair.length)} pairs · a count opens its hops`,
      table('security-pairs', columns('Server pair'), pairRows), foldRows(pairRows, shownPairs)),
    h('div', { class: 'chart-grid' },
      card('By recipient domain', 'a hand-off carrying two domains counts under both',
        table('security-domains', columns('Recipient domain').slice(0, 6), domainRows), foldRows(domainRows, 15)),
      newPeers(v, scope)));

  mountChart(chart, seriesOption(overTime.map((b) => b.t), v.bucketSeconds, [
    { name: 'plaintext', color: FINDING_COLOR.plaintext, values: overTime.map((b) => b.plaintext), type: 'line' },
    { name: 'weak TLS', color: FINDING_COLOR.weakTls, values: overTime.map((b) => b.weakTls), type: 'line' },
    { name: 'unverified certificate', color: FINDING_COLOR.unverified, values: overTime.map((b) => b.unverified), type: 'line' },
  ]));
}

function columns(first: string): { label: string; num?: boolean; title?: string }[] {
  return [
    { label: first },
    { label: 'Hand-offs', num: true },
    ...COUNTS.map((c) => ({ label: c.label, num: true, title: c.title })),
    { label: 'Plaintext seen (UTC)', title: 'first and last plaintext hand-off in the range' },
  ];
}

function pairRow(r: SecurityRow, scope: ViewScope): HTMLTableRowElement {
  const pair = { hopFrom: r.from, hopTo: r.to };
  return h('tr', { class: `pair-row${r.plaintext > 0 ? ' row-alert' : ''}`, 'data-from': r.from, 'data-to': r.to, 'data-plaintext': r.plaintext },
    h('td', { class: 'mono hop-path' }, h('span', null, r.from || '(unnamed)'), h('span', { class: 'arrow' }, ' → '), h('span', null, r.to || '(unnamed)')),
    countCell('handoffs', r.handoffs, hopsHref(scope, pair)),
    COUNTS.map((c) => countCell(c.col, r[c.col], hopsHref(scope, { ...pair, filter: c.key }), c.key === 'plaintext')),
    h('td', { class: 'mono small nowrap' }, r.plaintext > 0 ? seen(r) : ''));
}

/** A domain's counts open the hop list narrowed to that domain (each hand-off once, as counted here). */
function domainRow(r: SecurityRow, scope: ViewScope): HTMLTableRowElement {
  const s = { ...scope, domain: r.key };
  return h('tr', { class: 'domain-row', 'data-domain': r.key },
    h('td', { class: 'mono' }, h('a', { href: viewHref('/security', s), title: `the Security page for ${r.key} only` }, r.key)),
    countCell('handoffs', r.handoffs, hopsHref(s, {})),
    COUNTS.map((c) => countCell(c.col, r[c.col], hopsHref(s, { filter: c.key }), c.key === 'plaintext')));
}

function seen(r: SecurityRow): string {
  const a = fmtDateTime(r.firstPlaintext);
  const b = fmtDateTime(r.lastPlaintext);
  return a === b ? a : `${a} → ${b.slice(a.slice(0, 10) === b.slice(0, 10) ? 11 : 0)}`;
}

function newPeers(v: SecurityView, scope: ViewScope): HTMLElement {
  return card('New plaintext peers', 'first plaintext hand-off ever stored falls in this range',
    v.newPlaintextPeers.length === 0
      ? stateBox('empty', 'No new plaintext peers.', 'Every server seen in plaintext here was seen so before.')
      : h('ul', { class: 'plain-list new-peers' }, v.newPlaintextPeers.map((p) => h('li', { class: 'new-peer', 'data-peer': p.peer },
        h('a', { class: 'mono', href: hopsHref({ ...scope, host: p.peer }, { filter: 'plaintext' }) }, p.peer),
        h('span', { class: 'muted small' }, ` since ${fmtDateTime(p.firstPlaintext)} UTC · ${fmtCount(p.handoffs)} plaintext`)))));
}
