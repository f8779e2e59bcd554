/**
 * A tiny element builder. Every piece of data lands in the page as a text node or an attribute
 * value: log text is untrusted, so nothing here ever parses HTML.
 */
export type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (typeof value === 'function') el.addEventListener(name.slice(2), value);
      else if (value === true) el.setAttribute(name, '');
      else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replace everything inside `el`. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A muted placeholder block: loading, empty or error. */
export function stateBox(kind: 'loading' | 'empty' | 'error', title: string, detail?: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: `state state-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('div', { class: 'state-title' }, title),
    detail ? h('div', { class: 'state-detail' }, detail) : null,
    ...extra);
}

export function card(title: string | null, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'card' }, title ? h('h2', { class: 'card-title' }, title) : null, ...children);
}
