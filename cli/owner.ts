import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded engine locks its data directory for one process. While `mailtrace serve` owns it,
 * it leaves a note here with its URL; `ingest` and `trace` find the note and go through the API.
 */
const NOTE = '.mailtrace-serve.json';

export interface OwnerNote {
  pid: number;
  url: string;
}

export function writeOwner(dataDir: string, note: OwnerNote): void {
  writeFileSync(join(dataDir, NOTE), JSON.stringify(note), { mode: 0o600 });
}

export function removeOwner(dataDir: string): void {
  rmSync(join(dataDir, NOTE), { force: true });
}

/** The running server that owns dataDir, if any (a stale note from a dead process is ignored). */
export function findOwner(dataDir: string): OwnerNote | undefined {
  let note: OwnerNote;
  try {
    note = JSON.parse(readFileSync(join(dataDir, NOTE), 'utf8')) as OwnerNote;
  } catch {
    return undefined;
  }
  if (note.pid === process.pid) return undefined;
  try {
    process.kill(note.pid, 0);
  } catch {
    return undefined;
  }
  return note;
}
