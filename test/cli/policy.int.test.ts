import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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

/** what the webhook on loopback (one for both tests) received */
const received: { incident: string; notice: string; body: string }[] = [];
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c: Buffer) => { body += c.toString(); });
  req.on('end', () => {
    received.push({ incident: String(req.headers['x-mailtrace-incident'] ?? ''), notice: String(req.headers['x-mailtrace-notice'] ?? ''), body });
    res.writeHead(204).end();
  });
});
let port = 0;
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());
const data = join(work, 'data');
let ingested = false;

test('policy check alerts once per incident through the configured webhook, and not again while it goes on', { timeout: 180_000 }, async () => {
  const log = join(work, 'maillog');
  await writePostfixLog(log, { messages: 60, seed: 11, start: new Date(Date.now() - 20 * 60_000), timestampStyle: 'iso', messagesPerSecond: 1 });
  assert.equal((await cli(['ingest', log, '--data', data])).code, 0);
  ingested = true;
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

test('a broad rule grouped by receiving server opens one incident; past alerts.maxPerCheck the rest go out as one digest', { timeout: 180_000 }, async () => {
  assert.ok(ingested, 'runs after the first test (its log)');
  const n0 = received.length;
  const config = join(work, 'grouped.json');
  writeFileSync(config, JSON.stringify({
    policy: { windowMinutes: 120, rules: [
      { name: 'inbound-grouped', kind: 'no-plaintext', internal: false, to: ['edge'], groupBy: 'to', severity: 'critical' },
      { name: 'inbound-per-route', kind: 'no-plaintext', internal: false, to: ['edge'] },
    ] },
    alerts: { maxPerCheck: 1, webhook: { url: `http://127.0.0.1:${port}/hook` } },
  }));
  const first = await cli(['policy', 'check', '--config', config, '--data', data]);
  assert.equal(first.code, 0, first.out + first.err);
  const grouped = /opened +(inbound-grouped\/to:edge@\S+): (\d+) hand-off\(s\) on \* -> edge \((\d+) routes?\)/.exec(first.out);
  assert.ok(grouped, first.out);
  const routes = Number(grouped[3]);
  const perRoute = first.out.match(/opened +inbound-per-route:/g)?.length ?? 0;
  assert.equal(perRoute, routes, 'per route: one incident per outside client; grouped: one for all of them');
  assert.ok(routes >= 2, `the generated log has several plaintext outside clients (${routes})`);
  const mine = received.slice(n0);
  assert.deepEqual(mine.map((r) => r.notice), ['opened', 'digest'], 'the critical grouped alert, then one digest');
  assert.equal(mine[0].incident, grouped[1]);
  assert.equal(JSON.parse(mine[1].body).heldBack, routes);
  assert.match(first.out, new RegExp(`held +${routes} notice\\(s\\) past alerts\\.maxPerCheck`));
  assert.match(first.out, new RegExp(`sent +digest of ${routes} to webhook: HTTP 204`));
  assert.match(first.err, /"heldBack":\d+/, 'and pino logs them on stderr');

  const second = await cli(['policy', 'check', '--config', config, '--data', data]);
  assert.equal(second.code, 0, second.out + second.err);
  assert.equal(received.length, n0 + 2, 'nothing more while they go on');
});
