import type { MailEvent } from '../../../schemas/index.ts';
import { normalizeFingerprint } from '../fingerprint.ts';
import { splitPeer, type CertificateRecord } from './records.ts';

/**
 * A peer-certificate line (records.ts CertificateRecord) on a `certificate` event: smtpd's peer
 * is the client, smtp's (and lmtp's) the relay. Postfix logs the CN only: written as a
 * one-attribute name, so the same comparison (issuer = subject: self-signed) holds for every
 * source (query/sql/certificates.ts).
 */
export function withCertificate(e: MailEvent, rec: CertificateRecord, program: string): MailEvent {
  const peer = splitPeer(rec.peer);
  if (program === 'smtpd') {
    e.client = peer.name;
    e.clientIp = peer.ip;
  } else {
    e.relay = peer.name;
    e.relayIp = peer.ip;
    e.relayPort = peer.port;
  }
  e.certSide = 'remote';
  e.certSubject = `CN=${rec.subjectCn}`;
  e.certIssuer = rec.issuerCn ? `CN=${rec.issuerCn}` : '';
  e.certFingerprint = normalizeFingerprint(rec.fingerprint);
  return e;
}
