import assert from 'node:assert/strict';
import { test } from 'node:test';
import { certificateRow, splitNames } from '../../../../ingest/formats/exchange/certificate.ts';
import { fixture, parseTexts } from './helpers.ts';

const HEAD = (type: 'Receive' | 'Send') => `#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: SMTP ${type} Protocol Log\n#Date: 2026-03-01T08:00:00.000Z\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n`;

test('the real one-row certificate (log-formats.md §2.4, RECV2023011116-1.LOG): every value in its place', () => {
  const { events, rejects } = parseTexts([['documented-recv-frontend.log', fixture('documented-recv-frontend.log')]]);
  assert.deepEqual(rejects, []);
  const certs = events.filter((e) => e.kind === 'certificate');
  assert.equal(certs.length, 1);
  const c = certs[0];
  assert.equal(c.certSide, 'local', '`Sending certificate` on a receive log: the server presented it');
  assert.equal(c.certSubject, 'CN=SERVER-HOSTNAME');
  assert.equal(c.certIssuer, 'CN=SERVER-HOSTNAME');
  assert.equal(c.certSerial, '12DEABC6565646512346ABDC13456894');
  assert.equal(c.certFingerprint, '12DEABC6565646512346ABDC1345689413589876');
  assert.equal(c.certNotBefore, '2020-01-17T15:15:33.000Z');
  assert.equal(c.certNotAfter, '2025-01-17T15:15:33.000Z');
  assert.equal(c.certNames, 'SERVER-HOSTNAME;SERVER-HOSTNAME.DOMAIN.TEST');
  assert.equal(c.host, 'server-hostname');
  assert.equal(c.sessionId, '123453EC62278461');
  assert.equal(c.instance, 'SERVER-HOSTNAME\\Default Frontend SERVER-HOSTNAME');
  assert.equal(c.connector, c.instance);
  assert.equal(c.clientIp, '95.10.20.33');
  assert.equal(c.ts, '2023-01-11T15:59:56.232Z');
  // the session it belongs to keeps its own verdict (the certificate row also proves the handshake)
  assert.equal(events.find((e) => e.kind === 'session' && e.sessionId === '123453EC62278461')?.tls, 'encrypted');
});

test('the per-field layout (Microsoft KB, §2.6; values redacted there): assembled into one certificate, redacted hex is unknown', () => {
  const rows = [
    '2026-03-01T08:00:01.000Z,Outbound to Office 365,08D3AFC581A92DD3,15,192.168.0.78:28252,172.16.38.36:25,>,STARTTLS,',
    '2026-03-01T08:00:01.050Z,Outbound to Office 365,08D3AFC581A92DD3,16,192.168.0.78:28252,172.16.38.36:25,*,,Sending certificate',
    '2026-03-01T08:00:01.050Z,Outbound to Office 365,08D3AFC581A92DD3,17,192.168.0.78:28252,172.16.38.36:25,*,CN=*.xxx.xxx.xxx,Certificate subject',
    '2026-03-01T08:00:01.050Z,Outbound to Office 365,08D3AFC581A92DD3,18,192.168.0.78:28252,172.16.38.36:25,*,"CN=xxxxxx, OU=xxxxxx, O=xxxx, L=xxxx, S=xxxxx, C=xx",Certificate issuer name',
    '2026-03-01T08:00:01.050Z,Outbound to Office 365,08D3AFC581A92DD3,19,192.168.0.78:28252,172.16.38.36:25,*,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,Certificate serial number',
    '2026-03-01T08:00:01.050Z,Outbound to Office 365,08D3AFC581A92DD3,20,192.168.0.78:28252,172.16.38.36:25,*,xxxxxxxxxxxxxxxxxxxxxxxxxxxx,Certificate thumbprint',
    '2026-03-01T08:00:01.050Z,Outbound to Office 365,08D3AFC581A92DD3,21,192.168.0.78:28252,172.16.38.36:25,*,*.xxxx.xxx.xx alternate names',
    '2026-03-01T08:00:01.200Z,Outbound to Office 365,08D3AFC581A92DD3,22,192.168.0.78:28252,172.16.38.36:25,*,,TLS negotiation failed with error NoCredentials',
  ];
  const { events, rejects } = parseTexts([['HUB1/TransportRoles/Logs/Hub/ProtocolLog/SmtpSend/SEND2026030108-1.LOG', HEAD('Send') + rows.join('\n') + '\n']]);
  assert.deepEqual(rejects, []);
  const [c, ...more] = events.filter((e) => e.kind === 'certificate');
  assert.equal(more.length, 0);
  assert.equal(c.certSide, 'local');
  assert.equal(c.certSubject, 'CN=*.xxx.xxx.xxx');
  assert.equal(c.certIssuer, 'CN=xxxxxx, OU=xxxxxx, O=xxxx, L=xxxx, S=xxxxx, C=xx');
  assert.equal(c.certFingerprint, '', 'a redacted thumbprint is no fingerprint');
  assert.equal(c.certNames, '*.xxxx.xxx.xx');
  assert.equal(c.relayIp, '172.16.38.36');
  assert.equal(c.program, 'smtpsend');
  const session = events.find((e) => e.kind === 'session')!;
  assert.equal(session.tls, 'plaintext', 'the failed negotiation still decides the session');
  assert.equal(session.tlsEvidence, 'exchange-tls-failed:NoCredentials');
});

test('a per-field certificate cut off by the end of the file is still emitted with what it had', () => {
  const rows = [
    '2026-03-01T08:00:01.050Z,Outbound,0A,1,10.0.0.1:1000,10.0.0.2:25,*,,Received certificate',
    '2026-03-01T08:00:01.050Z,Outbound,0A,2,10.0.0.1:1000,10.0.0.2:25,*,CN=mx.partner.example,Certificate subject',
  ];
  const { events } = parseTexts([['HUB1/TransportRoles/Logs/Hub/ProtocolLog/SmtpSend/SEND2026030108-1.LOG', HEAD('Send') + rows.join('\n') + '\n']]);
  const c = events.find((e) => e.kind === 'certificate')!;
  assert.equal(c.certSide, 'remote');
  assert.equal(c.certSubject, 'CN=mx.partner.example');
  assert.equal(c.certIssuer, '');
});

test('subject and issuer with spaces, commas and quotes part at the one new attribute (the 2016 hybrid row of §2.6, its quotes restored)', () => {
  const data = ' CN=*, OU=IT, O=contoso International (L.L.C), L=Dubai, S=Dubai, C=AE CN=thawte SHA256 SSL CA, O="thawte, Inc.", C=US 0D92CFF6070B73AD5722EC8B4DA3389B AAA3D3DADA6891A2CCB3134D0B2D7764F1351BC4 *';
  const c = certificateRow(data, 'Sending certificate Certificate subject Certificate issuer name Certificate serial number Certificate thumbprint Certificate alternate names');
  assert.ok(c && c !== 'start');
  assert.equal(c.subject, 'CN=*, OU=IT, O=contoso International (L.L.C), L=Dubai, S=Dubai, C=AE');
  assert.equal(c.issuer, 'CN=thawte SHA256 SSL CA, O="thawte, Inc.", C=US');
  assert.equal(c.serial, '0D92CFF6070B73AD5722EC8B4DA3389B');
  assert.equal(c.fingerprint, 'AAA3D3DADA6891A2CCB3134D0B2D7764F1351BC4');
  assert.equal(c.notAfter, '', 'this row has no dates');
  assert.equal(c.names, '*');
});

test('shapes that do not fit are left unknown, never guessed (UNVERIFIED layouts degrade)', () => {
  assert.deepEqual(splitNames('CN=a O=b CN=c'), ['CN=a O=b CN=c', ''], 'two possible boundaries: no split');
  assert.deepEqual(splitNames('CN=only'), ['CN=only', '']);
  // a culture-formatted date (not seen in any real row): the dates stay unknown, the rest is placed
  const c = certificateRow(' CN=mx CN=CA 01AB 12DEABC6565646512346ABDC1345689413589876 1/17/2020 3:15:33 PM 1/17/2025 3:15:33 PM mx', 'Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names');
  assert.ok(c && c !== 'start');
  assert.equal(c.subject, 'CN=mx');
  assert.equal(c.fingerprint, '12DEABC6565646512346ABDC1345689413589876');
  assert.equal(c.notBefore, '');
  // no thumbprint at all: the text is kept as the subject, nothing else is placed
  const bare = certificateRow(' something unexpected', 'Sending certificate Subject');
  assert.ok(bare && bare !== 'start');
  assert.equal(bare.subject, 'something unexpected');
  assert.equal(bare.fingerprint, '');
  assert.equal(certificateRow('', 'TLS negotiation failed'), undefined);
});
