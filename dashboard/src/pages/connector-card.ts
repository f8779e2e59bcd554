import type { ConnectorsView, ViewQuery } from '../../../schemas/views.ts';
import { fetchConnectors } from '../api.ts';
import { fill, h } from '../dom.ts';
import { fmtCount, fmtDateTime } from '../format.ts';
import { card, foldRows, loadInto, table } from './view-kit.ts';

/**
 * The Security page's findings per connector (GET /api/views/connectors): every hand-off under
 * the connector (Exchange) or service (Postfix) that sent it and the one that received it, where
 * that end's log is held. Hooks: `tr.connector-row[data-server][data-connector][data-side]`,
 * `td[data-col=…]`.
 */
export function renderConnectorCard(el: HTMLElement, query: ViewQuery, signal: AbortSignal): void {
  void loadInto(el, 'the connectors', () => fetchConnectors(query, signal), signal).then((v) => {
    if (v) fill(el, draw(v));
  });
}

function draw(v: ConnectorsView): HTMLElement {
  if (v.rows.length === 0) {
    return card('By connector', '', h('p', { class: 'muted' }, 'No hand-off in this range names a connector (the logs of its ends are not held).'));
  }
  const num = (key: string, n: number, alert = false) => h('td', { class: `num${alert && n > 0 ? ' count-alert' : ''}`, 'data-col': key }, n > 0 ? fmtCount(n) : h('span', { class: 'muted' }, '0'));
  const rows = v.rows.map((r) => h('tr', { class: 'connector-row', 'data-server': r.server, 'data-connector': r.connector, 'data-side': r.side },
    h('td', { class: 'mono' }, r.server),
    h('td', { class: 'mono small' }, r.connector),
    h('td', null, r.side === 'send' ? 'sends' : 'receives'),
    num('handoffs', r.handoffs), num('plaintext', r.plaintext, true), num('weakTls', r.weakTls, true), num('unverified', r.unverified, true), num('unknown', r.unknown),
    h('td', { class: 'small' }, r.plaintext > 0 ? `${fmtDateTime(r.firstPlaintext)} – ${fmtDateTime(r.lastPlaintext)}` : h('span', { class: 'muted' }, '—'))));
  return card('By connector', 'Exchange connectors and Postfix services; a hand-off counts at both ends',
    table('connector-table', [
      { label: 'Server' }, { label: 'Connector', title: 'Exchange connector-id, or the Postfix service (syslog tag)' }, { label: 'Side' },
      { label: 'Hand-offs', num: true }, { label: 'Plaintext', num: true }, { label: 'Weak TLS', num: true }, { label: 'Unverified cert.', num: true }, { label: 'TLS unknown', num: true },
      { label: 'Plaintext seen' },
    ], rows), foldRows(rows, 25));
}
