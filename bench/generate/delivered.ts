/**
 * Delivered copies for the bundled sample: what the sample's mailbox server would have stored in
 * its users' Maildirs for some of the messages its log delivered. The paths come from the sample
 * log itself (ingested into a scratch store and traced), rendered as the Received headers Postfix
 * writes (log-formats §4.5: `from HELO (NAME [IP]) (using TLSv… with cipher … (n/n bits)) by HOST
 * (Postfix) with ESMTPS id QUEUEID for <rcpt>; DATE`; `with ESMTP` without TLS), newest first.
 * A demo, not a test: it shares stitching's reading of the log, so it proves nothing about it.
 * Some copies carry content protection structures (log-formats §6.1, §6.2, §6.3; the signature
 * and ciphertext bytes are placeholders, not cryptography), one an extra hop from the sender's
 * own relay (outside the logs: a header-only hop).
 *
 *   node --import tsx bench/generate/delivered.ts --log bench/sample/maillog --out bench/sample/maildir [--count 40]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runIngest } from '../../ingest/index.ts';
import { searchMessages, traceMessage } from '../../query/index.ts';
import { EVENTS_TABLE, MessageSearch, type Hop } from '../../schemas/index.ts';
import { Store } from '../../store/index.ts';

const DOMAIN = 'example.net';
const fqdn = (host: string): string => (host.includes('.') ? host : `${host}.${DOMAIN}`);

/** RFC 5322 date as Postfix writes it in Received: `Fri, 27 Nov 2026 07:00:01 +0000 (UTC)` */
function rfcDate(iso: string): string {
  const d = new Date(iso);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${d.getUTCDate()} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 (UTC)`;
}

function received(h: Hop, fromIp: string, rcpt: string): string {
  const helo = fqdn(h.from);
  const using = h.tls === 'encrypted' && h.tlsVersion ? `\n\t(using ${h.tlsVersion} with cipher ${h.cipher || 'TLS_AES_256_GCM_SHA384'} (256/256 bits))` : '';
  return `Received: from ${helo} (${helo} [${fromIp}])${using}\n\tby ${fqdn(h.to)} (Postfix) with ${h.tls === 'encrypted' ? 'ESMTPS' : 'ESMTP'} id ${h.toQueueId}\n\tfor <${rcpt}>; ${rfcDate(h.end)}`;
}

type Body = 'plain' | 'smime-signed' | 'irm' | 'pgp-encrypted';
function body(kind: Body): string {
  switch (kind) {
    case 'smime-signed': return 'MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s1"\n\n--s1\nContent-Type: text/plain\n\nSigned minutes attached.\n--s1\nContent-Type: application/pkcs7-signature; name="smime.p7s"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="smime.p7s"\n\nUExBQ0VIT0xERVIgLSBub3QgYSByZWFsIHNpZ25hdHVyZQ==\n--s1--\n';
    case 'irm': return 'MIME-Version: 1.0\nContent-Class: rpmsg.message\nContent-Type: multipart/mixed; boundary="r1"\n\n--r1\nContent-Type: text/plain\n\nThis message is protected with Information Rights Management.\n--r1\nContent-Description: message.rpmsg\nContent-Type: application/x-microsoft-rpmsg-message\nContent-Disposition: attachment; filename="message.rpmsg"\nContent-Transfer-Encoding: base64\n\nUExBQ0VIT0xERVI=\n--r1--\n';
    case 'pgp-encrypted': return 'MIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="p1"\n\n--p1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--p1\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n\nUExBQ0VIT0xERVI=\n-----END PGP MESSAGE-----\n--p1--\n';
    default: return 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nSee you at the meeting.\n';
  }
}

export async function writeDelivered(log: string, outDir: string, count: number): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'mailtrace-delivered-'));
  const store = await Store.open({ kind: 'embedded', dataDir: join(scratch, 'data') });
  let written = 0;
  try {
    await runIngest({ inputs: [log], store });
    const list = await searchMessages(store, MessageSearch.parse({ status: 'delivered', limit: 500 }));
    const kinds: Body[] = ['plain', 'smime-signed', 'plain', 'irm', 'plain', 'pgp-encrypted'];
    for (const m of list.messages.filter((x) => x.messageId).sort((a, b) => (a.messageId < b.messageId ? -1 : 1))) {
      if (written >= count) break;
      const t = await traceMessage(store, m.messageId);
      const r = t.recipients.find((x) => x.status === 'delivered' && x.hops.length >= 2 && x.hops.every((h) => h.toQueueId && h.end));
      if (!r) continue;
      const ips = await store.query<{ host: string; queueId: string; clientIp: string }>(
        `SELECT host, queueId, any(clientIp) AS clientIp FROM ${store.table(EVENTS_TABLE)} WHERE messageId = {m:String} AND kind = 'receive' GROUP BY host, queueId`, { m: m.messageId });
      const ipOf = (h: Hop) => ips.find((i) => i.host === h.to && i.queueId === h.toQueueId)?.clientIp || '127.0.0.1';
      const kind = kinds[written % kinds.length];
      const headers = r.hops.map((h) => received(h, ipOf(h), r.address)).reverse();
      // one copy came through the sender's own relay first: a hop only its header shows
      if (written === 2) headers.push(`Received: from laptop.sender.example (laptop.sender.example [203.0.113.40])\n\tby relay.sender.example (Postfix) with ESMTPSA id 4Q1x2y3z4w\n\tfor <${r.address}>; ${rfcDate(new Date(Date.parse(r.hops[0].start || r.hops[0].end) - 2000).toISOString())}`);
      const text = [
        `Return-Path: <${t.sender}>`, `X-Original-To: ${r.address}`, `Delivered-To: ${r.address}`, ...headers,
        `Message-ID: ${m.messageId}`, `From: <${t.sender}>`, `To: <${r.address}>`, `Date: ${rfcDate(r.hops[0].end)}`, `Subject: sample ${kind} message`, body(kind),
      ].join('\n');
      const [user] = r.address.split('@');
      const dir = join(outDir, user, 'new');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${Math.floor(Date.parse(r.hops[r.hops.length - 1].end) / 1000)}.M${written}P1.mailbox`), text);
      written++;
    }
  } finally {
    await store.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { log: { type: 'string' }, out: { type: 'string' }, count: { type: 'string', default: '40' } } });
  if (!values.log || !values.out) throw new Error('usage: delivered.ts --log MAILLOG --out DIR [--count N]');
  rmSync(values.out, { recursive: true, force: true });
  const n = await writeDelivered(values.log, values.out, Number(values.count));
  console.log(`wrote ${n} delivered copies under ${values.out}`);
}
