import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { Spool } from './spool.ts';
import { readdirSync } from 'node:fs';

/**
 * A syslog receiver for mail servers that forward their logs (rsyslog, syslog-ng, `logger`):
 *   udp://HOST:PORT   one message per datagram (RFC 5426)
 *   tcp://HOST:PORT   octet-counted frames `LEN SP MSG` (RFC 6587 §3.4.1) or, when a frame does
 *                     not start with a digit, one message per line (§3.4.2, non-transparent framing)
 *   tls://HOST:PORT   the same over TLS (RFC 5425 uses octet counting), with --tls-cert/--tls-key
 * Messages are RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`, kept as they are: the
 * Postfix envelope reader takes them, format notes §4.1) or RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST
 * TAG[PID]: MSG`, kept without the `<PRI>`: then it is the classic syslog line of §4.1).
 * UNVERIFIED against ../shared/reference: the framing (RFC 6587/5425) and the `<PRI>` prefix of
 * forwarded RFC 3164 are from the RFCs and checked against util-linux `logger` only, not against a
 * real rsyslog or syslog-ng forwarder. A message that is neither shape reaches the spool as it came
 * and the log reader keeps it aside (unknown-format), as it would from a file.
 *
 * Each sender (transport and address) gets its own file in the spool folder (ingest/sources/spool.ts),
 * appended to as messages arrive and read by the follow loop like any growing log, with its
 * checkpoints, so the store or the stream sees every message once and a restart loses nothing that
 * reached the spool.
 */
export interface ListenSpec { proto: 'udp' | 'tcp' | 'tls'; host: string; port: number }

/** `udp://0.0.0.0:5514,tcp://127.0.0.1:5514` → specs (throws a readable message on a bad one) */
export function parseListen(list: string): ListenSpec[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(udp|tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
    if (!m || Number(m[3]) > 65535) throw new Error(`"${s}" is not udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`);
    return { proto: m[1] as ListenSpec['proto'], host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
  });
}

export interface SyslogOptions {
  listen: readonly ListenSpec[];
  spoolDir: string;
  tls?: Pick<TlsOptions, 'cert' | 'key'>;
  /** a spool part is closed past this size (default 64 MiB) */
  partBytes?: number;
  onWarning?: (msg: string) => void;
}

/** the longest message kept whole (longer ones are cut here; the line reader rejects what is still too long) */
const MAX_MESSAGE = 64 * 1024;

export class SyslogReceiver {
  readonly #opts: SyslogOptions;
  readonly #servers: (Server | UdpSocket)[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #spool: Spool;
  /** the addresses listened on (port 0 resolved) */
  readonly addresses: string[] = [];
  messages = 0;

  private constructor(opts: SyslogOptions) {
    this.#opts = opts;
    this.#spool = new Spool(opts.spoolDir, opts.partBytes);
    // a line a killed receiver left half-written is ended (its sender sends it again, or it is lost with the connection)
    for (const n of readdirSync(opts.spoolDir)) if (/^(udp|tcp|tls)-[^.]*(\.[^.]+)*\.log$/.test(n) && !/\.part\d+\.log$/.test(n)) this.#spool.recoverTail(n.slice(0, -4));
  }

  static async start(opts: SyslogOptions): Promise<SyslogReceiver> {
    const r = new SyslogReceiver(opts);
    try {
      for (const spec of opts.listen) await r.#listen(spec);
    } catch (err) {
      await r.close();
      throw err;
    }
    return r;
  }

  async #listen(spec: ListenSpec): Promise<void> {
    if (spec.proto === 'udp') {
      const sock = createSocket(spec.host.includes(':') ? 'udp6' : 'udp4');
      sock.on('message', (msg, rinfo) => this.#message('udp', rinfo.address, msg.subarray(0, MAX_MESSAGE).toString('utf8')));
      sock.on('error', (err) => this.#opts.onWarning?.(`syslog udp: ${err.message}`));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(spec.port, spec.host, () => { sock.off('error', reject); resolve(); });
      });
      this.#servers.push(sock);
      this.addresses.push(`udp://${spec.host}:${sock.address().port}`);
      return;
    }
    if (spec.proto === 'tls' && !this.#opts.tls?.cert) throw new Error('tls:// needs a certificate and key (--tls-cert, --tls-key)');
    const proto: 'tcp' | 'tls' = spec.proto === 'tls' ? 'tls' : 'tcp';
    const onConn = (c: Socket) => this.#stream(proto, c);
    const server = spec.proto === 'tls' ? createTlsServer({ ...this.#opts.tls }, onConn) : createServer(onConn);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.port, spec.host, () => { server.off('error', reject); resolve(); });
    });
    server.on('error', (err) => this.#opts.onWarning?.(`syslog ${spec.proto}: ${err.message}`));
    this.#servers.push(server);
    this.addresses.push(`${spec.proto}://${spec.host}:${(server.address() as { port: number }).port}`);
  }

  /** A TCP or TLS connection: octet-counted frames, or lines. */
  #stream(proto: 'tcp' | 'tls', c: Socket): void {
    this.#sockets.add(c);
    const sender = c.remoteAddress ?? 'unknown';
    let buf: Buffer = Buffer.alloc(0);
    c.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length === 0) break;
        const c0 = buf[0];
        if (c0 >= 0x30 && c0 <= 0x39) {
          // octet counting: digits, a space, then exactly that many bytes
          const sp = buf.indexOf(0x20);
          if (sp < 0) {
            if (buf.length > 10) { this.#opts.onWarning?.(`syslog ${proto} ${sender}: a frame length that does not end; connection closed`); c.destroy(); }
            break;
          }
          const len = Number(buf.subarray(0, sp).toString('latin1'));
          if (!Number.isSafeInteger(len) || len > 16 * MAX_MESSAGE) { this.#opts.onWarning?.(`syslog ${proto} ${sender}: frame length ${len} refused; connection closed`); c.destroy(); break; }
          if (buf.length < sp + 1 + len) break;
          this.#message(proto, sender, buf.subarray(sp + 1, sp + 1 + Math.min(len, MAX_MESSAGE)).toString('utf8'));
          buf = buf.subarray(sp + 1 + len);
        } else {
          const nl = buf.indexOf(0x0a);
          if (nl < 0) {
            if (buf.length > MAX_MESSAGE) { this.#message(proto, sender, buf.subarray(0, MAX_MESSAGE).toString('utf8')); buf = Buffer.alloc(0); }
            break;
          }
          this.#message(proto, sender, buf.subarray(0, nl).toString('utf8'));
          buf = buf.subarray(nl + 1);
        }
      }
    });
    c.on('error', () => {});
    c.on('close', () => {
      if (buf.length > 0) this.#message(proto, sender, buf.subarray(0, MAX_MESSAGE).toString('utf8'));
      this.#sockets.delete(c);
    });
  }

  /** One message: the line the log readers take, appended to its sender's spool part. */
  #message(proto: string, sender: string, raw: string): void {
    const text = raw.replace(/\r?\n$/, '');
    if (text.trim() === '') return;
    // RFC 3164: the priority goes, the rest is the classic syslog line; RFC 5424 stays whole
    const line = /^<\d{1,3}>1 /.test(text) ? text : text.replace(/^<\d{1,3}>/, '');
    this.messages++;
    // messages with line breaks inside (not Postfix's) become one line each
    this.#spool.append(`${proto}-${sender.replace(/[^0-9A-Za-z.]/g, '_')}`, `${line.split(/\r?\n/).join('\n')}\n`);
  }

  /** After a follow cycle that began at `startedAt`: closed parts it read to their end are deleted. */
  cycleDone(startedAt: number): void {
    this.#spool.cycleDone(startedAt);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => {
      if ('send' in s) s.close(() => resolve());
      else s.close(() => resolve());
    })));
  }
}
