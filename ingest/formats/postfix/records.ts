import { MAX_U16, MAX_U32, nonNegative, wholeNumber } from '../numbers.ts';

/**
 * The message text of one Postfix line → a typed record, or undefined for text we do not model.
 * Pure string work, no state. Facts and verbatim examples: shared/reference/log-formats.md
 * §4.2 (queue lifecycle), §4.3 (per-program bodies), §4.4 (TLS summaries, tls= feature field).
 */
export interface TlsRecord {
  t: 'tls';
  direction: 'from' | 'to';
  /** '' for Postfix ≤ 2.4, which wrote the summary without a trust word (§4.4) */
  trust: 'anonymous' | 'untrusted' | 'trusted' | 'verified' | '';
  /** `name[addr]` or `name[addr]:port`, exactly as logged, to match the delivery's relay= */
  peer: string;
  version: string;
  cipher: string;
  bits: number;
}

/**
 * The peer's certificate as `smtp[d]_tls_loglevel = 2` logs it (recorded from real Postfix 3.7.11,
 * test/fixtures/postfix/tls-loglevel2): smtp writes `issuer_CN=`, smtpd `issuer=`; the fingerprints
 * use smtp[d]_tls_fingerprint_digest (colon-separated hex). No dates, no serial.
 */
export interface CertificateRecord {
  t: 'certificate';
  /** `name[addr]` (smtpd) or `name[addr]:port` (smtp) */
  peer: string;
  subjectCn: string;
  issuerCn: string;
  fingerprint: string;
}

export interface DeliveryRecord {
  t: 'delivery';
  qid: string;
  to: string;
  origTo: string;
  relay: string;
  relayName: string;
  relayIp: string;
  relayPort: number;
  connUse: number;
  delay: number;
  delays: [number, number, number, number];
  /** Postfix ≥ 3.11 `tls=` feature status, '' when absent */
  tlsFeature: string;
  dsn: string;
  status: string;
  reply: string;
  /** `queued as X` in the reply: the next server's queue id */
  nextQid: string;
}

export type PostfixRecord =
  | { t: 'connect'; client: string; ip: string }
  /** counters: the session's command counters were logged (Postfix ≥ 3.0, §4.4); starttls only means anything then */
  | { t: 'disconnect'; client: string; ip: string; starttls: number; counters: boolean }
  | TlsRecord
  | { t: 'tls-failed'; peer: string; detail: string }
  | CertificateRecord
  | { t: 'client'; qid: string; client: string; ip: string }
  | { t: 'pickup'; qid: string; sender: string }
  | { t: 'message-id'; qid: string; messageId: string }
  | { t: 'qmgr-from'; qid: string; sender: string; size: number; nrcpt: number }
  | { t: 'expired'; qid: string; sender: string }
  | { t: 'removed'; qid: string }
  | DeliveryRecord
  | { t: 'dsn'; qid: string; notice: string; dsnQid: string }
  | { t: 'reject'; qid: string; client: string; ip: string; reply: string; sender: string; recipient: string; helo: string };

/** Short hex ids and long ids (enable_long_queue_ids); permissive as the reference advises. */
const QID_RE = /^([0-9A-Za-z]{5,20}): /;

/** `name[addr]` or `name[addr]:port` → parts. */
export function splitPeer(peer: string): { name: string; ip: string; port: number } {
  const open = peer.indexOf('[');
  if (open < 0) return { name: peer, ip: '', port: 0 };
  const close = peer.indexOf(']', open);
  if (close < 0) return { name: peer.slice(0, open), ip: peer.slice(open + 1), port: 0 };
  const port = peer.charCodeAt(close + 1) === 58 ? wholeNumber(Number(peer.slice(close + 2)), MAX_U16) : 0;
  return { name: peer.slice(0, open), ip: peer.slice(open + 1, close), port };
}

/** `<a@b>` → `a@b`; older local(8) logs write addresses without brackets. */
function unbracket(s: string): string {
  return s.length >= 2 && s.charCodeAt(0) === 60 && s.charCodeAt(s.length - 1) === 62 ? s.slice(1, -1) : s;
}

/** Read `key=value` fields separated by `, ` up to the first ` (`-introduced free text (the reply). */
function readFields(text: string, start: number): { fields: Map<string, string>; reply: string } {
  const fields = new Map<string, string>();
  let i = start;
  let reply = '';
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const key = text.slice(i, eq);
    let end: number;
    if (key === 'status') {
      // status=sent (reply text, which may contain anything)
      const sp = text.indexOf(' ', eq + 1);
      end = sp < 0 ? text.length : sp;
      fields.set(key, text.slice(eq + 1, end));
      if (sp >= 0) {
        reply = text.slice(sp + 1);
        if (reply.startsWith('(') && reply.endsWith(')')) reply = reply.slice(1, -1);
      }
      break;
    }
    if (text.charCodeAt(eq + 1) === 60) {
      // <address>, which may contain ", "
      const gt = text.indexOf('>', eq + 1);
      end = gt < 0 ? text.length : gt + 1;
    } else {
      const comma = text.indexOf(', ', eq + 1);
      end = comma < 0 ? text.length : comma;
    }
    fields.set(key, text.slice(eq + 1, end));
    i = end + 2;
  }
  return { fields, reply };
}

const TLS_RE = /^(?:(Anonymous|Untrusted|Trusted|Verified) )?TLS connection (?:established|reused) (to|from) (\S+?)(?: to \S+)?: (\S+) with cipher (\S+) \((\d+)\/\d+ bits\)/;
const PEER_CERT_RE = /^(\S+\[[^\]]*\](?::\d+)?): subject_CN=(.*?), issuer(?:_CN)?=(.*?)(?:, fingerprint=([0-9A-Fa-f:]+))?(?:, pkey_fingerprint=[0-9A-Fa-f:]+)?$/;
const QUEUED_AS_RE = /queued as ([0-9A-Za-z]{5,20})\b/;
/** local/virtual forwarding continues in a new queue file on the same host (§4.4 facts) */
const FORWARDED_AS_RE = /^forwarded as ([0-9A-Za-z]{5,20})\b/;
const DISCONNECT_RE = /^disconnect from (\S+)/;
const REJECT_RE = /^(?:milter-)?reject: \S+ from (\S+): (.*?); from=<([^>]*)>,? to=<([^>]*)>(?:,? proto=\S+)?(?:,? helo=<([^>]*)>)?/;
/** `NOQUEUE: reject: EHLO|CONNECT|VRFY from …: <reply>; [proto=…] [helo=<…>]`: no envelope (§4.4 facts) */
const SESSION_REJECT_RE = /^(?:milter-)?reject: (?:CONNECT|EHLO|HELO|VRFY|ETRN|AUTH|STARTTLS|DATA|MAIL) from (\S+): (.*?)(?:; (?:from=<([^>]*)>,? )?(?:to=<([^>]*)>,? )?(?:proto=\S+)?(?:,? helo=<([^>]*)>)?)?$/;
/** cleanup(8) `QID: reject: header|body <text> from host[ip]; from=<…> to=<…> [proto=… helo=<…>]: <reply>` ends the message */
const CONTENT_REJECT_RE = /^(?:milter-)?reject: (?:header|body|END-OF-MESSAGE) .*? from (\S+); from=<([^>]*)> to=<([^>]*)>(?: proto=\S+)?(?: helo=<([^>]*)>)?: (.*)$/;

const DELIVERY_AGENTS = new Set(['smtp', 'lmtp', 'local', 'virtual', 'pipe', 'error', 'discard', 'retry']);

export function parseRecord(program: string, text: string): PostfixRecord | undefined {
  const q = QID_RE.exec(text);
  if (!q) return parseSessionText(program, text);
  const qid = q[1];
  const body = text.slice(q[0].length);
  if (qid === 'NOQUEUE') return body.includes('reject: ') ? parseReject('', body) : undefined;

  // older queue managers log `to=…, relay=none, … status=deferred (delivery temporarily suspended …)` themselves
  if ((DELIVERY_AGENTS.has(program) || program === 'qmgr') && body.startsWith('to=')) return parseDelivery(qid, body);
  switch (program) {
    case 'smtpd':
    case 'submission':
    case 'smtps':
    case 'postscreen':
      if (body.startsWith('client=')) {
        const peer = splitPeer(body.slice(7).split(',', 1)[0]);
        return { t: 'client', qid, client: peer.name, ip: peer.ip };
      }
      if (body.startsWith('reject: ') || body.startsWith('milter-reject: ')) return parseReject(qid, body);
      return undefined;
    case 'cleanup':
      if (body.startsWith('message-id=')) return { t: 'message-id', qid, messageId: body.slice(11).trim() };
      if (body.startsWith('reject: ') || body.startsWith('milter-reject: ')) return parseReject(qid, body);
      return undefined;
    case 'pickup':
      if (body.startsWith('uid=')) {
        const from = /from=<([^>]*)>/.exec(body);
        return { t: 'pickup', qid, sender: from ? from[1] : '' };
      }
      return undefined;
    case 'qmgr':
      return parseQmgr(qid, body);
    case 'bounce': {
      // `sender non-delivery notification: NEWQID` and friends
      const colon = body.lastIndexOf(': ');
      if (colon > 0 && body.includes('notification')) return { t: 'dsn', qid, notice: body.slice(0, colon), dsnQid: body.slice(colon + 2).trim() };
      return undefined;
    }
    default:
      return undefined;
  }
}

function parseQmgr(qid: string, body: string): PostfixRecord | undefined {
  if (body === 'removed') return { t: 'removed', qid };
  if (!body.startsWith('from=')) return undefined;
  const { fields } = readFields(body, 0);
  const sender = unbracket(fields.get('from') ?? '');
  // `status=expired` (maximal_queue_lifetime) and `status=force-expired` (postsuper -e) both return it (§4.4 facts)
  if (/status=(?:force-)?expired/.test(body)) return { t: 'expired', qid, sender };
  return { t: 'qmgr-from', qid, sender, size: wholeNumber(Number(fields.get('size'))), nrcpt: wholeNumber(parseInt(fields.get('nrcpt') ?? '0', 10), MAX_U32) };
}

function parseDelivery(qid: string, body: string): DeliveryRecord {
  const { fields, reply } = readFields(body, 0);
  const relay = fields.get('relay') ?? '';
  const peer = splitPeer(relay);
  const delays = (fields.get('delays') ?? '').split('/').map((x) => nonNegative(Number(x)));
  const next = QUEUED_AS_RE.exec(reply) ?? FORWARDED_AS_RE.exec(reply);
  return {
    t: 'delivery',
    qid,
    to: unbracket(fields.get('to') ?? ''),
    origTo: unbracket(fields.get('orig_to') ?? ''),
    relay,
    relayName: peer.name,
    relayIp: peer.ip,
    relayPort: peer.port,
    connUse: Number(fields.get('conn_use')) || 0,
    delay: nonNegative(Number(fields.get('delay'))),
    delays: [delays[0] ?? 0, delays[1] ?? 0, delays[2] ?? 0, delays[3] ?? 0],
    tlsFeature: fields.get('tls') ?? '',
    dsn: fields.get('dsn') ?? '',
    status: fields.get('status') ?? '',
    reply,
    nextQid: next ? next[1] : '',
  };
}

function parseReject(qid: string, body: string): PostfixRecord | undefined {
  const content = CONTENT_REJECT_RE.exec(body);
  if (content) {
    const peer = splitPeer(content[1]);
    return { t: 'reject', qid, client: peer.name, ip: peer.ip, reply: content[5], sender: content[2], recipient: content[3], helo: content[4] ?? '' };
  }
  const m = REJECT_RE.exec(body) ?? SESSION_REJECT_RE.exec(body);
  if (!m) return undefined;
  const peer = splitPeer(m[1]);
  return { t: 'reject', qid, client: peer.name, ip: peer.ip, reply: m[2], sender: m[3] ?? '', recipient: m[4] ?? '', helo: m[5] ?? '' };
}

/** Lines without a queue id: connections, TLS summaries, TLS failures. */
function parseSessionText(program: string, text: string): PostfixRecord | undefined {
  const c = text.charCodeAt(0);
  if (c === 99 /* c */ && text.startsWith('connect from ')) {
    const peer = splitPeer(text.slice(13));
    return { t: 'connect', client: peer.name, ip: peer.ip };
  }
  if (c === 100 /* d */ && text.startsWith('disconnect from ')) {
    const m = DISCONNECT_RE.exec(text);
    const peer = splitPeer(m ? m[1] : '');
    const st = /\bstarttls=(\d+)/.exec(text);
    return { t: 'disconnect', client: peer.name, ip: peer.ip, starttls: st ? Number(st[1]) : 0, counters: text.includes(' commands=') };
  }
  if (text.includes('TLS connection ')) {
    const m = TLS_RE.exec(text);
    if (!m) return undefined;
    return {
      t: 'tls',
      trust: (m[1] ?? '').toLowerCase() as TlsRecord['trust'],
      direction: m[2] as 'to' | 'from',
      peer: m[3],
      version: m[4],
      cipher: m[5],
      bits: wholeNumber(Number(m[6]), MAX_U16),
    };
  }
  if (text.includes(': subject_CN=')) {
    const m = PEER_CERT_RE.exec(text);
    if (m) return { t: 'certificate', peer: m[1], subjectCn: m[2], issuerCn: m[3], fingerprint: m[4] ?? '' };
  }
  if (text.startsWith('SSL_accept error from ') || text.startsWith('SSL_connect error to ')) {
    const rest = text.slice(text.indexOf(' ', 10) + 1);
    const peerText = rest.slice(rest.indexOf(' ') + 1).split(':', 1)[0];
    return { t: 'tls-failed', peer: peerText, detail: text };
  }
  if (program === 'smtpd' && text.startsWith('lost connection after STARTTLS from ')) {
    return { t: 'tls-failed', peer: text.slice(36), detail: text };
  }
  return undefined;
}
