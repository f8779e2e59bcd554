import type { LineRef, LogParser, ParseSink } from '../types.ts';

export type { LineRef, ParseSink } from '../types.ts';
import { parseEnvelope, YearTracker } from './envelope.ts';
import { parseRecord } from './records.ts';
import { DEFAULT_LIMITS, HostCorrelator, own, type CorrelatorLimits, type HostContext } from './correlate.ts';

export type { HostContext } from './correlate.ts';

/**
 * How long (log time) a session held across follow cycles may keep its receipts waiting for its
 * disconnect line, and how long an smtp connection's TLS summary is carried over a restart:
 * smtpd's idle timeout is 300 s (postconf(5) smtpd_timeout) and an smtp connection is reused for
 * at most 300 s (smtp_connection_reuse_time_limit), so state quiet for longer has ended.
 */
export const SETTLE_HOLD_MS = 300_000;

export interface PostfixParserOptions {
  /** reference time for year-less syslog stamps (the file's mtime, or now) */
  referenceMs?: number;
  /** offset of local time from UTC in minutes, for stamps without a zone */
  tzOffsetMin?: number;
  limits?: CorrelatorLimits;
  /** how far back in time a line may jump before it is reported out of order */
  reorderToleranceMs?: number;
  /**
   * Parse only the hosts of one shard (parallel reading, ingest/pipeline/parallel.ts): every shard
   * reads every line, so the per-file state (year inference, ordering) is the same in each, and
   * each line's outcome (event, rejection, not modelled) comes from exactly one shard — its host's
   * (hostShard), or shard 0 for a line whose host cannot be read.
   */
  shard?: { index: number; count: number; hosts?: Readonly<Record<string, number>> };
}

/** Which of `count` shards parses a host's lines (FNV-1a of the name; stable across runs). */
export function hostShard(host: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) h = Math.imul(h ^ host.charCodeAt(i), 0x01000193);
  return (h >>> 0) % count;
}

/**
 * Postfix maillog → MailEvents. No I/O: the caller feeds lines with where they came from.
 * One parser may read several files (one per host, or one combined syslog); correlation state is
 * per host, year inference and ordering checks are per file.
 */
export class PostfixParser implements LogParser {
  readonly #opts: Required<Omit<PostfixParserOptions, 'limits' | 'shard'>> & { limits: CorrelatorLimits };
  readonly #shard: { index: number; count: number; hosts?: Readonly<Record<string, number>> } | undefined;
  /** host → owned by this shard */
  readonly #owned = new Map<string, boolean>();
  readonly #hosts = new Map<string, HostCorrelator>();
  readonly #files = new Map<string, { years: YearTracker; lastMs: number }>();

  constructor(opts: PostfixParserOptions = {}) {
    this.#opts = {
      referenceMs: opts.referenceMs ?? Date.now(),
      tzOffsetMin: opts.tzOffsetMin ?? 0,
      limits: opts.limits ?? DEFAULT_LIMITS,
      reorderToleranceMs: opts.reorderToleranceMs ?? 3600_000,
    };
    this.#shard = opts.shard && opts.shard.count > 1 ? opts.shard : undefined;
  }

  /** Does this parser decide the outcome of lines without a readable host (and lines cut before parsing)? */
  get ownsUnattributed(): boolean {
    return !this.#shard || this.#shard.index === 0;
  }

  #owns(host: string): boolean {
    const shard = this.#shard;
    if (!shard) return true;
    let owned = this.#owned.get(host);
    if (owned === undefined) {
      // the plan's shard for a host it knows (balanced by line counts), else the hash's
      const planned = shard.hosts && Object.hasOwn(shard.hosts, host) ? shard.hosts[host] : undefined;
      owned = (planned ?? hostShard(host, shard.count)) === shard.index;
      this.#owned.set(own(host), owned);
    }
    return owned;
  }

  /** Start a file; `referenceMs` (its mtime) anchors the year of classic syslog stamps. */
  beginFile(file: string, referenceMs?: number): void {
    this.#files.set(file, { years: new YearTracker(referenceMs ?? this.#opts.referenceMs), lastMs: 0 });
  }

  get stateSize(): number {
    let n = 0;
    for (const h of this.#hosts.values()) n += h.stateSize;
    return n;
  }

  parseLine(line: string, ref: LineRef, sink: ParseSink): void {
    let file = this.#files.get(ref.file);
    if (!file) {
      this.beginFile(ref.file);
      file = this.#files.get(ref.file)!;
    }
    const env = parseEnvelope(line, file.years, this.#opts.tzOffsetMin);
    if ('error' in env) {
      if (this.ownsUnattributed) sink.reject(env.error, env.detail, ref, line);
      return;
    }
    const mine = this.#owns(env.host);
    if (env.ms < file.lastMs - this.#opts.reorderToleranceMs) {
      // kept and still used: the report says where time ran backwards
      if (mine) sink.reject('out-of-order', `time runs back ${Math.round((file.lastMs - env.ms) / 1000)} s`, ref, line);
    } else if (env.ms > file.lastMs) {
      file.lastMs = env.ms;
    }
    if (!mine) return;
    const rec = parseRecord(env.program, env.text);
    if (!rec) {
      sink.skipped();
      return;
    }
    let host = this.#hosts.get(env.host);
    if (!host) {
      host = new HostCorrelator(own(env.host), this.#opts.limits);
      this.#hosts.set(host.host, host);
    }
    host.handle(env, rec, ref.file, ref.offset, (e) => sink.event(e));
  }

  /** A follow cycle ends, more lines will come: keep the correlation state (HostCorrelator.settle). */
  settle(sink: ParseSink, holdMs = SETTLE_HOLD_MS): void {
    for (const h of this.#hosts.values()) h.settle((e) => sink.event(e), holdMs);
  }

  /** the correlation state as plain data (JSON-safe), for a follower's checkpoint */
  saveContext(holdMs = SETTLE_HOLD_MS): HostContext[] {
    return [...this.#hosts.values()].map((h) => h.saveContext(holdMs)).filter((c) => c.sessions.length > 0 || c.outbound.length > 0 || c.queues.length > 0);
  }

  restoreContext(hosts: readonly HostContext[]): void {
    for (const ctx of hosts) {
      let host = this.#hosts.get(ctx.host);
      if (!host) {
        host = new HostCorrelator(ctx.host, this.#opts.limits);
        this.#hosts.set(host.host, host);
      }
      host.restoreContext(ctx);
    }
  }

  /** End of input: emit what correlation still holds (sessions whose disconnect we never saw). */
  flush(sink: ParseSink): void {
    for (const h of this.#hosts.values()) h.flush((e) => sink.event(e));
  }
}
