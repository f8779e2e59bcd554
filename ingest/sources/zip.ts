import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

/**
 * Enough of the ZIP format (PKWARE APPNOTE: end of central directory 0x06054b50, central
 * directory entries 0x02014b50, local headers 0x04034b50) to read an Exchange log tree zipped on
 * the server: stored and deflated entries, streamed. ZIP64 archives and encrypted entries are
 * refused with a clear message.
 */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CDIR = 0x02014b50;
const LOCAL = 0x04034b50;

export async function listZip(path: string): Promise<ZipEntry[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const tailLen = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let at = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new Error('not a zip archive (no end of central directory)');
    const count = tail.readUInt16LE(at + 10);
    const cdSize = tail.readUInt32LE(at + 12);
    const cdOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || cdOffset === 0xffffffff) throw new Error('ZIP64 archives are not supported: unzip it and ingest the folder');
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let n = 0; n < count && p + 46 <= cd.length; n++) {
      if (cd.readUInt32LE(p) !== CDIR) throw new Error('damaged zip central directory');
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc32 = cd.readUInt32LE(p + 16);
      const compressedSize = cd.readUInt32LE(p + 20);
      const sizeOut = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen).replace(/\\/g, '/');
      p += 46 + nameLen + extraLen + commentLen;
      if (name.endsWith('/')) continue;
      if (flags & 1) throw new Error(`${name}: encrypted zip entries are not supported`);
      entries.push({ name, method, compressedSize, size: sizeOut, crc32, localHeaderOffset });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } finally {
    await fh.close();
  }
}

/** The entry's bytes, decompressed, as a stream. */
export function openZipEntry(path: string, entry: ZipEntry): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  void (async () => {
    const fh = await open(path, 'r');
    let start: number;
    try {
      const head = Buffer.alloc(30);
      await fh.read(head, 0, 30, entry.localHeaderOffset);
      if (head.readUInt32LE(0) !== LOCAL) throw new Error(`${entry.name}: damaged local header`);
      start = entry.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    } finally {
      await fh.close();
    }
    if (entry.compressedSize === 0) {
      out.end();
      return;
    }
    const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1, highWaterMark: 1 << 20 });
    if (entry.method === 0) raw.pipe(out);
    else if (entry.method === 8) raw.pipe(createInflateRaw()).on('error', (e) => out.destroy(e)).pipe(out);
    else throw new Error(`${entry.name}: zip compression method ${entry.method} is not supported (stored or deflated only)`);
    raw.on('error', (e) => out.destroy(e));
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}
