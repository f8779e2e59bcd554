import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import type { MailEvent, Rejection, StreamConfig } from '../../schemas/index.ts';
import { Batcher, type FileCheckpoint } from '../../store/index.ts';
import { CheckpointFile } from './checkpoints.ts';
import { encodeEvent, encodeRejection, eventKey } from './codec.ts';
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
  close(): Promise<void>;
  /** records the brokers acknowledged */
  readonly acknowledged: number;
}

/** records per send: ~1 MB of JSON before gzip, far below the broker's default message.max.bytes after it */
const RECORDS_PER_SEND = 2_000;

export class KafkaPublisher implements EventPublisher {
  readonly #producer: Producer;
  readonly #cfg: StreamConfig;
  readonly #batcher: Batcher<Message>;
  readonly #checkpoints: CheckpointFile;
  readonly #warn: (msg: string) => void;
  #acknowledged = 0;
  #closed: Promise<void> | undefined;

  private constructor(producer: Producer, cfg: StreamConfig, stateDir: string, warn: (msg: string) => void) {
    this.#producer = producer;
    this.#cfg = cfg;
    this.#warn = warn;
    this.#checkpoints = new CheckpointFile(stateDir);
    this.#batcher = new Batcher<Message>({ maxItems: RECORDS_PER_SEND, maxDelayMs: 500, flush: (b) => this.#send(b) });
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
    return this.#batcher.add({ key: eventKey(e), value: encodeEvent(e) });
  }

  rejection(r: Rejection): Promise<void> | undefined {
    return this.#batcher.add({ key: r.sourceFile, value: encodeRejection(r) });
  }

  flush(): Promise<void> {
    return this.#batcher.drain();
  }

  async #send(messages: Message[]): Promise<void> {
    await withRetry(`publishing ${messages.length} records to ${this.#cfg.topic}`, this.#cfg.retryForMs,
      () => this.#producer.send({ topic: this.#cfg.topic, acks: -1, compression: CompressionTypes.GZIP, messages }), this.#warn);
    this.#acknowledged += messages.length;
  }

  getCheckpoint(fingerprint: string): Promise<FileCheckpoint | undefined> {
    return this.#checkpoints.get(fingerprint);
  }

  setCheckpoints(cps: readonly FileCheckpoint[]): Promise<void> {
    return this.#checkpoints.set(cps);
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
