import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postfixEvents } from '../helpers/postfix.ts';
import type { MailEvent, Trace } from '../../schemas/index.ts';
import { reconstruct } from '../../stitch/reconstruct.ts';
import { parseTexts } from '../ingest/formats/exchange/helpers.ts';

/**
 * The defects of issue 6, each built from the real row shapes in ../shared/reference/log-formats.md:
 * Exchange §1.6 (tracking rows), §1.9a (facts confirmed on real logs), §2.4–2.6 (protocol logs);
 * Postfix §4.2–4.4. Values (names, ids) are ours; the shapes (columns, reply texts, line order) are
 * the cited rows'. Each test feeds rows through the real parsers and the stitching rules.
 */
const F2016 = 'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version';
const F2010 = 'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data';
const PROTO = 'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';
const head = (type: string, version: string, fields: string) => `\uFEFF#Software: Microsoft Exchange Server\r\n#Version: ${version}\r\n#Log-type: ${type}\r\n#Date: 2026-03-01T08:00:00.000Z\r\n#Fields: ${fields}\r\n`;
const TRACK = (v = '15.01.2507.039', f = F2016) => head('Message Tracking Log', v, f);
const RECV = (v = '15.0.0.0') => head('SMTP Receive Protocol Log', v, PROTO);
const SEND = (v = '15.0.0.0') => head('SMTP Send Protocol Log', v, PROTO);

function row(fields: string, values: Record<string, string>): string {
  return fields.split(',').map((f) => {
    const v = values[f] ?? '';
    return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }).join(',') + '\r\n';
}

function exchange(files: [string, string][]): MailEvent[] {
  const { events, rejects } = parseTexts(files);
  assert.deepEqual(rejects, []);
  return events;
}

const postfix = (lines: string[]): MailEvent[] => postfixEvents(lines);

const path = (t: Trace, rcpt: string) => t.recipients.find((r) => r.address === rcpt)?.hops.map((h) => `${h.from}(${h.fromRole})>${h.to}(${h.toRole}):${h.tls}`);

const MID = '<20240107001234.567E6224C8@monitor.example.com>';
const RCPT = 'uwe.musterman@example.com';

/** §1.6 SMTP RECEIVE (elastic row) → §1.9a SEND to Mailbox Transport Delivery (2024-01-07 row, spaces as documented) → DELIVER */
function deliveryOrg(): [string, string][] {
  const hub = [
    row(F2016, { 'date-time': '2024-01-07T00:00:05.535Z', 'client-ip': '10.11.12.13', 'client-hostname': 'monitor.example.com', 'server-ip': '192.168.0.2', 'server-hostname': 'EXCHANGE', 'source-context': '08DC1DB12C345BE5;2024-01-07T00:00:05.400Z;0', 'connector-id': 'EXCHANGE\\Default EXCHANGE', source: 'SMTP', 'event-id': 'RECEIVE', 'internal-message-id': '29519319995411', 'message-id': MID, 'network-message-id': '0b7099ea-cb95-1234-328e-08dc5f139ac8', 'recipient-address': RCPT, 'total-bytes': '38663', 'recipient-count': '1', 'sender-address': 'support@example.com', 'return-path': 'support@example.com', 'message-info': '0cA: ', directionality: 'Incoming' }),
    row(F2016, { 'date-time': '2024-01-07T00:00:07.463Z', 'client-ip': '192.168.0.1', 'client-hostname': 'exchange', 'server-ip': '192.168.0.2', 'server-hostname': 'exchange.example.com', 'source-context': `;250 2.0.0 OK ${MID} [Hostname=exchange.example.com];ClientSubmitTime:`, 'connector-id': 'Intra-Organization SMTP Send Connector', source: 'SMTP', 'event-id': 'SEND', 'internal-message-id': '29519319995411', 'message-id': MID, 'network-message-id': '0b7099ea-cb95-1234-328e-08dc5f139ac8', 'recipient-address': RCPT, 'recipient-status': '250 2.1.5 Recipient OK', 'total-bytes': '38663', 'recipient-count': '1', 'sender-address': 'support@example.com', 'return-path': 'support@example.com', 'message-info': '2024-01-07T00:00:05.535Z;LSRV=exchange.example.com:TOTAL-HUB=1.921|SMS=0.076(SMSMBXD=0.071)', directionality: 'Originating', 'custom-data': 'S:E2ELatency=1.928;S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=Opportunistic' }),
  ].join('');
  const md = row(F2016, { 'date-time': '2024-01-07T00:00:07.600Z', 'client-ip': '192.168.0.2', 'client-hostname': 'exchange.example.com', 'server-ip': '192.168.0.2', 'server-hostname': 'EXCHANGE', 'source-context': 'MDB:61914740-3f1b-4ddb-94e0-557196870cfa, Mailbox:279f077c-216f-4323-a9ee-48e50ffd3cad, Event:269492708, MessageClass:IPM.Note, CreationTime:2024-01-07T00:00:07.590Z, ClientType:StoreDriver', source: 'STOREDRIVER', 'event-id': 'DELIVER', 'internal-message-id': '417', 'message-id': MID, 'network-message-id': '0b7099ea-cb95-1234-328e-08dc5f139ac8', 'recipient-address': RCPT, 'recipient-status': '250 2.0.0 OK', 'total-bytes': '38663', 'recipient-count': '1', 'sender-address': 'support@example.com', 'return-path': 'support@example.com', directionality: 'Originating' });
  return [
    ['EXCHANGE/TransportRoles/Logs/MessageTracking/MSGTRK2024010700-1.LOG', TRACK() + hub],
    ['EXCHANGE/TransportRoles/Logs/MessageTracking/MSGTRKMD2024010700-1.LOG', TRACK() + md],
  ];
}

test('Exchange delivery without InternalId (§1.9a): the whole path stays, hub → mailbox joined by server + message id + recipient + time', () => {
  const t = reconstruct(MID, exchange(deliveryOrg()));
  const r = t.recipients.find((x) => x.address === RCPT)!;
  assert.equal(r.status, 'delivered');
  assert.deepEqual(path(t, RCPT), ['monitor.example.com(external)>exchange(hub):unknown', 'exchange(hub)>exchange(mailbox):unknown']);
  assert.deepEqual(r.hops.map((h) => h.rule), ['first-hop', 'mailbox-delivery']);
  assert.equal(r.hops[1].status, 'delivered');
  assert.equal(r.hops[0].status, 'relayed');
  assert.ok(r.hops[1].eventIds.length >= 1);
});

test('the DELIVER rows alone (tracking of the hub rotated away): delivered, and a note that the receipt is missing — not a silent empty path', () => {
  const t = reconstruct(MID, exchange([deliveryOrg()[1]]));
  assert.equal(t.recipients[0].status, 'delivered');
  assert.ok(t.notes.some((n) => n.includes('receipt')), t.notes.join('; '));
});

/** §2.4 session shape: STARTTLS → 220 → certificate → TLS line → EHLO, split over two hourly files */
function splitSession(sid: string, withFirstPart: boolean): [string, string][] {
  const c = 'MBX1\\Default MBX1';
  const ep = ['10.0.0.5:2525', '10.0.0.9:41000'];
  const l = (seq: number, ts: string, ev: string, data: string, ctx = '') => row(PROTO, { 'date-time': ts, 'connector-id': c, 'session-id': sid, 'sequence-number': String(seq), 'local-endpoint': ep[0], 'remote-endpoint': ep[1], event: ev, data, context: ctx });
  const first = [
    l(0, '2026-03-01T08:59:59.100Z', '+', ''),
    l(1, '2026-03-01T08:59:59.100Z', '>', '220 MBX1.corp.example Microsoft ESMTP MAIL Service ready'),
    l(2, '2026-03-01T08:59:59.200Z', '<', 'EHLO edge1.corp.example'),
    l(3, '2026-03-01T08:59:59.200Z', '<', 'STARTTLS'),
    l(4, '2026-03-01T08:59:59.200Z', '>', '220 2.0.0 SMTP server ready'),
    l(5, '2026-03-01T08:59:59.900Z', '*', '', 'TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 384 bits'),
  ].join('');
  const second = [
    l(6, '2026-03-01T09:00:00.100Z', '<', 'EHLO edge1.corp.example'),
    l(7, '2026-03-01T09:00:00.200Z', '<', 'MAIL FROM:<a@partner.example>'),
    l(8, '2026-03-01T09:00:00.200Z', '*', `${sid};2026-03-01T08:59:59.100Z;1`, 'receiving message'),
    l(9, '2026-03-01T09:00:00.200Z', '>', '250 2.1.0 Sender OK'),
    l(10, '2026-03-01T09:00:00.300Z', '<', 'RCPT TO:<b@corp.example>'),
    l(11, '2026-03-01T09:00:00.300Z', '>', '250 2.1.5 Recipient OK'),
    l(12, '2026-03-01T09:00:00.300Z', '<', 'DATA'),
    l(13, '2026-03-01T09:00:00.300Z', '>', '354 Start mail input; end with <CRLF>.<CRLF>'),
    l(14, '2026-03-01T09:00:00.500Z', '>', '250 2.6.0 <split@partner.example> [InternalId=5001, Hostname=MBX1.corp.example] 2000 bytes in 0.100, 19.531 KB/sec Queued mail for delivery'),
    l(15, '2026-03-01T09:00:00.600Z', '-', '', 'Local'),
  ].join('');
  const dir = 'MBX1/TransportRoles/Logs/Hub/ProtocolLog/SmtpReceive';
  const files: [string, string][] = [[`${dir}/RECV2026030109-1.LOG`, RECV() + second]];
  if (withFirstPart) files.unshift([`${dir}/RECV2026030108-1.LOG`, RECV() + first]);
  return files;
}

function splitReceipt(sid: string): [string, string] {
  return ['MBX1/TransportRoles/Logs/MessageTracking/MSGTRK2026030109-1.LOG', TRACK() + row(F2016, {
    'date-time': '2026-03-01T09:00:00.500Z', 'client-ip': '10.0.0.9', 'client-hostname': 'edge1.corp.example', 'server-ip': '10.0.0.5', 'server-hostname': 'MBX1',
    'source-context': `${sid};2026-03-01T08:59:59.100Z;1`, 'connector-id': 'MBX1\\Default MBX1', source: 'SMTP', 'event-id': 'RECEIVE', 'internal-message-id': '5001',
    'message-id': '<split@partner.example>', 'recipient-address': 'b@corp.example', 'total-bytes': '2000', 'recipient-count': '1', 'return-path': 'a@partner.example', 'sender-address': 'a@partner.example',
  })];
}

test('a protocol-log session split over two hourly files keeps the TLS its first part proved (§1.9a)', () => {
  const sid = '08DE000000000001';
  const t = reconstruct('<split@partner.example>', exchange([...splitSession(sid, true), splitReceipt(sid)]));
  const h = t.recipients[0].hops[0];
  assert.equal(h.tls, 'encrypted');
  assert.equal(h.tlsVersion, 'TLSv1.2');
});

test('the same session with its first file missing: TLS unknown, never plaintext', () => {
  const sid = '08DE000000000002';
  const t = reconstruct('<split@partner.example>', exchange([...splitSession(sid, false), splitReceipt(sid)]));
  assert.equal(t.recipients[0].hops[0].tls, 'unknown');
});

test('the two parts ingested in separate runs (stored as two session events): the later part inherits the proof', () => {
  const sid = '08DE000000000003';
  const first = exchange([splitSession(sid, true)[0]]);
  const second = exchange([...splitSession(sid, false), splitReceipt(sid)]);
  const t = reconstruct('<split@partner.example>', [...second, ...first]);
  assert.equal(t.recipients[0].hops[0].tls, 'encrypted');
});

test('pipelined replies (§2.5 shape, Q&A `550 5.7.1 Unable to relay`): the refusal after `Sender OK` is kept', () => {
  const sid = '08DE000000000004';
  const l = (seq: number, ev: string, data: string, ctx = '') => row(PROTO, { 'date-time': `2026-03-01T08:00:0${Math.min(9, seq)}.000Z`, 'connector-id': 'EX\\Default Frontend EX', 'session-id': sid, 'sequence-number': String(seq), 'local-endpoint': '10.0.1.5:25', 'remote-endpoint': '40.107.19.96:54368', event: ev, data, context: ctx });
  const text = RECV() + [
    l(0, '+', ''), l(1, '>', '220 EX ready'), l(2, '<', 'EHLO mail.example'), l(3, '>', '250 EX Hello'),
    l(4, '<', 'MAIL FROM:<x@mail.example>'), l(5, '<', 'RCPT TO:<nobody@elsewhere.example>'),
    l(6, '>', '250 2.1.0 Sender OK'), l(7, '>', '550 5.7.1 Unable to relay'), l(8, '-', '', 'Remote(ConnectionReset)'),
  ].join('');
  const events = exchange([['EX/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive/RECV2026030108-1.LOG', text]]);
  const refusals = events.filter((e) => e.kind === 'reject');
  assert.deepEqual(refusals.map((e) => `${e.recipient} ${e.reply}`), ['nobody@elsewhere.example 550 5.7.1 Unable to relay']);
});

test('X-ANONYMOUSTLS between Exchange 2010 hubs (§1.9a): 220, certificate lines and a new EHLO prove TLS without a negotiation line', () => {
  const sid = '08CC000000000005';
  const l = (seq: number, ev: string, data: string, ctx = '') => row(PROTO, { 'date-time': `2010-06-01T08:00:${String(seq).padStart(2, '0')}.000Z`, 'connector-id': 'HUB2\\Default HUB2', 'session-id': sid, 'sequence-number': String(seq), 'local-endpoint': '10.0.0.2:25', 'remote-endpoint': '10.0.0.1:40000', event: ev, data, context: ctx });
  const text = RECV('14.0.0.0') + [
    l(0, '+', ''), l(1, '>', '220 HUB2.corp.example Microsoft ESMTP MAIL Service ready'), l(2, '<', 'EHLO HUB1.corp.example'),
    l(3, '>', '250 HUB2.corp.example Hello [10.0.0.1] X-ANONYMOUSTLS X-EXPS GSSAPI NTLM'), l(4, '<', 'X-ANONYMOUSTLS'), l(5, '>', '220 2.0.0 SMTP server ready'),
    l(6, '*', '', 'Sending certificate'), l(7, '*', 'CN=HUB2', 'Certificate subject'), l(8, '<', 'EHLO HUB1.corp.example'), l(9, '<', 'X-EXPS GSSAPI'),
    l(10, '<', 'MAIL FROM:<a@corp.example>'), l(11, '>', '250 2.1.0 Sender OK'), l(12, '<', 'RCPT TO:<b@corp.example>'), l(13, '>', '250 2.1.5 Recipient OK'),
    l(14, '<', 'DATA'), l(15, '>', '354 Start mail input; end with <CRLF>.<CRLF>'),
    l(16, '>', '250 2.6.0 <x10@corp.example> [InternalId=274498] Queued mail for delivery'), l(17, '-', '', 'Local'),
  ].join('');
  const events = exchange([['HUB2/TransportRoles/Logs/ProtocolLog/SmtpReceive/RECV2010060108-1.LOG', text]]);
  const session = events.find((e) => e.kind === 'session')!;
  assert.equal(session.tls, 'encrypted');
  assert.equal(session.tlsEvidence, 'exchange-protocol-starttls');
});

test('Exchange 2010 five roles (§1.9a): SUBMIT on the mailbox server → hub RECEIVE (STOREDRIVER) → hub store-driver DELIVER into another mailbox server', () => {
  const mid = '<five@corp.example>';
  const mbx = row(F2010, { 'date-time': '2010-06-01T08:00:00.000Z', 'client-hostname': 'MBX1', 'server-hostname': 'HUB1.corp.example', 'source-context': 'MDB:1, Mailbox:2, Event:3, MessageClass:IPM.Note, CreationTime:2010-06-01T08:00:00.000Z, ClientType:OWA', source: 'STOREDRIVER', 'event-id': 'SUBMIT', 'message-id': mid, 'sender-address': 'a@corp.example', 'return-path': 'a@corp.example' });
  const hub = [
    row(F2010, { 'date-time': '2010-06-01T08:00:01.000Z', 'client-ip': '10.0.0.11', 'client-hostname': 'MBX1.corp.example', 'server-hostname': 'HUB1', source: 'STOREDRIVER', 'event-id': 'RECEIVE', 'internal-message-id': '900', 'message-id': mid, 'recipient-address': 'b@corp.example', 'recipient-status': 'To', 'recipient-count': '1', 'sender-address': 'a@corp.example', 'return-path': 'a@corp.example' }),
    row(F2010, { 'date-time': '2010-06-01T08:00:02.000Z', 'client-ip': '10.0.0.1', 'client-hostname': 'HUB1', 'server-ip': '10.0.0.12', 'server-hostname': 'MBX2.corp.example', source: 'STOREDRIVER', 'event-id': 'DELIVER', 'internal-message-id': '900', 'message-id': mid, 'recipient-address': 'b@corp.example', 'recipient-status': '250 2.1.5 Recipient OK', 'recipient-count': '1', 'sender-address': 'a@corp.example', 'return-path': 'a@corp.example' }),
  ].join('');
  const t = reconstruct(mid, exchange([
    ['MBX1/TransportRoles/Logs/MessageTracking/MSGTRK20100601-1.LOG', TRACK('14.0.0.0', F2010) + mbx],
    ['HUB1/TransportRoles/Logs/MessageTracking/MSGTRK20100601-1.LOG', TRACK('14.0.0.0', F2010) + hub],
  ]));
  assert.deepEqual(path(t, 'b@corp.example'), ['mbx1(mailbox)>hub1(hub):unknown', 'hub1(hub)>mbx2(mailbox):unknown']);
  const r = t.recipients[0];
  assert.equal(r.status, 'delivered');
  assert.equal(r.lastHost, 'mbx2');
  assert.ok(!t.notes.some((n) => n.includes('receipt')), t.notes.join('; '));
});

// ---- Postfix (§4.4 facts) ----
const pf = (host: string, prog: string, pid: number, text: string, sec = 0) => `Jun 24 13:44:${String(sec).padStart(2, '0')} ${host} postfix/${prog}[${pid}]: ${text}`;

function pfMessage(session: string[], extra: string[] = []): MailEvent[] {
  return postfix([
    ...session.slice(0, -1),
    pf('mx', 'smtpd', 10, '6285B280F1F: client=mail.example.org[192.0.2.7]'),
    pf('mx', 'cleanup', 11, '6285B280F1F: message-id=<pf@example.org>'),
    pf('mx', 'qmgr', 12, '6285B280F1F: from=<s@example.org>, size=3186, nrcpt=1 (queue active)'),
    session[session.length - 1],
    pf('mx', 'local', 13, '6285B280F1F: to=<r@example.net>, relay=local, delay=0.1, delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (delivered to mailbox)', 1),
    ...extra,
  ]);
}

test('Postfix < 3.0: a bare `disconnect from` proves nothing about STARTTLS → unknown, not plaintext', () => {
  const t = reconstruct('<pf@example.org>', pfMessage([pf('mx', 'smtpd', 10, 'connect from mail.example.org[192.0.2.7]'), pf('mx', 'smtpd', 10, 'disconnect from mail.example.org[192.0.2.7]')]));
  assert.equal(t.recipients[0].hops[0].tls, 'unknown');
  const counted = reconstruct('<pf@example.org>', pfMessage([pf('mx', 'smtpd', 10, 'connect from mail.example.org[192.0.2.7]'), pf('mx', 'smtpd', 10, 'disconnect from mail.example.org[192.0.2.7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5')]));
  assert.equal(counted.recipients[0].hops[0].tls, 'plaintext', 'with counters and no starttls= it is plaintext');
});

test('Postfix: a TLS line logged before its pid\'s `connect from`, and a log that starts mid-session, keep their TLS', () => {
  const tlsLine = pf('mx', 'smtpd', 10, 'Anonymous TLS connection established from mail.example.org[192.0.2.7]: TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)');
  const before = reconstruct('<pf@example.org>', pfMessage([tlsLine, pf('mx', 'smtpd', 10, 'connect from mail.example.org[192.0.2.7]'), pf('mx', 'smtpd', 10, 'disconnect from mail.example.org[192.0.2.7] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7')]));
  assert.equal(before.recipients[0].hops[0].tls, 'encrypted');
  assert.equal(before.recipients[0].hops[0].tlsVersion, 'TLSv1.3');
  const midSession = reconstruct('<pf@example.org>', pfMessage([tlsLine, pf('mx', 'smtpd', 10, 'disconnect from mail.example.org[192.0.2.7]')]));
  assert.equal(midSession.recipients[0].hops[0].tlsVersion, 'TLSv1.3');
});

test('Postfix ≤ 2.4 TLS summaries without a trust word are TLS, inbound and outbound (`to smtp.gmail.com:` without an address)', () => {
  const t = reconstruct('<pf@example.org>', postfix([
    pf('mx', 'smtpd', 10, 'connect from mail.example.org[192.0.2.7]'),
    pf('mx', 'smtpd', 10, 'TLS connection established from mail.example.org[192.0.2.7]: TLSv1 with cipher DHE-RSA-AES256-SHA (256/256 bits)'),
    pf('mx', 'smtpd', 10, '6285B280F1F: client=mail.example.org[192.0.2.7]'),
    pf('mx', 'cleanup', 11, '6285B280F1F: message-id=<pf@example.org>'),
    pf('mx', 'qmgr', 12, '6285B280F1F: from=<s@example.org>, size=3186, nrcpt=1 (queue active)'),
    pf('mx', 'smtpd', 10, 'disconnect from mail.example.org[192.0.2.7]'),
    pf('mx', 'smtp', 14, 'TLS connection established to smtp.gmail.com: TLSv1 with cipher RC4-SHA (128/128 bits)', 1),
    pf('mx', 'smtp', 14, '6285B280F1F: to=<r@gmail.com>, relay=smtp.gmail.com[74.125.1.1]:587, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 OK 1234 x1si gsmtp)', 1),
  ]));
  assert.deepEqual(t.recipients[0].hops.map((h) => `${h.tls} ${h.tlsVersion}`), ['encrypted TLSv1', 'encrypted TLSv1']);
});

test('Postfix 3.11 tls= levels (§4.4): dane/requiretls:none and encrypt are TLS, may:none is plaintext, may alone is unknown', () => {
  const tlsOf = (feature: string) => {
    const t = reconstruct('<pf@example.org>', pfMessage([pf('mx', 'smtpd', 10, 'connect from mail.example.org[192.0.2.7]'), pf('mx', 'smtpd', 10, 'disconnect from mail.example.org[192.0.2.7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5')], [
      pf('mx', 'smtp', 15, `6285B280F1F: to=<x@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=3.6, delays=0.08/0.02/0.85/0.14, tls=${feature}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 153053D)`, 2),
    ]));
    return t.recipients.find((r) => r.address === 'x@remote.example')!.hops[1].tls;
  };
  assert.equal(tlsOf('dane/requiretls:none'), 'encrypted');
  assert.equal(tlsOf('encrypt/requiretls'), 'encrypted');
  assert.equal(tlsOf('dane:halfdane'), 'encrypted');
  assert.equal(tlsOf('may:none'), 'plaintext');
  assert.equal(tlsOf('may'), 'unknown');
  assert.equal(tlsOf('may?'), 'unknown');
});

test('Postfix: expired and force-expired end as bounced; `forwarded as` continues the path; qmgr\'s sender wins over pickup\'s login', () => {
  const expired = reconstruct('<pf@example.org>', pfMessage([pf('mx', 'smtpd', 10, 'connect from mail.example.org[192.0.2.7]'), pf('mx', 'smtpd', 10, 'disconnect from mail.example.org[192.0.2.7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5')], [
    pf('mx', 'error', 16, '6285B280F1F: to=<late@remote.example>, relay=none, delay=50825, delays=50825/0.04/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to remote.example[198.51.100.2]:25: Connection refused)', 2),
    pf('mx', 'qmgr', 12, '6285B280F1F: from=<s@example.org>, status=force-expired, returned to sender', 3),
  ]));
  assert.equal(expired.recipients.find((r) => r.address === 'late@remote.example')!.status, 'bounced');

  const forwarded = reconstruct('<fw@example.org>', postfix([
    pf('mx', 'pickup', 20, 'AAAAA11111: uid=0 from=<root>'),
    pf('mx', 'cleanup', 11, 'AAAAA11111: message-id=<fw@example.org>'),
    pf('mx', 'qmgr', 12, 'AAAAA11111: from=<root@mx.example.org>, size=300, nrcpt=1 (queue active)'),
    pf('mx', 'local', 21, 'AAAAA11111: to=<alias@mx.example.org>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (forwarded as BBBBB22222)', 1),
    pf('mx', 'cleanup', 11, 'BBBBB22222: message-id=<fw@example.org>', 1),
    pf('mx', 'qmgr', 12, 'BBBBB22222: from=<root@mx.example.org>, size=400, nrcpt=1 (queue active)', 1),
    pf('mx', 'smtp', 22, 'BBBBB22222: to=<target@remote.example>, orig_to=<alias@mx.example.org>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as CCCCC33333)', 2),
  ]));
  assert.equal(forwarded.sender, 'root@mx.example.org');
  const alias = forwarded.recipients.find((r) => r.address === 'alias@mx.example.org') ?? forwarded.recipients[0];
  assert.equal(alias.lastHost, 'mx');
  assert.deepEqual(alias.hops.map((h) => `${h.from}>${h.to}`), ['mx>mx.remote.example']);
});

test('Exchange 2010 NOTIFYMAPI row with empty host columns (§1.6, BEATS verbatim) in a loose file: counted as not modelled, not set aside as truncated', () => {
  const row2010 = '2016-04-05T00:00:02.052Z,,,,,"MDB:61914740-3f1b-4ddb-94e0-557196870cfa, Mailbox:279f077c-216f-4323-a9ee-48e50ffd3cad, Event:269492708, MessageClass:IPM.Note.StorageQuotaWarning.Warning, CreationTime:2016-04-05T00:00:01.022Z, ClientType:System",,STOREDRIVER,NOTIFYMAPI,,,,,,,,,,,,,,,,,S:ItemEntryId=00-00';
  const { events, rejects, skipped } = parseTexts([['MSGTRK20160405-1.LOG', TRACK('14.0.0.0', F2010) + row2010 + '\r\n']]);
  assert.deepEqual(rejects, []);
  assert.equal(events.length, 0);
  assert.equal(skipped, 1);
});

test('a message seen only in the Default Frontend protocol log (§2.5, STRUEBER verbatim): sender, recipient and the first hop with its TLS', () => {
  const rows = [
    '2024-03-13T09:01:18.723Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,0,10.100.100.25:25,10.100.100.30:62136,+,,',
    '2024-03-13T09:01:18.723Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,1,10.100.100.25:25,10.100.100.30:62136,>,"220 Exchange.contoso.com Microsoft ESMTP MAIL Service ready at Wed, 13 Mar 2024 10:01:17 +0100",',
    '2024-03-13T09:01:18.723Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,2,10.100.100.25:25,10.100.100.30:62136,<,EHLO Backup-Veeam,',
    '2024-03-13T09:01:18.724Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,3,10.100.100.25:25,10.100.100.30:62136,>,250 Exchange.contoso.com Hello [10.100.100.30] SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS X-ANONYMOUSTLS AUTH NTLM X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING XRDST,',
    '2024-03-13T09:01:18.724Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,4,10.100.100.25:25,10.100.100.30:62136,<,MAIL FROM:<veeam@contoso.com>,',
    '2024-03-13T09:01:18.724Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,5,10.100.100.25:25,10.100.100.30:62136,*,08DC42C8FF236A1F;2024-03-13T09:01:18.723Z;1,receiving message',
    '2024-03-13T09:01:18.724Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,6,10.100.100.25:25,10.100.100.30:62136,>,250 2.1.0 Sender OK,',
    '2024-03-13T09:01:18.724Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,7,10.100.100.25:25,10.100.100.30:62136,<,RCPT TO:<edv@contoso.com>,',
    '2024-03-13T09:01:18.725Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,8,10.100.100.25:25,10.100.100.30:62136,>,250 2.1.5 Recipient OK,',
    '2024-03-13T09:01:18.725Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,9,10.100.100.25:25,10.100.100.30:62136,<,DATA,',
    '2024-03-13T09:01:18.725Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,10,10.100.100.25:25,10.100.100.30:62136,>,354 Start mail input; end with <CRLF>.<CRLF>,',
    '2024-03-13T09:01:18.838Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,12,10.100.100.25:25,10.100.100.30:62136,>,"250 2.6.0 <e6c29c88-7479-4fee-9a7e-5ca909546317@Exchange.contoso.com> [InternalId=237172389052427, Hostname=Exchange.contoso.com] 11511 bytes in 0.102, 109,173 KB/sec Queued mail for delivery",',
    '2024-03-13T09:01:19.461Z,EXCHANGE\\Default Frontend EXCHANGE,08DC42C8FF236A1F,13,10.100.100.25:25,10.100.100.30:62136,-,,Remote(ConnectionReset)',
  ].join('\r\n') + '\r\n';
  const mid = '<e6c29c88-7479-4fee-9a7e-5ca909546317@Exchange.contoso.com>';
  const t = reconstruct(mid, exchange([['EXCHANGE/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive/RECV2024031309-1.LOG', RECV() + rows]]));
  assert.equal(t.sender, 'veeam@contoso.com');
  assert.deepEqual(t.recipients.map((r) => r.address), ['edv@contoso.com']);
  const hops = t.recipients[0].hops;
  assert.equal(hops[0].from, 'Backup-Veeam');
  assert.equal(hops[0].to, 'exchange');
  assert.equal(hops[0].toRole, 'frontend');
  assert.equal(hops[0].tls, 'plaintext', 'the whole session is in the log and never asked for STARTTLS');
  assert.equal(hops[1].rule, 'unmatched', 'the transport service\'s own logs are not here');
});
