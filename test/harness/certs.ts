import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './exec.ts';

export interface CertFiles {
  caFile: string;
  /** per host name: its certificate (signed by the CA) and key */
  hosts: Record<string, { certFile: string; keyFile: string }>;
}

/**
 * A throwaway CA and one certificate per host (P-256 keys: quick to make, and every OpenSSL
 * Postfix links against speaks them). Valid for two days; nothing outside the temp root trusts them.
 */
export async function makeCertificates(dir: string, fqdns: readonly string[]): Promise<CertFiles> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await runOk('openssl', ['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=mailtrace harness CA'], 'making the test CA');
  const hosts: CertFiles['hosts'] = {};
  for (const fqdn of fqdns) {
    const keyFile = join(dir, `${fqdn}.key`);
    const csr = join(dir, `${fqdn}.csr`);
    const certFile = join(dir, `${fqdn}.crt`);
    const ext = join(dir, `${fqdn}.ext`);
    writeFileSync(ext, `subjectAltName=DNS:${fqdn}\n`);
    await runOk('openssl', ['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${fqdn}`], `making a key for ${fqdn}`);
    await runOk('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext], `signing ${fqdn}`);
    // Postfix reads keys as root before it drops privileges; nobody else needs them
    chmodSync(keyFile, 0o600);
    hosts[fqdn] = { certFile, keyFile };
  }
  chmodSync(caKey, 0o600);
  return { caFile, hosts };
}
