import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { blankEvent, MailtraceError, type MailEvent } from '../../schemas/index.ts';
import { Store } from '../../store/index.ts';
import { tempStore } from '../helpers/store.ts';

function ev(id: string, over: Partial<MailEvent> = {}): MailEvent {
  return { ...blankEvent(), id, ts: '2026-03-01T08:00:00.123Z', host: 'edge', kind: 'delivery', ...over };
}

test('events round-trip through the embedded engine with awkward text intact', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const reply = 'tab\there, newline\nthere, back\\slash, quote \' and "';
    await store.insertEvents([ev('a', { messageId: '<m@x>', reply, recipient: 'ü@example.test', delay: 1.5 })]);
    const rows = await store.query<{ reply: string; recipient: string; ts: string; delay: number }>(
      `SELECT reply, recipient, toString(ts) AS ts, delay FROM ${store.table('events')} WHERE messageId = {m:String}`, { m: '<m@x>' });
    assert.deepEqual(rows, [{ reply, recipient: 'ü@example.test', ts: '2026-03-01 08:00:00.123', delay: 1.5 }]);
  } finally {
    await cleanup();
  }
});

test('parameters are never spliced: an injection attempt is just a value', async () => {
  const { store, cleanup } = await tempStore();
  try {
    await store.insertEvents([ev('a', { messageId: '<m@x>' })]);
    const rows = await store.query(`SELECT count() AS n FROM ${store.table('events')} WHERE messageId = {m:String}`, { m: "' OR 1=1 --" });
    assert.deepEqual(rows, [{ n: 0 }]);
  } finally {
    await cleanup();
  }
});

test('the same event stored twice counts once (FINAL collapses by id)', async () => {
  const { store, cleanup } = await tempStore();
  try {
    await store.insertEvents([ev('dup', { messageId: '<m@x>' })]);
    await store.insertEvents([ev('dup', { messageId: '<m@x>' })]);
    const rows = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.table('events')} FINAL`);
    assert.equal(Number(rows[0].n), 1);
  } finally {
    await cleanup();
  }
});

test('close and reopen keeps the data; the schema is applied idempotently', async () => {
  const { store, dir, cleanup } = await tempStore();
  await store.insertEvents([ev('x1'), ev('x2')]);
  await store.setCheckpoint({ fingerprint: 'fp', path: '/a', offset: 10, lines: 1 });
  await store.setCheckpoint({ fingerprint: 'fp', path: '/a', offset: 20, lines: 2 });
  await store.close();
  const again = await Store.open({ kind: 'embedded', dataDir: join(dir, 'data') });
  try {
    const rows = await again.query<{ n: number }>(`SELECT count() AS n FROM ${again.table('events')}`);
    assert.equal(Number(rows[0].n), 2);
    assert.deepEqual(await again.getCheckpoint('fp'), { fingerprint: 'fp', path: '/a', offset: 20, lines: 2 });
  } finally {
    await again.close();
    await cleanup();
  }
});

test('a second process on the same data directory gets a clear lock error, not the engine text', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const script = `import { Store } from './store/index.ts';
      try { await Store.open({ kind: 'embedded', dataDir: ${JSON.stringify(join(dir, 'data'))} }); console.log('OPENED'); }
      catch (e) { console.log(e.code + ' ' + e.message); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
    assert.match(r.stdout, /^MT_ERR_STORE_LOCKED .*in use by another mailtrace process/m, r.stdout + r.stderr);
  } finally {
    await cleanup();
  }
  assert.ok(store);
});

test('a query past its time limit is reported as a timeout', async () => {
  const { store, cleanup } = await tempStore();
  try {
    await assert.rejects(store.query('SELECT count() FROM numbers(20000000000)', {}, 50), (e: unknown) => e instanceof MailtraceError && e.code === 'MT_ERR_QUERY_TIMEOUT');
  } finally {
    await cleanup();
  }
});
