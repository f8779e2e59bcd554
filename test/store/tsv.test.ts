import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blankEvent, EVENT_COLUMNS } from '../../schemas/index.ts';
import { eventToTsv, TsvChunker } from '../../store/tsv.ts';

test('eventToTsv writes every column in order, escaping what TSV cannot hold', () => {
  const row = eventToTsv({ ...blankEvent(), id: 'a\tb', ts: '2026-03-01T08:00:00.123Z', host: 'h', kind: 'message', reply: 'x\\y\nz', delay: 1.5, size: Number.NaN });
  const cols = row.split('\t');
  assert.equal(cols.length, EVENT_COLUMNS.length);
  assert.equal(cols[EVENT_COLUMNS.indexOf('id')], 'a\\tb');
  assert.equal(cols[EVENT_COLUMNS.indexOf('ts')], '2026-03-01 08:00:00.123');
  assert.equal(cols[EVENT_COLUMNS.indexOf('reply')], 'x\\\\y\\nz');
  assert.equal(cols[EVENT_COLUMNS.indexOf('delay')], '1.5');
  assert.equal(cols[EVENT_COLUMNS.indexOf('size')], '0', 'non-finite numbers become 0');
});

test('numbers a column cannot hold are clamped, so one odd line cannot fail a batch', () => {
  const row = eventToTsv({ ...blankEvent(), id: 'x', ts: '2026-03-01T08:00:00.000Z', host: 'h', kind: 'delivery', relayPort: 99999, pid: -5, cipherBits: 256.7, nrcpt: 5e12 });
  const cols = row.split('\t');
  assert.equal(cols[EVENT_COLUMNS.indexOf('relayPort')], '65535');
  assert.equal(cols[EVENT_COLUMNS.indexOf('pid')], '0');
  assert.equal(cols[EVENT_COLUMNS.indexOf('cipherBits')], '256');
  assert.equal(cols[EVENT_COLUMNS.indexOf('nrcpt')], '4294967295');
});

test('TsvChunker packs rows into chunks without splitting or losing one', () => {
  const c = new TsvChunker(64);
  const rows = Array.from({ length: 50 }, (_, i) => `row-${i}-${'é'.repeat(i % 7)}`);
  const chunks: Buffer[] = [];
  for (const r of rows) {
    const full = c.add(r);
    if (full) chunks.push(full);
  }
  // a row larger than the chunk size gets a chunk of its own size
  const big = 'x'.repeat(500);
  const full = c.add(big);
  if (full) chunks.push(full);
  assert.equal(c.pendingRows, 1);
  chunks.push(c.take()!);
  assert.equal(c.take(), undefined, 'nothing left after take');
  assert.ok(chunks.length > 3);
  for (const ch of chunks) assert.equal(ch[ch.length - 1], 10, 'every chunk ends at a row boundary');
  assert.deepEqual(Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1), [...rows, big]);
});
