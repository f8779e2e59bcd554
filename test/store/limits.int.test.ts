import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MailtraceError } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { tempStore } from '../helpers/store.ts';

/** The store's limits against the real embedded engine: a runaway read ends, a huge answer is refused. */
let store: Store;
let cleanup: () => Promise<void>;

before(async () => {
  ({ store, cleanup } = await tempStore());
});

after(async () => {
  await cleanup();
});

const isCode = (code: string) => (e: unknown) => e instanceof MailtraceError && e.code === code;

test('a runaway read: its caller hears MT_ERR_QUERY_TIMEOUT at its deadline, the engine stops it, then the store answers again', { timeout: 60_000 }, async () => {
  const started = performance.now();
  const runaway = store.query('SELECT count() AS n FROM numbers(1e12)', {}, 300);
  const next = store.query<{ ok: number }>('SELECT 1 AS ok', {}, 20_000);
  await assert.rejects(runaway, isCode('MT_ERR_QUERY_TIMEOUT'));
  const heard = performance.now() - started;
  assert.ok(heard < 900, `the caller hears at its 300 ms deadline, not when the engine stops (${Math.round(heard)} ms)`);
  assert.deepEqual(await next, [{ ok: 1 }]);
  const answered = performance.now() - started;
  // the engine's limit is the deadline in whole seconds: until it stopped the runaway, that query
  // kept the engine's one slot and the next one waited
  assert.ok(answered >= 950, `the next read ran after the engine had stopped the first (${Math.round(answered)} ms)`);
});

test('a runaway bulk read (queryFields) ends the same way', { timeout: 60_000 }, async () => {
  await assert.rejects(store.queryFields('SELECT count() FROM numbers(1e12)', {}, 300), isCode('MT_ERR_QUERY_TIMEOUT'));
  assert.deepEqual(await store.queryFields('SELECT 1, 2', {}, 20_000), [['1', '2']]);
});

test('a read past its row limit is MT_ERR_QUERY_TOO_LARGE; the limit belongs to the view, not to the engine session', async () => {
  const capped = store.withReadLimit(10);
  await assert.rejects(capped.query('SELECT number FROM numbers(100)'), isCode('MT_ERR_QUERY_TOO_LARGE'));
  await assert.rejects(capped.queryFields('SELECT number FROM numbers(100)'), isCode('MT_ERR_QUERY_TOO_LARGE'));
  assert.equal((await capped.query('SELECT number FROM numbers(10)')).length, 10, 'up to the limit is fine');
  // the embedded session keeps a SET for later statements: the store must name its own limits
  assert.equal((await store.query('SELECT number FROM numbers(100)')).length, 100);
  assert.equal((await store.queryFields('SELECT number FROM numbers(100)')).length, 100);
  await capped.close();
  assert.deepEqual(await store.query('SELECT 1 AS ok'), [{ ok: 1 }], 'closing a view leaves the store open');
});

test('a write is not cut by the time limit of the read before it', { timeout: 60_000 }, async () => {
  await store.query('SELECT 1', {}, 1_000); // the engine's limit for that read: 1 s
  // ~1.5 s of work in blocks of one row: the engine checks its time limit between blocks
  await store.command('SELECT sleepEachRow(0.25) FROM numbers(6) SETTINGS max_block_size = 1');
});
