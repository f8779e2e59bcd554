import { CertificatesView, EVENTS_TABLE, type CertificateRow, type CertificatesQuery } from '../../schemas/index.ts';
import { isoFromStore, type QueryParams, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';
import { num } from './scope.ts';

/**
 * The certificates view: `certificate` events (schemas/certificate.ts) grouped per presenting
 * server, the log that recorded it, connector and certificate. Its rules, each written once here
 * and read by the page, the reports and the certificate policy rules alike:
 * - who presented it: the logging server for `local`, else the peer as the log names it (SERVER_SQL)
 * - issuance: subject = issuer → self-signed, both known and different → ca-issued, else unknown (ISSUANCE_SQL)
 * - days left: whole days from `now` to notAfter, null when the log gave no date (Postfix never does)
 * - replaced: the certificate the same server showed on the same connector before this one
 */
const SERVER_SQL = "if(certSide = 'local', host, multiIf(client != '', client, relay != '', relay, clientIp != '', clientIp, relayIp))";
export const ISSUANCE_SQL = "multiIf(subject = '' OR issuer = '', 'unknown', lower(trimBoth(subject)) = lower(trimBoth(issuer)), 'self-signed', 'ca-issued')";
/** the most rows one answer lists (servers × connectors × certificates is small in any real organisation) */
const MAX_ROWS = 2_000;
const DAY_MS = 86_400_000;

export function daysLeft(notAfter: string, nowMs: number): number | null {
  const t = Date.parse(notAfter);
  return notAfter === '' || Number.isNaN(t) ? null : Math.floor((t - nowMs) / DAY_MS);
}

interface Raw {
  server: string; side: string; loggedBy: string; connector: string; role: string; subject: string; issuer: string; serial: string;
  fingerprint: string; notBefore: string; notAfter: string; names: string; issuance: string; sessions: string; firstSeen: string; lastSeen: string;
}

export async function certificatesView(store: Store, q: CertificatesQuery, nowMs = Date.now()): Promise<CertificatesView> {
  // the whole history up to the range's end: a certificate replaced before the range began is
  // still the one a change inside it replaced
  const where = [`kind = 'certificate'`];
  const params: QueryParams = {};
  if (q.to) {
    where.push('ts < parseDateTime64BestEffort({to:String}, 3)');
    params.to = q.to;
  }
  const rows = await store.query<Raw>(
    `SELECT server, side, loggedBy, connector, role, subject, issuer, serial, fingerprint, notBefore, notAfter, names,
       ${ISSUANCE_SQL} AS issuance, sessions, firstSeen, lastSeen
     FROM (
       SELECT ${SERVER_SQL} AS server, toString(certSide) AS side, host AS loggedBy, toString(instance) AS connector,
         splitByChar(':', toString(any(role)))[1] AS role, certSubject AS subject, certIssuer AS issuer, toString(certFingerprint) AS fingerprint,
         toString(any(certSerial)) AS serial, toString(any(certNotBefore)) AS notBefore, toString(any(certNotAfter)) AS notAfter, any(certNames) AS names,
         uniqExact(id) AS sessions, toString(min(ts)) AS firstSeen, toString(max(ts)) AS lastSeen
       FROM ${store.table(EVENTS_TABLE)} WHERE ${where.join(' AND ')}
       GROUP BY server, side, loggedBy, connector, subject, issuer, fingerprint
     )
     ORDER BY server, loggedBy, connector, side, firstSeen
     LIMIT ${MAX_ROWS * 4}`, params);

  const all: CertificateRow[] = rows.map((r) => ({
    server: r.server, side: r.side === 'local' ? 'local' : 'remote', loggedBy: r.loggedBy, connector: r.connector, role: r.role,
    subject: r.subject, issuer: r.issuer, serial: r.serial, fingerprint: r.fingerprint, notBefore: r.notBefore, notAfter: r.notAfter,
    names: r.names === '' ? [] : r.names.split(';').map((n) => n.trim()).filter((n) => n !== ''),
    issuance: r.issuance === 'self-signed' || r.issuance === 'ca-issued' ? r.issuance : 'unknown',
    daysLeft: daysLeft(r.notAfter, nowMs), sessions: num(r.sessions), firstSeen: isoFromStore(r.firstSeen), lastSeen: isoFromStore(r.lastSeen), replaced: '',
  }));
  // rows come ordered by (server, logger, connector, side, firstSeen): a change is a new
  // certificate after another in the same group
  for (let i = 1; i < all.length; i++) {
    const a = all[i - 1];
    const b = all[i];
    if (a.server === b.server && a.loggedBy === b.loggedBy && a.connector === b.connector && a.side === b.side && a.fingerprint !== b.fingerprint) b.replaced = a.fingerprint || a.subject;
  }
  const from = q.from ? Date.parse(q.from) : -Infinity;
  const needle = q.host?.toLowerCase();
  const shown = all
    .filter((r) => Date.parse(r.lastSeen) >= from)
    .filter((r) => needle === undefined || r.server.toLowerCase() === needle || r.loggedBy.toLowerCase() === needle)
    // what needs attention first: expired and expiring, then changed, then the rest by server
    .sort((a, b) => (a.daysLeft ?? Infinity) - (b.daysLeft ?? Infinity) || Number(b.replaced !== '') - Number(a.replaced !== '') || a.server.localeCompare(b.server))
    .slice(0, MAX_ROWS);
  const soon = q.soonDays;
  return fromStore(CertificatesView, {
    soonDays: soon,
    totals: {
      certificates: shown.length,
      selfSigned: shown.filter((r) => r.issuance === 'self-signed').length,
      caIssued: shown.filter((r) => r.issuance === 'ca-issued').length,
      unknownIssuance: shown.filter((r) => r.issuance === 'unknown').length,
      expired: shown.filter((r) => r.daysLeft !== null && r.daysLeft < 0).length,
      expiringSoon: shown.filter((r) => r.daysLeft !== null && r.daysLeft >= 0 && r.daysLeft < soon).length,
      validityUnknown: shown.filter((r) => r.daysLeft === null).length,
      changed: shown.filter((r) => r.replaced !== '').length,
    },
    rows: shown,
  }, 'the certificates view');
}
