import type { MessageList } from '../../../schemas/index.ts';
import { describeError, isAbort, searchMessages } from '../api.ts';
import { fill, h, stateBox } from '../dom.ts';
import { STATUS_ORDER } from '../format.ts';
import { navigate } from '../router.ts';
import { renderResults } from './results.ts';
import { hasFilters, isIdMessageId, PAGE_SIZES, PROTECTION_FILTERS, searchHref, stateFromParams, toApiQuery, type SearchState } from './search-state.ts';
import { renderSummary } from './summary.ts';

/** `/`: summary cards, the search form and one page of matching messages. */
export function renderSearchPage(root: HTMLElement, params: URLSearchParams, signal: AbortSignal): void {
  const state = stateFromParams(params);
  document.title = hasFilters(state) ? 'Search · mailtrace' : 'mailtrace';
  const summaryEl = h('div', { class: 'summary' });
  const resultsEl = h('section', { class: 'card results', 'aria-label': 'Messages' });
  fill(root, summaryEl, searchForm(state), resultsEl);
  void renderSummary(summaryEl, signal);
  void loadResults(resultsEl, state, signal);
}

async function loadResults(el: HTMLElement, state: SearchState, signal: AbortSignal): Promise<void> {
  fill(el, stateBox('loading', 'Searching…'));
  let list: MessageList;
  try {
    list = await searchMessages(toApiQuery(state), signal);
  } catch (err) {
    if (isAbort(err)) return;
    const e = describeError(err);
    fill(el, stateBox('error', `Search failed: ${e.title}`, e.detail));
    return;
  }
  if (!signal.aborted) renderResults(el, list, state);
}

function field(label: string, control: HTMLElement, hint?: string | HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hint ? h('span', { class: 'field-hint' }, hint) : null);
}

function searchForm(state: SearchState): HTMLElement {
  const input = (name: string, value: string, attrs: Record<string, string> = {}) =>
    h('input', { name, value, type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
  const sender = input('sender', state.sender, { placeholder: 'sender@example.org or @example.org', type: 'search' });
  const recipient = input('recipient', state.recipient, { placeholder: 'rcpt@example.org or @example.org', type: 'search' });
  const id = input('id', state.id, { placeholder: '<id@host> or 4A1B2C3D4E', type: 'search' });
  const idHint = h('span', { class: 'field-hint' });
  const describeId = () => { idHint.textContent = id.value.trim() === '' ? 'Message-ID or queue id' : isIdMessageId(id.value.trim()) ? 'searching by Message-ID' : 'searching by queue id'; };
  describeId();
  id.addEventListener('input', describeId);
  const status = h('select', { name: 'status' },
    h('option', { value: '' }, 'any'),
    STATUS_ORDER.map((s) => h('option', { value: s, selected: s === state.status }, s)));
  // a delivered copy's protection: 'none' and 'unknown' differ (a copy read showed nothing; no copy was read)
  const protection = h('select', { name: 'protection' },
    h('option', { value: '' }, 'any'),
    ...PROTECTION_FILTERS.map((p) =>
      h('option', { value: p, selected: p === state.protection }, p === 'any' ? 'any mechanism' : p === 'none' ? 'none seen in a copy' : p === 'unknown' ? 'no copy read' : p)));
  const from = h('input', { name: 'from', type: 'datetime-local', value: state.from, step: '1' });
  const to = h('input', { name: 'to', type: 'datetime-local', value: state.to, step: '1' });
  const limit = h('select', { name: 'limit', title: 'rows per page' }, PAGE_SIZES.map((n) => h('option', { value: n, selected: n === state.limit }, `${n} / page`)));

  const form = h('form', { class: 'card search-form', role: 'search', 'aria-label': 'Search messages' },
    h('div', { class: 'form-grid' },
      field('Sender', sender),
      field('Recipient', recipient),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Message-ID or queue id'), id, idHint),
      field('Status', status),
      field('Protection', protection),
      field('From (UTC)', from),
      field('To (UTC)', to),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
        h('a', { href: '/', class: 'btn' }, 'Clear'),
        limit)));
  const submit = () => navigate(searchHref({
    sender: sender.value.trim(),
    recipient: recipient.value.trim(),
    id: id.value.trim(),
    status: stateFromParams(new URLSearchParams({ status: status.value })).status,
    protection: stateFromParams(new URLSearchParams({ protection: protection.value })).protection,
    from: from.value,
    to: to.value,
    offset: 0,
    limit: Number(limit.value),
  }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
  limit.addEventListener('change', submit);
  return form;
}
