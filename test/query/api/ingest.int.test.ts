import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { buildApp } from '../../../query/index.ts';
import type { Store } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/**
 * The server opens no path a client names: `mailtrace ingest` uploads bytes into the server's own
 * spool, and one run ingests a session's files under the client's names for them.
 */
let store: Store;
let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  const t = await tempStore();
  ({ store, dir, cleanup } = t);
});
after(async () => cleanup());

const SESSION = 'a'.repeat(32);
const LOG = join(FIXTURES, 'postfix', 'handmade-3hop.log');

async function appWith(runs: { path: string; name: string }[][], limits = {}) {
  const spoolDir = join(dir, 'spool');
  const app = await buildApp({
    store,
    ingest: {
      spoolDir,
      limits,
      run: async (files) => {
        runs.push(files);
        return runIngest({ inputs: files, store });
      },
    },
  });
  return { app, spoolDir };
}

test('a body naming server paths is refused and nothing is read (/etc/passwd, -, a directory)', async () => {
  const runs: { path: string; name: string }[][] = [];
  const { app } = await appWith(runs);
  try {
    for (const paths of [['/etc/passwd'], ['-'], ['/var/log']]) {
      const res = await app.inject({ method: 'POST', url: '/api/ingest', payload: { paths } });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'MT_ERR_BAD_INPUT');
      assert.match(res.json().error.message, /does not open paths a client names/);
    }
    assert.deepEqual(runs, [], 'the ingest never ran');
    const [r] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table('events')} WHERE sourceFile LIKE '/etc/%'`);
    assert.equal(Number(r.n), 0);
  } finally {
    await app.close();
  }
});

test('uploaded files are ingested in one run under the client\'s names, and the spool is emptied', async () => {
  const runs: { path: string; name: string }[][] = [];
  const { app, spoolDir } = await appWith(runs);
  try {
    const bytes = readFileSync(LOG);
    const name = '/home/ops/logs/edge/mail.log';
    const up = await app.inject({
      method: 'POST', url: '/api/ingest/files', payload: bytes,
      headers: { 'content-type': 'application/octet-stream', 'x-mailtrace-session': SESSION, 'x-mailtrace-file': encodeURIComponent(name), 'x-mailtrace-mtime': String(Date.UTC(2026, 5, 30)) },
    });
    assert.equal(up.statusCode, 200, up.body);
    assert.deepEqual(up.json(), { file: name, files: 1, bytes: bytes.length });
    const fin = await app.inject({ method: 'POST', url: '/api/ingest', payload: { session: SESSION } });
    assert.equal(fin.statusCode, 200, fin.body);
    assert.equal(fin.json().events, 19);
    assert.equal(runs.length, 1);
    assert.equal(runs[0][0].name, name);
    assert.ok(runs[0][0].path.startsWith(spoolDir), 'read from the server\'s own spool');
    const [r] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.table('events')} WHERE sourceFile = {f:String}`, { f: name });
    assert.equal(Number(r.n), 19, 'events carry the client\'s name for the file');
    assert.ok(!existsSync(spoolDir) || readdirSync(spoolDir).length === 0, 'spool emptied');
    // the session is gone once ingested
    const again = await app.inject({ method: 'POST', url: '/api/ingest', payload: { session: SESSION } });
    assert.equal(again.statusCode, 404);
  } finally {
    await app.close();
  }
});

test('limits: a file past the size limit, a bad session id, a name with a NUL, too many sessions', async () => {
  const runs: { path: string; name: string }[][] = [];
  const { app, spoolDir } = await appWith(runs, { maxFileBytes: 100, maxSessions: 1 });
  const headers = (session: string, name: string) => ({ 'content-type': 'application/octet-stream', 'x-mailtrace-session': session, 'x-mailtrace-file': encodeURIComponent(name) });
  try {
    const big = await app.inject({ method: 'POST', url: '/api/ingest/files', payload: Buffer.alloc(1000, 0x41), headers: headers(SESSION, 'big.log') });
    assert.equal(big.statusCode, 400, big.body);
    assert.match(big.json().error.message, /larger than the server accepts/);
    const badId = await app.inject({ method: 'POST', url: '/api/ingest/files', payload: Buffer.from('x'), headers: headers('../../etc', 'a.log') });
    assert.equal(badId.statusCode, 400);
    const nul = await app.inject({ method: 'POST', url: '/api/ingest/files', payload: Buffer.from('x'), headers: headers(SESSION, 'a\0b') });
    assert.equal(nul.statusCode, 400);
    const other = await app.inject({ method: 'POST', url: '/api/ingest/files', payload: Buffer.from('x'), headers: headers('b'.repeat(32), 'a.log') });
    assert.equal(other.statusCode, 503, 'one session open already (the first upload opened it)');
    assert.equal(other.json().error.code, 'MT_ERR_QUERY_BUSY');
    // a client's directories never reach the spool: only the file's own name is kept
    const sneaky = await app.inject({ method: 'POST', url: '/api/ingest/files', payload: Buffer.from('x\n'), headers: headers(SESSION, '../../../../tmp/evil.log') });
    assert.equal(sneaky.statusCode, 200, sneaky.body);
    const spooled = readdirSync(spoolDir, { recursive: true }).map(String);
    assert.ok(spooled.every((p) => !p.includes('..')), spooled.join(' '));
    assert.ok(!existsSync('/tmp/evil.log'));
    assert.deepEqual(runs, []);
  } finally {
    await app.close();
  }
  assert.ok(!existsSync(spoolDir) || readdirSync(spoolDir).length === 0, 'closing the server deletes open sessions');
});

test('uploads side by side: two first uploads make one session, same names get their own files, the session limit holds, and a long run keeps its files past the idle timeout', async () => {
  const runs: { path: string; name: string; text: string }[][] = [];
  const spoolDir = join(dir, 'spool2');
  let seenAtEnd: boolean[] = [];
  const app = await buildApp({
    store,
    ingest: {
      spoolDir,
      limits: { maxSessionBytes: 1000, sessionIdleMs: 50 },
      run: async (files) => {
        runs.push(files.map((f) => ({ ...f, text: readFileSync(f.path, 'utf8') })));
        await new Promise((r) => setTimeout(r, 300));  // longer than the idle timeout
        seenAtEnd = files.map((f) => existsSync(f.path));
        return { files: files.length };
      },
    },
  });
  const up = (session: string, name: string, body: Buffer) => app.inject({
    method: 'POST', url: '/api/ingest/files', payload: body,
    headers: { 'content-type': 'application/octet-stream', 'x-mailtrace-session': session, 'x-mailtrace-file': encodeURIComponent(name) },
  });
  try {
    const [a, b] = await Promise.all([up(SESSION, '/a/mail.log', Buffer.from('AAAA\n')), up(SESSION, '/b/mail.log', Buffer.from('BB\n'))]);
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(b.statusCode, 200, b.body);
    // two 600-byte uploads at once into a session that takes 1000: one of them is refused
    const other = 'c'.repeat(32);
    const [x, y] = await Promise.all([up(other, 'x.log', Buffer.alloc(600, 0x41)), up(other, 'y.log', Buffer.alloc(600, 0x42))]);
    assert.deepEqual([x.statusCode, y.statusCode].sort(), [200, 400], `${x.body} ${y.body}`);
    const fin = await app.inject({ method: 'POST', url: '/api/ingest', payload: { session: SESSION } });
    assert.equal(fin.statusCode, 200, fin.body);
    assert.deepEqual(runs[0].map((f) => `${f.name}=${f.text}`).sort(), ['/a/mail.log=AAAA\n', '/b/mail.log=BB\n'], 'one session, each file whole in a file of its own');
    assert.deepEqual(seenAtEnd, [true, true], 'the idle timeout did not delete files under a running ingest');
  } finally {
    await app.close();
  }
});
