import { h } from './dom.ts';

/**
 * The API bearer token, asked for when a call answers 401. Kept in sessionStorage: it lives as
 * long as the tab and is not written to disk the way localStorage would be.
 */
const KEY = 'mailtrace.token';

// used when sessionStorage is disabled, so that one entry still serves this page
let inMemory: string | undefined;

export function currentToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? inMemory;
  } catch {
    return inMemory;
  }
}

let pending: Promise<void> | undefined;

/** Show the token form (once for all waiting calls); resolves when a token has been entered. */
export function askForToken(problem?: string): Promise<void> {
  pending ??= new Promise<void>((resolve) => {
    const input = h('input', { type: 'password', name: 'token', id: 'token-input', autocomplete: 'off', required: true, spellcheck: 'false' });
    const form = h('form', { class: 'modal token-form', 'aria-labelledby': 'token-title' },
      h('h2', { id: 'token-title' }, 'API token required'),
      h('p', { class: 'muted' }, 'This server asks for a bearer token on /api. It is kept for this browser tab only.'),
      problem ? h('p', { class: 'form-error', role: 'alert' }, problem) : null,
      h('label', { for: 'token-input' }, 'Token'),
      input,
      h('div', { class: 'modal-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Continue')));
    const backdrop = h('div', { class: 'modal-backdrop' }, form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      inMemory = value;
      try {
        sessionStorage.setItem(KEY, value);
      } catch {
        // storage disabled: the token lasts until the page is reloaded
      }
      backdrop.remove();
      pending = undefined;
      resolve();
    });
    document.body.append(backdrop);
    input.focus();
  });
  return pending;
}
