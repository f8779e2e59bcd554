import type { Protection } from '../../../schemas/index.ts';
import { h } from '../dom.ts';
import { PROTECTION_HELP } from '../format.ts';

/**
 * A message's end-to-end content protection as badges, for the trace header and the header
 * analyzer. Three different answers are kept apart on purpose: no copy of the content was read
 * (unknown: logs never show it), a copy was read and showed nothing, and the mechanisms seen.
 * Hooks: `.protection[data-known]`, `.badge-protection[data-mechanism]`, `.badge-e2e`.
 */
export function protectionBadges(p: Protection): HTMLElement {
  const box = h('span', { class: 'protection', 'data-known': String(p.known), title: p.evidence });
  if (!p.known) {
    box.append(h('span', { class: 'muted protection-unknown' }, 'content protection: unknown (no delivered copy ingested)'));
    return box;
  }
  if (p.mechanisms.length === 0) {
    box.append(h('span', { class: 'badge badge-neutral protection-none' }, 'no protection seen'));
    return box;
  }
  for (const m of p.mechanisms) {
    box.append(h('span', { class: `badge badge-protection protection-${m}`, 'data-mechanism': m, title: PROTECTION_HELP[m] }, m));
  }
  if (p.endToEnd) {
    box.append(h('span', { class: 'badge badge-e2e', title: 'the content is encrypted or rights-protected: servers on the way could not read it' }, 'end-to-end'));
  }
  return box;
}
