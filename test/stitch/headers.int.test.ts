import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runIngest } from '../../ingest/index.ts';
import { traceMessage, summarize, searchMessages } from '../../query/index.ts';
import { MessageSearch } from '../../schemas/index.ts';
import { Store } from '../../store/index.ts';
import { checkHeadersAgree, messageIdOf, plantTlsClaim } from '../harness/received.ts';
import { FIXTURES } from '../helpers/store.ts';

/**
 * Received headers joined to logged paths, on what real Postfix wrote: the three logs and the mail
 * the mailbox delivered in one recorded run (test/fixtures/postfix/real-3hop, not edited). Every hop
 * a delivered copy's header claims is a hop our logs saw too (`both`), with the same TLS. Then
 * contradictions are planted in a copy of one message and must be flagged.
 */
const REAL = join(FIXTURES, 'postfix', 'real-3hop');
const LOGS = ['edge', 'hub', 'mailbox'].map((h) => join(REAL, `${h}.log`));
const DELIVERED = join(REAL, 'delivered');
const tmp = mkdtempSync(join(tmpdir(), 'mailtrace-headers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));


test('every hop a delivered copy of the real run claims is a hop the logs saw (provenance both), with the same TLS', { timeout: 120_000 }, async () => {
  const store = await Store.open({ kind: 'embedded', dataDir: join(tmp, 'agree') });
  try {
    const s = await runIngest({ inputs: [...LOGS, DELIVERED], store });
    const copies = readdirSync(DELIVERED).filter((n) => n.endsWith('.eml'));
    assert.equal(s.messages, copies.length, 'every delivered file is read as a message');
    assert.equal(s.rejectedTotal, 0, JSON.stringify(s.rejected));
    let both = 0;
    for (const name of copies) {
      const raw = readFileSync(join(DELIVERED, name), 'utf8');
      const t = await traceMessage(store, messageIdOf(raw));
      both += checkHeadersAgree(name, raw, t);
      assert.deepEqual(t.protection.mechanisms, []);
    }
    assert.ok(both >= 8, `hops seen twice: ${both}`);
    const sum = await summarize(store);
    assert.equal(sum.hopsByProvenance.header, 0);
    assert.ok(sum.hopsByProvenance.both > 0 && sum.hopsByProvenance.log > 0, JSON.stringify(sum.hopsByProvenance));
    assert.ok(sum.messagesUnprotected >= 1 && sum.messagesProtectionUnknown >= 1, 'messages with a copy read, and without');
    const none = await searchMessages(store, MessageSearch.parse({ protection: 'none' }));
    const unknown = await searchMessages(store, MessageSearch.parse({ protection: 'unknown' }));
    assert.equal(none.total, sum.messagesUnprotected);
    assert.equal(unknown.total, sum.messagesProtectionUnknown);
    assert.ok(none.messages.every((m) => m.protectionKnown && m.protection.length === 0));

    // the same copies again: nothing doubles
    const again = await runIngest({ inputs: [DELIVERED], store, force: true });
    assert.equal(again.messages, copies.length);
    const sum2 = await summarize(store);
    assert.deepEqual(sum2.hopsByProvenance, sum.hopsByProvenance);
  } finally {
    await store.close();
  }
});

test('planted contradictions are flagged: a header claiming TLS on a plaintext hop, a hop between our servers no log saw', { timeout: 120_000 }, async () => {
  const alice = readFileSync(join(DELIVERED, 'alice@example.test.1.eml'), 'utf8');
  // the hub → mailbox hop ran without TLS (its log says so); this copy's mailbox header claims TLS
  const claimsTls = plantTlsClaim(alice);
  // and a hop hub → edge that never happened, between the edge's and the hub's real headers
  const planted = claimsTls.replace(/(Received: from edge\.mt\.test)/,
    'Received: from hub.mt.test (localhost [127.0.0.1])\n\tby edge.mt.test (Postfix) with ESMTP id 9F00000PLANT;\n\tSun, 29 Nov 2026 02:13:42 +0000 (UTC)\n$1');
  const dir = join(tmp, 'planted');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'alice.eml'), planted);
  for (const l of LOGS) copyFileSync(l, join(dir, l.split('/').pop()!));
  const store = await Store.open({ kind: 'embedded', dataDir: join(tmp, 'planted-data') });
  try {
    await runIngest({ inputs: [dir], store });
    const t = await traceMessage(store, messageIdOf(alice));
    const r = t.recipients.find((x) => x.address === 'alice@example.test')!;
    const tlsClash = r.hops.find((h) => h.to.startsWith('mailbox') && h.provenance === 'both');
    assert.ok(tlsClash, r.hops.map((h) => `${h.from}→${h.to} ${h.provenance}`).join(', '));
    assert.equal(tlsClash.tls, 'plaintext', "the log's verdict stands");
    assert.match(tlsClash.conflict, /claims TLS .* plaintext/);
    const ghost = r.hops.find((h) => h.provenance === 'header');
    assert.ok(ghost, 'the planted hop is shown, as a header-only hop');
    assert.equal(ghost.toQueueId, '9F00000PLANT');
    assert.match(ghost.conflict, /two of our servers/);
    assert.ok(t.notes.some((n) => /claims TLS/.test(n)) && t.notes.some((n) => /two of our servers/.test(n)), t.notes.join('\n'));
    // the other recipient's path is not touched by alice's copy
    const bob = t.recipients.find((x) => x.address === 'bob@example.test')!;
    assert.ok(bob.hops.every((h) => h.provenance === 'log' && h.conflict === ''));
  } finally {
    await store.close();
  }
});
