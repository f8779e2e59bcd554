import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writePostfixLog } from '../../bench/generate/postfix.ts';

/**
 * `mailtrace policy check` end to end: a log of the last half hour (the generator's hub relays to
 * the mailbox without TLS), a config file with an internal no-plaintext rule and a webhook on
 * loopback; the first check opens incidents and alerts once per incident, the second sends
 * nothing more. Run as a user runs it: the real command in a child process.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'mailtrace-policy-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
// asynchronous: the webhook answering the command lives in this process
const cli = (args: string[]): Promise<{ code: number | null; out: string; err: string }> => new Promise((resolve) => {
  const p = spawn(process.execPath, [join(ROOT, 'cli', 'bin.js'), ...args], { cwd: work, timeout: 120_000 });
  let out = '';
  let err = '';
  p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  p.on('close', (code) => resolve({ code, out, err }));
});

test('policy check alerts once per incident through the configured webhook, and not again while it goes on', { timeout: 180_000 }, async () => {
  const received: { incident: string; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push({ incident: String(req.headers['x-mailtrace-incident'] ?? ''), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  const port = (server.address() as AddressInfo).port;

  const log = join(work, 'maillog');
  await writePostfixLog(log, { messages: 60, seed: 11, start: new Date(Date.now() - 20 * 60_000), timestampStyle: 'iso', messagesPerSecond: 1 });
  const data = join(work, 'data');
  assert.equal((await cli(['ingest', log, '--data', data])).code, 0);
  const config = join(work, 'mailtrace.json');
  writeFileSync(config, JSON.stringify({
    policy: { windowMinutes: 120, rules: [{ name: 'internal-tls', kind: 'no-plaintext', internal: true, severity: 'critical' }] },
    alerts: { webhook: { url: `http://127.0.0.1:${port}/hook` } },
  }));

  const first = await cli(['policy', 'check', '--config', config, '--data', data]);
  assert.equal(first.code, 0, first.out + first.err);
  const opened = Number(/(\d+) incident\(s\) opened/.exec(first.out)?.[1]);
  assert.ok(opened >= 1, first.out);
  assert.equal(received.length, opened, 'one alert per incident');
  assert.equal(new Set(received.map((r) => r.body)).size, opened);
  assert.match(received[0].body, /internal-tls/);

  const second = await cli(['policy', 'check', '--config', config, '--data', data]);
  assert.equal(second.code, 0, second.out + second.err);
  assert.match(second.out, /0 incident\(s\) opened, 0 resolved, (\d+) ongoing/);
  assert.equal(received.length, opened, 'nothing more while the incidents go on');

  const bad = await cli(['policy', 'check', '--config', join(work, 'nope.json'), '--data', data]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /MT_ERR_BAD_CONFIG|config file/);
});
