import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PostfixParser } from '../../../../ingest/index.ts';
import type { MailEvent } from '../../../../schemas/index.ts';
import { FIXTURES } from '../../../helpers/store.ts';

/** Real Postfix 3.7.11 logs at TLS log level 2 (test/fixtures/postfix/tls-loglevel2/README.md). */
const DIR = join(FIXTURES, 'postfix', 'tls-loglevel2');

function parse(host: 'edge' | 'hub'): { events: MailEvent[]; rejected: string[] } {
  const parser = new PostfixParser({ referenceMs: Date.UTC(2026, 11, 2) });
  const events: MailEvent[] = [];
  const rejected: string[] = [];
  const sink = { event: (e: MailEvent) => events.push(e), reject: (reason: string) => rejected.push(reason), skipped: () => {} };
  readFileSync(join(DIR, `${host}.log`), 'utf8').trimEnd().split('\n').forEach((line, i) => parser.parseLine(line, { file: host, offset: i, lineNumber: i + 1 }, sink));
  parser.flush(sink);
  return { events, rejected };
}

test('smtp at level 2: the next hop\'s server certificate becomes a certificate event of that relay', () => {
  const { events, rejected } = parse('edge');
  assert.deepEqual(rejected, []);
  const certs = events.filter((e) => e.kind === 'certificate');
  assert.equal(certs.length, 1);
  const c = certs[0];
  assert.equal(c.certSide, 'remote');
  assert.equal(c.program, 'smtp');
  assert.equal(c.instance, 'postfix-edge/relay-tls');
  assert.equal(c.connector, 'postfix-edge/relay-tls/smtp', 'the service: the syslog tag without pid');
  assert.equal(c.relayIp, '127.0.0.1');
  assert.equal(c.relayPort, 33601);
  assert.equal(c.certSubject, 'CN=hub.mt.test');
  assert.equal(c.certIssuer, 'CN=mailtrace harness CA');
  assert.equal(c.certFingerprint, '689E67DCFF8792A9A1224DE3AC4B2C1B2CDEF5CF7073F38DBDB3A4A9FCF33CB6', 'SHA-256 (64 hex digits), separators dropped');
  assert.equal(c.certNotAfter, '', 'Postfix logs no validity');
  assert.equal(c.messageId, '');
  assert.equal(c.queueId, '');
});

test('smtpd at level 2: the client\'s certificate (spelt `issuer=`) belongs to the client', () => {
  const { events, rejected } = parse('hub');
  assert.deepEqual(rejected, []);
  const [c, ...more] = events.filter((e) => e.kind === 'certificate');
  assert.equal(more.length, 0);
  assert.equal(c.program, 'smtpd');
  assert.equal(c.connector, 'postfix-hub/smtpd');
  assert.equal(c.client, 'localhost');
  assert.equal(c.clientIp, '127.0.0.1');
  assert.equal(c.certSubject, 'CN=edge.mt.test');
  assert.equal(c.certIssuer, 'CN=mailtrace harness CA');
  assert.equal(c.certFingerprint.length, 64);
});

test('the level-2 chatter (depth/verify, SSL state lines, cipher lists) changes no verdict: the same hops as level 1', () => {
  const edge = parse('edge').events;
  const hub = parse('hub').events;
  const received = hub.find((e) => e.kind === 'receive' && e.messageId === '<cert-1@example.test>')!;
  assert.equal(received.tls, 'encrypted');
  assert.equal(received.tlsTrust, 'untrusted', 'hub logged `Untrusted TLS connection established from` (client certificate not checked against a CA file)');
  const sent = edge.find((e) => e.kind === 'delivery' && e.messageId === '<cert-1@example.test>')!;
  assert.equal(sent.tls, 'encrypted');
  assert.equal(sent.tlsTrust, 'trusted');
  const plain = hub.find((e) => e.kind === 'delivery' && e.messageId === '<cert-1@example.test>')!;
  assert.equal(plain.tls, 'unknown', 'smtp logs no TLS line for a plaintext delivery: the receiving smtpd\'s counters decide (mailbox log, not here)');
});
