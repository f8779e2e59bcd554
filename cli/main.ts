import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { analyzeHeaders, inputFiles, Metrics, runIngest, Sink, type BadInput, type EventPublisher, type DateOrder, type IngestSummary, type InputFormat } from '../ingest/index.ts';
import { buildApp, startPolicyChecks, startScheduler, traceMessage, type IngestHook, type PolicyRunner, type Scheduler } from '../query/index.ts';
import { MailtraceError, reportsSettings, type StoreConfig, type Trace } from '../schemas/index.ts';
import { Store } from '../store/index.ts';
import { ensureStitched } from '../stitch/index.ts';
import { policyCommand } from './policy.ts';
import { reportCommand } from './report.ts';
import { tokenCommand } from './token.ts';
import { openPublisher, sinkCommand, STREAM_FLAGS, streamConfig } from './stream.ts';
import { follow, stopSignal } from './follow.ts';
import { dbCommand } from './db.ts';
import { journalCommand } from './journal.ts';
import { syslogCommand } from './syslog.ts';
import { readConfigFile, readSettings, serveConfig, storeConfig, type Settings } from './config.ts';
import { formatCount, formatIngestSummary, formatTrace } from './format.ts';
import { findOwner, removeOwner, writeOwner } from './owner.ts';
import { HELP } from './help.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** the bundled sample: a three-host Postfix maillog and an Exchange organisation's log trees */
export const SAMPLE_INPUTS = [join(ROOT, 'bench', 'sample', 'maillog'), join(ROOT, 'bench', 'sample', 'exchange'), join(ROOT, 'bench', 'sample', 'maildir')];
const DASHBOARD_DIR = join(ROOT, 'dashboard', 'dist');
/** how often `serve` checks the TLS policy (each check looks at the policy's window, 15 minutes by default) */
const POLICY_CHECK_MS = 5 * 60_000;

const COMMON = {
  data: { type: 'string' },
  clickhouse: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // the environment is read once, here: a bad value stops every command before it does anything
    const settings = () => readSettings();
    switch (command) {
      case 'ingest': return await ingestCommand(rest, settings);
      case 'serve': return await serveCommand(rest, false, settings);
      case 'sink': return await sinkCommand(rest, settings, openStore);
      case 'syslog': return await syslogCommand(rest, settings, openStore);
      case 'journal': return await journalCommand(rest, settings, openStore);
      case 'db': return await dbCommand(rest, settings, openStore);
      case 'demo': return await serveCommand(rest, true, settings);
      case 'trace': return await traceCommand(rest, settings);
      case 'token': return await tokenCommand(rest);
      case 'report': return await reportCommand(rest, settings, openStore);
      case 'policy': return await policyCommand(rest, settings(), { openStore, remote, ownerUrl: (cfg) => (cfg.kind === 'embedded' ? findOwner(cfg.dataDir)?.url : undefined) });
      case undefined: case '-h': case '--help': case 'help':
        process.stdout.write(`${HELP.main}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`mailtrace: unknown command ${JSON.stringify(command)}\n\n${HELP.main}\n`);
        return 2;
    }
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof MailtraceError) {
    process.stderr.write(`mailtrace: ${err.message} [${err.code}]\n`);
    return err.code === 'MT_ERR_NOT_FOUND' ? 1 : err.code === 'MT_ERR_BAD_CONFIG' ? 2 : 1;
  }
  if (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`mailtrace: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`mailtrace: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  return 1;
}

async function ingestCommand(args: string[], readEnv: () => Settings): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...COMMON, ...STREAM_FLAGS, state: { type: 'string' }, follow: { type: 'boolean' }, format: { type: 'string', default: 'auto' }, force: { type: 'boolean' }, 'date-format': { type: 'string' }, workers: { type: 'string' } } });
  if (values.help) return help('ingest');
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) return usage('ingest', `--workers takes 1 to 64, not ${values.workers}`);
  const settings = readEnv();
  const dateOrder = values['date-format'];
  if (dateOrder !== undefined && dateOrder !== 'mdy' && dateOrder !== 'dmy') return usage('ingest', `unknown --date-format ${dateOrder} (mdy or dmy)`);
  if (positionals.length === 0) return usage('ingest', 'give at least one file, directory or -');
  if (values.format !== 'auto' && values.format !== 'postfix' && values.format !== 'exchange' && values.format !== 'journal') return usage('ingest', `unknown --format ${values.format}`);
  if (values.follow && (positionals.includes('-') || values.force)) return usage('ingest', '--follow takes files and directories (not - or --force)');
  if (values.kafka !== undefined) {
    if (values.data !== undefined || values.clickhouse !== undefined) return usage('ingest', '--kafka publishes to the stream: the sink stores (drop --data/--clickhouse)');
    const stream = streamConfig(values);
    const publisher = await openPublisher(stream, resolve(values.state ?? './mailtrace-state'));
    try {
      if (values.follow) {
        await follow({ publish: publisher }, settings, positionals, stopSignal());
        await publisher.close();
        return 0;
      }
      const summary = await ingestWithProgress({ publish: publisher }, settings, positionals, values.format, values.force ?? false, dateOrder, workers);
      await publisher.close();
      process.stdout.write(`${formatIngestSummary(summary)}\n  ${formatCount(publisher.acknowledged)} events and kept-aside lines acknowledged by the brokers (topic ${stream.topic})\n`);
      return ingestExit(summary);
    } finally {
      await publisher.close().catch(() => {});
    }
  }
  if (values.topic !== undefined || values.state !== undefined) return usage('ingest', '--topic and --state go with --kafka');
  const cfg = storeConfig(values, settings);
  const owner = cfg.kind === 'embedded' ? findOwner(cfg.dataDir) : undefined;
  if (owner && values.follow) throw new MailtraceError('MT_ERR_STORE_LOCKED', `${cfg.kind === 'embedded' ? cfg.dataDir : ''} is served by pid ${owner.pid}: follow the logs from that server instead (\`mailtrace serve --follow PATH\`)`);
  if (owner) {
    process.stderr.write(`mailtrace: ${cfg.kind === 'embedded' ? cfg.dataDir : ''} is served by pid ${owner.pid}; ingesting through ${owner.url}\n`);
    if (dateOrder) process.stderr.write('mailtrace: --date-format applies to a direct ingest only; stop `mailtrace serve` to use it\n');
    const summary = await uploadAndIngest(settings, owner.url, positionals);
    process.stdout.write(`${formatIngestSummary(summary)}\n`);
    return ingestExit(summary);
  }
  const store = await openStore(cfg);
  try {
    if (values.follow) {
      await follow({ store }, settings, positionals, stopSignal());
      return 0;
    }
    const summary = await ingestWithProgress({ store }, settings, positionals, values.format, values.force ?? false, dateOrder, workers);
    process.stdout.write(`${formatIngestSummary(summary)}\n`);
    return ingestExit(summary);
  } finally {
    await store.close();
  }
}

/**
 * Ingest through the server that owns the store: the files' bytes go up (the server opens no path
 * a client names), named by their absolute paths here, then one run ingests them all together.
 */
async function uploadAndIngest(settings: Settings, base: string, inputs: string[]): Promise<IngestSummary> {
  const bad: BadInput[] = [];
  const onBad = (path: string, reason: string, offset = 0) => {
    bad.push({ path, reason, offset });
    process.stderr.write(`mailtrace: MT_ERR_BAD_INPUT ${path}: ${reason}; going on with the other inputs\n`);
  };
  const files = await inputFiles(inputs.map((p) => (p === '-' ? p : resolve(p))), onBad);
  const session = randomBytes(16).toString('hex');
  const tty = process.stderr.isTTY;
  let sent = 0;
  for (const [i, f] of files.entries()) {
    if (tty) process.stderr.write(`\r\x1b[Kuploading ${i + 1}/${files.length}: ${f.path}`);
    const name = f.path === '-' ? '<stdin>' : f.path;
    const body = f.path === '-' ? process.stdin : createReadStream(f.path, { highWaterMark: 1 << 20 });
    try {
      await remote(settings, base, '/api/ingest/files', Readable.toWeb(body), {
        'content-type': 'application/octet-stream', 'x-mailtrace-session': session, 'x-mailtrace-file': encodeURIComponent(name), 'x-mailtrace-mtime': String(Math.round(f.mtimeMs)),
      });
      sent++;
    } catch (err) {
      if (err instanceof MailtraceError && err.code !== 'MT_ERR_BAD_INPUT') throw err;
      onBad(name, err instanceof Error ? err.message : String(err));
    }
  }
  if (tty) process.stderr.write('\r\x1b[K');
  const empty: IngestSummary = { files: 0, filesSkipped: [], badInputs: [], lines: 0, messages: 0, bytes: 0, events: 0, unmodeled: 0, rejected: {}, rejectedTotal: 0, stitched: { messages: 0, hops: 0, seconds: 0 }, seconds: 0 };
  const summary = sent > 0 ? await remote<IngestSummary>(settings, base, '/api/ingest', { session }) : empty;
  return { ...summary, badInputs: [...bad, ...summary.badInputs] };
}

/** 0 all read, 3 finished but some inputs were bad (MT_ERR_BAD_INPUT), 1 nothing could be read */
function ingestExit(summary: IngestSummary): number {
  if (summary.lines === 0 && summary.messages === 0 && !summary.filesSkipped.some((f) => f.why.startsWith('already'))) {
    process.stderr.write('mailtrace: nothing could be read from the inputs\n');
    return 1;
  }
  return summary.badInputs.length > 0 ? 3 : 0;
}

/**
 * Open the store and make sure its hops were built by this version's stitching rules: a store
 * made by an earlier version is re-stitched from its events here, with progress (nothing is re-ingested).
 */
async function openStore(cfg: StoreConfig): Promise<Store> {
  const store = await Store.open(cfg);
  try {
    const tty = process.stderr.isTTY;
    const done = await ensureStitched(store, {
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r\x1b[Kbuilding hops from stored events (this store predates them): ${formatCount(p.messages)} / ${formatCount(p.total)} messages`);
      },
    });
    if (done) process.stderr.write(`${tty ? '\r\x1b[K' : ''}mailtrace: hops built from the stored events of ${formatCount(done.messages)} messages in ${done.seconds.toFixed(1)} s\n`);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

async function ingestWithProgress(to: { store: Store } | { publish: EventPublisher }, settings: Settings, inputs: string[], format: string, force: boolean, dateOrder?: DateOrder, workers?: number): Promise<IngestSummary> {
  const tty = process.stderr.isTTY;
  let last = 0;
  const started = performance.now();
  const summary = await runIngest({
    inputs,
    ...to,
    format: format as InputFormat,
    force,
    dateOrder,
    workers,
    tzOffsetMin: settings.tzOffsetMin,
    exchangeRoles: settings.exchangeRoles,
    onWarning: (msg) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}mailtrace: ${msg}\n`),
    onProgress: (p) => {
      const now = performance.now();
      if (!tty || now - last < 250) return;
      last = now;
      const rate = p.lines / ((now - started) / 1000);
      process.stderr.write(`\r\x1b[K${p.file}: ${formatCount(p.lines)} lines (${formatCount(Math.round(rate))}/s), ${formatCount(p.events)} events, ${p.rejected} rejected`);
    },
    onStitchProgress: (p) => {
      if (tty) process.stderr.write(`\r\x1b[Kstitching hops: ${formatCount(p.messages)} / ${formatCount(p.total)} messages`);
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  return summary;
}

async function serveCommand(args: string[], demo: boolean, readEnv: () => Settings): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, host: { type: 'string' }, port: { type: 'string' }, config: { type: 'string' }, follow: { type: 'string', multiple: true }, ...STREAM_FLAGS, group: { type: 'string' } } });
  if (values.help) return help(demo ? 'demo' : 'serve');
  const settings = readEnv();
  const cfg = storeConfig(values, settings);
  const file = readConfigFile(values.config, settings);
  const serve = serveConfig(values, settings, file.access);
  const store = await openStore(cfg);
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let runner: PolicyRunner | undefined;
  let scheduler: Scheduler | undefined;
  let owned = false;
  // `serve --follow PATH`: the server itself follows growing logs into its store (one process owns it)
  const followStop = new AbortController();
  let following: Promise<unknown> | undefined;
  const metrics = new Metrics();
  // `serve --kafka`: the server is also a sink of the stream (the embedded store has one owner)
  const stream = values.kafka !== undefined ? streamConfig(values) : undefined;
  let sink: Sink | undefined;
  try {
    if (demo) {
      const missing = SAMPLE_INPUTS.find((p) => !existsSync(p));
      if (missing) throw new MailtraceError('MT_ERR_BAD_INPUT', `the bundled sample ${missing} is missing`);
      const summary = await ingestWithProgress({ store }, settings, SAMPLE_INPUTS, 'auto', false);
      process.stdout.write(`${formatIngestSummary(summary)}\n`);
    }
    // uploads from `mailtrace ingest` land in the server's own spool, never at a path the client names
    const ingest: IngestHook = {
      spoolDir: cfg.kind === 'embedded' ? join(cfg.dataDir, '.spool') : join(tmpdir(), `mailtrace-spool-${process.pid}`),
      run: (files) => runIngest({ inputs: files, store, tzOffsetMin: settings.tzOffsetMin, exchangeRoles: settings.exchangeRoles }),
    };
    if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) throw new MailtraceError('MT_ERR_BAD_CONFIG', `the dashboard is not built (${DASHBOARD_DIR}): run \`npm run build\``);
    // the TLS policy is checked every five minutes while serving (one check at a time)
    runner = file.policy.rules.length > 0
      ? startPolicyChecks({
        store, config: { policy: file.policy, alerts: file.alerts, smtp: file.smtp }, everyMs: POLICY_CHECK_MS, smtpPassword: settings.smtpPassword,
        onError: (err) => process.stderr.write(`mailtrace: policy check failed: ${(err as Error).message}\n`),
        onResult: (r) => { for (const f of r.failed) process.stderr.write(`mailtrace: policy alert ${f.notice} for ${f.id} not delivered: ${f.error}\n`); },
      })
      : undefined;
    app = await buildApp({ store, token: serve.token, access: file.access, policy: { policy: file.policy, runner }, reportsDir: reportsSettings(file.reports).dir, dashboardDir: DASHBOARD_DIR, ingest, analyzeHeaders, metrics: () => metrics.render(), logger: { level: settings.logLevel } });
    // the report schedules of the config file (a bad one stops serve before it listens)
    scheduler = startScheduler({ store, config: file.reports, policy: file.policy, smtp: file.smtp, smtpPassword: settings.smtpPassword, log: app.log });
    let address: string;
    try {
      address = await app.listen({ host: serve.host, port: serve.port });
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new MailtraceError('MT_ERR_BAD_CONFIG', `cannot listen on ${serve.host}:${serve.port}${code ? ` (${code})` : ''}: ${(err as Error).message}`, { cause: err });
    }
    const url = address.replace('[::1]', 'localhost');
    if (cfg.kind === 'embedded') {
      writeOwner(cfg.dataDir, { pid: process.pid, url });
      owned = true;
    }
    process.stdout.write(`mailtrace is serving ${describe(cfg)} at ${url}/\n`);
    if (stream) {
      sink = await Sink.start({ store, stream, metrics, onWarning: (msg) => process.stderr.write(`mailtrace: ${msg}\n`) });
      process.stdout.write(`mailtrace: storing the stream ${stream.topic} (${stream.brokers.join(',')}) as a member of group ${stream.group}\n`);
    }
    if (values.follow && values.follow.length > 0) {
      following = follow({ store }, settings, values.follow, followStop.signal, metrics)
        .catch((err) => process.stderr.write(`mailtrace: following stopped: ${(err as Error).message}\n`));
    }
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    // whatever happened — a failed listen too — the owner note goes and the store is closed
    followStop.abort();
    await following;
    await sink?.stop();
    await runner?.stop();
    await scheduler?.stop();
    await app?.close();
    if (owned && cfg.kind === 'embedded') removeOwner(cfg.dataDir);
    await store.close();
  }
  return 0;
}

async function traceCommand(args: string[], readEnv: () => Settings): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...COMMON, json: { type: 'boolean' } } });
  if (values.help) return help('trace');
  if (positionals.length !== 1) return usage('trace', 'give exactly one message-id or queue id');
  const settings = readEnv();
  const id = positionals[0];
  const cfg = storeConfig(values, settings);
  let trace: Trace;
  const owner = cfg.kind === 'embedded' ? findOwner(cfg.dataDir) : undefined;
  if (owner) {
    trace = await remote<Trace>(settings, owner.url, `/api/messages/${encodeURIComponent(id)}/trace`);
  } else {
    if (cfg.kind === 'embedded' && !existsSync(cfg.dataDir)) throw new MailtraceError('MT_ERR_NOT_FOUND', `no store at ${cfg.dataDir}: run \`mailtrace ingest\` first`);
    const store = await openStore(cfg);
    try {
      trace = await traceMessage(store, id);
    } finally {
      await store.close();
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(trace, null, 2)}\n` : `${formatTrace(trace)}\n`);
  return 0;
}

async function remote<T>(settings: Settings, base: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
  const headers: Record<string, string> = { ...extraHeaders };
  const token = settings.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const stream = body instanceof ReadableStream;
  if (body !== undefined && !stream) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    const init: RequestInit & { duplex?: 'half' } = { method: body === undefined ? 'GET' : 'POST', headers };
    if (stream) {
      init.body = body;
      init.duplex = 'half';
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    res = await fetch(`${base}${path}`, init);
  } catch (err) {
    // a file that broke while it was sent is that file's problem, not the server's
    if (stream && (err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw new MailtraceError('MT_ERR_BAD_INPUT', `could not be sent: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`, { cause: err });
    throw new MailtraceError('MT_ERR_STORE_UNAVAILABLE', `the server at ${base} that owns the data directory did not answer`, { cause: err });
  }
  const json = (await res.json()) as T | { error: { code: string; message: string } };
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } }).error;
    const code = e?.code === 'MT_ERR_NOT_FOUND' || e?.code === 'MT_ERR_UNAUTHORIZED' || e?.code === 'MT_ERR_BAD_INPUT' || e?.code === 'MT_ERR_QUERY_BUSY' ? e.code : 'MT_ERR_STORE_UNAVAILABLE';
    throw new MailtraceError(code, e?.message ?? `HTTP ${res.status}`);
  }
  return json as T;
}

function describe(cfg: StoreConfig): string {
  return cfg.kind === 'embedded' ? `the embedded store in ${cfg.dataDir}` : `ClickHouse at ${new URL(cfg.url).host}`;
}

function help(cmd: string): number {
  process.stdout.write(`${HELP[cmd]}\n`);
  return 0;
}

function usage(cmd: string, why: string): number {
  process.stderr.write(`mailtrace ${cmd}: ${why}\n\n${HELP[cmd]}\n`);
  return 2;
}
