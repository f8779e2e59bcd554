import type { HopList } from '../../../schemas/views.ts';
import { h } from '../dom.ts';
import { fmtDateTime, PROVENANCE_HELP, PROVENANCE_LABEL } from '../format.ts';
import { navigate, traceHref } from '../router.ts';
import { tlsCell } from './hops.ts';
import { table } from './view-kit.ts';

type HopRow = HopList['rows'][number];

/**
 * Hand-offs as the views list them (one row per hand-off, its first recipient's), each opening
 * its message's trace: the row, or the message link in it. Hooks:
 * `tr.hop-list-row[data-from][data-to][data-tls][data-trace-id]`, `a.hop-trace`.
 */
export function hopListTable(rows: HopRow[]): HTMLElement {
  return table('table-hover hop-list', [
    { label: 'Start (UTC)' }, { label: 'Message' }, { label: 'Recipient' }, { label: 'From → To' }, { label: 'TLS' }, { label: 'Seen in' },
  ], rows.map(row));
}

function row(r: HopRow): HTMLTableRowElement {
  const href = traceHref(r.traceId);
  const tr = h('tr', { class: `hop-list-row hop-${r.tls}`, 'data-from': r.from, 'data-to': r.to, 'data-tls': r.tls, 'data-trace-id': r.traceId },
    h('td', { class: 'mono small nowrap', title: r.start }, fmtDateTime(r.start)),
    h('td', { class: 'mono ellipsis hop-message' }, h('a', { href, class: 'hop-trace', title: r.messageId || r.traceId }, r.messageId || r.traceId)),
    h('td', { class: 'mono small ellipsis', title: r.recipient }, r.recipient),
    h('td', { class: 'mono hop-path' }, h('span', null, r.from || '(unnamed)'), h('span', { class: 'arrow' }, ' → '), h('span', null, r.to || '(unnamed)')),
    h('td', { class: 'tls-cell', title: r.tlsEvidence ? `evidence: ${r.tlsEvidence}` : 'no log line states the TLS state of this hop' },
      tlsCell({ tls: r.tls, tlsVersion: r.tlsVersion, cipher: r.cipher, tlsTrust: r.tlsTrust }, 'not logged on either side')),
    h('td', { class: 'nowrap' }, h('span', { class: `provenance provenance-${r.provenance}`, title: PROVENANCE_HELP[r.provenance] }, PROVENANCE_LABEL[r.provenance])));
  tr.addEventListener('click', (ev) => {
    // the link handles its own clicks; selecting text to copy is not a click on the row
    if ((ev.target as Element).closest('a') || getSelection()?.toString()) return;
    navigate(href);
  });
  return tr;
}
