import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deliver } from '../../../query/policy/alerts.ts';
import { deliverAll } from '../../../query/policy/deliver.ts';
import type { StoredIncident } from '../../../query/policy/incidents.ts';
import type { PolicyLog } from '../../../query/policy/log.ts';
import { AlertMessage, type AlertSink, type PendingNotice } from '../../../schemas/index.ts';

/**
 * The cap on notices per check, without a store or a clock: 30 incidents owe their alert, at most
 * 20 go out on their own, the other 10 as one digest per sink that counts and lists them, and the
 * log says so. A digest that fails leaves its notices owed. Time is the check's injected `now`.
 */
const NOW = '2026-04-02T10:06:00.000Z';
const incident = (n: number, pending: PendingNotice[], severity: 'warning' | 'critical' = 'warning'): StoredIncident => ({
  id: `r:c${n}>edge@${NOW}`, key: `r:c${n}>edge`, rule: 'r', kind: 'no-plaintext', severity, groupBy: 'route', from: `c${n}`, to: 'edge', domain: '',
  routes: [{ from: `c${n}`, to: 'edge', domain: '', handoffs: 1, firstSeen: NOW, lastSeen: NOW }], routeCount: 1,
  state: 'open', openedAt: `2026-04-02T10:${String(n).padStart(2, '0')}:00.000Z`, resolvedAt: '', firstSeen: NOW, lastSeen: NOW, handoffs: 1, samples: [],
  pending, failures: 0, lastError: '', version: 1,
});
const thirty = (pending: PendingNotice[] = ['opened:webhook']) => Array.from({ length: 30 }, (_, i) => incident(i + 1, pending));

function recorder(fail: (sink: AlertSink, m: AlertMessage) => boolean = () => false) {
  const sent: { sink: AlertSink; message: AlertMessage }[] = [];
  const send: Deliver = async (sink, message) => {
    // what a webhook would receive must parse as the contract says
    AlertMessage.parse(JSON.parse(JSON.stringify(message)));
    if (fail(sink, message)) throw new Error('relay said no');
    sent.push({ sink, message });
    return 'ok';
  };
  const warnings: { details: Record<string, unknown>; message: string }[] = [];
  const log: PolicyLog = { warn: (details, message) => warnings.push({ details: details as Record<string, unknown>, message }) };
  return { sent, send, warnings, log };
}

test('30 alerts owed, cap 20: 20 alerts, then one digest of the 10 held back, logged; nothing stays owed', async () => {
  const r = recorder();
  const d = await deliverAll(thirty(), { sinks: ['webhook'], send: r.send, now: NOW, maxPerCheck: 20, log: r.log });
  assert.deepEqual(r.sent.map((s) => s.message.type), [...Array(20).fill('opened'), 'digest']);
  const digest = r.sent[20].message;
  assert.ok(digest.type === 'digest');
  assert.deepEqual([digest.id, digest.heldBack, digest.maxPerCheck, digest.notices.length], [`digest@${NOW}`, 10, 20, 10]);
  assert.deepEqual(digest.notices.map((n) => n.incident.from), ['c21', 'c22', 'c23', 'c24', 'c25', 'c26', 'c27', 'c28', 'c29', 'c30'], 'the oldest go out first');
  assert.equal(d.delivered.length, 20);
  assert.equal(d.heldBack.length, 10);
  assert.deepEqual(d.digests, [{ id: `digest@${NOW}`, sink: 'webhook', heldBack: 10, receipt: 'ok' }]);
  assert.equal(d.changed.length, 30);
  assert.ok(d.changed.every((i) => i.pending.length === 0 && i.version === 2), 'the digest stands for the held notices');
  assert.equal(r.warnings.length, 1);
  assert.equal(r.warnings[0].details.heldBack, 10);
  assert.equal((r.warnings[0].details.notices as string[]).length, 10, 'every held notice is named in the log');
  assert.match(r.warnings[0].message, /10 notice\(s\) past alerts\.maxPerCheck \(20\) held back/);
});

test('under the cap no digest is sent and nothing is logged', async () => {
  const r = recorder();
  const d = await deliverAll(thirty().slice(0, 20), { sinks: ['webhook'], send: r.send, now: NOW, maxPerCheck: 20, log: r.log });
  assert.equal(r.sent.length, 20);
  assert.deepEqual([d.heldBack, d.digests, r.warnings], [[], [], []]);
});

test('the most severe go out first; each sink gets each admitted notice and its own digest', async () => {
  const list = thirty(['opened:webhook', 'opened:email']);
  list[28] = incident(29, ['opened:webhook', 'opened:email'], 'critical');
  const r = recorder();
  const d = await deliverAll(list, { sinks: ['webhook', 'email'], send: r.send, now: NOW, maxPerCheck: 3, log: r.log });
  const alerts = r.sent.filter((s) => s.message.type === 'opened').map((s) => `${s.sink} ${s.message.type === 'opened' ? s.message.incident.from : ''}`);
  assert.deepEqual(alerts, ['webhook c29', 'email c29', 'webhook c1', 'email c1', 'webhook c2', 'email c2']);
  assert.deepEqual(d.digests.map((g) => [g.sink, g.heldBack]), [['webhook', 27], ['email', 27]]);
  assert.equal(d.heldBack.length, 54);
});

test('a digest that fails leaves its notices owed; the next check sends them (nothing dropped)', async () => {
  const r = recorder((_, m) => m.type === 'digest');
  const list = thirty();
  const d = await deliverAll(list, { sinks: ['webhook'], send: r.send, now: NOW, maxPerCheck: 20, log: r.log });
  assert.equal(d.digests.length, 1);
  assert.match(d.digests[0].error ?? '', /^webhook: relay said no$/);
  assert.equal(d.changed.length, 20, 'the 10 held back are unchanged: still owed');
  assert.equal(r.warnings.length, 2, 'the hold-back and the failed digest are logged');
  const still = list.filter((i) => !d.changed.some((c) => c.id === i.id));
  assert.ok(still.every((i) => i.pending[0] === 'opened:webhook'));

  const next = recorder();
  const again = await deliverAll(still, { sinks: ['webhook'], send: next.send, now: '2026-04-02T10:07:00.000Z', maxPerCheck: 20, log: next.log });
  assert.equal(again.delivered.length, 10);
  assert.deepEqual(again.digests, []);
});

test('cap 0: every notice goes into the digest; a resolved notice held with its alert', async () => {
  const r = recorder();
  const d = await deliverAll([incident(1, ['opened:webhook', 'resolved:webhook'])], { sinks: ['webhook'], send: r.send, now: NOW, maxPerCheck: 0, log: r.log });
  assert.deepEqual(r.sent.map((s) => s.message.type), ['digest']);
  const [digest] = r.sent;
  assert.ok(digest.message.type === 'digest');
  assert.deepEqual(digest.message.notices.map((n) => n.type), ['opened', 'resolved']);
  assert.deepEqual(d.changed[0].pending, []);
});

test('a resolved notice waits for its alert: cap 1 sends the alert and holds the resolved notice', async () => {
  const r = recorder();
  await deliverAll([incident(1, ['opened:webhook', 'resolved:webhook'])], { sinks: ['webhook'], send: r.send, now: NOW, maxPerCheck: 1, log: r.log });
  assert.deepEqual(r.sent.map((s) => s.message.type), ['opened', 'digest']);
});
