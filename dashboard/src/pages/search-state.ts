import type { ProtectionFilter, RecipientStatus } from '../../../schemas/index.ts';
import type { MessageQuery } from '../api.ts';
import { STATUS_ORDER } from '../format.ts';

/** The search page's filters, as they sit in the page URL (`/?recipient=…&offset=50`). */
export interface SearchState {
  sender: string;
  recipient: string;
  /** a Message-ID (has `@` or starts with `<`) or a queue id */
  id: string;
  status: RecipientStatus | '';
  /** a mechanism, `any`, `none` (a copy was read, nothing seen) or `unknown` (no copy read) */
  protection: ProtectionFilter | '';
  /** `YYYY-MM-DDTHH:MM[:SS]`, read as UTC */
  from: string;
  to: string;
  offset: number;
  limit: number;
}

/** the API's protection filter values (schemas/protection.ts ProtectionFilter; the dashboard shares only its types) */
export const PROTECTION_FILTERS = ['smime-signed', 'smime-encrypted', 'pgp-signed', 'pgp-encrypted', 'irm', 'any', 'none', 'unknown'] as const satisfies readonly ProtectionFilter[];

export const PAGE_SIZES = [25, 50, 100, 200] as const;
const DEFAULT_LIMIT = 50;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

export function stateFromParams(p: URLSearchParams): SearchState {
  const text = (k: string) => (p.get(k) ?? '').trim();
  const status = text('status');
  const limit = Number(p.get('limit'));
  const offset = Number(p.get('offset'));
  return {
    sender: text('sender'),
    recipient: text('recipient'),
    id: text('id'),
    status: (STATUS_ORDER as readonly string[]).includes(status) ? status as RecipientStatus : '',
    protection: (PROTECTION_FILTERS as readonly string[]).includes(text('protection')) ? text('protection') as ProtectionFilter : '',
    from: LOCAL_TIME.test(text('from')) ? text('from') : '',
    to: LOCAL_TIME.test(text('to')) ? text('to') : '',
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_LIMIT,
  };
}

/** The page URL for a state; defaults are left out so that the plain search is just `/`. */
export function searchHref(s: SearchState): string {
  const p = new URLSearchParams();
  for (const k of ['sender', 'recipient', 'id', 'status', 'protection', 'from', 'to'] as const) if (s[k]) p.set(k, s[k]);
  if (s.offset > 0) p.set('offset', String(s.offset));
  if (s.limit !== DEFAULT_LIMIT) p.set('limit', String(s.limit));
  const q = p.toString();
  return q ? `/?${q}` : '/';
}

export function isIdMessageId(id: string): boolean {
  return id.includes('@') || id.startsWith('<');
}

export function toApiQuery(s: SearchState): MessageQuery {
  return {
    sender: s.sender || undefined,
    recipient: s.recipient || undefined,
    messageId: s.id && isIdMessageId(s.id) ? s.id : undefined,
    queueId: s.id && !isIdMessageId(s.id) ? s.id : undefined,
    status: s.status || undefined,
    protection: s.protection || undefined,
    from: s.from ? utcIso(s.from) : undefined,
    to: s.to ? utcIso(s.to) : undefined,
    limit: s.limit,
    offset: s.offset,
  };
}

function utcIso(local: string): string {
  return `${local.length === 16 ? `${local}:00` : local}Z`;
}

export function hasFilters(s: SearchState): boolean {
  return Boolean(s.sender || s.recipient || s.id || s.status || s.protection || s.from || s.to);
}
