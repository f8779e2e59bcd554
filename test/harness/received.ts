import assert from 'node:assert/strict';
import type { Trace } from '../../schemas/index.ts';

/**
 * Ground truth from delivered mail: the Received headers Postfix's smtpd and bounce daemon write
 * (format: shared/reference/log-formats.md §4.5). A test compares mailtrace's reading of the logs
 * with this second, independent record of the same hops.
 */
export interface ReceivedHop {
  /** HELO name the client gave ('' for a locally made message such as a bounce notification) */
  helo: string;
  /** the client's verified name, as smtpd also logs it in `client=` */
  client: string;
  /** the receiving host, first label (how its log lines name it) */
  host: string;
  queueId: string;
  /** ESMTP, ESMTPS (TLS), SMTP, … ('' for a local origin) */
  protocol: string;
  tls: boolean;
  tlsVersion: string;
  cipher: string;
}

/** The header block of a message (up to the first empty line). */
export function headerSection(raw: string): string {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  return end < 0 ? text : text.slice(0, end);
}

/** Unfolded values of every header with this name, in order of appearance. */
export function headerValues(raw: string, name: string): string[] {
  const unfolded = headerSection(raw).replace(/\n[ \t]+/g, ' ');
  const prefix = `${name.toLowerCase()}:`;
  return unfolded.split('\n').filter((l) => l.toLowerCase().startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
}

/** The message a bounce notification returns (its message/rfc822 part), if any. */
export function attachedMessage(raw: string): string | undefined {
  const text = raw.replace(/\r\n/g, '\n');
  const at = text.search(/^Content-Type: message\/rfc822/im);
  if (at < 0) return undefined;
  const bodyStart = text.indexOf('\n\n', at);
  return bodyStart < 0 ? undefined : text.slice(bodyStart + 2);
}

/** Received headers written by Postfix, oldest hop first. */
export function receivedChain(raw: string): ReceivedHop[] {
  const hops: ReceivedHop[] = [];
  for (const v of headerValues(raw, 'Received')) {
    const by = /\bby (\S+) \(Postfix\)/.exec(v);
    if (!by) continue;
    const from = /^from (\S+) \((\S+) \[[^\]]+\]\)/.exec(v);
    const using = /\(using (\S+) with cipher (\S+)/.exec(v);
    const protocol = /\bwith (\w+)/.exec(v)?.[1] ?? '';
    hops.push({
      helo: from?.[1] ?? '',
      client: from?.[2] ?? '',
      host: by[1].split('.')[0],
      queueId: /\bid ([0-9A-Za-z]+)/.exec(v)?.[1] ?? '',
      protocol,
      // RFC 3848: an S after ESMTP means the transfer was protected by TLS
      tls: /^ESMTPS/.test(protocol) || using !== null,
      tlsVersion: using?.[1] ?? '',
      cipher: using?.[2] ?? '',
    });
  }
  return hops.reverse();
}

/**
 * A delivered copy and the trace of its message: every Received header with a `from` clause (a
 * transfer; `by HOST (Postfix) id X` alone is where a bounce was made) is a hop the logs saw too,
 * with no disagreement about it. Returns how many hops were seen twice.
 */
export function checkHeadersAgree(name: string, raw: string, trace: Trace): number {
  const owner = headerValues(raw, 'Delivered-To')[0];
  const r = trace.recipients.find((x) => x.address === owner);
  assert.ok(r, `${name}: recipient ${owner} in the trace`);
  const transfers = headerValues(raw, 'Received').filter((v) => /^from /.test(v));
  const joined = r.hops.filter((h) => h.provenance === 'both');
  assert.equal(joined.length, transfers.length, `${name}: ${r.hops.map((h) => `${h.from}→${h.to} ${h.provenance}`).join(', ')}`);
  assert.ok(r.hops.every((h) => h.provenance !== 'header'), `${name}: no hop only a header claims`);
  assert.ok(r.hops.every((h) => h.conflict === ''), `${name}: header and log agree: ${r.hops.map((h) => h.conflict).join(' ')}`);
  for (const h of joined) assert.match(h.protocol, /^ESMTPS?$/, `${name}: protocol from the header`);
  // the header's TLS claim is the log's verdict (Postfix adds the S for a TLS session, §4.5)
  for (const h of joined) assert.equal(h.tls, h.protocol === 'ESMTPS' ? 'encrypted' : 'plaintext', `${name}: ${h.from}→${h.to}`);
  assert.equal(trace.protection.known, true, `${name}: a copy was read`);
  return joined.length;
}

/** The Message-ID of a raw message. */
export function messageIdOf(raw: string): string {
  return /<[^>]+>/.exec(headerValues(raw, 'Message-Id')[0] ?? '')?.[0] ?? '';
}

/**
 * A planted contradiction for the real run's delivered copies: the hub → mailbox hop ran without
 * TLS (its log says so); this makes the mailbox's Received header claim TLS on it.
 */
export function plantTlsClaim(raw: string): string {
  const out = raw.replace(/(Received: from hub\.mt\.test \(localhost \[127\.0\.0\.1\]\)\n)(\tby mailbox\.mt\.test \(Postfix\) with )ESMTP /,
    '$1\t(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))\n$2ESMTPS ');
  assert.notEqual(out, raw, 'the TLS claim was planted');
  return out;
}
