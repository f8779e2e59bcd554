import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { InputSpec } from '../sources/files.ts';
import { runIngest, type IngestOptions, type IngestSummary, type ResidentParsers } from './run.ts';
import { PostfixParser, type HostContext } from '../formats/postfix/index.ts';
import { JournalParser } from '../formats/journal.ts';
import { METRIC, type Metrics } from '../metrics.ts';

/**
 * Follow mode (`mailtrace ingest --follow`): growing logs read like `tail -F`, as a sequence of
 * short ingest runs. Each cycle hands the files that changed since the last one to runIngest,
 * which reads each from its checkpoint, stores (or publishes) what it parsed, writes the
 * checkpoints and stitches what it touched — so a kill at any moment loses nothing and a restart
 * continues where the last cycle ended: exactly the guarantees of running `mailtrace ingest` again.
 *
 * - rotation by rename (mail.log → mail.log.1, a new mail.log): the old file is kept open and read
 *   to its end through /proc/self/fd (it keeps its fingerprint, so it resumes at its checkpoint),
 *   for as long as its writer still appends to it, then let go; the new file is read from its start
 * - copytruncate: the truncated file has other first bytes, so another fingerprint: read from the
 *   start (lines written between the last read and the truncation are gone, as for tail -F)
 * - directories (an Exchange log folder): new files are picked up as they appear; `.gz` files in a
 *   followed folder are rotations of logs already followed and are skipped (backfill them with a
 *   plain `mailtrace ingest`)
 * - one long read: the Postfix (and journal) parsers live from cycle to cycle, so an smtpd session
 *   or an smtp connection's TLS summary cut by a cycle boundary goes on as in a single read of the
 *   whole log; their state is saved with each cycle's checkpoints (as `follow-context:KEY` in the
 *   store's meta table, or beside the checkpoints of a publishing ingestor), so a restart — after
 *   a SIGKILL too — goes on with it. A session gives out what it holds once it is older than
 *   SETTLE_HOLD_MS of log time. Exchange logs keep a run per cycle (their sessions are rebuilt by
 *   stitching from the stored rows).
 */
export interface FollowOptions extends Omit<IngestOptions, 'inputs' | 'force'> {
  /** files and directories to follow */
  paths: readonly string[];
  /** how often to look for new lines (default 1000 ms) */
  pollMs?: number;
  /** ends the loop after the cycle in hand */
  signal: AbortSignal;
  /** after each cycle that read something */
  onCycle?: (s: IngestSummary) => void;
  /** counters and gauges for /metrics (ingest/metrics.ts) */
  metrics?: Metrics;
  /** after every cycle, with the time it began (the syslog spool deletes the parts it has read) */
  afterCycle?: (startedAt: number) => void;
}

export interface FollowTotals {
  cycles: number;
  lines: number;
  events: number;
  rejected: number;
  /** the files followed at the end, with the offset read up to (from the last cycle) */
  files: number;
}

interface Seen { ino: number; size: number; mtimeMs: number }
interface Rotated { path: string; handle: FileHandle; lastSize: number; quietSince: number }

/** a rotated file is let go once its writer has not appended to it for this long */
const ROTATED_QUIET_MS = 5_000;

/** the key a follower's context is saved under: this machine and the paths it follows */
export function followKey(paths: readonly string[]): string {
  const text = [hostname(), ...[...paths].map((p) => resolve(p)).sort()].join('\n');
  return `${hostname()}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

interface SavedContext { v: 1; postfix: HostContext[]; journal: HostContext[] }

export async function followInputs(opts: FollowOptions): Promise<FollowTotals> {
  const { paths, signal } = opts;
  const key = followKey(paths);
  const postfix = new PostfixParser({ tzOffsetMin: opts.tzOffsetMin });
  const journal = new JournalParser({ tzOffsetMin: opts.tzOffsetMin });
  const load = opts.store ? () => opts.store!.getMeta(`follow-context:${key}`) : () => opts.publish!.getContext(key);
  const saved = await load();
  if (saved) {
    try {
      const ctx = JSON.parse(saved) as SavedContext;
      postfix.restoreContext(ctx.postfix);
      journal.restoreContext(ctx.journal);
    } catch (err) {
      opts.onWarning?.(`the saved follow context ${key} is unreadable (${(err as Error).message}): starting without it (sessions open at the last stop lose their TLS link)`);
    }
  }
  const resident: ResidentParsers = {
    postfix,
    journal,
    save: async () => {
      const text = JSON.stringify({ v: 1, postfix: postfix.saveContext(), journal: journal.saveContext() } satisfies SavedContext);
      if (opts.store) await opts.store.setMeta(`follow-context:${key}`, text);
      else await opts.publish!.setContext(key, text);
    },
  };
  const pollMs = opts.pollMs ?? 1_000;
  const totals: FollowTotals = { cycles: 0, lines: 0, events: 0, rejected: 0, files: 0 };
  const seen = new Map<string, Seen>();
  /** an open handle on each followed plain file, to read its rest after a rename */
  const handles = new Map<string, { handle: FileHandle; ino: number }>();
  const rotated: Rotated[] = [];
  const warn = opts.onWarning ?? (() => {});
  const direct = new Set(paths);
  try {
    while (!signal.aborted) {
      const inputs: InputSpec[] = [];
      const now = Date.now();
      /** a followed file renamed away (or gone): its rest is read through the handle (same fingerprint → its checkpoint) */
      const retire = async (path: string, held: { handle: FileHandle }): Promise<void> => {
        rotated.push({ path, handle: held.handle, lastSize: (await held.handle.stat()).size, quietSince: now });
        inputs.unshift({ path: `/proc/self/fd/${held.handle.fd}`, name: path });
        handles.delete(path);
      };
      // rotated files first: their last lines come before the new file's first ones
      for (const r of [...rotated]) {
        const st = await r.handle.stat();
        if (st.size !== r.lastSize) {
          r.lastSize = st.size;
          r.quietSince = now;
          inputs.push({ path: `/proc/self/fd/${r.handle.fd}`, name: r.path });
        } else if (now - r.quietSince > ROTATED_QUIET_MS) {
          rotated.splice(rotated.indexOf(r), 1);
          await r.handle.close();
        }
      }
      const files = await currentFiles(paths, warn);
      for (const [path, st] of files) {
        const before = seen.get(path);
        const held = handles.get(path);
        if (held && held.ino !== st.ino) await retire(path, held);
        // plain files named on the command line are the ones logrotate renames (folders of
        // Exchange logs get new files instead): only they are held open
        if (!handles.has(path) && direct.has(path) && !path.endsWith('.gz')) {
          try {
            const handle = await open(path, 'r');
            handles.set(path, { handle, ino: (await handle.stat()).ino });
          } catch {
            // it went away between the listing and here: the next cycle looks again
          }
        }
        if (!before || before.ino !== st.ino || before.size !== st.size || before.mtimeMs !== st.mtimeMs) inputs.push(path);
        seen.set(path, st);
      }
      // a followed file that is gone (renamed with no successor yet): keep its handle for its rest
      for (const [path, held] of [...handles]) {
        if (files.has(path)) continue;
        await retire(path, held);
        seen.delete(path);
      }
      totals.files = files.size;
      if (inputs.length > 0) {
        const s = await runIngest({ ...opts, inputs, resident });
        totals.cycles++;
        totals.lines += s.lines;
        totals.events += s.events;
        totals.rejected += s.rejectedTotal;
        if (s.lines > 0 || s.badInputs.length > 0) opts.onCycle?.(s);
        const m = opts.metrics;
        if (m) {
          m.count(...METRIC.followCycles);
          m.count(...METRIC.eventsIn, s.events);
          if (opts.store) m.count(...METRIC.eventsStored, s.events);
          m.count(...METRIC.rejected, s.rejectedTotal);
          if (s.stitched.messages > 0) m.observe(...METRIC.stitch, s.stitched.seconds);
        }
      }
      if (opts.metrics) {
        opts.metrics.set(...METRIC.followFiles, files.size);
        opts.metrics.clear(METRIC.followBytes[0]);
        for (const [path, st] of files) opts.metrics.set(...METRIC.followBytes, st.size, { file: path });
      }
      opts.afterCycle?.(now);
      await delay(pollMs, undefined, { signal }).catch(() => {});
    }
  } finally {
    for (const { handle } of handles.values()) await handle.close().catch(() => {});
    for (const r of rotated) await r.handle.close().catch(() => {});
  }
  return totals;
}

/** The regular files under the followed paths now (directories walked; `.gz` rotations inside folders left out). */
async function currentFiles(paths: readonly string[], warn: (msg: string) => void): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  const visit = async (p: string, inFolder: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      // a followed file may be absent between a rename and its successor: not an error
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`cannot follow ${p}: ${(err as Error).message}`);
      return;
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      } catch (err) {
        warn(`cannot list ${p}: ${(err as Error).message}`);
      }
      for (const n of names) await visit(join(p, n), true);
    } else if (st.isFile() && !(inFolder && p.endsWith('.gz'))) {
      out.set(p, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    }
  };
  for (const p of paths) await visit(p, false);
  return out;
}
