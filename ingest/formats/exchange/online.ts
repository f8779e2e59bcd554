import { newEvent, Program, type MailEvent } from '../../../schemas/index.ts';
import { normalizeTlsVersion } from '../tls-version.ts';
import { calendarMs, storable } from '../calendar.ts';
import { MAX_U16, wholeNumber } from '../numbers.ts';
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

/** Which comes first in a slashed date that cannot tell by itself: month (en-US) or day (en-GB, fr-FR, …). */
export type DateOrder = 'mdy' | 'dmy';

const CULTURE_TIME = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp])?\.?[Mm]?\.?$/;

/**
 * An export's time (UTC per Microsoft's docs) as ISO 8601. Exchange Online's own exports write ISO
 * (`2022-09-05T18:10:13.4907658`); Windows PowerShell 5.1 `Export-Csv` writes the exporting
 * machine's culture (§1.9a: `9/5/2022 6:10:13 PM`, `05.09.2022 18:10:13`). Never guessed: a dotted
 * date is day-first in every culture that writes one, a slashed date tells by a part above 12 or
 * equal parts, otherwise the order must be given (--date-format) and the row is refused with that hint.
 */
export function exportTime(text: string, order?: DateOrder): { iso: string } | { error: string } {
  const t = text.trim();
  const m = CULTURE_TIME.exec(t);
  if (!m) {
    const iso = isoTime(t);
    return iso ? { iso } : { error: `unreadable time ${JSON.stringify(t.slice(0, 40))}` };
  }
  const [a, b] = [Number(m[1]), Number(m[3])];
  let dayFirst: boolean;
  if (m[2] === '.') dayFirst = true;
  else if (a > 12 || a === b) dayFirst = true;
  else if (b > 12) dayFirst = false;
  else if (order) dayFirst = order === 'dmy';
  else return { error: `ambiguous date ${JSON.stringify(t)}: day and month could be either way (the exporting machine's culture); run again with --date-format mdy or --date-format dmy` };
  const [day, month] = dayFirst ? [a, b] : [b, a];
  let hour = Number(m[5]);
  const half = m[9]?.toLowerCase();
  if (half === 'p' && hour < 12) hour += 12;
  if (half === 'a' && hour === 12) hour = 0;
  const ms = Number(((m[8] ?? '') + '000').slice(0, 3));
  const when = calendarMs(Number(m[4]), month, day, hour, Number(m[6]), Number(m[7] ?? 0), ms);
  if (!storable(when)) return { error: `impossible date ${JSON.stringify(t)}` };
  return { iso: new Date(when).toISOString() };
}

export function messageTraceEvents(row: Row, ctx: { file: string; offset: number; id: (n: number) => string; ts: string }): MailEvent[] {
  const get = (k: string): string => row[k] ?? row[k.toLowerCase()] ?? '';
  const ts = ctx.ts;
  const status = get('Status').toLowerCase();
  const base: MailEvent = Object.assign(newEvent('', ts, EXO_HOST, 'receive'), {
    source: 'exchange-online', program: 'messagetrace', instance: get('Organization'),
    queueId: get('MessageTraceId'), messageId: bracketId(get('MessageId')), sender: get('SenderAddress'),
    client: get('FromIP'), clientIp: get('FromIP'), size: wholeNumber(Number(get('Size'))),
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
    program: toIp ? 'messagetrace' : Program.storeDriver, relay: toIp || 'mailbox', relayIp: toIp,
  });
  return out;
}

const TLS_TEXT = /using (TLS1\.[0-3]|SSL3) with (AES(?:128|256)|\w+)/;

export function messageTraceDetailEvents(row: Row, ctx: { file: string; offset: number; id: (n: number) => string; ts: string }): MailEvent[] {
  const get = (k: string): string => row[k] ?? '';
  const ts = ctx.ts;
  const event = get('Event').toLowerCase();
  const detail = get('Detail');
  const tls = TLS_TEXT.exec(detail);
  const base: MailEvent = Object.assign(newEvent(ctx.id(0), ts, EXO_HOST, 'other'), {
    source: 'exchange-online', program: `detail-${event.replace(/\s+/g, '')}`, instance: get('Organization'),
    queueId: get('MessageTraceId'), messageId: bracketId(get('MessageId')), sender: get('SenderAddress'), reply: detail,
    tls: tls ? 'encrypted' as const : 'unknown' as const, tlsVersion: tls ? normalizeTlsVersion(tls[1]) : '', cipher: tls?.[2] ?? '',
    cipherBits: wholeNumber(Number(/\d+$/.exec(tls?.[2] ?? '')?.[0] ?? 0), MAX_U16), tlsEvidence: tls ? 'exo-trace-detail' : '',
    sourceFile: ctx.file, sourceOffset: ctx.offset, role: 'online', networkMessageId: get('MessageTraceId'),
  });
  const rcpt = get('RecipientAddress');
  // the detail names the receiving server, not the sender: the summary row gives the client (FromIP)
  if (event === 'receive') return [{ ...base, kind: 'receive' }];
  if (event === 'send external' || event === 'send') {
    const to = /sent to (\S+?)(?: at (\S+?))?(?: using|$)/i.exec(detail);
    return [{ ...base, kind: 'delivery', status: 'sent', recipient: rcpt, relay: to?.[1] ?? '', relayIp: to?.[2] ?? '', program: 'messagetrace' }];
  }
  if (event === 'deliver') return [{ ...base, kind: 'delivery', status: 'sent', recipient: rcpt, program: Program.storeDriver, relay: 'mailbox' }];
  if (event === 'fail') return [{ ...base, kind: 'delivery', status: 'bounced', recipient: rcpt }];
  if (event === 'defer') return [{ ...base, kind: 'delivery', status: 'deferred', recipient: rcpt }];
  return [base];
}
