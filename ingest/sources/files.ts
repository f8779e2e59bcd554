import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface InputFile {
  /** path as given (or '-' for standard input) */
  path: string;
  size: number;
  mtimeMs: number;
  gzip: boolean;
}

/** Expand the command line's inputs: files as they are, directories recursively (sorted, no dot files). */
export async function expandInputs(inputs: readonly string[], warn: (msg: string) => void): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const visit = async (p: string): Promise<void> => {
    if (p === '-') {
      out.push({ path: '-', size: 0, mtimeMs: Date.now(), gzip: false });
      return;
    }
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      warn(`cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      for (const n of names) await visit(join(p, n));
    } else if (st.isFile()) {
      out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs, gzip: p.endsWith('.gz') });
    } else {
      warn(`skipping ${p}: not a regular file`);
    }
  };
  for (const p of inputs) await visit(p);
  return out;
}

/**
 * A file's identity for checkpoints: its first KiB (or all of it, when smaller), hashed. The path
 * is not part of it, so a renamed or rotated file is still known; a file that grew keeps its
 * fingerprint and is read on from where the last run stopped.
 */
export async function fingerprint(file: InputFile): Promise<string> {
  const fh = await open(file.path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(1024, file.size));
    await fh.read(buf, 0, buf.length, 0);
    return createHash('sha256').update(buf).update(file.gzip ? `gz:${file.size}` : '').digest('hex').slice(0, 32);
  } finally {
    await fh.close();
  }
}

export function openInput(file: InputFile, startOffset: number): Readable {
  if (file.path === '-') return process.stdin;
  if (file.gzip) return createReadStream(file.path).pipe(createGunzip());
  return createReadStream(file.path, { start: startOffset, highWaterMark: 1 << 20 });
}

/** Read the first lines of a file to detect its format (at most 64 KiB). */
export async function sniff(file: InputFile): Promise<string[]> {
  if (file.path === '-') return [];
  const stream = openInput(file, 0);
  let text = '';
  for await (const chunk of stream) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length >= 65536) break;
  }
  stream.destroy();
  return text.split('\n').slice(0, 50);
}
