import type { IngestSummary } from '../ingest/index.ts';
import type { Hop, Trace } from '../schemas/index.ts';

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function formatIngestSummary(s: IngestSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : 0;
  const lines = [
    s.lines === 0 && s.messages > 0
      ? `ingested ${s.files} file(s): ${formatCount(s.events)} events in ${s.seconds.toFixed(1)} s`
      : `ingested ${s.files} file(s): ${formatCount(s.lines)} lines, ${formatCount(s.events)} events in ${s.seconds.toFixed(1)} s (${formatCount(rate)} lines/s)`,
  ];
  if (s.messages > 0) lines.push(`  ${formatCount(s.messages)} delivered message(s) read for their Received headers and content protection`);
  if (s.stitched.messages > 0) lines.push(`  ${formatCount(s.stitched.messages)} messages stitched into ${formatCount(s.stitched.hops)} hops in ${s.stitched.seconds.toFixed(1)} s`);
  if (s.unmodeled > 0) lines.push(`  ${formatCount(s.unmodeled)} lines from programs or messages mailtrace does not model (counted, not stored)`);
  if (s.rejectedTotal > 0) {
    const parts = Object.entries(s.rejected).map(([r, n]) => `${r} ${n}`).join(', ');
    lines.push(`  ${s.rejectedTotal} lines kept aside: ${parts} (see the rejected table / GET /api/rejected)`);
  }
  for (const f of s.filesSkipped) lines.push(`  skipped ${f.path}: ${f.why}`);
  if (s.badInputs.length > 0) {
    lines.push(`  ${s.badInputs.length} input(s) could not be read to their end [MT_ERR_BAD_INPUT] (what was read before is stored):`);
    for (const b of s.badInputs) lines.push(`    ${b.path}: ${b.reason}${b.offset > 0 ? ` (after ${b.offset} bytes)` : ''}`);
  }
  return lines.join('\n');
}

function tlsText(h: Hop): string {
  if (h.tls !== 'encrypted') return h.tls === 'plaintext' ? 'PLAINTEXT' : 'unknown';
  return ['encrypted', h.tlsVersion, h.cipher ? `(${h.cipher})` : '', h.tlsTrust].filter(Boolean).join(' ');
}

function duration(h: Hop): string {
  const ms = Date.parse(h.end) - Date.parse(h.start);
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '';
}

/** The path as a readable table, one block per recipient. */
export function formatTrace(t: Trace): string {
  const out: string[] = [];
  out.push(`message ${t.messageId || '(no message id)'}`);
  out.push(`  sender ${t.sender ? `<${t.sender}>` : '<>'}  size ${t.size}  seen ${t.firstSeen} … ${t.lastSeen}`);
  out.push(`  queues ${t.queues.map((q) => `${q.host}:${q.queueId}`).join('  ')}`);
  for (const sv of t.servers) out.push(`  server ${sv.host} is ${sv.role}${sv.reason ? ` (${sv.reason})` : ''}`);
  for (const r of t.recipients) {
    out.push('');
    out.push(`  <${r.address}>  ${r.status.toUpperCase()}  at ${r.lastHost}${r.dsn ? `  dsn ${r.dsn}` : ''}`);
    if (r.reply) out.push(`    ${r.reply.length > 160 ? `${r.reply.slice(0, 157)}...` : r.reply}`);
    const rows = r.hops.map((h, i) => [String(i + 1), `${h.from}${h.fromRole ? ` (${h.fromRole})` : ''} → ${h.to}${h.toRole ? ` (${h.toRole})` : ''}`, tlsText(h), h.start, duration(h), h.link === 'queued-as' || h.link === 'first-hop' ? '' : h.link]);
    const header = ['#', 'hop', 'tls', 'start', 'took', 'link'];
    const widths = header.map((hd, c) => Math.max(hd.length, ...rows.map((row) => row[c].length)));
    const fmt = (row: string[]) => `    ${row.map((cell, c) => cell.padEnd(widths[c])).join('  ')}`.trimEnd();
    out.push(fmt(header));
    for (const row of rows) out.push(fmt(row));
  }
  for (const rel of t.related) out.push(`  related: ${rel.kind} ${rel.host}:${rel.queueId}${rel.messageId ? ` ${rel.messageId}` : ''} (from ${rel.parentQueueId})`);
  for (const n of t.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}
