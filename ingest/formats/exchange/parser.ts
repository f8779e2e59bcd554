import { TRANSPORT_DEFAULT_ROLE_REASON, type MailEvent } from '../../../schemas/index.ts';
import { eventId } from '../../event-id.ts';
import type { LineRef, LogParser, ParseSink } from '../types.ts';
import { splitRow } from './csv.ts';
import { SessionAssembler, type SessionContext } from './protocol.ts';
import { edgeServers, roleFromConnector, roleFromPath, serverFromPath, type ExchangeRole } from './roles.ts';
import { isoTime, rowEvents, shortHost, type Row } from './tracking.ts';
import { EXO_HOST, exportTime, headerRowKind, messageTraceDetailEvents, messageTraceEvents, type DateOrder } from './online.ts';

/**
 * Exchange logs with the W3C-style header (`#Software`, `#Version`, `#Log-type`, `#Date`,
 * `#Fields`): message tracking (MSGTRK*), SMTP receive and send protocol logs (RECV*, SEND*), and
 * Exchange Online extended message trace exports (the tracking columns with `_` in their names).
 * Columns are always mapped from the file's own `#Fields` line; a repeated header (the service
 * restarted) re-maps the rest of the file. A quoted field may span lines (RFC 4180); a quote still
 * open after MAX_ROW_LINES lines or at the end of the file is reported and the row dropped.
 */
type FileKind = 'tracking' | 'smtp-receive' | 'smtp-send' | 'exo-trace' | 'exo-detail' | 'other';

interface FileState {
  path: string;
  kind: FileKind;
  fields: string[] | undefined;
  server: string;
  role: ExchangeRole;
  /** the major version of `#Version:` (8 = 2007, 14 = 2010, 15 = 2013+; 0 unknown) */
  major: number;
  pending: { lines: { text: string; ref: LineRef }[] } | undefined;
  /** role (and, for protocol logs, session context) per distinct evidence in this file: worked out once */
  roles: Map<string, string>;
  sessionCtx: Map<string, SessionContext>;
}

const MAX_ROW_LINES = 50;
/** tracking events that put a message on a path (the rest are kept for the record only) */
const PATH_EVENTS = new Set(['RECEIVE', 'SUBMIT', 'SEND', 'SENDEXTERNAL', 'DELIVER', 'DEFER', 'FAIL', 'DELIVERFAIL', 'DSN', 'TRANSFER', 'EXPAND', 'REDIRECT', 'SUBMITDEFER', 'SUBMITFAIL']);

export interface ExchangeParserOptions {
  /** every input path of the run: servers with Edge logs make their MSGTRK files edge rows */
  allPaths?: readonly string[];
  /** explicit roles by server short name (configuration wins over inference) */
  roles?: ReadonlyMap<string, ExchangeRole>;
  /** day/month order of culture-formatted dates in Exchange Online CSV exports, when they cannot tell */
  dateOrder?: DateOrder;
}

export class ExchangeParser implements LogParser {
  readonly #edge: Set<string>;
  readonly #roles: ReadonlyMap<string, ExchangeRole>;
  readonly #dateOrder: DateOrder | undefined;
  readonly #sessions = new SessionAssembler();
  #file: FileState | undefined;

  constructor(opts: ExchangeParserOptions = {}) {
    this.#edge = edgeServers(opts.allPaths ?? []);
    this.#roles = opts.roles ?? new Map();
    this.#dateOrder = opts.dateOrder;
  }

  beginFile(file: string): void {
    this.#file = {
      path: file, kind: 'other', fields: undefined, server: serverFromPath(file), role: roleFromPath(file), major: 0, pending: undefined,
      roles: new Map(), sessionCtx: new Map(),
    };
  }

  parseLine(line: string, ref: LineRef, sink: ParseSink): void {
    const f = this.#file ?? (this.beginFile(ref.file), this.#file!);
    const own = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
    const pending = f.pending;
    if (pending) {
      pending.lines.push({ text: own, ref });
      const split = splitRow(pending.lines.map((l) => l.text).join('\n'));
      if (split.open) {
        if (pending.lines.length >= MAX_ROW_LINES) this.#abandon(f, sink, `a quoted field is still open after ${MAX_ROW_LINES} lines`);
        return;
      }
      if (f.fields && this.#fits(f, split.fields)) {
        f.pending = undefined;
        this.#fields(f, split.fields, pending.lines[0].ref, pending.lines.map((l) => l.text).join('\n'), sink);
        return;
      }
      // the joined text is no row either: the quote was never closed on the first line
      this.#abandon(f, sink, 'a quote opened in this row is never closed');
      return;
    }
    if (own.startsWith('#')) {
      this.#header(f, own);
      return;
    }
    if (own === '') return;
    if (!f.fields && this.#headerRow(f, own)) return;
    if (!f.fields) {
      sink.reject('no-header', 'a row before any #Fields line: its columns are unknown', ref, own);
      return;
    }
    const split = splitRow(own);
    if (split.open) {
      f.pending = { lines: [{ text: own, ref }] };
      return;
    }
    if (!this.#fits(f, split.fields)) {
      sink.reject('bad-row', `${split.fields.length} columns where #Fields names ${f.fields.length}`, ref, own);
      return;
    }
    this.#fields(f, split.fields, ref, own, sink);
  }

  /** An Exchange Online export: a CSV header row names the columns (online.ts). */
  #headerRow(f: FileState, text: string): boolean {
    const split = splitRow(text);
    if (split.open) return false;
    const kind = headerRowKind(split.fields);
    if (!kind) return false;
    f.kind = kind;
    f.fields = kind === 'tracking' ? trackingNames(split.fields) : split.fields.map((n) => n.trim());
    return true;
  }

  /** Reject the row whose quote never closed, then read the lines it swallowed on their own. */
  #abandon(f: FileState, sink: ParseSink, why: string): void {
    const lines = f.pending?.lines ?? [];
    f.pending = undefined;
    if (lines.length === 0) return;
    sink.reject('unterminated-quote', why, lines[0].ref, lines[0].text);
    for (const l of lines.slice(1)) this.parseLine(l.text, l.ref, sink);
  }

  /** protocol-log rows end with a comma when `context` is empty: one column short is the same row */
  #fits(f: FileState, values: string[]): boolean {
    const n = f.fields?.length ?? 0;
    return values.length === n || (values.length === n - 1 && f.kind !== 'tracking');
  }

  #fields(f: FileState, values: string[], ref: LineRef, text: string, sink: ParseSink): void {
    const row: Row = {};
    const names = f.fields!;
    for (let i = 0; i < names.length; i++) row[names[i]] = values[i] ?? '';
    this.#row(f, row, ref, text, sink);
  }

  /** End of all input: sessions still open (no `-` row in what we read) say what they saw. */
  flush(sink: ParseSink): void {
    this.endFile(sink);
    this.#flushSessions(sink);
  }

  #header(f: FileState, text: string): void {
    const colon = text.indexOf(':');
    const key = text.slice(1, colon < 0 ? undefined : colon).trim().toLowerCase();
    const value = colon < 0 ? '' : text.slice(colon + 1).trim();
    if (key === 'log-type') {
      const v = value.toLowerCase();
      f.kind = v.includes('message tracking') ? 'tracking' : v.includes('smtp receive') ? 'smtp-receive' : v.includes('smtp send') ? 'smtp-send' : 'other';
    } else if (key === 'version') {
      f.major = parseInt(value, 10) || 0;
    } else if (key === 'fields') {
      f.fields = trackingNames(value.split(',').map((n) => n.replace(/^\s*"|"\s*$/g, '')));
    }
  }

  #row(f: FileState, row: Row, ref: LineRef, text: string, sink: ParseSink): void {
    if (f.kind === 'smtp-receive' || f.kind === 'smtp-send') {
      // the rule that reads the session's times decides: a time it cannot write is no time
      if (isoTime(row['date-time'] ?? '') === '') {
        sink.reject('bad-timestamp', `unreadable date-time ${JSON.stringify((row['date-time'] ?? '').slice(0, 40))}`, ref, text);
        return;
      }
      if (!row['session-id']) {
        // sessions are told by their id: a row without one (a tracking row under a protocol
        // header, a cut row) would belong to none and vanish
        sink.reject('bad-row', 'a protocol-log row without a session-id: it belongs to no session', ref, text);
        return;
      }
      this.#sessions.row(row, ref.file, ref.offset, this.#sessionContext(f, row['connector-id'] ?? ''), (e) => sink.event(e));
      return;
    }
    if (f.kind === 'exo-trace' || f.kind === 'exo-detail') {
      const make = f.kind === 'exo-trace' ? messageTraceEvents : messageTraceDetailEvents;
      const when = exportTime(f.kind === 'exo-trace' ? row['Received'] ?? row['received'] ?? '' : row['Date'] ?? '', this.#dateOrder);
      if ('error' in when) {
        sink.reject('bad-timestamp', when.error, ref, text);
        return;
      }
      emitRow(make(row, { file: ref.file, offset: ref.offset, id: (n) => eventId(EXO_HOST, 0, 'messagetrace', n, text), ts: when.iso }), when.iso, ref, text, sink);
      return;
    }
    if (f.kind !== 'tracking') {
      sink.skipped();
      return;
    }
    const server = f.server || this.#trackingServer(row);
    if (!server) {
      // a complete row (Exchange 2010 NOTIFYMAPI rows leave the host columns empty, §1.9a): a row
      // no path needs is counted as not modelled; one a path needs cannot be placed on any server
      const ev = (row['event-id'] ?? '').toUpperCase();
      if (!PATH_EVENTS.has(ev)) sink.skipped();
      else sink.reject('no-server', `a ${ev} row that names no server, in a file outside a server's TransportRoles tree: give the server's log folder`, ref, text);
      return;
    }
    const storeDriver = (row['source'] ?? '').toUpperCase() === 'STOREDRIVER';
    const event = (row['event-id'] ?? '').toUpperCase();
    // Exchange 2007/2010 (§1.9a): the mailbox server's submission service writes SUBMIT (and
    // NOTIFYMAPI); RECEIVE and DELIVER by the store driver are the hub's own rows. From 2013 the
    // store driver runs in the Mailbox Transport services (MSGTRKMS/MD): mailbox.
    const legacy = f.major > 0 && f.major < 15;
    const driver = !storeDriver ? '' : !legacy || event === 'SUBMIT' || event === 'NOTIFYMAPI' ? 'submit' : 'store';
    const role = this.#trackingRole(f, server, driver, row['connector-id'] ?? '');
    const events = rowEvents(row, { host: server, role, file: ref.file, offset: ref.offset, id: (n) => eventId(server, 0, 'msgtrk', n, text) });
    if (events.length === 0) {
      // a per-recipient row (SEND, DELIVER, FAIL, EXPAND, …) whose recipient column is empty
      sink.reject('bad-row', `a ${event} row that names no recipient: nothing to put on a path`, ref, text);
      return;
    }
    emitRow(events, row['date-time'] ?? '', ref, text, sink);
  }

  /** The role of a tracking row's service, worked out once per server, source kind and connector of a file. */
  #trackingRole(f: FileState, server: string, driver: '' | 'submit' | 'store', connector: string): string {
    const key = `${server}\u0000${driver}\u0000${connector}`;
    let role = f.roles.get(key);
    if (role === undefined) {
      role = this.#roleOf(server, [
        [f.role === 'mailbox' ? 'mailbox' : '', 'Mailbox Transport tracking log (MSGTRKMD/MS)'],
        [driver === 'submit' ? 'mailbox' : '', 'STOREDRIVER rows (mailbox store)'],
        [driver === 'store' ? 'hub' : '', 'store driver rows in a Transport tracking log (Exchange 2007/2010 hub)'],
        [this.#edge.has(server) ? 'edge' : '', 'its log tree holds Edge Transport logs'],
        [roleFromConnector(connector) === 'edge' ? 'edge' : '', `connector ${connector}`],
        ['hub', TRANSPORT_DEFAULT_ROLE_REASON],
      ]);
      f.roles.set(key, role);
    }
    return role;
  }

  /** Server, role and id scheme of a protocol log's sessions, worked out once per connector of a file. */
  #sessionContext(f: FileState, connector: string): SessionContext {
    let ctx = f.sessionCtx.get(connector);
    if (!ctx) {
      const server = f.server || shortHost(connector.includes('\\') ? connector.split('\\')[0] : '') || 'unknown';
      const role = this.#roleOf(server, [
        [f.role, `its protocol log lies under Logs/${f.role === 'frontend' ? 'FrontEnd' : f.role === 'hub' ? 'Hub' : f.role === 'edge' ? 'Edge' : 'Mailbox'}`],
        [roleFromConnector(connector), `connector ${connector}`],
        [this.#edge.has(server) ? 'edge' : '', 'its log tree holds Edge Transport logs'],
      ]);
      const kind = f.kind;
      ctx = { host: server, role, direction: kind === 'smtp-receive' ? 'receive' : 'send', id: (k) => eventId(server, 0, kind, 0, k) };
      f.sessionCtx.set(connector, ctx);
    }
    return ctx;
  }

  /**
   * `role:reason` for events of a server's service: configuration first, then the first piece of
   * evidence that names a role. The reason travels with the role so a trace can show it.
   */
  #roleOf(server: string, evidence: [ExchangeRole | string, string][]): string {
    const configured = this.#roles.get(server);
    if (configured) return `${configured}:configured`;
    const hit = evidence.find(([role]) => role !== '');
    return hit ? `${hit[0]}:${hit[1]}` : '';
  }

  /** The server that wrote a tracking row when the path does not say: the receiving side of a receipt, the sending side of a send. */
  #trackingServer(row: Row): string {
    const ev = (row['event-id'] ?? '').toUpperCase();
    const sending = ev === 'SEND' || ev === 'SENDEXTERNAL' || ev === 'SUBMIT' || ev === 'HAREDIRECT';
    const name = sending ? row['client-hostname'] || row['server-hostname'] : row['server-hostname'] || row['client-hostname'];
    return shortHost(name ?? '');
  }

  /**
   * Called by the pipeline before the next file starts. SMTP sessions stay open: protocol logs roll
   * by size and hour, and the part of a session in the next file inherits what the earlier part
   * proved (§1.9a). They close at their `-` row or at the end of the input.
   */
  endFile(sink: ParseSink): void {
    const f = this.#file;
    if (f?.pending) this.#abandon(f, sink, 'a quoted field is still open at the end of the file');
  }

  #flushSessions(sink: ParseSink): void {
    this.#sessions.flush((e: MailEvent) => sink.event(e));
  }
}

/**
 * One vocabulary for tracking columns: Exchange Online's extended report names them with '_'
 * (`event_id`) and its time `date_time_utc`; the on-premises logs say `event-id`, `date-time`.
 */
function trackingNames(names: readonly string[]): string[] {
  return names.map((n) => {
    const name = n.trim().replace(/_/g, '-');
    return name === 'date-time-utc' ? 'date-time' : name;
  });
}

/** A row's events, or one rejection when a time in it cannot be read (the row is not half-stored). */
function emitRow(events: MailEvent[], time: string, ref: LineRef, text: string, sink: ParseSink): void {
  if (events.some((e) => !e.ts)) {
    sink.reject('bad-timestamp', `unreadable time ${JSON.stringify(time.slice(0, 40))}`, ref, text);
    return;
  }
  for (const e of events) sink.event(e);
}
