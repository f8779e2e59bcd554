import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncidentFinding } from '../../../query/policy/group.ts';
import { advance, type StoredIncident } from '../../../query/policy/incidents.ts';

/** The decisions of a check, without a store: the cases the integration test cannot stage cheaply. */
const finding = (lastSeen: string, handoffs: number): IncidentFinding => ({
  key: 'r:hub>mailbox', rule: 'r', kind: 'no-plaintext', severity: 'warning', groupBy: 'route', from: 'hub', to: 'mailbox', domain: '',
  routes: [{ from: 'hub', to: 'mailbox', domain: '', handoffs, firstSeen: '2026-03-01T08:00:00.000Z', lastSeen }], routeCount: 1,
  handoffs, firstSeen: '2026-03-01T08:00:00.000Z', lastSeen, samples: [],
});
const open: StoredIncident = {
  ...finding('2026-03-01T08:10:00.000Z', 3), id: 'r:hub>mailbox@2026-03-01T08:11:00.000Z', state: 'open', openedAt: '2026-03-01T08:11:00.000Z', resolvedAt: '',
  pending: [], failures: 0, lastError: '', version: 4,
};
const base = { now: '2026-03-01T09:30:00.000Z', windowStart: '2026-03-01T09:15:00.000Z', healAfterMinutes: 60, sinks: ['webhook', 'email'] as const };

test('a late log that adds to an incident in the check that heals it: one change, one version step, both notices owed', () => {
  const a = advance({ ...base, stored: [open], violations: [finding('2026-03-01T08:20:00.000Z', 5)] });
  assert.equal(a.changed.length, 1);
  const [c] = a.changed;
  assert.deepEqual([c.state, c.handoffs, c.lastSeen, c.version, c.resolvedAt], ['resolved', 5, '2026-03-01T08:20:00.000Z', 5, base.now]);
  assert.deepEqual(c.pending, ['resolved:webhook', 'resolved:email']);
  assert.deepEqual(a.resolved.map((r) => r.id), [open.id]);
});

test('an alert still owed stays owed ahead of the resolved notice', () => {
  const a = advance({ ...base, stored: [{ ...open, pending: ['opened:webhook'] }], violations: [] });
  assert.deepEqual(a.changed[0].pending, ['opened:webhook', 'resolved:webhook', 'resolved:email']);
});

test('no violation in the window but not healed yet: open, unchanged, nothing owed', () => {
  const a = advance({ ...base, now: '2026-03-01T09:00:00.000Z', windowStart: '2026-03-01T08:45:00.000Z', stored: [open], violations: [finding(open.lastSeen, open.handoffs)] });
  assert.deepEqual([a.changed, a.opened, a.resolved], [[], [], []]);
  assert.deepEqual(a.ongoing.map((i) => i.version), [4]);
});

test('a finding seen only through an open incident\'s history never opens a new one; without sinks nothing is owed', () => {
  const old = finding('2026-03-01T08:10:00.000Z', 3);
  assert.deepEqual(advance({ ...base, stored: [], violations: [old] }).opened, [], 'older than the window');
  const a = advance({ ...base, sinks: [], stored: [], violations: [finding('2026-03-01T09:20:00.000Z', 1)] });
  assert.equal(a.opened.length, 1);
  assert.deepEqual(a.opened[0].pending, []);
  assert.equal(a.opened[0].id, `r:hub>mailbox@${base.now}`);
});
