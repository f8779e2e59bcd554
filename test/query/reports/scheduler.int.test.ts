import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { evaluatePolicy } from '../../../query/policy/index.ts';
import { startScheduler, type RunOutcome, type SchedulerLog } from '../../../query/reports/index.ts';
import { MESSAGES_TABLE, ReportsConfig, SmtpConfig, TlsPolicy } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/**
 * The scheduler with a real store and croner's real jobs, fired with croner's own trigger() and
 * an injected clock: no waiting for a cron time, no sleeps.
 */
let store: Store;
let cleanup: () => Promise<void>;
let work: string;
/** the day after the fixture's messages: a `day` schedule firing then reports their day */
let fireTime: Date;
let day: string;

before(async () => {
  const t = await tempStore();
  store = t.store;
  cleanup = t.cleanup;
  work = mkdtempSync(join(tmpdir(), 'mailtrace-sched-'));
  await runIngest({ inputs: [join(FIXTURES, 'postfix', 'handmade-3hop.log')], store });
  const [r] = await store.query<{ d: string }>(`SELECT toString(toDate(min(firstSeen))) AS d FROM ${store.table(MESSAGES_TABLE)} FINAL`);
  day = r.d;
  fireTime = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000 + 7 * 3_600_000);
});

after(async () => {
  await cleanup();
  rmSync(work, { recursive: true, force: true });
});

function recorder(): { log: SchedulerLog; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) } };
}

const config = (dir: string, extra: Record<string, unknown> = {}) => ReportsConfig.parse({
  dir, schedules: [{ name: 'daily', kind: 'volume-summary', cron: '0 7 * * *', range: 'day', ...extra }],
});

test('a firing runs the schedule for the period before it and writes the report; croner knows the next run', async () => {
  const dir = join(work, 'ok');
  const outcomes: RunOutcome[] = [];
  const { log, lines } = recorder();
  const s = startScheduler({ store, config: config(dir, { timezone: 'Europe/Berlin' }), now: () => fireTime, onRun: (o) => outcomes.push(o), log });
  try {
    const job = s.jobs.get('daily');
    assert.ok(job);
    assert.equal(job.nextRun(new Date('2026-11-30T12:00:00Z'))?.toISOString(), '2026-12-01T06:00:00.000Z', '07:00 in Berlin is 06:00 UTC in winter');
    await job.trigger();
    assert.equal(outcomes.length, 1);
    const o = outcomes[0];
    assert.equal(o.status, 'done', JSON.stringify(o));
    if (o.status !== 'done') return;
    // Berlin's day: from 23:00 UTC the evening before
    assert.equal(o.run.from, new Date(Date.parse(`${day}T00:00:00Z`) - 3_600_000).toISOString());
    assert.equal(o.id, `daily-volume-summary-${o.run.from.slice(0, 19).replace(/[-:]/g, '')}Z_${o.run.to.slice(0, 19).replace(/[-:]/g, '')}Z`);
    assert.equal(o.mailed, undefined);
    const json = JSON.parse(readFileSync(join(o.path, 'report.json'), 'utf8')) as { data: { volume: { messages: number }[] } };
    assert.equal(json.data.volume.reduce((a, b) => a + b.messages, 0), 1, 'the fixture has one message');
    assert.match(lines.join('\n'), /info report daily-volume-summary-.* written to/);
  } finally {
    await s.stop();
  }
});

test('the policy serve passes in reaches a TLS compliance report: its rules and their findings for the run\'s period', async () => {
  const policy = TlsPolicy.parse({ rules: [{ name: 'internal-plaintext', kind: 'no-plaintext', internal: true }] });
  const outcomes: RunOutcome[] = [];
  const s = startScheduler({ store, config: config(join(work, 'policy'), { kind: 'tls-compliance' }), policy, now: () => fireTime, onRun: (o) => outcomes.push(o), log: recorder().log });
  try {
    await s.jobs.get('daily')?.trigger();
    const o = outcomes[0];
    assert.ok(o?.status === 'done', JSON.stringify(o));
    const json = JSON.parse(readFileSync(join(o.path, 'report.json'), 'utf8')) as { data: { policy: { rules: { name: string }[]; findings: unknown[] } } };
    const findings = await evaluatePolicy(store, policy, { from: o.run.from, to: o.run.to });
    assert.ok(findings.some((f) => f.verdict === 'violation' && f.from === 'hub' && f.to === 'mailbox'), 'the fixture\'s hub → mailbox hand-off is plaintext');
    assert.deepEqual(json.data.policy.rules.map((r) => r.name), ['internal-plaintext']);
    assert.deepEqual(json.data.policy.findings, findings);
    assert.ok(existsSync(join(o.path, 'policy-violations.csv')));
  } finally {
    await s.stop();
  }
});

test('one run at a time per schedule: a firing during a run is skipped and logged', async () => {
  const outcomes: RunOutcome[] = [];
  const { log, lines } = recorder();
  const s = startScheduler({ store, config: config(join(work, 'overlap')), now: () => fireTime, onRun: (o) => outcomes.push(o), log });
  try {
    const job = s.jobs.get('daily');
    assert.ok(job);
    // the second firing comes while the first awaits the store
    await Promise.all([job.trigger(), job.trigger()]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['done', 'skipped']);
    assert.match(lines.join('\n'), /warn report schedule "daily" fired while its last run is still going: skipped/);
    // and once it is over, the schedule runs again
    assert.equal((await s.runNow('daily')).status, 'done');
  } finally {
    await s.stop();
  }
});

test('a failing run is caught, logged and reported, never thrown; the next firing runs again', async () => {
  const blocked = join(work, 'a-file');
  writeFileSync(blocked, 'not a directory');
  const outcomes: RunOutcome[] = [];
  const { log, lines } = recorder();
  const s = startScheduler({ store, config: config(blocked), now: () => fireTime, onRun: (o) => { outcomes.push(o); throw new Error('a broken callback'); }, log });
  try {
    await s.jobs.get('daily')?.trigger();
    await s.jobs.get('daily')?.trigger();
    assert.deepEqual(outcomes.map((o) => o.status), ['failed', 'failed']);
    const o = outcomes[0];
    assert.ok(o.status === 'failed' && /EEXIST|ENOTDIR/.test(o.error.message) && o.id === undefined, JSON.stringify(o));
    assert.match(lines.join('\n'), /error report schedule "daily" failed: /);
    assert.match(lines.join('\n'), /error report schedule: the onRun callback failed: a broken callback/);
  } finally {
    await s.stop();
  }
});

test('a relay that cannot be reached: the report is written, the mail failure is reported with its id', async () => {
  const port = await closedPort();
  const smtp = SmtpConfig.parse({ host: '127.0.0.1', port, from: 'mailtrace@example.test' });
  const outcomes: RunOutcome[] = [];
  const s = startScheduler({ store, config: config(join(work, 'mail'), { to: ['ops@example.test'] }), smtp, now: () => fireTime, onRun: (o) => outcomes.push(o), log: recorder().log });
  try {
    await s.jobs.get('daily')?.trigger();
    const o = outcomes[0];
    assert.ok(o.status === 'failed', JSON.stringify(o));
    assert.equal((o.error as Error & { code?: string }).code, 'MT_ERR_NOTIFY');
    assert.ok(o.id && existsSync(join(work, 'mail', o.id, 'report.html')), 'written before the mail was tried');
  } finally {
    await s.stop();
  }
});

test('recipients without an smtp section fail at start; stop() stops every job and later firings are skipped', async () => {
  assert.throws(() => startScheduler({ store, config: config(work, { to: ['ops@example.test'] }) }), (e: Error & { code?: string }) => e.code === 'MT_ERR_BAD_CONFIG' && /"daily" mails reports, but the config file has no smtp section/.test(e.message));
  const s = startScheduler({ store, config: config(join(work, 'stop')), now: () => fireTime, log: recorder().log });
  const running = s.runNow('daily');
  await s.stop();
  // stop() waited for the run in flight
  assert.equal((await Promise.race([running, Promise.resolve(undefined)]))?.status, 'done');
  assert.ok([...s.jobs.values()].every((j) => j.isStopped()));
  assert.equal((await s.runNow('daily')).status, 'skipped');
  await s.stop();
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
