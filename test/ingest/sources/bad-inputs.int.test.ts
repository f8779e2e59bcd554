import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runIngest } from '../../../ingest/index.ts';
import { listZip } from '../../../ingest/sources/zip.ts';
import type { Store } from '../../../store/index.ts';
import { tempStore } from '../../helpers/store.ts';

/**
 * Every input fails alone (MT_ERR_BAD_INPUT): a truncated .gz, a damaged zip entry, a missing
 * path. The inputs after it are read, the lines before the break are kept, the failure is stored
 * beside the rejected lines, and a fixed file is read again without counting anything twice.
 * Zip archives come from Python's zipfile (a real tool) — ZIP64 too.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SAMPLE = join(ROOT, 'bench', 'sample', 'maillog');

/** a Get-MessageTrace export's first lines (Windows PowerShell Export-Csv, log-formats §3.1) */
const EXPORT_HEAD = [
  '#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace',
  '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate","Index"',
];

async function distinctEvents(store: Store): Promise<number> {
  const [r] = await store.query<{ n: string }>(`SELECT uniqExact(id) AS n FROM ${store.table('events')}`);
  return Number(r.n);
}
async function allEvents(store: Store): Promise<number> {
  const [r] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table('events')} FINAL`);
  return Number(r.n);
}

function python(script: string, ...args: string[]): void {
  execFileSync('python3', ['-c', script, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
}

test('a truncated .gz before a good log: the good log is read, the broken one named, its first lines kept; the fixed file then adds the rest, nothing twice', async () => {
  // the engine holds one data directory per process: the clean reference run comes first
  const ref = await tempStore();
  const full = gzipSync(readFileSync(SAMPLE));
  const goodText = readFileSync(join(ROOT, 'test', 'fixtures', 'postfix', 'handmade-3hop.log'));
  let goodOnly: { lines: number; events: number };
  let clean: { all: number; distinct: number };
  try {
    writeFileSync(join(ref.dir, 'maillog'), goodText);
    goodOnly = await runIngest({ inputs: [join(ref.dir, 'maillog')], store: ref.store });
    writeFileSync(join(ref.dir, 'maillog.1.gz'), full);
    await runIngest({ inputs: [join(ref.dir, 'maillog.1.gz')], store: ref.store });
    clean = { all: await allEvents(ref.store), distinct: await distinctEvents(ref.store) };
  } finally {
    await ref.cleanup();
  }
  const { store, dir, cleanup } = await tempStore();
  try {
    const gz = join(dir, 'maillog.1.gz');
    writeFileSync(gz, full.subarray(0, Math.floor(full.length * 0.6)));
    const good = join(dir, 'maillog');
    writeFileSync(good, goodText);
    const warnings: string[] = [];
    const s = await runIngest({ inputs: [gz, good], store, onWarning: (w) => warnings.push(w) });
    assert.equal(s.badInputs.length, 1, JSON.stringify(s.badInputs));
    assert.equal(s.badInputs[0].path, gz);
    assert.match(s.badInputs[0].reason, /truncated compressed data/);
    assert.ok(s.badInputs[0].offset > 0, 'the offset it broke at');
    assert.match(warnings.join('\n'), /MT_ERR_BAD_INPUT .*maillog\.1\.gz: truncated compressed data/);
    const rejected = await store.query<{ reason: string; sourceFile: string; detail: string }>(`SELECT reason, sourceFile, detail FROM ${store.table('rejected')} WHERE reason = 'bad-input'`);
    assert.deepEqual(rejected.map((r) => r.sourceFile), [gz]);
    // the good log after it was read whole, and the lines before the break count too
    assert.ok(s.lines > goodOnly.lines, `${s.lines} lines`);
    const partial = await distinctEvents(store);
    assert.ok(partial > goodOnly.events, `events before the break are kept (${partial} > ${goodOnly.events})`);

    // the operator copies the file again, whole: it is read as a whole and adds what was missing
    writeFileSync(gz, full);
    const again = await runIngest({ inputs: [gz, good], store });
    assert.equal(again.badInputs.length, 0);
    assert.equal(await allEvents(store), clean.all, 'the same events as a clean run');
    assert.equal(await distinctEvents(store), clean.distinct);
  } finally {
    await cleanup();
  }
});

test('a zip with a damaged entry: the other entries are read, the damaged one is named; a missing path fails alone too', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const zip = join(dir, 'logs.zip');
    copyFileSync(SAMPLE, join(dir, 'a-maillog'));
    writeFileSync(join(dir, 'b-maillog'), readFileSync(join(ROOT, 'test', 'fixtures', 'postfix', 'handmade-3hop.log')));
    python(`import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[2], 'srv1/a-maillog')
    z.write(sys.argv[3], 'srv2/b-maillog')`, zip, join(dir, 'a-maillog'), join(dir, 'b-maillog'));
    // damage the first entry's deflated data in the middle (its local header and the directory stay intact)
    const bytes = readFileSync(zip);
    const mid = 30 + 'srv1/a-maillog'.length + 2000;
    for (let i = 0; i < 64; i++) bytes[mid + i] ^= 0x5a;
    writeFileSync(zip, bytes);
    const missing = join(dir, 'gone.log');
    const s = await runIngest({ inputs: [missing, zip], store });
    assert.deepEqual(s.badInputs.map((b) => b.path).sort(), [missing, `${zip}!/srv1/a-maillog`].sort());
    assert.match(s.badInputs.find((b) => b.path === missing)!.reason, /no such file or directory/);
    assert.match(s.badInputs.find((b) => b.path !== missing)!.reason, /corrupt compressed data|invalid|unexpected|too many bytes|too few bytes/i);
    const [b] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table('events')} WHERE sourceFile = {f:String}`, { f: `${zip}!/srv2/b-maillog` });
    assert.ok(Number(b.n) > 0, 'the intact entry after the damaged one was read');
  } finally {
    await cleanup();
  }
});

test('a ZIP64 archive (Python zipfile, force_zip64) and a UTF-16 export inside a zip are read', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const csv = [
      ...EXPORT_HEAD,
      '"wildsecurity.onmicrosoft.com","<a210cf91-4f2e-484c-8ada-3b27064ee5e3@az.uksouth.production.microsoft.com>","2022-09-05T18:10:13.4907658","azure-noreply@microsoft.com","linus@wildsecurity.onmicrosoft.com","PIM: A privileged directory role was assigned outside of PIM","Delivered","","81.2.69.144","87891","cf7a249a-5edd-4350-130a-08da8f69e0f6","2022-09-03T21:46:46.4206759Z","2022-09-05T21:46:46.4206759Z","0"',
    ].join('\r\n') + '\r\n';
    writeFileSync(join(dir, 'trace.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]));
    const zip = join(dir, 'zip64.zip');
    python(`import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for name, src in (('srv1/maillog', sys.argv[2]), ('exo/MessageTrace.csv', sys.argv[3])):
        with open(src, 'rb') as f, z.open(name, 'w', force_zip64=True) as out:
            out.write(f.read())`, zip, SAMPLE, join(dir, 'trace.csv'));
    // the archive really carries ZIP64 extra fields (header id 0x0001 after the version fields)
    assert.ok(readFileSync(zip).includes(Buffer.from([0x01, 0x00, 0x10, 0x00])), 'ZIP64 extended information extra field');
    assert.deepEqual((await listZip(zip)).map((e) => e.name), ['exo/MessageTrace.csv', 'srv1/maillog']);
    const s = await runIngest({ inputs: [zip], store });
    assert.deepEqual(s.badInputs, []);
    // no file descriptor is left on the archive (format sniffing stops reading early)
    const open = readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } });
    assert.ok(!open.includes(zip), 'the archive was closed');
    assert.equal(s.rejectedTotal, 0, JSON.stringify(s.rejected));
    // the same events as the files themselves (ids carry the source path, so compare counts)
    const d = await runIngest({ inputs: [SAMPLE, join(dir, 'trace.csv')], store });
    assert.equal(s.events, d.events);
    assert.ok(s.events > 1000);
  } finally {
    await cleanup();
  }
});

test('a UTF-16 export that grew is read again (not taken for already ingested); a checkpoint path with a tab or newline survives', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const head = EXPORT_HEAD;
    const row = (n: number) => `"org.onmicrosoft.com","<m${n}@example.org>","2022-09-05T18:10:1${n}.4907658","a@example.org","b@org.onmicrosoft.com","s","Delivered","","81.2.69.144","100","cf7a249a-5edd-4350-130a-08da8f69e0f${n}","2022-09-03T21:46:46Z","2022-09-05T21:46:46Z","${n}"`;
    const file = join(dir, 'export.csv');
    const utf16 = (lines: string[]) => Buffer.from(lines.join('\r\n') + '\r\n', 'utf16le');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), utf16([...head, row(1)])]));
    const first = await runIngest({ inputs: [file], store });
    assert.ok(first.events > 0);
    appendFileSync(file, utf16([row(2)]));
    const second = await runIngest({ inputs: [file], store });
    assert.deepEqual(second.filesSkipped, []);
    assert.equal(await distinctEvents(store), 2 * first.events, 'the new row is stored, the old one not twice');

    const odd = 'logs/odd\tname\nwith breaks.log';
    await store.setCheckpoint({ fingerprint: 'f'.repeat(32), path: odd, offset: 42, lines: 3 });
    assert.deepEqual(await store.getCheckpoint('f'.repeat(32)), { fingerprint: 'f'.repeat(32), path: odd, offset: 42, lines: 3 });
  } finally {
    await cleanup();
  }
});
