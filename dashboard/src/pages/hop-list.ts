import type { HopFilter, HopList } from '../../../schemas/views.ts';
import { fetchHops } from '../api.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount } from '../format.ts';
import { navigate } from '../router.ts';
import { hopListTable } from './hop-table.ts';
import { scopeBar } from './scope-bar.ts';
import { loadInto, pageHead } from './view-kit.ts';
import { apiQuery, HOP_FILTERS, HOP_PAGE_SIZES, hopSelectionFromParams, hopsHref, scopeFromParams, type HopSelection, type ViewScope } from './view-scope.ts';

export const FILTER_LABEL: Record<HopFilter, string> = {
  all: 'All',
  plaintext: 'Plaintext',
  'weak-tls': 'Weak TLS (< 1.2)',
  unverified: 'Unverified certificate',
  unknown: 'TLS unknown',
};

/**
 * `/hops`: the hand-offs behind a number of a view — a server pair (`hopFrom`, `hopTo`), a
 * finding (`filter`), the scope — newest first, a page at a time, each row opening its message's
 * trace. Everything is in the URL, so a list can be shared. Hooks: `.hop-list-total`,
 * `a.hop-filter[data-filter]`, `nav.pager a[rel=next]`, and those of hop-table.ts.
 */
export function renderHopListPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  const scope = scopeFromParams(params);
  const sel = hopSelectionFromParams(params);
  const query = apiQuery(scope);
  document.title = `${title(sel)} · mailtrace`;
  const body = h('section', { class: 'card hop-list-card', 'aria-label': 'Hand-offs' });
  fill(root,
    pageHead(title(sel), scope.domain
      ? `One row per hand-off that carried a recipient in ${scope.domain} (one of them shown); hops only a Received header claims are not listed. A row opens its message's trace.`
      : 'One row per hand-off (its first recipient shown); hops only a Received header claims are not listed. A row opens its message\'s trace.'),
    scopeBar({ scope, query, href: (s) => hopsHref(s, { ...sel, offset: 0 }), host: true, domain: true }),
    h('nav', { class: 'hop-filters', 'aria-label': 'What to list' },
      HOP_FILTERS.map((f) => h('a', {
        class: 'btn btn-small hop-filter', 'data-filter': f, href: hopsHref(scope, { ...sel, filter: f, offset: 0 }), 'aria-current': f === sel.filter ? 'true' : null,
      }, FILTER_LABEL[f])),
      sel.hopFrom !== undefined || sel.hopTo !== undefined ? h('a', { class: 'btn btn-small', href: hopsHref(scope, { filter: sel.filter, limit: sel.limit }) }, 'All server pairs') : null),
    body);
  void loadInto(body, 'the hand-offs', () => fetchHops({ ...query, hopFrom: sel.hopFrom, hopTo: sel.hopTo, filter: sel.filter, limit: sel.limit, offset: sel.offset }, signal), signal)
    .then((list) => {
      if (list) draw(body, list, scope, sel);
    });
}

function title(sel: HopSelection): string {
  const what = sel.filter === 'all' ? 'Hand-offs' : `${FILTER_LABEL[sel.filter]} hand-offs`;
  const end = (s: string) => s || '(unnamed)';
  if (sel.hopFrom !== undefined && sel.hopTo !== undefined) return `${what} ${end(sel.hopFrom)} → ${end(sel.hopTo)}`;
  if (sel.hopFrom !== undefined) return `${what} from ${end(sel.hopFrom)}`;
  if (sel.hopTo !== undefined) return `${what} to ${end(sel.hopTo)}`;
  return what;
}

function draw(el: HTMLElement, list: HopList, scope: ViewScope, sel: HopSelection): void {
  const head = h('div', { class: 'card-head' },
    h('h2', { class: 'card-title' }, h('span', { class: 'hop-list-total', 'data-total': list.total }, fmtCount(list.total)), ` ${list.total === 1 ? 'hand-off' : 'hand-offs'}`),
    list.rows.length ? h('span', { class: 'muted result-count' }, `${fmtCount(sel.offset + 1)}–${fmtCount(sel.offset + list.rows.length)} of ${fmtCount(list.total)}`) : null);
  if (list.rows.length === 0) {
    fill(el, head, stateBox('empty', list.total > 0 ? 'No hand-offs on this page.' : 'No hand-offs match.',
      list.total > 0 ? 'The list is shorter than this page number.' : 'Widen the time range or choose another filter.',
      list.total > 0 ? h('a', { class: 'btn', href: hopsHref(scope, { ...sel, offset: 0 }) }, 'First page') : null));
    return;
  }
  fill(el, head, hopListTable(list.rows), pager(list.total, scope, sel));
}

function pager(total: number, scope: ViewScope, sel: HopSelection): HTMLElement {
  const page = Math.floor(sel.offset / sel.limit) + 1;
  const pages = Math.max(1, Math.ceil(total / sel.limit));
  const go = (offset: number) => hopsHref(scope, { ...sel, offset: Math.max(0, offset) });
  const prev = sel.offset > 0;
  const next = sel.offset + sel.limit < total;
  const size = h('select', { name: 'limit', title: 'rows per page' }, HOP_PAGE_SIZES.map((n) => h('option', { value: n, selected: n === sel.limit }, `${n} / page`)));
  size.addEventListener('change', () => navigate(hopsHref(scope, { ...sel, limit: Number(size.value), offset: 0 })));
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    size,
    prev ? h('a', { class: 'btn', href: go(0) }, '« First') : h('span', { class: 'btn disabled' }, '« First'),
    prev ? h('a', { class: 'btn', href: go(sel.offset - sel.limit), rel: 'prev' }, '‹ Previous') : h('span', { class: 'btn disabled' }, '‹ Previous'),
    h('span', { class: 'muted pager-pos' }, `page ${fmtCount(page)} of ${fmtCount(pages)}`),
    next ? h('a', { class: 'btn', href: go(sel.offset + sel.limit), rel: 'next' }, 'Next ›') : h('span', { class: 'btn disabled' }, 'Next ›'));
}
