import { z } from 'zod';
import { INCIDENTS_TABLE, PolicyIncident, type AlertSink, type PendingNotice, type PolicyFinding } from '../../schemas/index.ts';
import { isoFromStore, type Store } from '../../store/index.ts';
import { fromStore } from '../parse.ts';

/**
 * Incidents: one per episode of a violation key (rule + server pair [+ domain]). What a check
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
  /** violation findings; an open key's counted from its first violation (ResumePoint) */
  violations: readonly PolicyFinding[];
  now: string;
  /** start of the check's window: a key violates now if its last violation is at or after it */
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
      if (f.lastSeen === current.lastSeen && f.handoffs === current.handoffs) continue;
      const next = { ...current, lastSeen: later(current.lastSeen, f.lastSeen), handoffs: f.handoffs, samples: f.samples, version: current.version + 1 };
      open.set(f.key, next);
      out.changed.push(next);
    } else if (recent) {
      const opened: StoredIncident = {
        id: `${f.key}@${input.now}`, key: f.key, rule: f.rule, kind: f.kind, severity: f.severity, from: f.from, to: f.to, domain: f.domain,
        state: 'open', openedAt: input.now, resolvedAt: '', firstSeen: f.firstSeen, lastSeen: f.lastSeen, handoffs: f.handoffs, samples: f.samples,
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

const COLUMNS = ['id', 'key', 'rule', 'kind', 'severity', 'from', 'to', 'domain', 'state', 'openedAt', 'resolvedAt', 'firstSeen', 'lastSeen', 'handoffs', 'samples', 'pending', 'failures', 'lastError', 'version'] as const;
const TIMES = new Set(['openedAt', 'resolvedAt', 'firstSeen', 'lastSeen']);
const TYPES: Record<string, string> = { handoffs: 'UInt64', failures: 'UInt32', version: 'UInt64', pending: 'Array(String)' };

const tableOf = (store: Store): string => `${store.database}.${INCIDENTS_TABLE}`;

/** One row (an INSERT … SELECT of parameters: every value typed, nothing spliced). */
export async function writeIncident(store: Store, inc: StoredIncident): Promise<void> {
  const values = COLUMNS.map((c) => (TIMES.has(c) ? `parseDateTime64BestEffort({${c}:String}, 3)` : `{${c}:${TYPES[c] ?? 'String'}}`));
  await store.command(`INSERT INTO ${tableOf(store)} (${COLUMNS.map((c) => `\`${c}\``).join(', ')}) SELECT ${values.join(', ')}`, {
    ...inc, resolvedAt: inc.resolvedAt || EPOCH, samples: JSON.stringify(inc.samples), pending: [...inc.pending],
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

function parseRows(rows: readonly Row[]): StoredIncident[] {
  return fromStore(z.array(Stored), rows.map((r) => {
    let samples: unknown = [];
    try {
      samples = JSON.parse(String(r.samples));
    } catch {
      // a damaged cell fails the contract below with its name
      samples = null;
    }
    return {
      // the store's epoch (an open incident's resolvedAt) reads as ''
      ...r, openedAt: isoFromStore(r.openedText), resolvedAt: isoFromStore(r.resolvedText),
      firstSeen: isoFromStore(r.firstText), lastSeen: isoFromStore(r.lastText),
      handoffs: Number(r.handoffs), failures: Number(r.failures), version: Number(r.version), samples,
    };
  }), 'policy incidents');
}
