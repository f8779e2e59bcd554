import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceName } from './postfix-config.ts';

/**
 * What one real run of the three-hop scenario left behind, besides the logs: which messages were
 * sent, what postqueue said was still waiting, and the mail as the mailboxes received it. The
 * end-to-end test checks mailtrace against this evidence live; a saved copy (fixtures) lets the
 * same checks run where Postfix is not installed.
 */
export interface RunEvidence {
  messageIds: { twoRecipients: string; unknownUser: string; deferred: string; mixed: string; direct: string };
  addresses: {
    sender: string;
    /** the two recipients of the two-recipient message */
    known: string[];
    unknown: string;
    deferred: string;
    /** one known and one unknown recipient in one message */
    mixed: { known: string; unknown: string };
    /** sent straight to the mailbox host: one known, one refused there at RCPT */
    direct: { known: string; unknown: string };
  };
  /** the closed loopback port dead.test routes to */
  deadPort: number;
  /** the queue listing (postqueue -j) after the run settled: the expected deferrals */
  deferredQueue: { instance: string; queueId: string; recipients: string[] }[];
  /** raw delivered messages (Maildir/new) by recipient address */
  delivered: Record<string, string[]>;
}

export interface RunRecord {
  evidence: RunEvidence;
  logs: Record<InstanceName, string>;
}

const HOSTS: readonly InstanceName[] = ['edge', 'hub', 'mailbox'];

export function saveRun(dir: string, record: RunRecord, about: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const h of HOSTS) copyFileSync(record.logs[h], join(dir, `${h}.log`));
  const mailDir = join(dir, 'delivered');
  rmSync(mailDir, { recursive: true, force: true });
  mkdirSync(mailDir);
  const { delivered, ...rest } = record.evidence;
  for (const [address, messages] of Object.entries(delivered)) {
    messages.forEach((m, k) => writeFileSync(join(mailDir, `${address}.${k + 1}.eml`), m));
  }
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify({ about, ...rest }, null, 2)}\n`);
}

export function loadRun(dir: string): RunRecord {
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Omit<RunEvidence, 'delivered'>;
  const delivered: Record<string, string[]> = {};
  const mailDir = join(dir, 'delivered');
  for (const f of existsSync(mailDir) ? readdirSync(mailDir).sort() : []) {
    const address = f.replace(/\.\d+\.eml$/, '');
    (delivered[address] ??= []).push(readFileSync(join(mailDir, f), 'utf8'));
  }
  const logs = Object.fromEntries(HOSTS.map((h) => [h, join(dir, `${h}.log`)])) as Record<InstanceName, string>;
  return {
    evidence: { messageIds: meta.messageIds, addresses: meta.addresses, deadPort: meta.deadPort, deferredQueue: meta.deferredQueue, delivered },
    logs,
  };
}
