import { simpleParser, type HeaderValue } from 'mailparser';
import type { Protection, ProtectionMechanism } from '../../../schemas/index.ts';

/**
 * What protects a message's content end to end, read from its MIME structure (log-formats §6):
 *   S/MIME   multipart/signed with protocol (x-)pkcs7-signature, a (x-)pkcs7-signature part → signed;
 *            (x-)pkcs7-mime with smime-type signed-data → signed, enveloped-data /
 *            authEnveloped-data → encrypted (without smime-type, a smime.p7m is taken as enveloped,
 *            §6.1); compressed-data and certs-only protect nothing
 *   PGP      multipart/encrypted with protocol application/pgp-encrypted → encrypted,
 *            multipart/signed with application/pgp-signature → signed (RFC 3156); inline armour
 *            `-----BEGIN PGP MESSAGE-----` / `-----BEGIN PGP SIGNED MESSAGE-----`
 *   IRM      `Content-Class: rpmsg.message…`, a `message.rpmsg` part of type
 *            application/x-microsoft-rpmsg-message (§6.3)
 * Every layer that can be seen is reported (a signature around an encrypted part: both); what an
 * encryption hides cannot be seen, and nothing is guessed about it. Nothing is verified: these are
 * the message's claims about itself.
 */
type Mechanism = ProtectionMechanism;

interface Typed { type: string; params: Record<string, string>; name: string }

function typed(h: HeaderValue | undefined, name = ''): Typed | undefined {
  if (!h || typeof h !== 'object' || !('value' in h)) return undefined;
  const params = (h as { params?: Record<string, string> }).params ?? {};
  return { type: String(h.value).toLowerCase(), params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k.toLowerCase(), String(v).toLowerCase()])), name: (name || params.name || '').toLowerCase() };
}

export async function detectProtection(raw: string | Buffer): Promise<Protection> {
  const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const found = new Map<Mechanism, string>();
  const add = (m: Mechanism, why: string) => {
    if (!found.has(m)) found.set(m, why);
  };
  const parts: Typed[] = [];
  const top = typed(parsed.headers.get('content-type'));
  if (top) parts.push(top);
  for (const a of parsed.attachments) {
    const t = typed(a.headers.get('content-type'), a.filename ?? '') ?? { type: a.contentType.toLowerCase(), params: {}, name: (a.filename ?? '').toLowerCase() };
    parts.push(t);
  }
  for (const p of parts) {
    const protocol = p.params.protocol ?? '';
    if (p.type === 'multipart/signed' && /pkcs7-signature$/.test(protocol)) add('smime-signed', `multipart/signed; protocol=${protocol}`);
    if (p.type === 'multipart/signed' && protocol === 'application/pgp-signature') add('pgp-signed', 'multipart/signed; protocol=application/pgp-signature');
    if (p.type === 'multipart/encrypted' && protocol === 'application/pgp-encrypted') add('pgp-encrypted', 'multipart/encrypted; protocol=application/pgp-encrypted');
    if (/^application\/(x-)?pkcs7-signature$/.test(p.type)) add('smime-signed', `${p.type} part`);
    if (/^application\/(x-)?pkcs7-mime$/.test(p.type)) {
      const kind = p.params['smime-type'] ?? '';
      if (kind === 'signed-data') add('smime-signed', `${p.type}; smime-type=signed-data`);
      else if (kind === 'enveloped-data' || kind === 'authenveloped-data') add('smime-encrypted', `${p.type}; smime-type=${kind}`);
      else if (kind === '' && p.name.endsWith('.p7m')) add('smime-encrypted', `${p.type} ${p.name} without smime-type (taken as enveloped-data)`);
    }
    if (p.type === 'application/pgp-encrypted') add('pgp-encrypted', 'application/pgp-encrypted part');
    if (p.type === 'application/pgp-signature') add('pgp-signed', 'application/pgp-signature part');
    if (p.type === 'application/x-microsoft-rpmsg-message' || p.name === 'message.rpmsg') add('irm', `${p.type} ${p.name}`.trim());
  }
  const contentClass = parsed.headers.get('content-class');
  if (typeof contentClass === 'string' && /^rpmsg\.message/i.test(contentClass)) add('irm', `Content-Class: ${contentClass}`);
  const text = parsed.text ?? '';
  if (text.includes('-----BEGIN PGP MESSAGE-----')) add('pgp-encrypted', 'inline -----BEGIN PGP MESSAGE-----');
  if (text.includes('-----BEGIN PGP SIGNED MESSAGE-----')) add('pgp-signed', 'inline -----BEGIN PGP SIGNED MESSAGE-----');
  const order: Mechanism[] = ['smime-signed', 'smime-encrypted', 'pgp-signed', 'pgp-encrypted', 'irm'];
  const mechanisms = order.filter((m) => found.has(m));
  return {
    mechanisms,
    endToEnd: mechanisms.some((m) => m === 'smime-encrypted' || m === 'pgp-encrypted' || m === 'irm'),
    evidence: mechanisms.map((m) => `${m}: ${found.get(m)}`).join('; '),
  };
}
