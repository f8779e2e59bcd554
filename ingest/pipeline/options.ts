import type { RejectReason } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import type { StitchSummary } from '../../stitch/index.ts';
import type { PostfixParser } from '../formats/postfix/index.ts';
import type { DateOrder, ExchangeRole } from '../formats/exchange/index.ts';
import type { JournalParser } from '../formats/journal.ts';
import type { InputSpec } from '../sources/files.ts';
import type { EventPublisher } from '../stream/producer.ts';

/** What an ingest run (ingest/pipeline/run.ts) is given and what it gives back. */

export type InputFormat = 'auto' | 'postfix' | 'exchange' | 'journal';

export interface IngestOptions {
  /** paths (files, directories, `-`), or files to read under another name (uploaded bytes) */
  inputs: readonly InputSpec[];
  /** where the run's events, kept-aside lines and checkpoints go; or `publish` */
  store?: Store;
  /**
   * a stream instead of the store (ingest/stream/producer.ts): events and kept-aside lines become
   * records, checkpoints stay on this machine, and the stream's sink stores and stitches them
   */
  publish?: EventPublisher;
  format?: InputFormat;
  /** Exchange server roles from configuration (short server name → role); inference fills the rest */
  exchangeRoles?: ReadonlyMap<string, ExchangeRole>;
  /** day/month order of culture-formatted dates in Exchange Online CSV exports that cannot tell by themselves */
  dateOrder?: DateOrder;
  /** minutes east of UTC for log stamps without a zone (classic syslog) */
  tzOffsetMin?: number;
  /** blocks of 16,384 events per store insert (default 8) */
  batchBlocks?: number;
  /** read files again even when their checkpoint says they are done */
  force?: boolean;
  /** rejected lines stored per file; more are still counted */
  maxStoredRejectsPerFile?: number;
  /**
   * threads that parse Postfix logs (ingest/pipeline/parallel.ts); 0 or 1 parses in this thread.
   * Default: one per core (at most 8) when the inputs add up to 32 MiB or more.
   */
  workers?: number;
  onProgress?: (p: IngestProgress) => void;
  /** progress of the stitching stage that follows the reading */
  onStitchProgress?: (p: { messages: number; total: number }) => void;
  onWarning?: (msg: string) => void;
  /**
   * Follow mode (ingest/pipeline/follow.ts): the Postfix and journal parsers live from one run to
   * the next; at the end of a run their state is settled, not flushed, and saved (`save`) after the
   * run's events are stored or acknowledged and before its checkpoints are written.
   */
  resident?: ResidentParsers;
}

export interface ResidentParsers {
  postfix: PostfixParser;
  journal: JournalParser;
  save(): Promise<void>;
}

export interface IngestProgress {
  file: string;
  bytes: number;
  lines: number;
  events: number;
  rejected: number;
}

/** An input that could not be read to its end (MT_ERR_BAD_INPUT): the run went on without the rest of it. */
export interface BadInput {
  path: string;
  reason: string;
  /** byte offset (of the decompressed text for .gz, zip and UTF-16 inputs) up to which lines were read */
  offset: number;
}

export interface IngestSummary {
  files: number;
  filesSkipped: { path: string; why: string }[];
  /** inputs that failed alone: unreadable, vanished, truncated or corrupt compressed data, damaged zip entries, shrunk while read */
  badInputs: BadInput[];
  lines: number;
  /** messages read from .eml, maildir, mbox and .msg inputs */
  messages: number;
  bytes: number;
  events: number;
  /** lines in a known envelope that no rule models (other daemons, statistics) */
  unmodeled: number;
  rejected: Partial<Record<RejectReason, number>>;
  rejectedTotal: number;
  /** the messages this run touched, re-stitched into hops */
  stitched: StitchSummary;
  seconds: number;
}
