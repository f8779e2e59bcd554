import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runIngest } from '../../ingest/index.ts';
import { searchMessages, summarize, traceMessage } from '../../query/index.ts';
import { MessageSearch } from '../../schemas/index.ts';
import { Store } from '../../store/index.ts';

/**
 * Delivered messages as inputs of `mailtrace ingest` beside logs: .eml files, an mbox, a maildir
 * folder; protection stored per message (S/MIME made by openssl with a throwaway certificate),
 * searchable and counted; bad messages kept aside with their reason while the good ones around
 * them are stored. Received shapes: log-formats §4.5; mbox separators: RFC 4155.
 */
const dir = mkdtempSync(join(tmpdir(), 'mailtrace-messages-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

const received = (id: string, qid: string, tls: boolean) =>
  `Received: from client.example (client.example [192.0.2.7])\n${tls ? '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n' : ''}\tby mx.example.test (Postfix) with ${tls ? 'ESMTPS' : 'ESMTP'} id ${qid}\n\tfor <bob@example.test>; Mon, 30 Nov 2026 10:00:00 +0000 (UTC)\nMessage-ID: <${id}@example.org>\n`;

test('messages beside logs: hops and protection stored, searchable by protection, counted in the summary; bad ones kept aside', { timeout: 120_000 }, async () => {
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=mailtrace-test', '-days', '1');
  writeFileSync(join(dir, 'body.txt'), 'Content-Type: text/plain\r\n\r\nquarterly numbers\r\n');
  ssl('smime', '-sign', '-signer', 'cert.pem', '-inkey', 'key.pem', '-in', 'body.txt', '-out', 'signed.txt', '-from', 'a@example.org', '-to', 'bob@example.test', '-subject', 'signed');
  ssl('smime', '-encrypt', '-aes256', '-in', 'body.txt', '-out', 'enc.txt', '-from', 'a@example.org', '-to', 'bob@example.test', '-subject', 'sealed', 'cert.pem');
  const inputs = join(dir, 'inputs');
  mkdirSync(join(inputs, 'Maildir', 'new'), { recursive: true });
  writeFileSync(join(inputs, 'signed.eml'), received('signed', 'A1B2C3D4E5', true) + readFileSync(join(dir, 'signed.txt'), 'utf8'));
  // a maildir file has no extension: it is known by its header block
  writeFileSync(join(inputs, 'Maildir', 'new', '1795918422.V801I2M3.mx'), received('sealed', 'F6A7B8C9D0', true) + readFileSync(join(dir, 'enc.txt'), 'utf8'));
  const plain = (id: string, qid: string) => `${received(id, qid, false)}From: a@example.org\nSubject: plain\n\nFrom the start of a line\nbye\n`;
  writeFileSync(join(inputs, 'box.mbox'), [
    `From a@example.org Mon Nov 30 10:00:00 2026\n${plain('plain1', '1111AAAA22').replace('From the start', '>From the start')}\n`,
    `From a@example.org Mon Nov 30 10:00:01 2026\n\nonly a body, no header block\n\n`,
    `From a@example.org Mon Nov 30 10:00:02 2026\n${plain('plain2', '3333BBBB44')}\n`,
  ].join(''));
  // a compound file that is no Outlook message, named like one
  writeFileSync(join(inputs, 'not-a-message.msg'), Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(600, 7)]));

  const store = await Store.open({ kind: 'embedded', dataDir: join(dir, 'data') });
  try {
    const s = await runIngest({ inputs: [inputs], store });
    assert.equal(s.messages, 5, JSON.stringify(s));
    assert.equal(s.rejected['bad-message'], 2, JSON.stringify(s.rejected));
    const signed = await traceMessage(store, '<signed@example.org>');
    assert.deepEqual(signed.protection.mechanisms, ['smime-signed']);
    assert.equal(signed.protection.endToEnd, false);
    const hop = signed.recipients.find((r) => r.address === 'bob@example.test')?.hops[0];
    assert.equal(hop?.provenance, 'header');
    assert.equal(hop?.tls, 'encrypted');
    assert.equal(hop?.tlsVersion, 'TLSv1.3');
    const sealed = await traceMessage(store, '<sealed@example.org>');
    assert.deepEqual(sealed.protection.mechanisms, ['smime-encrypted']);
    assert.equal(sealed.protection.endToEnd, true);
    const search = async (protection: string) => (await searchMessages(store, MessageSearch.parse({ protection }))).messages.map((m) => m.messageId).sort();
    assert.deepEqual(await search('smime-signed'), ['<signed@example.org>']);
    assert.deepEqual(await search('any'), ['<sealed@example.org>', '<signed@example.org>']);
    assert.deepEqual(await search('none'), ['<plain1@example.org>', '<plain2@example.org>']);
    const sum = await summarize(store);
    assert.equal(sum.messagesByProtection['smime-signed'], 1);
    assert.equal(sum.messagesByProtection['smime-encrypted'], 1);
    assert.equal(sum.messagesUnprotected, 2);
    assert.equal(sum.hopsByProvenance.header, 4);
    // a header-only hop is a claim: not counted as one of our plaintext hops
    assert.equal((await searchMessages(store, MessageSearch.parse({ messageId: '<plain1@example.org>' }))).messages[0].plaintextHops, 0);
  } finally {
    await store.close();
  }
});
