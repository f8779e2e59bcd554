import type { ViewQuery } from '../../schemas/index.ts';
import type { QueryParams, Store } from '../../store/index.ts';
import { MESSAGES_TABLE } from '../../schemas/index.ts';

/**
 * The narrowing every view shares, as SQL fragments with their parameters: a time range (hops by
 * their start, messages by being seen within it), a server at either end, a recipient domain.
 * Fixed fragments only; every value is a {name:Type} parameter.
 */
export interface Scope {
  where: string;
  params: QueryParams;
  /** the row that stands for a hand-off: its first recipient's, or, narrowed to a domain, its first of that domain's */
  first: string;
  /** hand-offs meeting `cond`, each counted once however many recipients crossed it */
  count(cond: string): string;
}

/** One row per hand-off and recipient domain (stitch/rows.ts): a per-domain count needs no regrouping. */
export const FIRST_OF_DOMAIN = 'firstOfDomain = 1';

export function hopScope(q: ViewQuery): Scope {
  // hops only a Received header claims are claims of servers outside the logs: not counted here
  const where = [`provenance != 'header'`];
  const params: QueryParams = {};
  if (q.from) {
    where.push('start >= parseDateTime64BestEffort({from:String}, 3)');
    params.from = q.from;
  }
  if (q.to) {
    where.push('start < parseDateTime64BestEffort({to:String}, 3)');
    params.to = q.to;
  }
  if (q.host) {
    where.push('(`from` = {host:String} OR `to` = {host:String})');
    params.host = q.host;
  }
  if (q.domain) {
    // stitching writes the recipient's domain lower-cased: the same domain whatever its spelling
    where.push('domain = lowerUTF8({domain:String})');
    params.domain = q.domain;
  }
  // narrowed to a domain, the first recipient's row of a hand-off may be another domain's
  const first = q.domain ? FIRST_OF_DOMAIN : 'firstOfHop = 1';
  return { where: where.join(' AND '), params, first, count: (cond) => `countIf(${first} AND (${cond}))` };
}

export function messageScope(q: ViewQuery): Pick<Scope, 'where' | 'params'> {
  const where = ['1'];
  const params: QueryParams = {};
  if (q.from) {
    where.push('lastSeen >= parseDateTime64BestEffort({from:String}, 3)');
    params.from = q.from;
  }
  if (q.to) {
    where.push('firstSeen < parseDateTime64BestEffort({to:String}, 3)');
    params.to = q.to;
  }
  if (q.host) {
    where.push('has(hosts, {host:String})');
    params.host = q.host;
  }
  if (q.domain) {
    where.push("(arrayExists(r -> endsWith(lower(r), concat('@', lower({domain:String}))), recipients) OR endsWith(lower(sender), concat('@', lower({domain:String}))))");
    params.domain = q.domain;
  }
  return { where: where.join(' AND '), params };
}

/**
 * The width of a time series' buckets: an hour up to two days, a day up to 90 days, else a week.
 * Without a range, the span of the stored messages decides.
 */
export async function bucketSeconds(store: Store, q: ViewQuery): Promise<number> {
  let from = q.from ? Date.parse(q.from) : Number.NaN;
  let to = q.to ? Date.parse(q.to) : Number.NaN;
  if (Number.isNaN(from) || Number.isNaN(to)) {
    const [span] = await store.query<{ lo: string; hi: string }>(
      `SELECT toString(min(firstSeen)) AS lo, toString(max(lastSeen)) AS hi FROM ${store.table(MESSAGES_TABLE)} FINAL WHERE firstSeen > toDateTime64('1970-01-02', 3)`);
    if (Number.isNaN(from)) from = Date.parse(`${(span?.lo ?? '').replace(' ', 'T')}Z`);
    if (Number.isNaN(to)) to = Date.parse(`${(span?.hi ?? '').replace(' ', 'T')}Z`);
  }
  const span = Number.isNaN(from) || Number.isNaN(to) ? 0 : Math.max(0, to - from);
  if (span <= 2 * 86_400_000) return 3_600;
  if (span <= 90 * 86_400_000) return 86_400;
  return 7 * 86_400;
}

export const num = (v: unknown): number => Number(v) || 0;


