import { CompressionTypes, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import { setTimeout as delay } from 'node:timers/promises';
import { deadLetterTopicOf, type DeadLetter, type DeadLetterReason, type MailEvent, type Rejection, type StreamConfig } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { stitchTouched, Touched } from '../../stitch/index.ts';
import { decodeRecord } from './codec.ts';
import { METRIC, type Metrics } from '../metrics.ts';
import { ensureTopics, kafkaClient, withRetry } from './kafka.ts';

/**
 * The stream's sink: a consumer-group member that stores the records of its partitions, re-stitches
 * the messages they touched, and only then commits their offsets. A kill at any point leaves the
 * batch uncommitted: it is delivered again, stored again under the same event ids (the events
 * table keeps one row per id, readers count with FINAL) and stitched again — nothing lost, nothing
 * counted twice. A record that cannot be stored goes to the dead-letter topic with its reason and
 * position, and the records behind it go on. A store that fails is retried with the batch held
 * (the consumer stops fetching, which is the backpressure), never skipped.
 */
export interface SinkOptions {
  store: Store;
  stream: StreamConfig;
  /** a line per problem the operator should know of (store retries, dead letters) */
  onWarning?: (msg: string) => void;
  /** after each batch is stored (it is stitched and committed with the next settle, within SETTLE_MS) */
  onBatch?: (b: SinkBatchReport) => void;
  /** records per store write within one fetched batch (default 400; a record carries up to 250 events) */
  chunkRecords?: number;
  /** counters for /metrics (ingest/metrics.ts) */
  metrics?: Metrics;
  /**
   * how long the group waits for a member that stopped answering (killed) before its partitions
   * move to the others (default 30 s); a restarted member joins only after that
   */
  sessionTimeoutMs?: number;
}

export interface SinkBatchReport {
  partition: number;
  records: number;
  events: number;
  rejections: number;
  deadLetters: number;
  storeMs: number;
}

export interface SinkTotals {
  records: number;
  events: number;
  rejections: number;
  deadLetters: Partial<Record<DeadLetterReason, number>>;
  batches: number;
}

/** a settle once this many events are stored unstitched, or once the oldest has waited this long */
const SETTLE_EVENTS = 100_000;
const SETTLE_MS = 1_000;
/** settles at most this often when they are made early, because every partition is caught up */
const SETTLE_EARLY_GAP_MS = 500;
/** … and only while what waits is a light stream's (a follower's second at 5k lines/s is ~3k events) */
const SETTLE_EARLY_EVENTS = 10_000;

interface Pending { touched: Touched; offsets: Map<string, { topic: string; partition: number; offset: string }>; events: number; since: number }
function newPending(): Pending {
  return { touched: new Touched(), offsets: new Map(), events: 0, since: 0 };
}

export class Sink {
  readonly totals: SinkTotals = { records: 0, events: 0, rejections: 0, deadLetters: {}, batches: 0 };
  readonly #opts: SinkOptions;
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #deadTopic: string;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #pending = newPending();
  #settling: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;
  /** records behind the end of each partition this member read, at its last batch */
  readonly #behind = new Map<number, bigint>();
  #lastSettleAt = 0;
  /** the partitions this member owns now (kept from the group's join events) */
  assigned: number[] = [];

  private constructor(opts: SinkOptions, consumer: Consumer, producer: Producer, admin: Admin) {
    this.#opts = opts;
    this.#consumer = consumer;
    this.#producer = producer;
    this.#admin = admin;
    this.#deadTopic = deadLetterTopicOf(opts.stream.topic);
    // a quiet stream still gets its last records stitched and committed
    this.#timer = setInterval(() => {
      if (this.#pending.offsets.size > 0 && Date.now() - this.#pending.since >= SETTLE_MS) this.#settle().catch((err) => (opts.onWarning ?? (() => {}))(`stitching failed: ${(err as Error).message}`));
    }, 250);
    this.#timer.unref();
  }

  /** Join the group and start consuming (from the beginning of the topic for a new group). */
  static async start(opts: SinkOptions): Promise<Sink> {
    const cfg = opts.stream;
    const kafka = kafkaClient(cfg, 'mailtrace-sink');
    const admin = kafka.admin();
    const warn = opts.onWarning ?? (() => {});
    // the admin stays connected: /health asks the cluster through it
    await withRetry(`connecting to ${cfg.brokers.join(',')}`, cfg.retryForMs, async () => {
      await admin.connect();
      await ensureTopics(admin, [cfg.topic, deadLetterTopicOf(cfg.topic)]);
    }, warn);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await withRetry('connecting the dead-letter producer', cfg.retryForMs, () => producer.connect(), warn);
    // heartbeats go on while a batch is stored and stitched (settle), so the session need not outlive a slow store
    const consumer = kafka.consumer({ groupId: cfg.group, sessionTimeout: opts.sessionTimeoutMs ?? 30_000, heartbeatInterval: 3_000, maxBytesPerPartition: 4 << 20 });
    const sink = new Sink(opts, consumer, producer, admin);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      sink.assigned = (e.payload.memberAssignment[cfg.topic] ?? []).slice().sort((a, b) => a - b);
      for (const part of [...sink.#behind.keys()]) if (!sink.assigned.includes(part)) sink.#behind.delete(part);
    });
    await withRetry('joining the consumer group', cfg.retryForMs, () => consumer.connect(), warn);
    await consumer.subscribe({ topic: cfg.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (p) => sink.#batch(p) });
    return sink;
  }

  async #batch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const size = this.#opts.chunkRecords ?? 400;
    for (let i = 0; i < batch.messages.length && !this.#stopping; i += size) {
      if (p.isStale()) return; // the partition moved to another member during a rebalance
      await this.#chunk(p, batch.messages.slice(i, i + size));
    }
  }

  /** Store, stitch, then commit one run of records of one partition. */
  async #chunk(p: EachBatchPayload, messages: KafkaMessage[]): Promise<void> {
    const { batch } = p;
    const warn = this.#opts.onWarning ?? (() => {});
    const events: MailEvent[] = [];
    const rejections: Rejection[] = [];
    const dead: DeadLetter[] = [];
    const touched = new Touched();
    for (const m of messages) {
      for (const d of decodeRecord(m.value)) {
        if (d.type === 'event') {
          events.push(d.event);
          touched.add(d.event);
        } else if (d.type === 'rejection') {
          rejections.push(d.rejection);
        } else {
          const value = m.value ? m.value.subarray(0, 65_536).toString('utf8') : '';
          dead.push({ reason: d.reason, detail: d.detail, topic: batch.topic, partition: batch.partition, offset: m.offset, index: d.index, key: m.key?.toString('utf8') ?? '', sourceFile: d.sourceFile, sourceOffset: d.sourceOffset, value });
        }
      }
    }
    const last = messages[messages.length - 1].offset;
    const t0 = performance.now();
    await this.#untilDone('storing a batch', p, async () => {
      await this.#opts.store.insertEvents(events);
      await this.#opts.store.insertRejections(rejections);
    });
    if (dead.length > 0) {
      await this.#untilDone('publishing dead letters', p, () => this.#producer.send({
        topic: this.#deadTopic, acks: -1, compression: CompressionTypes.GZIP,
        messages: dead.map((d) => ({ key: `${d.topic}/${d.partition}/${d.offset}/${d.index}`, value: JSON.stringify(d) })),
      }));
      for (const [i, d] of dead.entries()) {
        this.totals.deadLetters[d.reason] = (this.totals.deadLetters[d.reason] ?? 0) + 1;
        // a few lines per batch: a topic full of foreign records must not flood the log
        if (i < 5) warn(`record ${d.topic}/${d.partition}@${d.offset}${d.index > 0 ? ` #${d.index}` : ''} set aside in ${this.#deadTopic}: ${d.reason}: ${d.detail}`);
      }
      if (dead.length > 5) warn(`${dead.length - 5} more records of this batch set aside in ${this.#deadTopic}`);
    }
    const t1 = performance.now();
    if (p.isStale()) return; // the new owner reads these records again: stored twice, counted once
    // stitched and committed with what the other partitions bring in the next moments (settle)
    const pending = this.#pending;
    pending.touched.merge(touched);
    pending.offsets.set(`${batch.topic}\u0000${batch.partition}`, { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() });
    pending.events += events.length;
    pending.since ||= Date.now();
    p.resolveOffset(last);
    await p.heartbeat();
    this.totals.records += messages.length;
    this.totals.events += events.length;
    this.totals.rejections += rejections.length;
    this.totals.batches++;
    const m = this.#opts.metrics;
    if (m) {
      m.count(...METRIC.eventsIn, events.length);
      m.count(...METRIC.eventsStored, events.length);
      m.count(...METRIC.rejected, rejections.length);
      for (const d of dead) m.count(...METRIC.deadLetters, 1, { reason: d.reason });
      m.observe(...METRIC.storeWrite, (t1 - t0) / 1000);
      m.set(...METRIC.lag, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)), { topic: batch.topic, partition: String(batch.partition) });
    }
    this.#opts.onBatch?.({ partition: batch.partition, records: messages.length, events: events.length, rejections: rejections.length, deadLetters: dead.length, storeMs: t1 - t0 });
    // caught up on every partition it reads (a light stream, e.g. followers publishing once a
    // second): settle now rather than when the oldest has waited SETTLE_MS, at most every
    // SETTLE_EARLY_GAP_MS; under a backlog the partitions are behind and settles gather as before
    this.#behind.set(batch.partition, BigInt(batch.highWatermark) - BigInt(last) - 1n);
    const early = pending.events <= SETTLE_EARLY_EVENTS && [...this.#behind.values()].every((n) => n <= 0n) && Date.now() - this.#lastSettleAt >= SETTLE_EARLY_GAP_MS;
    if (early || pending.events >= SETTLE_EVENTS || Date.now() - pending.since >= SETTLE_MS) await this.#settle(p);
  }

  /**
   * Stitch what the records stored since the last settle touched, then commit their offsets — one
   * stitch for every partition's records of the last moments (a message's servers write to
   * different partitions: stitching per batch stitched it once per server). Called after a batch
   * once enough has gathered, by a timer when the stream is quiet, and at stop. One at a time.
   */
  #settle(p?: EachBatchPayload): Promise<void> {
    this.#settling = this.#settling.then(async () => {
      const pending = this.#pending;
      if (pending.offsets.size === 0) return;
      this.#pending = newPending();
      this.#lastSettleAt = Date.now();
      const t0 = performance.now();
      // the group hears from this member while it stitches (a long stitch must not look like a dead member)
      const beat = p ? setInterval(() => { p.heartbeat().catch(() => {}); }, 3_000) : undefined;
      try {
        if (pending.touched.size > 0) await this.#untilDone('stitching', p, () => stitchTouched(this.#opts.store, pending.touched));
      } finally {
        clearInterval(beat);
      }
      this.#opts.metrics?.observe(...METRIC.stitch, (performance.now() - t0) / 1000);
      // Only partitions this member still owns: one a rebalance gave to another member is read again
      // by it from the group's offset (stored twice, counted once) and committed by it — an old
      // offset committed from here after the new owner's would move the group's offset back, and
      // the partition would look behind for good (the broker does not check who owns a partition).
      const mine = [...pending.offsets.values()].filter((o) => this.assigned.includes(o.partition));
      try {
        if (mine.length > 0) await this.#consumer.commitOffsets(mine);
      } catch (err) {
        // A partition a rebalance took away: its new owner reads those records again (stored twice,
        // counted once). A partition still ours goes back to be committed with the next settle:
        // kafkajs has moved past those records and would not read them again, so without a retry
        // the group's offset would stay behind for good on a partition that gets nothing new.
        for (const o of mine) {
          const k = `${o.topic}\u0000${o.partition}`;
          if (this.assigned.includes(o.partition) && !this.#pending.offsets.has(k)) this.#pending.offsets.set(k, o);
        }
        if (this.#pending.offsets.size > 0) this.#pending.since ||= Date.now();
        (this.#opts.onWarning ?? (() => {}))(`committing offsets failed (${(err as Error).message}); ${this.#pending.offsets.size > 0 ? 'retried with the next settle' : 'those records will be read again by their new owner'}`);
      }
    });
    return this.#settling;
  }

  /** Retry work on the store (or the dead-letter topic) until it succeeds or the sink stops; heartbeats in between. */
  async #untilDone(what: string, p: EachBatchPayload | undefined, work: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await work();
        return;
      } catch (err) {
        if (this.#stopping || (p && !p.isRunning())) throw err;
        (this.#opts.onWarning ?? (() => {}))(`${what} failed (${(err as Error).message}); holding the batch and retrying`);
        await p?.heartbeat().catch(() => {});
        await delay(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  /** Resolves when the store and the brokers answer (for /health); rejects with what does not. */
  async ready(): Promise<void> {
    try {
      await this.#opts.store.query('SELECT 1 AS ok');
    } catch (err) {
      throw new Error(`the store does not answer: ${(err as Error).message}`, { cause: err });
    }
    try {
      // a probe wants an answer now: kafkajs would retry an absent cluster for half a minute
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no answer within 3 s')), 3_000); });
      try {
        await Promise.race([this.#admin.describeCluster(), late]);
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      throw new Error(`the Kafka brokers do not answer: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Finish the batch in hand (it is committed or left for redelivery), leave the group, disconnect. Once. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped ??= (async () => {
      clearInterval(this.#timer);
      try {
        // kafkajs lets the batch in hand finish before it disconnects; then what it stored is settled
        await this.#consumer.stop();
        await this.#settle().catch(() => {});
        await this.#consumer.disconnect();
      } finally {
        await this.#producer.disconnect();
        await this.#admin.disconnect();
      }
    })();
    return this.#stopped;
  }
}
