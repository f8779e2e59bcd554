import { Kafka, logLevel, type Admin } from 'kafkajs';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_PARTITIONS, MailtraceError, type StreamConfig } from '../../schemas/index.ts';

/**
 * The one place that makes kafkajs clients. kafkajs' own logging is off: its connection errors
 * during an outage repeat many times a second; the producer and the sink say once what they wait
 * for and what they retry.
 */
export function kafkaClient(cfg: StreamConfig, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: cfg.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    // kafkajs retries each request itself first; the callers retry on top until their own deadline
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 5_000 },
  });
}

/**
 * Retry `work` until it succeeds or `retryForMs` has passed since the first failure (then
 * MT_ERR_STREAM_UNAVAILABLE with the last cause). `onRetry` hears each failure once.
 */
export async function withRetry<T>(what: string, retryForMs: number, work: () => Promise<T>, onRetry?: (msg: string) => void, stop?: () => boolean): Promise<T> {
  let firstFailure = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const now = Date.now();
      firstFailure ||= now;
      const why = err instanceof Error ? err.message : String(err);
      if (now - firstFailure >= retryForMs || stop?.()) {
        throw new MailtraceError('MT_ERR_STREAM_UNAVAILABLE', `${what}: the brokers did not accept it for ${Math.round((now - firstFailure) / 1000)} s (${why})`, { cause: err });
      }
      onRetry?.(`${what} failed (${why}); retrying`);
      await delay(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)));
    }
  }
}

/**
 * Make sure the topics exist (the test broker and careful deployments do not create topics on
 * first use): created with `partitions` partitions and as many replicas as the cluster allows, up
 * to 3. An existing topic is left as it is.
 */
export async function ensureTopics(admin: Admin, topics: readonly string[], partitions = DEFAULT_PARTITIONS): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  const { brokers } = await admin.describeCluster();
  const replicationFactor = Math.max(1, Math.min(3, brokers.length));
  try {
    await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })), waitForLeaders: true });
  } catch (err) {
    // another ingestor or sink created it in the meantime
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}
