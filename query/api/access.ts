import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MailtraceError, OPEN_ACTOR, TOKEN_ENV_ACTOR, type AccessConfig, type Role } from '../../schemas/index.ts';
import { errorBody } from './errors.ts';

/**
 * Who may call which route. A caller is known by a bearer token: the single MAILTRACE_TOKEN
 * (admin) or one of the config file's tokens, held there only as SHA-256. A route says the role it
 * needs in its options (`config: { role: 'viewer' }`); a route that says nothing needs admin, so a
 * route added without thought is closed rather than open, and everything under /api/admin/ needs
 * admin whatever it says.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the least role that may call this route (default admin) */
    role?: Role;
  }
  interface FastifyInstance {
    /** the config file's access section as installAccess was given it (the audit plugin reads its retention) */
    readonly accessConfig: AccessConfig;
  }
}

export interface Caller {
  /** the token's name, MAILTRACE_TOKEN, or loopback-open */
  name: string;
  role: Role;
}

/** the same floor as MAILTRACE_TOKEN: a short token is guessable whatever it is hashed with */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The hex SHA-256 the config file holds for a token (`mailtrace token hash`). A plain hash, no salt
 * or stretching: the tokens are random (generateToken), not passwords a dictionary would find.
 */
export function hashToken(token: string): string {
  if (token.length < MIN_TOKEN_LENGTH) throw new MailtraceError('MT_ERR_BAD_INPUT', `a token must be at least ${MIN_TOKEN_LENGTH} characters`);
  return sha256(token).toString('hex');
}

/** A new random token (256 bits, URL-safe): what an operator hands out and hashes into the config. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** Who made this request (undefined outside /api, where no token is asked for). */
export function callerOf(req: FastifyRequest): Caller | undefined {
  return callers.get(req);
}

/** Routes registered in this plugin (and its children) that say nothing need `role`. */
export function grant(app: FastifyInstance, role: Role): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, role: route.config?.role ?? role };
  });
}

/** An API route is known by its URL and by the route it matched: a spelling the router normalizes cannot step around the check. */
function isApi(req: FastifyRequest, prefix: string): boolean {
  return req.url.startsWith(prefix) || (req.routeOptions.url ?? '').startsWith(prefix);
}

/** Prometheus's default path: outside /api, but the same counters, so the same token. */
export const METRICS_PATH = '/metrics';

function isGuarded(req: FastifyRequest): boolean {
  return isApi(req, '/api/') || req.url.split('?')[0] === METRICS_PATH || req.routeOptions.url === METRICS_PATH;
}

/**
 * Every /api request (and /metrics) carries `Authorization: Bearer <token>`; nothing else counts (a token in the
 * URL would end up in logs, proxies and browser history). Checked in onRequest: before the body is
 * read and before any route touches the store. With no token at all the API is open (serve allows
 * that on loopback only) and every caller is an admin named loopback-open.
 */
export function installAccess(app: FastifyInstance, opts: { token?: string; access?: AccessConfig }): void {
  const known: { hash: Buffer; caller: Caller }[] = (opts.access?.tokens ?? []).map((t) => ({ hash: Buffer.from(t.sha256, 'hex'), caller: { name: t.name, role: t.role } }));
  if (opts.token) known.push({ hash: sha256(opts.token), caller: { name: TOKEN_ENV_ACTOR, role: 'admin' } });
  const open: Caller | undefined = known.length === 0 ? { name: OPEN_ACTOR, role: 'admin' } : undefined;
  app.decorate('accessConfig', opts.access ?? {});

  app.addHook('onRequest', async (req) => {
    if (!isGuarded(req)) return;
    const caller = open ?? identify(known, req.headers.authorization);
    if (!caller) throw new MailtraceError('MT_ERR_UNAUTHORIZED', 'missing or wrong bearer token');
    callers.set(req, caller);
    // an unknown route answers 404 whoever asks; /api/admin/ is admin's even for a route that says otherwise
    const needs: Role = isApi(req, '/api/admin/') ? 'admin' : req.is404 ? 'viewer' : req.routeOptions.config.role ?? 'admin';
    if (needs === 'admin' && caller.role !== 'admin') throw new MailtraceError('MT_ERR_FORBIDDEN', `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]} needs an admin token`);
  });

  if (opts.access?.redactForViewers?.addresses) {
    refuseAddressSearch(app);
    redactForViewers(app);
  }
}

/**
 * The caller whose token hashes to a known hash. Every known hash is compared, in constant time
 * (equal lengths: both are SHA-256), whichever matches: the time taken says nothing about which
 * token, or how much of one, was right.
 */
function identify(known: readonly { hash: Buffer; caller: Caller }[], authorization: string | undefined): Caller | undefined {
  if (!authorization?.startsWith('Bearer ') || authorization.length === 7) return undefined;
  const presented = sha256(authorization.slice(7));
  let found: Caller | undefined;
  for (const k of known) if (timingSafeEqual(presented, k.hash) && !found) found = k.caller;
  return found;
}

/**
 * An address's local part, plain or quoted, followed by `@` and the start of a domain, is replaced
 * by `…` wherever it stands in a string (a field, a log excerpt, an SMTP reply), so a new field
 * cannot leak one by being forgotten. Found by one forward scan (localParts) with sticky patterns,
 * not by one global pattern: a global `[^…]+@` tries again from every character of a long run
 * without `@`, which is quadratic (64 KB of letters took ten seconds).
 */
const PLAIN_RUN = /[^\s"<>()[\]\\,;:@]+/uy;
/** a quoted local part up to its closing quote (or to where it cannot go on: a line end, the end) */
const QUOTED_RUN = /"(?:[^"\\\r\n]|\\.)*/uy;
const DOMAIN_START = /[\p{L}\p{N}[]/uy;

function atDomain(text: string, at: number): boolean {
  if (text.charCodeAt(at) !== 0x40) return false;
  DOMAIN_START.lastIndex = at + 1;
  return DOMAIN_START.test(text);
}

/**
 * The local parts in `text` as [start, end) ranges (end is the `@`), leftmost first, the same as
 * the pattern `("(?:[^"\\\r\n]|\\.)*"|[^\s"<>()[\]\\,;:@]+)@(?=[\p{L}\p{N}[])` would find them, in
 * linear time: a plain run is read once, whether or not an `@` ends it; a quoted string that does
 * not end in `"@` is not tried again from a quote inside it (an escaped one: read from there, it
 * ends where the first try ended, and fails the same way).
 */
function localParts(text: string): [start: number, end: number][] {
  const found: [number, number][] = [];
  let retryQuotesFrom = 0;
  for (let i = 0; i < text.length;) {
    if (text.charCodeAt(i) === 0x22) {
      if (i >= retryQuotesFrom) {
        QUOTED_RUN.lastIndex = i;
        QUOTED_RUN.test(text);
        const close = QUOTED_RUN.lastIndex;
        if (text.charCodeAt(close) === 0x22 && atDomain(text, close + 1)) {
          found.push([i, close + 1]);
          i = close + 1;
          continue;
        }
        retryQuotesFrom = close;
      }
      i++;
      continue;
    }
    PLAIN_RUN.lastIndex = i;
    if (!PLAIN_RUN.test(text)) {
      i++;
      continue;
    }
    const end = PLAIN_RUN.lastIndex;
    if (atDomain(text, end)) found.push([i, end]);
    i = end;
  }
  return found;
}

/** `text` with the ranges [start, end) of `at`-mapped local parts replaced by `…`; nothing else changes */
function replaceLocalParts(text: string, parts: readonly [number, number][], at: (i: number) => number = (i) => i): string {
  let out = '';
  let last = 0;
  for (const [start, end] of parts) {
    out += `${text.slice(last, at(start))}…`;
    last = at(end);
  }
  return out + text.slice(last);
}

export function redactText(text: string): string {
  return text.includes('@') ? replaceLocalParts(text, localParts(text)) : text;
}

/**
 * A served file as its reader sees it: `text` holds the characters after the writer's escaping is
 * undone, and `origin[i]` is where the i-th one starts in the file (origin[text.length] is the
 * file's length). Local parts are found in `text` and replaced in the file through `origin`, so
 * an escaped local part goes whole (`&quot;john doe&quot;`, `o&#39;brien`, `""john doe""`) and
 * no byte outside one changes: the file is never decoded and written again.
 */
interface ReadView {
  text: string;
  origin: Uint32Array;
}

/** the character references the report writers use (escapeHtml, echarts' SVG) and a few more; numeric ones in full */
const CHAR_REF = /&(?:#(\d+)|#[xX]([\da-fA-F]+)|(amp|AMP|lt|LT|gt|GT|quot|QUOT|apos|nbsp));/y;
const NAMED: Readonly<Record<string, string>> = { amp: '&', AMP: '&', lt: '<', LT: '<', gt: '>', GT: '>', quot: '"', QUOT: '"', apos: "'", nbsp: '\u00a0' };

function charRef(m: RegExpExecArray): string {
  if (m[3]) return NAMED[m[3]];
  const code = m[1] ? Number.parseInt(m[1], 10) : Number.parseInt(m[2], 16);
  // as a browser reads it: nothing, a surrogate or past Unicode is U+FFFD (which a local part may hold)
  return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
}

/** HTML or SVG (report.html, the charts): character references read as the characters they stand for */
function htmlView(file: string): ReadView {
  const origin = new Uint32Array(file.length + 1);
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; i < file.length;) {
    const amp = file.indexOf('&', i);
    const stop = amp < 0 ? file.length : amp;
    parts.push(file.slice(i, stop));
    for (; i < stop; i++) origin[length++] = i;
    if (amp < 0) break;
    CHAR_REF.lastIndex = amp;
    const m = CHAR_REF.exec(file);
    const read = m ? charRef(m) : '&';
    parts.push(read);
    for (let k = 0; k < read.length; k++) origin[length++] = amp;
    i = m ? CHAR_REF.lastIndex : amp + 1;
  }
  origin[length] = file.length;
  return { text: parts.join(''), origin };
}

/**
 * CSV (RFC 4180, as csv.ts writes it): a quoted field's doubled quote reads as one; the quotes
 * around a field and the separators read as line ends, which no local part holds, so a match never
 * takes in a field's own quotes (the file stays valid CSV) or runs into the next field.
 */
function csvView(file: string): ReadView {
  const origin = new Uint32Array(file.length + 1);
  const parts: string[] = [];
  let length = 0;
  const copy = (from: number, to: number) => {
    parts.push(file.slice(from, to));
    for (let k = from; k < to; k++) origin[length++] = k;
  };
  const read = (text: string, at: number) => {
    parts.push(text);
    origin[length++] = at;
  };
  const separator = /[,\r\n]/g;
  let fieldStart = true;
  let quoted = false;
  for (let i = 0; i < file.length;) {
    if (quoted) {
      const quote = file.indexOf('"', i);
      const stop = quote < 0 ? file.length : quote;
      copy(i, stop);
      if (quote < 0) break;
      if (file[quote + 1] === '"') read('"', quote);
      else {
        read('\n', quote);
        quoted = false;
      }
      i = quote + (quoted ? 2 : 1);
    } else if (fieldStart && file[i] === '"') {
      read('\n', i++);
      quoted = true;
      fieldStart = false;
    } else {
      // an unquoted field, or what follows a quoted one (read as it is), up to the next separator
      separator.lastIndex = i;
      const stop = separator.exec(file)?.index ?? file.length;
      copy(i, stop);
      if (stop === file.length) break;
      read('\n', stop);
      fieldStart = true;
      i = stop + 1;
    }
  }
  origin[length] = file.length;
  return { text: parts.join(''), origin };
}

/**
 * A report file's text (HTML, SVG, CSV) for a viewer: every local part, however its writer escaped
 * it, replaced by `…`. The text of other types is read as it is. As in redactText, a Message-ID in
 * the text (`&lt;id@host&gt;`) loses its left part too: unlike a JSON field, it stands under no
 * name that says it is an identifier.
 */
export function redactFileText(file: string, contentType: string): string {
  const view = /^(?:text\/html|image\/svg\+xml)\b/.test(contentType) ? htmlView(file) : /^text\/csv\b/.test(contentType) ? csvView(file) : undefined;
  if (!view) return redactText(file);
  if (!view.text.includes('@')) return file;
  return replaceLocalParts(file, localParts(view.text), (i) => view.origin[i]);
}

/**
 * Fields that are identifiers, not addresses: kept as they are, so that a viewer can still open the
 * trace a row links to. A Message-ID looks like an address but names a message, not a person.
 */
const IDENTIFIER_KEYS: ReadonlySet<string> = new Set(['messageId', 'traceId', 'sampleTraceId', 'eventIds', 'queueId', 'fromQueueId', 'toQueueId', 'parentQueueId']);

/** A copy of a JSON value with every address's local part replaced (answers may be shared between requests: never changed in place). */
export function redactAddresses(value: unknown, key = ''): unknown {
  if (IDENTIFIER_KEYS.has(key)) return value;
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactAddresses(v, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k), redactAddresses(v, k)]));
  }
  return value;
}

/**
 * What an answer to a viewer would redact, a viewer's question may not name: a search by
 * alice@example.org would tell by its hit count (or by which rows come back) that she sent or
 * received mail, whatever the rows then show. So every query-string value of a viewer's request is
 * checked, on every route (a filter added later is covered without being listed), except the
 * identifiers an answer keeps too: a message or queue id still finds its trace. A domain alone
 * (`@example.org`, `example.org`) names nobody and passes. Runs after the token check (onRequest
 * hooks run in order), before the route touches the store.
 */
function refuseAddressSearch(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    if (callerOf(req)?.role !== 'viewer') return;
    for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
      if (IDENTIFIER_KEYS.has(key)) continue;
      if ([value].flat().some((v) => typeof v === 'string' && redactText(v) !== v)) {
        throw new MailtraceError('MT_ERR_FORBIDDEN', `${key}: addresses are redacted for viewers, so a viewer may not search by an address's local part; search by domain (@example.org) or ask an admin`);
      }
    }
  });
}

/**
 * Read answers to a viewer lose addresses' local parts. Done on the bytes about to be sent (onSend),
 * not per route, so no route can answer past it; a JSON answer that is not in memory (a stream)
 * cannot be checked and is refused. POST /api/headers/analyze is not redacted: it answers what the
 * caller sent, nothing from the store.
 */
function redactForViewers(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (payload == null || callerOf(req)?.role !== 'viewer' || (req.method !== 'GET' && req.method !== 'HEAD')) return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    // a report's CSV, HTML or SVG from the API is text that may name addresses too (the dashboard's own files are not data)
    if (req.url.startsWith('/api/') && /^(text\/|image\/svg)/.test(type)) {
      if (typeof payload === 'string' || Buffer.isBuffer(payload)) return redactFileText(payload.toString(), type);
      reply.code(500);
      return JSON.stringify(errorBody('MT_ERR_INTERNAL', 'internal error (see the server log)'));
    }
    if (!/^application\/(?:[\w.+-]+\+)?json/.test(type)) return payload;
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      return JSON.stringify(redactAddresses(JSON.parse(payload.toString())));
    }
    reply.code(500);
    return JSON.stringify(errorBody('MT_ERR_INTERNAL', 'internal error (see the server log)'));
  });
}
