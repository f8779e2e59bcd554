import { followInputs, type EventPublisher, type FollowTotals, type Metrics } from '../ingest/index.ts';
import type { Store } from '../store/index.ts';
import type { Settings } from './config.ts';
import { formatCount } from './format.ts';

/**
 * `ingest --follow` (and `serve --follow`): follow the paths until `signal` aborts; a line per
 * cycle that read something, then the totals. The cycle in hand finishes before it returns.
 */
export async function follow(to: { store: Store } | { publish: EventPublisher }, settings: Settings, paths: readonly string[], signal: AbortSignal, metrics?: Metrics, afterCycle?: (startedAt: number) => void): Promise<FollowTotals> {
  const say = (msg: string) => process.stderr.write(`mailtrace: ${msg}\n`);
  say(`following ${paths.join(', ')} (every second; stop with Ctrl-C)`);
  const totals = await followInputs({
    ...to,
    paths,
    signal,
    metrics,
    afterCycle,
    tzOffsetMin: settings.tzOffsetMin,
    exchangeRoles: settings.exchangeRoles,
    onWarning: say,
    onCycle: (s) => {
      const bad = s.badInputs.length > 0 ? `, ${s.badInputs.length} bad input(s)` : '';
      const stitched = s.stitched.messages > 0 ? `, ${formatCount(s.stitched.messages)} messages stitched` : '';
      say(`+${formatCount(s.lines)} lines, +${formatCount(s.events)} events${s.rejectedTotal > 0 ? `, ${s.rejectedTotal} rejected` : ''}${stitched}${bad}`);
    },
  });
  say(`stopped following: ${formatCount(totals.lines)} lines, ${formatCount(totals.events)} events in ${totals.cycles} cycle(s), ${totals.files} file(s) followed`);
  return totals;
}

/** an AbortSignal that SIGINT or SIGTERM aborts (once) */
export function stopSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ac.signal;
}
