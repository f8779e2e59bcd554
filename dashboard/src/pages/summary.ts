import type { Rejection, Summary } from '../../../schemas/index.ts';
import { describeError, fetchRejected, fetchSummary, isAbort } from '../api.ts';
import { mountChart } from '../charts/setup.ts';
import { tlsPieOption } from '../charts/tls-pie.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, STATUS_ORDER, TLS_ORDER } from '../format.ts';

// the summary scans the whole store: reuse it while the user pages and filters
const FRESH_MS = 15_000;
let cached: { at: number; summary: Summary } | undefined;

/** The summary cards above the search form. */
export async function renderSummary(el: HTMLElement, signal: AbortSignal): Promise<void> {
  let summary: Summary;
  if (cached && Date.now() - cached.at < FRESH_MS) {
    summary = cached.summary;
  } else {
    fill(el, stateBox('loading', 'Loading summary…'));
    try {
      summary = await fetchSummary(signal);
      cached = { at: Date.now(), summary };
    } catch (err) {
      if (isAbort(err)) return;
      const e = describeError(err);
      fill(el, stateBox('error', `Summary unavailable: ${e.title}`, e.detail));
      return;
    }
  }
  if (signal.aborted) return;
  const pie = h('div', { class: 'chart chart-tls-pie', 'aria-hidden': 'true' });
  const samples = h('div', { class: 'rejected-samples', hidden: true });
  const recipientsTotal = STATUS_ORDER.reduce((n, s) => n + (summary.recipientsByStatus[s] ?? 0), 0);
  const hopsTotal = TLS_ORDER.reduce((n, s) => n + (summary.hopsByTls[s] ?? 0), 0);
  fill(el,
    h('div', { class: 'cards' },
      h('div', { class: 'stat-card', 'data-stat': 'messages' },
        h('div', { class: 'stat-label' }, 'Messages'),
        h('div', { class: 'stat-value' }, fmtCount(summary.messages)),
        h('div', { class: 'stat-foot' }, `${fmtCount(recipientsTotal)} recipients`),
        summary.refusedWithoutMessage > 0
          ? h('div', { class: 'stat-foot', title: 'recipients refused in SMTP sessions that never queued a message' }, `${fmtCount(summary.refusedWithoutMessage)} refused before queueing`)
          : null),
      h('div', { class: 'stat-card', 'data-stat': 'recipients' },
        h('div', { class: 'stat-label' }, 'Recipients by final status'),
        h('ul', { class: 'bars' }, STATUS_ORDER.map((s) => {
          const n = summary.recipientsByStatus[s] ?? 0;
          return h('li', null,
            h('a', { href: `/?status=${s}`, class: 'bar-link', title: `show messages with status ${s}` },
              h('span', { class: `dot status-${s}` }), h('span', { class: 'bar-name' }, s), h('span', { class: 'bar-num' }, fmtCount(n))),
            h('span', { class: 'bar-track' }, barFill(`bar-fill status-${s}`, recipientsTotal ? n / recipientsTotal : 0)));
        }))),
      h('div', { class: 'stat-card', 'data-stat': 'hops' },
        h('div', { class: 'stat-label' }, 'Hops by TLS'),
        h('div', { class: 'pie-row' }, pie,
          h('ul', { class: 'legend' }, TLS_ORDER.map((k) => {
            const n = summary.hopsByTls[k] ?? 0;
            return h('li', { class: k === 'plaintext' && n > 0 ? 'legend-alert' : null },
              h('span', { class: `dot tls-${k}` }), h('span', { class: 'bar-name' }, k),
              h('span', { class: 'bar-num' }, fmtCount(n)),
              h('span', { class: 'legend-pct' }, hopsTotal ? `${Math.round((100 * n) / hopsTotal)}%` : ''));
          })))),
      h('div', { class: 'stat-card', 'data-stat': 'rejected' },
        h('div', { class: 'stat-label' }, 'Log lines skipped'),
        h('div', { class: 'stat-value' }, fmtCount(summary.rejectedLines)),
        reasonList(summary.rejectedByReason),
        summary.rejectedLines > 0 ? h('button', { type: 'button', class: 'btn btn-link', onclick: (ev) => toggleSamples(ev.currentTarget as HTMLButtonElement, samples, signal) }, 'Show samples') : null)),
    samples);
  if (hopsTotal > 0) mountChart(pie, tlsPieOption(summary.hopsByTls));
  else pie.classList.add('chart-empty');
}

/** Width set through CSSOM: the page's CSP allows no inline style attributes. */
function barFill(cls: string, share: number): HTMLElement {
  const el = h('span', { class: cls });
  el.style.width = `${(100 * share).toFixed(1)}%`;
  return el;
}

function reasonList(byReason: Record<string, number>): HTMLElement {
  const entries = Object.entries(byReason).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return h('div', { class: 'stat-foot' }, 'every line was read');
  return h('ul', { class: 'reasons' }, entries.map(([reason, n]) => h('li', null, h('span', { class: 'mono' }, reason), h('span', { class: 'bar-num' }, fmtCount(n)))));
}

async function toggleSamples(button: HTMLButtonElement, panel: HTMLElement, signal: AbortSignal): Promise<void> {
  if (!panel.hidden) {
    panel.hidden = true;
    button.textContent = 'Show samples';
    return;
  }
  panel.hidden = false;
  button.textContent = 'Hide samples';
  fill(panel, stateBox('loading', 'Loading skipped lines…'));
  let rows: Rejection[];
  try {
    rows = await fetchRejected(50, signal);
  } catch (err) {
    if (isAbort(err)) return;
    const e = describeError(err);
    fill(panel, stateBox('error', e.title, e.detail));
    return;
  }
  fill(panel, h('div', { class: 'card' },
    h('h2', { class: 'card-title' }, `Skipped lines (latest ${rows.length})`),
    rows.length === 0 ? stateBox('empty', 'No skipped lines are stored.') : h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, 'Reason'), h('th', null, 'Where'), h('th', null, 'Detail'), h('th', null, 'Line (excerpt)'))),
      h('tbody', null, rows.map((r) => h('tr', null,
        h('td', null, h('span', { class: 'badge badge-neutral' }, r.reason)),
        h('td', { class: 'mono nowrap', title: `byte offset ${r.sourceOffset}` }, `${r.sourceFile}:${r.lineNumber}`),
        h('td', null, r.detail),
        h('td', null, h('code', { class: 'excerpt' }, r.excerpt)))))))));
}
