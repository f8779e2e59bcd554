import type { Topology } from './postfix.ts';

/**
 * A message handed to the edge, followed through the three real logs by the `queued as` of each
 * hand-off (log-formats §4.2) to the mailbox's `status=sent (delivered to maildir)`: the lines,
 * edge first. Used by the tests that mail something (an alert, a report) through the topology.
 */
export async function followToMaildir(topo: Topology, edgeQueueId: string, recipient: string): Promise<string[]> {
  const rcpt = recipient.replace(/\./g, '\\.');
  const lines: string[] = [];
  let qid = edgeQueueId;
  for (const hop of ['edge', 'hub'] as const) {
    const [line] = await topo.waitForLog(hop, new RegExp(`: ${qid}: to=<${rcpt}>, relay=\\S+, .*status=sent \\(250 .*queued as (\\w+)\\)`), 20_000);
    lines.push(line);
    qid = /queued as (\w+)\)$/.exec(line)?.[1] ?? '';
  }
  lines.push(...await topo.waitForLog('mailbox', new RegExp(`: ${qid}: to=<${rcpt}>, relay=virtual, .*status=sent \\(delivered to maildir\\)`), 20_000));
  return lines;
}
