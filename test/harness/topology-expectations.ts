import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Trace, type Hop, type RecipientTrace } from '../../schemas/index.ts';
import { attachedMessage, headerValues, receivedChain, type ReceivedHop } from './received.ts';
import type { RunEvidence } from './run-record.ts';

/**
 * What mailtrace must reconstruct from the three real logs of the harness topology
 * (test/harness/postfix.ts). Two kinds of expectation, kept apart on purpose:
 * - intent: what the configuration makes happen (edge → hub over TLS, hub → mailbox in
 *   plaintext, the unknown user bounced by the hub, dead.test deferred at the edge);
 * - evidence: what the same run recorded outside the logs (Received headers of the delivered
 *   mail, the bounce notification, postqueue's listing) — queue ids, TLS per hop, client name.
 * Nothing is copied from an earlier run's output.
 */
export type TraceFn = (id: string) => Promise<Trace>;

const hopText = (h: Hop): string => `${h.from}>${h.to}:${h.tls}`;
const byAddress = (a: RecipientTrace, b: RecipientTrace): number => a.address.localeCompare(b.address);

/** The hops Received headers describe: one per SMTP receipt (a locally made message has no first hop). */
function expectedFromChain(chain: ReceivedHop[]): { from: string; to: string; tls: Hop['tls']; toQueueId: string; tlsVersion: string; cipher: string }[] {
  const out = [];
  for (let k = 0; k < chain.length; k++) {
    const r = chain[k];
    if (!r.helo) continue;
    const from = k === 0 ? r.client : chain[k - 1].host;
    out.push({ from, to: r.host, tls: r.tls ? ('encrypted' as const) : ('plaintext' as const), toQueueId: r.queueId, tlsVersion: r.tlsVersion, cipher: r.cipher });
  }
  return out;
}

function assertMatchesChain(r: RecipientTrace, chain: ReceivedHop[]): void {
  const expected = expectedFromChain(chain);
  assert.equal(r.hops.length, expected.length, `${r.address}: one hop per Received header with a client`);
  r.hops.forEach((h, k) => {
    const e = expected[k];
    assert.equal(h.from, e.from, `${r.address} hop ${k} from`);
    assert.equal(h.to, e.to, `${r.address} hop ${k} to`);
    assert.equal(h.toQueueId, e.toQueueId, `${r.address} hop ${k} queue id (Received: … id)`);
    assert.equal(h.tls, e.tls, `${r.address} hop ${k} TLS (Received: with ${e.tls === 'encrypted' ? 'ESMTPS' : 'ESMTP'})`);
    if (h.tlsVersion) assert.equal(h.tlsVersion, e.tlsVersion, `${r.address} hop ${k} protocol`);
    if (h.cipher) assert.equal(h.cipher, e.cipher, `${r.address} hop ${k} cipher`);
    if (k > 0) assert.equal(h.fromQueueId, r.hops[k - 1].toQueueId, `${r.address} hop ${k} starts where hop ${k - 1} ended`);
  });
}

function assertTimes(r: RecipientTrace): void {
  r.hops.forEach((h, k) => {
    assert.ok(h.start <= h.end, `${r.address} hop ${k}: start ${h.start} after end ${h.end}`);
    if (k > 0) assert.ok(h.start >= r.hops[k - 1].start, `${r.address} hop ${k} starts before hop ${k - 1}`);
  });
}

/** The one delivered copy of a message in a mailbox, by its Message-ID. */
function deliveredCopy(ev: RunEvidence, address: string, messageId: string): string {
  const copies = (ev.delivered[address] ?? []).filter((m) => headerValues(m, 'Message-Id')[0] === messageId);
  assert.equal(copies.length, 1, `${address} holds exactly one copy of ${messageId}`);
  return copies[0];
}

function notificationFor(ev: RunEvidence, messageId: string): { raw: string; returned: string } {
  const found = (ev.delivered[ev.addresses.sender] ?? []).flatMap((raw) => {
    const returned = attachedMessage(raw);
    return returned && headerValues(returned, 'Message-Id')[0] === messageId ? [{ raw, returned }] : [];
  });
  assert.equal(found.length, 1, `the sender's mailbox holds one notification returning ${messageId}`);
  return found[0];
}

/**
 * A recipient the mailbox refused at RCPT: the hub got the 550, bounced it and sent a
 * non-delivery notification to the sender; the notification is traced in its own right.
 */
async function checkBounced(tr: Trace, r: RecipientTrace, messageId: string, clientName: string, ev: RunEvidence, trace: TraceFn): Promise<void> {
  assert.equal(r.status, 'bounced');
  assert.equal(r.lastHost, 'hub');
  assert.equal(r.dsn, '5.1.1');
  assert.match(r.reply, /550 5\.1\.1 .*User unknown in virtual mailbox table/);
  assert.deepEqual(r.hops.map(hopText), [`${clientName}>edge:encrypted`, 'edge>hub:encrypted']);
  assertTimes(r);
  // evidence: the notification returns the message with its Received headers and names the hub queue
  const note = notificationFor(ev, messageId);
  assertMatchesChain(r, receivedChain(note.returned));
  const hubQueue = /^X-Postfix-Queue-ID: (\S+)$/m.exec(note.raw)?.[1];
  assert.equal(r.hops[1].toQueueId, hubQueue, 'the hub queue the notification reports');
  const noteId = headerValues(note.raw, 'Message-Id')[0];
  const noteChain = receivedChain(note.raw);
  assert.equal(noteChain[0].host, 'hub', 'the notification was made on the hub');
  assert.deepEqual(tr.related, [{ kind: 'dsn', host: 'hub', queueId: noteChain[0].queueId, parentQueueId: hubQueue, messageId: noteId }]);

  const nt = Trace.parse(await trace(noteId));
  assert.equal(nt.sender, '', 'notifications have the null sender');
  assert.deepEqual(nt.recipients.map((x) => x.address), [ev.addresses.sender]);
  const back = nt.recipients[0];
  assert.equal(back.status, 'delivered');
  assert.deepEqual(back.hops.map(hopText), ['hub>mailbox:plaintext']);
  assertMatchesChain(back, noteChain);
  assert.deepEqual(nt.related, [{ kind: 'dsn-for', host: 'hub', queueId: hubQueue, parentQueueId: hubQueue, messageId }]);
}

export async function checkRealRun(t: TestContext, ev: RunEvidence, trace: TraceFn): Promise<void> {
  const { messageIds: ids, addresses } = ev;
  let clientName = '';
  let hubQueueOfTwo = '';

  await t.test('two known recipients: client → edge → hub → mailbox, TLS / TLS / plaintext, delivered', async () => {
    const tr = Trace.parse(await trace(ids.twoRecipients));
    assert.equal(tr.messageId, ids.twoRecipients);
    assert.equal(tr.sender, addresses.sender);
    const rcpts = [...tr.recipients].sort(byAddress);
    assert.deepEqual(rcpts.map((r) => r.address), [...addresses.known].sort());
    const chains = rcpts.map((r) => receivedChain(deliveredCopy(ev, r.address, ids.twoRecipients)));
    clientName = chains[0][0].client;
    assert.ok(clientName, 'the edge Received header names the client');
    for (const [k, r] of rcpts.entries()) {
      assert.equal(r.status, 'delivered', r.address);
      assert.equal(r.lastHost, 'mailbox');
      assert.equal(r.relay, 'virtual', 'the mailbox delivered with virtual(8)');
      // intent: swaks --tls to the edge, encrypt to the hub, none to the mailbox
      assert.deepEqual(r.hops.map(hopText), [`${clientName}>edge:encrypted`, 'edge>hub:encrypted', 'hub>mailbox:plaintext']);
      assert.deepEqual(r.hops.map((h) => h.link), ['first-hop', 'queued-as', 'queued-as']);
      // the TLS hops have the protocol from the TLS summary lines; the plaintext one from the counters
      assert.match(r.hops[0].tlsVersion, /^TLSv1\.[23]$/);
      assert.match(r.hops[1].tlsVersion, /^TLSv1\.[23]$/);
      assert.equal(r.hops[1].tlsTrust, 'trusted', 'edge checked the hub certificate against the harness CA');
      assert.equal(r.hops[2].tlsEvidence, 'smtpd-counters');
      // evidence: the Received chain of this recipient's copy
      assertMatchesChain(r, chains[k]);
      assertTimes(r);
    }
    // one message with two recipients: the same queue file on every host
    assert.deepEqual(chains[0].map((c) => c.queueId), chains[1].map((c) => c.queueId));
    assert.deepEqual(tr.queues.map((q) => `${q.host}:${q.queueId}`).sort(), chains[0].map((c) => `${c.host}:${c.queueId}`).sort());
    hubQueueOfTwo = chains[0][1].queueId;
    assert.deepEqual(tr.related, []);
    assert.deepEqual(tr.notes, []);
  });

  await t.test('unknown user: refused at RCPT by the mailbox, bounced by the hub, notification delivered to the sender', async () => {
    const tr = Trace.parse(await trace(ids.unknownUser));
    assert.deepEqual(tr.recipients.map((r) => r.address), [addresses.unknown]);
    await checkBounced(tr, tr.recipients[0], ids.unknownUser, clientName, ev, trace);
  });

  await t.test('one known and one unknown recipient: the hub delivers one and bounces the other', async () => {
    const tr = Trace.parse(await trace(ids.mixed));
    const { known, unknown } = addresses.mixed;
    assert.deepEqual(tr.recipients.map((r) => r.address).sort(), [known, unknown].sort());
    const ok = tr.recipients.find((r) => r.address === known)!;
    const refused = tr.recipients.find((r) => r.address === unknown)!;
    assert.equal(ok.status, 'delivered');
    assert.deepEqual(ok.hops.map(hopText), [`${clientName}>edge:encrypted`, 'edge>hub:encrypted', 'hub>mailbox:plaintext']);
    assertMatchesChain(ok, receivedChain(deliveredCopy(ev, known, ids.mixed)));
    assertTimes(ok);
    await checkBounced(tr, refused, ids.mixed, clientName, ev, trace);
    // both went through the same queue files up to the hub
    assert.deepEqual(refused.hops.map((h) => h.toQueueId), ok.hops.slice(0, 2).map((h) => h.toQueueId));
  });

  await t.test('straight to the mailbox host: one recipient delivered, the unknown one refused at RCPT', async () => {
    const tr = Trace.parse(await trace(ids.direct));
    const { known, unknown } = addresses.direct;
    assert.deepEqual(tr.recipients.map((r) => r.address).sort(), [known, unknown].sort());
    const ok = tr.recipients.find((r) => r.address === known)!;
    assert.equal(ok.status, 'delivered');
    assert.deepEqual(ok.hops.map(hopText), [`${clientName}>mailbox:plaintext`]);
    assertMatchesChain(ok, receivedChain(deliveredCopy(ev, known, ids.direct)));
    // the refusal is logged with the queue id (the file was opened for the first, accepted
    // recipient) and before the message-id line: the trace must still find it
    const refused = tr.recipients.find((r) => r.address === unknown)!;
    assert.equal(refused.status, 'rejected');
    assert.equal(refused.lastHost, 'mailbox');
    assert.equal(refused.dsn, '5.1.1');
    assert.match(refused.reply, /^550 5\.1\.1 .*User unknown in virtual mailbox table/);
    // it never left the session it was refused in
    assert.ok(refused.hops.length <= 1);
    if (refused.hops.length === 1) assert.equal(hopText(refused.hops[0]), `${clientName}>mailbox:plaintext`);
    assert.deepEqual(tr.related, [], 'refused at RCPT: the client was told, no notification');
  });

  await t.test('dead.test: plaintext to the edge, deferred there (connection refused)', async () => {
    const tr = Trace.parse(await trace(ids.deferred));
    assert.deepEqual(tr.recipients.map((r) => r.address), [addresses.deferred]);
    const r = tr.recipients[0];
    assert.equal(r.status, 'deferred');
    assert.equal(r.lastHost, 'edge');
    assert.match(r.dsn, /^4\./);
    assert.match(r.reply, new RegExp(`127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${ev.deadPort}: Connection refused`));
    // sent without --tls: the session counters show no STARTTLS
    assert.deepEqual(r.hops.map(hopText), [`${clientName}>edge:plaintext`]);
    assert.equal(r.hops[0].tlsEvidence, 'smtpd-counters');
    // evidence: postqueue listed this queue file as deferred on the edge
    assert.deepEqual(ev.deferredQueue.map((d) => [d.instance, d.queueId, d.recipients]), [['edge', r.hops[0].toQueueId, [addresses.deferred]]]);
  });

  await t.test('a queue id finds the whole message', async () => {
    assert.ok(hubQueueOfTwo, 'needs the first subtest');
    const byQueue = Trace.parse(await trace(hubQueueOfTwo));
    const byId = Trace.parse(await trace(ids.twoRecipients));
    assert.equal(byQueue.messageId, ids.twoRecipients);
    assert.deepEqual([...byQueue.recipients].sort(byAddress), [...byId.recipients].sort(byAddress));
  });
}
