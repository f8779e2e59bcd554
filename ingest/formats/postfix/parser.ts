import type { LineRef, LogParser, ParseSink } from '../types.ts';

export type { LineRef, ParseSink } from '../types.ts';
import { parseEnvelope, YearTracker } from './envelope.ts';
import { parseRecord } from './records.ts';
import { DEFAULT_LIMITS, HostCorrelator, own, type CorrelatorLimits } from './correlate.ts';

export interface PostfixParserOptions {
  /** reference time for year-less syslog stamps (the file's mtime, or now) */
  referenceMs?: number;
  /** offset of local time from UTC in minutes, for stamps without a zone */
  tzOffsetMin?: number;
  limits?: CorrelatorLimits;
  /** how far back in time a line may jump before it is reported out of order */
  reorderToleranceMs?: number;
}

/**
 * Postfix maillog → MailEvents. No I/O: the caller feeds lines with where they came from.
 * One parser may read several files (one per host, or one combined syslog); correlation state is
 * per host, year inference and ordering checks are per file.
 */
export class PostfixParser implements LogParser {
  readonly #opts: Required<Omit<PostfixParserOptions, 'limits'>> & { limits: CorrelatorLimits };
  readonly #hosts = new Map<string, HostCorrelator>();
  readonly #files = new Map<string, { years: YearTracker; lastMs: number }>();

  constructor(opts: PostfixParserOptions = {}) {
    this.#opts = {
      referenceMs: opts.referenceMs ?? Date.now(),
      tzOffsetMin: opts.tzOffsetMin ?? 0,
      limits: opts.limits ?? DEFAULT_LIMITS,
      reorderToleranceMs: opts.reorderToleranceMs ?? 3600_000,
    };
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
      sink.reject(env.error, env.detail, ref, line);
      return;
    }
    if (env.ms < file.lastMs - this.#opts.reorderToleranceMs) {
      // kept and still used: the report says where time ran backwards
      sink.reject('out-of-order', `time runs back ${Math.round((file.lastMs - env.ms) / 1000)} s`, ref, line);
    } else if (env.ms > file.lastMs) {
      file.lastMs = env.ms;
    }
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

  /** End of input: emit what correlation still holds (sessions whose disconnect we never saw). */
  flush(sink: ParseSink): void {
    for (const h of this.#hosts.values()) h.flush((e) => sink.event(e));
  }
}
