/**
 * A seeded, streaming generator of a realistic mbox (mboxrd) for the mbox ingest benchmark: memory and
 * speed of splitting and header analysis, not crypto. Same options → same bytes; memory stays bounded
 * whatever the size (attachments are spans of one pre-drawn base64 pool).
 *
 * Format facts: RFC 4155 appendix A and qmail mbox(5) — `From <envelope sender> <asctime, UTC>`
 * separator (MAILER-DAEMON for an empty envelope sender), LF line ends, a blank line after each
 * message, and mboxrd `>From` quoting (every body line matching `>*From ` gets one more `>`).
 * Header shapes from shared/reference/log-formats.md: §4.5 Postfix smtpd `Received:` with the TLS
 * `(using … with cipher … (u/a bits) key-exchange … server-digest …)` clause, `(No client certificate
 * requested)`, `by host (Postfix) with ESMTPS id QID`, `for <rcpt>` (one recipient) and the local
 * pickup form `by host (Postfix, from userid N) id QID` (§5.4); §5.2 Exchange `with Microsoft SMTP
 * Server (version=TLS1_2, cipher=…) id 15.20.x` and `with mapi id`; §6.1 S/MIME structures
 * (multipart/signed with protocol="application/pkcs7-signature" + smime.p7s, application/pkcs7-mime
 * smime-type=enveloped-data + smime.p7m). Counts use schemas/protection.ts's mechanism names.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Mulberry32 } from './sim.ts';

export interface MboxGenerateOptions {
  /** target file size; writing stops at the first message boundary at or past it */
  bytes: number;
  seed?: number;
  /** one attachment of this size mid-file; default 100 MiB for files ≥ 1 GiB, a tenth of the file from 64 MiB, else none */
  bigAttachmentBytes?: number;
  /** default 2026-03-01T08:00:00Z */
  start?: Date;
}
export interface MboxGenerateResult { messages: number; bytes: number; protected: Record<string, number> }

const LOCAL = 'example.net';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'olivia', 'peggy', 'trent', 'victor', 'yasmin', 'zoe'];
interface Sender { domain: string; mta: string; ip: string; kind: 'postfix' | 'exchange' }
const SENDERS: Sender[] = [
  { domain: 'example.org', mta: 'mail.example.org', ip: '198.51.100.25', kind: 'postfix' },
  { domain: 'example.com', mta: 'smtp.example.com', ip: '198.51.100.26', kind: 'postfix' },
  { domain: 'univ.example', mta: 'mailgw.univ.example', ip: '203.0.113.70', kind: 'postfix' },
  { domain: 'corp.example.org', mta: 'EXCH02.corp.example.org', ip: '198.51.100.120', kind: 'exchange' },
  { domain: 'partner.example', mta: 'AM0PR01MB1234.eurprd01.prod.outlook.example', ip: '198.51.100.40', kind: 'exchange' },
];
const WORDS = 'the mail queue relay was delivered after a short delay and the report shows every hop with its tls version cipher and time we will check the logs again tomorrow please confirm that the invoice reached your team before friday'.split(' ');
const FILES = [['report.pdf', 'application/pdf'], ['minutes.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'], ['photo.png', 'image/png'], ['archive.zip', 'application/zip']] as const;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const POSTFIX_TLS = '(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n\t(No client certificate requested)\n\t';

const p2 = (n: number) => String(n).padStart(2, '0');
/** RFC 5322 date; Postfix's Received: adds the zone comment: `Tue, 19 Mar 2024 02:52:29 +0000 (UTC)` */
const rfcDate = (d: Date, zoneComment = true) => `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000${zoneComment ? ' (UTC)' : ''}`;
/** asctime as in the separator: `Mon Dec  1 10:00:00 2026` (space-padded day) */
const asctime = (d: Date) => `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
/** mboxrd: a line of the form `>*From ` gets one more `>` */
const quote = (line: string) => (/^>*From /.test(line) ? `>${line}` : line);

/** Buffers the text, hands Buffers through, waits for 'drain' (the file never sits in memory). */
class Out {
  readonly #stream: WriteStream;
  #text: string[] = [];
  #textLen = 0;
  bytes = 0;
  constructor(path: string) {
    this.#stream = createWriteStream(path);
  }
  async text(s: string): Promise<void> {
    this.#text.push(s);
    this.#textLen += s.length;
    this.bytes += s.length; // everything generated is ASCII
    if (this.#textLen >= 1 << 20) await this.#flush();
  }
  async raw(b: Buffer): Promise<void> {
    await this.#flush();
    this.bytes += b.length;
    if (!this.#stream.write(b)) await new Promise<void>((res) => this.#stream.once('drain', () => res()));
  }
  async #flush(): Promise<void> {
    if (this.#text.length === 0) return;
    const s = this.#text.join('');
    this.#text = [];
    this.#textLen = 0;
    if (!this.#stream.write(s)) await new Promise<void>((res) => this.#stream.once('drain', () => res()));
  }
  async close(): Promise<void> {
    await this.#flush();
    await new Promise<void>((res, rej) => this.#stream.end((err?: Error | null) => (err ? rej(err) : res())));
  }
}

class Gen {
  readonly rng: Mulberry32;
  /** ~1 MB of random base64 in 76-column lines (RFC 2045 §6.8); attachments are spans of it */
  readonly #pool: Buffer;
  constructor(seed: number) {
    this.rng = new Mulberry32(seed);
    const raw = Buffer.alloc(3 << 18);
    for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(Math.floor(this.rng.next() * 2 ** 32), i);
    this.#pool = Buffer.from((raw.toString('base64').match(/.{76}/g) ?? []).join('\n') + '\n');
  }
  /** base64 body of about `size` bytes: whole pool lines from a seeded place, wrapping around */
  async base64(out: Out, size: number): Promise<void> {
    const lines = this.#pool.length / 77;
    let at = this.rng.int(0, lines - 1) * 77;
    for (let left = Math.max(77, Math.ceil(size / 77) * 77); left > 0;) {
      const n = Math.min(left, this.#pool.length - at);
      await out.raw(this.#pool.subarray(at, at + n));
      left -= n;
      at = 0;
    }
  }
  /** paragraphs of wrapped text; some lines open with `From ` or `>From ` so the mboxrd quoting is exercised */
  paragraphs(n: number): string {
    const r = this.rng;
    const lines: string[] = [];
    for (let p = 0; p < n; p++) {
      let line = r.chance(0.08) ? 'From what I can tell' : r.chance(0.03) ? '>From the earlier message' : 'Hello';
      for (let w = r.int(8, 90); w > 0; w--) {
        const word = r.pick(WORDS);
        if (line.length + word.length >= 72) {
          lines.push(quote(line));
          line = r.chance(0.02) ? 'From' : word; // a wrapped line can start with `From ` too
        } else line += ` ${word}`;
      }
      lines.push(quote(line), '');
    }
    return lines.join('\n');
  }
  qid(): string {
    return this.rng.hex(this.rng.int(10, 11));
  }
}

/** Write the mbox to `path`, streaming. */
export async function writeMbox(path: string, opts: MboxGenerateOptions): Promise<MboxGenerateResult> {
  if (!(opts.bytes >= 0)) throw new RangeError('bytes must be a number ≥ 0');
  const big = opts.bigAttachmentBytes ?? (opts.bytes >= 2 ** 30 ? 100 * 2 ** 20 : opts.bytes >= 64 * 2 ** 20 ? Math.floor(opts.bytes / 10) : 0);
  const g = new Gen(opts.seed ?? 1);
  const r = g.rng;
  const out = new Out(path);
  const counts: Record<string, number> = { 'smime-signed': 0, 'smime-encrypted': 0 };
  let t = (opts.start ?? new Date('2026-03-01T08:00:00Z')).getTime();
  let messages = 0;
  let bigDone = big <= 0;
  while (out.bytes < opts.bytes) {
    t += Math.round(r.exp(30_000));
    const at = (ms: number) => new Date(t + ms);
    const s = r.pick(SENDERS);
    const bounce = r.chance(0.02);
    const from = bounce ? `MAILER-DAEMON@${s.mta}` : `${r.pick(USERS)}.${r.pick(USERS)}@${s.domain}`;
    const rcpt = `${r.pick(USERS)}@${LOCAL}`;
    const exchangeId = `15.20.${r.int(7000, 8999)}.${r.int(10, 40)}`;
    const h: string[] = [
      `From ${bounce ? 'MAILER-DAEMON' : from} ${asctime(at(3000))}`,
      `Return-Path: <${bounce ? '' : from}>`,
      `Delivered-To: ${rcpt}`,
      `Received: from hub.${LOCAL} (hub.${LOCAL} [10.0.0.20])\n\t${POSTFIX_TLS}by mailbox.${LOCAL} (Postfix) with ESMTPS id ${g.qid()}\n\tfor <${rcpt}>; ${rfcDate(at(3000))}`,
      `Received: from edge.${LOCAL} (edge.${LOCAL} [10.0.0.10])\n\t${POSTFIX_TLS}by hub.${LOCAL} (Postfix) with ESMTPS id ${g.qid()}\n\tfor <${rcpt}>; ${rfcDate(at(2000))}`,
      r.chance(0.8)
        ? `Received: from ${s.mta} (${s.mta} [${s.ip}])\n\t${POSTFIX_TLS}by edge.${LOCAL} (Postfix) with ESMTPS id ${g.qid()}\n\tfor <${rcpt}>; ${rfcDate(at(1000))}`
        : `Received: from ${s.mta} (${s.mta} [${s.ip}])\n\tby edge.${LOCAL} (Postfix) with ESMTP id ${g.qid()}\n\tfor <${rcpt}>; ${rfcDate(at(1000))}`,
    ];
    if (s.kind === 'exchange') {
      // submitted over MAPI on the mailbox server, handed to the sending server inside the organisation
      const mbx = `MBX01.${s.domain}`;
      h.push(`Received: from ${mbx} (10.1.2.3) by ${s.mta}\n (10.1.2.4) with Microsoft SMTP Server (version=TLS1_2,\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id ${exchangeId}; ${rfcDate(at(500))}`);
      h.push(`Received: from ${mbx} ([fe80::a639:b02c:5189:7140]) by ${mbx}\n ([fe80::a639:b02c:5189:7140%7]) with mapi id ${exchangeId}; ${rfcDate(at(0))}`);
    } else if (!bounce) h.push(`Received: by ${s.mta} (Postfix, from userid 1000) id ${g.qid()}; ${rfcDate(at(0))}`);
    const mid = s.kind === 'exchange' ? `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`.toLowerCase() : `${at(0).toISOString().replace(/\D/g, '').slice(0, 14)}.${g.qid()}`;
    h.push(`Message-ID: <${mid}@${s.mta}>`, `Date: ${rfcDate(at(0), false)}`, `From: ${bounce ? `Mail Delivery System <${from}>` : from}`, `To: ${rcpt}`);
    h.push(`Subject: ${bounce ? 'Undelivered Mail Returned to Sender' : `${r.pick(WORDS)} ${r.pick(WORDS)} ${r.pick(WORDS)}`}`, 'MIME-Version: 1.0');
    await out.text(`${h.join('\n')}\n`);

    const b = `----=_Part_${r.alnum(16)}`;
    const kind = messages % 50 === 3 ? 'signed' : messages % 50 === 17 ? 'enveloped' : !bigDone && out.bytes >= (opts.bytes - big) / 2 ? 'big' : r.chance(0.25) ? 'attachments' : 'plain';
    if (kind === 'plain') {
      await out.text(`Content-Type: text/plain; charset=us-ascii\n\n${g.paragraphs(r.int(1, 6))}`);
    } else if (kind === 'signed') {
      counts['smime-signed']++;
      await out.text(`Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\n\tboundary="${b}"\n\nThis is an S/MIME signed message\n\n--${b}\nContent-Type: text/plain; charset=us-ascii\n\n${g.paragraphs(r.int(1, 3))}\n--${b}\nContent-Type: application/pkcs7-signature; name="smime.p7s"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="smime.p7s"\n\n`);
      await g.base64(out, r.int(3000, 6000));
      await out.text(`\n--${b}--\n`);
    } else if (kind === 'enveloped') {
      counts['smime-encrypted']++;
      await out.text('Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="smime.p7m"\n\n');
      await g.base64(out, r.int(10_000, 200_000));
    } else {
      await out.text(`Content-Type: multipart/mixed;\n\tboundary="${b}"\n\nThis is a multi-part message in MIME format.\n\n--${b}\nContent-Type: text/plain; charset=us-ascii\n\n${g.paragraphs(r.int(1, 3))}`);
      const sizes = kind === 'big' ? [big] : Array.from({ length: r.int(1, 3) }, () => Math.round(Math.exp(r.next() * Math.log(1_000_000 / 5000)) * 5000));
      bigDone ||= kind === 'big';
      for (const size of sizes) {
        const [name, type] = r.pick(FILES);
        await out.text(`\n--${b}\nContent-Type: ${type}; name="${name}"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="${name}"\n\n`);
        await g.base64(out, size);
      }
      await out.text(`\n--${b}--\n`);
    }
    // the blank line that ends every message in the mbox format
    await out.text('\n');
    messages++;
  }
  await out.close();
  return { messages, bytes: out.bytes, protected: counts };
}

// ---------------------------------------------------------------------------------------------
// CLI: node --import tsx bench/generate/mbox.ts --bytes N [--seed S] [--big-attachment N] --out FILE

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { bytes: { type: 'string' }, seed: { type: 'string', default: '1' }, 'big-attachment': { type: 'string' }, out: { type: 'string' } } });
  const bytes = Number(values.bytes);
  const big = values['big-attachment'] === undefined ? undefined : Number(values['big-attachment']);
  if (!values.out || !Number.isInteger(bytes) || bytes < 0 || (big !== undefined && !(big >= 0))) {
    process.stderr.write('usage: node --import tsx bench/generate/mbox.ts --bytes N [--seed S] [--big-attachment N] --out FILE\n');
    process.exit(2);
  }
  const t0 = performance.now();
  const r = await writeMbox(values.out, { bytes, seed: Number(values.seed), bigAttachmentBytes: big });
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`wrote ${r.messages} messages, ${r.bytes} bytes (${JSON.stringify(r.protected)} protected) to ${values.out} in ${s.toFixed(1)} s (${(r.bytes / 2 ** 20 / s).toFixed(0)} MB/s)\n`);
}
