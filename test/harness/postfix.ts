import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ROOT_MARKER, registerConfigDirs, unregisterConfigDirs } from './alternate-dirs.ts';
import { makeCertificates } from './certs.ts';
import { outputOf, run, runOk } from './exec.ts';
import { DOMAIN, fqdnOf, mainCf, masterCf, type InstanceName, type InstancePlan, type MainCfOverrides, type TopologyPlan } from './postfix-config.ts';
import { settle, type SettleOptions, type SettleReport } from './queue.ts';
import { swaks, type SendOptions, type SendResult } from './swaks.ts';

export { DEAD_DOMAIN, DOMAIN, fqdnOf, type InstanceName, type InstancePlan, type MainCfOverrides } from './postfix-config.ts';
export type { SettleOptions, SettleReport } from './queue.ts';
export type { SendResult } from './swaks.ts';

/**
 * Three real Postfix instances on loopback ports, each with its own config, queue and log file:
 *
 *   client ──STARTTLS if asked──▶ edge ──TLS required (encrypt)──▶ hub ──plaintext (none)──▶ mailbox
 *
 * - edge:    relays example.test to the hub; dead.test to a closed loopback port (mail defers there)
 * - hub:     relays example.test to the mailbox host, deliberately without TLS
 * - mailbox: virtual(8) Maildir delivery for the known users; an unknown user is refused at RCPT
 *            (550 5.1.1 User unknown in virtual mailbox table), so the *hub* bounces the message
 *            and its bounce daemon makes a non-delivery notification
 * - notifications go to the envelope sender; the default sender is sender@example.test, a mailbox
 *   user, so a notification travels hub → mailbox like any other mail and lands in a Maildir.
 *
 * Runs as root (Postfix's master must); registers the config directories with the default
 * instance (/etc/postfix/main.cf alternate_config_directories) and unregisters them on stop.
 */
export const INSTANCES: readonly InstanceName[] = ['edge', 'hub', 'mailbox'];
export const DEFAULT_SENDER = `sender@${DOMAIN}`;

export interface TopologyOptions {
  /** users with a mailbox on example.test (default alice, bob, carol; `sender` is always added) */
  mailboxUsers?: readonly string[];
  /** parent of the temp root (default os.tmpdir()) */
  tmpBase?: string;
  /** keep the temp root after stop (default: env MAILTRACE_HARNESS_KEEP=1) */
  keep?: boolean;
  startTimeoutMs?: number;
  /** main.cf settings replaced or added per instance (for testing the harness itself) */
  mainCf?: MainCfOverrides;
}

export interface Topology {
  root: string;
  instances: Readonly<Record<InstanceName, InstancePlan>>;
  /** the loopback port dead.test routes to: nothing listens there */
  deadPort: number;
  /** one SMTP transaction into an instance (default: edge) with swaks */
  send(o: Omit<SendOptions, 'from'> & { from?: string; via?: InstanceName }): Promise<SendResult>;
  /** wait until queues are drained (or hold only expected deferrals) and logs have caught up */
  settle(o?: SettleOptions): Promise<SettleReport>;
  logs(): Record<InstanceName, string>;
  /** wait until an instance's log has a line matching the pattern; returns the matching lines */
  waitForLog(name: InstanceName, pattern: RegExp, timeoutMs?: number): Promise<string[]>;
  /** the messages delivered to a mailbox user (raw files in Maildir/new) */
  maildir(address: string): string[];
  /** the virtual(8) Maildir tree of every mailbox user (domain/user/{new,cur,tmp}) */
  maildirRoot(): string;
  stop(): Promise<void>;
}

export function postfixAvailability(): { ok: true } | { ok: false; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'the Postfix harness must run as root (the master process needs it)' };
  for (const [bin, pkg] of [['postfix', 'postfix'], ['postqueue', 'postfix'], ['swaks', 'swaks'], ['openssl', 'openssl']]) {
    const r = spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { encoding: 'utf8' });
    if (r.status !== 0) return { ok: false, why: `${bin} is not installed (Debian package ${pkg})` };
  }
  if (!existsSync('/usr/share/postfix/master.cf.dist')) return { ok: false, why: '/usr/share/postfix/master.cf.dist is missing (Debian postfix package expected)' };
  return { ok: true };
}

export async function startPostfixTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const avail = postfixAvailability();
  if (!avail.ok) throw new Error(`cannot start the Postfix topology: ${avail.why}`);
  const keep = opts.keep ?? process.env.MAILTRACE_HARNESS_KEEP === '1';
  const root = mkdtempSync(join(opts.tmpBase ?? tmpdir(), ROOT_MARKER));
  // Postfix's unprivileged daemons and virtual(8) (as nobody) walk through the root
  chmodSync(root, 0o755);
  const started: InstancePlan[] = [];
  let registered = false;
  try {
    // the default sender always has a mailbox: notifications must land somewhere
    const users = [...new Set([...(opts.mailboxUsers ?? ['alice', 'bob', 'carol']), DEFAULT_SENDER.split('@')[0]])];
    const plan = await planTopology(root, users);
    for (const i of Object.values(plan.instances)) writeInstance(plan, i, opts.mainCf);
    await registerConfigDirs(INSTANCES.map((n) => plan.instances[n].configDir));
    registered = true;
    // independent instances: start them side by side, then report the first refusal
    const results = await Promise.allSettled(INSTANCES.map(async (n) => {
      await startInstance(plan.instances[n]);
      started.push(plan.instances[n]);
    }));
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) throw refused.reason;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
    await Promise.all(INSTANCES.map((n) => waitForBanner(plan.instances[n], deadline)));
    return topology(plan, keep);
  } catch (err) {
    await Promise.all(started.map((i) => stopInstance(i).catch(() => {})));
    if (registered) await unregisterConfigDirs(INSTANCES.map((n) => join(root, n, 'conf'))).catch(() => {});
    if (!keep) rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

async function planTopology(root: string, mailboxUsers: readonly string[]): Promise<TopologyPlan> {
  const ports = await freePorts(4);
  const certs = await makeCertificates(join(root, 'tls'), INSTANCES.map(fqdnOf));
  const [vmailUid, vmailGid] = [await idOf('-u', 'nobody'), await idOf('-g', 'nobody')];
  const instances = {} as Record<InstanceName, InstancePlan>;
  INSTANCES.forEach((name, k) => {
    const dir = join(root, name);
    instances[name] = {
      name,
      port: ports[k],
      root: dir,
      configDir: join(dir, 'conf'),
      queueDir: join(dir, 'queue'),
      dataDir: join(dir, 'data'),
      logFile: join(root, 'logs', `${name}.log`),
      certFile: certs.hosts[fqdnOf(name)].certFile,
      keyFile: certs.hosts[fqdnOf(name)].keyFile,
    };
  });
  return { root, caFile: certs.caFile, deadPort: ports[3], mailboxUsers, vmailDir: join(root, 'mailbox', 'vmail'), vmailUid, vmailGid, instances };
}

function writeInstance(plan: TopologyPlan, i: InstancePlan, overrides: MainCfOverrides = {}): void {
  for (const d of [i.root, i.configDir, i.queueDir, join(plan.root, 'logs')]) mkdirSync(d, { recursive: true, mode: 0o755 });
  mkdirSync(i.dataDir, { recursive: true, mode: 0o700 });
  const [uid, gid] = postfixIds();
  chownSync(i.dataDir, uid, gid);
  if (i.name === 'mailbox') {
    mkdirSync(plan.vmailDir, { recursive: true, mode: 0o755 });
    chownSync(plan.vmailDir, plan.vmailUid, plan.vmailGid);
  }
  writeFileSync(join(i.configDir, 'main.cf'), mainCf(plan, i, overrides));
  writeFileSync(join(i.configDir, 'master.cf'), masterCf(i));
}

async function startInstance(i: InstancePlan): Promise<void> {
  const r = await run('postfix', ['-c', i.configDir, 'start'], { timeoutMs: 60_000 });
  if (r.code === 0) return;
  // Postfix prints its fatal reason to stderr only when stderr is a terminal, and otherwise logs it
  // to the very maillog_file that may be the problem: run `postfix check` again under a pty
  const check = await run('script', ['-qec', `postfix -c ${i.configDir} check`, '/dev/null']);
  throw new Error(
    `postfix -c ${i.configDir} start failed for ${i.name} (exit ${r.code})\n${outputOf(r)}\n` +
      `postfix check on a terminal (exit ${check.code}):\n${outputOf(check)}\nlast lines of ${i.logFile}:\n${tail(i.logFile, 20)}`,
  );
}

async function stopInstance(i: InstancePlan): Promise<void> {
  const pid = masterPid(i);
  await run('postfix', ['-c', i.configDir, 'stop'], { timeoutMs: 30_000 });
  if (pid === undefined) return;
  // `postfix stop` signals the master; its children may still hold files under the root
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await delay(50);
}

function topology(plan: TopologyPlan, keep: boolean): Topology {
  let stopped = false;
  const emergencyStop = (): void => {
    for (const n of INSTANCES) spawnSync('postfix', ['-c', plan.instances[n].configDir, 'stop']);
  };
  process.once('exit', emergencyStop);
  const sent: Record<InstanceName, string[]> = { edge: [], hub: [], mailbox: [] };
  const targets = INSTANCES.map((n) => ({ name: n, configDir: plan.instances[n].configDir, logFile: plan.instances[n].logFile, sent: sent[n] }));
  return {
    root: plan.root,
    instances: plan.instances,
    deadPort: plan.deadPort,
    send: async ({ via = 'edge', from, ...o }) => {
      const r = await swaks(plan.instances[via].port, { ...o, from: from ?? DEFAULT_SENDER });
      if (r.code === 0) sent[via].push(o.messageId);
      return r;
    },
    settle: (o = {}) => settle(targets, o),
    waitForLog: async (name, pattern, timeoutMs = 10_000) => {
      const file = plan.instances[name].logFile;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => pattern.test(l)) : [];
        if (lines.length > 0) return lines;
        if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in ${file} after ${timeoutMs} ms\n${tail(file, 20)}`);
        await delay(50);
      }
    },
    logs: () => ({ edge: plan.instances.edge.logFile, hub: plan.instances.hub.logFile, mailbox: plan.instances.mailbox.logFile }),
    maildirRoot: () => plan.vmailDir,
    maildir: (address) => {
      const [user, domain] = address.split('@');
      const dir = join(plan.vmailDir, domain, user, 'new');
      return existsSync(dir) ? readdirSync(dir).sort().map((f) => readFileSync(join(dir, f), 'utf8')) : [];
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', emergencyStop);
      // `postfix stop` polls once a second until its master is gone: stop all three at once
      await Promise.all(INSTANCES.map((n) => stopInstance(plan.instances[n])));
      await unregisterConfigDirs(INSTANCES.map((n) => plan.instances[n].configDir));
      if (keep) console.warn(`postfix harness: kept ${plan.root}`);
      else rmSync(plan.root, { recursive: true, force: true });
    },
  };
}

/** Readiness: the instance answers with its own 220 greeting. */
async function waitForBanner(i: InstancePlan, deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    try {
      const banner = await greeting(i.port);
      if (banner.startsWith('220 ') && banner.includes(fqdnOf(i.name))) return;
      last = `unexpected greeting ${JSON.stringify(banner)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await delay(100);
  }
  throw new Error(`${i.name} did not greet on 127.0.0.1:${i.port} in time (${last})\nlast lines of ${i.logFile}:\n${tail(i.logFile, 20)}`);
}

/** Connect, read the first reply line, say QUIT. */
export function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const timer = setTimeout(() => sock.destroy(new Error('no greeting within 5 s')), 5_000);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end('QUIT\r\n');
      resolve(buf.slice(0, nl).trim());
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function postfixIds(): [number, number] {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  if (!line) throw new Error('no postfix user in /etc/passwd (is the postfix package installed?)');
  const f = line.split(':');
  return [Number(f[2]), Number(f[3])];
}

async function idOf(flag: '-u' | '-g', user: string): Promise<number> {
  const r = await runOk('id', [flag, user], `looking up ${user}`);
  return Number(r.stdout.trim());
}

function masterPid(i: InstancePlan): number | undefined {
  const f = join(i.queueDir, 'pid', 'master.pid');
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log file)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
