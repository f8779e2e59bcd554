import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { generatePostfixLines } from '../../../../bench/generate/postfix.ts';
import { PostfixParser, type HostContext } from '../../../../ingest/formats/postfix/index.ts';
import type { MailEvent } from '../../../../schemas/index.ts';

/**
 * Follow mode's parser state across cycles and restarts (ingest/pipeline/follow.ts): a log read in
 * pieces — each piece settled, its state saved as JSON and restored into a new parser, as after a
 * kill — gives exactly the events of one read of the whole log. Checked on the real three-hop logs
 * recorded from Postfix 3.7.11 (test/fixtures/postfix/real-3hop) at every cut point, and on a
 * generated log at many.
 */
const REF = Date.UTC(2026, 5, 30);
type Line = { text: string; file: string; offset: number };

function oneRead(lines: readonly Line[]): Map<string, MailEvent> {
  const p = new PostfixParser({ referenceMs: REF });
  const out = new Map<string, MailEvent>();
  const sink = { event: (e: MailEvent) => { assert.ok(!out.has(e.id), `event ${e.id} emitted twice`); out.set(e.id, { ...e }); }, reject: () => {}, skipped: () => {} };
  for (const l of lines) p.parseLine(l.text, { file: l.file, offset: l.offset, lineNumber: 0 }, sink);
  p.flush(sink);
  return out;
}

/** read in pieces cut before each index of `cuts`; at each cut: settle, save, JSON, a new parser restores */
function inPieces(lines: readonly Line[], cuts: readonly number[]): Map<string, MailEvent> {
  const out = new Map<string, MailEvent>();
  const sink = { event: (e: MailEvent) => { assert.ok(!out.has(e.id), `event ${e.id} emitted twice`); out.set(e.id, { ...e }); }, reject: () => {}, skipped: () => {} };
  let p = new PostfixParser({ referenceMs: REF });
  let at = 0;
  for (const cut of [...cuts, lines.length]) {
    for (; at < cut; at++) p.parseLine(lines[at].text, { file: lines[at].file, offset: lines[at].offset, lineNumber: 0 }, sink);
    p.settle(sink);
    const saved = JSON.parse(JSON.stringify(p.saveContext())) as HostContext[];
    p = new PostfixParser({ referenceMs: REF });
    p.restoreContext(saved);
  }
  p.flush(sink);
  return out;
}

function assertSameEvents(got: Map<string, MailEvent>, want: Map<string, MailEvent>, what: string): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: the same event ids`);
  for (const [id, e] of want) assert.deepEqual(got.get(id), e, `${what}: event ${id} (${e.kind} ${e.queueId})`);
}

test('real Postfix logs read in two pieces, at every cut, with the state saved and restored: the events of one read', () => {
  const dir = resolve(import.meta.dirname, '..', '..', '..', 'fixtures', 'postfix', 'real-3hop');
  // the three servers' logs one after the other, each its own file
  const lines: Line[] = ['edge.log', 'hub.log', 'mailbox.log'].flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean)
    .map((text, i) => ({ text, file: f, offset: i })));
  const want = oneRead(lines);
  assert.ok(want.size > 20, `${want.size} events`);
  assert.ok([...want.values()].some((e) => e.kind === 'receive' && e.tlsEvidence === 'smtpd-tls-line'), 'the logs have TLS sessions');
  for (let cut = 1; cut < lines.length; cut++) assertSameEvents(inPieces(lines, [cut]), want, `cut at line ${cut}`);
});

test('a generated log read in 40 pieces, state saved and restored at each: the events of one read', () => {
  const text = [...generatePostfixLines({ messages: 400, seed: 5 })];
  const lines = text.map((t, i) => ({ text: t, file: 'maillog', offset: i }));
  const want = oneRead(lines);
  const cuts = Array.from({ length: 39 }, (_, i) => Math.floor(((i + 1) * lines.length) / 40));
  assertSameEvents(inPieces(lines, cuts), want, '40 pieces');
});

test('a deferred message retried after a restart more than the hold later still names its message id and sender', () => {
  // the real edge log (Postfix 3.7.11) deferred 29EE9988716 at 02:13:42; what follows are its own
  // lines retimed: a connection 6 min later (so the save happens past SETTLE_HOLD_MS), then qmgr's
  // retry — that qmgr logs `from=… (queue active)` again when a deferred message re-enters the
  // active queue is UNVERIFIED (no real row in shared/reference shows a retry's lines) — and the
  // deferral again 10 min later
  const dir = resolve(import.meta.dirname, '..', '..', '..', 'fixtures', 'postfix', 'real-3hop');
  const edge = readFileSync(join(dir, 'edge.log'), 'utf8').split('\n').filter(Boolean);
  const retimed = (needle: string, from: string, to: string) => {
    const line = edge.find((l) => l.includes(needle));
    assert.ok(line, needle);
    return line.replace(from, to);
  };
  const later = [
    retimed('smtpd[8740]: connect from', 'Nov 29 02:13:41 edge postfix-edge/smtpd[8740]', 'Nov 29 02:19:50 edge postfix-edge/smtpd[8801]'),
    retimed('disconnect from localhost[127.0.0.1] quit=1', 'Nov 29 02:13:41 edge postfix-edge/smtpd[8740]', 'Nov 29 02:19:50 edge postfix-edge/smtpd[8801]'),
    retimed('29EE9988716: from=', 'Nov 29 02:13:42', 'Nov 29 02:23:42'),
    retimed('29EE9988716: to=', 'Nov 29 02:13:42 edge postfix-edge/smtp[8759]', 'Nov 29 02:23:42 edge postfix-edge/smtp[8812]'),
  ];
  const lines: Line[] = [...edge, ...later].map((text, i) => ({ text, file: 'edge.log', offset: i }));
  const want = oneRead(lines);
  const retry = [...want.values()].filter((e) => e.queueId === '29EE9988716' && e.kind === 'delivery' && e.ts.includes('T02:23:42'));
  assert.equal(retry.length, 1);
  assert.equal(retry[0].messageId, '<dead-domain.mx17gj3j.8320@client.mt.test>');
  assert.equal(retry[0].sender, 'sender@example.test');
  assert.equal(retry[0].status, 'deferred');
  for (let cut = edge.length; cut < lines.length; cut++) assertSameEvents(inPieces(lines, [cut]), want, `cut at line ${cut}`);
});
