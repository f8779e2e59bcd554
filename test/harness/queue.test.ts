import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES } from '../helpers/store.ts';
import { readLogState } from './queue.ts';
import { loadRun } from './run-record.ts';

// settle()'s reading of a log, on the saved real run (no Postfix needed)
const { logs, evidence } = loadRun(join(FIXTURES, 'postfix', 'real-3hop'));

test('a finished log: sessions closed, only the deferred queue file unremoved, next-hop ids resolvable', () => {
  const edge = readLogState(logs.edge);
  const hub = readLogState(logs.hub);
  const mailbox = readLogState(logs.mailbox);
  for (const s of [edge, hub, mailbox]) assert.deepEqual(s.openSessions, []);
  const deferred = evidence.deferredQueue.map((d) => d.queueId);
  assert.deepEqual([...edge.unremoved], deferred);
  assert.deepEqual([...edge.deferredLogged], deferred);
  assert.deepEqual([...hub.unremoved, ...mailbox.unremoved], []);
  // what edge announced as `queued as` is the hub's, and the hub's is the mailbox's
  for (const qid of edge.queuedAs) assert.ok(hub.seen.has(qid), qid);
  for (const qid of hub.queuedAs) assert.ok(mailbox.seen.has(qid), qid);
  // the hub made one notification per bounced message, and logged it
  assert.equal(hub.notifications.size, 2);
  for (const qid of hub.notifications) assert.ok(hub.seen.has(qid), qid);
  for (const id of Object.values(evidence.messageIds)) assert.ok(edge.messageIds.has(id) || id === evidence.messageIds.direct, id);
  assert.ok(mailbox.messageIds.has(evidence.messageIds.direct), 'the message sent straight to the mailbox host');
});

test('an unfinished log: the open session and the queue file without its removed line are owed', (t) => {
  const lines = readFileSync(logs.hub, 'utf8').split('\n');
  // cut the real hub log right after its first queue manager line: mid-session, nothing removed
  const cut = lines.findIndex((l) => / postfix-hub\/qmgr\[\d+\]: [0-9A-F]+: from=/.test(l));
  const qid = /: ([0-9A-F]+): from=/.exec(lines[cut])![1];
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-harness-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hub.log');
  writeFileSync(file, lines.slice(0, cut + 1).join('\n'));
  const state = readLogState(file);
  assert.deepEqual([...state.unremoved], [qid]);
  assert.equal(state.openSessions.length, 1);
});
