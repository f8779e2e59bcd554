import type { IngestionView } from '../../../schemas/views.ts';
import { fetchView } from '../api.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, fmtDateTime, fmtDuration } from '../format.ts';
import { card, foldRows, loadInto, pageHead, statCard, table } from './view-kit.ts';

/**
 * A server whose newest event is this far behind the newest of its kind of log is flagged: its
 * logs may have stopped arriving. Kinds are compared apart (one organisation's Exchange logs may
 * cover other hours than another's Postfix logs), and header claims of delivered copies are no
 * stream at all.
 */
const STALE_MS = 3_600_000;
const NOT_A_STREAM = new Set(['headers']);

/**
 * `/ingestion`: what has been read — the files with their line counts, each server's newest
 * event per source (a server far behind the others may have stopped logging, or its logs stopped
 * arriving), and the lines kept aside by reason with samples. The samples are raw log bytes:
 * they land in the page as text nodes only (dom.ts). Not narrowed by time: this is the state of
 * the store. Hooks: `tr.source-row`, `tr.host-row[data-host][data-source][data-stale]`,
 * `section.rejected-reason[data-reason]`, `code.excerpt`.
 */
export function renderIngestionPage(root: HTMLElement, signal: AbortSignal): void {
  document.title = 'Ingestion health · mailtrace';
  const body = h('div', { class: 'view-body' });
  fill(root, pageHead('Ingestion health', 'Files read, the newest event from each server, and the lines that could not be read. The whole store, not a time range.'), body);
  void loadInto(body, 'ingestion health', () => fetchView('ingestion', {}, signal), signal).then((view) => {
    if (view) draw(body, view);
  });
}

function draw(el: HTMLElement, v: IngestionView): void {
  const lines = v.sources.reduce((a, s) => a + s.lines, 0);
  const rejected = v.rejected.reduce((a, r) => a + r.count, 0);
  const newest = Math.max(0, ...v.hosts.map((x) => Date.parse(x.lastEvent)).filter((t) => !Number.isNaN(t)));
  const newestOf = new Map<string, number>();
  for (const x of v.hosts) {
    const t = Date.parse(x.lastEvent);
    if (!Number.isNaN(t)) newestOf.set(x.source, Math.max(newestOf.get(x.source) ?? 0, t));
  }
  const sourceRows = v.sources.map((s) => h('tr', { class: 'source-row' },
    h('td', { class: 'mono small path-cell' }, s.path),
    h('td', { class: 'num' }, fmtCount(s.lines)),
    h('td', { class: 'mono small nowrap' }, fmtDateTime(s.updatedAt))));
  const hostRows = v.hosts.map((x) => {
    const behind = (newestOf.get(x.source) ?? 0) - Date.parse(x.lastEvent);
    const stale = !NOT_A_STREAM.has(x.source) && Number.isFinite(behind) && behind > STALE_MS;
    return h('tr', { class: `host-row${stale ? ' row-warn' : ''}`, 'data-host': x.host, 'data-source': x.source, 'data-stale': String(stale) },
      h('td', { class: 'mono' }, x.host || h('span', { class: 'muted' }, '(no host)')),
      h('td', null, h('span', { class: 'badge badge-neutral' }, x.source)),
      h('td', { class: 'num' }, fmtCount(x.events)),
      h('td', { class: 'mono small nowrap' }, fmtDateTime(x.lastEvent)),
      h('td', { class: 'num nowrap' }, behind > 0 ? fmtDuration(behind) : h('span', { class: 'muted' }, 'newest'), stale ? h('span', { class: 'badge badge-stale', title: `more than an hour behind the newest ${x.source} event of any server` }, 'behind') : null));
  });

  fill(el,
    h('div', { class: 'stat-row' },
      statCard('files', 'Files read', v.sources.length, { foot: `${fmtCount(lines)} lines` }),
      statCard('hosts', 'Servers', new Set(v.hosts.map((x) => x.host)).size, { foot: `${fmtCount(v.hosts.length)} by server and source` }),
      statCard('newest', 'Newest event', newest ? fmtDateTime(new Date(newest).toISOString()) : '—', { foot: 'UTC, over all servers' }),
      statCard('rejected', 'Lines kept aside', rejected, { alert: rejected > 0, foot: rejected ? `${v.rejected.length} ${v.rejected.length === 1 ? 'reason' : 'reasons'}` : 'every line was read' })),
    card('Newest event per server and source', 'a server far behind the others of its source may have stopped sending its logs; header claims of delivered copies are no stream',
      v.hosts.length ? table('ingestion-hosts', [{ label: 'Server' }, { label: 'Source' }, { label: 'Events', num: true }, { label: 'Newest event (UTC)' }, { label: 'Behind the newest of its source', num: true }], hostRows)
        : stateBox('empty', 'No events stored yet.', 'Ingest logs with `mailtrace ingest <files>`.')),
    card('Lines kept aside', 'by reason, with up to three samples each (raw bytes, shown as text)',
      v.rejected.length === 0 ? stateBox('empty', 'Every line was read.') : v.rejected.map(rejectedReason)),
    card('Files read', `${fmtCount(v.sources.length)} files, newest first`,
      v.sources.length ? [table('ingestion-sources', [{ label: 'Path' }, { label: 'Lines', num: true }, { label: 'Read at (UTC)' }], sourceRows), foldRows(sourceRows, 20)]
        : stateBox('empty', 'No files read yet.')));
}

function rejectedReason(r: IngestionView['rejected'][number]): HTMLElement {
  return h('section', { class: 'rejected-reason', 'data-reason': r.reason },
    h('div', { class: 'rejected-head' }, h('span', { class: 'badge badge-neutral' }, r.reason), h('span', { class: 'bar-num rejected-count' }, fmtCount(r.count))),
    h('ul', { class: 'plain-list' }, r.samples.map((s) => h('li', { class: 'rejected-sample' },
      h('div', { class: 'mono small muted', title: `byte offset ${s.sourceOffset}` }, `${s.sourceFile}:${s.lineNumber}`, s.detail ? ` · ${s.detail}` : ''),
      h('code', { class: 'excerpt' }, s.excerpt)))));
}
