import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathOrder } from '../../../query/sql/messages.ts';

const T = '2026-03-01 08:00:00.000';

test('hosts follow the queued-as links even when every line has the same second', () => {
  // first appearance says mailbox, hub, edge (same-second ties sorted by the engine)
  const seen: [string, string][] = [[T, 'mailbox'], [T, 'hub'], [T, 'edge']];
  const links: [string, string][] = [['edge', 'Q2'], ['hub', 'Q3']];
  const queues: [string, string][] = [['edge', 'Q1'], ['hub', 'Q2'], ['mailbox', 'Q3']];
  assert.deepEqual(pathOrder(seen, links, queues), ['edge', 'hub', 'mailbox']);
});

test('without links, first appearance decides; a link cycle does not hang', () => {
  assert.deepEqual(pathOrder([[T, 'b'], [T, 'a'], [T, 'b']], [], []), ['b', 'a']);
  const order = pathOrder([[T, 'a'], [T, 'b']], [['a', 'QB'], ['b', 'QA']], [['a', 'QA'], ['b', 'QB']]);
  assert.deepEqual([...order].sort(), ['a', 'b']);
});
