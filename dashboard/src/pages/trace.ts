import type { RecipientStatus, RelatedMessage, Trace } from '../../../schemas/index.ts';
import { ApiError, describeError, fetchTrace, isAbort } from '../api.ts';
import { pathGraphHeight, pathGraphOption } from '../charts/path-graph.ts';
import { mountChart } from '../charts/setup.ts';
import { timelineOption, timelineRows, TIMELINE_ROW_PX } from '../charts/timeline.ts';
import { fill, h, stateBox } from '../dom.ts';
import { dayOf, fmtBytes, fmtCount, fmtDateTime, fmtDuration, msBetween, STATUS_ORDER } from '../format.ts';
import { traceHref } from '../router.ts';
import { recipientSection, startsOpen } from './hops.ts';
import { protectionBadges } from './protection.ts';

/** Where the trace was opened from: the search, or a hop list of the views. */
export interface BackLink {
  href: string;
  label: string;
}

/** `/message/<id>`: one message's path per recipient. */
export async function renderTracePage(root: HTMLElement, id: string, backTo: BackLink, signal: AbortSignal): Promise<void> {
  document.title = `${id} · mailtrace`;
  const backHref = backTo.href;
  const back = h('a', { href: backHref, class: 'back' }, `← ${backTo.label}`);
  fill(root, back, stateBox('loading', 'Loading trace…', id));
  let trace: Trace;
  try {
    trace = await fetchTrace(id, signal);
  } catch (err) {
    if (isAbort(err)) return;
    const e = describeError(err);
    const notFound = err instanceof ApiError && err.status === 404;
    fill(root, back, stateBox('error', notFound ? 'Message not found' : e.title, notFound ? (err as ApiError).message : e.detail,
      h('a', { href: backHref, class: 'btn' }, `Back to ${backTo.label.toLowerCase()}`)));
    return;
  }
  if (signal.aborted) return;

  const day = dayOf(trace.firstSeen);
  const pathChart = h('div', { class: 'chart chart-path' });
  pathChart.style.height = `${pathGraphHeight(trace)}px`;
  const rows = timelineRows(trace);
  const timelineChart = h('div', { class: 'chart chart-timeline' });
  timelineChart.style.height = `${Math.max(120, rows.length * TIMELINE_ROW_PX + 44)}px`;
  const hasHops = trace.recipients.some((r) => r.hops.length > 0);

  fill(root,
    back,
    header(trace),
    trace.notes.length ? h('aside', { class: 'callout callout-warn', 'aria-label': 'Notes' }, h('strong', null, 'Notes'), h('ul', null, trace.notes.map((n) => h('li', null, n)))) : null,
    trace.related.length ? related(trace.related) : null,
    hasHops ? h('div', { class: 'chart-grid' },
      h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Path'), tlsLegend()), pathChart),
      h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Timeline'), h('span', { class: 'muted small' }, 'UTC')), timelineChart)) : null,
    h('div', { class: 'section-head' },
      h('h2', { class: 'section-title' }, `Recipients (${fmtCount(trace.recipients.length)})`),
      trace.recipients.length > 3 ? [
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => foldAll(root, true) }, 'Expand all'),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => foldAll(root, false) }, 'Collapse all')] : null),
    trace.recipients.length
      ? trace.recipients.map((r) => recipientSection(r, day, startsOpen(r, trace.recipients.length)))
      : stateBox('empty', 'No recipients are recorded for this message.'));
  if (hasHops) {
    mountChart(pathChart, (width) => pathGraphOption(trace, width));
    if (rows.length) mountChart(timelineChart, timelineOption(rows));
  }
}

function foldAll(root: HTMLElement, open: boolean): void {
  root.querySelectorAll<HTMLDetailsElement>('section.recipient > details').forEach((d) => { d.open = open; });
}

function header(t: Trace): HTMLElement {
  const counts = new Map<RecipientStatus, number>();
  for (const r of t.recipients) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const plaintext = new Set(t.recipients.flatMap((r) => r.hops.filter((x) => x.tls === 'plaintext').map((x) => `${x.from}>${x.to}>${x.start}`))).size;
  return h('section', { class: 'card trace-head' },
    h('div', { class: 'eyebrow' }, 'Message'),
    h('h1', { class: 'mono message-id' }, t.messageId || '(no Message-ID)'),
    h('div', { class: 'pills' },
      STATUS_ORDER.filter((s) => counts.has(s)).map((s) => h('span', { class: `badge status-${s}` }, `${counts.get(s)} ${s}`)),
      plaintext > 0 ? h('span', { class: 'badge badge-plaintext' }, `${plaintext} plaintext ${plaintext === 1 ? 'hop' : 'hops'}`) : null,
      protectionBadges(t.protection)),
    h('dl', { class: 'facts facts-head' },
      h('div', { class: 'fact' }, h('dt', null, 'Sender'), h('dd', { class: 'mono' }, t.sender || '<> (null sender)')),
      h('div', { class: 'fact' }, h('dt', null, 'Size'), h('dd', null, t.size > 0 ? fmtBytes(t.size) : '—')),
      h('div', { class: 'fact' }, h('dt', null, 'First seen'), h('dd', null, `${fmtDateTime(t.firstSeen)} UTC`)),
      h('div', { class: 'fact' }, h('dt', null, 'Last seen'), h('dd', null, `${fmtDateTime(t.lastSeen)} UTC`)),
      h('div', { class: 'fact' }, h('dt', null, 'In transit'), h('dd', null, fmtDuration(msBetween(t.firstSeen, t.lastSeen)))),
      h('div', { class: 'fact fact-wide' }, h('dt', null, 'Queues'), h('dd', { class: 'chips' },
        t.queues.length ? t.queues.map((q) => h('span', { class: 'chip' }, h('span', { class: 'chip-host' }, q.host), h('span', { class: 'mono' }, q.queueId))) : h('span', { class: 'muted' }, '—'))),
      t.servers.length ? h('div', { class: 'fact fact-wide' }, h('dt', null, 'Servers'), h('dd', { class: 'chips' },
        t.servers.map((sv) => h('span', { class: 'chip server-role', title: sv.reason ? `why: ${sv.reason}` : 'role' },
          h('span', { class: 'chip-host' }, sv.host), h('span', { class: `role-chip role-${sv.role}` }, sv.role))))) : null,
      t.protection.known ? h('div', { class: 'fact fact-wide' }, h('dt', null, 'Protection evidence'), h('dd', { class: 'protection-evidence' }, t.protection.evidence)) : null));
}

function related(list: RelatedMessage[]): HTMLElement {
  return h('section', { class: 'card related' },
    h('h2', { class: 'card-title' }, 'Related messages'),
    h('ul', { class: 'related-list' }, list.map((m) => m.kind === 'dsn'
      ? h('li', null, 'Delivery status notification sent by ', h('span', { class: 'mono' }, m.host), ' as queue ',
        // a message id means the notification's own lines were ingested: only then is it traceable
        m.messageId
          ? [h('a', { href: traceHref(m.messageId), class: 'mono' }, m.queueId), ' (', h('span', { class: 'mono' }, m.messageId), ')']
          : [h('span', { class: 'mono' }, m.queueId), h('span', { class: 'muted' }, ' (its own lines are not in the ingested logs)')])
      : m.parentQueueId
        ? h('li', null, 'This message is a delivery status notification for queue ',
          h('a', { href: traceHref(m.parentQueueId), class: 'mono' }, m.parentQueueId), ' on ', h('span', { class: 'mono' }, m.host))
        : h('li', null, 'This message is a delivery status notification for ',
          h('a', { href: traceHref(m.messageId), class: 'mono' }, m.messageId), ' (made on ', h('span', { class: 'mono' }, m.host), ')'))));
}

function tlsLegend(): HTMLElement {
  return h('span', { class: 'legend-inline small' },
    h('span', null, h('span', { class: 'swatch tls-encrypted' }), 'encrypted'),
    h('span', null, h('span', { class: 'swatch tls-plaintext' }), 'plaintext'),
    h('span', null, h('span', { class: 'swatch tls-unknown' }), 'unknown'),
    h('span', null, h('span', { class: 'swatch swatch-header' }), 'Received header only'),
    h('span', null, h('span', { class: 'swatch swatch-external' }), 'no logs from host'));
}
