import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { postfixEvents } from '../helpers/postfix.ts';
import { reconstruct } from '../../stitch/reconstruct.ts';
import type { MailEvent } from '../../schemas/index.ts';
import { FIXTURES } from '../helpers/store.ts';

const eventsOf = (lines: string[]): MailEvent[] => postfixEvents(lines);

const fixture = readFileSync(join(FIXTURES, 'postfix', 'handmade-3hop.log'), 'utf8').trim().split('\n');
const path = (t: ReturnType<typeof reconstruct>, rcpt: string) => t.recipients.find((r) => r.address === rcpt)?.hops.map((h) => `${h.from}>${h.to}:${h.tls}`);

test('all three hosts: full path per recipient, hop times in order', () => {
  const t = reconstruct('<m1@example.org>', eventsOf(fixture));
  assert.deepEqual(path(t, 'alice@example.test'), ['client.example.org>edge:encrypted', 'edge>hub:encrypted', 'hub>mailbox:plaintext']);
  const hops = t.recipients.find((r) => r.address === 'alice@example.test')!.hops;
  for (let i = 1; i < hops.length; i++) assert.ok(hops[i].start >= hops[i - 1].start, 'hops start in path order');
  assert.deepEqual(hops.map((h) => h.link), ['first-hop', 'queued-as', 'queued-as']);
  assert.deepEqual(t.queues, [{ host: 'edge', queueId: '4A1B2C3D4E' }, { host: 'hub', queueId: '5B00000001' }, { host: 'mailbox', queueId: '6C00000002' }]);
  assert.deepEqual(t.notes, []);
});

test('only the edge log: the hop to the hub is shown by its relay name and nothing beyond is invented', () => {
  const t = reconstruct('<m1@example.org>', eventsOf(fixture.filter((l) => / edge /.test(l))));
  assert.deepEqual(path(t, 'alice@example.test'), ['client.example.org>edge:encrypted', 'edge>hub.mt.test:encrypted']);
  const alice = t.recipients.find((r) => r.address === 'alice@example.test')!;
  assert.equal(alice.status, 'delivered');
  assert.equal(alice.lastHost, 'edge');
  assert.equal(alice.hops[1].link, 'unmatched');
  assert.equal(alice.hops[1].toQueueId, '5B00000001');
});

test('the middle host missing costs that link only: edge → hub stays, the mailbox part follows, a note says where it broke', () => {
  const t = reconstruct('<m1@example.org>', eventsOf(fixture.filter((l) => !/ hub /.test(l))));
  const alice = t.recipients.find((r) => r.address === 'alice@example.test')!;
  assert.deepEqual(alice.hops.map((h) => `${h.from}>${h.to}:${h.tls}`), ['client.example.org>edge:encrypted', 'edge>hub.mt.test:encrypted', 'localhost>mailbox:plaintext']);
  assert.deepEqual(alice.hops.map((h) => h.rule), ['first-hop', 'unmatched', 'first-hop']);
  assert.equal(alice.status, 'delivered');
  assert.equal(alice.lastHost, 'mailbox');
  assert.ok(t.notes.some((n) => n.includes('breaks after edge')), t.notes.join('; '));
});

test('only the hub and mailbox logs: the first hop comes from the hub\'s client and a note says the start is missing', () => {
  const t = reconstruct('<m1@example.org>', eventsOf(fixture.filter((l) => !/ edge /.test(l))));
  assert.deepEqual(path(t, 'alice@example.test'), ['localhost>hub:encrypted', 'hub>mailbox:plaintext']);
});

test('a deferral keeps the recipient deferred at the last host that holds it', () => {
  const t = reconstruct('<d@x.example>', eventsOf([
    'Mar  1 08:00:00 edge postfix/smtpd[1]: connect from c.example[192.0.2.1]',
    'Mar  1 08:00:00 edge postfix/smtpd[1]: AAAAA00001: client=c.example[192.0.2.1]',
    'Mar  1 08:00:00 edge postfix/cleanup[2]: AAAAA00001: message-id=<d@x.example>',
    'Mar  1 08:00:00 edge postfix/qmgr[3]: AAAAA00001: from=<s@x.example>, size=10, nrcpt=1 (queue active)',
    'Mar  1 08:00:01 edge postfix/smtpd[1]: disconnect from c.example[192.0.2.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5',
    'Mar  1 08:00:31 edge postfix/smtp[4]: AAAAA00001: to=<r@dead.test>, relay=none, delay=31, delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2599: Connection refused)',
    'Mar  1 08:10:31 edge postfix/smtp[5]: AAAAA00001: to=<r@dead.test>, relay=none, delay=631, delays=600/0/30/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2599: Connection refused)',
  ]));
  const r = t.recipients[0];
  assert.equal(r.status, 'deferred');
  assert.equal(r.lastHost, 'edge');
  assert.equal(r.dsn, '4.4.1');
  assert.equal(r.lastSeen, '2026-03-01T08:10:31.000Z');
  assert.deepEqual(r.hops.map((h) => `${h.from}>${h.to}:${h.tls}`), ['c.example>edge:plaintext']);
});

test('a next hop that is not Postfix is joined by message id and time, and the join is called inferred', () => {
  const t = reconstruct('<x@y.example>', eventsOf([
    'Mar  1 08:00:00 edge postfix/cleanup[2]: AAAAA00001: message-id=<x@y.example>',
    'Mar  1 08:00:01 edge postfix/smtp[4]: AAAAA00001: to=<r@y.example>, relay=hub.y.example[10.0.0.2]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.6.0 <x@y.example> [InternalId=123] Queued mail for delivery)',
    'Mar  1 08:00:01 hub postfix/smtpd[7]: connect from edge.y.example[10.0.0.1]',
    'Mar  1 08:00:01 hub postfix/smtpd[7]: BBBBB00002: client=edge.y.example[10.0.0.1]',
    'Mar  1 08:00:01 hub postfix/cleanup[8]: BBBBB00002: message-id=<x@y.example>',
    'Mar  1 08:00:02 hub postfix/smtpd[7]: disconnect from edge.y.example[10.0.0.1] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7',
    'Mar  1 08:00:02 hub postfix/local[9]: BBBBB00002: to=<r@y.example>, relay=local, delay=1, delays=0.1/0/0/0.9, dsn=2.0.0, status=sent (delivered to mailbox)',
  ]));
  const hops = t.recipients[0].hops;
  assert.deepEqual(hops.map((h) => `${h.from}>${h.to}:${h.tls}:${h.link}`), ['edge>hub:encrypted:message-id']);
  assert.equal(t.recipients[0].lastHost, 'hub');
  assert.ok(t.notes.some((n) => /joined by message id/.test(n)));
});

test('a bounce notification points both ways', () => {
  const events = eventsOf([
    ...fixture,
    'Mar  1 08:00:03 hub postfix/cleanup[201]: 7D00000003: message-id=<dsn-1@hub.mt.test>',
    'Mar  1 08:00:03 hub postfix/qmgr[250]: 7D00000003: from=<>, size=2000, nrcpt=1 (queue active)',
    'Mar  1 08:00:04 hub postfix/smtp[204]: 7D00000003: to=<s@example.org>, relay=mx.example.org[192.0.2.55]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 ok)',
  ]);
  const parent = reconstruct('<m1@example.org>', events);
  assert.deepEqual(parent.related, [{ kind: 'dsn', host: 'hub', queueId: '7D00000003', parentQueueId: '5B00000001', messageId: '<dsn-1@hub.mt.test>' }]);
  const dsn = reconstruct('<dsn-1@hub.mt.test>', events);
  assert.deepEqual(dsn.related, [{ kind: 'dsn-for', host: 'hub', queueId: '5B00000001', parentQueueId: '5B00000001', messageId: '<m1@example.org>' }]);
  assert.deepEqual(dsn.notes, []);
  assert.deepEqual(path(dsn, 's@example.org'), ['hub>mx.example.org:unknown']);
});
