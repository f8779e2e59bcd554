import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PostfixParser, type ParseSink } from '../../../../ingest/formats/postfix/index.ts';
import { MailEvent } from '../../../../schemas/index.ts';

function run(lines: string[], parser = new PostfixParser({ referenceMs: Date.UTC(2026, 5, 30) })) {
  const events: MailEvent[] = [];
  const rejects: { reason: string; line: string }[] = [];
  let skipped = 0;
  const sink: ParseSink = {
    event: (e) => events.push(e),
    reject: (reason, _d, _r, line) => rejects.push({ reason, line }),
    skipped: () => skipped++,
  };
  lines.forEach((line, i) => parser.parseLine(line, { file: 'f.log', offset: i * 100, lineNumber: i + 1 }, sink));
  parser.flush(sink);
  return { events, rejects, skipped, parser };
}

const S = 'Mar  1 08:00:0';

test('an inbound TLS session: receive carries the TLS line, the message id and the sender', () => {
  const { events } = run([
    `${S}0 edge postfix/smtpd[10]: connect from a.example[192.0.2.1]`,
    `${S}0 edge postfix/smtpd[10]: Anonymous TLS connection established from a.example[192.0.2.1]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)`,
    `${S}1 edge postfix/smtpd[10]: AAAAA11111: client=a.example[192.0.2.1]`,
    `${S}1 edge postfix/cleanup[11]: AAAAA11111: message-id=<x@a.example>`,
    `${S}1 edge postfix/qmgr[12]: AAAAA11111: from=<s@a.example>, size=10, nrcpt=1 (queue active)`,
    `${S}2 edge postfix/smtpd[10]: disconnect from a.example[192.0.2.1] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7`,
  ]);
  const receive = events.find((e) => e.kind === 'receive');
  assert.ok(receive);
  assert.equal(receive.queueId, 'AAAAA11111');
  assert.equal(receive.messageId, '<x@a.example>');
  assert.equal(receive.sender, 's@a.example');
  assert.equal(receive.client, 'a.example');
  assert.equal(receive.tls, 'encrypted');
  assert.equal(receive.tlsVersion, 'TLSv1.2');
  assert.equal(receive.tlsTrust, 'anonymous');
  assert.equal(receive.tlsEvidence, 'smtpd-tls-line');
  assert.equal(receive.ts, '2026-03-01T08:00:01.000Z');
  assert.deepEqual(events.map((e) => e.kind), ['message', 'queued', 'receive']);
});

test('a session whose counters show no STARTTLS is plaintext; one without a disconnect stays unknown', () => {
  const { events } = run([
    `${S}0 hub postfix/smtpd[20]: connect from edge[10.0.0.1]`,
    `${S}1 hub postfix/smtpd[20]: BBBBB22222: client=edge[10.0.0.1]`,
    `${S}2 hub postfix/smtpd[20]: disconnect from edge[10.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`,
    `${S}3 hub postfix/smtpd[21]: connect from edge[10.0.0.1]`,
    `${S}4 hub postfix/smtpd[21]: CCCCC33333: client=edge[10.0.0.1]`,
  ]);
  const byQ = new Map(events.filter((e) => e.kind === 'receive').map((e) => [e.queueId, e]));
  assert.equal(byQ.get('BBBBB22222')?.tls, 'plaintext');
  assert.equal(byQ.get('BBBBB22222')?.tlsEvidence, 'smtpd-counters');
  assert.equal(byQ.get('CCCCC33333')?.tls, 'unknown');
});

test('STARTTLS counted but no TLS line (smtpd_tls_loglevel=0) is encrypted without details', () => {
  const { events } = run([
    `${S}0 hub postfix/smtpd[20]: connect from edge[10.0.0.1]`,
    `${S}1 hub postfix/smtpd[20]: BBBBB22222: client=edge[10.0.0.1]`,
    `${S}2 hub postfix/smtpd[20]: disconnect from edge[10.0.0.1] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7`,
  ]);
  const r = events.find((e) => e.kind === 'receive');
  assert.equal(r?.tls, 'encrypted');
  assert.equal(r?.tlsVersion, '');
  assert.equal(r?.tlsEvidence, 'smtpd-counters');
});

test('outbound TLS is lent to the first queue on the connection and to reused connections only', () => {
  const { events } = run([
    `${S}0 edge postfix/smtp[30]: Trusted TLS connection established to hub.example[10.0.0.2]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)`,
    `${S}1 edge postfix/smtp[30]: DDDDD44444: to=<a@x.example>, relay=hub.example[10.0.0.2]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as EEEEE55555)`,
    `${S}1 edge postfix/smtp[30]: DDDDD44444: to=<b@x.example>, relay=hub.example[10.0.0.2]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as EEEEE55555)`,
    `${S}2 edge postfix/smtp[30]: FFFFF66666: to=<c@x.example>, relay=hub.example[10.0.0.2]:25, conn_use=2, delay=1, delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1111177777)`,
    // same process, new connection with no TLS line before it: no evidence from this side
    `${S}3 edge postfix/smtp[30]: 2222288888: to=<d@x.example>, relay=hub.example[10.0.0.2]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 3333399999)`,
    // a different peer on the same process
    `${S}4 edge postfix/smtp[30]: 4444400000: to=<e@y.example>, relay=mx.y.example[192.0.2.9]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)`,
  ]);
  const tls = events.map((e) => `${e.recipient}:${e.tls}:${e.nextQueueId}`);
  assert.deepEqual(tls, ['a@x.example:encrypted:EEEEE55555', 'b@x.example:encrypted:EEEEE55555', 'c@x.example:encrypted:1111177777', 'd@x.example:unknown:3333399999', 'e@y.example:unknown:']);
  assert.equal(events[0].tlsTrust, 'trusted');
  assert.equal(events[0].delayConnect, 0.5);
  assert.equal(events[0].relay, 'hub.example');
  assert.equal(events[0].relayPort, 25);
});

test('a reused connection after a new plaintext one does not inherit the earlier TLS connection', () => {
  const { events } = run([
    `${S}0 hub postfix/smtp[31]: Trusted TLS connection established to mailbox.example[10.0.0.3]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)`,
    `${S}1 hub postfix/smtp[31]: AAAAA00001: to=<a@x.example>, relay=mailbox.example[10.0.0.3]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as BBBBB00001)`,
    // new connection (no conn_use) without a TLS line, then a reuse of that plaintext connection
    `${S}2 hub postfix/smtp[31]: AAAAA00002: to=<b@x.example>, relay=mailbox.example[10.0.0.3]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as BBBBB00002)`,
    `${S}3 hub postfix/smtp[31]: AAAAA00003: to=<c@x.example>, relay=mailbox.example[10.0.0.3]:25, conn_use=2, delay=1, delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as BBBBB00003)`,
  ]);
  assert.deepEqual(events.map((e) => `${e.recipient}:${e.tls}`), ['a@x.example:encrypted', 'b@x.example:unknown', 'c@x.example:unknown']);
});

test('a NOQUEUE refusal before the first accepted recipient joins the queue file its transaction got', () => {
  const { events } = run([
    `${S}0 edge postfix/smtpd[40]: connect from a.example[192.0.2.1]`,
    // refused first: Postfix has no queue file yet, so the line says NOQUEUE
    `${S}0 edge postfix/smtpd[40]: NOQUEUE: reject: RCPT from a.example[192.0.2.1]: 550 5.1.1 <nobody@x.example>: Recipient address rejected: User unknown in relay recipient table; from=<s@a.example> to=<nobody@x.example> proto=ESMTP helo=<a.example>`,
    `${S}1 edge postfix/smtpd[40]: CCCCC00001: client=a.example[192.0.2.1]`,
    `${S}1 edge postfix/cleanup[41]: CCCCC00001: message-id=<t@a.example>`,
    `${S}1 edge postfix/qmgr[42]: CCCCC00001: from=<s@a.example>, size=10, nrcpt=1 (queue active)`,
    `${S}2 edge postfix/smtpd[40]: disconnect from a.example[192.0.2.1] ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6`,
    // another session: refused, then a different sender's transaction (after RSET) is queued
    `${S}3 edge postfix/smtpd[43]: connect from b.example[192.0.2.2]`,
    `${S}3 edge postfix/smtpd[43]: NOQUEUE: reject: RCPT from b.example[192.0.2.2]: 554 5.7.1 <x@x.example>: Relay access denied; from=<spam@b.example> to=<x@x.example> proto=ESMTP helo=<b.example>`,
    `${S}4 edge postfix/smtpd[43]: CCCCC00002: client=b.example[192.0.2.2]`,
    `${S}4 edge postfix/cleanup[41]: CCCCC00002: message-id=<u@b.example>`,
    `${S}4 edge postfix/qmgr[42]: CCCCC00002: from=<ok@b.example>, size=10, nrcpt=1 (queue active)`,
    `${S}5 edge postfix/smtpd[43]: disconnect from b.example[192.0.2.2] ehlo=1 mail=2 rcpt=1/2 data=1 rset=1 quit=1 commands=6/7`,
  ]);
  const rejects = events.filter((e) => e.kind === 'reject');
  assert.deepEqual(rejects.map((e) => `${e.recipient}|${e.queueId}|${e.messageId}`), ['nobody@x.example|CCCCC00001|<t@a.example>', 'x@x.example||']);
});

test('a queue file removed before the client disconnects still gives the receipt and refusals its message id', () => {
  const { events } = run([
    `${S}0 edge postfix/smtpd[50]: connect from a.example[192.0.2.1]`,
    `${S}0 edge postfix/smtpd[50]: DDDDD00001: client=a.example[192.0.2.1]`,
    `${S}0 edge postfix/smtpd[50]: DDDDD00001: reject: RCPT from a.example[192.0.2.1]: 550 5.1.1 <no@x.example>: Recipient address rejected: User unknown in relay recipient table; from=<s@a.example> to=<no@x.example> proto=ESMTP helo=<a.example>`,
    `${S}1 edge postfix/cleanup[51]: DDDDD00001: message-id=<v@a.example>`,
    `${S}1 edge postfix/qmgr[52]: DDDDD00001: from=<s@a.example>, size=10, nrcpt=1 (queue active)`,
    `${S}1 edge postfix/local[53]: DDDDD00001: to=<yes@x.example>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)`,
    `${S}1 edge postfix/qmgr[52]: DDDDD00001: removed`,
    `${S}2 edge postfix/smtpd[50]: disconnect from a.example[192.0.2.1] ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6`,
  ]);
  const late = events.filter((e) => e.kind === 'receive' || e.kind === 'reject');
  assert.deepEqual(late.map((e) => `${e.kind}|${e.queueId}|${e.messageId}|${e.sender}`).sort(), ['receive|DDDDD00001|<v@a.example>|s@a.example', 'reject|DDDDD00001|<v@a.example>|s@a.example']);
});

test('Postfix 3.11 tls=may:none marks an outbound delivery plaintext', () => {
  const { events } = run([`${S}1 edge postfix/smtp[30]: DDDDD44444: to=<a@x.example>, relay=mx.x.example[192.0.2.3]:25, delay=1, delays=0.1/0/0.5/0.4, tls=may:none, dsn=2.0.0, status=sent (250 ok)`]);
  assert.equal(events[0].tls, 'plaintext');
  assert.equal(events[0].tlsEvidence, 'tls-feature');
});

test('deliveries carry the message id and sender learned earlier on the same host only', () => {
  const { events } = run([
    `${S}1 edge postfix/cleanup[11]: AAAAA11111: message-id=<x@a.example>`,
    `${S}1 edge postfix/qmgr[12]: AAAAA11111: from=<s@a.example>, size=10, nrcpt=1 (queue active)`,
    `${S}2 hub postfix/smtp[13]: AAAAA11111: to=<r@b.example>, relay=mx.b.example[192.0.2.3]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)`,
    `${S}2 edge postfix/smtp[13]: AAAAA11111: to=<r@b.example>, relay=mx.b.example[192.0.2.3]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)`,
  ]);
  const [hub, edge] = events.filter((e) => e.kind === 'delivery');
  assert.equal(hub.messageId, '', 'queue ids are unique per host only');
  assert.equal(edge.messageId, '<x@a.example>');
  assert.equal(edge.sender, 's@a.example');
});

test('event ids are deterministic and differ per line', () => {
  const lines = [`${S}1 edge postfix/cleanup[11]: AAAAA11111: message-id=<x@a.example>`, `${S}1 edge postfix/qmgr[12]: AAAAA11111: removed`];
  const a = run(lines).events.map((e) => e.id);
  const b = run(lines).events.map((e) => e.id);
  assert.deepEqual(a, b);
  assert.notEqual(a[0], a[1]);
});

test('bad lines are rejected with a reason and do not disturb the good ones around them', () => {
  const { events, rejects, skipped } = run([
    `${S}1 edge postfix/cleanup[11]: AAAAA11111: message-id=<x@a.example>`,
    'garbage \u0001\u0002 line',
    `${S}1 edge`,
    `${S}1 edge postfix/anvil[9]: statistics: max connection count 1 for (smtp:192.0.2.1) at Mar  1 08:00:00`,
    `${S}2 edge postfix/qmgr[12]: AAAAA11111: removed`,
  ]);
  assert.deepEqual(events.map((e) => e.kind), ['message', 'removed']);
  assert.deepEqual(rejects.map((r) => r.reason), ['unknown-format', 'truncated']);
  assert.equal(skipped, 1);
});

test('time running backwards beyond the tolerance is reported, and the event is still kept', () => {
  const { events, rejects } = run([
    `Mar  1 10:00:00 edge postfix/qmgr[12]: AAAAA11111: removed`,
    `Mar  1 08:00:00 edge postfix/qmgr[12]: BBBBB11111: removed`,
  ]);
  assert.equal(events.length, 2);
  assert.deepEqual(rejects.map((r) => r.reason), ['out-of-order']);
});

test('correlation state stays bounded: sessions beyond the limit are closed with unknown TLS', () => {
  const parser = new PostfixParser({ referenceMs: Date.UTC(2026, 5, 30), limits: { maxQueues: 50, maxSessions: 10, expireMs: 3600_000 } });
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    lines.push(`${S}1 edge postfix/smtpd[${1000 + i}]: connect from c${i}.example[192.0.2.${i}]`);
    lines.push(`${S}1 edge postfix/smtpd[${1000 + i}]: Q${String(i).padStart(9, '0')}: client=c${i}.example[192.0.2.${i}]`);
  }
  const { events } = run(lines, parser);
  assert.ok(parser.stateSize <= 60, `state ${parser.stateSize}`);
  assert.equal(events.filter((e) => e.kind === 'receive').length, 100, 'every receipt is still emitted');
});

test('state expires by log time', () => {
  const parser = new PostfixParser({ referenceMs: Date.UTC(2026, 5, 30), limits: { maxQueues: 1000, maxSessions: 1000, expireMs: 3600_000 } });
  const { events } = run([
    `Mar  1 08:00:00 edge postfix/smtpd[1]: connect from c.example[192.0.2.1]`,
    `Mar  1 08:00:01 edge postfix/smtpd[1]: AAAAA00001: client=c.example[192.0.2.1]`,
    `Mar  1 08:00:01 edge postfix/cleanup[2]: AAAAA00001: message-id=<a@c.example>`,
    `Mar  1 12:00:00 edge postfix/qmgr[3]: ZZZZZ00001: removed`,
  ], parser);
  // the session expired at the sweep: its receive was emitted then, before the later line's event
  assert.deepEqual(events.map((e) => e.kind), ['message', 'receive', 'removed']);
  assert.equal(parser.stateSize, 0);
});

test('golden: the hand-written 3-hop fixture yields the expected events', () => {
  const text = readFileSync(new URL('../../../fixtures/postfix/handmade-3hop.log', import.meta.url), 'utf8');
  const { events, rejects } = run(text.trim().split('\n'));
  assert.equal(rejects.length, 0);
  const summary = events.map((e) => [e.host, e.kind, e.queueId, e.recipient || e.client, e.status, e.tls, e.nextQueueId].join(' ').replace(/ +$/, ''));
  const expected = readFileSync(new URL('../../../fixtures/postfix/handmade-3hop.expected.txt', import.meta.url), 'utf8').trim().split('\n');
  assert.deepEqual(summary, expected);
});

// found by test/fuzz/postfix.test.ts: `delay=-5`, `size=-5` or a port past 65535 made an event the
// event schema (and the store's unsigned columns) refuse, which would fail the whole batch it was in
test('numbers a line gives that are no count or duration are not recorded (0), and the event keeps its schema', () => {
  const { events, rejects } = run([
    `${S}0 mx postfix/qmgr[12]: AAAAA11111: from=<s@a.example>, size=-5, nrcpt=4294967296 (queue active)`,
    `${S}1 mx postfix/smtp[13]: AAAAA11111: to=<r@b.example>, relay=b.example[192.0.2.2]:-25, delay=-5, delays=-1/x/1e400/2, dsn=2.0.0, status=sent (250 ok)`,
    `${S}2 mx postfix/smtp[13]: Untrusted TLS connection established to b.example[192.0.2.2]:70000: TLSv1.2 with cipher X (65536/256 bits)`,
    `${S}2 mx postfix/smtp[13]: AAAAA11111: to=<r@b.example>, relay=b.example[192.0.2.2]:70000, delay=1.5, delays=0/0/1/0.5, dsn=2.0.0, status=sent (250 ok)`,
  ]);
  assert.deepEqual(rejects, []);
  for (const e of events) assert.ok(MailEvent.safeParse(e).success, JSON.stringify(MailEvent.safeParse(e).error?.issues));
  const [queued, first, second] = events;
  assert.deepEqual([queued.size, queued.nrcpt], [0, 0]);
  assert.deepEqual([first.relayPort, first.delay, first.delayBefore, first.delayQueue, first.delayConnect, first.delayTransmit], [0, 0, 0, 0, 0, 2]);
  assert.deepEqual([second.tls, second.cipherBits, second.relayPort, second.delay], ['encrypted', 0, 0, 1.5]);
});
