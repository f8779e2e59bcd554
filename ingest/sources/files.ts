import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { listZip, openZipEntry, type ZipEntry } from './zip.ts';

export interface InputFile {
  /** path as given (or '-' for standard input) */
  path: string;
  size: number;
  mtimeMs: number;
  gzip: boolean;
  /** starts with a UTF-16LE byte order mark (Exchange Online exports): read transcoded to UTF-8 */
  utf16?: boolean;
  /** an entry of a zip archive (path is then `archive.zip!/entry/name`) */
  zip?: { archive: string; entry: ZipEntry };
}

/** Inputs read through a decoder: byte offsets are not the file's, so they resume only as a whole. */
export function readAsWhole(file: InputFile): boolean {
  return file.gzip || file.utf16 === true || file.zip !== undefined;
}

/** Expand the command line's inputs: files as they are, directories recursively (sorted, no dot files). */
export async function expandInputs(inputs: readonly string[], bad: (path: string, reason: string) => void, warn: (msg: string) => void): Promise<InputFile[]> {
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
      const code = (err as NodeJS.ErrnoException).code;
      bad(p, `cannot read ${p}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code ?? (err as Error).message}`);
      return;
    }
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      for (const n of names) await visit(join(p, n));
    } else if (st.isFile() && p.toLowerCase().endsWith('.zip')) {
      // an Exchange log tree zipped on the server: every entry is an input of its own
      try {
        for (const entry of await listZip(p)) {
          out.push({ path: `${p}!/${entry.name}`, size: entry.size, mtimeMs: st.mtimeMs, gzip: false, zip: { archive: p, entry } });
        }
      } catch (err) {
        bad(p, (err as Error).message);
      }
    } else if (st.isFile()) {
      out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs, gzip: p.endsWith('.gz'), utf16: await startsWithUtf16Bom(p) });
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
  // a zip entry is known by its CRC and size, as the archive's directory records them
  if (file.zip) return createHash('sha256').update(`zip:${file.zip.entry.crc32}:${file.zip.entry.size}:${file.zip.entry.name}`).digest('hex').slice(0, 32);
  const fh = await open(file.path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(1024, file.size));
    await fh.read(buf, 0, buf.length, 0);
    // inputs read as a whole (gzip, UTF-16) are known by their size too: a grown export is read again
    return createHash('sha256').update(buf).update(file.gzip ? `gz:${file.size}` : file.utf16 ? `utf16:${file.size}` : '').digest('hex').slice(0, 32);
  } finally {
    await fh.close();
  }
}

async function startsWithUtf16Bom(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0xff && buf[1] === 0xfe;
  } finally {
    await fh.close();
  }
}

/**
 * Zip entries: an Exchange Online export zipped as it was saved (UTF-16LE with a byte order mark)
 * is transcoded; anything else passes through untouched.
 */
function utf16ByBom(): Transform {
  let decoder: TextDecoder | null | undefined;
  let head = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (decoder === undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 2) return done();
        decoder = head[0] === 0xff && head[1] === 0xfe ? new TextDecoder('utf-16le') : null;
        chunk = head;
      }
      done(null, decoder ? Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8') : chunk);
    },
    flush(done) {
      if (decoder === undefined) return done(null, head);
      done(null, decoder ? Buffer.from(decoder.decode(), 'utf8') : undefined);
    },
  });
}

/** UTF-16LE → UTF-8, streaming (a code unit or surrogate pair may straddle chunks: the decoder keeps it). */
function utf16ToUtf8(): Transform {
  const decoder = new TextDecoder('utf-16le');
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
    },
    flush(done) {
      done(null, Buffer.from(decoder.decode(), 'utf8'));
    },
  });
}

export function openInput(file: InputFile, startOffset: number): Readable {
  if (file.path === '-') return process.stdin;
  if (file.gzip) return chain(createReadStream(file.path), createGunzip());
  if (file.zip) {
    const entry = openZipEntry(file.zip.archive, file.zip.entry);
    const inner = file.zip.entry.name.toLowerCase().endsWith('.gz') ? chain(entry, createGunzip()) : entry;
    return chain(inner, utf16ByBom());
  }
  if (file.utf16) return chain(createReadStream(file.path, { highWaterMark: 1 << 20 }), utf16ToUtf8());
  return createReadStream(file.path, { start: startOffset, highWaterMark: 1 << 20 });
}

/** from.pipe(to), with an error of `from` (an unreadable or vanished file) passed on to `to`'s readers */
function chain(from: Readable, to: Transform): Readable {
  from.on('error', (err) => to.destroy(err));
  to.on('close', () => from.destroy());
  return from.pipe(to);
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
