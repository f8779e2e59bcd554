import { z } from 'zod';
import { ViewQuery } from './views.ts';

/**
 * Certificates as the logs show them (issue 9, Certificates page). A `certificate` event records
 * one certificate one TLS handshake showed; the certificates view (query/sql/certificates.ts)
 * groups them per server, connector and fingerprint.
 *
 * Sources (shared/reference/log-formats.md):
 * - Exchange protocol logs, §2.4 (real 2016+ row: `Sending certificate Subject Issuer name Serial
 *   number Thumbprint Not before Not after Subject alternate names`, values space-joined in data)
 *   and §2.6 (Microsoft KB rows, older layout: one `*` row per field after `Sending certificate`).
 * - Postfix with `smtp[d]_tls_loglevel = 2`: `peer: subject_CN=…, issuer_CN=…, fingerprint=…,
 *   pkey_fingerprint=…` (smtp) and `…, issuer=…, …` (smtpd), recorded from real Postfix 3.7.11
 *   (test/fixtures/postfix/tls-loglevel2). Postfix logs neither validity dates nor serials.
 */

/**
 * Who presented the certificate: `local`, the server whose log it is (Exchange `Sending
 * certificate`), or `remote`, its peer (`Received certificate`; every Postfix peer-certificate line).
 * '' on events that are not certificates.
 */
export const CertSide = z.enum(['', 'local', 'remote']);
export type CertSide = z.infer<typeof CertSide>;

/**
 * self-signed: issuer and subject are the same name (Exchange's default certificate; a lab CA's
 * own certificate). ca-issued: a different issuer signed it. unknown: the log did not name both.
 * One rule, in one SQL expression (query/sql/certificates.ts ISSUANCE_SQL).
 */
export const CertIssuance = z.enum(['self-signed', 'ca-issued', 'unknown']);
export type CertIssuance = z.infer<typeof CertIssuance>;

const count = z.number().int().nonnegative();

/** One certificate as one server presented it on one connector (or to one peer), over the range. */
export const CertificateRow = z.object({
  /** the server that presented it: the logging server (local) or the peer as the log names it */
  server: z.string(),
  side: CertSide,
  /** the server whose log recorded it */
  loggedBy: z.string(),
  /** Exchange connector, or Postfix service (syslog name) */
  connector: z.string(),
  /** the logging server's role when its logs say (edge, hub, mailbox, frontend), '' unknown */
  role: z.string(),
  subject: z.string(),
  issuer: z.string(),
  serial: z.string(),
  /** uppercase hex without separators: SHA-1 thumbprint (Exchange, 40 digits) or Postfix's digest (64 digits: SHA-256) */
  fingerprint: z.string(),
  /** ISO 8601, '' when the log did not record it (Postfix never does) */
  notBefore: z.string(),
  notAfter: z.string(),
  names: z.array(z.string()),
  issuance: CertIssuance,
  /** whole days from now to notAfter (negative: expired); null when notAfter is unknown */
  daysLeft: z.number().int().nullable(),
  sessions: count,
  firstSeen: z.string(),
  lastSeen: z.string(),
  /**
   * The same server and connector presented a different certificate before this one in the
   * range: the fingerprint it replaced ('' none). A change is news: a renewal, or a rogue server.
   */
  replaced: z.string(),
});
export type CertificateRow = z.infer<typeof CertificateRow>;

/** GET /api/views/certificates: the views' range and server (at either end), and the expiry window. */
export const CertificatesQuery = ViewQuery.extend({
  /** a certificate whose notAfter is fewer days ahead counts as expiring soon (default 30, the example) */
  soonDays: z.coerce.number().int().min(1).max(3650).default(30),
}).strict();
export type CertificatesQuery = z.infer<typeof CertificatesQuery>;

/** GET /api/views/certificates */
export const CertificatesView = z.object({
  totals: z.object({ certificates: count, selfSigned: count, caIssued: count, unknownIssuance: count, expiringSoon: count, expired: count, validityUnknown: count, changed: count }),
  /** the window `expiringSoon` counts (days) */
  soonDays: z.number().int().positive(),
  rows: z.array(CertificateRow),
});
export type CertificatesView = z.infer<typeof CertificatesView>;
