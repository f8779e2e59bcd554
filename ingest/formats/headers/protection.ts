import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MailParser, type HeaderValue } from 'mailparser';
import { isEndToEnd, ProtectionMechanism, type Protection } from '../../../schemas/index.ts';

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

/** A MIME part as the rules see it: lower-case type, parameters and file name. */
export interface Typed { type: string; params: Record<string, string>; name: string }

function typed(h: HeaderValue | undefined, name = ''): Typed | undefined {
  if (!h || typeof h !== 'object' || !('value' in h)) return undefined;
  const params = (h as { params?: Record<string, string> }).params ?? {};
  return { type: String(h.value).toLowerCase(), params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k.toLowerCase(), String(v).toLowerCase()])), name: (name || params.name || '').toLowerCase() };
}

/** A whole message (string or bytes) → its protection. */
export async function detectProtection(raw: string | Buffer): Promise<Protection> {
  return protectionFromStream(Readable.from([typeof raw === 'string' ? Buffer.from(raw) : raw]));
}

/**
 * A message as a stream → its protection, in bounded memory: parts are looked at by their headers,
 * and their contents (a 100 MB attachment) drained, never kept. Only the text body is held (to
 * look for inline PGP armour), as mailparser decodes it.
 */
export async function protectionFromStream(input: Readable): Promise<Protection> {
  const parser = new MailParser({ skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const parts: Typed[] = [];
  let contentClass = '';
  let text = '';
  parser.on('headers', (headers: Map<string, HeaderValue>) => {
    const top = typed(headers.get('content-type'));
    if (top) parts.push(top);
    const cc = headers.get('content-class');
    if (typeof cc === 'string') contentClass = cc;
  });
  parser.on('data', (data: { type: string; text?: string; content?: Readable; release?: () => void; headers?: Map<string, HeaderValue>; contentType?: string; filename?: string }) => {
    if (data.type === 'text') {
      text += data.text ?? '';
      return;
    }
    if (data.type !== 'attachment') return;
    parts.push(typed(data.headers?.get('content-type'), data.filename ?? '') ?? { type: (data.contentType ?? '').toLowerCase(), params: {}, name: (data.filename ?? '').toLowerCase() });
    data.content?.on('data', () => {});
    data.content?.on('end', () => data.release?.());
  });
  await pipeline(input, parser);
  return decide(parts, contentClass, text);
}

function decide(parts: readonly Typed[], contentClass: string, text: string): Protection {
  const found = new Map<Mechanism, string>();
  const add = (m: Mechanism, why: string) => {
    if (!found.has(m)) found.set(m, why);
  };
  for (const p of parts) partMechanisms(p, add);
  if (/^rpmsg\.message/i.test(contentClass)) add('irm', `Content-Class: ${contentClass}`);
  if (text.includes('-----BEGIN PGP MESSAGE-----')) add('pgp-encrypted', 'inline -----BEGIN PGP MESSAGE-----');
  if (text.includes('-----BEGIN PGP SIGNED MESSAGE-----')) add('pgp-signed', 'inline -----BEGIN PGP SIGNED MESSAGE-----');
  // in the enum's order: the one order every reader shows mechanisms in
  const mechanisms = ProtectionMechanism.options.filter((m) => found.has(m));
  return {
    mechanisms,
    endToEnd: isEndToEnd(mechanisms),
    evidence: mechanisms.length > 0 ? mechanisms.map((m) => `${m}: ${found.get(m)}`).join('; ') : 'no signature, encryption or rights management in the MIME structure',
    known: true,
  };
}

/**
 * The S/MIME, PGP and IRM rules for one MIME part, by its type, parameters and file name: the one
 * place they are written (a .msg's Content-Type properties are read by them too, msg.ts).
 */
export function partMechanisms(p: Typed, add: (m: Mechanism, why: string) => void): void {
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
