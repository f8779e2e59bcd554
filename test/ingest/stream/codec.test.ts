import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeRecord, encodeEvent, encodeEventBody, encodeEvents, encodeRejection, eventKey, PostfixParser } from '../../../ingest/index.ts';
import { EVENT_COLUMNS, MailEvent, newEvent, type Rejection } from '../../../schemas/index.ts';

/**
 * The stream's records (ingest/stream/codec.ts): every event the parsers make comes back from its
 * record as it was; records that cannot be stored are named with their reason, never thrown on.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

function sampleEvents(): MailEvent[] {
  const parser = new PostfixParser({ referenceMs: Date.UTC(2026, 2, 1) });
  const events: MailEvent[] = [];
  const sink = { event: (e: MailEvent) => events.push(e), reject: () => {}, skipped: () => {} };
  const file = join(ROOT, 'bench', 'sample', 'maillog');
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => parser.parseLine(line, { file, offset: i * 100, lineNumber: i + 1 }, sink));
  parser.flush(sink);
  return events;
}

test('every event of the bundled Postfix sample survives its record unchanged (kind other and lists included)', () => {
  const events = sampleEvents();
  assert.ok(events.length > 1000, `${events.length} events`);
  const other = newEvent('x1', '2026-03-01T08:00:00.000Z', 'mx1', 'other');
  const listed = newEvent('x2', '2026-03-01T08:00:00.000Z', 'mx1', 'content');
  listed.protection = ['smime-signed', 'irm'];
  listed.relayPort = 25;
  listed.delay = 0.5;
  for (const e of [...events, other, listed]) {
    const [d] = decodeRecord(Buffer.from(encodeEvent(e)));
    assert.equal(d.type, 'event', JSON.stringify(d));
    assert.deepEqual(d.type === 'event' ? d.event : undefined, e);
  }
  // packed as the producer sends them: one record per key, the events in their order
  const byKey = new Map<string, MailEvent[]>();
  for (const e of events) byKey.set(eventKey(e), [...(byKey.get(eventKey(e)) ?? []), e]);
  assert.ok(byKey.size > 3, 'the sample spreads over several keys');
  for (const list of byKey.values()) {
    const back = decodeRecord(Buffer.from(encodeEvents(list.map(encodeEventBody))));
    assert.deepEqual(back.map((d) => (d.type === 'event' ? d.event : d)), list);
  }
});

test('one queue of one server has one key; keys spread a server over buckets', () => {
  const a = newEvent('1', '2026-03-01T08:00:00.000Z', 'mx1', 'receive');
  a.queueId = 'ABC123';
  const b = newEvent('2', '2026-03-01T08:00:01.000Z', 'mx1', 'delivery');
  b.queueId = 'ABC123';
  assert.equal(eventKey(a), eventKey(b));
  const keys = new Set(Array.from({ length: 200 }, (_, i) => { const e = newEvent(String(i), '2026-03-01T08:00:00.000Z', 'mx1', 'receive'); e.queueId = `Q${i}`; return eventKey(e); }));
  assert.equal(keys.size, 16);
});

test('a bad event inside a packed record is named by its index; the others come through', () => {
  const good = newEvent('g', '2026-03-01T08:00:00.000Z', 'mx1', 'receive');
  const out = decodeRecord(Buffer.from(encodeEvents([encodeEventBody(good), '{"id":"b","ts":"x","host":"mx1","kind":"receive","sourceFile":"/f","sourceOffset":3}', encodeEventBody(good)])));
  assert.deepEqual(out.map((d) => (d.type === 'dead' ? [d.reason, d.index, d.sourceOffset] : d.type)), ['event', ['schema', 1, 3], 'event']);
});

test('text of any kind in any field comes back as it went (fast-check)', () => {
  const stringCols = EVENT_COLUMNS.filter((c) => typeof newEvent('a', '2026-03-01T08:00:00.000Z', 'h', 'receive')[c] === 'string' && !['id', 'ts', 'host', 'kind', 'status', 'tls', 'tlsTrust', 'certSide', 'role'].includes(c));
  fc.assert(fc.property(fc.constantFrom(...stringCols), fc.string({ unit: 'binary' }), (col, text) => {
    const e = newEvent('id1', '2026-03-01T08:00:00.000Z', 'mx1', 'delivery');
    (e as unknown as Record<string, unknown>)[col] = text;
    const [d] = decodeRecord(Buffer.from(encodeEvent(e)));
    return d.type === 'event' && (d.event as unknown as Record<string, unknown>)[col] === text;
  }), { numRuns: 300 });
});

test('a kept-aside line travels as a rejection record', () => {
  const r: Rejection = { reason: 'truncated', detail: 'cut', sourceFile: '/var/log/mail.log', sourceOffset: 42, lineNumber: 3, excerpt: 'Mar  1 08:00:00 mx1 postfix/smtpd[1]: ' };
  assert.deepEqual(decodeRecord(Buffer.from(encodeRejection(r))), [{ type: 'rejection', rejection: r }]);
});

test('records that cannot be stored are named with their reason and source position', () => {
  const reason = (v: string | null) => { const [d] = decodeRecord(v === null ? null : Buffer.from(v)); return d.type === 'dead' ? [d.reason, d.sourceFile, d.sourceOffset] : d.type; };
  assert.deepEqual(reason(null), ['not-json', '', 0]);
  assert.deepEqual(reason('{"v":1,'), ['not-json', '', 0]);
  assert.deepEqual(reason('[1,2]'), ['unknown-record', '', 0]);
  assert.deepEqual(reason('{"v":2,"t":"event","e":{}}'), ['unknown-record', '', 0]);
  assert.deepEqual(reason('{"v":1,"t":"gossip"}'), ['unknown-record', '', 0]);
  assert.deepEqual(reason('{"v":1,"t":"event","e":"x"}'), ['schema', '', 0]);
  assert.deepEqual(reason('{"v":1,"t":"event","e":{"id":"a","ts":"2026-03-01T08:00:00.000Z","host":"h","kind":"teleport","sourceFile":"/f","sourceOffset":9}}'), ['schema', '/f', 9]);
  assert.deepEqual(reason('{"v":1,"t":"event","e":{"id":"a","ts":"1850-03-01T08:00:00.000Z","host":"h","kind":"receive","sourceFile":"/f","sourceOffset":9}}'), ['contract', '/f', 9]);
  assert.deepEqual(reason('{"v":1,"t":"rejection","r":{"reason":"nope"}}'), ['schema', '', 0]);
  assert.deepEqual(reason('{"v":1,"t":"events","e":{}}'), ['schema', '', 0]);
});
