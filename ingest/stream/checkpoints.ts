import { mkdirSync, readFileSync, renameSync, writeFileSync, fsyncSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MailtraceError } from '../../schemas/index.ts';
import type { FileCheckpoint } from '../../store/index.ts';

/**
 * File checkpoints on the ingestor's own disk (an ingestor that publishes to Kafka has no store):
 * one JSON file, replaced atomically (write, fsync, rename), so a kill leaves the old version or
 * the new one, never half of one.
 */
export class CheckpointFile {
  readonly path: string;
  #cps: Map<string, FileCheckpoint> | undefined;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true });
    this.path = join(stateDir, 'checkpoints.json');
  }

  #load(): Map<string, FileCheckpoint> {
    if (this.#cps) return this.#cps;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (this.#cps = new Map());
      throw new MailtraceError('MT_ERR_BAD_CONFIG', `cannot read the checkpoints ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const list = JSON.parse(text) as FileCheckpoint[];
      return (this.#cps = new Map(list.map((c) => [c.fingerprint, c])));
    } catch (err) {
      throw new MailtraceError('MT_ERR_BAD_CONFIG', `the checkpoints ${this.path} are damaged (${(err as Error).message}); move the file away to read every input again`, { cause: err });
    }
  }

  async get(fingerprint: string): Promise<FileCheckpoint | undefined> {
    return this.#load().get(fingerprint);
  }

  /** a follower's saved parser context (ingest/pipeline/follow.ts), or undefined */
  getContext(key: string): string | undefined {
    try {
      return readFileSync(this.#contextPath(key), 'utf8');
    } catch {
      return undefined;
    }
  }

  setContext(key: string, text: string): void {
    writeAtomically(this.#contextPath(key), text);
  }

  #contextPath(key: string): string {
    return join(dirname(this.path), `context-${key.replace(/[^0-9A-Za-z._-]/g, '_')}.json`);
  }

  /** All of a run's checkpoints at once (they count as read together, as in the store). */
  async set(cps: readonly FileCheckpoint[]): Promise<void> {
    if (cps.length === 0) return;
    const all = this.#load();
    for (const c of cps) all.set(c.fingerprint, c);
    writeAtomically(this.path, JSON.stringify([...all.values()]));
  }
}

/** write, fsync, rename: a kill leaves the old version or the new one */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
