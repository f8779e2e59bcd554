import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeExchangeOrg, type TruthMessage } from '../../../../bench/generate/exchange.ts';
import { checkAccuracy } from '../../../../bench/trace.ts';
import { runIngest, type IngestSummary } from '../../../../ingest/index.ts';
import { summarize, traceMessage } from '../../../../query/index.ts';
import type { Store } from '../../../../store/index.ts';
import { tempStore } from '../../../helpers/store.ts';

/**
 * A generated Exchange 2016/2019 organisation (two Edge, two Mailbox servers with Front End,
 * Transport and Mailbox Transport services; bench/generate/exchange.ts) ingested from its log
 * trees through the pipeline: every message's path — hosts, roles, TLS per hop, final status per
 * recipient — must equal the generator's ground truth.
 */
/**
 * Ingest a generated organisation: nothing rejected, every message's path equal to the truth, and
 * the summary counting each final recipient once (lists by their members), as the truth does.
 */
async function ingestAndMatchTruth(store: Store, org: string, truthFile: string): Promise<{ summary: IngestSummary; truth: TruthMessage[] }> {
  const summary = await runIngest({ inputs: [org], store });
  assert.equal(summary.rejectedTotal, 0, JSON.stringify(summary.rejected));
  const truth = readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TruthMessage);
  const acc = await checkAccuracy(store, truth, truth.length);
  assert.deepEqual(acc.mismatches.slice(0, 5), []);
  assert.equal(acc.exact, truth.length);
  const want: Record<string, number> = { delivered: 0, deferred: 0, bounced: 0, rejected: 0, unknown: 0 };
  for (const t of truth) for (const r of t.recipients) want[r.status]++;
  assert.deepEqual((await summarize(store)).recipientsByStatus, want);
  return { summary, truth };
}

test('every generated message is reconstructed exactly (paths, roles, TLS per hop, status)', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const org = join(dir, 'org');
    const truthFile = join(dir, 'truth.jsonl');
    await writeExchangeOrg(org, { messages: 150, seed: 7 }, truthFile);
    const { summary, truth } = await ingestAndMatchTruth(store, org, truthFile);
    assert.ok(summary.files >= 20, `${summary.files} files read`);

    // the scenarios the issue names are in there, and their hops say so
    const hops = truth.flatMap((t) => t.recipients.flatMap((r) => r.hops));
    assert.ok(hops.some((h) => h.tls === 'plaintext' && h.fromRole !== 'external'), 'an internal plaintext hop');
    assert.ok(hops.some((h) => h.tls === 'unknown'), 'a hop no protocol log covers');
    assert.ok(truth.some((t) => t.recipients.some((r) => r.status === 'bounced')), 'a bounce');
    const tls10 = truth.find((t) => t.recipients.some((r) => r.hops.some((h) => h.tlsVersion === 'TLS1.0')));
    assert.ok(tls10, 'a TLS 1.0 hop');
    const trace = await traceMessage(store, tls10.messageId);
    assert.ok(trace.recipients.some((r) => r.hops.some((h) => h.tlsVersion === 'TLSv1.0')), 'the trace names the weak version');
    // hop times come from the SMTP sessions: each hop takes time, and none ends before it starts
    const timed = trace.recipients.flatMap((r) => r.hops);
    assert.ok(timed.every((h) => h.start <= h.end), JSON.stringify(timed.map((h) => [h.start, h.end])));
    assert.ok(timed.some((h) => Date.parse(h.end) - Date.parse(h.start) > 0), 'session durations give the hops a length');

    // each server of the trace with its role and the evidence for it
    const edge = trace.servers.find((s) => s.role === 'edge');
    assert.ok(edge, JSON.stringify(trace.servers));
    assert.match(edge.reason, /Edge/);
    assert.ok(trace.servers.every((s) => s.reason !== ''));

    // a bounce links to its NDR and the NDR back to it: branches of the trace, not noise
    const bounced = truth.find((t) => t.recipients.some((r) => r.status === 'bounced'))!;
    const original = await traceMessage(store, bounced.messageId);
    const dsn = original.related.find((r) => r.kind === 'dsn');
    assert.ok(dsn?.messageId, JSON.stringify(original.related));
    const ndr = await traceMessage(store, dsn.messageId);
    assert.deepEqual(ndr.related.filter((r) => r.kind === 'dsn-for').map((r) => r.messageId), [bounced.messageId]);
    assert.deepEqual(ndr.notes, [], 'a notification is made on its server: no missing receipt');
  } finally {
    await cleanup();
  }
});

test('tracking logs and protocol logs ingested in separate runs, protocol logs last: the same paths and TLS', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const org = join(dir, 'org');
    const truthFile = join(dir, 'truth.jsonl');
    await writeExchangeOrg(org, { messages: 80, seed: 21 }, truthFile);
    const servers = ['EDGE1', 'EDGE2', 'MBX1', 'MBX2'].map((s) => join(org, s, 'TransportRoles', 'Logs'));
    const tracking = servers.map((s) => join(s, 'MessageTracking'));
    const protocol = servers.flatMap((s) => ['Edge', 'FrontEnd', 'Hub', 'Mailbox'].map((p) => join(s, p))).filter((p) => existsSync(p));
    // every input names the whole tree, so roles are inferred the same way in both runs
    await runIngest({ inputs: tracking, store });
    const truth = readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TruthMessage);
    const before = await checkAccuracy(store, truth, truth.length);
    assert.ok(before.exact < truth.length, 'without protocol logs some TLS is unknown (and the Edge role unproven)');
    await runIngest({ inputs: protocol, store });
    const after = await checkAccuracy(store, truth, truth.length);
    assert.deepEqual(after.mismatches.slice(0, 3), []);
  } finally {
    await cleanup();
  }
});

/**
 * The classic five-role organisation (log-formats §1.9a): Edge, Hub Transport and Mailbox on
 * separate Exchange 2010 servers, two sites (bench/generate/exchange.ts, `version: 2010`). Every
 * recipient gets its whole path — edge → hub (→ hub) → mailbox, mailbox → hub → edge → internet —
 * with TLS per hop proven by the 2010 protocol logs (STARTTLS / X-ANONYMOUSTLS answered by 220, a
 * certificate line and a new EHLO: no negotiation line), and the store-driver hops unknown.
 */
test('an Exchange 2010 organisation with Edge, Hub Transport and Mailbox servers apart: every recipient its whole path, TLS per hop', async () => {
  const { store, dir, cleanup } = await tempStore();
  try {
    const org = join(dir, 'org');
    const truthFile = join(dir, 'truth.jsonl');
    await writeExchangeOrg(org, { messages: 150, seed: 7, version: 2010 }, truthFile);
    // the install folder (`V14`) of a copied log tree is not a server name
    assert.ok(existsSync(join(org, 'HUB1', 'V14', 'TransportRoles', 'Logs', 'ProtocolLog', 'SmtpReceive')));
    const { truth } = await ingestAndMatchTruth(store, org, truthFile);

    // the shapes of the five-role world are all in the truth the trace matched
    const roles = (r: TruthMessage['recipients'][number]) => r.hops.map((h) => `${h.fromRole}>${h.toRole}`).join(' ');
    const delivered = truth.flatMap((t) => t.recipients.filter((r) => r.status === 'delivered'));
    assert.ok(delivered.some((r) => roles(r) === 'external>edge edge>hub hub>hub hub>mailbox'), 'internet → edge → hub → other site hub → mailbox');
    assert.ok(delivered.some((r) => roles(r) === 'mailbox>hub hub>hub hub>edge edge>external'), 'mailbox → hub → hub → edge → internet');
    assert.ok(truth.some((t) => t.recipients.some((r) => r.status === 'rejected')), 'a recipient refused at the Edge');

    // a cross-site message, traced: hub → hub proven encrypted by X-ANONYMOUSTLS, store-driver hops unknown
    const cross = truth.find((t) => t.recipients.some((r) => roles(r) === 'external>edge edge>hub hub>hub hub>mailbox'))!;
    const trace = await traceMessage(store, cross.messageId);
    const hops = trace.recipients.flatMap((r) => r.hops);
    const hubHub = hops.find((h) => h.fromRole === 'hub' && h.toRole === 'hub')!;
    assert.equal(hubHub.tls, 'encrypted');
    assert.equal(hubHub.tlsVersion, '', '2010 logs do not name the version');
    const store2mbx = hops.filter((h) => h.toRole === 'mailbox');
    assert.ok(store2mbx.length > 0 && store2mbx.every((h) => h.tls === 'unknown' && h.rule === 'mailbox-delivery'), JSON.stringify(store2mbx));
    // the servers whose logs saw it: the mailbox server writes nothing for an inbound message (the hub's store driver does)
    assert.deepEqual(trace.servers.map((s) => s.role).sort(), ['edge', 'hub', 'hub']);
    assert.ok(trace.servers.every((s) => s.reason !== ''));

    // no hop is plaintext without evidence
    const rows = await store.query<{ tls: string; tlsEvidence: string }>(`SELECT tls, tlsEvidence FROM ${store.table('hops')} FINAL WHERE deleted = 0`);
    assert.ok(rows.some((r) => r.tls === 'plaintext'), 'the deliberate plaintext hops are there');
    assert.deepEqual(rows.filter((r) => r.tls === 'plaintext' && r.tlsEvidence === ''), []);
  } finally {
    await cleanup();
  }
});
