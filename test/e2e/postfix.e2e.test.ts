import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Trace } from '../../schemas/index.ts';
import { requireComponent } from '../helpers/component.ts';
import { outputOf, run } from '../harness/exec.ts';
import { DEAD_DOMAIN, DOMAIN, INSTANCES, postfixAvailability, startPostfixTopology, type InstanceName } from '../harness/postfix.ts';
import { checkHeadersAgree, messageIdOf } from '../harness/received.ts';
import { saveRun, type RunEvidence } from '../harness/run-record.ts';
import { checkRealRun } from '../harness/topology-expectations.ts';

/**
 * Real mail through three real Postfix instances (test/harness/postfix.ts), then the real CLI:
 * `mailtrace ingest` of the three logs and `mailtrace trace --json` per message. The expected
 * paths are the topology's intent, cross-checked with what the run left outside the logs
 * (Received headers of the delivered mail, the bounce notification, postqueue's listing).
 *
 * MAILTRACE_UPDATE_FIXTURES=1 also saves this run to test/fixtures/postfix/real-3hop/, which
 * test/ingest/formats/postfix/real-3hop.test.ts checks where Postfix is not installed.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'cli', 'bin.js');
const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'postfix', 'real-3hop');

async function cli(args: string[]): Promise<string> {
  const r = await run(process.execPath, [BIN, ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `mailtrace ${args.join(' ')}\n${outputOf(r)}`);
  return r.stdout;
}

test('mail sent through edge → hub → mailbox is traced per recipient, with TLS per hop and final status', { timeout: 120_000 }, async (t) => {
  if (!requireComponent(t, postfixAvailability())) return;
  const topo = await startPostfixTopology();
  const work = mkdtempSync(join(tmpdir(), 'mailtrace-e2e-'));
  t.after(async () => {
    await topo.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const tag = `${Date.now().toString(36)}.${process.pid}`;
  const ev: RunEvidence = {
    messageIds: {
      twoRecipients: `<two-recipients.${tag}@client.mt.test>`,
      unknownUser: `<unknown-user.${tag}@client.mt.test>`,
      deferred: `<dead-domain.${tag}@client.mt.test>`,
      mixed: `<mixed.${tag}@client.mt.test>`,
      direct: `<direct-to-mailbox.${tag}@client.mt.test>`,
    },
    addresses: {
      sender: `sender@${DOMAIN}`,
      known: [`alice@${DOMAIN}`, `bob@${DOMAIN}`],
      unknown: `nobody@${DOMAIN}`,
      deferred: `someone@${DEAD_DOMAIN}`,
      mixed: { known: `carol@${DOMAIN}`, unknown: `nobody.else@${DOMAIN}` },
      direct: { known: `carol@${DOMAIN}`, unknown: `ghost@${DOMAIN}` },
    },
    deadPort: topo.deadPort,
    deferredQueue: [],
    delivered: {},
  };
  const { messageIds: ids, addresses } = ev;
  await topo.send({ to: addresses.known, messageId: ids.twoRecipients, tls: true });
  await topo.send({ to: [addresses.unknown], messageId: ids.unknownUser, tls: true });
  await topo.send({ to: [addresses.deferred], messageId: ids.deferred });
  // known recipient first: the mailbox opens its queue file at the first accepted RCPT, so the
  // refusal of the second is logged with that queue id rather than NOQUEUE
  await topo.send({ to: [addresses.mixed.known, addresses.mixed.unknown], messageId: ids.mixed, tls: true });
  // an internal client handing mail straight to the mailbox host: the unknown user is refused
  // to the client itself, at RCPT, while the message is accepted for the other recipient
  await topo.send({ via: 'mailbox', to: [addresses.direct.known, addresses.direct.unknown], messageId: ids.direct });

  const settled = await topo.settle({ expectDeferred: (a) => a.endsWith(`@${DEAD_DOMAIN}`) });
  ev.deferredQueue = settled.deferred;
  for (const a of [...addresses.known, addresses.mixed.known, addresses.sender]) ev.delivered[a] = topo.maildir(a);

  // one snapshot of the logs: the deferred message keeps being retried while we work
  mkdirSync(join(work, 'logs'));
  const logs = {} as Record<InstanceName, string>;
  for (const n of INSTANCES) {
    logs[n] = join(work, 'logs', `${n}.log`);
    copyFileSync(topo.logs()[n], logs[n]);
  }
  if (process.env.MAILTRACE_UPDATE_FIXTURES === '1') {
    const version = (await run('postconf', ['-h', '-d', 'mail_version'])).stdout.trim();
    saveRun(FIXTURE_DIR, { evidence: ev, logs }, { postfix: version, recorded: new Date().toISOString(), by: 'test/e2e/postfix.e2e.test.ts with MAILTRACE_UPDATE_FIXTURES=1' });
  }

  const data = join(work, 'data');
  const summary = await cli(['ingest', logs.edge, logs.hub, logs.mailbox, '--data', data]);
  assert.match(summary, /ingested 3 file\(s\)/);
  assert.doesNotMatch(summary, /kept aside/, 'every line of a real Postfix log has a known shape');

  await checkRealRun(t, ev, async (id) => Trace.parse(JSON.parse(await cli(['trace', id, '--json', '--data', data]))));

  // the mail as the mailbox stored it: its Received headers, written by the same three servers,
  // must tell the same path as their logs (every transfer seen twice, provenance both)
  const mail = await cli(['ingest', topo.maildirRoot(), '--data', data]);
  const copies = Object.values(ev.delivered).flat();
  assert.match(mail, new RegExp(`${copies.length} delivered message\\(s\\) read`), mail);
  let both = 0;
  for (const [i, raw] of copies.entries()) {
    const trace = Trace.parse(JSON.parse(await cli(['trace', messageIdOf(raw), '--json', '--data', data])));
    both += checkHeadersAgree(`delivered copy ${i + 1}`, raw, trace);
  }
  assert.ok(both >= copies.length, `hops seen in a log and a header: ${both}`);
});
