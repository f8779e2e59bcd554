import { PassThrough, type Readable } from 'node:stream';
import yauzl from 'yauzl';

/**
 * Zip archives of log trees (an Exchange server's `TransportRoles\Logs` zipped on the server), read
 * with yauzl: ZIP64 (every archive of a busy server's tree past 4 GB), data descriptors, stored
 * and deflated entries, streamed from the file with bounded memory. An archive is opened once per
 * run and its entries are read from it on demand; closeZips() releases them.
 */
export interface ZipEntry {
  name: string;
  compressedSize: number;
  size: number;
  crc32: number;
}

interface Archive {
  zip: yauzl.ZipFile;
  entries: Map<string, yauzl.Entry>;
}

const open = new Map<string, Promise<Archive>>();

function openArchive(path: string): Promise<Archive> {
  let a = open.get(path);
  if (!a) {
    a = new Promise<Archive>((resolve, reject) => {
      yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (err, zip) => {
        if (err || !zip) return reject(err ?? new Error('cannot open the archive'));
        const entries = new Map<string, yauzl.Entry>();
        zip.on('entry', (e: yauzl.Entry) => {
          entries.set(e.fileName.replace(/\\/g, '/'), e);
          zip.readEntry();
        });
        zip.once('end', () => resolve({ zip, entries }));
        zip.once('error', (e: Error) => {
          zip.close();
          reject(e);
        });
        zip.readEntry();
      });
    });
    open.set(path, a);
  }
  return a;
}

/** The archive's file entries (directories left out), sorted by name. Throws on a damaged or foreign file. */
export async function listZip(path: string): Promise<ZipEntry[]> {
  let archive: Archive;
  try {
    archive = await openArchive(path);
  } catch (err) {
    open.delete(path);
    throw new Error(`not a readable zip archive: ${(err as Error).message}`);
  }
  const out: ZipEntry[] = [];
  for (const [name, e] of archive.entries) {
    if (name.endsWith('/')) continue;
    out.push({ name, compressedSize: e.compressedSize, size: e.uncompressedSize, crc32: e.crc32 });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The entry's bytes, decompressed, as a stream; a damaged entry errors its own stream only. */
export function openZipEntry(path: string, entry: ZipEntry): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  void (async () => {
    const { zip, entries } = await openArchive(path);
    const e = entries.get(entry.name);
    if (!e) throw new Error(`${entry.name}: not in the archive any more`);
    if (e.isEncrypted()) throw new Error(`${entry.name}: encrypted zip entries are not supported`);
    if (e.compressionMethod !== 0 && e.compressionMethod !== 8) throw new Error(`${entry.name}: zip compression method ${e.compressionMethod} is not supported (stored or deflated only)`);
    const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(e, (err, s) => (err || !s ? reject(err ?? new Error('no stream')) : resolve(s))));
    stream.on('error', (err) => out.destroy(err));
    // a reader that stops early (format sniffing) closes out: the entry's stream goes too, or it
    // would keep the archive's file open after closeZips()
    out.on('close', () => stream.destroy());
    stream.pipe(out);
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}

/** Close every archive this run opened. */
export async function closeZips(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  for (const a of all) {
    try {
      (await a).zip.close();
    } catch {
      // an archive that never opened has nothing to close
    }
  }
}
