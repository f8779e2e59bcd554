import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, parseTexts } from './helpers.ts';

// documented-recv-frontend.log: the SmtpReceive header and the real sessions quoted in
// ../shared/reference/log-formats.md §2.2, §2.4 (STARTTLS with TLS 1.2) and §2.5 (queued for delivery)
// (its certificate row is read in certificate.test.ts; here only the sessions)
const parsed = parseTexts([['documented-recv-frontend.log', fixture('documented-recv-frontend.log')]]);
const { rejects } = parsed;
const events = parsed.events.filter((e) => e.kind !== 'certificate');

test('sessions are rebuilt by session id: one event each (and one per recipient a queued message was accepted for), none rejected', () => {
  assert.deepEqual(rejects, []);
  assert.equal(events.filter((e) => e.recipient === '').length, 2);
  assert.deepEqual(events.filter((e) => e.recipient !== '').map((e) => `${e.sessionId} ${e.recipient} ${e.sender}`), ['08DC42C8FF236A1F edv@contoso.com veeam@contoso.com']);
  assert.ok(events.every((e) => e.kind === 'session' && e.program === 'smtpreceive'));
});

test('the STARTTLS session: TLS 1.2, cipher and strength, no client certificate', () => {
  const s = events.find((e) => e.sessionId === '123453EC62278461')!;
  assert.equal(s.tls, 'encrypted');
  assert.equal(s.tlsVersion, 'TLSv1.2');
  assert.equal(s.cipher, 'CALG_AES_128');
  assert.equal(s.cipherBits, 128);
  assert.equal(s.tlsTrust, 'anonymous');
  assert.equal(s.host, 'server-hostname');
  assert.equal(s.role, 'frontend:connector SERVER-HOSTNAME\\Default Frontend SERVER-HOSTNAME', 'a Default Frontend connector, and the evidence');
  assert.equal(s.clientIp, '95.10.20.33');
});

test('the plain session: mail carried without STARTTLS is plaintext, and the queued reply names the transport queue', () => {
  const s = events.find((e) => e.sessionId === '08DC42C8FF236A1F')!;
  assert.equal(s.tls, 'plaintext');
  assert.equal(s.client, 'Backup-Veeam');
  assert.equal(s.nextQueueId, '237172389052427');
  assert.equal(s.relay, 'Exchange.contoso.com');
  assert.equal(s.messageId, '<e6c29c88-7479-4fee-9a7e-5ca909546317@Exchange.contoso.com>');
});

test('protocol rows with an unreadable time are reported, the session still closes on its good rows', () => {
  // the shape of Microsoft's KB example of a failed TLS negotiation (log-formats.md §2.6), whose
  // date-time column holds the placeholder `Date/Time.ConnectorId`
  const head = '#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: SMTP Send Protocol Log\n#Date: 2026-03-01T08:00:00.000Z\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n';
  const text = head
    + '2026-03-01T08:00:01.000Z,Outbound to Office 365,08D3AFC581A92DD3,15,192.168.0.78:28252,172.16.38.36:25,>,STARTTLS,\n'
    + 'Date/Time.ConnectorId,Outbound to Office 365,08D3AFC581A92DD3,16,192.168.0.78:28252,172.16.38.36:25,*,,Sending certificate\n'
    + '2026-03-01T08:00:01.200Z,Outbound to Office 365,08D3AFC581A92DD3,22,192.168.0.78:28252,172.16.38.36:25,*,,TLS negotiation failed with error NoCredentials\n';
  const { events, rejects } = parseTexts([['HUB1/TransportRoles/Logs/Hub/ProtocolLog/SmtpSend/SEND2026030108-1.LOG', text]]);
  assert.deepEqual(rejects.map((r) => `${r.reason}@${r.line}`), ['bad-timestamp@7']);
  assert.equal(events.length, 1);
  assert.equal(events[0].tls, 'plaintext');
  assert.equal(events[0].tlsEvidence, 'exchange-tls-failed:NoCredentials');
  assert.equal(events[0].ts, '2026-03-01T08:00:01.000Z');
});

// found by test/fuzz/exchange.test.ts: a row without a session id vanished without a trace (a
// tracking file whose #Log-type says protocol log, a cut row), and a time the session could not
// write (a zone offset, a year past 9999) passed the row check and gave the session an empty or a
// 27-character ts
test('a protocol row without a session id, or with a time the session cannot write, is reported', () => {
  const head = '#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: SMTP Receive Protocol Log\n#Date: 2026-03-01T08:00:00.000Z\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n';
  const text = head
    + '2026-03-01T08:00:01.000Z,EDGE1\\Default,,0,10.0.0.1:25,192.0.2.1:5000,+,,\n'
    + '2026-03-01T09:00:01.000+01:00,EDGE1\\Default,08D3AFC581A92DD4,0,10.0.0.1:25,192.0.2.1:5000,+,,\n'
    + '+010000-01-01T00:00:00,EDGE1\\Default,08D3AFC581A92DD5,0,10.0.0.1:25,192.0.2.1:5000,+,,\n'
    + '2026-03-01T08:00:02.000Z,EDGE1\\Default,08D3AFC581A92DD6,0,10.0.0.1:25,192.0.2.1:5000,+,,\n';
  const { events, rejects } = parseTexts([['EDGE1/TransportRoles/Logs/Edge/ProtocolLog/SmtpReceive/RECV2026030108-1.LOG', text]]);
  assert.deepEqual(rejects.map((r) => `${r.reason}@${r.line}`), ['bad-row@6', 'bad-timestamp@7', 'bad-timestamp@8']);
  assert.deepEqual(events.map((e) => `${e.sessionId} ${e.ts}`), ['08D3AFC581A92DD6 2026-03-01T08:00:02.000Z']);
});
