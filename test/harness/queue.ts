import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { outputOf, run } from './exec.ts';

/** One message as `postqueue -j` describes it (only the fields the harness reads). */
export interface QueuedMessage {
  queue_name: string;
  queue_id: string;
  sender: string;
  recipients: { address: string; delay_reason?: string }[];
}

export async function listQueue(configDir: string): Promise<QueuedMessage[]> {
  const r = await run('postqueue', ['-c', configDir, '-j']);
  if (r.code !== 0) throw new Error(`postqueue -c ${configDir} -j failed (exit ${r.code})\n${outputOf(r)}`);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as QueuedMessage);
}

/** Ask for an immediate retry of one deferred message (instead of waiting out the backoff). */
export async function retryNow(configDir: string, queueId: string): Promise<void> {
  await run('postqueue', ['-c', configDir, '-i', queueId]);
}

const TAG_RE = / [\w.-]+(?:\/[\w.-]+)*\/(\w+)\[(\d+)\]: (.*)$/;
const QID_RE = /^([0-9A-Za-z]{6,20}): /;

export interface LogState {
  /** smtpd processes whose last session has no `disconnect` line yet */
  openSessions: number[];
  /** queue files with a message-id line and no `removed` line */
  unremoved: Set<string>;
  /** every queue id with a message-id line */
  seen: Set<string>;
  /** message ids as cleanup logged them */
  messageIds: Set<string>;
  /** queue ids with a `status=deferred` delivery line */
  deferredLogged: Set<string>;
  /** `queued as X` ids other hosts announced to this one */
  queuedAs: Set<string>;
  /** queue ids of notifications the bounce daemon made here */
  notifications: Set<string>;
}

/**
 * What a log says so far. Postfix writes through postlogd, a little after the fact, so an empty
 * queue alone does not mean the logs are complete: settle() also wants every session closed
 * (the receiving side writes its TLS/command counters there), every queue file removed, and every
 * queue id one log refers to (`queued as`, notifications) present in the log that holds it.
 */
export function readLogState(logFile: string): LogState {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const sessions = new Map<number, boolean>();
  const st: LogState = { openSessions: [], unremoved: new Set(), seen: new Set(), messageIds: new Set(), deferredLogged: new Set(), queuedAs: new Set(), notifications: new Set() };
  for (const line of text.split('\n')) {
    const m = TAG_RE.exec(line);
    if (!m) continue;
    const [, program, pidText, body] = m;
    const pid = Number(pidText);
    if (program === 'smtpd') {
      if (body.startsWith('connect from ')) sessions.set(pid, true);
      else if (body.startsWith('disconnect from ')) sessions.set(pid, false);
    }
    const q = QID_RE.exec(body);
    if (!q) continue;
    const [qidPart, qid] = q;
    const rest = body.slice(qidPart.length);
    if (program === 'cleanup' && rest.startsWith('message-id=')) {
      st.unremoved.add(qid);
      st.seen.add(qid);
      st.messageIds.add(rest.slice('message-id='.length).trim());
    } else if (program === 'qmgr' && rest === 'removed') {
      st.unremoved.delete(qid);
    } else if (rest.startsWith('to=')) {
      if (rest.includes('status=deferred')) st.deferredLogged.add(qid);
      const next = /status=sent \(250 .*queued as ([0-9A-Za-z]+)\)/.exec(rest);
      if (next) st.queuedAs.add(next[1]);
    } else if (program === 'bounce') {
      const n = /notification: ([0-9A-Za-z]+)$/.exec(rest);
      if (n) st.notifications.add(n[1]);
    }
  }
  st.openSessions = [...sessions].filter(([, open]) => open).map(([pid]) => pid);
  return st;
}

export interface SettleTarget {
  name: string;
  configDir: string;
  logFile: string;
  /** message ids handed to this instance (successful SMTP transactions) */
  sent: readonly string[];
}

export interface SettleOptions {
  timeoutMs?: number;
  /** recipients allowed to stay deferred (default: none) */
  expectDeferred?: (recipient: string) => boolean;
}

export interface SettleReport {
  ms: number;
  /** the expected deferrals left in the queues */
  deferred: { instance: string; queueId: string; recipients: string[] }[];
}

/**
 * Wait until every queue is empty except for expected deferrals, and every log has caught up
 * (sessions closed, queue files removed, deferrals logged). Unexpected deferrals are retried at
 * once rather than after their backoff. A readiness probe with a deadline, not a sleep.
 */
export async function settle(targets: readonly SettleTarget[], opts: SettleOptions = {}): Promise<SettleReport> {
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 30_000);
  const expected = opts.expectDeferred ?? (() => false);
  const retried = new Map<string, number>();
  for (;;) {
    const waitingFor: string[] = [];
    const deferred: SettleReport['deferred'] = [];
    const states = targets.map((t) => readLogState(t.logFile));
    const seenAnywhere = new Set(states.flatMap((s) => [...s.seen]));
    for (const [k, t] of targets.entries()) {
      const queue = await listQueue(t.configDir);
      const log = states[k];
      for (const m of queue) {
        const rcpts = m.recipients.map((r) => r.address);
        const isExpected = m.queue_name === 'deferred' && rcpts.every(expected);
        if (isExpected && log.deferredLogged.has(m.queue_id)) {
          deferred.push({ instance: t.name, queueId: m.queue_id, recipients: rcpts });
          log.unremoved.delete(m.queue_id);
          continue;
        }
        waitingFor.push(`${t.name}: ${m.queue_id} in ${m.queue_name} for ${rcpts.join(', ')}${m.recipients.map((r) => (r.delay_reason ? ` (${r.delay_reason})` : '')).join('')}`);
        if (m.queue_name === 'deferred' && !isExpected && Date.now() - (retried.get(m.queue_id) ?? 0) > 1_000) {
          retried.set(m.queue_id, Date.now());
          await retryNow(t.configDir, m.queue_id);
        }
      }
      const inQueue = new Set(queue.map((m) => m.queue_id));
      for (const qid of log.unremoved) if (!inQueue.has(qid)) waitingFor.push(`${t.name}: no 'removed' line yet for ${qid}`);
      for (const pid of log.openSessions) waitingFor.push(`${t.name}: smtpd[${pid}] session not closed yet`);
      for (const id of t.sent) if (!log.messageIds.has(id)) waitingFor.push(`${t.name}: ${id} not logged yet`);
      for (const qid of log.notifications) if (!log.seen.has(qid)) waitingFor.push(`${t.name}: notification ${qid} not logged yet`);
      for (const qid of log.queuedAs) if (!seenAnywhere.has(qid)) waitingFor.push(`${t.name}: next hop's queue ${qid} not logged yet`);
    }
    if (waitingFor.length === 0) return { ms: Date.now() - started, deferred };
    if (Date.now() > deadline) throw new Error(`Postfix queues did not settle in ${opts.timeoutMs ?? 30_000} ms; still waiting for:\n  ${waitingFor.join('\n  ')}`);
    await delay(200);
  }
}
