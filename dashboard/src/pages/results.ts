import type { MessageList, MessageSummaryRow } from '../../../schemas/index.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, fmtDateTime } from '../format.ts';
import { navigate, traceHref } from '../router.ts';
import { hasFilters, searchHref, type SearchState } from './search-state.ts';

/** The results table with its pager; a row opens that message's trace. */
export function renderResults(el: HTMLElement, list: MessageList, state: SearchState): void {
  const head = h('div', { class: 'card-head' },
    h('h2', { class: 'card-title' }, 'Messages'),
    h('span', { class: 'muted result-count' }, list.total === 0 ? '' : `${fmtCount(list.offset + 1)}–${fmtCount(list.offset + list.messages.length)} of ${fmtCount(list.total)}`));
  if (list.messages.length === 0) {
    const filtered = hasFilters(state);
    fill(el, head, filtered || list.offset > 0
      ? stateBox('empty', 'No messages match these filters.', 'Widen the time range or check the address; search matches whole addresses.', h('a', { href: '/', class: 'btn' }, 'Clear filters'))
      : stateBox('empty', 'No messages in the store yet.', 'Ingest mail logs with `mailtrace ingest <files>` and reload.'));
    return;
  }
  fill(el, head,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table table-hover messages' },
      h('thead', null, h('tr', null,
        h('th', null, 'Message-ID'), h('th', null, 'Sender'), h('th', null, 'Recipients'), h('th', null, 'Hosts'),
        h('th', { class: 'nowrap' }, 'First seen (UTC)'), h('th', null, 'Status'), h('th', { class: 'num', title: 'hops without TLS' }, 'Plaintext hops'),
        h('th', { title: 'end-to-end protection seen in a delivered copy' }, 'Protection'))),
      h('tbody', null, list.messages.map(row)))),
    pager(list, state));
}

function row(m: MessageSummaryRow): HTMLTableRowElement {
  const href = traceHref(m.traceId || m.messageId);
  const tr = h('tr', { class: 'message-row', 'data-message-id': m.messageId },
    h('td', { class: 'mono ellipsis id-cell' }, h('a', { href, title: m.messageId }, m.messageId)),
    h('td', { class: 'ellipsis', title: m.sender }, m.sender || h('span', { class: 'muted' }, '<>')),
    h('td', { class: 'ellipsis', title: m.recipients.join('\n') }, listCell(m.recipients, 2)),
    // the API lists hosts in path order (first client side first)
    h('td', { class: 'ellipsis mono small', title: m.hosts.join(' → ') }, listCell(m.hosts, 3)),
    h('td', { class: 'nowrap mono small' }, fmtDateTime(m.firstSeen)),
    h('td', null, h('span', { class: `badge status-${m.status}` }, m.status)),
    h('td', { class: 'num' }, m.plaintextHops > 0
      ? h('span', { class: 'badge badge-plaintext', title: 'hops that carried this message without TLS' }, String(m.plaintextHops))
      : h('span', { class: 'muted' }, '0')),
    // no copy read is not "unprotected": it is unknown
    h('td', { class: 'protection-cell' }, !m.protectionKnown ? h('span', { class: 'muted small', title: 'no delivered copy ingested' }, '—')
      : m.protection.length === 0 ? h('span', { class: 'muted small' }, 'none seen')
        : m.protection.map((p) => h('span', { class: 'badge badge-protection', 'data-mechanism': p }, p))));
  tr.addEventListener('click', (ev) => {
    // the link inside handles its own clicks; selecting text to copy is not a click on the row
    if ((ev.target as Element).closest('a') || getSelection()?.toString()) return;
    navigate(href);
  });
  return tr;
}

function listCell(items: string[], show: number): (string | HTMLElement)[] {
  const shown = items.slice(0, show).join(', ');
  return items.length > show ? [shown, ' ', h('span', { class: 'more' }, `+${items.length - show}`)] : [shown];
}

function pager(list: MessageList, state: SearchState): HTMLElement | null {
  if (list.total <= list.limit && list.offset === 0) return null;
  const page = Math.floor(list.offset / list.limit) + 1;
  const pages = Math.max(1, Math.ceil(list.total / list.limit));
  const go = (offset: number) => searchHref({ ...state, offset: Math.max(0, offset) });
  const prev = list.offset > 0;
  const next = list.offset + list.limit < list.total;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    prev ? h('a', { class: 'btn', href: go(0) }, '« First') : h('span', { class: 'btn disabled' }, '« First'),
    prev ? h('a', { class: 'btn', href: go(list.offset - list.limit), rel: 'prev' }, '‹ Previous') : h('span', { class: 'btn disabled' }, '‹ Previous'),
    h('span', { class: 'muted pager-pos' }, `page ${fmtCount(page)} of ${fmtCount(pages)}`),
    next ? h('a', { class: 'btn', href: go(list.offset + list.limit), rel: 'next' }, 'Next ›') : h('span', { class: 'btn disabled' }, 'Next ›'));
}
