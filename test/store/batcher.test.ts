import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from '../../store/batcher.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

test('a full batch flushes at once; the producer waits only for the flush before it', async () => {
  const gates = [deferred(), deferred(), deferred()];
  const batches: number[][] = [];
  const b = new Batcher<number>({ maxItems: 2, maxDelayMs: 60_000, flush: async (items) => { batches.push(items); await gates[batches.length - 1].promise; } });
  assert.equal(b.add(1), undefined);
  const wait1 = b.add(2); // batch 1 starts; nothing before it
  assert.ok(wait1);
  await wait1;
  assert.deepEqual(batches, [[1, 2]]);
  b.add(3);
  const wait2 = b.add(4); // batch 2 queued behind batch 1: the producer waits for batch 1
  let done2 = false;
  void wait2!.then(() => { done2 = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(done2, false, 'batch 1 is still being written');
  gates[0].resolve();
  await wait2;
  assert.deepEqual(batches, [[1, 2], [3, 4]]);
  b.add(5);
  gates[1].resolve();
  gates[2].resolve();
  await b.close();
  assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
  assert.equal(b.flushedItems, 5);
  assert.throws(() => b.add(6), /closed/);
});

test('a failed flush is reported to the producer and to close()', async () => {
  const b = new Batcher<number>({ maxItems: 1, maxDelayMs: 60_000, flush: async () => { throw new Error('disk full'); } });
  const p = b.add(1);
  await p; // the previous (empty) flush
  await assert.rejects(b.close(), /disk full/);
});
