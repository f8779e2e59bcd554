import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { traceMessage } from '../../../query/index.ts';
import { MailtraceError } from '../../../schemas/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/** Store reads are parsed against the contract, not cast: a damaged row is an error that says so. */
test('a message row whose detail does not match the contract gives MT_ERR_INTERNAL naming it, not a half-read trace', async () => {
  const { store, cleanup } = await tempStore();
  try {
    await runIngest({ inputs: [join(FIXTURES, 'postfix', 'handmade-3hop.log')], store });
    const good = await traceMessage(store, 'm1@example.org');
    assert.equal(good.recipients.length, 2);
    // a newer row for the same message, as a damaged store or another version might hold it
    await store.command(`INSERT INTO ${store.table('messages')} (messageKey, messageId, detail, version, deleted) VALUES ({k:String}, {k:String}, {d:String}, 18446744073709551615, 0)`,
      { k: '<m1@example.org>', d: JSON.stringify({ queues: 5, servers: [], related: [], notes: [], recipients: [] }) });
    await assert.rejects(traceMessage(store, 'm1@example.org'), (e: unknown) => e instanceof MailtraceError && e.code === 'MT_ERR_INTERNAL' && /<m1@example\.org>.*queues/.test(e.message));
  } finally {
    await cleanup();
  }
});
