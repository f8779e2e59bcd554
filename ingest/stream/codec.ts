import { EVENT_COLUMNS, MailEvent, newEvent, Rejection, RejectionRecord, STREAM_RECORD_VERSION, type DeadLetterReason } from '../../schemas/index.ts';
import { contractRejection } from '../pipeline/admit.ts';

/**
 * Records of the event topic (schemas/stream.ts): JSON, readable by any consumer and by a person
 * with kafka-console-consumer. An event carries only the fields that differ from a blank event
 * (most of its 52 columns are blank): the reader fills the rest from the same event model.
 */
const BLANK = newEvent('', '', '', 'other') as unknown as Record<string, unknown>;

/**
 * Compiled once from the event model (as newEvent is): a field's test and its JSON text per
 * column, without a per-event object or keyed lookups (a loop over the columns cost 12 µs an
 * event, more than parsing the line). The identifying columns always travel (kind 'other' is
 * also the blank event's kind).
 */
export const encodeEventBody: (e: MailEvent) => string = (() => {
  if (EVENT_COLUMNS[0] !== 'id') throw new Error('the event model must start with id');
  const parts = EVENT_COLUMNS.map((c) => {
    if (!/^[A-Za-z]+$/.test(c)) throw new Error(`unexpected column name ${c}`);
    const key = JSON.stringify(`,"${c}":`);
    if (c === 'id') return `s += '"id":' + J(e.id);`;
    if (c === 'ts' || c === 'host' || c === 'kind') return `s += ${key} + J(e.${c});`;
    const blank = BLANK[c];
    if (Array.isArray(blank)) return `if (e.${c}.length > 0) s += ${key} + J(e.${c});`;
    return `if (e.${c} !== ${JSON.stringify(blank)}) s += ${key} + J(e.${c});`;
  });
  return new Function('J', `return (e) => { let s = '{'; ${parts.join(' ')} return s + '}'; };`)(JSON.stringify) as (e: MailEvent) => string;
})();

/** one event as a record of its own */
export function encodeEvent(e: MailEvent): string {
  return `{"v":${STREAM_RECORD_VERSION},"t":"event","e":${encodeEventBody(e)}}`;
}

/**
 * Events of one key packed into one record (encodeEventBody each): the client's cost is per
 * record (kafkajs spent ~20 µs on each, more than the parser on a line), so the producer sends a
 * few hundred events per record.
 */
export function encodeEvents(bodies: readonly string[]): string {
  return `{"v":${STREAM_RECORD_VERSION},"t":"events","e":[${bodies.join(',')}]}`;
}

export function encodeRejection(r: Rejection): string {
  return JSON.stringify({ v: STREAM_RECORD_VERSION, t: 'rejection', r });
}

/**
 * The partition key: the server and one of 16 buckets of its queue ids (session ids for Exchange
 * protocol logs): one server's queue stays in one partition, so its events keep their order on the
 * way to the store, and a busy server still spreads over several partitions.
 */
export function eventKey(e: MailEvent): string {
  const id = e.queueId || e.sessionId || e.messageId;
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return `${e.host}/${(h >>> 0) % 16}`;
}

export type Decoded =
  | { type: 'event'; event: MailEvent }
  | { type: 'rejection'; rejection: Rejection }
  | { type: 'dead'; reason: DeadLetterReason; detail: string; sourceFile: string; sourceOffset: number; index: number };

/**
 * A record's value → what it holds, one entry per event (or rejection), each one checked on its
 * own: an entry that cannot be stored says why (it then goes to the dead-letter topic with its
 * index in the record) and the others go on.
 */
export function decodeRecord(value: Buffer | null): Decoded[] {
  const dead = (reason: DeadLetterReason, detail: string, at?: unknown, index = 0): Decoded => {
    const a = (at ?? {}) as { sourceFile?: unknown; sourceOffset?: unknown };
    return {
      type: 'dead', reason, detail, index,
      sourceFile: typeof a.sourceFile === 'string' ? a.sourceFile : '',
      sourceOffset: typeof a.sourceOffset === 'number' && Number.isSafeInteger(a.sourceOffset) && a.sourceOffset >= 0 ? a.sourceOffset : 0,
    };
  };
  if (!value || value.length === 0) return [dead('not-json', 'an empty record')];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return [dead('not-json', `not JSON: ${(err as Error).message}`)];
  }
  const rec = parsed as { v?: unknown; t?: unknown; e?: unknown; r?: unknown };
  if (typeof rec !== 'object' || rec === null || rec.v !== STREAM_RECORD_VERSION) {
    return [dead('unknown-record', `not a version ${STREAM_RECORD_VERSION} mailtrace record (v=${JSON.stringify((rec as { v?: unknown } | null)?.v)})`)];
  }
  const event = (body: unknown, index: number): Decoded => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return dead('schema', 'an event that is not an object', undefined, index);
    const checked = MailEvent.safeParse({ ...BLANK, id: '', ts: '', host: '', kind: undefined, ...body });
    if (!checked.success) return dead('schema', `an event that fails the event schema: ${issues(checked.error.issues)}`, body, index);
    const refused = contractRejection(checked.data);
    if (refused) return dead('contract', refused.detail, body, index);
    return { type: 'event', event: checked.data };
  };
  if (rec.t === 'event') return [event(rec.e, 0)];
  if (rec.t === 'events') {
    if (!Array.isArray(rec.e)) return [dead('schema', 'an events record without a list of events')];
    return rec.e.map((body, i) => event(body, i));
  }
  if (rec.t === 'rejection') {
    const checked = RejectionRecord.safeParse(rec);
    if (!checked.success) return [dead('schema', `a rejection record that fails its schema: ${issues(checked.error.issues)}`, rec.r)];
    return [{ type: 'rejection', rejection: checked.data.r }];
  }
  return [dead('unknown-record', `an unknown record type ${JSON.stringify(rec.t)}`)];
}

function issues(list: readonly { path: PropertyKey[]; message: string }[]): string {
  return list.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(value)'}: ${i.message}`).join('; ');
}
