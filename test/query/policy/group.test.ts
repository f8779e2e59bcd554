import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupFindings } from '../../../query/policy/group.ts';
import { incidentKey, ROUTES_LISTED, type IncidentScope, type PolicyFinding } from '../../../schemas/index.ts';

/** Findings per route gathered per incident key, by the rule's groupBy (no store: the decisions only). */
const at = (s: number) => new Date(Date.parse('2026-04-02T10:00:00Z') + s * 1000).toISOString();
const finding = (rule: string, n: number, domain = ''): PolicyFinding => ({
  key: incidentKey(rule, `mx${n}.outside.example`, 'edge', domain), rule, kind: 'no-plaintext', severity: 'warning', verdict: 'violation',
  from: `mx${n}.outside.example`, to: 'edge', domain, handoffs: n, firstSeen: at(n), lastSeen: at(n + 100),
  samples: [0, 1].map((k) => ({ messageId: `<m${n}.${k}@x>`, traceId: `<m${n}.${k}@x>`, recipient: `u${n}@example.test`, start: at(n + 100 - k), tls: 'plaintext', tlsVersion: '', tlsTrust: 'none', tlsEvidence: 'smtpd-counters' })),
});
const thirty = (rule: string) => Array.from({ length: 30 }, (_, i) => finding(rule, i + 1));
const rules = (groupBy: IncidentScope) => [{ name: 'r', groupBy }];

test('route: one incident finding per route, keyed as before', () => {
  const g = groupFindings(thirty('r'), rules('route'));
  assert.equal(g.length, 30);
  assert.deepEqual(g.map((f) => f.key), thirty('r').map((f) => f.key));
  assert.deepEqual([g[0].routeCount, g[0].routes.length, g[0].from, g[0].to, g[0].samples.length], [1, 1, 'mx1.outside.example', 'edge', 2]);
});

test('to: the 30 routes into edge are one incident, listing the 20 with most hand-offs and counting all', () => {
  const [g, ...rest] = groupFindings(thirty('r'), rules('to'));
  assert.equal(rest.length, 0);
  assert.equal(g.key, 'r/to:edge');
  assert.deepEqual([g.groupBy, g.from, g.to, g.domain], ['to', '', 'edge', '']);
  assert.equal(g.routeCount, 30);
  assert.equal(g.routes.length, ROUTES_LISTED);
  assert.deepEqual(g.routes.slice(0, 2).map((r) => [r.from, r.handoffs]), [['mx30.outside.example', 30], ['mx29.outside.example', 29]]);
  assert.equal(g.handoffs, (30 * 31) / 2);
  assert.deepEqual([g.firstSeen, g.lastSeen], [at(1), at(130)]);
  // the evidence shows several routes, newest first
  assert.deepEqual(g.samples.map((s) => s.messageId), ['<m30.0@x>', '<m29.0@x>', '<m28.0@x>', '<m27.0@x>', '<m26.0@x>']);
});

test('rule, from and domain scopes; two rules never share an incident', () => {
  assert.deepEqual(groupFindings(thirty('r'), rules('rule')).map((g) => [g.key, g.routeCount]), [['r/all', 30]]);
  assert.deepEqual(groupFindings(thirty('r'), rules('from')).length, 30);
  assert.equal(groupFindings(thirty('r'), rules('from'))[0].key, 'r/from:mx1.outside.example');
  const byDomain = groupFindings([finding('r', 1, 'a.example'), finding('r', 2, 'b.example'), finding('r', 3, 'a.example')], rules('domain'));
  assert.deepEqual(byDomain.map((g) => [g.key, g.routeCount, g.domain, g.from]), [['r/domain:a.example', 2, 'a.example', ''], ['r/domain:b.example', 1, 'b.example', '']]);
  const two = groupFindings([...thirty('r'), ...thirty('s')], [{ name: 'r', groupBy: 'rule' }, { name: 's', groupBy: 'to' }]);
  assert.deepEqual(two.map((g) => g.key), ['r/all', 's/to:edge']);
});
