import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { listZip, openZipEntry, type ZipEntry } from './zip.ts';

export interface InputFile {
  /** path as given (or '-' for standard input): the name its events carry */
  path: string;
  /** where the bytes are read from when that is not `path` (a file a client uploaded to the server) */
  source?: string;
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

/**
 * An input: a path (file, directory, `-` for standard input), or a file read from `path` under
 * the name `name` (bytes a client uploaded: the events carry the client's name for them).
 */
export type InputSpec = string | { path: string; name: string };

/** a directory's entries (sorted, no dot files), or none with the reason said */
async function listDir(p: string, bad: (path: string, reason: string) => void): Promise<string[]> {
  try {
    return (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    bad(p, `cannot list ${p}: ${code === 'EACCES' ? 'permission denied' : code ?? (err as Error).message}`);
    return [];
  }
}

/** stat, or say why the path cannot be read (and answer undefined) */
async function statOrBad(p: string, bad: (path: string, reason: string) => void, name = p): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    bad(name, `cannot read ${name}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code ?? (err as Error).message}`);
    return undefined;
  }
}

/** Expand the command line's inputs: files as they are, directories recursively (sorted, no dot files). */
export async function expandInputs(inputs: readonly InputSpec[], bad: (path: string, reason: string) => void, warn: (msg: string) => void): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const named = async (real: string, name: string): Promise<void> => {
    const st = await statOrBad(real, bad, name);
    if (!st) return;
    if (!st.isFile()) return warn(`skipping ${name}: not a regular file`);
    if (name.toLowerCase().endsWith('.zip')) return zipEntries(real, name, st.mtimeMs);
    out.push({ path: name, source: real, size: st.size, mtimeMs: st.mtimeMs, gzip: name.endsWith('.gz'), utf16: await startsWithUtf16Bom(real) });
  };
  const zipEntries = async (real: string, name: string, mtimeMs: number): Promise<void> => {
    // an Exchange log tree zipped on the server: every entry is an input of its own
    try {
      for (const entry of await listZip(real)) {
        out.push({ path: `${name}!/${entry.name}`, size: entry.size, mtimeMs, gzip: false, zip: { archive: real, entry } });
      }
    } catch (err) {
      bad(name, (err as Error).message);
    }
  };
  const visit = async (p: string): Promise<void> => {
    if (p === '-') {
      out.push({ path: '-', size: 0, mtimeMs: Date.now(), gzip: false });
      return;
    }
    const st = await statOrBad(p, bad);
    if (!st) return;
    if (st.isDirectory()) {
      const names = await listDir(p, bad);
      for (const n of names) await visit(join(p, n));
    } else if (st.isFile() && p.toLowerCase().endsWith('.zip')) {
      await zipEntries(p, p, st.mtimeMs);
    } else if (st.isFile()) {
      out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs, gzip: p.endsWith('.gz'), utf16: await startsWithUtf16Bom(p) });
    } else {
      warn(`skipping ${p}: not a regular file`);
    }
  };
  for (const p of inputs) await (typeof p === 'string' ? visit(p) : named(p.path, p.name));
  return out;
}

/**
 * The regular files behind command-line inputs (directories walked like expandInputs does, zip
 * archives as one file, `-` kept): what `mailtrace ingest` uploads to a server that owns the store.
 */
export async function inputFiles(inputs: readonly string[], bad: (path: string, reason: string) => void): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const out: { path: string; size: number; mtimeMs: number }[] = [];
  const visit = async (p: string): Promise<void> => {
    if (p === '-') {
      out.push({ path: '-', size: 0, mtimeMs: Date.now() });
      return;
    }
    const st = await statOrBad(p, bad);
    if (!st) return;
    if (st.isDirectory()) {
      for (const n of await listDir(p, bad)) await visit(join(p, n));
    } else if (st.isFile()) {
      out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs });
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
  const fh = await open(file.source ?? file.path, 'r');
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
  // a file that cannot be opened says so when it is read, where it fails alone (run.ts)
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
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
  if (file.path === '-' && !file.source) return process.stdin;
  if (file.gzip) return chain(createReadStream(file.source ?? file.path), createGunzip());
  if (file.zip) {
    const entry = openZipEntry(file.zip.archive, file.zip.entry);
    const inner = file.zip.entry.name.toLowerCase().endsWith('.gz') ? chain(entry, createGunzip()) : entry;
    return chain(inner, utf16ByBom());
  }
  if (file.utf16) return chain(createReadStream(file.source ?? file.path, { highWaterMark: 1 << 20 }), utf16ToUtf8());
  return createReadStream(file.source ?? file.path, { start: startOffset, highWaterMark: 1 << 20 });
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
