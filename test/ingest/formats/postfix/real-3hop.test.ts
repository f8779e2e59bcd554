import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PostfixParser, runIngest } from '../../../../ingest/index.ts';
import { traceMessage } from '../../../../query/index.ts';
import type { MailEvent } from '../../../../schemas/index.ts';
import { loadRun } from '../../../harness/run-record.ts';
import { checkRealRun } from '../../../harness/topology-expectations.ts';
import { FIXTURES, tempStore } from '../../../helpers/store.ts';

/**
 * Logs written by three real Postfix 3.7 instances (test/fixtures/postfix/real-3hop/README.md),
 * with the mail they delivered: the same checks as the end-to-end test, where Postfix is absent.
 */
const DIR = join(FIXTURES, 'postfix', 'real-3hop');
const record = loadRun(DIR);
const HOSTS = ['edge', 'hub', 'mailbox'] as const;

test('every line of the real logs is modeled, or one of the few shapes a trace does not need', () => {
  const parser = new PostfixParser({ referenceMs: Date.now() });
  const unmodeled: string[] = [];
  const rejected: string[] = [];
  const events: MailEvent[] = [];
  const lines = HOSTS.flatMap((h) => readFileSync(record.logs[h], 'utf8').trimEnd().split('\n').map((line) => ({ h, line })));
  lines.forEach(({ h, line }, i) => {
    parser.parseLine(line, { file: h, offset: i, lineNumber: i + 1 }, {
      event: (e) => events.push(e),
      reject: (reason) => rejected.push(`${reason}: ${line}`),
      skipped: () => unmodeled.push(line),
    });
  });
  parser.flush({ event: (e) => events.push(e), reject: () => {}, skipped: () => {} });
  assert.deepEqual(rejected, []);
  // start/stop notices of the master and postfix-script, and smtp's own connect failure (the
  // deferral line that follows carries the same reason with the queue id)
  for (const line of unmodeled) assert.match(line, /\/postfix-script\[\d+\]: (starting|stopping) the Postfix mail system$|\/master\[\d+\]: daemon started -- version |\/smtp\[\d+\]: connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused$/, line);
  // the host of every event is the log's host name, the relay transports' tags keep `smtp` as program
  for (const e of events) assert.ok(HOSTS.includes(e.host as (typeof HOSTS)[number]), e.host);
  // every refusal line (NOQUEUE or with a queue id) is one reject event, whenever it is emitted
  const refusals = lines.filter(({ line }) => /\/smtpd\[\d+\]: \w+: reject: RCPT from /.test(line));
  assert.equal(events.filter((e) => e.kind === 'reject').length, refusals.length);
  // one receipt per `client=` line (emitted when the session closes, with its TLS evidence)
  assert.equal(events.filter((e) => e.kind === 'receive').length, lines.filter(({ line }) => /: [0-9A-F]+: client=/.test(line)).length);
  const relayed = events.filter((e) => e.kind === 'delivery' && e.relay === '127.0.0.1');
  assert.ok(relayed.length > 0 && relayed.every((e) => e.program === 'smtp' && /^postfix-(edge|hub)\/relay-(tls|plain)$/.test(e.instance)));
});

test('real logs of edge → hub → mailbox give the paths the topology makes', { timeout: 60_000 }, async (t) => {
  const { store, cleanup } = await tempStore();
  t.after(cleanup);
  const s = await runIngest({ inputs: HOSTS.map((h) => record.logs[h]), store });
  assert.equal(s.files, 3);
  assert.equal(s.rejectedTotal, 0);
  await checkRealRun(t, record.evidence, (id) => traceMessage(store, id));
});
