import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runIngest } from '../../ingest/index.ts';
import { traceMessage } from '../../query/index.ts';
import { FIXTURES, tempStore } from '../helpers/store.ts';

/**
 * The first server's log is missing (the edge of a three-relay Postfix path): the trace starts at
 * the hub with what the hub saw — its sender — and a note says the path may begin earlier.
 */
test('without the first server\'s log the path starts at the next one and a note says where it begins', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const log = join(dir, 'maillog');
    // the hub's sender as a real one would log it: the edge relay by its private address
    const lines = readFileSync(join(FIXTURES, 'postfix', 'handmade-3hop.log'), 'utf8').split('\n').filter((l) => !/ edge postfix/.test(l));
    writeFileSync(log, lines.map((l) => (/ hub postfix-hub\/smtpd/.test(l) ? l.replace(/localhost\[127\.0\.0\.1\]/g, 'edge.corp.example[10.0.0.5]') : l)).join('\n'));
    await runIngest({ inputs: [log], store });
    const t = await traceMessage(store, 'm1@example.org');
    const alice = t.recipients.find((r) => r.address === 'alice@example.test')!;
    assert.deepEqual(alice.hops.map((h) => `${h.from}>${h.to}`), ['edge.corp.example>hub', 'hub>mailbox']);
    assert.equal(alice.status, 'delivered');
    assert.ok(t.notes.some((n) => /the path begins at hub, which received the message from edge\.corp\.example \[10\.0\.0\.5\]: a private address whose log is not in the store/.test(n)), t.notes.join('\n'));

    // with the edge's log the same message starts at the edge, and its internet sender gets no such note
    const full = join(dir, 'full.log');
    writeFileSync(full, readFileSync(join(FIXTURES, 'postfix', 'handmade-3hop.log')));
    await runIngest({ inputs: [full], store });
    const whole = await traceMessage(store, 'm1@example.org');
    assert.equal(whole.recipients.find((r) => r.address === 'alice@example.test')!.hops[0].to, 'edge');
    assert.ok(!whole.notes.some((n) => n.startsWith('the path begins at')), whole.notes.join('\n'));
  } finally {
    await cleanup();
  }
});

test('private addresses: RFC 1918, RFC 6598, link-local, unique-local; not loopback, not public, not short IPv6 look-alikes', async () => {
  const { isPrivateAddress } = await import('../../stitch/reconstruct.ts');
  const yes = ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.1.1', '::ffff:10.0.0.1', 'fd00::1', 'fc12:3456::1', 'fe80::1%3', '[fd00::5]'];
  const no = ['127.0.0.1', '::1', '8.8.8.8', '172.32.0.1', '192.0.2.10', '2001:db8::1', 'fc::1', 'fd:1::1', 'fe8::1', ''];
  assert.deepEqual(yes.filter((a) => !isPrivateAddress(a)), []);
  assert.deepEqual(no.filter((a) => isPrivateAddress(a)), []);
});
