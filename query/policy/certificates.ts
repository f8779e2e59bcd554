import { incidentKey, type CertificateRow, type CertificateRule, type PolicySample } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { certificatesView } from '../sql/certificates.ts';
import type { EvaluationRange } from './evaluate.ts';

/**
 * Certificate rules, judged on the certificates view (one reading of the certificate events for
 * the page, the reports and the policy). A certificate is a state, not an event: each server and
 * connector is judged by the newest certificate it presented within CERT_LOOKBACK_DAYS before the
 * check, so an incident stays open while that certificate is still the one in use and heals when a
 * good one replaces it (or the server stops presenting any for the lookback). Expiry is counted
 * against the end of the range (the check time). A finding's `from` is the presenting server,
 * `to` the connector it was seen on; handoffs are the sessions that showed it; firstSeen when it
 * was first presented and lastSeen the check time — the state holds as of the check, which keeps
 * its incident open (incidents heal healAfterMinutes after their last violation); the sample's
 * `start` is when the certificate was last presented.
 */
export const CERT_LOOKBACK_DAYS = 30;
const DAY_MS = 86_400_000;

export async function evaluateCertificateRule(store: Store, rule: CertificateRule, range: EvaluationRange): Promise<unknown[]> {
  const at = Date.parse(range.to);
  const view = await certificatesView(store, { from: new Date(at - CERT_LOOKBACK_DAYS * DAY_MS).toISOString(), to: range.to, soonDays: rule.kind === 'certificate-expiry' ? rule.withinDays : 30 }, at);
  const newest = new Map<string, CertificateRow>();
  for (const r of view.rows) {
    if (!inScope(rule, r)) continue;
    const k = `${r.server}\u0000${r.loggedBy}\u0000${r.connector}\u0000${r.side}`;
    const have = newest.get(k);
    if (!have || Date.parse(r.lastSeen) > Date.parse(have.lastSeen)) newest.set(k, r);
  }
  const out: unknown[] = [];
  for (const r of newest.values()) {
    const verdict = verdictOf(rule, r);
    if (!verdict) continue;
    const connector = r.side === 'local' ? r.connector : `${r.connector} (seen by ${r.loggedBy})`;
    out.push({
      key: incidentKey(rule.name, r.server, connector, ''), rule: rule.name, kind: rule.kind, severity: rule.severity, verdict,
      from: r.server, to: connector, domain: '', handoffs: r.sessions, firstSeen: r.firstSeen, lastSeen: new Date(at).toISOString(), samples: [sampleOf(r)],
    });
  }
  return out;
}

function inScope(rule: CertificateRule, r: CertificateRow): boolean {
  if (rule.servers && !rule.servers.includes(r.server.toLowerCase())) return false;
  if (rule.roles && !(rule.roles as readonly string[]).includes(r.role)) return false;
  return true;
}

/** violation on evidence, unknown where the log did not record what the rule asks about */
function verdictOf(rule: CertificateRule, r: CertificateRow): 'violation' | 'unknown' | undefined {
  if (rule.kind === 'ca-issued-certificate') return r.issuance === 'self-signed' ? 'violation' : r.issuance === 'unknown' ? 'unknown' : undefined;
  if (r.daysLeft === null) return 'unknown';
  return r.daysLeft < rule.withinDays ? 'violation' : undefined;
}

function sampleOf(r: CertificateRow): PolicySample {
  return {
    messageId: '', traceId: '', recipient: '', start: r.lastSeen, tls: 'unknown', tlsVersion: '', tlsTrust: '', tlsEvidence: 'certificate',
    certificate: { subject: r.subject, issuer: r.issuer, serial: r.serial, fingerprint: r.fingerprint, notAfter: r.notAfter, daysLeft: r.daysLeft, issuance: r.issuance, loggedBy: r.loggedBy },
  };
}
