import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { writeExchangeOrg } from '../../../bench/generate/exchange.ts';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { encodeEvent, encodeEventBody, encodeEvents, eventKey, Sink } from '../../../ingest/index.ts';
import { deadLetterTopicOf, DeadLetter, newEvent, type StreamConfig } from '../../../schemas/index.ts';
import { Store } from '../../../store/index.ts';
import { requireComponent } from '../../helpers/component.ts';
import { assertSame, snapshot, type Snapshot } from '../../helpers/snapshot.ts';
import { kafkaAvailability, startKafka, type Broker } from '../../harness/kafka.ts';

/**
 * The stream with a real Apache Kafka broker (test/harness/kafka.ts): `ingest --kafka` publishes,
 * `mailtrace sink` stores and stitches, and the store ends exactly as a direct ingest leaves it —
 * also when the sink is killed with SIGKILL mid-stream and started again, when the broker is down
 * for 10 s during an ingest, when records that cannot be stored sit among good ones, and when two
 * sinks share the partitions of one group.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-stream-'));
let broker: Broker | undefined;
let admin: Admin | undefined;
let inputs: string[] = [];
let reference: Snapshot;
const available = kafkaAvailability();

before(async () => {
  if (!available.ok) return;
  broker = await startKafka();
  admin = new Kafka({ brokers: [broker.brokers], clientId: 'test', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  // a multi-host Postfix log in two files (queues span the cut) and an Exchange organisation
  const log = join(work, 'maillog-all');
  await writePostfixLog(log, { messages: 1500, seed: 23 });
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  mkdirSync(join(work, 'in'));
  for (let i = 0; i < 2; i++) {
    const p = join(work, 'in', `maillog.${i}`);
    writeFileSync(p, lines.slice(Math.floor((i * lines.length) / 2), Math.floor(((i + 1) * lines.length) / 2)).join('\n') + '\n');
    inputs.push(p);
  }
  await writeExchangeOrg(join(work, 'org'), { messages: 150, seed: 9, maxFileBytes: 200_000 });
  inputs.push(join(work, 'org'));
  const ref = cli(['ingest', ...inputs, '--data', join(work, 'ref')]);
  assert.equal(ref.code, 0, ref.err);
  reference = await snapshot(join(work, 'ref'));
  assert.ok(reference.events.length > 10_000 && reference.hops.length > 2_000, `${reference.events.length} events, ${reference.hops.length} hops`);
});

/** every process a test started: a failed test must not leave a sink running past the file */
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await admin?.disconnect();
  await broker?.close();
  rmSync(work, { recursive: true, force: true });
});

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const sinkOutput = new WeakMap<ChildProcess, { text: string }>();
function startSink(data: string, topic: string, group: string, extra: string[] = []): ChildProcess {
  const p = spawn(process.execPath, [BIN, 'sink', '--kafka', broker!.brokers, '--topic', topic, '--group', group, '--data', data, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  const out = { text: '' };
  sinkOutput.set(p, out);
  p.stderr!.on('data', (d) => { out.text += d; });
  p.stdout!.on('data', (d) => { out.text += d; });
  return p;
}

/** /health's status once it answers 200, or the last status after 60 s (503 while the member joins) */
async function healthy(base: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = (await fetch(`${base}/health`)).status;
    if (status === 200 || Date.now() > deadline) return status;
    await delay(200);
  }
}

/** the address a sink started with --port 0 printed */
async function opsAddress(p: ChildProcess): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /\/health and \/metrics at (http:\/\/\S+)/.exec(sinkOutput.get(p)?.text ?? '');
    if (m) return m[1];
    if (Date.now() > deadline) assert.fail(`the sink did not say where it listens: ${sinkOutput.get(p)?.text}`);
    await delay(100);
  }
}

async function stopSink(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.exitCode !== null) return p.exitCode;
  const done = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  p.kill(signal);
  return done;
}

/** committed offsets of the group per partition, and the topic's end offsets (asked again while the broker is busy, e.g. its group coordinator is loading after a restart) */
async function progress(topic: string, group: string): Promise<{ committed: number; end: number }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const ends = await admin!.fetchTopicOffsets(topic);
      const [mine] = await admin!.fetchOffsets({ groupId: group, topics: [topic] });
      const committed = mine.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      return { committed, end: ends.reduce((n, p) => n + Number(p.high), 0) };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await delay(500);
    }
  }
}

async function caughtUp(topic: string, group: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await progress(topic, group);
    if (p.end > 0 && p.committed >= p.end) return;
    if (Date.now() > deadline) assert.fail(`the sink did not catch up within ${timeoutMs} ms: ${p.committed} of ${p.end} records committed`);
    await delay(300);
  }
}

const STREAM_PARTS = ['events', 'hops', 'messages'] as const;

test('ingest --kafka, then a sink: the store a direct ingest makes; a second run publishes nothing', async (t) => {
  if (!requireComponent(t, available)) return;
  const state = join(work, 'state-1');
  const pub = cli(['ingest', ...inputs, '--kafka', broker!.brokers, '--topic', 'events-1', '--state', state]);
  assert.equal(pub.code, 0, pub.err);
  assert.ok(existsSync(join(state, 'checkpoints.json')), 'checkpoints on the ingestor disk');
  const sink = startSink(join(work, 'sink-1'), 'events-1', 'g1', ['--port', '0']);
  await caughtUp('events-1', 'g1');
  // its operations endpoints: ready, and the counters say what it stored
  const base = await opsAddress(sink);
  assert.equal(await healthy(base), 200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const stored = Number(/^mailtrace_events_stored_total (\d+)$/m.exec(metrics)?.[1]);
  assert.equal(stored, reference.events.length, metrics);
  assert.match(metrics, /^mailtrace_consumer_lag\{topic="events-1",partition="\d+"\} 0$/m);
  assert.equal(await stopSink(sink), 0);
  const got = await snapshot(join(work, 'sink-1'));
  assertSame(got, reference, 'stream vs direct', STREAM_PARTS);
  assert.match(pub.out, /[\d.]+k events and kept-aside lines acknowledged by the brokers/);
  // every file is checkpointed: a second run reads nothing and publishes nothing
  const before = await progress('events-1', 'g1');
  const again = cli(['ingest', ...inputs, '--kafka', broker!.brokers, '--topic', 'events-1', '--state', state]);
  assert.match(again.out, /\b0 events and kept-aside lines acknowledged/, again.out + again.err);
  assert.equal((await progress('events-1', 'g1')).end, before.end, 'nothing published again');
});

test('a sink killed with SIGKILL mid-stream and started again: every event stored once, hops as a direct ingest', async (t) => {
  if (!requireComponent(t, available)) return;
  const pub = cli(['ingest', ...inputs, '--kafka', broker!.brokers, '--topic', 'events-2', '--state', join(work, 'state-2')]);
  assert.equal(pub.code, 0, pub.err);
  const data = join(work, 'sink-2');
  let kills = 0;
  // killed as soon as it has stored something it has not committed yet (a batch is stored, then
  // stitched and committed with the next settle): three times, then let run to the end
  for (let round = 0; round < 3; round++) {
    // a short session: the member killed before is given up on quickly, so the next one joins soon
    const sink = startSink(data, 'events-2', 'g2', ['--port', '0', '--session-timeout', '8']);
    const base = await opsAddress(sink);
    const deadline = Date.now() + 60_000;
    let stored = 0;
    while (stored === 0 && Date.now() < deadline) {
      const text = await (await fetch(`${base}/api/metrics`)).text();
      stored = Number(/^mailtrace_events_stored_total (\d+)$/m.exec(text)?.[1] ?? 0);
      if (stored === 0) await delay(20);
    }
    const p = await progress('events-2', 'g2');
    await stopSink(sink, 'SIGKILL');
    if (stored > 0 && p.committed < p.end) kills++;
  }
  assert.ok(kills >= 1, 'a kill landed while records were still uncommitted');
  const sink = startSink(data, 'events-2', 'g2', ['--session-timeout', '8']);
  await caughtUp('events-2', 'g2');
  assert.equal(await stopSink(sink), 0);
  assertSame(await snapshot(data), reference, `after ${kills} SIGKILLs`, STREAM_PARTS);
});

test('the broker stopped for 10 s during an ingest: the ingestor waits, retries, finishes; nothing lost; the sink says it is not ready meanwhile', async (t) => {
  if (!requireComponent(t, available)) return;
  const state = join(work, 'state-3');
  const p = spawn(process.execPath, [BIN, 'ingest', ...inputs, '--kafka', broker!.brokers, '--topic', 'events-3', '--state', state], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  let out = '';
  let err = '';
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  // wait for the first acknowledged records, then take the broker away
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ends = await admin!.fetchTopicOffsets('events-3').catch(() => []);
    if (ends.reduce((n, x) => n + Number(x.high), 0) > 0) break;
    await delay(20);
  }
  // a sink of another group watches: /health is 503 while the brokers are gone
  const watcher = startSink(join(work, 'sink-3-watch'), 'events-3', 'g3-watch', ['--port', '0']);
  const base = await opsAddress(watcher);
  assert.equal(await healthy(base), 200, 'ready once it has joined its group');
  await broker!.stop();
  const stoppedAt = Date.now();
  const down = await fetch(`${base}/health`);
  assert.equal(down.status, 503);
  assert.match(((await down.json()) as { reason: string }).reason, /Kafka brokers do not answer/);
  await delay(Math.max(0, 10_000 - (Date.now() - stoppedAt)));
  await broker!.start();
  const code = await exited;
  assert.equal(code, 0, `ingest exit ${code}: ${err}`);
  assert.ok(Date.now() - stoppedAt >= 10_000);
  const sink = startSink(join(work, 'sink-3'), 'events-3', 'g3');
  await caughtUp('events-3', 'g3');
  assert.equal(await stopSink(sink), 0);
  await stopSink(watcher);
  assertSame(await snapshot(join(work, 'sink-3')), reference, 'after a broker outage', STREAM_PARTS);
  assert.match(out, /acknowledged by the brokers/);
});

test('records that cannot be stored go to the dead-letter topic with their reason; the records behind them are stored', async (t) => {
  if (!requireComponent(t, available)) return;
  const kafka = new Kafka({ brokers: [broker!.brokers], clientId: 'test-poison', logLevel: logLevel.NOTHING });
  await admin!.createTopics({ topics: [{ topic: 'events-4', numPartitions: 1 }, { topic: deadLetterTopicOf('events-4'), numPartitions: 1 }], waitForLeaders: true });
  const good = (i: number) => {
    const e = newEvent(`poison-test-${i}`, `2026-03-01T08:00:${String(i % 60).padStart(2, '0')}.000Z`, 'mx1', 'delivery');
    e.queueId = `Q${i}`;
    e.messageId = `<m${i}@example.test>`;
    e.recipient = `user${i}@example.test`;
    e.sourceFile = '/var/log/mail.log';
    e.sourceOffset = i * 100;
    return e;
  };
  const badTime = good(1000);
  badTime.ts = '1850-01-01T00:00:00.000Z';
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({
    topic: 'events-4', acks: -1, messages: [
      { key: 'a', value: encodeEvent(good(1)) },
      { key: 'a', value: 'this is not json' },
      { key: 'a', value: JSON.stringify({ v: 99, t: 'event', e: {} }) },
      { key: 'a', value: JSON.stringify({ v: 1, t: 'event', e: { id: 'x', ts: 'yesterday', host: 'mx1', kind: 'delivery', sourceFile: '/f', sourceOffset: 7 } }) },
      { key: 'a', value: encodeEvent(badTime) },
      // a packed record as the producer sends them, with one bad event in the middle
      { key: 'a', value: encodeEvents([encodeEventBody(good(2)), encodeEventBody(badTime), encodeEventBody(good(3))]) },
      ...Array.from({ length: 48 }, (_, i) => ({ key: eventKey(good(i + 4)), value: encodeEvent(good(i + 4)) })),
    ],
  });
  await producer.disconnect();
  const dir = join(work, 'sink-4');
  const store = await Store.open({ kind: 'embedded', dataDir: dir });
  const cfg: StreamConfig = { brokers: [broker!.brokers], topic: 'events-4', group: 'g4', retryForMs: 30_000 };
  const sink = await Sink.start({ store, stream: cfg });
  try {
    await caughtUp('events-4', 'g4');
  } finally {
    await sink.stop();
  }
  const [{ n }] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.table('events')} FINAL WHERE id LIKE 'poison-test-%'`);
  await store.close();
  assert.equal(Number(n), 51, 'the 51 good events are stored, the poison is not');
  assert.deepEqual(sink.totals.deadLetters, { 'not-json': 1, 'unknown-record': 1, schema: 1, contract: 2 });
  // the dead letters, read back from their topic: reason, position and the record itself
  const consumer = kafka.consumer({ groupId: 'dead-reader' });
  await consumer.connect();
  await consumer.subscribe({ topic: deadLetterTopicOf('events-4'), fromBeginning: true });
  const letters: DeadLetter[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { letters.push(DeadLetter.parse(JSON.parse(message.value!.toString()))); } });
  const deadline = Date.now() + 30_000;
  while (letters.length < 5 && Date.now() < deadline) await delay(100);
  await consumer.disconnect();
  assert.deepEqual(letters.map((l) => [l.reason, l.offset, l.index]).sort(), [['contract', '4', 0], ['contract', '5', 1], ['not-json', '1', 0], ['schema', '3', 0], ['unknown-record', '2', 0]]);
  const schema = letters.find((l) => l.reason === 'schema')!;
  assert.equal(schema.sourceFile, '/f');
  assert.equal(schema.sourceOffset, 7);
  assert.match(schema.detail, /ts/);
  assert.equal(letters.find((l) => l.reason === 'not-json')!.value, 'this is not json');
});

test('two sinks in one group split the partitions and store each event once', async (t) => {
  if (!requireComponent(t, available)) return;
  const pub = cli(['ingest', ...inputs, '--kafka', broker!.brokers, '--topic', 'events-5', '--state', join(work, 'state-5')]);
  assert.equal(pub.code, 0, pub.err);
  const dir = join(work, 'sink-5');
  const real = await Store.open({ kind: 'embedded', dataDir: dir });
  // a slow store (150 ms more per batch): the first member is still at work when the second joins
  const store = new Proxy(real, {
    get(target, key) {
      if (key === 'insertEvents') return async (...args: Parameters<Store['insertEvents']>) => { await delay(150); return target.insertEvents(...args); };
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const cfg: StreamConfig = { brokers: [broker!.brokers], topic: 'events-5', group: 'g5', retryForMs: 30_000 };
  const partitionsSeen: Set<number>[] = [new Set(), new Set()];
  const warnings: string[] = [];
  const onWarning = (m: string) => warnings.push(m);
  try {
    const a = await Sink.start({ store, stream: cfg, onBatch: (b) => partitionsSeen[0].add(b.partition), chunkRecords: 5, onWarning });
    // the second member joins while the first is working: a rebalance mid-stream
    await delay(1_000);
    const b = await Sink.start({ store, stream: cfg, onBatch: (r) => partitionsSeen[1].add(r.partition), chunkRecords: 5, onWarning });
    try {
      await caughtUp('events-5', 'g5');
    } catch (err) {
      throw new Error(`${(err as Error).message}; the sinks said: ${warnings.slice(-10).join(' | ')}`, { cause: err });
    } finally {
      await a.stop();
      await b.stop();
    }
  } finally {
    await real.close();
  }
  assert.ok(partitionsSeen[0].size > 0 && partitionsSeen[1].size > 0, `both members stored batches (${[...partitionsSeen[0]]} / ${[...partitionsSeen[1]]})`);
  assertSame(await snapshot(dir), reference, 'two sinks', STREAM_PARTS);
});

test('a following ingestor that publishes, killed with SIGKILL while lines keep coming and started again: every line stored once', async (t) => {
  if (!requireComponent(t, available)) return;
  // the two Postfix files one after the other, as one growing log
  const lines = inputs.slice(0, 2).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
  const log = join(work, 'follow.log');
  writeFileSync(log, '');
  const state = join(work, 'state-follow');
  let cycles = 0;
  const follower = () => {
    const p = spawn(process.execPath, [BIN, 'ingest', '--follow', log, '--kafka', broker!.brokers, '--topic', 'events-follow', '--state', state], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(p);
    p.stdout!.on('data', () => {});
    p.stderr!.on('data', (d: Buffer) => { cycles += (d.toString().match(/^mailtrace: \+/gm) ?? []).length; });
    return p;
  };
  const quiet = async () => {
    const deadline = Date.now() + 120_000;
    const start = cycles;
    while (cycles === start && Date.now() < deadline) await delay(100);
    let last = cycles;
    let since = Date.now();
    while (Date.now() - since < 2_500 && Date.now() < deadline) {
      await delay(100);
      if (cycles !== last) { last = cycles; since = Date.now(); }
    }
    assert.ok(Date.now() < deadline, 'the follower caught up in time');
  };
  const cut = [0.3, 0.55, 0.8, 1].map((f) => Math.floor(f * lines.length));
  const chunk = (a: number, b: number) => lines.slice(a, b).join('\n') + '\n';
  let p = follower();
  for (let i = 0; i < 5; i++) appendFileSync(log, chunk(Math.floor((i * cut[0]) / 5), Math.floor(((i + 1) * cut[0]) / 5)));
  await quiet();
  // killed while a cycle is likely in hand (lines just appended), more lines while it is down
  appendFileSync(log, chunk(cut[0], cut[1]));
  await delay(400);
  const killed = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await killed;
  appendFileSync(log, chunk(cut[1], cut[2]));
  p = follower();
  await quiet();
  appendFileSync(log, chunk(cut[2], cut[3]));
  await quiet();
  const stopped = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  p.kill('SIGTERM');
  assert.equal(await stopped, 0);
  const sink = startSink(join(work, 'sink-follow'), 'events-follow', 'gf');
  await caughtUp('events-follow', 'gf');
  assert.equal(await stopSink(sink), 0);
  const got = await snapshot(join(work, 'sink-follow'));
  // the reference: the finished log (same path, same bytes) ingested in one go
  const ref = cli(['ingest', log, '--data', join(work, 'follow-ref')]);
  assert.equal(ref.code, 0, ref.err);
  const want = await snapshot(join(work, 'follow-ref'));
  assert.ok(want.events.length > 20_000, `${want.events.length} events`);
  assertSame(got, want, 'follow --kafka across a SIGKILL vs a direct ingest of the whole log', STREAM_PARTS);
});
