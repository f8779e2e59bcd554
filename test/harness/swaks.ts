import { outputOf, run } from './exec.ts';

export interface SendOptions {
  /** envelope recipients; several make one message with several recipients (swaks comma list) */
  to: readonly string[];
  from: string;
  /** the Message-ID header, with angle brackets */
  messageId: string;
  /** STARTTLS from the client (swaks --tls); certificates are not verified by swaks */
  tls?: boolean;
  subject?: string;
  body?: string;
  /** HELO name of the client */
  helo?: string;
  /** a refused transaction is an outcome the test asserts, not an error */
  allowFailure?: boolean;
}

export interface SendResult {
  code: number;
  /** swaks' SMTP transcript */
  transcript: string;
}

/**
 * One SMTP transaction with swaks. Notes: repeated --to keeps only the last, so recipients go
 * as one comma list; --h-Message-Id replaces the header swaks would generate.
 */
export async function swaks(port: number, o: SendOptions): Promise<SendResult> {
  const args = [
    '--server', '127.0.0.1', '--port', String(port),
    '--helo', o.helo ?? 'client.mt.test',
    '--from', o.from,
    '--to', o.to.join(','),
    '--h-Message-Id', o.messageId,
    '--h-Subject', o.subject ?? `mailtrace harness ${o.messageId}`,
    '--body', o.body ?? 'Sent by the mailtrace Postfix harness.',
    '--timeout', '15',
  ];
  if (o.tls) args.push('--tls');
  const r = await run('swaks', args, { timeoutMs: 30_000 });
  if (r.code !== 0 && !o.allowFailure) throw new Error(`swaks to 127.0.0.1:${port} failed (exit ${r.code}) for ${o.messageId}\n${outputOf(r)}`);
  return { code: r.code, transcript: `${r.stdout}${r.stderr}` };
}
