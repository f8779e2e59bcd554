import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { blankEvent, EVENT_COLUMNS, type MailEvent } from '../../schemas/index.ts';
import { eventBlockWriter, NativeBlockWriter } from '../../store/index.ts';
import { tempStore } from '../helpers/store.ts';

/**
 * Events reach the engine as Native blocks written by store/native.ts. The layout is the engine's
 * own (what `FORMAT Native` writes); these tests hand the bytes to the real embedded engine and
 * read every column kind back, so a layout mistake fails here and not in a user's store.
 */

function ev(id: string, over: Partial<MailEvent> = {}): MailEvent {
  return { ...blankEvent(), id, ts: '2026-03-01T08:00:00.123Z', host: 'edge', kind: 'delivery', ...over };
}

test('a block names its columns and rows, and take() starts the next one', () => {
  const w = new NativeBlockWriter<Record<string, unknown>>([['a', 'String'], ['n', 'UInt16']], 3);
  assert.equal(w.add({ a: 'x', n: 1 }), undefined);
  assert.equal(w.pendingRows, 1);
  assert.equal(w.add({ a: 'y', n: 2 }), undefined);
  const full = w.add({ a: 'z', n: 3 });
  assert.ok(full, 'the third row fills the block');
  assert.equal(w.pendingRows, 0);
  // columns 2, rows 3, "a" "String" x y z, "n" "UInt16" 1 2 3
  assert.deepEqual([...full], [2, 3, 1, 97, 6, ...Buffer.from('String'), 1, 120, 1, 121, 1, 122, 1, 110, 6, ...Buffer.from('UInt16'), 1, 0, 2, 0, 3, 0]);
  assert.equal(w.take(), undefined, 'nothing pending');
  assert.throws(() => new NativeBlockWriter([['x', 'Decimal(9,2)']]), /no Native encoding/);
});

test('every column kind round-trips through the engine: long and multi-byte text, arrays, clamped numbers, times', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const long = `${'ü'.repeat(60)}\t${'x'.repeat(300)}`; // > 127 bytes: a two-byte length
    const reply = 'tab\there, newline\nthere, back\\slash, quote \' and "';
    const border = 'é'.repeat(42); // 42 units, 84 bytes: the one-byte length path at its edge
    await store.insertEvents([
      ev('a', { messageId: '<a@x>', reply, recipient: 'ü@example.test', delay: 1.5, certSubject: long, certIssuer: border, protection: ['smime-signed', 'irm'], size: 2 ** 40, relayPort: 99999, pid: -5, cipherBits: 256.7, nrcpt: 5e12 }),
      ev('b', { messageId: '<b@x>', ts: '2026-03-01T23:59:59.999Z', delay: Number.NaN, size: Number.POSITIVE_INFINITY, protection: [] }),
    ]);
    const rows = await store.query<Record<string, unknown>>(
      `SELECT id, toString(ts) AS ts, reply, recipient, delay, certSubject, certIssuer, protection, toString(size) AS size, relayPort, pid, cipherBits, nrcpt FROM ${store.table('events')} ORDER BY id`);
    assert.deepEqual(rows[0], { id: 'a', ts: '2026-03-01 08:00:00.123', reply, recipient: 'ü@example.test', delay: 1.5, certSubject: long, certIssuer: border, protection: ['smime-signed', 'irm'], size: String(2 ** 40), relayPort: 65535, pid: 0, cipherBits: 256, nrcpt: 4294967295 });
    assert.deepEqual(rows[1], { id: 'b', ts: '2026-03-01 23:59:59.999', reply: '', recipient: '', delay: 0, certSubject: '', certIssuer: '', protection: [], size: '0', relayPort: 0, pid: 0, cipherBits: 0, nrcpt: 0 });
  } finally {
    await cleanup();
  }
});

test('arbitrary text in every string column survives, across block boundaries (fast-check)', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const stringColumns = EVENT_COLUMNS.filter((c) => typeof (blankEvent() as Record<string, unknown>)[c] === 'string' && !['ts', 'kind', 'status', 'tls', 'tlsTrust'].includes(c));
    const samples = fc.sample(fc.tuple(fc.constantFrom(...stringColumns), fc.string({ unit: 'binary', maxLength: 200 })), { numRuns: 400, seed: 7 });
    const events = samples.map(([col, value], i) => ev(`e${String(i).padStart(4, '0')}`, { [col]: value } as Partial<MailEvent>));
    // small blocks: the rows cross many block boundaries in one insert
    const w = eventBlockWriter(37);
    const blocks: Buffer[] = [];
    for (const e of events) {
      const b = w.add(e);
      if (b) blocks.push(b);
    }
    blocks.push(w.take()!);
    await store.insertEventBlocks(blocks);
    const rows = await store.query<Record<string, string>>(`SELECT id, ${stringColumns.map((c) => `\`${c}\``).join(', ')} FROM ${store.table('events')} ORDER BY id`);
    assert.equal(rows.length, events.length);
    samples.forEach(([col, value], i) => assert.equal(rows[i][col], events[i][col as keyof MailEvent] === undefined ? '' : value, `${col} of row ${i}`));
  } finally {
    await cleanup();
  }
});
