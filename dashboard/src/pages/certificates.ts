import type { CertificateRow, CertificatesView } from '../../../schemas/certificate.ts';
import { fetchCertificates } from '../api.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, fmtDateTime, shorten } from '../format.ts';
import { scopeBar } from './scope-bar.ts';
import { card, foldRows, loadInto, pageHead, statCard, table } from './view-kit.ts';
import { apiQuery, scopeFromParams, viewHref } from './view-scope.ts';

/** Expiry windows offered; the URL's `soon` key holds the one chosen. */
const SOON_CHOICES = [7, 30, 90] as const;
const DEFAULT_SOON = 30;

/**
 * `/certificates`: every certificate a TLS handshake showed, per presenting server and
 * connector — subject, issuer, fingerprint, validity, self-signed or CA-issued — with what needs
 * attention first (expired, expiring within `?soon=` days, replaced). Values are the logs' own:
 * Postfix logs no validity, so its certificates say "not logged", never a date we made up.
 * Hooks: `tr.cert-row[data-server][data-fingerprint]`, `td[data-col=issuance|expiry|replaced]`,
 * `[data-stat=…]`, `select[name=soon]`.
 */
export function renderCertificatesPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  document.title = 'Certificates · mailtrace';
  const scope = scopeFromParams(params);
  const asked = Number(params.get('soon'));
  const soon = (SOON_CHOICES as readonly number[]).includes(asked) ? asked : DEFAULT_SOON;
  const query = apiQuery(scope);
  const body = h('div', { class: 'view-body' });
  const pick = h('select', { name: 'soon', 'aria-label': 'Expiry window' },
    SOON_CHOICES.map((d) => h('option', { value: String(d), selected: d === soon ? '' : null }, `expiring within ${d} days`)));
  pick.addEventListener('change', () => {
    const a = h('a', { href: viewHref('/certificates', scope, { soon: pick.value === String(DEFAULT_SOON) ? undefined : pick.value }) });
    document.body.append(a);
    a.click();
    a.remove();
  });
  fill(root,
    pageHead('Certificates', 'What each server presented in its TLS handshakes, as the logs recorded it.'),
    scopeBar({ scope, query, href: (s) => viewHref('/certificates', s, { soon: soon === DEFAULT_SOON ? undefined : soon }), host: true }),
    h('aside', { class: 'callout callout-info', role: 'note' },
      h('strong', null, 'Where these come from. '),
      'Exchange protocol logs record the certificate a server sends (Verbose protocol logging on the connector). ',
      'Postfix records its peers\' certificates only at ', h('code', null, 'smtp_tls_loglevel = 2'), ' / ', h('code', null, 'smtpd_tls_loglevel = 2'),
      ', and never their validity dates. Self-signed means the issuer is the subject itself.'),
    h('div', { class: 'toolbar' }, pick),
    body);
  void loadInto(body, 'the certificates', () => fetchCertificates({ ...query, soonDays: soon }, signal), signal).then((view) => {
    if (view) draw(body, view);
  });
}

function draw(el: HTMLElement, v: CertificatesView): void {
  if (v.rows.length === 0) {
    fill(el, stateBox('empty', 'No certificates in the logs of this range.',
      'Exchange writes them in its SMTP protocol logs when protocol logging is Verbose; Postfix at TLS log level 2. Widen the range, or ingest those logs.'));
    return;
  }
  const t = v.totals;
  const rows = v.rows.map((r) => row(r, v.soonDays));
  fill(el,
    h('div', { class: 'stat-row' },
      statCard('certificates', 'Certificates', t.certificates, { foot: 'per server, connector and certificate' }),
      statCard('expired', 'Expired', t.expired, { alert: t.expired > 0, foot: 'still presented in this range' }),
      statCard('expiring', `Expiring within ${v.soonDays} d`, t.expiringSoon, { alert: t.expiringSoon > 0 }),
      statCard('changed', 'Changed', t.changed, { alert: t.changed > 0, foot: 'replaced another on the same connector' }),
      statCard('self-signed', 'Self-signed', t.selfSigned, { foot: `${fmtCount(t.caIssued)} CA-issued, ${fmtCount(t.unknownIssuance)} unknown` }),
      statCard('validity-unknown', 'Validity not logged', t.validityUnknown)),
    card('Certificates', 'expired and expiring first, then changed', table('cert-table', [
      { label: 'Server', title: 'who presented the certificate' },
      { label: 'Role' },
      { label: 'Logged by', title: 'the server whose log recorded it; "peer" when it was the other end' },
      { label: 'Connector' },
      { label: 'Subject' },
      { label: 'Issuer' },
      { label: 'Issued', title: 'self-signed: the issuer is the subject itself' },
      { label: 'Valid until' },
      { label: 'Fingerprint', title: 'SHA-1 thumbprint (Exchange) or Postfix\'s fingerprint digest' },
      { label: 'Sessions', num: true },
      { label: 'Seen' },
      { label: 'Replaced' },
    ], rows), foldRows(rows, 50)));
}

function row(r: CertificateRow, soon: number): HTMLTableRowElement {
  const expired = r.daysLeft !== null && r.daysLeft < 0;
  const expiring = r.daysLeft !== null && r.daysLeft >= 0 && r.daysLeft < soon;
  const cls = ['cert-row', expired ? 'cert-expired' : '', expiring ? 'cert-soon' : '', r.replaced ? 'cert-changed' : ''].filter(Boolean).join(' ');
  const issued = r.issuance === 'self-signed' ? h('span', { class: 'badge badge-unknown' }, 'self-signed')
    : r.issuance === 'ca-issued' ? h('span', { class: 'badge badge-encrypted' }, 'CA-issued')
      : h('span', { class: 'muted', title: 'the log did not name both subject and issuer' }, 'unknown');
  const expiry = r.daysLeft === null ? h('span', { class: 'muted', title: 'this log does not record validity' }, 'not logged')
    : h('span', { title: `valid from ${r.notBefore || 'unknown'}` }, fmtDateTime(r.notAfter), ' ',
      h('span', { class: expired || expiring ? 'badge badge-plaintext' : 'muted' }, expired ? `expired ${-r.daysLeft!} d ago` : `${r.daysLeft} d left`));
  return h('tr', { class: cls, 'data-server': r.server, 'data-fingerprint': r.fingerprint },
    h('td', { class: 'mono' }, r.server || h('span', { class: 'muted' }, 'unnamed')),
    h('td', null, r.role || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'mono' }, r.side === 'local' ? r.loggedBy : h('span', { title: 'recorded by the other end of the session' }, `${r.loggedBy} (peer)`)),
    h('td', { class: 'mono small' }, shorten(r.connector, 48)),
    h('td', { class: 'mono small', title: r.names.length ? `names: ${r.names.join(', ')}` : null }, shorten(r.subject, 60) || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'mono small' }, shorten(r.issuer, 60) || h('span', { class: 'muted' }, 'not logged')),
    h('td', { 'data-col': 'issuance' }, issued),
    h('td', { 'data-col': 'expiry' }, expiry),
    h('td', { class: 'mono small', title: r.fingerprint }, r.fingerprint ? shorten(r.fingerprint, 16) : h('span', { class: 'muted' }, 'not logged')),
    h('td', { class: 'num' }, fmtCount(r.sessions)),
    h('td', { class: 'small' }, fmtDateTime(r.firstSeen), ' – ', fmtDateTime(r.lastSeen)),
    h('td', { 'data-col': 'replaced', class: 'mono small', title: r.replaced || null }, r.replaced ? shorten(r.replaced, 16) : h('span', { class: 'muted' }, '—')));
}
