import type { AuthClaim, HeaderAnalysis, HeaderHop } from '../../../schemas/index.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtDateTime, fmtDuration } from '../format.ts';
import { tlsCell } from './hops.ts';
import { protectionBadges } from './protection.ts';

/**
 * What one analysis found, all at once: the message, its protection, the Received chain oldest
 * first and the Received values that are no hop. Everything shown is the message's own claim:
 * headers can be forged by any server on the way, and the page says where a claim came from.
 * Hooks: `.analysis-message-id`, `tr.header-hop[data-tls][data-by][data-skew]`, `.badge-skew`,
 * `li.received-rejected`.
 */
export function renderAnalysis(el: HTMLElement, a: HeaderAnalysis, note: string): void {
  const skewed = a.hops.filter((x) => x.skew).length;
  fill(el,
    note ? h('aside', { class: 'callout callout-warn', role: 'note' }, note) : null,
    h('section', { class: 'card analysis-head' },
      h('div', { class: 'eyebrow' }, 'Message'),
      h('h2', { class: 'mono message-id analysis-message-id' }, a.messageId || '(no Message-ID header)'),
      h('dl', { class: 'facts' },
        h('div', { class: 'fact' }, h('dt', null, 'Content protection'), h('dd', null, protectionBadges(a.protection))),
        h('div', { class: 'fact fact-wide' }, h('dt', null, 'Evidence'), h('dd', { class: 'protection-evidence' }, a.protection.evidence)))),
    h('section', { class: 'card header-hops' },
      h('div', { class: 'card-head' },
        h('h2', { class: 'card-title' }, `Hops (${a.hops.length}), oldest first`),
        h('span', { class: 'muted small' }, 'as each receiving server wrote it; times in UTC')),
      skewed > 0 ? h('aside', { class: 'callout callout-warn', role: 'note' },
        `${skewed} ${skewed === 1 ? 'hop is' : 'hops are'} dated before the hop before: those servers' clocks disagree, so the delay there is no transit time.`) : null,
      a.hops.length > 0 ? hopTable(a.hops) : stateBox('empty', 'No Received header names a receiving server.',
        'Each server a message passes adds one Received header at the top; without them the path cannot be read.')),
    a.authentication.length > 0 ? authTable(a.authentication) : null,
    a.rejected.length > 0 ? h('section', { class: 'card received-rejected-list' },
      h('h2', { class: 'card-title' }, `Received headers that are no hop (${a.rejected.length})`),
      h('ul', { class: 'plain-list' }, a.rejected.map((r) => h('li', { class: 'received-rejected' },
        h('code', { class: 'excerpt' }, r.value),
        h('div', { class: 'muted small received-error' }, r.error))))) : null);
}

/** SPF, DKIM, DMARC, ARC as the stamping servers claim them: shown, never re-verified. Hook: `tr.auth-claim[data-method][data-result]`. */
function authTable(claims: AuthClaim[]): HTMLElement {
  return h('section', { class: 'card auth-claims' },
    h('div', { class: 'card-head' },
      h('h2', { class: 'card-title' }, `Authentication results (${claims.length})`),
      h('span', { class: 'muted small' }, 'claims of the server that stamped them; not re-verified here')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, ...['Header', 'Stamped by', 'Method', 'Result', 'Detail'].map((c) => h('th', null, c)))),
      h('tbody', null, ...claims.map((c) => h('tr', { class: 'auth-claim', 'data-method': c.method, 'data-result': c.result },
        h('td', { class: 'small' }, c.instance > 0 ? `${c.header} i=${c.instance}` : c.header),
        h('td', { class: 'mono' }, c.authserv || '(not named)'),
        h('td', null, c.method),
        h('td', null, h('span', { class: `badge auth-${c.result === 'pass' ? 'pass' : c.result === 'fail' ? 'fail' : 'other'}` }, c.result)),
        h('td', { class: 'mono small' }, c.detail)))))));
}

function hopTable(hops: HeaderHop[]): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table hops header-hops-table' },
    h('thead', null, h('tr', null,
      h('th', { class: 'num' }, '#'), h('th', null, 'From'), h('th', null, 'By'), h('th', null, 'With'),
      h('th', null, 'TLS'), h('th', { class: 'nowrap' }, 'Date (UTC)'), h('th', { class: 'num' }, 'Delay'))),
    h('tbody', null, hops.map(hopRow))));
}

function hopRow(x: HeaderHop, i: number): HTMLTableRowElement {
  const sender = [x.fromName, x.fromIp ? `[${x.fromIp}]` : ''].filter(Boolean).join(' ');
  return h('tr', {
    class: `header-hop hop-${x.tls}${x.skew ? ' hop-skew' : ''}`,
    'data-tls': x.tls, 'data-by': x.by, 'data-from': x.from, 'data-skew': String(x.skew),
  },
    h('td', { class: 'num muted' }, String(i + 1)),
    h('td', null,
      h('div', { class: 'mono' }, x.from || h('span', { class: 'muted' }, '—')),
      sender ? h('div', { class: 'mono small muted', title: 'reverse DNS name and address the receiving server saw' }, sender) : null),
    h('td', null,
      h('div', { class: 'mono' }, x.by),
      x.byIp ? h('div', { class: 'mono small muted' }, `[${x.byIp}]`) : null,
      x.via ? h('div', { class: 'small muted' }, `via ${x.via}`) : null),
    h('td', null,
      h('div', { class: 'mono hop-with' }, x.with || h('span', { class: 'muted' }, '—')),
      x.id ? h('div', { class: 'mono small muted hop-id' }, `id ${x.id}`) : null,
      x.for ? h('div', { class: 'mono small muted' }, `for ${x.for}`) : null),
    h('td', { class: 'tls-cell' },
      tlsCell(x, 'the header does not say'),
      x.tlsEvidence ? h('div', { class: 'small muted tls-evidence', title: 'the header shape that decided the TLS state' }, `evidence: ${x.tlsEvidence}`) : null),
    h('td', { class: 'mono small nowrap', title: x.date }, fmtDateTime(x.date)),
    h('td', { class: 'num nowrap' },
      x.delay === null ? h('span', { class: 'muted' }, '—') : h('span', { class: 'hop-delay' }, delayText(x.delay)),
      x.skew ? h('div', null, h('span', { class: 'badge badge-skew', title: 'dated before the hop before it: the two servers\' clocks disagree' }, '⚠ clock skew')) : null));
}

/** Seconds as the API gives them, with minutes and hours beside once they help the reader. */
function delayText(seconds: number): string {
  const abs = Math.abs(seconds);
  const s = `${seconds < 0 ? '−' : ''}${Number.isInteger(abs) ? abs : abs.toFixed(1)} s`;
  return abs >= 60 ? `${s} (${fmtDuration(seconds * 1000)})` : s;
}
