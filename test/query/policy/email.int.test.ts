import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { runIngest } from '../../../ingest/index.ts';
import { checkPolicy } from '../../../query/policy/index.ts';
import { AlertSinks, SmtpConfig, TlsPolicy } from '../../../schemas/index.ts';
import { followToMaildir } from '../../harness/follow.ts';
import { requireComponent } from '../../helpers/component.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';
import { DOMAIN, postfixAvailability, startPostfixTopology, type Topology } from '../../harness/postfix.ts';

/**
 * The e-mail sink through real Postfix: a check on the recorded real run (its hub → mailbox hop is
 * plaintext by design) mails the alert, then the resolved notice, to alice through the live
 * topology's edge (STARTTLS required of the relay). Each is followed through the three logs by its
 * queue ids to `status=sent (delivered to maildir)` and read back from alice's Maildir.
 */
const REAL = join(FIXTURES, 'postfix', 'real-3hop');
const ALICE = `alice@${DOMAIN}`;


test('alerts by e-mail reach a mailbox through real Postfix, with the incident in a header', { timeout: 180_000 }, async (t) => {
  if (!requireComponent(t, postfixAvailability())) return;
  const topo = await startPostfixTopology();
  const s = await tempStore();
  t.after(async () => {
    await s.cleanup();
    await topo.stop();
  });
  await runIngest({ inputs: ['edge', 'hub', 'mailbox'].map((h) => join(REAL, `${h}.log`)), store: s.store });
  const config = {
    policy: TlsPolicy.parse({ rules: [{ name: 'internal-plaintext', kind: 'no-plaintext', internal: true, severity: 'critical' }] }),
    alerts: AlertSinks.parse({ email: { to: [ALICE] } }),
    smtp: SmtpConfig.parse({ host: '127.0.0.1', port: topo.instances.edge.port, from: `mailtrace@${DOMAIN}`, tls: 'require' }),
  };

  const started = Date.now();
  const opened = await checkPolicy(s.store, config, { now: new Date('2026-11-29T02:14:42Z') });
  assert.equal(opened.opened.length, 1);
  const id = opened.opened[0].id;
  assert.equal(id, 'internal-plaintext:hub>mailbox@2026-11-29T02:14:42.000Z');
  assert.equal(opened.failed.length, 0, JSON.stringify(opened.failed));
  assert.equal(opened.delivered.length, 1);
  const queued = /^250 .*queued as (\w+)$/.exec(opened.delivered[0].receipt);
  assert.ok(queued, `the edge accepted the alert: ${opened.delivered[0].receipt}`);
  const openedPath = await followToMaildir(topo, queued[1], ALICE);
  assert.match(openedPath[0], /status=sent/);

  const resolved = await checkPolicy(s.store, config, { now: new Date('2026-11-29T03:14:42Z') });
  assert.equal(resolved.resolved.length, 1);
  assert.deepEqual(resolved.delivered.map((d) => [d.id, d.notice]), [[id, 'resolved:email']]);
  await followToMaildir(topo, /queued as (\w+)$/.exec(resolved.delivered[0].receipt)![1], ALICE);
  const quiet = await checkPolicy(s.store, config, { now: new Date('2026-11-29T03:20:00Z') });
  assert.deepEqual(quiet.delivered, [], 'nothing is sent twice');
  console.log(`policy e-mail: two notices through edge → hub → mailbox into Maildir in ${Date.now() - started} ms`);

  const mails = await Promise.all(topo.maildir(ALICE).map((raw) => simpleParser(raw)));
  // Maildir names order files within a second by nothing we control: the notice header says which is which
  const ours = mails.filter((m) => m.headers.get('x-mailtrace-incident') === id);
  assert.deepEqual(ours.map((m) => `${String(m.headers.get('x-mailtrace-notice'))}: ${m.subject}`).sort(), [
    'opened: [mailtrace] CRITICAL: internal-plaintext violated on hub -> mailbox',
    'resolved: [mailtrace] resolved: internal-plaintext on hub -> mailbox',
  ]);
  const alert = ours.find((m) => m.headers.get('x-mailtrace-notice') === 'opened')!;
  assert.equal(alert.from?.text, `mailtrace@${DOMAIN}`);
  assert.match(alert.text ?? '', /Hand-offs: +4 violating, 2026-11-29T02:13:42\.000Z to 2026-11-29T02:13:42\.000Z/);
  assert.match(alert.text ?? '', /<two-recipients\.mx17gj3j\.8320@client\.mt\.test> +(alice|bob)@example\.test +plaintext trust=none evidence=smtpd-counters/);
  // the alert's own first hop (the edge's Received, the last one) was encrypted: we insisted on STARTTLS
  const received = alert.headers.get('received');
  const first = Array.isArray(received) ? String(received.at(-1)) : String(received);
  assert.match(first, /by edge\.mt\.test \(Postfix\) with ESMTPS/, first);
});
