import { EVENT_COLUMNS, MailEvent, newEvent, Rejection, RejectionRecord, STREAM_RECORD_VERSION, type DeadLetterReason } from '../../schemas/index.ts';
import { contractRejection } from '../pipeline/admit.ts';

/**
 * Records of the event topic (schemas/stream.ts): JSON, readable by any consumer and by a person
 * with kafka-console-consumer. An event carries only the fields that differ from a blank event
 * (most of its 52 columns are blank): the reader fills the rest from the same event model.
 */
const BLANK = newEvent('', '', '', 'other') as unknown as Record<string, unknown>;
const IDENTITY = new Set<string>(['id', 'ts', 'host', 'kind']);

export function encodeEvent(e: MailEvent): string {
  const out: Record<string, unknown> = {};
  const row = e as unknown as Record<string, unknown>;
  for (const c of EVENT_COLUMNS) {
    const v = row[c];
    // the identifying columns always travel (kind 'other' is also the blank event's kind)
    if (IDENTITY.has(c) || (Array.isArray(v) ? v.length > 0 : v !== BLANK[c])) out[c] = v;
  }
  return JSON.stringify({ v: STREAM_RECORD_VERSION, t: 'event', e: out });
}

export function encodeRejection(r: Rejection): string {
  return JSON.stringify({ v: STREAM_RECORD_VERSION, t: 'rejection', r });
}

/**
 * The partition key: one server's queue (or session, for Exchange protocol logs) stays in one
 * partition, so its events keep their order on the way to the store.
 */
export function eventKey(e: MailEvent): string {
  return `${e.host}/${e.queueId || e.sessionId || e.messageId}`;
}

export type Decoded =
  | { type: 'event'; event: MailEvent }
  | { type: 'rejection'; rejection: Rejection }
  | { type: 'dead'; reason: DeadLetterReason; detail: string; sourceFile: string; sourceOffset: number };

/** A record's value → what it holds, or why it cannot be stored (it then goes to the dead-letter topic). */
export function decodeRecord(value: Buffer | null): Decoded {
  const dead = (reason: DeadLetterReason, detail: string, at?: unknown): Decoded => {
    const a = (at ?? {}) as { sourceFile?: unknown; sourceOffset?: unknown };
    return {
      type: 'dead', reason, detail,
      sourceFile: typeof a.sourceFile === 'string' ? a.sourceFile : '',
      sourceOffset: typeof a.sourceOffset === 'number' && Number.isSafeInteger(a.sourceOffset) && a.sourceOffset >= 0 ? a.sourceOffset : 0,
    };
  };
  if (!value || value.length === 0) return dead('not-json', 'an empty record');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return dead('not-json', `not JSON: ${(err as Error).message}`);
  }
  const rec = parsed as { v?: unknown; t?: unknown; e?: unknown; r?: unknown };
  if (typeof rec !== 'object' || rec === null || rec.v !== STREAM_RECORD_VERSION) {
    return dead('unknown-record', `not a version ${STREAM_RECORD_VERSION} mailtrace record (v=${JSON.stringify((rec as { v?: unknown } | null)?.v)})`);
  }
  if (rec.t === 'event') {
    if (typeof rec.e !== 'object' || rec.e === null || Array.isArray(rec.e)) return dead('schema', 'an event record without an event object');
    const checked = MailEvent.safeParse({ ...BLANK, id: '', ts: '', host: '', kind: undefined, ...rec.e });
    if (!checked.success) return dead('schema', `an event that fails the event schema: ${issues(checked.error.issues)}`, rec.e);
    const refused = contractRejection(checked.data);
    if (refused) return dead('contract', refused.detail, rec.e);
    return { type: 'event', event: checked.data };
  }
  if (rec.t === 'rejection') {
    const checked = RejectionRecord.safeParse(rec);
    if (!checked.success) return dead('schema', `a rejection record that fails its schema: ${issues(checked.error.issues)}`, rec.r);
    return { type: 'rejection', rejection: checked.data.r };
  }
  return dead('unknown-record', `an unknown record type ${JSON.stringify(rec.t)}`);
}

function issues(list: readonly { path: PropertyKey[]; message: string }[]): string {
  return list.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(value)'}: ${i.message}`).join('; ');
}
