import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import type { MailEvent, Rejection, StreamConfig } from '../../schemas/index.ts';
import { Batcher, type FileCheckpoint } from '../../store/index.ts';
import { CheckpointFile } from './checkpoints.ts';
import { encodeEventBody, encodeEvents, encodeRejection, eventKey } from './codec.ts';
import { ensureTopics, kafkaClient, withRetry } from './kafka.ts';

/**
 * Where an ingest sends what it read when a stream is configured, instead of the store: events and
 * kept-aside lines as records of one topic, file checkpoints on the ingestor's own disk.
 * `flush()` resolves when the brokers acknowledged everything given so far (acks from all in-sync
 * replicas); the pipeline writes checkpoints only after it.
 */
export interface EventPublisher {
  event(e: MailEvent): Promise<void> | undefined;
  rejection(r: Rejection): Promise<void> | undefined;
  flush(): Promise<void>;
  getCheckpoint(fingerprint: string): Promise<FileCheckpoint | undefined>;
  setCheckpoints(cps: readonly FileCheckpoint[]): Promise<void>;
  /** a follower's saved parser context, kept beside the checkpoints */
  getContext(key: string): Promise<string | undefined>;
  setContext(key: string, text: string): Promise<void>;
  close(): Promise<void>;
  /** events and kept-aside lines the brokers acknowledged */
  readonly acknowledged: number;
}

/** events per send, and per record within it (~100 KB of JSON a record, gzip'd with its batch; far below the broker's default message.max.bytes) */
const EVENTS_PER_SEND = 8_000;
const EVENTS_PER_RECORD = 250;

/** what the batcher holds: an event's record body under its key, or a whole record (a rejection) */
interface Item { key: string; body: string; whole: boolean }

export class KafkaPublisher implements EventPublisher {
  readonly #producer: Producer;
  readonly #cfg: StreamConfig;
  readonly #batcher: Batcher<Item>;
  readonly #checkpoints: CheckpointFile;
  readonly #warn: (msg: string) => void;
  #acknowledged = 0;
  #closed: Promise<void> | undefined;

  private constructor(producer: Producer, cfg: StreamConfig, stateDir: string, warn: (msg: string) => void) {
    this.#producer = producer;
    this.#cfg = cfg;
    this.#warn = warn;
    this.#checkpoints = new CheckpointFile(stateDir);
    this.#batcher = new Batcher<Item>({ maxItems: EVENTS_PER_SEND, maxDelayMs: 500, flush: (b) => this.#send(b) });
  }

  /** Connect (retrying an unreachable cluster for cfg.retryForMs) and make sure the topic exists. */
  static async open(cfg: StreamConfig, stateDir: string, warn: (msg: string) => void = () => {}): Promise<KafkaPublisher> {
    const kafka = kafkaClient(cfg, 'mailtrace-ingest');
    const admin = kafka.admin();
    await withRetry(`connecting to ${cfg.brokers.join(',')}`, cfg.retryForMs, async () => {
      await admin.connect();
      try {
        await ensureTopics(admin, [cfg.topic]);
      } finally {
        await admin.disconnect();
      }
    }, warn);
    // idempotence is left off (kafkajs marks it experimental): a record sent twice after a retry
    // carries the same event id, and the store keeps one row per id
    const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await withRetry('connecting the producer', cfg.retryForMs, () => producer.connect(), warn);
    return new KafkaPublisher(producer, cfg, stateDir, warn);
  }

  get acknowledged(): number {
    return this.#acknowledged;
  }

  event(e: MailEvent): Promise<void> | undefined {
    return this.#batcher.add({ key: eventKey(e), body: encodeEventBody(e), whole: false });
  }

  rejection(r: Rejection): Promise<void> | undefined {
    return this.#batcher.add({ key: r.sourceFile, body: encodeRejection(r), whole: true });
  }

  flush(): Promise<void> {
    return this.#batcher.drain();
  }

  async #send(items: Item[]): Promise<void> {
    // events of one key, in their order, packed into records of EVENTS_PER_RECORD
    const messages: Message[] = [];
    const byKey = new Map<string, string[]>();
    for (const it of items) {
      if (it.whole) {
        messages.push({ key: it.key, value: it.body });
        continue;
      }
      let list = byKey.get(it.key);
      if (!list) byKey.set(it.key, (list = []));
      list.push(it.body);
      if (list.length >= EVENTS_PER_RECORD) {
        messages.push({ key: it.key, value: encodeEvents(list) });
        byKey.set(it.key, []);
      }
    }
    for (const [key, list] of byKey) if (list.length > 0) messages.push({ key, value: encodeEvents(list) });
    await withRetry(`publishing ${items.length} events and lines to ${this.#cfg.topic}`, this.#cfg.retryForMs,
      () => this.#producer.send({ topic: this.#cfg.topic, acks: -1, compression: CompressionTypes.GZIP, messages }), this.#warn);
    this.#acknowledged += items.length;
  }

  getCheckpoint(fingerprint: string): Promise<FileCheckpoint | undefined> {
    return this.#checkpoints.get(fingerprint);
  }

  setCheckpoints(cps: readonly FileCheckpoint[]): Promise<void> {
    return this.#checkpoints.set(cps);
  }

  async getContext(key: string): Promise<string | undefined> {
    return this.#checkpoints.getContext(key);
  }

  async setContext(key: string, text: string): Promise<void> {
    this.#checkpoints.setContext(key, text);
  }

  /** Send the rest once, then disconnect (later calls return the same promise). */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await this.#batcher.close();
      } finally {
        await this.#producer.disconnect();
      }
    })();
    return this.#closed;
  }
}
