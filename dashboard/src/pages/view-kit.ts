import { describeError, isAbort } from '../api.ts';
import { fill, h, stateBox, type Child } from '../dom.ts';
import { fmtCount } from '../format.ts';

/**
 * What the view pages share: loading a view into a box, stat cards, tables whose non-zero
 * counts are links to the hops behind them, and chart boxes. Heights and widths are set through
 * CSSOM: the page's CSP allows no inline style attributes.
 */

/** Load into `el` (a loading box, then the answer, or the error); undefined when it failed or the page moved on. */
export async function loadInto<T>(el: HTMLElement, what: string, load: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  fill(el, stateBox('loading', `Loading ${what}…`));
  try {
    const v = await load();
    return signal.aborted ? undefined : v;
  } catch (err) {
    if (isAbort(err) || signal.aborted) return undefined;
    const e = describeError(err);
    fill(el, stateBox('error', `Cannot load ${what}: ${e.title}`, e.detail));
    return undefined;
  }
}

export function pageHead(title: string, ...sub: Child[]): HTMLElement {
  return h('div', { class: 'view-head' }, h('h1', { class: 'page-title' }, title), sub.length ? h('p', { class: 'muted view-sub' }, ...sub) : null);
}

/** A number with its label; `href` makes the number a link (to the hops behind it). Hook: `[data-stat=key] .stat-value`. */
export function statCard(key: string, label: string, value: number | string, opts: { href?: string; alert?: boolean; foot?: Child | Child[] } = {}): HTMLElement {
  const shown = typeof value === 'number' ? fmtCount(value) : value;
  return h('div', { class: `stat-card${opts.alert ? ' stat-alert' : ''}`, 'data-stat': key },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, opts.href ? h('a', { href: opts.href, class: 'stat-link' }, shown) : shown),
    opts.foot ? h('div', { class: 'stat-foot' }, opts.foot) : null);
}

/** A count cell: a link to the hops behind it when there are any. Hook: `td[data-col=key]`. */
export function countCell(key: string, n: number, href: string | undefined, alert = false): HTMLTableCellElement {
  return h('td', { class: `num${alert && n > 0 ? ' count-alert' : ''}`, 'data-col': key },
    n > 0 && href ? h('a', { href, class: 'count-link' }, fmtCount(n)) : h('span', { class: n > 0 ? null : 'muted' }, fmtCount(n)));
}

export interface Column { label: string; num?: boolean; title?: string }

export function table(cls: string, columns: Column[], rows: HTMLTableRowElement[]): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', { class: `table ${cls}` },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.num ? 'num' : null, title: c.title ?? null }, c.label)))),
    h('tbody', null, rows)));
}

/** Show the first `first` rows; the rest stay in the table, hidden until asked for. */
export function foldRows(rows: HTMLTableRowElement[], first: number): HTMLElement | null {
  if (rows.length <= first) return null;
  rows.slice(first).forEach((r) => { r.hidden = true; });
  const button = h('button', { type: 'button', class: 'btn btn-small show-all' }, `Show all ${fmtCount(rows.length)}`);
  button.addEventListener('click', () => {
    rows.forEach((r) => { r.hidden = false; });
    button.remove();
  });
  return h('div', { class: 'table-more' }, button);
}

/** An element for a chart of a given height (echarts needs the size before drawing). */
export function chartBox(cls: string, heightPx: number): HTMLElement {
  const el = h('div', { class: `chart ${cls}` });
  el.style.height = `${heightPx}px`;
  return el;
}

/** A bar of shares, one coloured segment per part (widths through CSSOM). */
export function shareBar(parts: { cls: string; n: number; title: string }[]): HTMLElement {
  const total = parts.reduce((a, p) => a + p.n, 0);
  const bar = h('span', { class: 'share-bar', role: 'img', 'aria-label': parts.map((p) => `${p.title}: ${p.n}`).join(', ') });
  for (const p of parts) {
    if (p.n <= 0 || total === 0) continue;
    const seg = h('span', { class: `share-seg ${p.cls}`, title: `${p.title}: ${fmtCount(p.n)}` });
    seg.style.width = `${((100 * p.n) / total).toFixed(2)}%`;
    bar.append(seg);
  }
  return bar;
}

export function card(title: string, aside: Child, ...body: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, title), aside ? h('span', { class: 'muted small' }, aside) : null),
    ...body);
}

/** Percent with no false precision: "<1%" rather than "0%" for a few. */
export function pct(n: number, total: number): string {
  if (total <= 0) return '—';
  const p = (100 * n) / total;
  if (n > 0 && p < 1) return '<1%';
  return `${Math.round(p)}%`;
}
