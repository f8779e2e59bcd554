import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { MailtraceError } from '../../schemas/index.ts';
import { Limiter } from '../../store/limiter.ts';

/** Work that runs until the test ends it, counting how many pieces run at once. */
function jobs() {
  let active = 0;
  let peak = 0;
  const started: string[] = [];
  const make = (name: string) => {
    let finish!: (value: string) => void;
    let fail!: (err: Error) => void;
    const done = new Promise<string>((resolve, reject) => { finish = resolve; fail = reject; });
    const work = async (signal: AbortSignal): Promise<string> => {
      started.push(name);
      peak = Math.max(peak, ++active);
      try {
        return await done;
      } finally {
        active--;
        job.aborted = signal.aborted;
      }
    };
    const job = { work, finish: () => finish(name), fail: (err: Error) => fail(err), aborted: false };
    return job;
  };
  return { make, started, peak: () => peak };
}

/** Let promise callbacks run (setImmediate is not faked). */
const settle = () => new Promise((r) => setImmediate(r));

const isCode = (code: string, re?: RegExp) => (e: unknown) => e instanceof MailtraceError && e.code === code && (!re || re.test(e.message));

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

test('a timed-out piece of work keeps its slot until it settles: the caller hears MT_ERR_QUERY_TIMEOUT at the deadline, the next one waits', async () => {
  const limiter = new Limiter(1);
  const j = jobs();
  const slow = j.make('slow');
  const next = j.make('next');
  const slowCall = limiter.run(slow.work, 1_000);
  const nextCall = limiter.run(next.work, 60_000);
  const slowRejected = assert.rejects(slowCall, isCode('MT_ERR_QUERY_TIMEOUT', /exceeded 1000 ms/));
  await settle();
  assert.deepEqual(j.started, ['slow']);

  mock.timers.tick(999);
  await settle();
  assert.equal(limiter.abandoned, 0, 'not yet');
  mock.timers.tick(1);
  await slowRejected;
  assert.equal(slow.aborted, false, 'the work itself has not settled yet');
  assert.equal(limiter.running, 1);
  assert.equal(limiter.abandoned, 1, 'said openly: one piece of work runs that nobody waits for');
  assert.deepEqual(j.started, ['slow'], 'the next one does not start while the abandoned one still runs');

  mock.timers.tick(30_000);
  await settle();
  assert.deepEqual(j.started, ['slow']);

  slow.finish();
  await settle();
  assert.equal(slow.aborted, true, 'its signal was aborted at the deadline');
  assert.deepEqual(j.started, ['slow', 'next']);
  assert.equal(limiter.abandoned, 0);
  next.finish();
  assert.equal(await nextCall, 'next');
  await settle();
  assert.equal(limiter.running, 0);
  assert.equal(j.peak(), 1, 'never more than max pieces of work at once');
});

test('a caller still waiting at its deadline hears MT_ERR_QUERY_TIMEOUT and its work never starts', async () => {
  const limiter = new Limiter(1);
  const j = jobs();
  const first = j.make('first');
  const late = j.make('late');
  const firstCall = limiter.run(first.work, 60_000);
  const lateCall = limiter.run(late.work, 500);
  const lateRejected = assert.rejects(lateCall, isCode('MT_ERR_QUERY_TIMEOUT', /waited 500 ms/));
  await settle();
  assert.equal(limiter.waiting, 1);
  mock.timers.tick(500);
  await lateRejected;
  assert.equal(limiter.waiting, 0);
  first.finish();
  assert.equal(await firstCall, 'first');
  await settle();
  assert.deepEqual(j.started, ['first'], 'the dropped caller\'s work is never run');
  assert.equal(limiter.running, 0);
});

test('past maxQueued waiting callers, one more is refused at once with MT_ERR_QUERY_BUSY, abandoned work included', async () => {
  const limiter = new Limiter(2, 1);
  const j = jobs();
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(j.make);
  const aCall = limiter.run(a.work, 1_000);
  const bCall = limiter.run(b.work, 1_000);
  const aRejected = assert.rejects(aCall, isCode('MT_ERR_QUERY_TIMEOUT'));
  const bRejected = assert.rejects(bCall, isCode('MT_ERR_QUERY_TIMEOUT'));
  mock.timers.tick(1_000);
  await aRejected;
  await bRejected;
  assert.equal(limiter.abandoned, 2);
  const cCall = limiter.run(c.work, 60_000);
  await assert.rejects(limiter.run(d.work, 60_000), isCode('MT_ERR_QUERY_BUSY'));
  assert.deepEqual(j.started, ['a', 'b'], 'both slots are held by abandoned work');
  a.finish();
  await settle();
  assert.deepEqual(j.started, ['a', 'b', 'c']);
  c.finish();
  b.finish();
  assert.equal(await cCall, 'c');
  await settle();
  assert.equal(limiter.running, 0);
  assert.equal(limiter.abandoned, 0);
  assert.equal(j.peak(), 2);
});

test('work that fails, or throws before it returns a promise, reaches its caller and frees its slot', async () => {
  const limiter = new Limiter(1);
  const j = jobs();
  const broken = j.make('broken');
  const call = limiter.run(broken.work, 1_000);
  broken.fail(new Error('engine said no'));
  await assert.rejects(call, /engine said no/);
  await assert.rejects(limiter.run(() => { throw new Error('at once'); }, 1_000), /at once/);
  await settle();
  assert.equal(limiter.running, 0);
  assert.equal(await limiter.run(async () => 'after', 1_000), 'after');
  // the deadline of a finished call is cleared: ticking past it changes nothing
  mock.timers.tick(5_000);
  assert.equal(limiter.abandoned, 0);
});
