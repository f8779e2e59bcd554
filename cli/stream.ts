import { parseArgs } from 'node:util';
import { KafkaPublisher, Metrics, Sink, type SinkTotals } from '../ingest/index.ts';
import { buildOpsApp } from '../query/index.ts';
import { MailtraceError, parseBrokers, StreamConfig, type StoreConfig } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import { serveConfig, storeConfig, type Settings } from './config.ts';
import { formatCount } from './format.ts';
import { HELP } from './help.ts';

/** the stream flags `ingest` and `sink` share */
export const STREAM_FLAGS = {
  kafka: { type: 'string' },
  topic: { type: 'string' },
} as const;

/** --kafka/--topic/--group → the checked stream config (MT_ERR_BAD_CONFIG names the flag). */
export function streamConfig(flags: { kafka?: string; topic?: string; group?: string }): StreamConfig {
  const parsed = StreamConfig.safeParse({ brokers: parseBrokers(flags.kafka ?? ''), topic: flags.topic, group: flags.group });
  if (!parsed.success) {
    const flag = (p: PropertyKey | undefined) => (p === 'brokers' ? '--kafka' : p === 'topic' ? '--topic' : p === 'group' ? '--group' : '');
    throw new MailtraceError('MT_ERR_BAD_CONFIG', parsed.error.issues.map((i) => `${flag(i.path[0])}: ${i.message}`).join('; '));
  }
  return Object.freeze(parsed.data);
}

/** Open a publisher for `ingest --kafka`; its checkpoints live in `stateDir`. */
export function openPublisher(cfg: StreamConfig, stateDir: string): Promise<KafkaPublisher> {
  return KafkaPublisher.open(cfg, stateDir, (msg) => process.stderr.write(`mailtrace: ${msg}\n`));
}

/**
 * `mailtrace sink`: a consumer-group member that stores the stream's records and stitches what
 * they touched. Runs until SIGINT/SIGTERM, then finishes its batch, leaves the group and prints
 * what it stored.
 */
export async function sinkCommand(args: string[], readEnv: () => Settings, openStore: (cfg: StoreConfig) => Promise<Store>): Promise<number> {
  const { values } = parseArgs({ args, options: { data: { type: 'string' }, clickhouse: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...STREAM_FLAGS, group: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'session-timeout': { type: 'string' } } });
  if (values.help) {
    process.stdout.write(`${HELP.sink}\n`);
    return 0;
  }
  if (!values.kafka) {
    process.stderr.write(`mailtrace sink: --kafka is required\n\n${HELP.sink}\n`);
    return 2;
  }
  const stream = streamConfig(values);
  const settings = readEnv();
  const cfg = storeConfig(values, settings);
  // /health and /metrics only when asked for a port (several sinks may share a machine)
  const ops = values.port !== undefined ? serveConfig({ host: values.host, port: values.port }, settings) : undefined;
  if (!ops && values.host !== undefined) {
    process.stderr.write(`mailtrace sink: --host goes with --port\n\n${HELP.sink}\n`);
    return 2;
  }
  const metrics = new Metrics();
  const sessionSeconds = values['session-timeout'] === undefined ? 30 : Number(values['session-timeout']);
  if (!(Number.isInteger(sessionSeconds) && sessionSeconds >= 6 && sessionSeconds <= 300)) {
    process.stderr.write(`mailtrace sink: --session-timeout takes 6 to 300 seconds\n\n${HELP.sink}\n`);
    return 2;
  }
  const store = await openStore(cfg);
  const say = (msg: string) => process.stderr.write(`mailtrace: ${msg}\n`);
  let sink: Sink | undefined;
  let app: Awaited<ReturnType<typeof buildOpsApp>> | undefined;
  try {
    // the endpoints answer from the start: /health says 503 while the member joins its group
    if (ops) {
      app = await buildOpsApp({
        ready: async () => {
          if (!sink) throw new Error('joining the consumer group');
          await sink.ready();
        },
        metrics: () => metrics.render(), token: ops.token,
      });
      try {
        const address = await app.listen({ host: ops.host, port: ops.port });
        process.stdout.write(`mailtrace sink: /health and /metrics at ${address}\n`);
      } catch (err) {
        throw new MailtraceError('MT_ERR_BAD_CONFIG', `cannot listen on ${ops.host}:${ops.port}: ${(err as Error).message}`, { cause: err });
      }
    }
    let lastReport = 0;
    sink = await Sink.start({
      sessionTimeoutMs: sessionSeconds * 1000,
      store,
      stream,
      onWarning: say,
      metrics,
      onBatch: () => {
        const now = Date.now();
        if (now - lastReport < 10_000 || !sink) return;
        lastReport = now;
        say(`sink: ${totalsText(sink.totals)}`);
      },
    });
    process.stdout.write(`mailtrace sink: member of group ${stream.group} on ${stream.topic} (${stream.brokers.join(',')}), storing into ${cfg.kind === 'embedded' ? cfg.dataDir : new URL(cfg.url).host}\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
    await sink.stop();
    process.stdout.write(`mailtrace sink: stopped; ${totalsText(sink.totals)}\n`);
  } finally {
    await app?.close();
    await sink?.stop();
    await store.close();
  }
  return 0;
}

function totalsText(t: SinkTotals): string {
  const dead = Object.values(t.deadLetters).reduce((a, b) => a + (b ?? 0), 0);
  return `${formatCount(t.records)} records, ${formatCount(t.events)} events, ${formatCount(t.rejections)} kept-aside lines stored, ${formatCount(dead)} dead letters`;
}
