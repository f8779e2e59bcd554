import type { MailEvent, TlsInfo } from '../../../schemas/index.ts';
import type { Envelope } from './envelope.ts';
import type { TlsRecord } from './records.ts';

/** Value helpers of Postfix correlation (ingest/formats/postfix/correlate.ts): copies, TLS words, statuses, times. */

/**
 * A copy of a string that does not pin the text it was cut from. Lines are slices of a decoded
 * read chunk (~1 MiB); anything kept in correlation state past its line must be detached, or a
 * handful of long-lived entries keep every chunk alive (parse RSS grew ~150 MB per million lines).
 */
export function own(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

export function ownTls(t: TlsRecord): TlsRecord {
  const copy = { ...t };
  for (const k of Object.keys(copy) as (keyof TlsRecord)[]) if (typeof copy[k] === 'string') (copy as Record<string, unknown>)[k] = own(copy[k] as string);
  return copy;
}

export function ownEnvelope(env: Envelope): Envelope {
  return { ...env, host: own(env.host), program: own(env.program), instance: own(env.instance), text: own(env.text) };
}

export function ownEvent(e: MailEvent): MailEvent {
  const rec = e as unknown as Record<string, unknown>;
  for (const k of Object.keys(rec)) if (typeof rec[k] === 'string') rec[k] = own(rec[k] as string);
  return e;
}

/** levels that cannot fall back to plaintext: a delivery made under them was encrypted (§4.4) */
const MANDATORY_LEVELS = new Set(['encrypt', 'dane', 'dane-only', 'secure', 'verify', 'fingerprint']);

/**
 * Postfix ≥ 3.11 `tls=<level>[:<downgrade>][?][/<feature>…]` (§4.4): `may:none` and `none` went in
 * plaintext; a mandatory level, or a `requiretls` feature that held, went encrypted; `may` alone,
 * anything undecided (`?`) or a violated policy (`!`) proves nothing about the connection used.
 */
export function tlsFeature(value: string): 'encrypted' | 'plaintext' | 'unknown' {
  if (!value) return 'unknown';
  const [levelPart, ...features] = value.split('/');
  if (levelPart.startsWith('!') || levelPart.endsWith('?')) return 'unknown';
  const [level, downgrade] = levelPart.split(':');
  if (level === 'none' || downgrade === 'none') return 'plaintext';
  if (MANDATORY_LEVELS.has(level)) return 'encrypted';
  if (features.some((f) => f.startsWith('requiretls') && !f.endsWith('?'))) return 'encrypted';
  return 'unknown';
}

/** a session that ends without its disconnect line: TLS from what was seen, else unknown */
export function endOfInputTls(s: { tls: TlsRecord | undefined }): Pick<MailEvent, keyof TlsInfo | 'tlsEvidence'> {
  return s.tls
    ? { ...fromTlsRecord(s.tls), tlsEvidence: 'smtpd-tls-line' }
    : { tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: '' };
}

export function fromTlsRecord(t: TlsRecord): TlsInfo {
  return { tls: 'encrypted', tlsVersion: t.version, cipher: t.cipher, cipherBits: t.bits, tlsTrust: t.trust };
}

export function normalizeStatus(s: string): MailEvent['status'] {
  switch (s) {
    case 'sent': case 'deferred': case 'bounced': case 'expired': case 'undeliverable': case 'deliverable':
      return s;
    default:
      return '';
  }
}

/** ms → ISO text, remembering the last one: a log's lines come in runs of the same second */
let lastMs = Number.NaN;
let lastIso = '';
export function isoOf(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
