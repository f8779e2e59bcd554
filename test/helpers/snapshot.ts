import assert from 'node:assert/strict';
import { Store } from '../../store/index.ts';

/** Everything a reader of a store sees (FINAL: one row per key), without the stitch versions that differ by run. */
export interface Snapshot { events: string[]; hops: string[]; messages: string[]; checkpoints: string[] }

export async function snapshot(dataDir: string): Promise<Snapshot> {
  const store = await Store.open({ kind: 'embedded', dataDir });
  try {
    const rows = async (sql: string) => (await store.query<Record<string, unknown>>(sql, {}, 120_000)).map((r) => JSON.stringify(r));
    return {
      events: await rows(`SELECT * EXCEPT (ts), toString(ts) AS t FROM ${store.table('events')} FINAL ORDER BY id, messageId, queueId, kind`),
      hops: await rows(`SELECT * EXCEPT (version, start, \`end\`), toString(start) AS s, toString(\`end\`) AS e FROM ${store.table('hops')} FINAL WHERE deleted = 0 ORDER BY messageKey, recipient, seq`),
      messages: await rows(`SELECT * EXCEPT (version, firstSeen, lastSeen), toString(firstSeen) AS f, toString(lastSeen) AS l FROM ${store.table('messages')} FINAL WHERE deleted = 0 ORDER BY messageKey`),
      checkpoints: await rows(`SELECT fingerprint, argMax(offset, updatedAt) AS o FROM ${store.table('ingested_files')} GROUP BY fingerprint ORDER BY fingerprint`),
    };
  } finally {
    await store.close();
  }
}

/** The two snapshots hold the same rows (`parts`: which tables to compare); the message says what differs. */
export function assertSame(got: Snapshot, want: Snapshot, label: string, parts: readonly (keyof Snapshot)[] = ['events', 'hops', 'messages', 'checkpoints']): void {
  for (const k of parts) {
    const missing = want[k].filter((r) => !got[k].includes(r));
    const extra = got[k].filter((r) => !want[k].includes(r));
    if (missing.length > 0 || extra.length > 0) {
      assert.fail(`${label}: ${k} differ (${got[k].length} vs ${want[k].length} rows): ${missing.length} missing, e.g. ${missing.slice(0, 2).join(' ')}; ${extra.length} extra, e.g. ${extra.slice(0, 2).join(' ')}`);
    }
    assert.deepEqual(got[k], want[k]);
  }
}
