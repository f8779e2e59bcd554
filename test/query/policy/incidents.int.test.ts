import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { runIngest } from '../../../ingest/index.ts';
import { alertDelivery, checkPolicy, evaluatePolicy, listIncidents, type CheckResult } from '../../../query/policy/index.ts';
import { AlertNotice, AlertSinks, HOPS_TABLE, MailtraceError, TlsPolicy } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { tempStore } from '../../helpers/store.ts';

/**
 * Incidents across successive checks, with injected times (no sleeps) on generated logs of three
 * hosts whose hub → mailbox hand-offs are partly plaintext; alerts go to a real HTTP server on
 * loopback that records every request and answers what the test tells it to.
 */
let store: Store;
let dir: string;
let cleanup: () => Promise<void>;
let server: Server;
let url: string;
const requests: { headers: IncomingHttpHeaders; body: AlertNotice }[] = [];
/** statuses to answer, in order; 200 once the list is empty */
const answers: number[] = [];

before(async () => {
  const t = await tempStore();
  ({ store, dir, cleanup } = t);
  const log = join(dir, 'a.log');
  await writePostfixLog(log, { messages: 300, seed: 11, timestampStyle: 'iso', start: new Date('2026-03-01T08:00:00Z') });
  await runIngest({ inputs: [log], store });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      requests.push({ headers: req.headers, body: AlertNotice.parse(JSON.parse(body)) });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'receiver down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=secret`;
}, { timeout: 120_000 });

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await cleanup();
});

const config = (rule: string) => ({
  policy: TlsPolicy.parse({ rules: [{ name: rule, kind: 'no-plaintext', internal: true, severity: 'critical' }], windowMinutes: 30, healAfterMinutes: 60 }),
  alerts: AlertSinks.parse({ webhook: { url, headers: { Authorization: 'Bearer hook-token' } } }),
});
const at = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000);
const since = (n: number) => requests.slice(n);

/** the last plaintext hub → mailbox hand-off of a range, and how many there were */
async function lastViolation(from: string, to: string): Promise<{ last: string; handoffs: number }> {
  const [f] = await evaluatePolicy(store, config('probe').policy, { from, to });
  assert.ok(f && f.key === 'probe:hub>mailbox', 'the generated log has plaintext hub → mailbox hand-offs');
  return { last: f.lastSeen, handoffs: f.handoffs };
}

test('violation → one alert; still violating → none; healed → one resolved notice; violating again → a new incident, one alert', { timeout: 120_000 }, async () => {
  const cfg = config('internal-plaintext');
  const a = await lastViolation('2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z');
  const [direct] = await store.query<{ n: string }>(`SELECT countIf(firstOfHop = 1) AS n FROM ${store.table(HOPS_TABLE)} FINAL WHERE provenance != 'header' AND tls = 'plaintext' AND \`from\` = 'hub' AND \`to\` = 'mailbox'`);
  assert.equal(a.handoffs, Number(direct?.n));
  const check = (now: Date): Promise<CheckResult> => checkPolicy(store, cfg, { now });
  const n0 = requests.length;

  const first = await check(at(a.last, 1));
  assert.equal(first.opened.length, 1);
  const inc = first.opened[0];
  assert.equal(inc.key, 'internal-plaintext:hub>mailbox');
  assert.equal(inc.id, `internal-plaintext:hub>mailbox@${at(a.last, 1).toISOString()}`);
  assert.equal(inc.handoffs, a.handoffs);
  assert.equal(since(n0).length, 1, 'exactly one alert');
  const [alert] = since(n0);
  assert.equal(alert.body.type, 'opened');
  assert.equal(alert.body.incident.id, inc.id);
  assert.equal(alert.headers['x-mailtrace-incident'], inc.id);
  assert.equal(alert.headers.authorization, 'Bearer hook-token', 'configured headers are sent');
  assert.equal(alert.headers['content-type'], 'application/json');
  assert.equal(alert.body.incident.samples.length, 5);
  assert.ok(alert.body.incident.samples.every((s) => s.tls === 'plaintext' && s.tlsEvidence === 'smtpd-counters'));

  // a window that holds only the last few hand-offs: the open incident still counts from its first violation
  const narrow = at(a.last, 1.05);
  const tail = await lastViolation(at(a.last, -0.05).toISOString(), narrow.toISOString());
  assert.ok(tail.handoffs < a.handoffs, `the narrow window alone sees ${tail.handoffs} of ${a.handoffs}`);
  const resumed = await checkPolicy(store, cfg, { now: narrow, windowMinutes: 1.1 });
  assert.deepEqual(resumed.ongoing.map((i) => [i.id, i.handoffs]), [[inc.id, a.handoffs]]);
  for (const minutes of [20, 45]) {
    // 20: still inside the window; 45: outside it, but not yet healAfterMinutes since the last violation
    const r = await check(at(a.last, minutes));
    assert.deepEqual([r.opened.length, r.resolved.length, r.ongoing.length], [0, 0, 1], `+${minutes} min`);
    assert.equal(r.ongoing[0].id, inc.id);
    assert.equal(r.ongoing[0].handoffs, a.handoffs, 'counted from the first violation, not per window');
  }
  assert.equal(since(n0).length, 1, 'nothing more while it goes on');

  const healed = await check(at(a.last, 61));
  assert.equal(healed.resolved.length, 1);
  assert.equal(since(n0).length, 2, 'exactly one resolved notice');
  assert.equal(since(n0)[1].body.type, 'resolved');
  assert.equal(since(n0)[1].body.incident.id, inc.id, 'the notice names the incident it closes');
  assert.equal(since(n0)[1].body.incident.resolvedAt, at(a.last, 61).toISOString());
  await check(at(a.last, 62));
  assert.equal(since(n0).length, 2, 'a closed incident stays quiet');

  // the same route violates again, later: a second batch of log
  const later = join(dir, 'b.log');
  await writePostfixLog(later, { messages: 300, seed: 12, timestampStyle: 'iso', start: at(a.last, 180) });
  await runIngest({ inputs: [later], store });
  const b = await lastViolation(at(a.last, 120).toISOString(), '2026-03-02T00:00:00Z');
  const again = await check(at(b.last, 1));
  assert.equal(again.opened.length, 1);
  assert.notEqual(again.opened[0].id, inc.id, 'a new incident');
  assert.equal(again.opened[0].key, inc.key, 'for the same key');
  assert.equal(again.opened[0].handoffs, b.handoffs, 'counting only the new episode');
  assert.equal(since(n0).length, 3);
  assert.equal(since(n0)[2].body.type, 'opened');
  await check(at(b.last, 2));
  assert.equal(since(n0).length, 3);
  await check(at(b.last, 61));
  assert.deepEqual(since(n0).map((r) => r.body.type), ['opened', 'resolved', 'opened', 'resolved']);

  const history = await listIncidents(store);
  assert.deepEqual(history.filter((i) => i.key === inc.key).map((i) => [i.state, i.pending.length]), [['resolved', 0], ['resolved', 0]]);
});

test('a failing webhook (500) is retried at the next check, then delivered once: no duplicate, nothing lost', { timeout: 60_000 }, async () => {
  const cfg = config('retry-plaintext');
  const a = await lastViolation('2026-03-01T00:00:00Z', '2026-03-01T10:00:00Z');
  const n0 = requests.length;
  answers.push(500);
  const first = await checkPolicy(store, cfg, { now: at(a.last, 1) });
  assert.equal(first.opened.length, 1);
  assert.equal(first.failed.length, 1);
  assert.match(first.failed[0].error, /^webhook: webhook http:\/\/127\.0\.0\.1:\d+\/hook answered 500: receiver down$/, 'the error names the sink, never the URL\'s query (a token)');
  let [stored] = (await listIncidents(store, { state: 'open' })).filter((i) => i.rule === 'retry-plaintext');
  assert.deepEqual(stored.pending, ['opened:webhook'], 'the alert is still owed');
  assert.equal(stored.failures, 1);

  const second = await checkPolicy(store, cfg, { now: at(a.last, 2) });
  assert.deepEqual(second.delivered, [{ id: first.opened[0].id, notice: 'opened:webhook', receipt: 'HTTP 200' }]);
  await checkPolicy(store, cfg, { now: at(a.last, 3) });
  const mine = since(n0);
  assert.equal(mine.length, 2, 'one failed attempt, one delivery');
  assert.deepEqual(mine.map((r) => [r.body.type, r.body.incident.id]), [['opened', first.opened[0].id], ['opened', first.opened[0].id]]);
  [stored] = (await listIncidents(store, { state: 'open' })).filter((i) => i.rule === 'retry-plaintext');
  assert.deepEqual([stored.pending, stored.failures, stored.lastError], [[], 1, '']);
});

test('an e-mail sink without the smtp section is a config error before anything is evaluated', async () => {
  assert.throws(() => alertDelivery({ alerts: AlertSinks.parse({ email: { to: ['soc@example.org'] } }) }),
    (e: unknown) => e instanceof MailtraceError && e.code === 'MT_ERR_BAD_CONFIG' && /alerts\.email needs the smtp section/.test(e.message));
});
