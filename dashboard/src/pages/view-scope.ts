import type { HopFilter, ViewQuery } from '../../../schemas/views.ts';

/**
 * What every view is narrowed by, as it sits in the page URL so that a view can be shared and
 * bookmarked: a relative range (`?range=7d`, resolved against the clock when the page loads) or a
 * fixed one (`?from=…&to=…`, UTC), a server (`host`) and a recipient domain (`domain`).
 * A drill-down link carries the range resolved to times, so the list it opens holds exactly the
 * hops behind the number clicked, whenever it is opened.
 */
export const RANGES = ['24h', '7d', '30d', 'all'] as const;
export type RangeKey = (typeof RANGES)[number];
export const RANGE_LABEL: Record<RangeKey, string> = { '24h': 'Last 24 h', '7d': 'Last 7 d', '30d': 'Last 30 d', all: 'All' };
const DAY_MS = 86_400_000;
const RANGE_MS: Record<Exclude<RangeKey, 'all'>, number> = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS };

export interface ViewScope {
  /** a range relative to now, or `custom` when the URL gives from or to */
  range: RangeKey | 'custom';
  /** `YYYY-MM-DDTHH:MM:SSZ` or '' (open) */
  from: string;
  to: string;
  host: string;
  domain: string;
}

export const ALL_TIME: ViewScope = { range: 'all', from: '', to: '', host: '', domain: '' };

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
const MAX_NAME = 255;

/** A time from the URL or a datetime-local field (no zone means UTC) as `YYYY-MM-DDTHH:MM:SSZ`, or '' when it is none. */
export function normalizeTime(text: string): string {
  const t = text.trim();
  if (!TIME.test(t)) return '';
  const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(t) ? t : `${t}Z`);
  return Number.isNaN(ms) ? '' : `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function name(p: URLSearchParams, key: string): string {
  const v = (p.get(key) ?? '').trim();
  return v.length <= MAX_NAME ? v : '';
}

export function scopeFromParams(p: URLSearchParams): ViewScope {
  const from = normalizeTime(p.get('from') ?? '');
  const to = normalizeTime(p.get('to') ?? '');
  const range = p.get('range') ?? '';
  return {
    range: from || to ? 'custom' : (RANGES as readonly string[]).includes(range) ? range as RangeKey : 'all',
    from, to, host: name(p, 'host'), domain: name(p, 'domain'),
  };
}

/** The scope's part of a page URL; `all` and empty filters are left out. */
export function scopeParams(s: ViewScope): URLSearchParams {
  const p = new URLSearchParams();
  if (s.range === 'custom') {
    if (s.from) p.set('from', s.from);
    if (s.to) p.set('to', s.to);
  } else if (s.range !== 'all') {
    p.set('range', s.range);
  }
  if (s.host) p.set('host', s.host);
  if (s.domain) p.set('domain', s.domain);
  return p;
}

/** A page's URL: its path, the scope, then the page's own keys (empty values left out). */
export function viewHref(path: string, s: ViewScope, own: Record<string, string | number | undefined> = {}): string {
  const p = scopeParams(s);
  for (const [k, v] of Object.entries(own)) if (v !== undefined && v !== '') p.set(k, String(v));
  const q = p.toString();
  return q ? `${path}?${q}` : path;
}

/** What the API is asked: a relative range becomes a start time now. */
export function apiQuery(s: ViewScope, now = Date.now()): ViewQuery {
  const q: ViewQuery = {};
  if (s.range === 'custom') {
    if (s.from) q.from = s.from;
    if (s.to) q.to = s.to;
  } else if (s.range !== 'all') {
    q.from = `${new Date(now - RANGE_MS[s.range]).toISOString().slice(0, 19)}Z`;
  }
  if (s.host) q.host = s.host;
  if (s.domain) q.domain = s.domain;
  return q;
}

/** The scope of a resolved query: what drill-down links carry. */
export function fixedScope(q: ViewQuery): ViewScope {
  return { range: q.from || q.to ? 'custom' : 'all', from: q.from ?? '', to: q.to ?? '', host: q.host ?? '', domain: q.domain ?? '' };
}

export const HOP_FILTERS: readonly HopFilter[] = ['all', 'plaintext', 'weak-tls', 'unverified', 'unknown'];
export const HOP_PAGE_SIZES = [25, 50, 100, 200] as const;
const DEFAULT_HOP_LIMIT = 50;

/** The hop list's own keys. A server pair's end is kept even when it is '' (a hop whose client was not named). */
export interface HopSelection {
  hopFrom?: string;
  hopTo?: string;
  filter: HopFilter;
  offset: number;
  limit: number;
}

export function hopSelectionFromParams(p: URLSearchParams): HopSelection {
  const filter = p.get('filter') ?? '';
  const offset = Number(p.get('offset'));
  const limit = Number(p.get('limit'));
  const end = (k: string) => (p.has(k) && (p.get(k) ?? '').length <= MAX_NAME ? p.get(k) ?? '' : undefined);
  return {
    hopFrom: end('hopFrom'),
    hopTo: end('hopTo'),
    filter: (HOP_FILTERS as readonly string[]).includes(filter) ? filter as HopFilter : 'all',
    offset: Number.isInteger(offset) && offset > 0 ? Math.min(offset, 1_000_000) : 0,
    limit: (HOP_PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_HOP_LIMIT,
  };
}

/** `/hops?…`: the hand-offs behind a number, in a scope (pass a resolved one: see fixedScope). */
export function hopsHref(s: ViewScope, sel: Partial<HopSelection>): string {
  const p = scopeParams(s);
  // set even when '' : an unnamed end is an end
  if (sel.hopFrom !== undefined) p.set('hopFrom', sel.hopFrom);
  if (sel.hopTo !== undefined) p.set('hopTo', sel.hopTo);
  if (sel.filter && sel.filter !== 'all') p.set('filter', sel.filter);
  if (sel.offset) p.set('offset', String(sel.offset));
  if (sel.limit && sel.limit !== DEFAULT_HOP_LIMIT) p.set('limit', String(sel.limit));
  const q = p.toString();
  return q ? `/hops?${q}` : '/hops';
}

