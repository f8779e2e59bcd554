import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Trace } from '../../schemas/index.ts';
import { FIXTURES } from '../helpers/store.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'cli', 'bin.js');
const FIXTURE = join(FIXTURES, 'postfix', 'handmade-3hop.log');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--help tells every command and its options, and exits 0', () => {
  const main = cli(['--help']);
  assert.equal(main.code, 0);
  for (const c of ['ingest', 'serve', 'trace']) assert.match(main.out, new RegExp(`\\b${c}\\b`));
  for (const [c, opt] of [['ingest', '--format'], ['serve', '--port'], ['trace', '--json'], ['demo', 'sample']] as const) {
    const r = cli([c, '--help']);
    assert.equal(r.code, 0, c);
    assert.match(r.out, new RegExp(opt), c);
  }
});

test('usage errors exit 2 with a message', () => {
  assert.equal(cli(['frobnicate']).code, 2);
  const r = cli(['ingest']);
  assert.equal(r.code, 2);
  assert.match(r.err, /at least one file/);
  assert.equal(cli(['trace', '--nope', 'x']).code, 2);
});

test('ingest then trace --json gives the documented shape', () => {
  const data = join(work, 'd1');
  const ing = cli(['ingest', FIXTURE, '--data', data]);
  assert.equal(ing.code, 0, ing.err);
  assert.match(ing.out, /ingested 1 file\(s\): 28 lines, 19 events/);
  const tr = cli(['trace', 'm1@example.org', '--json', '--data', data]);
  assert.equal(tr.code, 0, tr.err);
  const trace = Trace.parse(JSON.parse(tr.out));
  const alice = trace.recipients.find((r) => r.address === 'alice@example.test');
  assert.deepEqual(alice?.hops.map((h) => [h.from, h.to, h.tls]), [['client.example.org', 'edge', 'encrypted'], ['edge', 'hub', 'encrypted'], ['hub', 'mailbox', 'plaintext']]);
  for (const h of alice?.hops ?? []) assert.ok(!Number.isNaN(Date.parse(h.start)) && !Number.isNaN(Date.parse(h.end)));
  const table = cli(['trace', '4A1B2C3D4E', '--data', data]);
  assert.equal(table.code, 0);
  assert.match(table.out, /hub → mailbox\s+PLAINTEXT/);
  const again = cli(['ingest', FIXTURE, '--data', data]);
  assert.match(again.out, /skipped .*already ingested/);
  assert.equal(again.code, 0);
});

test('trace of an unknown id and ingest of nothing readable exit 1 and say why', () => {
  const data = join(work, 'd2');
  const none = cli(['ingest', join(work, 'missing.log'), '--data', data]);
  assert.equal(none.code, 1);
  assert.match(none.err, /cannot read .*missing\.log/);
  assert.match(none.err, /nothing could be read/);
  const garbage = join(work, 'garbage.bin');
  writeFileSync(garbage, Buffer.alloc(4096, 0xff));
  const g = cli(['ingest', garbage, '--data', data]);
  assert.equal(g.code, 1);
  assert.match(g.err, /not a recognized format/);
  const tr = cli(['trace', 'nope@nowhere', '--data', data]);
  assert.equal(tr.code, 1);
  assert.match(tr.err, /no message <nope@nowhere>/);
});

test('a broken input among good ones: ingest goes on, names it (MT_ERR_BAD_INPUT) and exits 3', () => {
  const data = join(work, 'd-bad');
  const gz = join(work, 'cut.log.gz');
  const full = gzipSync(readFileSync(FIXTURE));
  writeFileSync(gz, full.subarray(0, full.length - 20));
  const r = cli(['ingest', gz, FIXTURE, '--data', data]);
  assert.equal(r.code, 3, r.err);
  assert.match(r.err, /MT_ERR_BAD_INPUT .*cut\.log\.gz: truncated compressed data/);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  assert.match(r.out, /1 input\(s\) could not be read to their end \[MT_ERR_BAD_INPUT\]/);
  assert.match(r.out, /ingested 1 file\(s\): 28 lines/, 'the good file after it was read whole');
});

test('serve refuses a non-loopback address without a token', () => {
  const r = cli(['serve', '--host', '0.0.0.0', '--data', join(work, 'd3')], { MAILTRACE_TOKEN: '' });
  assert.equal(r.code, 2);
  assert.match(r.err, /without a token/);
});

test('a bad environment variable stops every command before it opens the store or listens (exit 2, the variable named)', () => {
  const data = join(work, 'd-env');
  for (const args of [['serve', '--port', '0'], ['ingest', FIXTURE], ['trace', 'x']]) {
    const r = cli([...args, '--data', data], { MAILTRACE_TZ_OFFSET: 'abc' });
    assert.equal(r.code, 2, `${args[0]}: ${r.err}`);
    assert.match(r.err, /MAILTRACE_TZ_OFFSET="abc": must be whole minutes east of UTC/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
  assert.ok(!existsSync(data), 'nothing was created');
});

test('serve that cannot listen says why, exits, and leaves no owner note and no locked store', async () => {
  const data = join(work, 'd-busy');
  const blocker = createServer();
  await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const r = cli(['serve', '--port', String(port), '--data', data]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
    assert.ok(!existsSync(join(data, '.mailtrace-serve.json')), 'no owner note left behind');
    // the store was closed: a direct ingest opens it at once
    const ing = cli(['ingest', FIXTURE, '--data', data]);
    assert.equal(ing.code, 0, ing.err);
  } finally {
    blocker.close();
  }
});

test('while serve owns the data directory, ingest and trace go through it', async () => {
  const data = join(work, 'd4');
  const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const deadline = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/\S+?)\/?\n/.exec(out);
        if (m) {
          clearTimeout(deadline);
          resolve(m[1]);
        }
      });
      server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const ing = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, [BIN, 'ingest', FIXTURE, '--data', data], { cwd: work });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      p.stderr.on('data', (d: Buffer) => (err += d));
      p.on('exit', (code) => resolve({ code, out, err }));
    });
    assert.equal(ing.code, 0, ing.err);
    assert.match(ing.err, /ingesting through http/);
    assert.doesNotMatch(ing.err, /Cannot lock/);
    assert.match(ing.out, /ingested 1 file\(s\): 28 lines, 19 events/);
    // the bytes went up into the server's spool, which is empty again once ingested
    assert.deepEqual(existsSync(join(data, '.spool')) ? readdirSync(join(data, '.spool')) : [], []);
    const tr = await new Promise<string>((resolve) => {
      const p = spawn(process.execPath, [BIN, 'trace', 'm1@example.org', '--json', '--data', data], { cwd: work });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      p.on('exit', () => resolve(out));
    });
    assert.equal(Trace.parse(JSON.parse(tr)).recipients.length, 2);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
});
