import type { FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { MailtraceError, type ErrorCode } from '../../schemas/index.ts';

/** HTTP status per error code: chosen here and nowhere else. */
const STATUS: Record<ErrorCode, number> = {
  MT_ERR_NOT_FOUND: 404,
  MT_ERR_BAD_INPUT: 400,
  MT_ERR_BAD_CONFIG: 500,
  MT_ERR_QUERY_TIMEOUT: 504,
  MT_ERR_QUERY_BUSY: 503,
  MT_ERR_QUERY_TOO_LARGE: 422,
  MT_ERR_STORE_UNAVAILABLE: 503,
  MT_ERR_STORE_LOCKED: 503,
  MT_ERR_STREAM_UNAVAILABLE: 503,
  MT_ERR_UNAUTHORIZED: 401,
  MT_ERR_FORBIDDEN: 403,
  MT_ERR_NOTIFY: 502,
  MT_ERR_INTERNAL: 500,
  MT_ERR_HTTP: 502,
};

/** The one shape of an error answer: `{"error": {"code": "MT_ERR_…", "message": "…"}}`. */
export function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string } } {
  return { error: { code, message } };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ZodError) {
      const message = err.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
      return reply.code(400).send(errorBody('MT_ERR_BAD_INPUT', message));
    }
    if (err instanceof MailtraceError) {
      return reply.code(STATUS[err.code]).send(errorBody(err.code, err.message));
    }
    const status = typeof (err as { statusCode?: number }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    const code: ErrorCode = status >= 500 ? 'MT_ERR_INTERNAL' : 'MT_ERR_BAD_INPUT';
    return reply.code(status).send(errorBody(code, status >= 500 ? 'internal error (see the server log)' : (err as Error).message));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('MT_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));
}
