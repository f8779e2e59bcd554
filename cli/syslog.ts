import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseListen, SyslogReceiver } from '../ingest/index.ts';
import { MailtraceError, type StoreConfig } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import type { Settings } from './config.ts';
import { HELP } from './help.ts';
import { runLive } from './live.ts';
import { STREAM_FLAGS } from './stream.ts';

/**
 * `mailtrace syslog --listen udp://…,tcp://…`: receive forwarded syslog, spool it per sender, and
 * follow the spool into the store (or the stream, with --kafka) until SIGINT/SIGTERM.
 */
export async function syslogCommand(args: string[], readEnv: () => Settings, openStore: (cfg: StoreConfig) => Promise<Store>): Promise<number> {
  const { values } = parseArgs({ args, options: {
    listen: { type: 'string' }, spool: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
    data: { type: 'string' }, clickhouse: { type: 'string' }, state: { type: 'string' }, ...STREAM_FLAGS, help: { type: 'boolean', short: 'h' },
  } });
  if (values.help) {
    process.stdout.write(`${HELP.syslog}\n`);
    return 0;
  }
  const usage = (why: string) => {
    process.stderr.write(`mailtrace syslog: ${why}\n\n${HELP.syslog}\n`);
    return 2;
  };
  if (!values.listen) return usage('--listen is required');
  let listen;
  try {
    listen = parseListen(values.listen);
  } catch (err) {
    return usage((err as Error).message);
  }
  if (listen.length === 0) return usage('--listen names no address');
  if (!values['tls-cert'] !== !values['tls-key']) return usage('--tls-cert and --tls-key go together');
  const tls = values['tls-cert'] ? { cert: read(values['tls-cert'], '--tls-cert'), key: read(values['tls-key']!, '--tls-key') } : undefined;
  const spoolDir = resolve(values.spool ?? './mailtrace-syslog-spool');
  const say = (msg: string) => process.stderr.write(`mailtrace: ${msg}\n`);
  return runLive(values, readEnv(), openStore, usage, async () => {
    const r = await SyslogReceiver.start({ listen, spoolDir, tls, onWarning: say });
    process.stdout.write(`mailtrace syslog: listening on ${r.addresses.join(', ')}; spool ${spoolDir}\n`);
    return { spoolDir, cycleDone: (t) => r.cycleDone(t), summary: () => `syslog: ${r.messages} messages received`, close: () => r.close() };
  });
}

function read(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `${flag} ${path}: ${(err as Error).message}`, { cause: err });
  }
}
