import { CompressionTypes, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import { setTimeout as delay } from 'node:timers/promises';
import { deadLetterTopicOf, type DeadLetter, type DeadLetterReason, type MailEvent, type Rejection, type StreamConfig } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { stitchTouched, Touched } from '../../stitch/index.ts';
import { decodeRecord } from './codec.ts';
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
  /** after each batch is durable and committed */
  onBatch?: (b: SinkBatchReport) => void;
  /** records per store write within one fetched batch (default 20,000) */
  chunkRecords?: number;
}

export interface SinkBatchReport {
  partition: number;
  records: number;
  events: number;
  rejections: number;
  deadLetters: number;
  /** the offset committed (next to read) */
  committed: string;
  storeMs: number;
  stitchMs: number;
}

export interface SinkTotals {
  records: number;
  events: number;
  rejections: number;
  deadLetters: Partial<Record<DeadLetterReason, number>>;
  batches: number;
}

export class Sink {
  readonly totals: SinkTotals = { records: 0, events: 0, rejections: 0, deadLetters: {}, batches: 0 };
  readonly #opts: SinkOptions;
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  readonly #deadTopic: string;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  /** the partitions this member owns now (kept from the group's join events) */
  assigned: number[] = [];

  private constructor(opts: SinkOptions, consumer: Consumer, producer: Producer) {
    this.#opts = opts;
    this.#consumer = consumer;
    this.#producer = producer;
    this.#deadTopic = deadLetterTopicOf(opts.stream.topic);
  }

  /** Join the group and start consuming (from the beginning of the topic for a new group). */
  static async start(opts: SinkOptions): Promise<Sink> {
    const cfg = opts.stream;
    const kafka = kafkaClient(cfg, 'mailtrace-sink');
    const admin = kafka.admin();
    const warn = opts.onWarning ?? (() => {});
    await withRetry(`connecting to ${cfg.brokers.join(',')}`, cfg.retryForMs, async () => {
      await admin.connect();
      try {
        await ensureTopics(admin, [cfg.topic, deadLetterTopicOf(cfg.topic)]);
      } finally {
        await admin.disconnect();
      }
    }, warn);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await withRetry('connecting the dead-letter producer', cfg.retryForMs, () => producer.connect(), warn);
    // a batch is stored and stitched before its commit: the session must outlive a slow store
    const consumer = kafka.consumer({ groupId: cfg.group, sessionTimeout: 60_000, heartbeatInterval: 3_000, maxBytesPerPartition: 4 << 20 });
    const sink = new Sink(opts, consumer, producer);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      sink.assigned = (e.payload.memberAssignment[cfg.topic] ?? []).slice().sort((a, b) => a - b);
    });
    await withRetry('joining the consumer group', cfg.retryForMs, () => consumer.connect(), warn);
    await consumer.subscribe({ topic: cfg.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (p) => sink.#batch(p) });
    return sink;
  }

  async #batch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const size = this.#opts.chunkRecords ?? 20_000;
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
      const d = decodeRecord(m.value);
      if (d.type === 'event') {
        events.push(d.event);
        touched.add(d.event);
      } else if (d.type === 'rejection') {
        rejections.push(d.rejection);
      } else {
        const value = m.value ? m.value.subarray(0, 65_536).toString('utf8') : '';
        dead.push({ reason: d.reason, detail: d.detail, topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key?.toString('utf8') ?? '', sourceFile: d.sourceFile, sourceOffset: d.sourceOffset, value });
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
        messages: dead.map((d) => ({ key: `${d.topic}/${d.partition}/${d.offset}`, value: JSON.stringify(d) })),
      }));
      for (const [i, d] of dead.entries()) {
        this.totals.deadLetters[d.reason] = (this.totals.deadLetters[d.reason] ?? 0) + 1;
        // a few lines per batch: a topic full of foreign records must not flood the log
        if (i < 5) warn(`record ${d.topic}/${d.partition}@${d.offset} set aside in ${this.#deadTopic}: ${d.reason}: ${d.detail}`);
      }
      if (dead.length > 5) warn(`${dead.length - 5} more records of this batch set aside in ${this.#deadTopic}`);
    }
    const t1 = performance.now();
    if (touched.size > 0) await this.#untilDone('stitching a batch', p, () => stitchTouched(this.#opts.store, touched));
    const t2 = performance.now();
    const committed = (BigInt(last) + 1n).toString();
    if (p.isStale()) return; // the new owner reads these records again: stored twice, counted once
    await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: committed }]);
    p.resolveOffset(last);
    await p.heartbeat();
    this.totals.records += messages.length;
    this.totals.events += events.length;
    this.totals.rejections += rejections.length;
    this.totals.batches++;
    this.#opts.onBatch?.({ partition: batch.partition, records: messages.length, events: events.length, rejections: rejections.length, deadLetters: dead.length, committed, storeMs: t1 - t0, stitchMs: t2 - t1 });
  }

  /** Retry work on the store (or the dead-letter topic) until it succeeds or the sink stops; heartbeats in between. */
  async #untilDone(what: string, p: EachBatchPayload, work: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await work();
        return;
      } catch (err) {
        if (this.#stopping || !p.isRunning()) throw err;
        (this.#opts.onWarning ?? (() => {}))(`${what} failed (${(err as Error).message}); holding the batch and retrying`);
        await p.heartbeat().catch(() => {});
        await delay(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  /** Finish the batch in hand (it is committed or left for redelivery), leave the group, disconnect. Once. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped ??= (async () => {
      try {
        await this.#consumer.disconnect();
      } finally {
        await this.#producer.disconnect();
      }
    })();
    return this.#stopped;
  }
}
