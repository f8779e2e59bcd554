import { resolve } from 'node:path';
import { Metrics, type EventPublisher } from '../ingest/index.ts';
import type { StoreConfig } from '../schemas/index.ts';
import type { Store } from '../store/index.ts';
import { storeConfig, type Settings } from './config.ts';
import { follow, stopSignal } from './follow.ts';
import { openPublisher, streamConfig } from './stream.ts';

/** A live source that spools what it receives (the syslog listener, the journal follower). */
export interface LiveSource {
  /** the spool folder the follow loop reads */
  spoolDir: string;
  /** after each follow cycle: closed spool parts read to their end go */
  cycleDone(startedAt: number): void;
  /** the line said when stopping */
  summary(): string;
  close(): Promise<void>;
}

export interface DestinationFlags { kafka?: string; topic?: string; data?: string; clickhouse?: string; state?: string }

/**
 * `mailtrace syslog` and `mailtrace journal`: open the destination (the store, or the stream with
 * --kafka), start the source, follow its spool until SIGINT/SIGTERM, then close both.
 * Returns 2 with `usage` on contradictory flags.
 */
export async function runLive(values: DestinationFlags, settings: Settings, openStore: (cfg: StoreConfig) => Promise<Store>, usage: (why: string) => number,
  start: () => Promise<LiveSource>): Promise<number> {
  let to: { store: Store } | { publish: EventPublisher };
  if (values.kafka !== undefined) {
    if (values.data !== undefined || values.clickhouse !== undefined) return usage('--kafka publishes to the stream: the sink stores (drop --data/--clickhouse)');
    to = { publish: await openPublisher(streamConfig(values), resolve(values.state ?? './mailtrace-state')) };
  } else {
    to = { store: await openStore(storeConfig(values, settings)) };
  }
  let source: LiveSource | undefined;
  try {
    source = await start();
    const s = source;
    await follow(to, settings, [s.spoolDir], stopSignal(), new Metrics(), (startedAt) => s.cycleDone(startedAt));
    process.stderr.write(`mailtrace: ${s.summary()}\n`);
  } finally {
    await source?.close();
    if ('publish' in to) await to.publish.close();
    else await to.store.close();
  }
  return 0;
}
