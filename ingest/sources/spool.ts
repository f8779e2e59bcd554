import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A spool folder for live sources (the syslog listener, the journal follower): each source key
 * has its current part `KEY.log`, appended to line by line as entries arrive; past `partBytes` the
 * part is renamed `KEY.part<ms>.log` and a new one starts. The follow loop
 * (ingest/pipeline/follow.ts) reads the folder like any growing logs, with its checkpoints, so a
 * restart loses nothing that reached the spool. A closed part is deleted once a follow cycle that
 * began after its closing has finished (it was read to its end).
 */
export class Spool {
  readonly dir: string;
  readonly #partBytes: number;
  /** key → its current part */
  readonly #parts = new Map<string, { path: string; bytes: number }>();
  /** closed parts and when they were closed */
  readonly #closed: { path: string; at: number }[] = [];

  constructor(dir: string, partBytes = 64 * 2 ** 20) {
    this.dir = dir;
    this.#partBytes = partBytes;
    mkdirSync(dir, { recursive: true });
    // parts a previous run closed are read by the next follow cycle and then deleted
    for (const n of readdirSync(dir)) if (/\.part\d+\.log$/.test(n)) this.#closed.push({ path: join(dir, n), at: 0 });
  }

  /** the current part of `key` (it may not exist yet) */
  partPath(key: string): string {
    return join(this.dir, `${key}.log`);
  }

  /**
   * The last complete line of `key`'s current part. A line a killed writer left half-written is
   * ended with a newline rather than cut off (a follower may have read it already; the file never
   * shrinks under it): the log reader keeps it aside as a line it cannot read, and the source sends
   * that entry again.
   */
  recoverTail(key: string): string | undefined {
    const path = this.partPath(key);
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch {
      return undefined;
    }
    try {
      const size = statSync(path).size;
      // read backwards until the tail holds the last newline and the one before it (or the start)
      let tail = Buffer.alloc(0);
      let at = size;
      const before = (i: number) => (i <= 0 ? -1 : tail.lastIndexOf(0x0a, i - 1));
      const newlines = () => { const l = tail.lastIndexOf(0x0a); return l < 0 ? 0 : before(l) < 0 ? 1 : 2; };
      while (at > 0 && newlines() < 2) {
        const n = Math.min(64 * 1024, at);
        at -= n;
        const buf = Buffer.alloc(n);
        readSync(fd, buf, 0, n, at);
        tail = Buffer.concat([buf, tail]);
      }
      const lastNl = tail.lastIndexOf(0x0a);
      if (size > 0 && tail[tail.length - 1] !== 0x0a) writeSync(fd, '\n', size);
      if (lastNl < 0) return undefined;
      const prevNl = before(lastNl);
      return tail.subarray(prevNl + 1, lastNl).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Append complete lines (each ending in a newline) to `key`'s current part; `beforeClose` runs
   * when that append fills the part, before it is renamed aside.
   */
  append(key: string, lines: string, beforeClose?: () => void): void {
    if (lines === '') return;
    let part = this.#parts.get(key);
    if (!part) {
      part = { path: this.partPath(key), bytes: sizeOf(this.partPath(key)) };
      this.#parts.set(key, part);
    }
    appendFileSync(part.path, lines);
    part.bytes += Buffer.byteLength(lines);
    if (part.bytes >= this.#partBytes) {
      beforeClose?.();
      const closed = part.path.replace(/\.log$/, `.part${Date.now()}.log`);
      renameSync(part.path, closed);
      this.#closed.push({ path: closed, at: Date.now() });
      this.#parts.delete(key);
    }
  }

  /** After a follow cycle that began at `startedAt`: closed parts it read to their end are deleted. */
  cycleDone(startedAt: number): void {
    for (const c of [...this.#closed]) {
      if (c.at >= startedAt) continue;
      try {
        unlinkSync(c.path);
      } catch {
        // already gone
      }
      this.#closed.splice(this.#closed.indexOf(c), 1);
    }
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
