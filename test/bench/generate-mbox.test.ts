/**
 * The mbox workload generator keeps its contract (bench/generate/mbox.ts header): same seed → same
 * bytes; splitMbox finds exactly the messages it reports, each starting with RFC 5322 headers and
 * carrying Received: chains; the S/MIME counts match the structures in the file; the big attachment
 * is there; body lines starting with `From ` are mboxrd-quoted and come back unquoted without splitting.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeMbox, type MboxGenerateResult } from '../../bench/generate/mbox.ts';
import { splitMbox, type MboxProblem } from '../../ingest/sources/mbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-mbox-'));
const file = join(dir, 'a.mbox');
const BIG = 1_500_000;
let result: MboxGenerateResult;
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  result = await writeMbox(file, { bytes: 6_000_000, seed: 11, bigAttachmentBytes: BIG });
});

test('the same seed gives the same bytes, and the reported size is the file size', async () => {
  const again = join(dir, 'b.mbox');
  assert.deepEqual(await writeMbox(again, { bytes: 6_000_000, seed: 11, bigAttachmentBytes: BIG }), result);
  const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
  assert.equal(hash(again), hash(file));
  assert.equal(readFileSync(file).length, result.bytes);
  assert.ok(result.bytes >= 6_000_000);
});

test('splitMbox finds exactly the reported messages, each starting with headers', async () => {
  const problems: MboxProblem[] = [];
  let messages = 0;
  let largest = 0;
  const smime = { 'smime-signed': 0, 'smime-encrypted': 0 };
  let unquotedFromLines = 0;
  for await (const m of splitMbox(createReadStream(file), { onProblem: (p) => problems.push(p) })) {
    messages++;
    assert.match(m.fromLine, /^From \S+ (Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    const text = Buffer.concat(await m.stream.toArray()).toString('latin1');
    largest = Math.max(largest, text.length);
    const head = text.slice(0, text.indexOf('\n\n'));
    assert.match(head, /^Return-Path: <[^>]*>\nDelivered-To: /);
    assert.ok((head.match(/^Received: /gm) ?? []).length >= 3, 'a Received: chain');
    assert.match(head, /^Message-ID: <[^>]+>$/m);
    if (/^Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"/m.test(head)) smime['smime-signed']++;
    if (/^Content-Type: application\/pkcs7-mime; smime-type=enveloped-data/m.test(head)) smime['smime-encrypted']++;
    unquotedFromLines += (text.match(/\nFrom /g) ?? []).length;
  }
  assert.deepEqual(problems, []);
  assert.equal(messages, result.messages);
  assert.deepEqual(smime, result.protected);
  assert.ok(smime['smime-signed'] > 0 && smime['smime-encrypted'] > 0);
  assert.ok(largest > BIG, 'the big attachment is in one message');
  assert.ok(unquotedFromLines > 0, 'body lines starting with `From ` came back unquoted');
  assert.match(readFileSync(file, 'latin1'), /\n>From /, 'and were quoted in the file');
});
