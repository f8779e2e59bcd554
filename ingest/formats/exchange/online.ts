import { newEvent, type MailEvent } from '../../../schemas/index.ts';
import type { Row } from './tracking.ts';
import { bracketId, isoTime } from './tracking.ts';

/**
 * Exchange Online / Microsoft 365 exports that have a plain CSV header row instead of the
 * W3C-style `#Fields` block (log-formats.md §3):
 *   - the extended message trace report: the tracking-log columns with `_` for `-` and
 *     `date_time_utc` → read as tracking rows;
 *   - Get-MessageTrace / Get-MessageTraceV2 exported with Export-Csv: one row per recipient with
 *     Received (UTC, no zone, 7 decimals), SenderAddress, RecipientAddress, Status, FromIP, ToIP,
 *     Size, MessageTraceId (the network message id) → a receipt and an outcome in Exchange Online;
 *   - Get-MessageTraceDetail(V2) exported the same way: one row per event (Date, Event, Detail),
 *     whose Detail text carries the TLS of a receipt or a send: `Message received by: HOST using
 *     TLS1.2 with AES256` (§3.2) → the same queue as the summary, with that TLS.
 * Windows PowerShell's Export-Csv writes a `#TYPE …` line first unless -NoTypeInformation: skipped.
 */
export type HeaderKind = 'tracking' | 'exo-trace' | 'exo-detail';

export function headerRowKind(names: readonly string[]): HeaderKind | undefined {
  const set = new Set(names.map((n) => n.toLowerCase()));
  if (set.has('date_time_utc') || (set.has('event_id') && set.has('message_id'))) return 'tracking';
  if (set.has('messagetraceid') && set.has('received') && set.has('status')) return 'exo-trace';
  if (set.has('messagetraceid') && set.has('event') && set.has('detail')) return 'exo-detail';
  return undefined;
}

/** the host name Exchange Online rows are filed under: its servers are not named in a summary */
export const EXO_HOST = 'exchange-online';

const STATUS: Record<string, MailEvent['status']> = {
  delivered: 'sent', failed: 'bounced', pending: 'deferred', gettingstatus: 'deferred',
  filteredasspam: 'discarded', quarantined: 'discarded',
};

export function messageTraceEvents(row: Row, ctx: { file: string; offset: number; id: (n: number) => string }): MailEvent[] {
  const get = (k: string): string => row[k] ?? row[k.toLowerCase()] ?? '';
  const ts = isoTime(get('Received'));
  const status = get('Status').toLowerCase();
  const base: MailEvent = Object.assign(newEvent('', ts, EXO_HOST, 'receive'), {
    source: 'exchange-online', program: 'messagetrace', instance: get('Organization'),
    queueId: get('MessageTraceId'), messageId: bracketId(get('MessageId')), sender: get('SenderAddress'),
    client: get('FromIP'), clientIp: get('FromIP'), size: Number(get('Size')) || 0,
    sourceFile: ctx.file, sourceOffset: ctx.offset, role: 'online', networkMessageId: get('MessageTraceId'),
  });
  const out: MailEvent[] = [];
  // outbound mail has no FromIP: it started inside Exchange Online (a mailbox), no client hop
  out.push({ ...base, id: ctx.id(0), client: base.client, tlsEvidence: base.client ? '' : 'local-submission' });
  if (status === 'expanded') return out;
  const toIp = get('ToIP');
  out.push({
    ...base, id: ctx.id(1), kind: 'delivery', recipient: get('RecipientAddress'), client: '', clientIp: '',
    status: STATUS[status] ?? '', reply: get('Status'),
    // delivered with no ToIP: into a mailbox of the tenant (final); else handed to ToIP
    program: toIp ? 'messagetrace' : 'storedriver', relay: toIp || 'mailbox', relayIp: toIp,
  });
  return out;
}

const TLS_TEXT = /using (TLS1\.[0-3]|SSL3) with (AES(?:128|256)|\w+)/;

export function messageTraceDetailEvents(row: Row, ctx: { file: string; offset: number; id: (n: number) => string }): MailEvent[] {
  const get = (k: string): string => row[k] ?? '';
  const ts = isoTime(get('Date'));
  const event = get('Event').toLowerCase();
  const detail = get('Detail');
  const tls = TLS_TEXT.exec(detail);
  const base: MailEvent = Object.assign(newEvent(ctx.id(0), ts, EXO_HOST, 'other'), {
    source: 'exchange-online', program: `detail-${event.replace(/\s+/g, '')}`, instance: get('Organization'),
    queueId: get('MessageTraceId'), messageId: bracketId(get('MessageId')), sender: get('SenderAddress'), reply: detail,
    tls: tls ? 'encrypted' as const : 'unknown' as const, tlsVersion: tls ? `TLSv${tls[1].slice(3)}` : '', cipher: tls?.[2] ?? '',
    cipherBits: Number(/\d+$/.exec(tls?.[2] ?? '')?.[0] ?? 0), tlsEvidence: tls ? 'exo-trace-detail' : '',
    sourceFile: ctx.file, sourceOffset: ctx.offset, role: 'online', networkMessageId: get('MessageTraceId'),
  });
  const rcpt = get('RecipientAddress');
  // the detail names the receiving server, not the sender: the summary row gives the client (FromIP)
  if (event === 'receive') return [{ ...base, kind: 'receive' }];
  if (event === 'send external' || event === 'send') {
    const to = /sent to (\S+?)(?: at (\S+?))?(?: using|$)/i.exec(detail);
    return [{ ...base, kind: 'delivery', status: 'sent', recipient: rcpt, relay: to?.[1] ?? '', relayIp: to?.[2] ?? '', program: 'messagetrace' }];
  }
  if (event === 'deliver') return [{ ...base, kind: 'delivery', status: 'sent', recipient: rcpt, program: 'storedriver', relay: 'mailbox' }];
  if (event === 'fail') return [{ ...base, kind: 'delivery', status: 'bounced', recipient: rcpt }];
  if (event === 'defer') return [{ ...base, kind: 'delivery', status: 'deferred', recipient: rcpt }];
  return [base];
}
