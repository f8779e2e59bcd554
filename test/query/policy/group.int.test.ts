import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import type { Deliver } from '../../../query/policy/alerts.ts';
import { activeIncidents, writeIncident } from '../../../query/policy/incidents.ts';
import { checkPolicy, listIncidents, renderEmail, type CheckResult, type PolicyLog } from '../../../query/policy/index.ts';
import { AlertMessage, AlertSinks, INCIDENTS_TABLE, policyDdl, ROUTES_LISTED, TlsPolicy } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { tempStore } from '../../helpers/store.ts';

/**
 * One broken cause, many routes: a generated edge log in which 30 outside clients (one message
 * each, ten seconds apart, 10:00:10 to 10:05:00) send in plaintext — the "no plaintext inbound"
 * rule is violated on 30 routes. Per route that is 30 incidents (the cap turns 30 alerts into 20
 * and a digest); grouped by the receiving server it is one incident, one alert, one resolved
 * notice. Checks run at injected times (no sleeps); notices go to a recording sink.
 */
let store: Store;
let dir: string;
let cleanup: () => Promise<void>;

/** Postfix lines of `n` outside clients, each handing edge one message without STARTTLS. */
function outsideClients(first: number, n: number, start: string): string {
  const lines: string[] = [];
  for (let i = first; i < first + n; i++) {
    const ts = (sec: number) => new Date(Date.parse(start) + (i - first + 1) * 10_000 + sec * 1000).toISOString().replace('Z', '+00:00');
    const q = `4B${String(i).padStart(3, '0')}C0DE`;
    const client = `mx${i}.outside${i}.example[198.51.100.${i}]`;
    lines.push(
      `${ts(0)} edge postfix/smtpd[100]: connect from ${client}`,
      `${ts(0)} edge postfix/smtpd[100]: ${q}: client=${client}`,
      `${ts(0)} edge postfix/cleanup[101]: ${q}: message-id=<m${i}@outside${i}.example>`,
      `${ts(0)} edge postfix/qmgr[102]: ${q}: from=<a@outside${i}.example>, size=500, nrcpt=1 (queue active)`,
      `${ts(1)} edge postfix/smtpd[100]: disconnect from ${client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`,
      `${ts(1)} edge postfix/local[103]: ${q}: to=<u${i}@example.test>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)`,
      `${ts(1)} edge postfix/qmgr[102]: ${q}: removed`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function ingest(name: string, text: string): Promise<void> {
  const path = join(dir, name);
  writeFileSync(path, text);
  await runIngest({ inputs: [path], store });
}

before(async () => {
  ({ store, dir, cleanup } = await tempStore());
  await ingest('edge-1.log', outsideClients(1, 30, '2026-04-02T10:00:00Z'));
}, { timeout: 120_000 });
after(async () => cleanup());

/** the last hop of the first log is 10:05:00; every check below is timed from it */
const LAST = Date.parse('2026-04-02T10:05:00Z');
const at = (minutes: number) => new Date(LAST + minutes * 60_000);

function sink() {
  const sent: AlertMessage[] = [];
  const send: Deliver = async (_sink, m) => {
    sent.push(AlertMessage.parse(JSON.parse(JSON.stringify(m))));
    return 'HTTP 200';
  };
  const warnings: Record<string, unknown>[] = [];
  const log: PolicyLog = { warn: (details) => warnings.push(details as Record<string, unknown>) };
  return { sent, send, log, warnings };
}
const config = (rule: Record<string, unknown>, alerts: Record<string, unknown> = {}) => ({
  policy: TlsPolicy.parse({ rules: [{ kind: 'no-plaintext', internal: false, to: ['edge'], ...rule }], windowMinutes: 5, healAfterMinutes: 60 }),
  alerts: AlertSinks.parse({ webhook: { url: 'http://127.0.0.1:9/unused' }, ...alerts }),
});
const types = (sent: readonly AlertMessage[]) => sent.map((m) => m.type);

test('a store made before groupBy keeps working: the columns are added (twice is harmless) and its rows read as one route each', async () => {
  const t = `${store.database}.${INCIDENTS_TABLE}`;
  await store.command(`DROP TABLE IF EXISTS ${t}`);
  // the table as the previous release made it
  await store.command(`CREATE TABLE ${t} (id String, key String, rule LowCardinality(String), kind LowCardinality(String), severity LowCardinality(String),
    \`from\` String, \`to\` String, domain String, state LowCardinality(String), openedAt DateTime64(3, 'UTC'), resolvedAt DateTime64(3, 'UTC'),
    firstSeen DateTime64(3, 'UTC'), lastSeen DateTime64(3, 'UTC'), handoffs UInt64, samples String, pending Array(LowCardinality(String)),
    failures UInt32, lastError String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY (key, openedAt)`);
  await store.command(`INSERT INTO ${t} VALUES ('old:hub>mailbox@2026-04-01T00:00:00.000Z', 'old:hub>mailbox', 'old', 'no-plaintext', 'warning', 'hub', 'mailbox', '',
    'resolved', '2026-04-01 00:00:00', '2026-04-01 02:00:00', '2026-03-31 23:50:00', '2026-03-31 23:59:00', 4, '[]', [], 0, '', 3)`);
  for (const sql of [...policyDdl(store.database), ...policyDdl(store.database)]) await store.command(sql);
  const [old] = await listIncidents(store);
  assert.deepEqual([old.groupBy, old.routeCount, old.routes], ['route', 1, [{ from: 'hub', to: 'mailbox', domain: '', handoffs: 4, firstSeen: '2026-03-31T23:50:00.000Z', lastSeen: '2026-03-31T23:59:00.000Z' }]]);
  // and a row of this release is written next to it
  await writeIncident(store, { ...old, id: 'new/all@x', key: 'new/all', groupBy: 'rule', routeCount: 2, routes: [...old.routes, { ...old.routes[0], from: 'edge' }], version: 1 });
  const both = await listIncidents(store);
  assert.deepEqual(both.map((i) => [i.key, i.routeCount, i.routes.length]).sort(), [['new/all', 2, 2], ['old:hub>mailbox', 1, 1]]);
  assert.deepEqual(await activeIncidents(store), [], 'both resolved, nothing owed');
});

test('per route: 30 clients open 30 incidents; 20 alerts and one digest of the 10 held back; healed: 20 resolved notices and one digest', { timeout: 120_000 }, async () => {
  const s = sink();
  const cfg = config({ name: 'inbound-per-route' });
  const first = await checkPolicy(store, cfg, { now: at(1), windowMinutes: 30, send: s.send, log: s.log });
  assert.equal(first.opened.length, 30, 'one incident per outside client');
  assert.ok(first.opened.every((i) => i.groupBy === 'route' && i.routeCount === 1 && i.handoffs === 1));
  assert.deepEqual(types(s.sent), [...Array(20).fill('opened'), 'digest'], 'at most maxPerCheck (20) alerts, then one digest');
  const digest = s.sent[20];
  assert.ok(digest.type === 'digest');
  assert.deepEqual([digest.heldBack, digest.notices.length], [10, 10]);
  assert.equal(first.heldBack.length, 10);
  assert.deepEqual(first.digests.map((d) => [d.sink, d.heldBack, d.receipt]), [['webhook', 10, 'HTTP 200']]);
  assert.deepEqual(s.warnings.map((w) => w.heldBack), [10], 'the held-back notices are logged');
  const heldIds = new Set(digest.notices.map((n) => n.incident.id));
  const alerted = new Set(s.sent.flatMap((m) => (m.type === 'opened' ? [m.incident.id] : [])));
  assert.equal(new Set([...heldIds, ...alerted]).size, 30, 'every incident is either alerted or in the digest');
  assert.match(renderEmail(digest, ['soc@example.org']).text, /10 were held back/);

  await checkPolicy(store, cfg, { now: at(2), send: s.send, log: s.log });
  assert.equal(s.sent.length, 21, 'nothing more while it goes on');

  const healed = await checkPolicy(store, cfg, { now: at(61), send: s.send, log: s.log });
  assert.equal(healed.resolved.length, 30);
  assert.deepEqual(types(s.sent.slice(21)), [...Array(20).fill('resolved'), 'digest']);
  const open = (await listIncidents(store, { state: 'open' })).filter((i) => i.rule === 'inbound-per-route');
  assert.equal(open.length, 0);
  assert.deepEqual(await activeIncidents(store), [], 'nothing owed: the digests stood for the rest');
});

test('grouped by receiving server: one incident listing the 30 routes (bounded), one alert; a route that joins sends nothing; healed once when none violates', { timeout: 120_000 }, async () => {
  const s = sink();
  const cfg = config({ name: 'inbound', groupBy: 'to', severity: 'critical' });
  const check = (minutes: number, windowMinutes?: number): Promise<CheckResult> => checkPolicy(store, cfg, { now: at(minutes), windowMinutes, send: s.send, log: s.log });

  const first = await check(1, 30);
  assert.equal(first.opened.length, 1, 'one incident for the one cause');
  const [inc] = first.opened;
  assert.equal(inc.key, 'inbound/to:edge');
  assert.deepEqual([inc.groupBy, inc.from, inc.to, inc.routeCount, inc.routes.length, inc.handoffs], ['to', '', 'edge', 30, ROUTES_LISTED, 30]);
  assert.deepEqual([inc.firstSeen, inc.lastSeen], ['2026-04-02T10:00:10.000Z', '2026-04-02T10:05:00.000Z']);
  assert.equal(new Set(inc.samples.map((x) => x.recipient)).size, 5, 'the evidence shows five routes');
  assert.ok(inc.samples.every((x) => x.tls === 'plaintext' && x.tlsEvidence === 'smtpd-counters'));
  assert.deepEqual(types(s.sent), ['opened'], 'exactly one alert');
  assert.deepEqual(s.warnings, []);
  const alert = s.sent[0];
  assert.ok(alert.type === 'opened');
  const mail = renderEmail(alert, ['soc@example.org']);
  assert.equal(mail.subject, '[mailtrace] CRITICAL: inbound violated on * -> edge (30 routes)');
  assert.match(mail.text, /Routes \(most hand-offs first, 20 of 30\):/);
  assert.match(mail.text, /… and 10 more route\(s\)/);
  assert.equal(mail.text.match(/^ {2}mx\d+\.outside\d+\.example -> edge {2}1 hand-off/gm)?.length, 20);

  // a 31st client at 10:15, while the incident is open: listed on it, counted from its first violation, no alert
  await ingest('edge-2.log', outsideClients(31, 1, '2026-04-02T10:14:50Z'));
  const joined = await check(11);
  assert.deepEqual([joined.opened.length, joined.ongoing.length], [0, 1]);
  assert.deepEqual([joined.ongoing[0].id, joined.ongoing[0].routeCount, joined.ongoing[0].handoffs], [inc.id, 31, 31], 'the 5-minute window alone holds one route; the rest come from the incident\'s start');
  assert.equal(s.sent.length, 1);

  // 61 minutes after the first 30 stopped, the 31st still holds the incident open
  const notYet = await check(61);
  assert.deepEqual([notYet.resolved.length, notYet.ongoing.length], [0, 1]);
  assert.equal(s.sent.length, 1);
  const healed = await check(71);
  assert.deepEqual(healed.resolved.map((i) => i.id), [inc.id]);
  assert.deepEqual(types(s.sent), ['opened', 'resolved'], 'one resolved notice');
  const resolved = s.sent[1];
  assert.ok(resolved.type === 'resolved');
  assert.equal(resolved.incident.routeCount, 31);
  assert.match(renderEmail(resolved, ['soc@example.org']).subject, /^\[mailtrace\] resolved: inbound on \* -> edge \(31 routes\)$/);
  await check(72);
  assert.equal(s.sent.length, 2, 'a closed incident stays quiet');
  const [stored] = (await listIncidents(store)).filter((i) => i.rule === 'inbound');
  assert.deepEqual([stored.state, stored.routeCount, stored.routes.length, stored.pending], ['resolved', 31, ROUTES_LISTED, []]);
});
