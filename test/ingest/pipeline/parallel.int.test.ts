import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { runIngest, type IngestSummary } from '../../../ingest/index.ts';
import { HOP_COLUMNS } from '../../../schemas/index.ts';
import { tempStore } from '../../helpers/store.ts';

/**
 * Postfix parsed by worker threads (ingest/pipeline/parallel.ts) must store exactly what one thread
 * stores: the same events, hops and rejected lines, and the same summary. The log is the bench
 * generator's multi-host log (three hosts, so the workers split hosts unevenly on purpose) with the
 * line-level faults appended: not UTF-8, NUL bytes, over-long, time running back, no envelope.
 */
test('two parse workers store what one thread stores, bad lines included', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-parallel-'));
  try {
    const log = join(dir, 'maillog');
    await writePostfixLog(log, { messages: 1200, seed: 11 });
    appendFileSync(log, Buffer.concat([
      Buffer.from('Mar  1 09:59:00 edge postfix/anvil[4242]: statistics: max connection rate 1/60s for (smtp:bad', 'latin1'), Buffer.from([0xff, 0xfe, 0x0a]),
      Buffer.from('Mar  1 09:59:01 hub postfix/qmgr[77]: ABCDEF: removed\u0000 with a NUL\n'),
      Buffer.from(`Mar  1 09:59:02 mailbox postfix/lmtp[88]: ${'x'.repeat(70 * 1024)}\n`),
      Buffer.from('Mar  1 06:00:00 hub postfix/qmgr[77]: 0123456789: removed\n'),
      Buffer.from('this is not a syslog line at all\n'),
    ]));
    const runs: { summary: Omit<IngestSummary, 'seconds' | 'stitched'> & { hops: number }; events: string[][]; hops: string[][]; rejected: string[][] }[] = [];
    for (const workers of [1, 2]) {
      const { store, cleanup } = await tempStore();
      try {
        const { seconds: _s, stitched, ...summary } = await runIngest({ inputs: [log], store, workers });
        runs.push({
          summary: { ...summary, hops: stitched.hops },
          events: await store.queryFields(`SELECT * FROM ${store.table('events')} FINAL ORDER BY id`),
          hops: await store.queryFields(`SELECT ${HOP_COLUMNS.filter((c) => c !== 'version').map((c) => `\`${c}\``).join(', ')} FROM ${store.table('hops')} FINAL WHERE deleted = 0 ORDER BY messageKey, recipient, seq`),
          rejected: await store.queryFields(`SELECT reason, detail, sourceFile, sourceOffset, lineNumber, excerpt FROM ${store.table('rejected')} ORDER BY sourceOffset, reason`),
        });
      } finally {
        await cleanup();
      }
    }
    const [one, two] = runs;
    assert.ok(one.events.length > 10_000, `a real workload (${one.events.length} events)`);
    for (const reason of ['invalid-utf8', 'binary', 'line-too-long', 'out-of-order', 'unknown-format'] as const) {
      assert.ok((one.summary.rejected[reason] ?? 0) >= 1, `the single-thread run kept a ${reason} line aside (${JSON.stringify(one.summary.rejected)})`);
    }
    assert.deepEqual(two.summary, one.summary);
    assert.equal(two.events.length, one.events.length);
    assert.deepEqual(two.events, one.events);
    assert.deepEqual(two.hops, one.hops);
    assert.deepEqual(two.rejected, one.rejected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
