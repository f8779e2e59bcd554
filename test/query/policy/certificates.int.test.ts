import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { checkPolicy, evaluatePolicy } from '../../../query/policy/index.ts';
import { AlertSinks, TlsPolicy, type AlertMessage } from '../../../schemas/index.ts';
import { NEW_THUMB, OLD_THUMB, writeHub9Certificates } from '../../helpers/exchange-certs.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/**
 * Certificate rules on the certificates the logs show: the bundled Exchange sample (CA-issued
 * edge certificates, Exchange's self-signed ones inside), the real Postfix level-2 logs (no
 * validity logged) and a hub whose expiring certificate is renewed — through evaluation and
 * through checks that open one incident and heal it once the renewal is the certificate in use.
 */
const ROOT = new URL('../../../', import.meta.url).pathname;
let world: Awaited<ReturnType<typeof tempStore>>;
const OLD = OLD_THUMB;
const NEW = NEW_THUMB;


before(async () => {
  world = await tempStore();
  const hub9 = writeHub9Certificates(world.dir, [
    { at: '2026-11-01T08:00:00.000Z', cert: ` CN=HUB9 CN=Corp CA 01 ${OLD} 2025-11-01T00:00:00.000Z 2026-11-20T00:00:00.000Z HUB9` },
    { at: '2026-11-10T08:00:00.000Z', cert: ` CN=HUB9 CN=Corp CA 02 ${NEW} 2026-11-09T00:00:00.000Z 2027-11-09T00:00:00.000Z HUB9` },
  ]);
  await runIngest({ inputs: [join(ROOT, 'bench', 'sample', 'exchange'), join(FIXTURES, 'postfix', 'tls-loglevel2'), hub9], store: world.store });
});
after(async () => {
  await world.cleanup();
});

/** the sample's logs end on 2026-11-27 */
const SAMPLE_END = { from: '2026-11-27T09:00:00.000Z', to: '2026-11-27T12:00:00.000Z' };

test('ca-issued-certificate: the edges pass, the self-signed servers of a role violate, each with its certificate as evidence', async () => {
  const edges = await evaluatePolicy(world.store, TlsPolicy.parse({ rules: [{ name: 'edge-ca', kind: 'ca-issued-certificate', roles: ['edge'] }] }), SAMPLE_END);
  assert.deepEqual(edges, [], 'the sample edges present a CA-issued certificate');
  const hubs = await evaluatePolicy(world.store, TlsPolicy.parse({ rules: [{ name: 'hub-ca', kind: 'ca-issued-certificate', roles: ['hub'] }] }), SAMPLE_END);
  assert.deepEqual(hubs.map((f) => `${f.verdict} ${f.from}`).sort(), ['violation mbx1', 'violation mbx2']);
  const c = hubs[0].samples[0].certificate!;
  assert.equal(c.issuance, 'self-signed');
  assert.equal(c.subject, c.issuer);
  assert.match(c.fingerprint, /^[0-9A-F]{40}$/);
});

test('certificate-expiry: a certificate is judged until a newer one replaces it; no validity in the log is unknown, not a pass', async () => {
  const rule = TlsPolicy.parse({ rules: [{ name: 'expiry', kind: 'certificate-expiry', withinDays: 30 }] });
  const before = await evaluatePolicy(world.store, rule, { from: '2026-11-05T00:00:00.000Z', to: '2026-11-05T00:15:00.000Z' });
  const hub9 = before.filter((f) => f.from === 'hub9');
  assert.deepEqual(hub9.map((f) => [f.verdict, f.samples[0].certificate?.fingerprint, f.samples[0].certificate?.daysLeft]), [['violation', OLD, 14]]);
  const renewed = await evaluatePolicy(world.store, rule, { from: '2026-11-15T00:00:00.000Z', to: '2026-11-15T00:15:00.000Z' });
  assert.deepEqual(renewed.filter((f) => f.from === 'hub9'), [], 'the renewal is the certificate in use');
  const postfix = await evaluatePolicy(world.store, rule, { from: '2026-12-02T13:00:00.000Z', to: '2026-12-02T14:00:00.000Z' });
  assert.ok(postfix.length >= 2 && postfix.every((f) => f.verdict === 'unknown'), JSON.stringify(postfix.map((f) => [f.from, f.verdict])));
});

test('checks: one incident while the expiring certificate is in use, one resolved notice after the renewal', async () => {
  const sent: AlertMessage[] = [];
  const cfg = { policy: TlsPolicy.parse({ rules: [{ name: 'hub9-expiry', kind: 'certificate-expiry', servers: ['hub9'], withinDays: 30 }], healAfterMinutes: 60 }), alerts: AlertSinks.parse({ webhook: { url: 'http://127.0.0.1:9/unused' } }) };
  const send = async (_sink: string, m: AlertMessage): Promise<string> => { sent.push(m); return 'ok'; };
  const first = await checkPolicy(world.store, cfg, { now: new Date('2026-11-05T00:00:00Z'), send });
  assert.equal(first.opened.length, 1);
  const again = await checkPolicy(world.store, cfg, { now: new Date('2026-11-06T00:00:00Z'), send });
  assert.equal(again.opened.length, 0, 'still the same certificate: the same incident');
  assert.equal(again.ongoing.length, 1);
  const renewed = await checkPolicy(world.store, cfg, { now: new Date('2026-11-10T12:00:00Z'), send });
  assert.equal(renewed.resolved.length, 1);
  assert.deepEqual(sent.map((m) => m.type), ['opened', 'resolved']);
});
