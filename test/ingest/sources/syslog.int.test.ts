import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { after, test } from 'node:test';
import { writePostfixLog } from '../../../bench/generate/postfix.ts';
import { parseListen } from '../../../ingest/index.ts';
import { Store } from '../../../store/index.ts';
import { requireComponent } from '../../helpers/component.ts';
import { assertSame, snapshot } from '../../helpers/snapshot.ts';

/**
 * `mailtrace syslog`: three mail servers forward their logs — one over UDP in RFC 3164, one over
 * TCP with octet counting in RFC 5424 (RFC 6587 §3.4.1), one over TLS with line framing — and the
 * util-linux `logger` sends two more in both formats. The store ends as an ingest of the same
 * lines from a file leaves it, plus logger's two.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'mailtrace-syslog-'));
after(() => rmSync(work, { recursive: true, force: true }));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mar  1 08:00:00 hub postfix/smtpd[42]: text` → RFC 5424 with the same time (UTC) */
function rfc5424(line: string, year: number): string {
  const m = /^(\w{3}) +(\d+) (\d\d:\d\d:\d\d) (\S+) ([^[\s]+)\[(\d+)\]: (.*)$/.exec(line)!;
  const iso = `${year}-${String(MONTHS.indexOf(m[1]) + 1).padStart(2, '0')}-${m[2].padStart(2, '0')}T${m[3]}Z`;
  return `<22>1 ${iso} ${m[4]} ${m[5]} ${m[6]} - - ${m[7]}`;
}

function available(): { ok: true } | { ok: false; why: string } {
  if (spawnSync('logger', ['--help']).status !== 0) return { ok: false, why: 'logger is missing (Debian package bsdutils)' };
  if (spawnSync('openssl', ['version']).status !== 0) return { ok: false, why: 'openssl is missing' };
  return { ok: true };
}

test('--listen takes udp, tcp and tls addresses and refuses anything else', () => {
  assert.deepEqual(parseListen('udp://0.0.0.0:5514, tcp://[::1]:6514'), [{ proto: 'udp', host: '0.0.0.0', port: 5514 }, { proto: 'tcp', host: '::1', port: 6514 }]);
  assert.throws(() => parseListen('http://x:1'), /udp:\/\/HOST:PORT/);
  assert.throws(() => parseListen('udp://x:70000'), /udp:\/\/HOST:PORT/);
});

test('forwarded syslog over UDP, TCP and TLS (and logger): the store a file ingest of the same lines makes', async (t) => {
  if (!requireComponent(t, available())) return;
  const log = join(work, 'maillog');
  await writePostfixLog(log, { messages: 300, seed: 13 });
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const ref = spawnSync(process.execPath, [BIN, 'ingest', log, '--data', join(work, 'ref')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(ref.status, 0, ref.stderr);
  const key = join(work, 'key.pem');
  const cert = join(work, 'cert.pem');
  const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '1'], { encoding: 'utf8' });
  assert.equal(ssl.status, 0, ssl.stderr);

  const data = join(work, 'syslog-data');
  const spool = join(work, 'spool');
  const p: ChildProcess = spawn(process.execPath, [BIN, 'syslog', '--listen', 'udp://127.0.0.1:0,tcp://127.0.0.1:0,tls://127.0.0.1:0', '--tls-cert', cert, '--tls-key', key, '--spool', spool, '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let cycles = 0;
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d: Buffer) => { out += d; cycles += (d.toString().match(/^mailtrace: \+/gm) ?? []).length; });
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!/listening on/.test(out) && Date.now() < deadline) await delay(100);
  const port = (proto: string) => Number(new RegExp(`${proto}://127\\.0\\.0\\.1:(\\d+)`).exec(out)?.[1]);
  assert.ok(port('udp') && port('tcp') && port('tls'), out);

  const now = new Date();
  const year = now.getUTCMonth() < 2 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
  const of = (host: string) => lines.filter((l) => l.split(/\s+/)[3] === host);
  assert.ok(of('edge').length > 100 && of('hub').length > 100 && of('mailbox').length > 100);
  // edge: UDP, RFC 3164, paced so that the loopback socket buffer never overflows
  const udp = createSocket('udp4');
  for (const [i, l] of of('edge').entries()) {
    await new Promise<void>((r, j) => udp.send(`<22>${l}`, port('udp'), '127.0.0.1', (e) => (e ? j(e) : r())));
    if (i % 100 === 99) await delay(20);
  }
  udp.close();
  // hub: TCP, RFC 5424, octet-counted frames written in pieces that cut frames in two
  const tcp = tcpConnect(port('tcp'), '127.0.0.1');
  await new Promise((r) => tcp.once('connect', r));
  const framed = Buffer.from(of('hub').map((l) => { const m = rfc5424(l, year); return `${Buffer.byteLength(m)} ${m}`; }).join(''));
  for (let i = 0; i < framed.length; i += 777) tcp.write(framed.subarray(i, i + 777));
  await new Promise<void>((r) => tcp.end(() => r()));
  // mailbox: TLS, RFC 3164, one message per line
  const tls = tlsConnect({ port: port('tls'), host: '127.0.0.1', rejectUnauthorized: false });
  await new Promise((r) => tls.once('secureConnect', r));
  await new Promise<void>((r) => tls.end(of('mailbox').map((l) => `<22>${l}\n`).join(''), () => r()));
  // and the real logger, once in each format
  const lg1 = spawnSync('logger', ['--udp', '--server', '127.0.0.1', '--port', String(port('udp')), '--rfc3164', '-t', 'postfix/smtpd', '--id=4242',
    'NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <nobody@relay.test>: Relay access denied; from=<a@example.org> to=<nobody@relay.test> proto=ESMTP helo=<x>'], { encoding: 'utf8' });
  assert.equal(lg1.status, 0, lg1.stderr);
  const lg2 = spawnSync('logger', ['--tcp', '--octet-count', '--server', '127.0.0.1', '--port', String(port('tcp')), '--rfc5424', '-t', 'postfix/smtpd', '--id=4343',
    'NOQUEUE: reject: RCPT from unknown[192.0.2.2]: 554 5.7.1 <nobody@relay.test>: Relay access denied; from=<b@example.org> to=<nobody@relay.test> proto=ESMTP helo=<y>'], { encoding: 'utf8' });
  assert.equal(lg2.status, 0, lg2.stderr);

  // every message in the spool, then a quiet follower
  const total = lines.length + 2;
  const spooled = () => readdirSync(spool).reduce((n, f) => n + readFileSync(join(spool, f), 'utf8').split('\n').filter(Boolean).length, 0);
  while (spooled() < total && Date.now() < deadline) await delay(100);
  assert.equal(spooled(), total, 'every message reached the spool');
  let last = cycles;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 3_000 && Date.now() < deadline) {
    await delay(100);
    if (cycles !== last) { last = cycles; quietSince = Date.now(); }
  }
  p.kill('SIGTERM');
  assert.equal(await exited, 0, out);
  assert.match(out, new RegExp(`${total} messages received`));

  const got = await snapshot(data);
  const want = await snapshot(join(work, 'ref'));
  assertSame(got, want, 'syslog vs file', ['hops']);
  const ids = (rows: string[]) => rows.map((r) => (JSON.parse(r) as { id: string }).id);
  const have = new Set(ids(got.events));
  const missing = ids(want.events).filter((id) => !have.has(id));
  assert.deepEqual(missing, [], 'every line of the file is an event from syslog too');
  const store = await Store.open({ kind: 'embedded', dataDir: data });
  try {
    const rejects = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.table('events')} FINAL WHERE kind = 'reject' AND recipient = 'nobody@relay.test'`);
    assert.equal(Number(rejects[0].n), 2, "logger's two messages, one per format");
  } finally {
    await store.close();
  }
});

test('a syslog receiver killed with SIGKILL and started again: every message that reached the spool is stored once', async (t) => {
  if (!requireComponent(t, available())) return;
  const log = join(work, 'maillog-kill');
  await writePostfixLog(log, { messages: 300, seed: 17 });
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const data = join(work, 'kill-data');
  const spool = join(work, 'kill-spool');
  let out = '';
  let cycles = 0;
  const start = () => {
    const p: ChildProcess = spawn(process.execPath, [BIN, 'syslog', '--listen', 'tcp://127.0.0.1:0', '--spool', spool, '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d: Buffer) => { out += d; cycles += (d.toString().match(/^mailtrace: \+/gm) ?? []).length; });
    return { p, exited: new Promise<number | null>((r) => p.once('exit', (code) => r(code))) };
  };
  const port = async () => {
    const deadline = Date.now() + 60_000;
    let m: RegExpExecArray | null = null;
    while (!(m = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out)) && Date.now() < deadline) await delay(100);
    assert.ok(m, out);
    return Number(m[1]);
  };
  const spooled = () => readdirSync(spool).reduce((n, f) => n + readFileSync(join(spool, f), 'utf8').split('\n').filter(Boolean).length, 0);
  const send = async (p: number, part: string[]) => {
    const c = tcpConnect(p, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    await new Promise<void>((r) => c.end(part.map((l) => `<22>${l}\n`).join(''), () => r()));
  };
  const half = Math.floor(lines.length / 2);
  let r = start();
  await send(await port(), lines.slice(0, half));
  const deadline = Date.now() + 60_000;
  while (spooled() < half && Date.now() < deadline) await delay(20);
  assert.equal(spooled(), half);
  // killed as soon as the spool holds the first half: the follower is likely in the middle of reading it
  r.p.kill('SIGKILL');
  await r.exited;
  out = '';
  r = start();
  await send(await port(), lines.slice(half));
  while (spooled() < lines.length && Date.now() < deadline + 60_000) await delay(50);
  let last = cycles;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 3_000) {
    await delay(100);
    if (cycles !== last) { last = cycles; quietSince = Date.now(); }
  }
  r.p.kill('SIGTERM');
  assert.equal(await r.exited, 0, out);
  // the reference: the same lines from a file
  const ref = spawnSync(process.execPath, [BIN, 'ingest', log, '--data', join(work, 'kill-ref')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(ref.status, 0, ref.stderr);
  const got = await snapshot(data);
  const want = await snapshot(join(work, 'kill-ref'));
  const ids = (rows: string[]) => rows.map((row) => (JSON.parse(row) as { id: string }).id).sort();
  assert.deepEqual(ids(got.events), ids(want.events), 'every line an event, once');
  assertSame(got, want, 'syslog across a SIGKILL vs file', ['hops']);
});
