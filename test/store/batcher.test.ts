import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { mock, test } from 'node:test';
import { promisify } from 'node:util';
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

/** Let promise callbacks run (setImmediate is not faked). */
const settle = () => new Promise((r) => setImmediate(r));

test('a partial batch is flushed maxDelayMs after its first item, not after the last', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const batches: number[][] = [];
  const b = new Batcher<number>({ maxItems: 10, maxDelayMs: 1_000, flush: async (items) => { batches.push(items); } });
  b.add(1);
  mock.timers.tick(600);
  b.add(2); // does not push the deadline back
  mock.timers.tick(399);
  await settle();
  assert.deepEqual(batches, [], 'not before maxDelayMs');
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(batches, [[1, 2]]);
  b.add(3); // a new first item: a new deadline from now
  mock.timers.tick(999);
  await settle();
  assert.deepEqual(batches, [[1, 2]]);
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(batches, [[1, 2], [3]]);
  assert.equal(b.flushedItems, 3);
  mock.timers.tick(10_000);
  await settle();
  assert.equal(batches.length, 2, 'an empty buffer arms no timer');
  await b.close();
});

test('a full batch or close() flushes at once and disarms the timer: the next item waits its own delay', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const batches: number[][] = [];
  const b = new Batcher<number>({ maxItems: 2, maxDelayMs: 1_000, flush: async (items) => { batches.push(items); } });
  b.add(1); // arms the timer
  await b.add(2); // full: flushed now
  assert.deepEqual(batches, [[1, 2]]);
  mock.timers.tick(500);
  b.add(3);
  mock.timers.tick(500); // where item 1's timer would have fired
  await settle();
  assert.deepEqual(batches, [[1, 2]], 'item 3 is not flushed by the timer item 1 armed');
  mock.timers.tick(500);
  await settle();
  assert.deepEqual(batches, [[1, 2], [3]]);
  b.add(4);
  await b.close();
  assert.deepEqual(batches, [[1, 2], [3], [4]]);
  mock.timers.tick(1_000);
  await settle();
  assert.deepEqual(batches, [[1, 2], [3], [4]], 'nothing flushed twice after close()');
});

test('a failed timed flush is reported to the next add and to close()', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const b = new Batcher<number>({ maxItems: 10, maxDelayMs: 1_000, flush: async () => { throw new Error('disk full'); } });
  b.add(1);
  mock.timers.tick(1_000);
  await settle();
  assert.throws(() => b.add(2), /disk full/);
  await assert.rejects(b.close(), /disk full/);
});

test('a buffered item does not keep the process alive: its timer is unref\'d', async () => {
  // a real process, since only a real event loop can say whether a timer holds it: with a ref'd
  // timer this one would live for an hour; the deadline below only bounds a broken run
  const batcher = resolve(import.meta.dirname, '../../store/batcher.ts');
  const script = `const { Batcher } = await import(${JSON.stringify(batcher)});
    new Batcher({ maxItems: 10, maxDelayMs: 3_600_000, flush: async () => {} }).add(1);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
  assert.equal(stdout, '');
});
