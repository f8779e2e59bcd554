import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecord } from '../../../../ingest/formats/postfix/records.ts';

// Message bodies quoted verbatim from shared/reference/log-formats.md §4.2–4.4 (real Postfix lines
// collected there from the postfix-grok-patterns test suite and public logs).

test('smtp delivery with queued as', () => {
  const r = parseRecord('smtp', '7EE668039: to=<admin@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=3.6, delays=0.2/0.02/0.04/3.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 153053D)');
  assert.deepEqual(r, {
    t: 'delivery', qid: '7EE668039', to: 'admin@example.com', origTo: '', relay: '127.0.0.1[127.0.0.1]:2525', relayName: '127.0.0.1', relayIp: '127.0.0.1',
    relayPort: 2525, connUse: 0, delay: 3.6, delays: [0.2, 0.02, 0.04, 3.3], tlsFeature: '', dsn: '2.0.0', status: 'sent', reply: '250 2.0.0 Ok: queued as 153053D', nextQid: '153053D',
  });
});

test('orig_to and a remote relay', () => {
  const r = parseRecord('smtp', '0D9633D: to=<jos@example.com>, orig_to=<bestuur@example.com>, relay=mail1.example.net[10.74.103.11]:25, delay=11, delays=5.4/0.06/5.1/0.03, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as F12DF84004)');
  assert.ok(r && r.t === 'delivery');
  assert.equal(r.origTo, 'bestuur@example.com');
  assert.equal(r.relayName, 'mail1.example.net');
  assert.equal(r.nextQid, 'F12DF84004');
});

test('amavis re-injection reply still yields the next queue id', () => {
  const r = parseRecord('smtp', '6285B280F1F: to=<soporte@connectia.info>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.35, delays=0.12/0.02/0.02/0.19, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 932E2280F22)');
  assert.ok(r && r.t === 'delivery');
  assert.equal(r.nextQid, '932E2280F22');
});

test('bounced reply with commas and parentheses is kept whole', () => {
  const r = parseRecord('smtp', '4E74613FE76: to=<redacted@gmail.com>, relay=gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b]:25, delay=1.9, delays=0.05/0/1.1/0.71, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] said: 550-5.7.1 [2607:4100:3:25:100::2      12] Our system has detected that this 550-5.7.1 message is likely unsolicited mail. (in reply to end of DATA command))');
  assert.ok(r && r.t === 'delivery');
  assert.equal(r.status, 'bounced');
  assert.equal(r.relayIp, '2607:f8b0:400e:c04::1b');
  assert.equal(r.relayPort, 25);
  assert.match(r.reply, /^host gmail-smtp-in.*end of DATA command\)$/);
  assert.equal(r.nextQid, '');
});

test('deferred with relay=none', () => {
  const r = parseRecord('error', '96E69280F04: to=<soporte@connectia.info>, relay=none, delay=50825, delays=50825/0.04/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mail.connectia.info[private/dovecot-lmtp]: Connection refused)');
  assert.ok(r && r.t === 'delivery');
  assert.equal(r.status, 'deferred');
  assert.equal(r.relay, 'none');
  assert.equal(r.delay, 50825);
});

test('local delivery without angle brackets (older local(8))', () => {
  const r = parseRecord('local', '892A0205B6: to=ghdsgfhdslfh@localhost, relay=local, delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, status=bounced (unknown user: "ghdsgfhdslfh")');
  assert.ok(r && r.t === 'delivery');
  assert.equal(r.to, 'ghdsgfhdslfh@localhost');
  assert.equal(r.reply, 'unknown user: "ghdsgfhdslfh"');
});

test('Postfix 3.11 tls= feature field between delays and dsn', () => {
  const r = parseRecord('smtp', '7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, delay=3.6, delays=0.08/0.02/0.85/0.14, tls=may:none, dsn=2.1.5, status=sent (250 2.0.0 Ok: queued as 153053D)');
  assert.ok(r && r.t === 'delivery');
  assert.equal(r.tlsFeature, 'may:none');
  assert.equal(r.dsn, '2.1.5');
});

test('conn_use after relay', () => {
  const r = parseRecord('smtp', 'ABCDEF1234: to=<a@b.example>, relay=mx.b.example[192.0.2.5]:25, conn_use=2, delay=0.4, delays=0.1/0/0/0.3, dsn=2.0.0, status=sent (250 ok)');
  assert.ok(r && r.t === 'delivery');
  assert.equal(r.connUse, 2);
});

test('cleanup, qmgr and bounce lines', () => {
  assert.deepEqual(parseRecord('cleanup', '0F5383D: message-id=<544D2523.30609@rhsoft.net>'), { t: 'message-id', qid: '0F5383D', messageId: '<544D2523.30609@rhsoft.net>' });
  assert.deepEqual(parseRecord('cleanup', '4104E3D: message-id=<>'), { t: 'message-id', qid: '4104E3D', messageId: '<>' });
  assert.deepEqual(parseRecord('qmgr', '0F5383D: from=<owner-postfix-users@postfix.org>, size=5360, nrcpt=1 (queue active)'), { t: 'qmgr-from', qid: '0F5383D', sender: 'owner-postfix-users@postfix.org', size: 5360, nrcpt: 1 });
  assert.deepEqual(parseRecord('qmgr', '585BC3F: from=<>, status=expired, returned to sender'), { t: 'expired', qid: '585BC3F', sender: '' });
  assert.deepEqual(parseRecord('qmgr', '0F5383D: removed'), { t: 'removed', qid: '0F5383D' });
  assert.deepEqual(parseRecord('bounce', '17CCA8044: sender non-delivery notification: ADD2F8052'), { t: 'dsn', qid: '17CCA8044', notice: 'sender non-delivery notification', dsnQid: 'ADD2F8052' });
  assert.deepEqual(parseRecord('bounce', '264FE1A18: sender delay notification: 0A87A1A08'), { t: 'dsn', qid: '264FE1A18', notice: 'sender delay notification', dsnQid: '0A87A1A08' });
  assert.deepEqual(parseRecord('pickup', 'D2FAE20586: uid=0 from=<fail2ban>'), { t: 'pickup', qid: 'D2FAE20586', sender: 'fail2ban' });
});

test('smtpd connect, client, disconnect counters', () => {
  assert.deepEqual(parseRecord('smtpd', 'connect from 061238241086.static.ctinets.com[61.238.241.86]'), { t: 'connect', client: '061238241086.static.ctinets.com', ip: '61.238.241.86' });
  assert.deepEqual(parseRecord('smtpd', '4104E3D: client=061238241086.static.ctinets.com[61.238.241.86]'), { t: 'client', qid: '4104E3D', client: '061238241086.static.ctinets.com', ip: '61.238.241.86' });
  assert.deepEqual(parseRecord('smtpd', 'disconnect from unknown[72.10.165.66] ehlo=2 starttls=1 mail=1 rcpt=0/1 data=0/1 quit=1 commands=5/7'), { t: 'disconnect', client: 'unknown', ip: '72.10.165.66', starttls: 1, counters: true });
  assert.deepEqual(parseRecord('smtpd', 'disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5'), { t: 'disconnect', client: 'localhost', ip: '127.0.0.1', starttls: 0, counters: true });
  // Postfix < 3.0 logged no counters: a bare disconnect says nothing about STARTTLS (§4.4 facts)
  assert.deepEqual(parseRecord('smtpd', 'disconnect from mail.example.org[192.0.2.7]'), { t: 'disconnect', client: 'mail.example.org', ip: '192.0.2.7', starttls: 0, counters: false });
});

test('NOQUEUE rejects from smtpd and postscreen', () => {
  const a = parseRecord('smtpd', 'NOQUEUE: reject: RCPT from 061238241086.static.ctinets.com[61.238.241.86]: 550 5.1.1 <toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<wumt5@cchfdc.com> to=<toernooicommissie@example.com> proto=ESMTP helo=<ecsolved.com>');
  assert.deepEqual(a, { t: 'reject', qid: '', client: '061238241086.static.ctinets.com', ip: '61.238.241.86', reply: '550 5.1.1 <toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual mailbox table', sender: 'wumt5@cchfdc.com', recipient: 'toernooicommissie@example.com', helo: 'ecsolved.com' });
  const b = parseRecord('postscreen', 'NOQUEUE: reject: RCPT from [27.157.200.233]:4984: 550 5.7.1 Service unavailable; client [27.157.200.233] blocked using zen.spamhaus.org; from=<hcdvbnm@qhhn.com>, to=<4ECEA00F.9040306@example.com>, proto=ESMTP, helo=<qhhn.com>');
  assert.ok(b && b.t === 'reject');
  assert.equal(b.recipient, '4ECEA00F.9040306@example.com');
  assert.equal(b.sender, 'hcdvbnm@qhhn.com');
});

test('TLS summary lines, inbound and outbound', () => {
  assert.deepEqual(parseRecord('smtpd', 'Anonymous TLS connection established from julie.example.com[10.163.89.202]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (4096 bits) server-digest SHA256'),
    { t: 'tls', trust: 'anonymous', direction: 'from', peer: 'julie.example.com[10.163.89.202]', version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256 });
  assert.deepEqual(parseRecord('smtp', 'Verified TLS connection established to mail.sys4.de[2001:1578:400:111::7]:25: TLSv1 with cipher ECDHE-RSA-AES256-SHA (256/256 bits)'),
    { t: 'tls', trust: 'verified', direction: 'to', peer: 'mail.sys4.de[2001:1578:400:111::7]:25', version: 'TLSv1', cipher: 'ECDHE-RSA-AES256-SHA', bits: 256 });
  const untrusted = parseRecord('smtp', 'Untrusted TLS connection established to mx4.hotmail.com[65.55.92.136]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-SHA384 (256/256 bits)');
  assert.ok(untrusted && untrusted.t === 'tls');
  assert.equal(untrusted.trust, 'untrusted');
});

test('TLS failures', () => {
  const r = parseRecord('smtp', 'SSL_connect error to mail.example.org[112.63.65.2]:25: lost connection');
  assert.ok(r && r.t === 'tls-failed');
  const s = parseRecord('smtpd', 'lost connection after STARTTLS from unknown[72.13.58.7]');
  assert.ok(s && s.t === 'tls-failed');
});

test('lines we do not model return undefined', () => {
  assert.equal(parseRecord('smtpd', 'warning: ec2-3-84-57-208.compute-1.amazonaws.com[3.84.57.208]: SASL LOGIN authentication failed: UGFzc3dvcmQ6'), undefined);
  assert.equal(parseRecord('anvil', 'statistics: max connection rate 1/60s for (smtp:192.0.2.1) at Mar  1 08:00:00'), undefined);
  assert.equal(parseRecord('smtp', 'connect to intern.nl[194.109.6.98]:25: Connection timed out'), undefined);
  assert.equal(parseRecord('cleanup', 'D95341E50350: info: header Subject: test from local; from=<from@example.com> to=<to@example.com>'), undefined);
});
