import { z } from 'zod';
import { INCIDENTS_TABLE, PolicyIncident, type AlertSink, type PendingNotice } from '../../schemas/index.ts';
import { isoFromStore, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';
import type { IncidentFinding } from './group.ts';

/**
 * Incidents: one per episode of a violation key (rule + the routes of its groupBy). What a check
 * does with them is decided here without I/O (`advance`), from the stored incidents, the findings
 * and the injected time; reading and writing the table is the rest of this file.
 */

/** An incident with the version its row was written with (a change is written with version + 1). */
export interface StoredIncident extends PolicyIncident {
  version: number;
}

export interface AdvanceInput {
  /** open incidents, and resolved ones with notices still owed */
  stored: readonly StoredIncident[];
  /** violations gathered per incident key (groupFindings); an open key's counted from its first violation (ResumePoint) */
  violations: readonly IncidentFinding[];
  now: string;
  /** start of the check's window: a key violates now if its last violation (on any of its routes) is at or after it */
  windowStart: string;
  healAfterMinutes: number;
  sinks: readonly AlertSink[];
}

export interface Advance {
  /** every incident that changed, with its new version (to be written before any notice is sent) */
  changed: StoredIncident[];
  opened: StoredIncident[];
  resolved: StoredIncident[];
  /** open incidents still violating */
  ongoing: StoredIncident[];
}

const EPOCH = '1970-01-01T00:00:00.000Z';

export function advance(input: AdvanceInput): Advance {
  const out: Advance = { changed: [], opened: [], resolved: [], ongoing: [] };
  const windowStart = Date.parse(input.windowStart);
  const open = new Map(input.stored.filter((i) => i.state === 'open').map((i) => [i.key, i]));
  const violatingNow = new Set<string>();
  for (const f of input.violations) {
    const current = open.get(f.key);
    const recent = Date.parse(f.lastSeen) >= windowStart;
    if (recent) violatingNow.add(f.key);
    if (current) {
      // counted from the incident's first violation: the newest figures replace the stored ones
      if (f.lastSeen === current.lastSeen && f.handoffs === current.handoffs && f.routeCount === current.routeCount) continue;
      // a route that joins an open incident is listed on it, and sends nothing: the incident is already alerted
      const next = { ...current, lastSeen: later(current.lastSeen, f.lastSeen), handoffs: f.handoffs, samples: f.samples, routes: f.routes, routeCount: f.routeCount, version: current.version + 1 };
      open.set(f.key, next);
      out.changed.push(next);
    } else if (recent) {
      const opened: StoredIncident = {
        ...f, id: `${f.key}@${input.now}`, state: 'open', openedAt: input.now, resolvedAt: '',
        pending: input.sinks.map((s): PendingNotice => `opened:${s}`), failures: 0, lastError: '', version: 1,
      };
      out.opened.push(opened);
      out.changed.push(opened);
    }
  }
  const healMs = input.healAfterMinutes * 60_000;
  const now = Date.parse(input.now);
  for (const inc of open.values()) {
    if (violatingNow.has(inc.key)) {
      out.ongoing.push(inc);
      continue;
    }
    // healed: no violation for healAfterMinutes (judged on hop times: a late log can still reopen)
    if (Date.parse(inc.lastSeen) + healMs > now) {
      out.ongoing.push(inc);
      continue;
    }
    const changedBefore = out.changed.findIndex((c) => c.key === inc.key);
    const resolved: StoredIncident = {
      ...inc, state: 'resolved', resolvedAt: input.now,
      pending: [...inc.pending, ...input.sinks.map((s): PendingNotice => `resolved:${s}`)],
      version: changedBefore >= 0 ? inc.version : inc.version + 1,
    };
    if (changedBefore >= 0) out.changed[changedBefore] = resolved;
    else out.changed.push(resolved);
    out.resolved.push(resolved);
  }
  return out;
}

const later = (a: string, b: string): string => (Date.parse(a) >= Date.parse(b) ? a : b);

const COLUMNS = ['id', 'key', 'rule', 'kind', 'severity', 'groupBy', 'from', 'to', 'domain', 'routes', 'routeCount', 'state', 'openedAt', 'resolvedAt', 'firstSeen', 'lastSeen', 'handoffs', 'samples', 'pending', 'failures', 'lastError', 'version'] as const;
const TIMES = new Set(['openedAt', 'resolvedAt', 'firstSeen', 'lastSeen']);
const TYPES: Record<string, string> = { handoffs: 'UInt64', routeCount: 'UInt64', failures: 'UInt32', version: 'UInt64', pending: 'Array(String)' };

const tableOf = (store: Store): string => `${store.database}.${INCIDENTS_TABLE}`;

/** One row (an INSERT … SELECT of parameters: every value typed, nothing spliced). */
export async function writeIncident(store: Store, inc: StoredIncident): Promise<void> {
  const values = COLUMNS.map((c) => (TIMES.has(c) ? `parseDateTime64BestEffort({${c}:String}, 3)` : `{${c}:${TYPES[c] ?? 'String'}}`));
  await store.command(`INSERT INTO ${tableOf(store)} (${COLUMNS.map((c) => `\`${c}\``).join(', ')}) SELECT ${values.join(', ')}`, {
    ...inc, resolvedAt: inc.resolvedAt || EPOCH, samples: JSON.stringify(inc.samples), routes: JSON.stringify(inc.routes), pending: [...inc.pending],
  });
}

interface Row extends Record<(typeof COLUMNS)[number], unknown> { openedText: string; resolvedText: string; firstText: string; lastText: string }

const SELECT = `SELECT *, toString(openedAt) AS openedText, toString(resolvedAt) AS resolvedText, toString(firstSeen) AS firstText, toString(lastSeen) AS lastText`;

/** What a check works on: open incidents, and resolved ones with a notice still owed. */
export async function activeIncidents(store: Store): Promise<StoredIncident[]> {
  return parseRows(await store.query<Row>(`${SELECT} FROM ${tableOf(store)} FINAL WHERE state = 'open' OR notEmpty(pending) ORDER BY openedAt, key`));
}

/** Newest first, for the API and the dashboard. */
export async function listIncidents(store: Store, q: { state?: 'open' | 'resolved'; limit?: number } = {}): Promise<PolicyIncident[]> {
  const where = q.state ? 'WHERE state = {state:String}' : '';
  const rows = parseRows(await store.query<Row>(`${SELECT} FROM ${tableOf(store)} FINAL ${where} ORDER BY openedAt DESC, key LIMIT {limit:UInt32}`, { state: q.state ?? '', limit: q.limit ?? 100 }));
  return rows.map(({ version: _v, ...inc }) => inc);
}

const Stored = PolicyIncident.extend({ version: z.number().int().nonnegative() });

/** a JSON cell; a damaged one fails the contract with its name */
function json(cell: unknown): unknown {
  try {
    return JSON.parse(String(cell));
  } catch {
    return null;
  }
}

function parseRows(rows: readonly Row[]): StoredIncident[] {
  return fromStore(z.array(Stored), rows.map((r) => {
    const times = {
      // the store's epoch (an open incident's resolvedAt) reads as ''
      openedAt: isoFromStore(r.openedText), resolvedAt: isoFromStore(r.resolvedText), firstSeen: isoFromStore(r.firstText), lastSeen: isoFromStore(r.lastText),
    };
    const handoffs = Number(r.handoffs);
    // a row written before groupBy (routes '') is an incident of its one route
    const routes = r.routes === '' ? [{ from: r.from, to: r.to, domain: r.domain, handoffs, firstSeen: times.firstSeen, lastSeen: times.lastSeen }] : json(r.routes);
    return {
      ...r, ...times, handoffs, routeCount: Number(r.routeCount), failures: Number(r.failures), version: Number(r.version), samples: json(r.samples), routes,
    };
  }), 'policy incidents');
}
