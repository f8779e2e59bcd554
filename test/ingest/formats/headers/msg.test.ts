import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMsgFile, protectionOfMsg, readMsg, type MsgContent } from '../../../../ingest/formats/headers/msg.ts';
import { buildCfb, buildMsg, type MsgSpec } from '../../../helpers/msg-builder.ts';

/**
 * .msg files are built from [MS-OXMSG] by test/helpers/msg-builder.ts and read back through
 * @kenjiuno/msgreader: two independent readings of the spec must agree. CMS prefixes are the first
 * 32 bytes of real `openssl cms -encrypt / -sign -outform DER` output (OpenSSL 3.0); the reader
 * looks only at the ContentInfo OID at their start (RFC 5652 §3).
 */
const CMS = {
  enveloped: Buffer.from('MIIBAQYJKoZIhvcNAQcDoIHzMIHwAgEAMYG9MIG6AgE=', 'base64'),
  signed: Buffer.from('MIID7gYJKoZIhvcNAQcCoIID3zCCA9sCAQExDTALBgk=', 'base64'),
  authEnveloped: Buffer.from('MIIBIAYLKoZIhvcNAQkQARegggEPMIIBCwIBADGBvTA=', 'base64'),
  /** BER indefinite length, which CMS allows (RFC 5652 §1.3): SEQUENCE 0x80, then id-envelopedData */
  envelopedBer: Buffer.from('3080060' + '92a864886f70d010703a080', 'hex'),
};
/** a one-file archive written by Info-ZIP's `zip -X` */
const ZIP = Buffer.from('UEsDBAoAAAAAABJTgl0gMDo2BgAAAAYAAAAFAAAAYS50eHRoZWxsbwpQSwECHgMKAAAAAAASU4JdIDA6NgYAAAAGAAAABQAAAAAAAAABAAAApIEAAAAAYS50eHRQSwUGAAAAAAEAAQAzAAAAKQAAAAAA', 'base64');

const HEADERS = [
  'Received: from mail.example.org (mail.example.org [192.0.2.10])',
  '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))',
  '\tby mx.example.net (Postfix) with ESMTPS id 4Tq1Xb2Zc3z9;',
  '\tTue, 19 Mar 2024 02:52:29 +0000 (UTC)',
  'Received: from [198.51.100.7] by mail.example.org (Postfix) with ESMTPSA id 9A1B2C3D; Tue, 19 Mar 2024 02:52:28 +0000',
  'From: Alice <alice@example.org>',
  'To: bob@example.net',
  'Subject: quarterly figures',
  'Message-ID: <20240319025228.9A1B2C3D@mail.example.org>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  '',
].join('\r\n');

function read(spec: MsgSpec): MsgContent {
  const r = readMsg(buildMsg(spec));
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.msg;
}

test('a received IPM.Note: transport headers verbatim, message id, subject, sender, attachments', () => {
  const bytes = buildMsg({
    messageClass: 'IPM.Note', subject: 'quarterly figures', headers: HEADERS, sender: 'alice@example.org',
    messageId: '<20240319025228.9A1B2C3D@mail.example.org>',
    attachments: [{ name: 'figures.csv', mimeType: 'text/csv', data: Buffer.alloc(5000, 0x41) }],
  });
  assert.ok(isMsgFile(bytes));
  const r = readMsg(bytes);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.equal(r.msg.headers, HEADERS);
  assert.equal(r.msg.messageClass, 'IPM.Note');
  assert.equal(r.msg.messageId, '<20240319025228.9A1B2C3D@mail.example.org>');
  assert.equal(r.msg.subject, 'quarterly figures');
  assert.equal(r.msg.sender, 'alice@example.org');
  assert.deepEqual(r.msg.attachments, [{ name: 'figures.csv', mimeType: 'text/csv', size: 5000 }]);
  assert.equal(r.msg.size, bytes.length);
  const p = protectionOfMsg(r.msg);
  assert.deepEqual(p.mechanisms, []);
  assert.match(p.evidence, /^no signature, encryption or rights management/);
});

test('a draft never sent over SMTP has no transport headers: headers and message id are empty', () => {
  const msg = read({ messageClass: 'IPM.Note', subject: 'draft' });
  assert.deepEqual([msg.headers, msg.messageId, msg.sender], ['', '', '']);
});

test('a Buffer that is a view into a larger buffer is read from its own bytes only', () => {
  const good = buildMsg({ messageClass: 'IPM.Note', headers: HEADERS });
  const r = readMsg(Buffer.concat([Buffer.alloc(777, 0xee), good]).subarray(777));
  assert.ok(r.ok && r.msg.headers === HEADERS);
});

test('IPM.Note.SMIME.MultipartSigned → smime-signed, from the message class ([MS-OXOSMIME] 2.1.3.1)', () => {
  const msg = read({
    messageClass: 'IPM.Note.SMIME.MultipartSigned', headers: HEADERS,
    attachments: [{ name: 'smime.p7m', mimeType: 'multipart/signed', data: Buffer.from('Content-Type: multipart/signed; protocol="application/pkcs7-signature"\r\n\r\n') }],
  });
  const p = protectionOfMsg(msg);
  assert.deepEqual(p.mechanisms, ['smime-signed']);
  assert.match(p.evidence, /PR_MESSAGE_CLASS IPM\.Note\.SMIME\.MultipartSigned \(clear-signed\)/);
});

test('IPM.Note.SMIME: the smime.p7m attachment\'s CMS content type tells encrypted from opaque-signed', () => {
  const p7m = (data: Buffer): MsgSpec => ({ messageClass: 'IPM.Note.SMIME', headers: HEADERS.replace(/Content-Type: .*/, 'Content-Type: application/octet-stream'), attachments: [{ name: 'smime.p7m', mimeType: 'application/pkcs7-mime', data }] });
  const cases: [Buffer, string, string[]][] = [
    [CMS.enveloped, 'enveloped-data', ['smime-encrypted']],
    [CMS.envelopedBer, 'enveloped-data', ['smime-encrypted']],
    [CMS.authEnveloped, 'authenveloped-data', ['smime-encrypted']],
    [CMS.signed, 'signed-data', ['smime-signed']],
  ];
  for (const [data, cms, mechanisms] of cases) {
    const msg = read(p7m(data));
    assert.equal(msg.attachments[0].cms, cms);
    const p = protectionOfMsg(msg);
    assert.deepEqual(p.mechanisms, mechanisms, cms);
    assert.match(p.evidence, new RegExp(`attachment smime\\.p7m is CMS ${cms}`));
  }
});

test('IPM.Note.SMIME: the smime-type kept in the Content-Type named property decides ([MS-OXOSMIME] 2.1.3.2)', () => {
  const msg = read({
    messageClass: 'IPM.Note.SMIME',
    internetHeaders: { 'content-type': 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"' },
    attachments: [{ name: 'smime.p7m', mimeType: 'application/pkcs7-mime', data: Buffer.from('not DER') }],
  });
  assert.equal(msg.contentType, 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"');
  assert.equal(msg.attachments[0].cms, undefined);
  assert.deepEqual(protectionOfMsg(msg).mechanisms, ['smime-encrypted']);
});

test('IPM.Note.SMIME with nothing telling encrypted from opaque-signed: no mechanism, and the evidence says why', () => {
  const msg = read({ messageClass: 'IPM.Note.SMIME', attachments: [{ name: 'smime.p7m', mimeType: 'application/pkcs7-mime', data: Buffer.from('garbled') }] });
  const p = protectionOfMsg(msg);
  assert.deepEqual(p.mechanisms, []);
  assert.match(p.evidence, /opaque-signed or encrypted S\/MIME message, but this \.msg names neither/);
});

test('a signed document.p7m attached to a plain IPM.Note is no S/MIME protection of the mail', () => {
  const msg = read({ messageClass: 'IPM.Note', headers: HEADERS, attachments: [{ name: 'contract.pdf.p7m', mimeType: 'application/octet-stream', data: CMS.signed }] });
  assert.equal(msg.attachments[0].cms, 'signed-data');
  assert.deepEqual(protectionOfMsg(msg).mechanisms, []);
});

test('transport headers alone: multipart/signed with a pkcs7-signature protocol → smime-signed', () => {
  const headers = HEADERS.replace(/Content-Type: .*/, 'Content-Type: multipart/signed;\r\n\tprotocol="application/pkcs7-signature"; micalg=sha-256;\r\n\tboundary="b1"');
  const p = protectionOfMsg(read({ messageClass: 'IPM.Note', headers }));
  assert.deepEqual(p.mechanisms, ['smime-signed']);
  assert.match(p.evidence, /transport headers Content-Type: multipart\/signed; protocol=application\/pkcs7-signature/);
});

test('rights-managed mail → irm: IPM.Note.rpmsg.* with message.rpmsg, or IPM.Note with the rpmsg attachment and Content-Class', () => {
  const rpmsg = { name: 'message.rpmsg', mimeType: 'application/x-microsoft-rpmsg-message', data: Buffer.from([0x76, 0xe8, 0x04, 0x60]) };
  const byClass = protectionOfMsg(read({ messageClass: 'IPM.Note.rpmsg.Microsoft.Voicemail.UM.CA', headers: HEADERS, attachments: [rpmsg] }));
  assert.deepEqual(byClass.mechanisms, ['irm']);
  assert.match(byClass.evidence, /PR_MESSAGE_CLASS IPM\.Note\.rpmsg\.Microsoft\.Voicemail\.UM\.CA, attachment message\.rpmsg \(application\/x-microsoft-rpmsg-message\)/);
  const headers = HEADERS.replace('MIME-Version: 1.0', 'MIME-Version: 1.0\r\nContent-Class: rpmsg.message');
  const plain = protectionOfMsg(read({ messageClass: 'IPM.Note', headers, internetHeaders: { 'content-class': 'rpmsg.message' }, attachments: [rpmsg] }));
  assert.deepEqual(plain.mechanisms, ['irm']);
  assert.match(plain.evidence, /PidNameContentClass rpmsg\.message.*attachment message\.rpmsg.*transport headers Content-Class: rpmsg\.message/);
});

test('not a .msg: empty, random bytes, a zip → ok:false with a reason, never a throw', () => {
  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
  const cases: [Buffer, string, RegExp][] = [
    [Buffer.alloc(0), 'empty', /empty file/],
    [random, 'not-compound-file', /compound file signature D0 CF 11 E0/],
    [ZIP, 'not-compound-file', /not an Outlook \.msg file/],
  ];
  for (const [bytes, code, reason] of cases) {
    assert.equal(isMsgFile(bytes), false);
    const r = readMsg(bytes);
    assert.ok(!r.ok);
    assert.equal(r.code, code);
    assert.match(r.reason, reason);
  }
});

test('a truncated .msg (its first 2 KB) and a compound file that is no message → ok:false with the cause', () => {
  const good = buildMsg({ messageClass: 'IPM.Note', headers: HEADERS, attachments: [{ name: 'a.bin', mimeType: 'application/octet-stream', data: Buffer.alloc(6000, 1) }] });
  assert.ok(good.length > 4096);
  const cut = readMsg(good.subarray(0, 2048));
  assert.ok(!cut.ok);
  assert.equal(cut.code, 'truncated');
  assert.match(cut.reason, /truncated compound file: .* past the end of the 2048-byte file/);
  const other = readMsg(buildCfb({ '/WordDocument': Buffer.from('not mail'), '/Data/stream': Buffer.alloc(5000) }));
  assert.ok(!other.ok);
  assert.equal(other.code, 'not-a-message');
  assert.match(other.reason, /not an Outlook message: it has no PR_MESSAGE_CLASS/);
});

/** [MS-CFB] 2.2 header: sector shift 0x1E, first directory sector 0x30, DIFAT[0] (first FAT sector) 0x4C */
function sectorOffset(b: Buffer, sector: number): number {
  return (sector + 1) << b.readUInt16LE(0x1e);
}

test('crafted loops that would hang the underlying reader are refused: a FAT chain and a directory sibling pointing at themselves', () => {
  const good = buildMsg({ messageClass: 'IPM.Note', headers: HEADERS });
  const dir = good.readUInt32LE(0x30);
  const fatLoop = Buffer.from(good);
  fatLoop.writeUInt32LE(dir, sectorOffset(fatLoop, fatLoop.readUInt32LE(0x4c)) + dir * 4);
  const treeLoop = Buffer.from(good);
  treeLoop.writeUInt32LE(1, sectorOffset(treeLoop, dir) + 128 + 0x44);
  for (const [bytes, reason] of [[fatLoop, /the directory chain loops/], [treeLoop, /the directory tree loops/]] as const) {
    const r = readMsg(bytes);
    assert.ok(!r.ok);
    assert.equal(r.code, 'corrupt');
    assert.match(r.reason, reason);
  }
});

test('any corruption of the header, FAT and directory: readMsg returns a value, never throws or hangs', () => {
  const good = buildMsg({ messageClass: 'IPM.Note.SMIME', headers: HEADERS, attachments: [{ name: 'smime.p7m', mimeType: 'application/pkcs7-mime', data: Buffer.concat([CMS.enveloped, Buffer.alloc(5000)]) }] });
  const structural = Math.min(good.length, 512 * 8);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(structural - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const bytes = Buffer.from(good);
      for (const [at, value] of edits) bytes[at] = value;
      const r = readMsg(bytes);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 400, seed: 20240319 },
  );
});
