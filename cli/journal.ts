import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_JOURNAL_MATCHES, JournalFollower } from '../ingest/index.ts';
import { MailtraceError, type StoreConfig } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import type { Settings } from './config.ts';
import { HELP } from './help.ts';
import { runLive } from './live.ts';
import { STREAM_FLAGS } from './stream.ts';

/**
 * `mailtrace journal`: follow the systemd journal (journalctl --follow -o json) with its cursor as
 * the checkpoint, into the store (or the stream, with --kafka) until SIGINT/SIGTERM.
 */
export async function journalCommand(args: string[], readEnv: () => Settings, openStore: (cfg: StoreConfig) => Promise<Store>): Promise<number> {
  const { values } = parseArgs({ args, options: {
    file: { type: 'string', multiple: true }, directory: { type: 'string' }, match: { type: 'string', multiple: true }, spool: { type: 'string' },
    data: { type: 'string' }, clickhouse: { type: 'string' }, state: { type: 'string' }, ...STREAM_FLAGS, help: { type: 'boolean', short: 'h' },
  } });
  if (values.help) {
    process.stdout.write(`${HELP.journal}\n`);
    return 0;
  }
  const usage = (why: string) => {
    process.stderr.write(`mailtrace journal: ${why}\n\n${HELP.journal}\n`);
    return 2;
  };
  const bad = (values.match ?? []).find((m) => !/^[A-Z0-9_]+=/.test(m));
  if (bad !== undefined) return usage(`--match ${bad}: a journal match is FIELD=VALUE with an upper-case field name (systemd.journal-fields(7))`);
  if (values.file && values.directory) return usage('--file and --directory do not go together');
  const spoolDir = resolve(values.spool ?? './mailtrace-journal-spool');
  const say = (msg: string) => process.stderr.write(`mailtrace: ${msg}\n`);
  return runLive(values, readEnv(), openStore, usage, async () => {
    const j = new JournalFollower({ spoolDir, files: values.file?.map((f) => resolve(f)), directory: values.directory && resolve(values.directory), matches: values.match, onWarning: say });
    try {
      await j.start();
    } catch (err) {
      throw new MailtraceError('MT_ERR_BAD_CONFIG', `${(err as Error).message} (Debian package systemd)`, { cause: err });
    }
    const matches = values.match?.length ? values.match : DEFAULT_JOURNAL_MATCHES;
    process.stdout.write(`mailtrace journal: following ${values.file?.join(', ') ?? values.directory ?? "this machine's journal"} (${matches.join(' ')}) ${j.cursor ? 'after the last entry read' : 'from its first entry'}; spool ${spoolDir}\n`);
    return { spoolDir, cycleDone: (t) => j.cycleDone(t), summary: () => `journal: ${j.entries} entries read`, close: () => j.close() };
  });
}
