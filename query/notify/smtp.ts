import nodemailer from 'nodemailer';
import { MailtraceError, type SmtpConfig } from '../../schemas/index.ts';

/**
 * The one way mailtrace sends mail (alerts, reports): nodemailer to the configured relay. The
 * relay's answer is returned (its queue id, so a test or an operator can follow the message in
 * that relay's log); a refusal or an unreachable relay is MT_ERR_NOTIFY with the relay's words.
 */
export interface OutgoingMail {
  to: readonly string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: { filename: string; content: string | Buffer; contentType?: string }[];
  /** extra header fields (e.g. a stable X-Mailtrace-Incident for de-duplication by the receiver) */
  headers?: Record<string, string>;
}

export interface SentMail {
  messageId: string;
  /** the relay's final reply, e.g. `250 2.0.0 Ok: queued as 4ABC123DEF` */
  response: string;
  accepted: string[];
  rejected: string[];
}

export async function sendMail(cfg: SmtpConfig, mail: OutgoingMail, password?: string): Promise<SentMail> {
  const transport = nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: false,
    ignoreTLS: cfg.tls === 'none',
    requireTLS: cfg.tls === 'require',
    // a local relay's certificate is often self-signed; `require` still insists on encryption
    tls: { rejectUnauthorized: false },
    auth: cfg.username ? { user: cfg.username, pass: password ?? '' } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  try {
    const info = await transport.sendMail({
      from: cfg.from, to: [...mail.to], subject: mail.subject, text: mail.text, html: mail.html,
      attachments: mail.attachments, headers: mail.headers,
    });
    return { messageId: info.messageId, response: info.response, accepted: info.accepted.map(String), rejected: info.rejected.map(String) };
  } catch (err) {
    throw new MailtraceError('MT_ERR_NOTIFY', `could not send "${mail.subject}" through ${cfg.host}:${cfg.port}: ${(err as Error).message}`, { cause: err });
  } finally {
    transport.close();
  }
}
