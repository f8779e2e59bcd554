import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { errorBody } from './errors.ts';

/**
 * What every answer carries, and what a request may be. Log text is untrusted and the API exposes
 * mail metadata: nothing is framed, sniffed, cached or sent on as a referrer, and the dashboard runs
 * only its own script.
 */

/** Request bodies unless a route sets its own (an upload streams to disk); fastify answers 413 past it. */
const MAX_BODY_BYTES = 1 << 20;
/** A whole search with every field at its longest, percent-encoded, fits with room to spare. */
const MAX_URL_BYTES = 8192;
/** A route parameter as it arrives, percent-encoded: a 998-character message id is 3 × 998 at most. */
const MAX_PARAM_BYTES = 3 * 998;

/**
 * The dashboard's policy: the same as the meta tag in dashboard/index.html (test/query/api pins
 * the two together), plus frame-ancestors, which a meta tag cannot carry.
 */
const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/** Everything else is data: a document made of it may load nothing and run nothing. */
const DATA_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The headers of every answer; an HTML page (the dashboard) gets its own policy. */
function securityHeaders(html: boolean): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'content-security-policy': html ? DASHBOARD_CSP : DATA_CSP,
  };
}

/** Router limits, and the answers to requests refused before any hook runs (no onSend there). */
export const REQUEST_LIMITS = {
  bodyLimit: MAX_BODY_BYTES,
  routerOptions: { maxParamLength: MAX_PARAM_BYTES },
  frameworkErrors: (err: Error & { code?: string; statusCode?: number }, _req: FastifyRequest, reply: FastifyReply) => {
    const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a path parameter is longer than ${MAX_PARAM_BYTES} bytes`
      : err.code === 'FST_ERR_BAD_URL' ? 'the URL has a malformed percent escape' : err.message;
    void reply.code(err.statusCode ?? 400).headers({ ...securityHeaders(false), 'cache-control': 'no-store' }).send(errorBody('MT_ERR_BAD_INPUT', message));
  },
  clientErrorHandler,
} satisfies FastifyServerOptions;

/** Security headers on every answer; nothing from the API or the probe is kept by a cache. */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(securityHeaders(String(reply.getHeader('content-type') ?? '').startsWith('text/html')));
    // dashboard files say no-cache themselves (revalidate); everything else is not stored at all
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

/** Past MAX_URL_BYTES a request is refused before the token is even looked at. */
export function limitUrlLength(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.length <= MAX_URL_BYTES) return;
    return reply.code(414).send(errorBody('MT_ERR_BAD_INPUT', `the URL is longer than ${MAX_URL_BYTES} bytes`));
  });
}

/** Query-string keys whose values never reach the log, should a client put a secret in a URL. */
const SECRET_KEYS = /token|auth|key|secret|pass/i;

/** A URL as it is logged: the values of secret-looking query keys replaced. */
function urlForLog(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((p) => {
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    let name = key;
    try {
      name = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      // a malformed escape: judge the key as written
    }
    return eq >= 0 && SECRET_KEYS.test(name) ? `${key}=[Redacted]` : p;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/**
 * The serve logger as asked for (level, stream), with the Authorization header and cookies redacted
 * at every level, wherever a log call puts the headers, and secrets taken out of logged URLs.
 */
export function loggerOptions(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const asked = logger === true ? {} : logger;
  return {
    ...asked,
    redact: {
      paths: ['authorization', 'cookie', 'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie'],
      censor: '[Redacted]',
    },
    serializers: {
      ...asked.serializers,
      // also given whatever a log call names `req`, not only a fastify request
      req: (req: Partial<FastifyRequest>) => ({ method: req.method, url: typeof req.url === 'string' ? urlForLog(req.url) : undefined, host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort }),
    },
  };
}

/**
 * Requests Node's parser refuses (headers past its 16 KiB, a malformed request line, a timeout)
 * never reach fastify: answer them in the same JSON shape, with the same headers.
 */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 431 ? 'the request line and headers are too large' : status === 408 ? 'the request took too long to arrive' : 'the request cannot be read';
  const body = JSON.stringify(errorBody('MT_ERR_BAD_INPUT', message));
  if (socket.writable) {
    const headers = { ...securityHeaders(false), 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
  }
  socket.destroy(err);
}
