import { newEvent, Program, type MailEvent } from '../../../schemas/index.ts';
import { calendarMs, daysInMonth, storable } from '../calendar.ts';
import { MAX_U32, nonNegative, wholeNumber } from '../numbers.ts';

/**
 * One message tracking row (MSGTRK*, log-formats.md §1) → events. Columns are looked up by name
 * from the file's #Fields line (Exchange 2007 … 2019 differ), so a row is a name → value map.
 *
 * Mapping onto the shared event model (one event per recipient where the row is per recipient):
 *   RECEIVE (SMTP)        → receive; the SMTP session id of source-context joins the protocol log
 *   RECEIVE (STOREDRIVER) → receive from a mailbox (local submission: no client hop)
 *   SUBMIT                → delivery 'sent' to the transport server in server-hostname
 *   SEND, SENDEXTERNAL    → delivery 'sent'; `[InternalId=N, Hostname=H]` of the next hop's reply is
 *                           the queue the next service holds it in (nextQueueId, relay)
 *   DELIVER               → delivery 'sent' into a mailbox (final)
 *   DEFER / FAIL          → delivery 'deferred' / 'bounced'
 *   DSN                   → dsn (reference = the notification's message id)
 *   EXPAND, REDIRECT      → expand (recipient = member, origRecipient = the list or old address)
 *   TRANSFER              → delivery 'transfer' from the parent (reference) to the fork, same server
 *   anything else         → other (kept, not on any path)
 * internal-message-id is the queue id: per server and per service, like a Postfix queue id.
 */
export type Row = Record<string, string>;

export interface RowContext {
  /** the server that wrote the row, lower-case short name */
  host: string;
  /** role of the service that wrote the row ('' unknown) */
  role: string;
  file: string;
  offset: number;
  id: (n: number) => string;
}

const QUEUED = /\[InternalId=(\d+)(?:, Hostname=([^\]\s]+))?\]/;
const ENHANCED = /\b([245]\.\d{1,3}\.\d{1,3})\b/;

/** The enhanced status code (RFC 3463, `5.1.1`) in an SMTP reply, or ''. */
export function enhancedCode(reply: string): string {
  return ENHANCED.exec(reply)?.[1] ?? '';
}

/** `<x@y>` whether or not the log kept the brackets (anonymised logs drop them). */
export function bracketId(id: string): string {
  const t = id.trim();
  if (t === '') return '';
  return t.startsWith('<') ? t : `<${t}>`;
}

/** First DNS label, lower case: `MBX1.corp.example` and `MBX1` are the same server. */
export function shortHost(name: string): string {
  const t = name.trim().toLowerCase();
  if (t === '' || /^[\d.]+$/.test(t) || t.includes(':')) return t;
  return t.split('.')[0];
}

function recipients(row: Row): { address: string; status: string }[] {
  const list = (row['recipient-address'] ?? '').split(';').map((a) => a.trim()).filter(Boolean);
  const raw = row['recipient-status'] ?? '';
  if (list.length <= 1) return list.map((address) => ({ address, status: raw }));
  // statuses may themselves contain ';' (`550 4.4.7 QUEUE.Expired;<text>`): split only when the
  // counts agree, else every recipient gets the whole text
  const parts = raw.split(';');
  return list.map((address, i) => ({ address, status: parts.length === list.length ? parts[i] : raw }));
}

/** custom-data `S:key=value;S:key=value` → map (values may hold '=' and '|'). */
export function customData(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of text.split(';')) {
    const colon = item.indexOf(':');
    const eq = item.indexOf('=');
    if (colon < 0 || eq < colon) continue;
    out.set(item.slice(colon + 1, eq), item.slice(eq + 1));
  }
  return out;
}

export function rowEvents(row: Row, ctx: RowContext): MailEvent[] {
  const eventId = (row['event-id'] ?? '').toUpperCase();
  const source = (row['source'] ?? '').toUpperCase();
  const ts = isoTime(row['date-time'] ?? '');
  const returnPath = row['return-path'] ?? '';
  const base: MailEvent = Object.assign(newEvent('', ts, ctx.host, 'other'), {
    source: 'exchange', program: eventId.toLowerCase(), instance: source.toLowerCase(),
    queueId: row['internal-message-id'] ?? '', messageId: bracketId(row['message-id'] ?? ''),
    sender: returnPath === '<>' ? '' : returnPath.replace(/^<|>$/g, '') || (row['sender-address'] ?? ''),
    size: wholeNumber(Number(row['total-bytes'])), nrcpt: wholeNumber(Number(row['recipient-count']), MAX_U32),
    sourceFile: ctx.file, sourceOffset: ctx.offset, role: ctx.role, networkMessageId: row['network-message-id'] ?? '',
    connector: row['connector-id'] ?? '',
  });
  const out: MailEvent[] = [];
  const push = (e: Partial<MailEvent>): void => {
    out.push({ ...base, ...e, id: ctx.id(out.length) });
  };
  const perRecipient = (fields: (status: string) => Partial<MailEvent>): void => {
    for (const r of recipients(row)) push({ recipient: r.address, ...fields(r.status) });
  };
  const sourceContext = row['source-context'] ?? '';
  switch (eventId) {
    case 'RECEIVE':
    case 'HARECEIVE': {
      if (eventId === 'HARECEIVE') {
        push({ kind: 'other' });
        break;
      }
      if (source === 'STOREDRIVER') {
        const named = recipients(row);
        (named.length > 0 ? named.map((r) => r.address) : ['']).forEach((recipient) =>
          push({ kind: 'receive', recipient, client: '', tlsEvidence: 'local-submission', role: ctx.role || 'mailbox:STOREDRIVER rows (mailbox store)' }));
        break;
      }
      const cd = customData(row['custom-data'] ?? '');
      // one receipt per recipient it names: a message seen only here still has its recipients
      const named = recipients(row);
      (named.length > 0 ? named.map((r) => r.address) : ['']).forEach((recipient) => push({
        kind: 'receive',
        recipient,
        client: (row['client-hostname'] ?? '') || (row['client-ip'] ?? ''),
        clientIp: row['client-ip'] ?? '',
        sessionId: source === 'SMTP' ? sourceContext.split(';')[0].trim() : '',
        // `<session-id>;<session start>;<n>` (§1.7): the client's hand-off began at the session's start
        delayTransmit: source === 'SMTP' ? sinceStart(sourceContext.split(';')[1] ?? '', ts) : 0,
        origRecipient: '',
        reply: cd.get('ProxiedClientHostname') ? `proxied for ${cd.get('ProxiedClientHostname')}` : '',
      }));
      break;
    }
    case 'SUBMIT': {
      // Exchange 2007 SUBMIT rows may name neither an internal id nor recipients (§1.9a): the
      // hand-off still happened, for every recipient, from this server's submission queue. Without
      // an internal id the queue is named after the message (`submit:<message-id>`): one queue per
      // message, never one shared by every submission of the server
      const queueId = base.queueId || (base.messageId ? `submit:${base.messageId}` : 'submit');
      const submit: Partial<MailEvent> = { kind: 'delivery', status: 'sent', relay: row['server-hostname'] ?? '', relayIp: row['server-ip'] ?? '', queueId };
      if (recipients(row).length === 0) push(submit);
      else perRecipient(() => submit);
      break;
    }
    case 'SEND':
    case 'SENDEXTERNAL': {
      const q = QUEUED.exec(sourceContext);
      const reply = sourceContext.replace(/^[^;]*;/, '').replace(/;ClientSubmitTime:.*$/, '');
      const cd = customData(row['custom-data'] ?? '');
      perRecipient((status) => ({
        kind: 'delivery', status: 'sent', relay: row['server-hostname'] || q?.[2] || '', relayIp: row['server-ip'] ?? '',
        nextQueueId: q?.[1] ?? '', reply, dsn: enhancedCode(status),
        delay: seconds(cd.get('E2ELatency')), delayTransmit: seconds(cd.get('ExternalSendLatency')),
        ...tlsFromAuthLevels(cd),
      }));
      break;
    }
    case 'DELIVER': {
      const cd = customData(row['custom-data'] ?? '');
      // server-hostname is the mailbox server written to: the same server from 2013, another one
      // when an Exchange 2007/2010 hub's store driver delivers (§1.9a)
      perRecipient((status) => ({ kind: 'delivery', status: 'sent', program: Program.storeDriver, relay: row['server-hostname'] || 'mailbox', reply: status, dsn: enhancedCode(status) || '2.0.0', delay: seconds(cd.get('E2ELatency')) }));
      break;
    }
    case 'AGENTINFO':
      // agent verdicts (anti-malware AMA=…, transport rules TRA=…, spam filter SFA=…) kept as said
      push({ kind: 'other', reply: row['custom-data'] ?? '' });
      break;
    case 'DEFER':
    case 'FAIL':
    case 'DELIVERFAIL':
    case 'SUBMITDEFER':
    case 'SUBMITFAIL': {
      const failed = eventId.endsWith('FAIL');
      perRecipient((status) => ({
        kind: 'delivery', status: failed ? 'bounced' : 'deferred', relay: row['server-hostname'] ?? '', relayIp: row['server-ip'] ?? '',
        reply: status || sourceContext, dsn: enhancedCode(status),
      }));
      // on the original, `reference` names the notification it caused (§1.9): a link, not a hop
      if (failed && row['reference']) push({ kind: 'dsn', reply: bracketId(row['reference']) });
      break;
    }
    case 'DSN':
      // the notification's own row: its `reference` is the original it reports on
      push({ kind: 'dsn', reply: bracketId(row['reference'] ?? '') });
      break;
    case 'TRANSFER':
      // recipients moved to a forked copy on this server (§1.9): the fork is this row's
      // internal-message-id, the parent's is in `reference` — a hand-off inside the server
      if (row['reference']) {
        perRecipient(() => ({ kind: 'delivery', status: 'sent', program: Program.transfer, queueId: row['reference'] ?? '', nextQueueId: row['internal-message-id'] ?? '', relay: ctx.host }));
      } else push({ kind: 'other' });
      break;
    case 'EXPAND':
    case 'REDIRECT':
      perRecipient(() => ({ kind: 'expand', origRecipient: row['related-recipient-address'] ?? '' }));
      break;
    default:
      push({ kind: 'other' });
  }
  return out;
}

function sinceStart(start: string, ts: string): number {
  const a = Date.parse(start.trim());
  const b = Date.parse(ts);
  return Number.isNaN(a) || Number.isNaN(b) || b < a ? 0 : (b - a) / 1000;
}

function seconds(v: string | undefined): number {
  return nonNegative(Number(v));
}

const TRUST_BY_LEVEL: Record<string, MailEvent['tlsTrust']> = { EncryptionOnly: 'untrusted', CertificateValidation: 'trusted', DomainValidation: 'verified' };

/**
 * What custom-data proves about a send's TLS (§1.7): an EffectiveTlsAuthLevel says what was
 * negotiated; a RequiredTlsAuthLevel above Opportunistic means the send could only succeed over
 * TLS. Opportunistic alone proves nothing: the protocol log has to say.
 */
function tlsFromAuthLevels(cd: Map<string, string>): Partial<MailEvent> {
  const effective = cd.get('Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel') ?? '';
  const required = cd.get('Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel') ?? '';
  if (TRUST_BY_LEVEL[effective]) return { tls: 'encrypted', tlsTrust: TRUST_BY_LEVEL[effective], tlsEvidence: `exchange-effective-tls:${effective}` };
  if (TRUST_BY_LEVEL[required]) return { tls: 'encrypted', tlsTrust: TRUST_BY_LEVEL[required], tlsEvidence: `exchange-required-tls:${required}` };
  return {};
}

/** the form Exchange writes, with every part in range (the day is checked against its month apart) */
const CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?$/;

/**
 * `2026-03-01T08:00:00.123Z` as logged; EXO exports drop the zone and carry 7 decimals (UTC). The
 * result is the canonical 24-character form events carry, or '' when the text is no such stamp (a
 * mangled one that merely ends in Z, one with a zone offset) or names no time (30 February, 24 h).
 * This runs for every row: the form Exchange writes is checked by its parts and kept as it
 * stands, without a Date.
 */
export function isoTime(text: string): string {
  const t = text.trim();
  if (CANONICAL.test(t) && (t.charCodeAt(8) < 50 /* day < 20 */ || Number(t.slice(8, 10)) <= daysInMonth(Number(t.slice(0, 4)), Number(t.slice(5, 7))))) return t;
  const m = ISO_UTC.exec(t);
  if (!m) return '';
  const ms = calendarMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(((m[7] ?? '') + '000').slice(0, 3)));
  return storable(ms) ? new Date(ms).toISOString() : '';
}
