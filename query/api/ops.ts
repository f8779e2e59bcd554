import Fastify, { type FastifyInstance } from 'fastify';
import { grant, installAccess, METRICS_PATH } from './access.ts';
import { installErrorHandler } from './errors.ts';
import { installSecurityHeaders, loggerOptions, REQUEST_LIMITS } from './security.ts';

/**
 * The operations endpoints of a process that serves no API (`mailtrace sink`): GET /health answers
 * 200 only when `ready` resolves (the store and the brokers answer), else 503 with the reason;
 * GET /metrics (and /api/metrics) is the Prometheus text, behind the token like every /api route beyond loopback.
 */
export interface OpsOptions {
  ready: () => Promise<void>;
  metrics: () => string;
  token?: string;
  /** told of every route as it is registered (the README's route table is pinned against it) */
  onRoute?: (route: { method: string; url: string }) => void;
}

export async function buildOpsApp(opts: OpsOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions(false), ...REQUEST_LIMITS });
  const onRoute = opts.onRoute;
  if (onRoute) app.addHook('onRoute', (r) => { for (const m of [r.method].flat()) onRoute({ method: m, url: r.url }); });
  installSecurityHeaders(app);
  installErrorHandler(app);
  installAccess(app, { token: opts.token });
  app.get('/health', async (_req, reply) => {
    try {
      await opts.ready();
      return { status: 'ok' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', reason: (err as Error).message });
    }
  });
  await registerMetrics(app, opts.metrics);
  return app;
}

/**
 * The Prometheus text at Prometheus's default /metrics and at /api/metrics (where it first was);
 * both need the token beyond loopback (access.ts), a viewer's is enough.
 */
export async function registerMetrics(app: FastifyInstance, metrics: () => string): Promise<void> {
  await app.register(async (m) => {
    grant(m, 'viewer');
    for (const path of [METRICS_PATH, '/api/metrics']) {
      m.get(path, async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics()));
    }
  });
}
