import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runIngest } from '../../ingest/index.ts';
import { certificatesView } from '../../query/index.ts';
import { CertificatesQuery } from '../../schemas/index.ts';
import { runOk } from '../harness/exec.ts';
import { DOMAIN, fqdnOf, postfixAvailability, startPostfixTopology } from '../harness/postfix.ts';
import { requireComponent } from '../helpers/component.ts';
import { tempStore } from '../helpers/store.ts';

/**
 * Live: real Postfix at TLS log level 2 (the settings of test/fixtures/postfix/tls-loglevel2) logs
 * its peers' certificates; ingested, each becomes a row of the certificates view whose
 * fingerprint is the one openssl computes from the certificate file the peer actually served —
 * a check that does not go through our parser's assumptions.
 */
const LEVEL2 = { smtpd_tls_loglevel: '2', smtpd_tls_ask_ccert: 'yes', smtp_tls_loglevel: '2' };

async function sha256Of(certFile: string): Promise<string> {
  const out = await runOk('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], 'fingerprinting a harness certificate');
  return /Fingerprint=([0-9A-F:]+)/i.exec(out.stdout)![1].replace(/:/g, '').toUpperCase();
}

test('Postfix level-2 certificate lines → certificate rows whose fingerprints are the served certificates\'', { timeout: 180_000 }, async (t) => {
  if (!requireComponent(t, postfixAvailability())) return;
  const topo = await startPostfixTopology({
    mainCf: {
      // the edge's smtp client presents its own certificate, so the hub's smtpd logs a client certificate too
      edge: { ...LEVEL2, smtp_tls_cert_file: '$smtpd_tls_cert_file', smtp_tls_key_file: '$smtpd_tls_key_file' },
      hub: LEVEL2,
    },
  });
  const s = await tempStore();
  t.after(async () => {
    await s.cleanup();
    await topo.stop();
  });
  const sent = await topo.send({ to: [`alice@${DOMAIN}`], tls: true, messageId: '<certs-live@example.test>' });
  assert.equal(sent.code, 0, sent.transcript);
  await topo.settle();
  const logs = topo.logs();
  await runIngest({ inputs: [logs.edge, logs.hub, logs.mailbox], store: s.store });
  const view = await certificatesView(s.store, CertificatesQuery.parse({}));

  const hubCert = view.rows.find((r) => r.loggedBy === 'edge' && r.subject === `CN=${fqdnOf('hub')}`);
  assert.ok(hubCert, JSON.stringify(view.rows));
  assert.equal(hubCert.fingerprint, await sha256Of(topo.instances.hub.certFile));
  assert.equal(hubCert.issuer, 'CN=mailtrace harness CA');
  assert.equal(hubCert.issuance, 'ca-issued');
  const edgeCert = view.rows.find((r) => r.loggedBy === 'hub' && r.subject === `CN=${fqdnOf('edge')}`);
  assert.ok(edgeCert, JSON.stringify(view.rows));
  assert.equal(edgeCert.fingerprint, await sha256Of(topo.instances.edge.certFile));
  // the hub → mailbox hop is plaintext (relay-plain): no certificate there
  assert.equal(view.rows.filter((r) => r.loggedBy === 'mailbox').length, 0);
});
