import type { ProtectionMechanism } from '../../../schemas/protection.ts';
import type { ProtectionView } from '../../../schemas/views.ts';
import { fetchView } from '../api.ts';
import { barsHeight, barsOption } from '../charts/bars.ts';
import { mountChart } from '../charts/setup.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, PROTECTION_HELP } from '../format.ts';
import { scopeBar } from './scope-bar.ts';
import { card, chartBox, foldRows, loadInto, pageHead, pct, shareBar, statCard, table } from './view-kit.ts';
import { apiQuery, scopeFromParams, viewHref } from './view-scope.ts';

type Row = ProtectionView['bySenderDomain'][number];

const MECHANISMS: readonly ProtectionMechanism[] = ['smime-signed', 'smime-encrypted', 'pgp-signed', 'pgp-encrypted', 'irm'];
const LABEL: Record<ProtectionMechanism, string> = { 'smime-signed': 'S/MIME signed', 'smime-encrypted': 'S/MIME enc.', 'pgp-signed': 'PGP signed', 'pgp-encrypted': 'PGP enc.', irm: 'IRM' };
const COLOR = { protected: '#0969da', none: '#d4a72c', unread: '#d0d7de' } as const;
const CHART_DOMAINS = 12;

/**
 * `/protection`: S/MIME, PGP and IRM per sender and per recipient domain. Content protection is
 * read from delivered copies only — logs never show content — so three answers stay apart: a
 * mechanism seen, a copy read that showed none ("no protection seen"), and no copy read at all
 * ("unknown", never counted as unprotected). Hooks: `tr.protection-row[data-domain]`,
 * `td[data-col=known|unprotected|unread|<mechanism>]`, `.chart-protection`.
 */
export function renderProtectionPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  document.title = 'Protection · mailtrace';
  const scope = scopeFromParams(params);
  const query = apiQuery(scope);
  const body = h('div', { class: 'view-body' });
  fill(root,
    pageHead('Content protection', 'S/MIME, PGP and IRM as the MIME structure of a delivered copy claims them (not verified).'),
    scopeBar({ scope, query, href: (s) => viewHref('/protection', s), host: true, domain: true }),
    h('aside', { class: 'callout callout-info', role: 'note' },
      h('strong', null, 'Known only where a copy was read. '),
      'Logs never show a message\'s content: protection is known only for messages whose delivered copy (a Maildir, an .eml) was ingested. ',
      '"No copy read" means we cannot tell — it is not "unprotected".'),
    body);
  void loadInto(body, 'the protection view', () => fetchView('protection', query, signal), signal).then((view) => {
    if (view) draw(body, view);
  });
}

const protectedOf = (r: Row) => r.known - r.unprotected;

function draw(el: HTMLElement, v: ProtectionView): void {
  if (v.bySenderDomain.length === 0 && v.byRecipientDomain.length === 0) {
    fill(el, stateBox('empty', 'No messages in this range.', 'Widen the time range or clear the filters.'));
    return;
  }
  // by sender: every message with a sender address once
  const sum = (k: (r: Row) => number) => v.bySenderDomain.reduce((a, r) => a + k(r), 0);
  const messages = sum((r) => r.messages);
  const known = sum((r) => r.known);
  const top = v.byRecipientDomain.slice(0, CHART_DOMAINS);
  const chart = chartBox('chart-protection', barsHeight(top.length, 3));
  const senderRows = v.bySenderDomain.map(row);
  const recipientRows = v.byRecipientDomain.map(row);

  fill(el,
    h('div', { class: 'stat-row' },
      statCard('messages', 'Messages', messages, { foot: 'with a sender address' }),
      statCard('known', 'Copy read', known, { foot: `${pct(known, messages)} of them: protection known` }),
      statCard('protected', 'Protected', sum(protectedOf), { foot: `${pct(sum(protectedOf), known)} of the copies read` }),
      statCard('unread', 'No copy read', messages - known, { foot: 'protection unknown' })),
    v.byRecipientDomain.length ? card('Coverage by recipient domain', `the ${top.length} busiest`, chart) : null,
    card('By recipient domain', 'a message to two domains counts under both', tableOf(recipientRows), foldRows(recipientRows, 20)),
    card('By sender domain', 'each message once', tableOf(senderRows), foldRows(senderRows, 20)));

  if (top.length) {
    mountChart(chart, barsOption(top.map((r) => ({ label: r.domain, values: [protectedOf(r), r.unprotected, r.messages - r.known] })), [
      { name: 'protected', color: COLOR.protected, stack: 'p' },
      { name: 'no protection seen', color: COLOR.none, stack: 'p' },
      { name: 'no copy read (unknown)', color: COLOR.unread, stack: 'p' },
    ], { mono: true }));
  }
}

function tableOf(rows: HTMLTableRowElement[]): HTMLElement {
  return table('protection-table', [
    { label: 'Domain' }, { label: 'Messages', num: true },
    { label: 'Copy read', num: true, title: 'messages whose delivered copy was ingested: only for these is protection known' },
    ...MECHANISMS.map((m) => ({ label: LABEL[m], num: true, title: PROTECTION_HELP[m] })),
    { label: 'No protection seen', num: true, title: 'a copy was read and showed no mechanism' },
    { label: 'No copy read', num: true, title: 'unknown: no delivered copy was ingested' },
    { label: 'Coverage' },
  ], rows);
}

function row(r: Row): HTMLTableRowElement {
  const unread = r.messages - r.known;
  const cell = (key: string, n: number, cls = '') => h('td', { class: `num ${cls}`, 'data-col': key }, n > 0 ? fmtCount(n) : h('span', { class: 'muted' }, '0'));
  return h('tr', { class: 'protection-row', 'data-domain': r.domain },
    h('td', { class: 'mono' }, r.domain),
    cell('messages', r.messages),
    cell('known', r.known),
    MECHANISMS.map((m) => cell(m, r.mechanisms[m] ?? 0)),
    cell('unprotected', r.unprotected),
    cell('unread', unread, 'muted-num'),
    h('td', { class: 'share-cell' }, shareBar([
      { cls: 'share-protected', n: protectedOf(r), title: 'protected' },
      { cls: 'share-none', n: r.unprotected, title: 'no protection seen' },
      { cls: 'share-unread', n: unread, title: 'no copy read (unknown)' },
    ])));
}
