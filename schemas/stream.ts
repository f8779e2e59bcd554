import { z } from 'zod';
import { Rejection } from './rejection.ts';

/**
 * The stream between ingestors and the store (Kafka): the topic's record contract and the
 * dead-letter record. Every record is JSON: `{"v":1,"t":"events","e":[{…},…]}` — the events of
 * one key, each with only the fields that differ from a blank event (the reader fills the rest
 * from the event model and validates each with the MailEvent schema) —, `{"v":1,"t":"event","e":{…}}`
 * for one event, or `{"v":1,"t":"rejection","r":{…}}` for a line the ingestor kept aside (it
 * reaches the store's rejected table like a local ingest's).
 */
export const STREAM_RECORD_VERSION = 1;
export const DEFAULT_TOPIC = 'mailtrace.events';
export const DEFAULT_GROUP = 'mailtrace-sink';
/** partitions of a topic the ingestor creates when it is missing (sized in the README, "Scaling out") */
export const DEFAULT_PARTITIONS = 6;

export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dead-letter`;
}

export const StreamRecordType = z.enum(['event', 'rejection']);
export type StreamRecordType = z.infer<typeof StreamRecordType>;

/** Why the sink set a record aside instead of storing it: a closed set, counted by the sink. */
export const DeadLetterReason = z.enum([
  'not-json',        // the value is not JSON (or not UTF-8 text)
  'unknown-record',  // JSON, but not a record of a version and type this sink knows
  'schema',          // an event or rejection that fails its zod schema
  'contract',        // a valid event the store cannot hold (a time outside the years it keeps)
]);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/** What goes to the dead-letter topic: the reason, where the record was, and the record itself. */
export const DeadLetter = z.object({
  reason: DeadLetterReason,
  detail: z.string(),
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  offset: z.string(),
  /** the event's place in its record (records carry a list of events) */
  index: z.number().int().nonnegative(),
  key: z.string(),
  /** the line the record came from, when the record says so */
  sourceFile: z.string(),
  sourceOffset: z.number().int().nonnegative(),
  /** the record's value as text (the first 64 KiB) */
  value: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

export const RejectionRecord = z.object({ v: z.literal(STREAM_RECORD_VERSION), t: z.literal('rejection'), r: Rejection });

const BROKER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,200}$/;

/** `--kafka host:port[,…] [--topic NAME] [--group NAME]`, checked once. */
export const StreamConfig = z.object({
  brokers: z.array(z.string().regex(BROKER, 'a broker is host:port (e.g. 127.0.0.1:9092)')).min(1, 'give at least one broker'),
  topic: z.string().regex(TOPIC, 'a topic name is 1–200 of A-Z a-z 0-9 . _ -').default(DEFAULT_TOPIC),
  group: z.string().regex(TOPIC, 'a group name is 1–200 of A-Z a-z 0-9 . _ -').default(DEFAULT_GROUP),
  /** how long an ingestor keeps retrying an unreachable broker before it gives up (ms) */
  retryForMs: z.number().int().positive().default(300_000),
});
export type StreamConfig = z.infer<typeof StreamConfig>;

/** `a:1,b:2` → StreamConfig input (the CLI's one parser of the flag) */
export function parseBrokers(list: string): string[] {
  return list.split(',').map((b) => b.trim()).filter(Boolean);
}
