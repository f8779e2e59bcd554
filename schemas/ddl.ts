import { accessDdl } from './access.ts';
import { EVENT_COLUMN_TYPES } from './event.ts';
import { policyDdl } from './policy.ts';

/**
 * ClickHouse DDL (targets ClickHouse >= 23.8; the embedded chDB engine is 26.x).
 * Applied idempotently at start: every statement is CREATE … IF NOT EXISTS.
 *
 * events: ReplacingMergeTree on the deterministic event id, so a re-ingested line collapses into
 * the one already stored (the file checkpoint already skips most of them; this is the backstop).
 * Ordered for lookup by message id; queue ids, senders and recipients get bloom-filter skip indexes.
 */
export const EVENTS_TABLE = 'events';
export const REJECTED_TABLE = 'rejected';
export const FILES_TABLE = 'ingested_files';
export const HOPS_TABLE = 'hops';
export const MESSAGES_TABLE = 'messages';
export const META_TABLE = 'meta';

/**
 * Stitching's own tables (hops are data): written only by stitch/, read by every view.
 * Both are ReplacingMergeTree(version, deleted): a re-stitched message replaces its rows, and a
 * row it no longer has is replaced by a deleted one; readers use FINAL, which hides both.
 */
export const HOP_COLUMN_TYPES: readonly (readonly [string, string])[] = [
  ['messageKey', 'String'],
  ['messageId', 'String'],
  ['recipient', 'String'],
  ['seq', 'UInt16'],
  ['from', 'String'],
  ['to', 'String'],
  ['fromRole', 'LowCardinality(String)'],
  ['toRole', 'LowCardinality(String)'],
  ['tls', 'LowCardinality(String)'],
  ['tlsVersion', 'LowCardinality(String)'],
  ['cipher', 'LowCardinality(String)'],
  ['tlsTrust', 'LowCardinality(String)'],
  ['tlsEvidence', 'LowCardinality(String)'],
  ['start', "DateTime64(3, 'UTC')"],
  ['end', "DateTime64(3, 'UTC')"],
  ['fromQueueId', 'String'],
  ['toQueueId', 'String'],
  ['link', 'LowCardinality(String)'],
  ['rule', 'LowCardinality(String)'],
  ['status', 'LowCardinality(String)'],
  ['eventIds', 'Array(String)'],
  /** 1 on the first recipient's row of each hand-off: counting hand-offs needs no distinct over strings */
  ['firstOfHop', 'UInt8'],
  ['provenance', 'LowCardinality(String)'],
  ['protocol', 'LowCardinality(String)'],
  ['conflict', 'String'],
  /** the recipient's domain, lower-cased; firstOfDomain 1 on one row per hand-off and domain (stitch/rows.ts) */
  ['domain', 'LowCardinality(String)'],
  ['firstOfDomain', 'UInt8'],
  /** the connector or service each end's log names (Hop.fromConnector / toConnector) */
  ['fromConnector', 'LowCardinality(String)'],
  ['toConnector', 'LowCardinality(String)'],
  ['version', 'UInt64'],
  ['deleted', 'UInt8'],
];

/** One row per message (or per queue whose message id no ingested line names): what search and summary read. */
export const MESSAGE_COLUMN_TYPES: readonly (readonly [string, string])[] = [
  ['messageKey', 'String'],
  ['messageId', 'String'],
  ['sender', 'String'],
  ['size', 'UInt64'],
  ['firstSeen', "DateTime64(3, 'UTC')"],
  ['lastSeen', "DateTime64(3, 'UTC')"],
  ['status', 'LowCardinality(String)'],
  ['recipients', 'Array(String)'],
  ['recipientStatuses', 'Array(LowCardinality(String))'],
  ['hosts', 'Array(String)'],
  ['queueIds', 'Array(String)'],
  ['plaintextHops', 'UInt32'],
  ['detail', 'String'],
  /** mechanisms seen in a delivered copy; protectionKnown 0 when no copy was read */
  ['protection', 'Array(LowCardinality(String))'],
  ['protectionKnown', 'UInt8'],
  ['version', 'UInt64'],
  ['deleted', 'UInt8'],
];
export const HOP_COLUMNS = HOP_COLUMN_TYPES.map(([n]) => n);
export const MESSAGE_COLUMNS = MESSAGE_COLUMN_TYPES.map(([n]) => n);


/** Columns added after the first release: stores made before get them at start (idempotent). */
const ADDED_EVENT_COLUMNS = ['sessionId', 'role', 'networkMessageId', 'protocol', 'protection', 'protectionEvidence', 'certSide', 'certSubject', 'certIssuer', 'certSerial', 'certFingerprint', 'certNotBefore', 'certNotAfter', 'certNames', 'connector'];

/** `name Type, …` for a table function's structure argument. */
export const EVENT_STRUCTURE = EVENT_COLUMN_TYPES.map(([n, t]) => `${n} ${t}`).join(', ');

/** Hop and message columns added after the first release (before version/deleted in a new table). */
const ADDED_HOP_COLUMNS: readonly (readonly [string, string])[] = [['provenance', "LowCardinality(String) DEFAULT 'log'"], ['protocol', 'LowCardinality(String)'], ['conflict', 'String'],
  ['domain', 'LowCardinality(String)'], ['firstOfDomain', 'UInt8'], ['fromConnector', 'LowCardinality(String)'], ['toConnector', 'LowCardinality(String)']];
const ADDED_MESSAGE_COLUMNS: readonly (readonly [string, string])[] = [['protection', 'Array(LowCardinality(String))'], ['protectionKnown', 'UInt8']];

export function ddlStatements(db: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${EVENTS_TABLE} (
      ${EVENT_COLUMN_TYPES.map(([n, t]) => `${n} ${t}`).join(',\n      ')},
      INDEX idx_queue queueId TYPE bloom_filter(0.01) GRANULARITY 4,
      INDEX idx_next nextQueueId TYPE bloom_filter(0.01) GRANULARITY 4,
      INDEX idx_sender sender TYPE bloom_filter(0.01) GRANULARITY 4,
      INDEX idx_rcpt recipient TYPE bloom_filter(0.01) GRANULARITY 4,
      INDEX idx_netid networkMessageId TYPE bloom_filter(0.01) GRANULARITY 4
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (messageId, host, queueId, kind, ts, id)`,
    ...ADDED_EVENT_COLUMNS.map((c) => `ALTER TABLE ${db}.${EVENTS_TABLE} ADD COLUMN IF NOT EXISTS ${c} ${EVENT_COLUMN_TYPES.find(([n]) => n === c)![1]}`),
    `ALTER TABLE ${db}.${EVENTS_TABLE} ADD INDEX IF NOT EXISTS idx_netid networkMessageId TYPE bloom_filter(0.01) GRANULARITY 4`,
    `CREATE TABLE IF NOT EXISTS ${db}.${REJECTED_TABLE} (
      ingestedAt DateTime64(3, 'UTC'),
      reason LowCardinality(String),
      detail String,
      sourceFile String,
      sourceOffset UInt64,
      lineNumber UInt64,
      excerpt String
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ingestedAt)
    ORDER BY (sourceFile, sourceOffset, reason)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${HOPS_TABLE} (
      ${HOP_COLUMN_TYPES.map(([n, t]) => `\`${n}\` ${t}`).join(',\n      ')},
      INDEX idx_tls tls TYPE set(8) GRANULARITY 4
    ) ENGINE = ReplacingMergeTree(version, deleted)
    ORDER BY (messageKey, recipient, seq)
    SETTINGS index_granularity = 256`,
    ...ADDED_HOP_COLUMNS.map(([c, t]) => `ALTER TABLE ${db}.${HOPS_TABLE} ADD COLUMN IF NOT EXISTS \`${c}\` ${t}`),
    `CREATE TABLE IF NOT EXISTS ${db}.${MESSAGES_TABLE} (
      ${MESSAGE_COLUMN_TYPES.map(([n, t]) => `\`${n}\` ${t}`).join(',\n      ')},
      INDEX idx_sender sender TYPE bloom_filter(0.01) GRANULARITY 4,
      INDEX idx_rcpts recipients TYPE bloom_filter(0.01) GRANULARITY 4,
      INDEX idx_queues queueIds TYPE bloom_filter(0.01) GRANULARITY 4,
      INDEX idx_msgid messageId TYPE bloom_filter(0.01) GRANULARITY 4
    ) ENGINE = ReplacingMergeTree(version, deleted)
    ORDER BY messageKey
    -- small granules: a trace reads one row, and a row carries its trace's detail (≈1 KB)
    SETTINGS index_granularity = 256`,
    ...ADDED_MESSAGE_COLUMNS.map(([c, t]) => `ALTER TABLE ${db}.${MESSAGES_TABLE} ADD COLUMN IF NOT EXISTS \`${c}\` ${t}`),
    // small facts about the store itself (which stitching rules built its hops)
    `CREATE TABLE IF NOT EXISTS ${db}.${META_TABLE} (
      key String,
      value String,
      updatedAt DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree(updatedAt)
    ORDER BY key`,
    // One row per input file, keyed by a content fingerprint (not the path: a rotated or copied
    // file is the same file). `offset` is committed only after the events before it are stored.
    `CREATE TABLE IF NOT EXISTS ${db}.${FILES_TABLE} (
      fingerprint String,
      path String,
      offset UInt64,
      lines UInt64,
      updatedAt DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree(updatedAt)
    ORDER BY fingerprint`,
    // tables of the policy evaluation (incidents) and of access control (audit log)
    ...policyDdl(db),
    ...accessDdl(db),
  ];
}
