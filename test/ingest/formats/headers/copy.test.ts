import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { copyEvents, readCopy } from '../../../../ingest/formats/headers/copy.ts';
import { headerFields, looksLikeMessage } from '../../../../ingest/formats/headers/fields.ts';
import { checkEvent } from '../../../../schemas/index.ts';

/**
 * One delivered copy → its events, and the bad shapes real mailboxes hold. Received lines in the
 * shapes of log-formats §4.5 (Postfix) and §5.2 (Exchange); the rest is RFC 5322 (folding §2.2.3,
 * fields §3.6) and RFC 2046 (multipart boundaries §5.1.1).
 */
const REF = { file: 'copy.eml', offset: 1000, fallbackTs: '2026-01-01T00:00:00.000Z' };
const read = (text: string | Buffer, chunk = 7) => {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += chunk) parts.push(b.subarray(i, i + chunk));
  return readCopy(Readable.from(parts));
};

const HEAD = [
  'Return-Path: <sender@example.org>',
  'Delivered-To: alice@example.test',
  'Received: from hub.example.test (hub.example.test [10.0.0.2])',
  '\tby mbx.example.test (Postfix) with ESMTP id 4ABCDEF0123',
  '\tfor <alice@example.test>; Mon, 30 Nov 2026 10:00:05 +0000 (UTC)',
  'Received: from EX1.corp.example (10.0.0.9) by EX2.corp.example (10.0.0.10)',
  ' with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.6;',
  ' Mon, 30 Nov 2026 10:00:02 +0000',
  'Message-ID: <m1@example.org>',
  'From: Sender <sender@example.org>',
  'Subject: hello',
].join('\r\n');

test('a copy becomes one event per Received header (oldest lowest) and one content event, all within the event contract', async () => {
  const copy = await read(`${HEAD}\r\n\r\nbody\r\n`);
  assert.equal(copy.headComplete, true);
  const { events, problems } = copyEvents(copy, REF);
  assert.deepEqual(problems, []);
  for (const e of events) assert.equal(checkEvent(e), '', `${e.kind}: ${checkEvent(e)}`);
  const hops = events.filter((e) => e.kind === 'received');
  assert.deepEqual(hops.map((e) => [e.host, e.client, e.queueId, e.tls, e.tlsVersion, e.protocol]), [
    ['mbx.example.test', 'hub.example.test', '4ABCDEF0123', 'plaintext', '', 'ESMTP'],
    ['ex2.corp.example', 'ex1.corp.example', '15.1.2507.6', 'encrypted', 'TLSv1.2', 'Microsoft SMTP Server'],
  ]);
  assert.ok(hops.every((e) => e.messageId === '<m1@example.org>' && e.recipient === 'alice@example.test'));
  // each event points at its own header line in the file: the newest is first in the block
  assert.ok(hops[0].sourceOffset > REF.offset && hops[1].sourceOffset > hops[0].sourceOffset);
  const content = events.find((e) => e.kind === 'content')!;
  assert.equal(content.sender, 'sender@example.org');
  assert.deepEqual(content.protection, []);
  // same bytes, same ids: a copy read twice is stored once
  const again = copyEvents(await read(`${HEAD}\r\n\r\nbody\r\n`, 3), REF).events;
  assert.deepEqual(again.map((e) => e.id), events.map((e) => e.id));
});

test('folded, duplicated and 8-bit headers are read; a line that is no field is reported, not fatal', () => {
  const block = Buffer.concat([
    Buffer.from('Subject: caf'), Buffer.from([0xe9]), Buffer.from(' (latin-1, no encoding)\n'),
    Buffer.from('Received: from a.example\n\tby b.example (Postfix) with ESMTP id AAA;\n\tMon, 30 Nov 2026 10:00:00 +0000\n'),
    Buffer.from('Received: from a.example\n\tby b.example (Postfix) with ESMTP id AAA;\n\tMon, 30 Nov 2026 10:00:00 +0000\n'),
    Buffer.from('this line is garbage\n'),
    Buffer.from('Message-ID: <x@y>\n'),
  ]);
  const { fields, problems } = headerFields(block);
  assert.equal(fields.filter((f) => f.name === 'received').length, 2);
  // as events, the verbatim repeat is one hop, and said so
  const copy = copyEvents({ head: block, headComplete: true, size: block.length, protection: { mechanisms: [], endToEnd: false, evidence: '', known: true }, mimeError: '', mimeProblem: '' }, REF);
  assert.equal(copy.events.filter((e) => e.kind === 'received').length, 1);
  assert.ok(copy.problems.some((p) => /repeated verbatim/.test(p.detail)));
  assert.equal(fields.find((f) => f.name === 'received')!.value, 'from a.example by b.example (Postfix) with ESMTP id AAA; Mon, 30 Nov 2026 10:00:00 +0000');
  assert.match(fields[0].value, /^caf\uFFFD/);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /neither a field nor a continuation/);
});

test('a Received value that is no hop is reported with its reason and file offset; the others stay', async () => {
  const text = 'Received: (qmail 90138 invoked from network); 30 Nov 2026 10:00:00 -0000\nReceived: from a.example by b.example (Postfix) with ESMTPS id BBB; Mon, 30 Nov 2026 10:00:00 +0000\nMessage-ID: <q@y>\n\nbody';
  const { events, problems } = copyEvents(await read(text), REF);
  assert.equal(events.filter((e) => e.kind === 'received').length, 1);
  assert.equal(problems.length, 1);
  assert.match(problems[0].detail, /no "by" clause/);
  assert.equal(problems[0].offset, REF.offset);
});

test('a message of only headers, and one with no header block at all', async () => {
  const only = await read('Received: from a by b.example (Postfix) with ESMTP id C; Mon, 30 Nov 2026 10:00:00 +0000\nMessage-ID: <h@y>\n');
  assert.equal(only.headComplete, true);
  assert.equal(copyEvents(only, REF).events.filter((e) => e.kind === 'received').length, 1);
  const none = await read('\nno headers here, only a body\n');
  assert.equal(none.head.length, 0);
});

test('a broken MIME boundary does not lose the hops; its protection is what the structure shows', async () => {
  const text = `${HEAD}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="never-used"\r\n\r\nno boundary ever appears in this body\r\n`;
  const copy = await read(text, 64);
  const { events } = copyEvents(copy, REF);
  assert.equal(events.filter((e) => e.kind === 'received').length, 2);
  // the top-level Content-Type is a claim the message makes about itself, and is reported as such
  assert.deepEqual(copy.protection.mechanisms, ['smime-signed']);
  assert.match(copy.mimeProblem, /boundary "never-used" never appears/);
  // a sound multipart body has no problem, whatever chunks its boundary straddles
  const sound = `${HEAD}\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n`;
  for (const n of [1, 2, 3, 5, 64]) assert.equal((await read(sound, n)).mimeProblem, '', `chunks of ${n}`);
});

test('memory stays bounded: a 64 MiB attachment streams through the copy reader', async () => {
  const head = Buffer.from(`${HEAD}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\nContent-Type: application/octet-stream; name="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n`);
  const line = Buffer.from(`${'QUJD'.repeat(19)}\r\n`);
  const lines = Math.ceil((64 << 20) / line.length);
  const tail = Buffer.from('--b1--\r\n');
  async function* gen() {
    yield head;
    const block = Buffer.concat(Array.from({ length: 1024 }, () => line));
    for (let i = 0; i < lines; i += 1024) yield block;
    yield tail;
  }
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  const copy = await readCopy(Readable.from(gen()));
  clearInterval(timer);
  assert.ok(copy.size > 64 << 20);
  assert.equal(copy.headComplete, true);
  assert.ok(peak - before < 96 << 20, `RSS grew by ${((peak - before) / 1048576).toFixed(0)} MiB`);
});

test('file detection: a header block is a message; a log line or an Exchange header is not', () => {
  assert.equal(looksLikeMessage(HEAD.split('\r\n')), true);
  assert.equal(looksLikeMessage(['Nov 29 02:13:42 hub postfix-hub/qmgr[8703]: 42EA6988E5B: removed']), false);
  assert.equal(looksLikeMessage(['#Software: Microsoft Exchange Server', '#Version: 15.01.2375.007']), false);
  assert.equal(looksLikeMessage(['2026-03-01T08:00:00+00:00 host postfix/smtpd[1]: connect from x']), false);
});
