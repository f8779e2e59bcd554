import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { runIngest } from '../../ingest/index.ts';
import { buildReport, reportSubject, sendReport } from '../../query/reports/index.ts';
import { MESSAGES_TABLE, SmtpConfig } from '../../schemas/index.ts';
import { followToMaildir } from '../harness/follow.ts';
import { requireComponent } from '../helpers/component.ts';
import { FIXTURES, tempStore } from '../helpers/store.ts';
import { DOMAIN, postfixAvailability, startPostfixTopology, type Topology } from '../harness/postfix.ts';

/**
 * A report by e-mail through real Postfix: the delivery-failures report of the recorded real run
 * (test/fixtures/postfix/real-3hop) is handed to the live topology's edge (STARTTLS required),
 * followed through the three logs by the `queued as` of each hand-off to `status=sent (delivered
 * to maildir)`, and read back from alice's Maildir: subject, HTML part with the inline SVG charts,
 * the CSV and SVG attachments.
 */
const REAL = join(FIXTURES, 'postfix', 'real-3hop');
const ALICE = `alice@${DOMAIN}`;


/** Poll alice's Maildir for the message whose header says it is this report, until a deadline. */
async function waitForMail(topo: Topology, marker: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const raw = topo.maildir(ALICE).find((m) => m.includes(marker));
    if (raw) return raw;
    if (Date.now() > deadline) throw new Error(`no message with ${marker} in ${ALICE}'s Maildir after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a report mailed through edge → hub → mailbox arrives whole in a Maildir', { timeout: 180_000 }, async (t) => {
  if (!requireComponent(t, postfixAvailability())) return;
  const topo = await startPostfixTopology();
  const s = await tempStore();
  t.after(async () => {
    await s.cleanup();
    await topo.stop();
  });
  await runIngest({ inputs: ['edge', 'hub', 'mailbox'].map((h) => join(REAL, `${h}.log`)), store: s.store });
  const [span] = await s.store.query<{ d: string }>(`SELECT toString(toDate(min(firstSeen))) AS d FROM ${s.store.table(MESSAGES_TABLE)} FINAL`);
  const from = `${span.d}T00:00:00.000Z`;
  const report = await buildReport(s.store, 'delivery-failures', { from, to: new Date(Date.parse(from) + 86_400_000).toISOString() }, 'daily');
  assert.ok(report.csv.length >= 2 && report.charts.length >= 2);

  const smtp = SmtpConfig.parse({ host: '127.0.0.1', port: topo.instances.edge.port, from: `mailtrace@${DOMAIN}`, tls: 'require' });
  const started = Date.now();
  const sent = await sendReport(smtp, report, [ALICE]);
  assert.deepEqual(sent.accepted, [ALICE]);
  const queued = /^250 .*queued as (\w+)$/.exec(sent.response);
  assert.ok(queued, `the edge accepted the report: ${sent.response}`);
  const path = await followToMaildir(topo, queued[1], ALICE);
  assert.equal(path.length, 3);
  assert.match(path[2], /status=sent \(delivered to maildir\)/);
  // a header longer than a line is folded on the way: the parsed header is compared below
  const raw = await waitForMail(topo, 'X-Mailtrace-Report: delivery-failures;', 10_000);
  console.log(`report e-mail: ${raw.length} bytes through edge → hub → mailbox into Maildir in ${Date.now() - started} ms`);

  const mail = await simpleParser(raw);
  assert.equal(mail.headers.get('x-mailtrace-report'), `delivery-failures; ${report.period.from}/${report.period.to}`);
  assert.equal(mail.subject, reportSubject(report));
  assert.match(mail.subject ?? '', /^mailtrace report: Delivery failures, \d{4}-\d{2}-\d{2} \(UTC\) \(daily\)$/);
  assert.equal(mail.from?.text, `mailtrace@${DOMAIN}`);
  const html = typeof mail.html === 'string' ? mail.html : '';
  assert.match(html, /<h1>Delivery failures<\/h1>/);
  assert.equal(html.match(/<svg /g)?.length, report.charts.length, 'every chart inline in the HTML part');
  assert.ok(html.includes(report.charts[0].svg.slice(0, 200)));
  assert.match(mail.text ?? '', /recipients +\d+/);
  const attached = mail.attachments.map((a) => [a.filename, a.contentType]);
  assert.deepEqual(attached, [...report.csv.map((c) => [c.name, 'text/csv']), ...report.charts.map((c) => [c.name, 'image/svg+xml'])]);
  for (const c of report.csv) assert.equal(mail.attachments.find((a) => a.filename === c.name)?.content.toString('utf8'), c.text, `${c.name} arrives byte for byte`);
  const reasons = mail.attachments.find((a) => a.filename === 'reasons.csv')?.content.toString('utf8') ?? '';
  assert.match(reasons, /^status,dsn,reason,recipients,last seen,sample trace id\r\n(bounced|deferred|rejected),/);
});
