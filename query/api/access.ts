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

/**
 * Every /api request carries `Authorization: Bearer <token>`; nothing else counts (a token in the
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
    if (!isApi(req, '/api/')) return;
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
 * An address's local part, plain or quoted, followed by `@` and the start of a domain. Replaced by
 * `…` wherever it stands in a string (a field, a log excerpt, an SMTP reply), so a new field cannot
 * leak one by being forgotten.
 */
const LOCAL_PART = /("(?:[^"\\\r\n]|\\.)*"|[^\s"<>()[\]\\,;:@]+)@(?=[\p{L}\p{N}[])/gu;

/**
 * Fields that are identifiers, not addresses: kept as they are, so that a viewer can still open the
 * trace a row links to. A Message-ID looks like an address but names a message, not a person.
 */
const IDENTIFIER_KEYS: ReadonlySet<string> = new Set(['messageId', 'traceId', 'sampleTraceId', 'eventIds', 'queueId', 'fromQueueId', 'toQueueId', 'parentQueueId']);

export function redactText(text: string): string {
  return text.includes('@') ? text.replace(LOCAL_PART, '…@') : text;
}

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
      if (typeof payload === 'string' || Buffer.isBuffer(payload)) return redactText(payload.toString());
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
