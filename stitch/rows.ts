import { HOP_COLUMNS, MESSAGE_COLUMNS, type Hop, type MessageDetail, type RecipientStatus, type Trace } from '../schemas/index.ts';
import { tsvArray, tsvEscape, tsvTime } from '../store/index.ts';

/**
 * A stitched trace → rows of the hops and messages tables (TabSeparated, in HOP_COLUMNS /
 * MESSAGE_COLUMNS order). The message row's `detail` (MessageDetail) is everything of the trace
 * that is not a hop, so a reader rebuilds the trace from one message row and its hop rows.
 */

/** The key of a message's rows: its message id, or its first queue when no ingested line names one. */
export function messageKey(trace: Trace): string {
  if (trace.messageId) return trace.messageId;
  const q = trace.queues[0];
  return q ? queueKeyOf(q.host, q.queueId) : '';
}

export function queueKeyOf(host: string, queueId: string): string {
  return `queue:${host}:${queueId}`;
}

/** Worst first: one refusal or bounce makes the message's word, then deferrals; all delivered is delivered. */
export function messageStatus(statuses: readonly RecipientStatus[]): RecipientStatus {
  for (const s of ['bounced', 'rejected', 'deferred'] as const) if (statuses.includes(s)) return s;
  return statuses.length > 0 && statuses.every((s) => s === 'delivered') ? 'delivered' : 'unknown';
}

/** One hand-off counted once, however many recipients crossed it. */
export function hopIdentity(h: Hop): string {
  return `${h.from}\u0000${h.to}\u0000${h.fromQueueId}\u0000${h.toQueueId}\u0000${h.rule}`;
}

/** Ingested hosts in path order: as the hops meet them, then any other host that held the message. */
export function pathHosts(trace: Trace): string[] {
  const held = new Set(trace.queues.map((q) => q.host));
  const out: string[] = [];
  const add = (h: string): void => {
    if (held.has(h) && !out.includes(h)) out.push(h);
  };
  for (const r of trace.recipients) for (const h of r.hops) { add(h.from); add(h.to); }
  for (const q of trace.queues) add(q.host);
  return out;
}

/**
 * A recipient's domain as the views group and narrow by it: after the last '@', lower-cased
 * (domains are case-insensitive); '' for an address without one.
 */
export function recipientDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/**
 * firstOfHop marks one row per hand-off (the first recipient's); firstOfDomain one row per hand-off
 * and recipient domain — the earliest-starting row of that domain's recipients (the first on a tie),
 * so a per-domain read counts and dates each hand-off once per domain with no regrouping.
 */
export function hopRows(key: string, trace: Trace, version: number): string {
  const seen = new Set<string>();
  const earliest = new Map<string, { start: string; at: string }>();
  trace.recipients.forEach((r, i) => {
    const domain = recipientDomain(r.address);
    r.hops.forEach((h, seq) => {
      const id = `${domain}\u0000${hopIdentity(h)}`;
      const have = earliest.get(id);
      if (!have || time(h.start) < have.start) earliest.set(id, { start: time(h.start), at: `${i}:${seq}` });
    });
  });
  let out = '';
  trace.recipients.forEach((r, i) => {
    const domain = recipientDomain(r.address);
    r.hops.forEach((h, seq) => {
      const id = hopIdentity(h);
      const first = !seen.has(id);
      seen.add(id);
      const firstOfDomain = earliest.get(`${domain}\u0000${id}`)?.at === `${i}:${seq}`;
      out += [
        tsvEscape(key), tsvEscape(trace.messageId), tsvEscape(r.address), String(seq), tsvEscape(h.from), tsvEscape(h.to), tsvEscape(h.fromRole), tsvEscape(h.toRole),
        h.tls, tsvEscape(h.tlsVersion), tsvEscape(h.cipher), h.tlsTrust, tsvEscape(h.tlsEvidence), time(h.start), time(h.end),
        tsvEscape(h.fromQueueId), tsvEscape(h.toQueueId), h.link, h.rule, h.status, tsvArray(h.eventIds), first ? '1' : '0',
        h.provenance, tsvEscape(h.protocol), tsvEscape(h.conflict), tsvEscape(domain), firstOfDomain ? '1' : '0', tsvEscape(h.fromConnector), tsvEscape(h.toConnector), String(version), '0',
      ].join('\t') + '\n';
    });
  });
  return out;
}

export function messageRow(key: string, trace: Trace, version: number): string {
  const statuses = trace.recipients.map((r) => r.status);
  const plaintext = new Set<string>();
  // a hop only a header claims is the claim of a server we may not run: counted where it is shown, not here
  for (const r of trace.recipients) for (const h of r.hops) if (h.tls === 'plaintext' && h.provenance !== 'header') plaintext.add(hopIdentity(h));
  const detail: MessageDetail = {
    queues: trace.queues, servers: trace.servers, related: trace.related, notes: trace.notes, protection: trace.protection,
    recipients: trace.recipients.map(({ hops: _hops, ...rest }) => rest),
  };
  return [
    tsvEscape(key), tsvEscape(trace.messageId), tsvEscape(trace.sender), String(Math.max(0, Math.trunc(trace.size) || 0)), time(trace.firstSeen), time(trace.lastSeen),
    messageStatus(statuses), tsvArray(trace.recipients.map((r) => r.address)), tsvArray(statuses), tsvArray(pathHosts(trace)),
    tsvArray([...new Set(trace.queues.map((q) => q.queueId))]), String(plaintext.size), tsvEscape(JSON.stringify(detail)),
    tsvArray(trace.protection.mechanisms), trace.protection.known ? '1' : '0', String(version), '0',
  ].join('\t') + '\n';
}

/** Deleted rows for what a message no longer has (the table's FINAL hides them and what they replace). */
export function hopTombstone(key: string, recipient: string, seq: number, version: number): string {
  const blank = HOP_COLUMNS.map(() => '');
  const row: string[] = [...blank];
  const set = (col: string, v: string): void => { row[HOP_COLUMNS.indexOf(col)] = v; };
  for (const [col, v] of [['seq', '0'], ['start', time('')], ['end', time('')], ['eventIds', '[]'], ['firstOfHop', '0'], ['firstOfDomain', '0'], ['provenance', 'log'], ['deleted', '1']] as const) set(col, v);
  set('messageKey', tsvEscape(key));
  set('recipient', tsvEscape(recipient));
  set('seq', String(seq));
  set('version', String(version));
  return row.join('\t') + '\n';
}

export function messageTombstone(key: string, version: number): string {
  const row = MESSAGE_COLUMNS.map(() => '');
  const set = (col: string, v: string): void => { row[MESSAGE_COLUMNS.indexOf(col)] = v; };
  for (const col of ['size', 'plaintextHops', 'protectionKnown']) set(col, '0');
  for (const col of ['firstSeen', 'lastSeen']) set(col, time(''));
  for (const col of ['recipients', 'recipientStatuses', 'hosts', 'queueIds', 'protection']) set(col, '[]');
  set('messageKey', tsvEscape(key));
  set('version', String(version));
  set('deleted', '1');
  return row.join('\t') + '\n';
}

/** An empty time (a gap hop's unknown end) is stored as the epoch and read back as ''. */
function time(iso: string): string {
  return iso ? tsvTime(iso) : '1970-01-01 00:00:00.000';
}
