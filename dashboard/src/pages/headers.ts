import type { HeaderAnalysis } from '../../../schemas/index.ts';
import { analyzeHeaders, ApiError, describeError, isAbort } from '../api.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtBytes } from '../format.ts';
import { renderAnalysis } from './header-analysis.ts';

const TOO_LARGE_NOTE = 'The message is larger than the server accepts, so only its header block was analyzed: protection is read from its top-level Content-Type alone, not from its MIME parts.';

/**
 * `/headers`: paste a message's headers (or the whole message) or open an .eml file, and see
 * what its Received chain claims hop by hop and what protects its content. The text goes to
 * POST /api/headers/analyze only: nothing is stored and nothing is put in the URL, since headers
 * name people and internal hosts. Works with no logs ingested at all.
 */
export function renderHeadersPage(root: HTMLElement, signal: AbortSignal): void {
  document.title = 'Header analyzer · mailtrace';
  const text = h('textarea', {
    name: 'headers', id: 'headers-text', rows: 14, spellcheck: 'false', autocomplete: 'off',
    placeholder: 'Received: from mx.example.org (mx.example.org [192.0.2.10]) by …\nMessage-ID: <…>\nSubject: …',
  });
  const file = h('input', { type: 'file', name: 'eml', id: 'headers-file', accept: '.eml,message/rfc822,text/plain' });
  const fileNote = h('span', { class: 'field-hint file-note', 'aria-live': 'polite' });
  const result = h('div', { class: 'header-result' });
  let running: AbortController | undefined;

  const run = () => {
    // a newer analysis replaces the one still on its way; leaving the page cancels both
    running?.abort();
    running = new AbortController();
    void analyze(result, text.value, AbortSignal.any([signal, running.signal]));
  };
  const clear = () => {
    running?.abort();
    text.value = '';
    file.value = '';
    fileNote.textContent = '';
    result.replaceChildren();
    text.focus();
  };
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    fileNote.textContent = `reading ${f.name}…`;
    readText(f).then((body) => {
      if (signal.aborted) return;
      text.value = body;
      fileNote.textContent = `${f.name} (${fmtBytes(f.size)})`;
      run();
    }, (err: unknown) => {
      fileNote.textContent = '';
      fill(result, stateBox('error', `Cannot read ${f.name}`, err instanceof Error ? err.message : String(err)));
    });
  });

  const form = h('form', { class: 'card header-form', 'aria-labelledby': 'headers-title' },
    h('h1', { class: 'page-title', id: 'headers-title' }, 'Header analyzer'),
    h('p', { class: 'muted' },
      'Paste a message\'s headers or the whole message (Outlook: File › Properties › Internet headers; Gmail: Show original), or open an .eml file. ',
      'Every Received header is one hop as the receiving server claims it: TLS, time and delay per hop. The text is sent to this server and not stored.'),
    h('label', { class: 'field', for: 'headers-text' }, h('span', { class: 'field-label' }, 'Headers or message'), text),
    h('div', { class: 'form-actions header-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Analyze'),
      h('button', { type: 'button', class: 'btn', onclick: clear }, 'Clear'),
      h('label', { class: 'file-field', for: 'headers-file' }, h('span', { class: 'field-label' }, 'or open an .eml file'), file),
      fileNote));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  fill(root, form, result);
  text.focus();
}

async function analyze(el: HTMLElement, text: string, signal: AbortSignal): Promise<void> {
  if (text.trim() === '') {
    fill(el, stateBox('empty', 'Nothing to analyze', 'Paste a message\'s headers above, or open an .eml file.'));
    return;
  }
  fill(el, stateBox('loading', 'Analyzing…'));
  let answer: { analysis: HeaderAnalysis; note: string };
  try {
    answer = await request(text, signal);
  } catch (err) {
    if (isAbort(err)) return;
    const e = describeError(err);
    fill(el, stateBox('error', `Analysis failed: ${e.title}`, e.detail));
    return;
  }
  if (!signal.aborted) renderAnalysis(el, answer.analysis, answer.note);
}

/**
 * The whole text first (protection is read from the MIME parts); a message past the API's body
 * limit (413) still has a header block that fits, so that is sent alone and the page says so.
 */
async function request(text: string, signal: AbortSignal): Promise<{ analysis: HeaderAnalysis; note: string }> {
  try {
    return { analysis: await analyzeHeaders(text, signal), note: '' };
  } catch (err) {
    const head = headerBlock(text);
    if (!(err instanceof ApiError && err.status === 413) || head.length === text.length) throw err;
    return { analysis: await analyzeHeaders(head, signal), note: TOO_LARGE_NOTE };
  }
}

/** Everything before the first empty line: a message's header block. */
function headerBlock(text: string): string {
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/** A picked file as text (an .eml is 7-bit or 8-bit text; binary parts in it are base64). */
function readText(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('the browser could not read the file'));
    reader.readAsText(f);
  });
}
