import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runIngest } from '../../../ingest/index.ts';
import type { Store } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

const FIXTURE = join(FIXTURES, 'postfix', 'handmade-3hop.log');

async function count(store: Store, table: 'events' | 'rejected', where = '1'): Promise<number> {
  const rows = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table(table)} FINAL WHERE ${where}`);
  return Number(rows[0].n);
}

test('bad input is kept aside by reason and the good lines around it are all stored', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const good = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    const file = join(dir, 'mixed.log');
    const parts: Buffer[] = [];
    const add = (s: string | Buffer) => parts.push(typeof s === 'string' ? Buffer.from(s) : s);
    add(`${good.slice(0, 10).join('\n')}\n`);
    add(Buffer.from([0x00, 0x01, 0xff, 0x13, 0x37, 0x00, 0x0a]));            // binary garbage
    add('Mar  1 08:00:02 edge\n');                                              // truncated
    add('this is not a log line\n');                                            // unknown format
    add(Buffer.concat([Buffer.from('Mar  1 08:00:02 edge postfix/smtpd[9]: caf'), Buffer.from([0xe9, 0x20, 0xff]), Buffer.from('\n')])); // invalid UTF-8, unmodeled
    add(`Mar  1 07:00:00 edge postfix/qmgr[50]: 0AAAAAAAAA: removed\n`);           // two hours back in time
    add(`${'y'.repeat(3 << 20)}`);                                               // 3 MiB line…
    add('\n');                                                                    // …that does end
    add(`${good.slice(10).join('\n')}\n`);
    writeFileSync(file, Buffer.concat(parts));

    const s = await runIngest({ inputs: [file], store });
    assert.equal(s.rejected.binary, 1);
    assert.equal(s.rejected.truncated, 1);
    assert.equal(s.rejected['unknown-format'], 1);
    assert.equal(s.rejected['invalid-utf8'], 1);
    assert.equal(s.rejected['out-of-order'], 1);
    assert.equal(s.rejected['line-too-long'], 1);
    // every event of the clean fixture, plus the out-of-order `removed` that is still kept
    assert.equal(await count(store, 'events'), 19 + 1);
    assert.equal(await count(store, 'rejected'), 6);
    const rows = await store.query<{ reason: string; sourceOffset: string; lineNumber: string }>(`SELECT reason, sourceOffset, lineNumber FROM ${store.table('rejected')} FINAL ORDER BY sourceOffset`);
    const bytes = readFileSync(file);
    for (const r of rows) {
      // the stored offset points at the start of the rejected line
      const off = Number(r.sourceOffset);
      assert.ok(off === 0 || bytes[off - 1] === 0x0a, `${r.reason} offset ${off} is a line start`);
    }
  } finally {
    await cleanup();
  }
});

test('a 50 MB line without a newline is cut, reported, and ingestion goes on', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const file = join(dir, 'huge.log');
    copyFileSync(FIXTURE, file);
    appendFileSync(file, Buffer.alloc(50 << 20, 0x7a));
    const s = await runIngest({ inputs: [file], store });
    assert.equal(s.rejected['line-too-long'], 1);
    assert.equal(await count(store, 'events'), 19);
  } finally {
    await cleanup();
  }
});

test('re-ingesting the same file (even renamed, or forced) does not double any count', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    await runIngest({ inputs: [FIXTURE], store });
    const renamed = join(dir, 'rotated.log');
    copyFileSync(FIXTURE, renamed);
    const again = await runIngest({ inputs: [renamed], store });
    assert.equal(again.files, 0);
    assert.match(again.filesSkipped[0].why, /already ingested/);
    const forced = await runIngest({ inputs: [FIXTURE], store, force: true });
    assert.equal(forced.events, 19);
    assert.equal(await count(store, 'events'), 19);
  } finally {
    await cleanup();
  }
});

test('a file that grew is read on from its checkpoint', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    const file = join(dir, 'maillog');
    writeFileSync(file, `${lines.slice(0, 20).join('\n')}\n`);
    const first = await runIngest({ inputs: [file], store });
    appendFileSync(file, `${lines.slice(20).join('\n')}\n`);
    const second = await runIngest({ inputs: [file], store });
    assert.equal(second.lines, lines.length - 20);
    assert.ok(first.events + second.events >= 19);
    assert.equal(await count(store, 'events', "kind = 'delivery'"), 5);
  } finally {
    await cleanup();
  }
});

test('gzip-rotated logs are read; unreadable inputs are reported, not fatal', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const gz = join(dir, 'maillog.1.gz');
    writeFileSync(gz, gzipSync(readFileSync(FIXTURE)));
    const warnings: string[] = [];
    const s = await runIngest({ inputs: [gz, join(dir, 'missing.log')], store, onWarning: (w) => warnings.push(w) });
    assert.equal(s.events, 19);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /missing\.log/);
  } finally {
    await cleanup();
  }
});

test('a file in no known format is skipped whole with one rejection row', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const file = join(dir, 'random.bin');
    writeFileSync(file, Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256)));
    const s = await runIngest({ inputs: [file], store });
    assert.equal(s.files, 0);
    assert.equal(s.filesSkipped.length, 1);
    assert.equal(await count(store, 'rejected', "reason = 'unknown-format'"), 1);
  } finally {
    await cleanup();
  }
});

test('a line that is not UTF-8 but feeds an event later (a refusal held until the session ends) is that event, not also a rejection', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const file = join(dir, 'latin1.log');
    writeFileSync(file, Buffer.concat([
      Buffer.from('Mar  1 08:00:00 edge postfix/smtpd[77]: connect from mail.example.de[192.0.2.5]\n'),
      Buffer.from('Mar  1 08:00:01 edge postfix/smtpd[77]: NOQUEUE: reject: RCPT from mail.example.de[192.0.2.5]: 550 5.1.1 <x@example.test>: Recipient address rejected: User unknown; from=<j'),
      Buffer.from([0xf6]), Buffer.from('rg@example.de> to=<x@example.test> proto=ESMTP helo=<mail.example.de>\n'),
      Buffer.from('Mar  1 08:00:02 edge postfix/smtpd[77]: disconnect from mail.example.de[192.0.2.5] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4\n'),
    ]));
    const s = await runIngest({ inputs: [file], store });
    assert.equal(s.rejected['invalid-utf8'] ?? 0, 0, JSON.stringify(s.rejected));
    assert.equal(await count(store, 'events', "kind = 'reject'"), 1);
  } finally {
    await cleanup();
  }
});

