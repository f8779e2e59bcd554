import { copyFileSync, existsSync, mkdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { runOk } from './exec.ts';

/**
 * `postfix -c DIR` works only for directories the *default* instance lists in
 * `alternate_config_directories` (Postfix's guard against running someone else's config as root).
 * Several test processes may start topologies at once, so the read-modify-write of the default
 * main.cf happens under a lock directory (mkdir is atomic).
 */
export const DEFAULT_CONFIG_DIR = '/etc/postfix';
const LOCK = join(DEFAULT_CONFIG_DIR, '.mailtrace-harness.lock');
/** a lock older than this was left by a killed process */
const STALE_LOCK_MS = 30_000;

/** the marker in our temp roots' names: entries with it whose directory is gone were left by a crash */
export const ROOT_MARKER = 'mailtrace-postfix-';

export async function registerConfigDirs(dirs: readonly string[]): Promise<void> {
  await editAlternates((current) => [...current.filter((d) => !isLeftover(d)), ...dirs.filter((d) => !current.includes(d))]);
}

export async function unregisterConfigDirs(dirs: readonly string[]): Promise<void> {
  await editAlternates((current) => current.filter((d) => !dirs.includes(d) && !isLeftover(d)));
}

function isLeftover(dir: string): boolean {
  return dir.includes(ROOT_MARKER) && !existsSync(dir);
}

/** The default instance needs a main.cf and master.cf before postconf or postfix -c will run. */
function ensureDefaultInstance(): void {
  const main = join(DEFAULT_CONFIG_DIR, 'main.cf');
  if (!existsSync(main)) writeFileSync(main, '# created by the mailtrace test harness: the default instance only names alternate config directories\n');
  const master = join(DEFAULT_CONFIG_DIR, 'master.cf');
  if (!existsSync(master)) copyFileSync('/usr/share/postfix/master.cf.dist', master);
}

async function editAlternates(change: (current: string[]) => string[]): Promise<void> {
  ensureDefaultInstance();
  await withLock(async () => {
    const r = await runOk('postconf', ['-c', DEFAULT_CONFIG_DIR, '-h', 'alternate_config_directories'], 'reading alternate_config_directories');
    const current = r.stdout.split(/[\s,]+/).filter(Boolean);
    const next = change(current);
    if (next.length === current.length && next.every((d, i) => d === current[i])) return;
    await runOk('postconf', ['-c', DEFAULT_CONFIG_DIR, '-e', `alternate_config_directories = ${next.join(' ')}`], 'updating alternate_config_directories');
  });
}

async function withLock(fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let age = 0;
      try {
        age = Date.now() - statSync(LOCK).mtimeMs;
      } catch {
        continue; // released between mkdir and stat
      }
      if (age > STALE_LOCK_MS) {
        rmdirSync(LOCK);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`could not lock ${LOCK} for 20 s (another harness holds it; remove it if no test is running)`);
      await delay(50);
    }
  }
  try {
    await fn();
  } finally {
    rmdirSync(LOCK);
  }
}
