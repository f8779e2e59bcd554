import type { MailEvent } from '../../../schemas/index.ts';
import type { Row } from './tracking.ts';
import { bracketId, isoTime } from './tracking.ts';

/**
 * Exchange Online / Microsoft 365 exports that have a plain CSV header row instead of the
 * W3C-style `#Fields` block (log-formats.md §3):
 *   - the extended message trace report: the tracking-log columns with `_` for `-` and
 *     `date_time_utc` → read as tracking rows;
 *   - Get-MessageTrace / Get-MessageTraceV2 exported with Export-Csv: one row per recipient with
 *     Received (UTC, no zone, 7 decimals), SenderAddress, RecipientAddress, Status, FromIP, ToIP,
 *     Size, MessageTraceId (the network message id) → a receipt and an outcome in Exchange Online.
 * Windows PowerShell's Export-Csv writes a `#TYPE …` line first unless -NoTypeInformation: skipped.
 */
export type HeaderKind = 'tracking' | 'exo-trace';

export function headerRowKind(names: readonly string[]): HeaderKind | undefined {
  const set = new Set(names.map((n) => n.toLowerCase()));
  if (set.has('date_time_utc') || (set.has('event_id') && set.has('message_id'))) return 'tracking';
  if (set.has('messagetraceid') && set.has('received') && set.has('status')) return 'exo-trace';
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
  const base: MailEvent = {
    id: '', ts, host: EXO_HOST, kind: 'receive', source: 'exchange-online', program: 'messagetrace', instance: get('Organization'), pid: 0,
    queueId: get('MessageTraceId'), messageId: bracketId(get('MessageId')), sender: get('SenderAddress'), recipient: '', origRecipient: '',
    client: get('FromIP'), clientIp: get('FromIP'), relay: '', relayIp: '', relayPort: 0, nextQueueId: '', status: '', dsn: '', reply: '',
    delay: 0, delayBefore: 0, delayQueue: 0, delayConnect: 0, delayTransmit: 0, size: Number(get('Size')) || 0, nrcpt: 0,
    tls: 'unknown', tlsVersion: '', cipher: '', cipherBits: 0, tlsTrust: '', tlsEvidence: '', sourceFile: ctx.file, sourceOffset: ctx.offset,
    sessionId: '', role: 'online', networkMessageId: get('MessageTraceId'),
  };
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
