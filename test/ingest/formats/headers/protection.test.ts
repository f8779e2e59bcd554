import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectProtection } from '../../../../ingest/formats/headers/protection.ts';

/**
 * Protection status from messages protected for real: S/MIME signed, encrypted and triple-wrapped
 * by openssl with a throwaway certificate, OpenPGP encrypted and signed by gpg with a throwaway key
 * (PGP/MIME wrappers of RFC 3156 around gpg's real output, and inline armour); the IRM message is
 * built to the structure documented in log-formats §6.3 (Exchange writes it; nothing here can).
 */
const dir = mkdtempSync(join(tmpdir(), 'mailtrace-protect-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const HAVE_GPG = spawnSync('gpg', ['--version']).status === 0;
const gpgEnv = { ...process.env, GNUPGHOME: join(dir, 'gnupg') };

before(() => {
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=mailtrace-test', '-days', '1');
  writeFileSync(join(dir, 'body.txt'), 'Content-Type: text/plain\r\n\r\nquarterly numbers\r\n');
});

/** openssl smime; for -encrypt the recipient certificate goes last (openssl reads it as a positional argument) */
function smime(args: string[], input: string, out: string, headers = true): string {
  const recipients = args[0] === '-encrypt' ? ['cert.pem'] : [];
  const options = args.filter((a) => a !== 'cert.pem' || args[0] !== '-encrypt');
  ssl('smime', ...options, '-in', input, '-out', out, ...(headers ? ['-from', 'a@example.org', '-to', 'b@example.org', '-subject', 'test'] : []), ...recipients);
  return readFileSync(join(dir, out), 'utf8');
}

test('S/MIME by openssl: clear-signed, opaque-signed, encrypted, and sign → encrypt → sign', async () => {
  const clear = smime(['-sign', '-signer', 'cert.pem', '-inkey', 'key.pem'], 'body.txt', 'clear.eml');
  assert.deepEqual((await detectProtection(clear)).mechanisms, ['smime-signed']);
  const opaque = smime(['-sign', '-nodetach', '-signer', 'cert.pem', '-inkey', 'key.pem'], 'body.txt', 'opaque.eml');
  assert.deepEqual((await detectProtection(opaque)).mechanisms, ['smime-signed']);
  const enc = smime(['-encrypt', '-aes256', 'cert.pem'], 'body.txt', 'enc.eml');
  const e = await detectProtection(enc);
  assert.deepEqual(e.mechanisms, ['smime-encrypted']);
  assert.equal(e.endToEnd, true);
  assert.match(e.evidence, /smime-type=enveloped-data/);
  // triple wrap: the inner signature is inside the encryption (not visible); the outer layers are
  smime(['-sign', '-signer', 'cert.pem', '-inkey', 'key.pem'], 'body.txt', 'inner.eml', false);
  smime(['-encrypt', '-aes256', 'cert.pem'], 'inner.eml', 'middle.eml', false);
  const triple = smime(['-sign', '-signer', 'cert.pem', '-inkey', 'key.pem'], 'middle.eml', 'triple.eml');
  const t = await detectProtection(triple);
  assert.deepEqual(t.mechanisms, ['smime-signed', 'smime-encrypted']);
  assert.equal(t.endToEnd, true);
});

test('OpenPGP by gpg: PGP/MIME encrypted and signed, and inline armour', { skip: !HAVE_GPG && !process.env.CI ? 'gpg is not installed' : false }, async () => {
  assert.ok(HAVE_GPG, 'gpg is needed (apt-get install gnupg)');
  execFileSync('mkdir', ['-m', '700', '-p', gpgEnv.GNUPGHOME]);
  const gpg = (args: string[], input?: string) => execFileSync('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: gpgEnv, input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  gpg(['--quick-gen-key', 'test@example.org', 'default', 'default', 'never']);
  const armoured = gpg(['--armor', '--trust-model', 'always', '--encrypt', '-r', 'test@example.org'], 'quarterly numbers\n');
  assert.match(armoured, /-----BEGIN PGP MESSAGE-----/);
  const mime = [
    'From: a@example.org', 'To: b@example.org', 'Subject: pgp', 'MIME-Version: 1.0',
    'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"', '',
    '--b1', 'Content-Type: application/pgp-encrypted', '', 'Version: 1', '',
    '--b1', 'Content-Type: application/octet-stream; name="encrypted.asc"', '', armoured, '--b1--', '',
  ].join('\r\n');
  const m = await detectProtection(mime);
  assert.deepEqual(m.mechanisms, ['pgp-encrypted']);
  assert.equal(m.endToEnd, true);
  const signature = gpg(['--armor', '--detach-sign', '-u', 'test@example.org'], 'Content-Type: text/plain\r\n\r\nhello\r\n');
  const signed = [
    'From: a@example.org', 'Subject: pgp-signed', 'MIME-Version: 1.0',
    'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="b2"', '',
    '--b2', 'Content-Type: text/plain', '', 'hello', '',
    '--b2', 'Content-Type: application/pgp-signature; name="signature.asc"', '', signature, '--b2--', '',
  ].join('\r\n');
  assert.deepEqual((await detectProtection(signed)).mechanisms, ['pgp-signed']);
  const inline = `From: a@example.org\r\nSubject: inline\r\nContent-Type: text/plain\r\n\r\n${armoured}`;
  assert.deepEqual((await detectProtection(inline)).mechanisms, ['pgp-encrypted']);
  const clearsigned = gpg(['--clearsign', '-u', 'test@example.org'], 'hello\n');
  assert.deepEqual((await detectProtection(`From: a@example.org\r\nContent-Type: text/plain\r\n\r\n${clearsigned}`)).mechanisms, ['pgp-signed']);
});

test('IRM (§6.3 structure): Content-Class rpmsg.message and a message.rpmsg part; a plain message has none', async () => {
  const irm = [
    'From: a@example.org', 'To: b@example.org', 'Subject: protected', 'MIME-Version: 1.0', 'Content-Class: rpmsg.message',
    'Content-Type: multipart/mixed; boundary="r1"', '',
    '--r1', 'Content-Type: text/plain', '', 'This message is protected with Information Rights Management.', '',
    '--r1', 'Content-Description: message.rpmsg', 'Content-Type: application/x-microsoft-rpmsg-message', 'Content-Disposition: attachment; filename="message.rpmsg"', 'Content-Transfer-Encoding: base64', '',
    Buffer.from('not a real rights-protected payload').toString('base64'), '--r1--', '',
  ].join('\r\n');
  const r = await detectProtection(irm);
  assert.deepEqual(r.mechanisms, ['irm']);
  assert.equal(r.endToEnd, true);
  const plain = await detectProtection('From: a@example.org\r\nSubject: hi\r\nContent-Type: text/plain\r\n\r\nhello, -----BEGIN PGP PUBLIC KEY BLOCK----- is not a message\r\n');
  assert.deepEqual({ ...plain, evidence: '' }, { mechanisms: [], endToEnd: false, evidence: '', known: true });
});
