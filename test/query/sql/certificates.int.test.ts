import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runIngest } from '../../../ingest/index.ts';
import { buildApp, certificatesView } from '../../../query/index.ts';
import { CertificatesQuery, CertificatesView } from '../../../schemas/index.ts';
import { NEW_THUMB, OLD_THUMB, writeHub9Certificates } from '../../helpers/exchange-certs.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/**
 * The certificates view over real inputs: the bundled Exchange sample (its protocol logs carry the
 * one-row certificate layout of log-formats.md §2.4), the real Postfix level-2 logs, and a
 * receive log written here in which one server's certificate is renewed and another expires.
 */
const ROOT = new URL('../../../', import.meta.url).pathname;
const SAMPLE = join(ROOT, 'bench', 'sample', 'exchange');
let world: Awaited<ReturnType<typeof tempStore>>;
let app: Awaited<ReturnType<typeof buildApp>>;

const OLD = OLD_THUMB;
const NEW = NEW_THUMB;

before(async () => {
  world = await tempStore();
  const hub9 = writeHub9Certificates(world.dir, [
    { at: '2026-11-01T08:00:00.000Z', cert: ` CN=HUB9 CN=HUB9 01 ${OLD} 2021-11-01T00:00:00.000Z 2026-11-20T00:00:00.000Z HUB9` },
    { at: '2026-11-10T08:00:00.000Z', cert: ` CN=HUB9 CN=HUB9 02 ${NEW} 2026-11-09T00:00:00.000Z 2031-11-09T00:00:00.000Z HUB9;hub9.corp.example` },
  ]);
  await runIngest({ inputs: [SAMPLE, join(FIXTURES, 'postfix', 'tls-loglevel2'), hub9], store: world.store });
  app = await buildApp({ store: world.store });
});
after(async () => {
  await app.close();
  await world.cleanup();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

test('the sample: every certificate row of its protocol logs is counted once, under the server that sent it', async () => {
  // counted independently of the parser: the sample's rows labelled `Sending certificate`, per server folder and thumbprint
  const expected = new Map<string, number>();
  for (const f of filesUnder(SAMPLE).filter((f) => f.includes('ProtocolLog'))) {
    const server = f.slice(SAMPLE.length + 1).split('/')[0].toLowerCase();
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.includes(',Sending certificate ')) continue;
      const thumb = /\b([0-9A-F]{40})\b/.exec(line)![1];
      expected.set(`${server} ${thumb}`, (expected.get(`${server} ${thumb}`) ?? 0) + 1);
    }
  }
  assert.ok(expected.size > 0);
  const view = CertificatesView.parse((await app.inject({ url: '/api/views/certificates' })).json());
  const got = new Map<string, number>();
  for (const r of view.rows.filter((r) => r.side === 'local' && !r.server.startsWith('hub9'))) got.set(`${r.server} ${r.fingerprint}`, (got.get(`${r.server} ${r.fingerprint}`) ?? 0) + r.sessions);
  assert.deepEqual(new Map([...got].sort()), new Map([...expected].sort()));
  // the generator gives edges a CA-issued certificate and internal servers Exchange's self-signed one
  for (const r of view.rows.filter((r) => r.side === 'local' && !r.server.startsWith('hub9'))) {
    assert.equal(r.issuance, r.server.startsWith('edge') ? 'ca-issued' : 'self-signed', `${r.server}: ${r.subject} / ${r.issuer}`);
    assert.ok(r.notAfter !== '' && r.daysLeft !== null);
  }
});

test('Postfix peers: the certificate belongs to the peer, validity unknown, issuance from the names', async () => {
  const view = CertificatesView.parse((await app.inject({ url: '/api/views/certificates' })).json());
  const hubCert = view.rows.find((r) => r.loggedBy === 'edge' && r.subject === 'CN=hub.mt.test')!;
  assert.equal(hubCert.side, 'remote');
  assert.equal(hubCert.server, '127.0.0.1', 'the relay as the delivery names it (a [127.0.0.1] next hop)');
  assert.equal(hubCert.connector, 'postfix-edge/relay-tls');
  assert.equal(hubCert.issuance, 'ca-issued');
  assert.equal(hubCert.daysLeft, null);
  const edgeCert = view.rows.find((r) => r.loggedBy === 'hub' && r.subject === 'CN=edge.mt.test')!;
  assert.equal(edgeCert.server, 'localhost');
  assert.ok(view.totals.validityUnknown >= 2);
});

test('a renewed certificate is a change that names the one it replaced; expiry is counted against the clock', async () => {
  const now = Date.parse('2026-11-15T00:00:00.000Z');
  const all = await certificatesView(world.store, CertificatesQuery.parse({}), now);
  const hub9 = all.rows.filter((r) => r.server === 'hub9');
  assert.deepEqual(hub9.map((r) => [r.fingerprint, r.replaced]).sort(), [[OLD, ''], [NEW, OLD]]);
  assert.equal(hub9.find((r) => r.fingerprint === OLD)?.daysLeft, 5);
  assert.ok(all.totals.expiringSoon >= 1 && all.totals.changed >= 1);
  // a range that starts after the old certificate was last seen still knows what the new one replaced
  const later = await certificatesView(world.store, CertificatesQuery.parse({ from: '2026-11-09T00:00:00Z', host: 'hub9' }), now);
  assert.deepEqual(later.rows.map((r) => [r.fingerprint, r.replaced]), [[NEW, OLD]]);
  // and one that ends before the renewal has not seen it
  const before = await certificatesView(world.store, CertificatesQuery.parse({ to: '2026-11-05T00:00:00Z', host: 'hub9' }), now);
  assert.deepEqual(before.rows.map((r) => r.fingerprint), [OLD]);
  const afterExpiry = await certificatesView(world.store, CertificatesQuery.parse({ host: 'hub9', soonDays: 10 }), Date.parse('2026-12-01T00:00:00Z'));
  assert.equal(afterExpiry.totals.expired, 1);
});

test('a bad expiry window is refused with the field named', async () => {
  const r = await app.inject({ url: '/api/views/certificates?soonDays=0' });
  assert.equal(r.statusCode, 400);
  assert.match(r.body, /soonDays/);
});
