import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customData } from '../../../../ingest/formats/exchange/index.ts';
import { isoTime } from '../../../../ingest/formats/exchange/tracking.ts';
import { fixture, parseTexts } from './helpers.ts';

// documented-msgtrk-2016.log: the Exchange 2016 header and the real rows quoted in
// ../shared/reference/log-formats.md §1.2 and §1.6 (QAZEER MSGTRKMS rows, elastic integration rows)
const { events, rejects } = parseTexts([['documented-msgtrk-2016.log', fixture('documented-msgtrk-2016.log')]]);

test('every documented row parses; the BOM and the 30-column #Fields map the columns', () => {
  assert.deepEqual(rejects, []);
  assert.deepEqual(events.map((e) => `${e.program}/${e.kind}`), ['notifymapi/other', 'receive/receive', 'haredirectfail/other', 'receive/receive', 'send/delivery', 'sendexternal/delivery']);
});

test('a STOREDRIVER RECEIVE is a local submission on a mailbox server', () => {
  const r = events[1];
  assert.equal(r.host, 'server-hostname');
  assert.equal(r.queueId, '438');
  assert.equal(r.messageId, '<XXX@domain.com>');
  assert.equal(r.networkMessageId, '6a638d20-1e63-493a-80a2-08da9a4ff8da');
  assert.equal(r.tlsEvidence, 'local-submission');
  assert.equal(r.role, 'mailbox:STOREDRIVER rows (mailbox store)');
  assert.equal(r.size, 3750222);
  assert.equal(r.ts, '2022-09-19T15:02:29.450Z');
});

test('an SMTP RECEIVE carries its session id for the protocol log, and the client', () => {
  const r = events[3];
  assert.equal(r.sessionId, '08DC1DB12C345BE5');
  assert.equal(r.client, 'exchange-mail.my.domain.com');
  assert.equal(r.clientIp, '10.11.12.14');
  assert.equal(r.host, 'exchange-mail');
  assert.equal(r.sender, 'root@host01.my.domain.com');
  assert.equal(r.connector, 'exchange-mail\\Default exchange-mail', 'connector-id, as written');
});

test('SEND and SENDEXTERNAL: next hop, its reply, and the InternalId it queued the message under', () => {
  const send = events[4];
  assert.equal(send.host, 'exchange', 'a send row is written by its client-hostname');
  assert.equal(send.connector, 'Intra-Organization SMTP Send Connector');
  assert.equal(send.relay, 'exchange.example.com');
  assert.equal(send.recipient, 'uwe.musterman@example.com');
  assert.equal(send.messageId, '<20240107001234.567E6224C8@monitor.example.com>', 'brackets restored on an anonymised id');
  const ext = events[5];
  assert.equal(ext.host, 'helloworld');
  assert.equal(ext.nextQueueId, '5450313518243');
  assert.equal(ext.relay, 'global-mail-onmicrosoft-com.mail.protection.outlook.com');
  assert.equal(ext.dsn, '2.1.5');
  assert.equal(ext.sender, '', 'return-path <> is the null sender');
  assert.match(ext.reply, /^250 2\.6\.0 <1736846922\.907742\.2942@foo\.bar\.local> \[InternalId=5450313518243, Hostname=AAAAAAAAAAAAA\.bbbbbbbb\.prod\.outlook\.com\] 141301 bytes in 0\.101, 1361\.827 KB\/sec Queued mail for delivery$/);
});

test('custom-data items keep values with = | ( ) intact', () => {
  const cd = customData('S:AMA=SUM|action=p|error=|atch=0;S:CompCost=|ETR=0;S:DeliveryPriority=Normal;S:OriginalFromAddress=jlb-approval@amazon.com;S:AccountForest=ant.amazon.com');
  assert.equal(cd.get('AMA'), 'SUM|action=p|error=|atch=0');
  assert.equal(cd.get('CompCost'), '|ETR=0');
  assert.equal(cd.get('OriginalFromAddress'), 'jlb-approval@amazon.com');
});

test('custom-data: end-to-end latency, external send time, and the TLS level Exchange says it used', () => {
  const ext = events[5];
  assert.equal(ext.delay, 14.513);
  assert.equal(ext.delayTransmit, 0.402);
  // EffectiveTlsAuthLevel=DomainValidation: TLS with the peer's domain checked
  assert.equal(ext.tls, 'encrypted');
  assert.equal(ext.tlsTrust, 'verified');
  assert.equal(ext.tlsEvidence, 'exchange-effective-tls:DomainValidation');
  // Opportunistic alone (the SEND row) proves nothing
  assert.equal(events[4].tls, 'unknown');
});

// found by test/fuzz (exchange.test.ts, online-dates.test.ts): a stamp that merely ended in Z threw
// a RangeError (`xZ`) or was kept as it stood (24 characters of anything, 30 February), and one
// past 9999 came out in the 27-character form no event may carry
test('isoTime: the canonical form of an ISO UTC stamp, or nothing', () => {
  assert.equal(isoTime('2026-03-01T08:00:00.123Z'), '2026-03-01T08:00:00.123Z');
  assert.equal(isoTime(' 2022-09-05T18:10:13.4907658 '), '2022-09-05T18:10:13.490Z');
  assert.equal(isoTime('0050-06-01 00:00:00'), '0050-06-01T00:00:00.000Z');
  for (const bad of ['xZ', 'aaaaaaaaaaaaaaaaaaaaaaaZ', '2026-02-30T08:00:00.000Z', '2026-03-01T24:00:00.000Z', '+010000-01-01T00:00:00Z', '2026-03-01T09:00:00+01:00', '1', '']) {
    assert.equal(isoTime(bad), '', bad);
  }
});
