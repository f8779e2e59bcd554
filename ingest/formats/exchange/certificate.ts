import type { CertSide } from '../../../schemas/index.ts';
import { normalizeFingerprint } from '../fingerprint.ts';

/**
 * The certificate rows of Exchange SMTP protocol logs (shared/reference/log-formats.md):
 *
 * - One row (2016+, §2.4, real): context = the labels `Sending certificate Subject Issuer name
 *   Serial number Thumbprint Not before Not after Subject alternate names`, data = the values
 *   joined by single spaces: ` CN=SERVER CN=SERVER 12DE…94 12DE…76 2020-01-17T15:15:33.000Z
 *   2025-01-17T15:15:33.000Z SERVER;SERVER.DOMAIN.TEST`.
 * - One row per field (older layout, §2.6, Microsoft KB with redacted values): a `*` row with
 *   context `Sending certificate` and no data, then rows whose context names the field
 *   (`Certificate subject`, `Certificate issuer name`, `Certificate serial number`, `Certificate
 *   thumbprint`) and whose data is its value, and a row whose data ends in ` alternate names`.
 *
 * `Sending certificate` is what this server presented; `Received certificate` what its peer did
 * (that label on send logs is UNVERIFIED: §2.6 found no real row of it). Values are split by
 * their shapes because subject and issuer themselves contain spaces: the thumbprint is 40 hex
 * digits, the serial the hex token before it, dates ISO 8601; subject and issuer part at the one
 * space that starts a new `KEY=` attribute without a comma before it. When the shapes do not
 * fit (a culture-formatted date, an unusual name), what cannot be placed stays unknown: the
 * subject keeps the unsplit text and the issuer is '' — never a guess.
 */
export interface CertificateFacts {
  side: CertSide;
  subject: string;
  issuer: string;
  serial: string;
  fingerprint: string;
  notBefore: string;
  notAfter: string;
  names: string;
}

const LABEL = /^\s*(Sending|Received) certificate\b/;
const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;
const HEX = /^[0-9A-Fa-f]+$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;
const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9.]*=/;

export function blankCertificate(side: CertSide): CertificateFacts {
  return { side, subject: '', issuer: '', serial: '', fingerprint: '', notBefore: '', notAfter: '', names: '' };
}

/**
 * A `*` row's data and context → the certificate it carries whole (one-row layout), 'start' for
 * the header of the per-field layout, or undefined for any other row.
 */
export function certificateRow(data: string, context: string): CertificateFacts | 'start' | undefined {
  const label = LABEL.exec(context);
  if (!label) return undefined;
  const side: CertSide = label[1] === 'Sending' ? 'local' : 'remote';
  if (data.trim() === '') return context.trim() === label[0].trim() ? 'start' : undefined;
  return splitValues(side, data);
}

/** One row of the per-field layout, applied to the certificate being assembled; false when the row is not one. */
export function certificateField(cert: CertificateFacts, data: string, context: string): boolean {
  const value = data.trim();
  switch (context.trim().toLowerCase()) {
    case 'certificate subject': cert.subject = value; return true;
    case 'certificate issuer name': cert.issuer = value; return true;
    case 'certificate serial number': cert.serial = value.toUpperCase(); return true;
    case 'certificate thumbprint': cert.fingerprint = normalizeFingerprint(value); return true;
    case '':
      if (value.endsWith(' alternate names')) {
        cert.names = value.slice(0, -' alternate names'.length).trim();
        return true;
      }
      return false;
    default:
      return false;
  }
}

function splitValues(side: CertSide, data: string): CertificateFacts {
  const cert = blankCertificate(side);
  const tokens = data.trim().split(/ +/);
  let thumb = -1;
  for (let i = tokens.length - 1; i >= 0; i--) if (THUMBPRINT.test(tokens[i])) { thumb = i; break; }
  if (thumb < 1) {
    // no thumbprint where one must be: keep the text, place nothing
    cert.subject = data.trim();
    return cert;
  }
  cert.fingerprint = tokens[thumb].toUpperCase();
  let namesEnd = thumb;
  if (HEX.test(tokens[thumb - 1])) {
    cert.serial = tokens[thumb - 1].toUpperCase();
    namesEnd = thumb - 1;
  }
  let rest = thumb + 1;
  if (ISO.test(tokens[rest] ?? '') && ISO.test(tokens[rest + 1] ?? '')) {
    cert.notBefore = tokens[rest];
    cert.notAfter = tokens[rest + 1];
    rest += 2;
  }
  cert.names = tokens.slice(rest).join(' ');
  const [subject, issuer] = splitNames(tokens.slice(0, namesEnd).join(' '));
  cert.subject = subject;
  cert.issuer = issuer;
  return cert;
}

/** `CN=a, O=b CN=c, O=d` → subject and issuer; ['whole text', ''] unless exactly one boundary exists. */
export function splitNames(text: string): [string, string] {
  const cuts: number[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ' ' && !quoted && i > 0 && text[i - 1] !== ',' && ATTRIBUTE.test(text.slice(i + 1, i + 40))) cuts.push(i);
  }
  if (cuts.length !== 1) return [text, ''];
  return [text.slice(0, cuts[0]), text.slice(cuts[0] + 1)];
}
