import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Metrics, parseListen, SyslogReceiver, type EventPublisher } from '../ingest/index.ts';
import { MailtraceError, type StoreConfig } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import { storeConfig, type Settings } from './config.ts';
import { follow, stopSignal } from './follow.ts';
import { HELP } from './help.ts';
import { openPublisher, STREAM_FLAGS, streamConfig } from './stream.ts';

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
  const settings = readEnv();
  const spoolDir = resolve(values.spool ?? './mailtrace-syslog-spool');
  const say = (msg: string) => process.stderr.write(`mailtrace: ${msg}\n`);
  let to: { store: Store } | { publish: EventPublisher };
  if (values.kafka !== undefined) {
    if (values.data !== undefined || values.clickhouse !== undefined) return usage('--kafka publishes to the stream: the sink stores (drop --data/--clickhouse)');
    to = { publish: await openPublisher(streamConfig(values), resolve(values.state ?? './mailtrace-state')) };
  } else {
    to = { store: await openStore(storeConfig(values, settings)) };
  }
  let receiver: SyslogReceiver | undefined;
  try {
    receiver = await SyslogReceiver.start({ listen, spoolDir, tls, onWarning: say });
    process.stdout.write(`mailtrace syslog: listening on ${receiver.addresses.join(', ')}; spool ${spoolDir}\n`);
    const r = receiver;
    await follow(to, settings, [spoolDir], stopSignal(), new Metrics(), (startedAt) => r.cycleDone(startedAt));
    say(`syslog: ${r.messages} messages received`);
  } finally {
    await receiver?.close();
    if ('publish' in to) await to.publish.close();
    else await to.store.close();
  }
  return 0;
}

function read(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new MailtraceError('MT_ERR_BAD_CONFIG', `${flag} ${path}: ${(err as Error).message}`, { cause: err });
  }
}
