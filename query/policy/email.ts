import { scopeWords, type AlertDigest, type AlertMessage, type AlertNotice, type PolicyIncident } from '../../schemas/index.ts';
import type { OutgoingMail } from '../notify/smtp.ts';

/**
 * The mail of a notice: subject and header carry the incident (or the digest); the body the
 * evidence — the routes, bounded with a count of the rest, and samples with their TLS evidence.
 */
const KIND_WORDS: Record<PolicyIncident['kind'], string> = {
  'min-tls-version': 'TLS below the required version (or none)',
  'verified-tls': 'TLS without a verified certificate (or none)',
  'no-plaintext': 'plaintext (no TLS)',
  'ca-issued-certificate': 'a self-signed certificate where a CA-issued one is required',
  'certificate-expiry': 'a certificate expired or expiring soon',
};

export function renderEmail(notice: AlertMessage, to: readonly string[]): OutgoingMail {
  return notice.type === 'digest' ? renderDigest(notice, to) : renderNotice(notice, to);
}

function renderNotice(notice: AlertNotice, to: readonly string[]): OutgoingMail {
  const i = notice.incident;
  const where = scopeWords(i);
  const subject = notice.type === 'opened'
    ? `[mailtrace] ${i.severity.toUpperCase()}: ${i.rule} violated on ${where}`
    : `[mailtrace] resolved: ${i.rule} on ${where}`;
  const grouped = i.groupBy !== 'route';
  const lines = [
    notice.type === 'opened'
      ? `Rule ${i.rule} (${i.kind}) is violated: ${KIND_WORDS[i.kind]}.`
      : `Rule ${i.rule} (${i.kind}) has had no violation on ${grouped ? 'any of these routes' : 'this route'} since ${i.lastSeen}.`,
    '',
    `${grouped ? 'Routes:  ' : 'Route:   '}     ${where}`,
    `Severity:     ${i.severity}`,
    `Hand-offs:    ${i.handoffs} violating, ${i.firstSeen} to ${i.lastSeen}`,
    `Opened:       ${i.openedAt}`,
    ...(i.resolvedAt ? [`Resolved:     ${i.resolvedAt}`] : []),
    `Incident:     ${i.id}`,
    ...(grouped ? ['', `Routes (most hand-offs first${i.routeCount > i.routes.length ? `, ${i.routes.length} of ${i.routeCount}` : ''}):`, ...routeLines(i)] : []),
    '',
    ...(i.samples.some((s) => s.certificate) ? ['Certificates (as the logs recorded them; for these rules the route is server -> connector):'] : ['Samples (message, recipient, TLS as the logs recorded it):']),
    ...i.samples.map((s) => s.certificate ? certificateLine(s.start, s.certificate) : `  ${s.start}  ${s.messageId || s.traceId}  ${s.recipient}  ${s.tls}${s.tlsVersion ? ` ${s.tlsVersion}` : ''}${s.tlsTrust ? ` trust=${s.tlsTrust}` : ''}${s.tlsEvidence ? ` evidence=${s.tlsEvidence}` : ''}`),
  ];
  return { to, subject, text: `${lines.join('\n')}\n`, headers: { 'X-Mailtrace-Incident': i.id, 'X-Mailtrace-Notice': notice.type } };
}

function certificateLine(at: string, c: NonNullable<AlertNotice['incident']['samples'][number]['certificate']>): string {
  const expiry = c.daysLeft === null ? 'validity not logged' : c.daysLeft < 0 ? `expired ${c.notAfter} (${-c.daysLeft} days ago)` : `valid until ${c.notAfter} (${c.daysLeft} days left)`;
  return `  last presented ${at}  subject ${c.subject || '?'}  issuer ${c.issuer || '?'} (${c.issuance})  ${expiry}  fingerprint ${c.fingerprint || '?'}  logged by ${c.loggedBy}`;
}

const pair = (from: string, to: string, domain: string): string => `${from || '?'} -> ${to || '?'}${domain ? ` (${domain})` : ''}`;

function routeLines(i: AlertNotice['incident']): string[] {
  const lines = i.routes.map((r) => `  ${pair(r.from, r.to, r.domain)}  ${r.handoffs} hand-off(s), last ${r.lastSeen}`);
  const rest = i.routeCount - i.routes.length;
  if (rest > 0) lines.push(`  … and ${rest} more route(s) (GET /api/policy/violations lists them all)`);
  return lines;
}

function renderDigest(d: AlertDigest, to: readonly string[]): OutgoingMail {
  const opened = d.notices.filter((n) => n.type === 'opened').length;
  const lines = [
    `This check had more notices than alerts.maxPerCheck (${d.maxPerCheck}) allows: ${d.heldBack} were held back and are summarised here instead of being sent one by one.`,
    '',
    `Check:        ${d.at}`,
    `Held back:    ${d.heldBack}${d.notices.length < d.heldBack ? ` (the first ${d.notices.length} listed)` : ''}`,
    '',
    ...d.notices.map(({ type, incident: i }) => `  ${type === 'opened' ? 'OPENED  ' : 'resolved'}  ${i.severity.padEnd(8)}  ${i.rule} on ${scopeWords(i)}  ${i.handoffs} hand-off(s)  ${i.id}`),
    ...(d.notices.length < d.heldBack ? [`  … and ${d.heldBack - d.notices.length} more (GET /api/policy/incidents lists them all)`] : []),
  ];
  const subject = `[mailtrace] ${d.heldBack} more policy notice(s) held back${opened > 0 ? `, ${opened}${d.notices.length < d.heldBack ? '+' : ''} opened` : ''}`;
  return { to, subject, text: `${lines.join('\n')}\n`, headers: { 'X-Mailtrace-Incident': d.id, 'X-Mailtrace-Notice': 'digest' } };
}
