import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { run } from './exec.ts';

/**
 * A real Apache Kafka broker for the tests: one KRaft node (broker and controller) on 127.0.0.1,
 * jars from Maven Central (test/harness/kafka/pom.xml, fetched by fetch.sh into .cache/), data in
 * a fresh temp folder formatted each start. Settings and traps: ../shared/reference/harness-notes.md.
 *
 * stop() + start() restart the same broker on the same ports and data (the outage fault test);
 * close() stops it and removes its folder. A process exit kills a broker still running.
 */
export interface Broker {
  /** `127.0.0.1:PORT`, for kafkajs `brokers` */
  readonly brokers: string;
  readonly dir: string;
  /** SIGTERM, SIGKILL after 20 s; the data stays for start() */
  stop(): Promise<void>;
  /** start again on the same ports and data; resolves when it answers */
  start(): Promise<void>;
  close(): Promise<void>;
  /** the broker's own log (INFO and above) */
  logFile: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const FETCH = join(HERE, 'kafka', 'fetch.sh');

let cachedLibs: { ok: true; libs: string } | { ok: false; why: string } | undefined;

/** Java and the broker's jars (fetched once from Maven Central when missing). */
export function kafkaAvailability(): { ok: true; libs: string } | { ok: false; why: string } {
  if (cachedLibs) return cachedLibs;
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.status !== 0) return (cachedLibs = { ok: false, why: 'java is not installed (the Kafka broker needs Java 17+)' });
  const r = spawnSync('bash', [FETCH], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return (cachedLibs = { ok: false, why: `the Kafka jars could not be fetched: ${(r.stderr || r.stdout || r.error?.message || '').trim().slice(-600)}` });
  return (cachedLibs = { ok: true, libs: r.stdout.trim().split('\n').pop()! });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => { for (const p of running) p.kill('SIGKILL'); });

export async function startKafka(opts: { partitions?: number; startTimeoutMs?: number } = {}): Promise<Broker> {
  const avail = kafkaAvailability();
  if (!avail.ok) throw new Error(`cannot start Kafka: ${avail.why}`);
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const logs = join(dir, 'data');
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logs}`,
    `num.partitions=${opts.partitions ?? 3}`,
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'auto.create.topics.enable=false',
    // the first member of a group must not drain every partition before the second joins (harness notes)
    'group.initial.rebalance.delay.ms=1500',
    '',
  ].join('\n'));
  const log4j = join(dir, 'log4j2.properties');
  const logFile = join(dir, 'broker.log');
  writeFileSync(log4j, [
    'rootLogger.level=INFO',
    'rootLogger.appenderRef.f.ref=F',
    'appender.f.type=File',
    'appender.f.name=F',
    `appender.f.fileName=${logFile}`,
    'appender.f.layout.type=PatternLayout',
    'appender.f.layout.pattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n'));
  const cp = `${avail.libs}/*`;
  const uuid = await run('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], { timeoutMs: 60_000 });
  if (uuid.code !== 0) throw new Error(`kafka StorageTool random-uuid failed: ${uuid.stderr || uuid.stdout}`);
  const fmt = await run('java', ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', uuid.stdout.trim(), '-c', props], { timeoutMs: 60_000 });
  if (fmt.code !== 0) throw new Error(`kafka StorageTool format failed: ${fmt.stderr || fmt.stdout}`);

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const out = createWriteStream(join(dir, 'stdout.log'), { flags: 'a' });
    const p = spawn('java', ['-Xmx384m', `-Dlog4j2.configurationFile=${log4j}`, '-cp', cp, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.pipe(out);
    p.stderr!.pipe(out);
    running.add(p);
    p.once('exit', () => running.delete(p));
    child = p;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (p.exitCode !== null) throw new Error(`the Kafka broker exited with ${p.exitCode} while starting; see ${dir}/stdout.log and ${logFile}`);
      if (await portOpen(port)) return;
      await delay(200);
    }
    p.kill('SIGKILL');
    throw new Error(`the Kafka broker did not open 127.0.0.1:${port} within ${opts.startTimeoutMs ?? 60_000} ms; see ${logFile}`);
  };
  const stop = async (): Promise<void> => {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const killer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  await start();
  return {
    brokers: `127.0.0.1:${port}`,
    dir,
    logFile,
    stop,
    start,
    async close() {
      await stop();
      if (process.env.MAILTRACE_HARNESS_KEEP !== '1' && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** a scratch folder beside the broker's (state of ingestors and sinks under test) */
export function scratchDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(d, { recursive: true });
  return d;
}
