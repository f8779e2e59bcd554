import type { Hop, RecipientTrace } from '../../../schemas/index.ts';
import { h, stateBox } from '../dom.ts';
import { fmtClock, fmtDateTime, fmtDuration, LINK_HELP, LINK_LABEL, msBetween, PROVENANCE_HELP, PROVENANCE_LABEL } from '../format.ts';

/**
 * One recipient: how delivery ended, and every hop on its way, with where each hop was seen
 * (logs, a delivered copy's Received header, both) and what the two disagree about. Hooks:
 * `section.recipient[data-address]`, `tr.hop-row[data-tls][data-provenance]`, `.provenance`,
 * `tr.hop-conflict .hop-conflict-text`. `open` false folds the hops away (long lists of
 * recipients that travelled the same way); the rows stay in the document.
 */
export function recipientSection(r: RecipientTrace, day: string | undefined, open: boolean): HTMLElement {
  const plaintext = r.hops.filter((x) => x.tls === 'plaintext').length;
  const unknown = r.hops.filter((x) => x.tls === 'unknown').length;
  return h('section', { class: 'card recipient', 'data-address': r.address, 'data-status': r.status },
    h('details', { open },
      h('summary', { class: 'recipient-head' },
        h('h3', { class: 'mono recipient-address' }, r.address),
        h('span', { class: `badge status-${r.status}` }, r.status),
        plaintext > 0 ? h('span', { class: 'badge badge-plaintext' }, `${plaintext} plaintext ${plaintext === 1 ? 'hop' : 'hops'}`) : null,
        unknown > 0 ? h('span', { class: 'badge badge-unknown' }, `${unknown} TLS unknown`) : null,
        h('span', { class: 'recipient-brief muted small' }, `${r.hops.length} ${r.hops.length === 1 ? 'hop' : 'hops'} · last host ${r.lastHost || '—'}${r.dsn ? ` · dsn ${r.dsn}` : ''}`)),
      h('dl', { class: 'facts' },
        fact('Last host', r.lastHost, true),
        fact('Relay', r.relay, true),
        fact('DSN', r.dsn, true),
        fact('Last seen', r.lastSeen ? `${fmtDateTime(r.lastSeen)} UTC` : '')),
      r.reply ? h('div', { class: 'reply' }, h('span', { class: 'reply-label' }, 'Reply'), h('code', null, r.reply)) : null,
      r.hops.length === 0 ? stateBox('empty', 'No hops recorded for this recipient.') : hopTable(r.hops, day)));
}

/** Recipients worth a look start unfolded: problems, hops not known to be encrypted, or few recipients at all. */
export function startsOpen(r: RecipientTrace, recipients: number): boolean {
  return recipients <= 3 || r.status !== 'delivered' || r.hops.some((x) => x.tls !== 'encrypted');
}

function fact(label: string, value: string, mono = false): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', null, label), h('dd', { class: mono ? 'mono' : null }, value || h('span', { class: 'muted' }, '—')));
}

function hopTable(hops: Hop[], day: string | undefined): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table hops' },
    h('thead', null, h('tr', null,
      h('th', { class: 'num' }, '#'), h('th', null, 'From → To'), h('th', null, 'TLS'),
      h('th', { class: 'nowrap' }, 'Start (UTC)'), h('th', { class: 'num' }, 'Duration'), h('th', null, 'Link'), h('th', { class: 'nowrap' }, 'Seen in'))),
    h('tbody', null, hops.map((hop, i) => hopRow(hop, i, day)))));
}

function hopRow(hop: Hop, i: number, day: string | undefined): HTMLTableRowElement {
  const conflict = hop.conflict !== '';
  return h('tr', {
    class: `hop-row hop-${hop.tls} provenance-${hop.provenance}${conflict ? ' hop-conflict' : ''}`,
    'data-tls': hop.tls, 'data-from': hop.from, 'data-to': hop.to, 'data-provenance': hop.provenance,
  },
    h('td', { class: 'num muted' }, String(i + 1)),
    h('td', null,
      h('div', { class: 'mono hop-path' }, h('span', null, hop.from), roleChip(hop.fromRole), h('span', { class: 'arrow' }, ' → '), h('span', null, hop.to), roleChip(hop.toRole)),
      hop.fromQueueId || hop.toQueueId ? h('div', { class: 'mono small muted' }, `queue ${hop.fromQueueId || '—'} → ${hop.toQueueId || '—'}`) : null,
      // the two sources describe the same hand-off differently: neither is silently preferred
      conflict ? h('div', { class: 'hop-conflict-text', role: 'note' }, h('strong', null, 'header and log disagree: '), hop.conflict) : null),
    h('td', { title: hop.tlsEvidence ? `evidence: ${hop.tlsEvidence}` : 'no log line or header states the TLS state of this hop' }, tlsCell(hop, 'not logged on either side')),
    h('td', { class: 'mono small nowrap', title: hop.start }, fmtClock(hop.start, day)),
    h('td', { class: 'num nowrap' }, fmtDuration(msBetween(hop.start, hop.end))),
    h('td', { class: 'nowrap' }, h('span', { class: `link link-${hop.link}`, title: `${LINK_HELP[hop.link]} (rule: ${hop.rule})`, 'data-rule': hop.rule }, LINK_LABEL[hop.link])),
    h('td', { class: 'nowrap' },
      h('span', { class: `provenance provenance-${hop.provenance}`, title: PROVENANCE_HELP[hop.provenance] }, PROVENANCE_LABEL[hop.provenance]),
      hop.protocol ? h('div', { class: 'mono small muted hop-protocol', title: 'the protocol the receiving server wrote in its Received header' }, `with ${hop.protocol}`) : null));
}

/** What a TLS cell needs: a trace hop, or a hop a Received header claims (no certificate check there). */
export interface TlsFacts {
  tls: Hop['tls'];
  tlsVersion: string;
  cipher: string;
  tlsTrust?: string;
}

/** Badge, version, cipher and trust of one hop's TLS; `unknownNote` says why the state is not known. */
export function tlsCell(hop: TlsFacts, unknownNote: string): HTMLElement[] {
  if (hop.tls === 'plaintext') return [h('span', { class: 'badge badge-plaintext' }, 'PLAINTEXT'), h('span', { class: 'tls-note' }, 'no TLS')];
  if (hop.tls === 'unknown') return [h('span', { class: 'badge badge-unknown' }, 'UNKNOWN'), h('span', { class: 'tls-note' }, unknownNote)];
  return [
    h('span', { class: 'badge badge-encrypted' }, 'TLS'),
    h('span', { class: 'tls-version' }, hop.tlsVersion || '—'),
    hop.cipher ? h('span', { class: 'mono small tls-cipher' }, hop.cipher) : null,
    hop.tlsTrust ? h('span', { class: `trust trust-${hop.tlsTrust}`, title: 'how far the certificate was checked' }, hop.tlsTrust) : null,
  ].filter((x): x is HTMLElement => x !== null);
}

/** The role of a hop's end (edge, hub, mailbox, frontend, external), when the logs say it. */
function roleChip(role: string | undefined): HTMLElement | null {
  return role ? h('span', { class: `role-chip role-${role}`, title: `role: ${role}` }, role) : null;
}
