import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { writeExchangeOrg, type TruthMessage } from '../../../bench/generate/exchange.ts';
import { checkAccuracy } from '../../../bench/trace.ts';
import { runIngest } from '../../../ingest/index.ts';
import { listZip } from '../../../ingest/sources/zip.ts';
import { tempStore } from '../../helpers/store.ts';

/** A minimal zip writer (PKWARE APPNOTE layout): deflated entries, or stored ones when asked. */
function writeZip(path: string, files: { name: string; data: Buffer; store?: boolean }[]): void {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const body = f.store ? f.data : deflateRawSync(f.data);
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x800, 6); local.writeUInt16LE(f.store ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(f.data.length, 22); local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 4); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(0x800, 8); cd.writeUInt16LE(f.store ? 0 : 8, 10);
    cd.writeUInt32LE(crc, 16); cd.writeUInt32LE(body.length, 20); cd.writeUInt32LE(f.data.length, 24); cd.writeUInt16LE(name.length, 28); cd.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10); end.writeUInt32LE(cdBuf.length, 12); end.writeUInt32LE(offset, 16);
  writeFileSync(path, Buffer.concat([...parts, cdBuf, end]));
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p, base) : [p.slice(base.length + 1)];
  });
}

test('a zipped Exchange log tree ingests like the folder: same paths, and once only', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const org = join(dir, 'org');
    const truthFile = join(dir, 'truth.jsonl');
    await writeExchangeOrg(org, { messages: 60, seed: 9 }, truthFile);
    const names = walk(org).sort();
    const zip = join(dir, 'logs.zip');
    writeZip(zip, names.map((name, i) => ({ name, data: readFileSync(join(org, name)), store: i % 5 === 0 })));
    assert.deepEqual((await listZip(zip)).map((e) => e.name), names);

    const first = await runIngest({ inputs: [zip], store });
    assert.equal(first.rejectedTotal, 0);
    assert.equal(first.files, names.length);
    const truth = readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TruthMessage);
    const acc = await checkAccuracy(store, truth, truth.length);
    assert.deepEqual(acc.mismatches.slice(0, 3), []);
    const again = await runIngest({ inputs: [zip], store });
    assert.equal(again.events, 0, 'entries are known by their CRC: nothing is read twice');
  } finally {
    await cleanup();
  }
});

test('not a zip, or a damaged one: a clear warning, nothing else lost', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const bad = join(dir, 'broken.zip');
    writeFileSync(bad, 'this is not an archive');
    const warnings: string[] = [];
    const s = await runIngest({ inputs: [bad], store, onWarning: (w) => warnings.push(w) });
    assert.equal(s.files, 0);
    assert.match(warnings.join('\n'), /broken\.zip: not a readable zip archive/);
  } finally {
    await cleanup();
  }
});
