import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Two thumbprints for a server's certificate and its renewal. */
export const OLD_THUMB = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
export const NEW_THUMB = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

/**
 * A receive protocol log of server HUB9 (log-formats.md §2.2 header, §2.4 certificate row layout)
 * with one STARTTLS session per entry, each presenting the certificate whose data (space-joined
 * subject, issuer, serial, thumbprint, validity, names) is given. Returns the server's folder.
 */
export function writeHub9Certificates(root: string, sessions: readonly { at: string; cert: string }[]): string {
  const dir = join(root, 'HUB9', 'TransportRoles', 'Logs', 'Hub', 'ProtocolLog', 'SmtpReceive');
  mkdirSync(dir, { recursive: true });
  const head = '#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: SMTP Receive Protocol Log\n#Date: 2026-11-01T00:00:00.000Z\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n';
  const body = sessions.map(({ at, cert }, i) => {
    const id = `08DE00000000000${i + 1}`;
    const row = (seq: number, ev: string, data: string, ctx = '') => `${at},HUB9\\Default HUB9,${id},${seq},10.0.0.9:25,10.0.0.8:41000,${ev},${data},${ctx}`;
    return [row(0, '+', ''), row(1, '<', 'EHLO edge9.corp.example'), row(2, '<', 'STARTTLS'), row(3, '>', '220 2.0.0 SMTP server ready'),
      row(4, '*', cert, 'Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names'), row(5, '-', '', 'Local')].join('\n');
  });
  writeFileSync(join(dir, 'RECV2026110100-1.LOG'), `${head}${body.join('\n')}\n`);
  return join(root, 'HUB9');
}
