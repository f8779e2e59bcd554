import type { ViewQuery } from '../../../schemas/views.ts';
import { h } from '../dom.ts';
import { fmtDateTime } from '../format.ts';
import { navigate } from '../router.ts';
import { ALL_TIME, normalizeTime, RANGE_LABEL, RANGES, type ViewScope } from './view-scope.ts';

export interface ScopeBarOptions {
  scope: ViewScope;
  /** what the API was asked (a relative range resolved), to say which times are shown */
  query: ViewQuery;
  /** the page's URL for a scope (the page keeps its own keys) */
  href: (s: ViewScope) => string;
  /** whether the page narrows by server and by recipient domain */
  host?: boolean;
  domain?: boolean;
}

/**
 * The range picker every view shares: last 24 h / 7 d / 30 d / all as links, a custom from/to
 * (UTC, like every time on the dashboard) and the server and domain filters. Everything goes
 * through the URL: Apply navigates, so back, reload and a shared link show the same view.
 * Hooks: `form.scope-bar`, `a.range[data-range][aria-current]`, `.scope-effective`.
 */
export function scopeBar(o: ScopeBarOptions): HTMLElement {
  const { scope } = o;
  const input = (name: string, value: string, attrs: Record<string, string> = {}) =>
    h('input', { name, value, type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
  const from = h('input', { name: 'from', type: 'datetime-local', step: '1', value: scope.from.slice(0, 19) });
  const to = h('input', { name: 'to', type: 'datetime-local', step: '1', value: scope.to.slice(0, 19) });
  const host = o.host ? input('host', scope.host, { type: 'search', placeholder: 'any server' }) : null;
  const domain = o.domain ? input('domain', scope.domain, { type: 'search', placeholder: 'any domain' }) : null;
  const ranges = RANGES.map((r) => h('a', {
    class: 'btn btn-small range', 'data-range': r, href: o.href({ ...scope, range: r, from: '', to: '' }),
    'aria-current': scope.range === r ? 'true' : null,
  }, RANGE_LABEL[r]));

  const form = h('form', { class: 'card scope-bar', 'aria-label': 'Time range and filters' },
    h('div', { class: 'scope-ranges', role: 'group', 'aria-label': 'Time range' },
      ranges,
      h('span', { class: `btn btn-small range range-custom${scope.range === 'custom' ? ' is-current' : ''}`, 'aria-hidden': 'true' }, 'Custom'),
      h('span', { class: 'muted small scope-effective' }, describe(o.query))),
    h('div', { class: 'scope-fields' },
      field('From (UTC)', from),
      field('To (UTC)', to),
      host ? field('Server (either end)', host) : null,
      domain ? field('Recipient domain', domain) : null,
      h('div', { class: 'scope-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'),
        h('a', { class: 'btn', href: o.href(ALL_TIME) }, 'Reset'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = normalizeTime(from.value);
    const t = normalizeTime(to.value);
    navigate(o.href({
      // a custom time wins; clearing both keeps a relative range (a cleared custom one is all time)
      range: f || t ? 'custom' : scope.range === 'custom' ? 'all' : scope.range,
      from: f, to: t,
      host: host ? host.value.trim() : scope.host,
      domain: domain ? domain.value.trim() : scope.domain,
    }));
  });
  return form;
}

function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control);
}

/** The times shown, in words: the range as the API was asked it. */
export function describe(q: ViewQuery): string {
  const parts: string[] = [];
  if (q.from && q.to) parts.push(`${fmtDateTime(q.from)} → ${fmtDateTime(q.to)} UTC`);
  else if (q.from) parts.push(`since ${fmtDateTime(q.from)} UTC`);
  else if (q.to) parts.push(`until ${fmtDateTime(q.to)} UTC`);
  else parts.push('all stored mail');
  if (q.host) parts.push(`server ${q.host}`);
  if (q.domain) parts.push(`domain ${q.domain}`);
  return parts.join(' · ');
}
