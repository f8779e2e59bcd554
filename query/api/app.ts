import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { MailtraceError, MessageSearch } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { listRejected, searchMessages, summarize } from '../sql/messages.ts';
import { traceMessage } from '../trace/read.ts';
import { installErrorHandler } from './errors.ts';
import { serveDashboard } from './static.ts';

/** What the composition root may plug in: ingest runs in the process that owns the store. */
export interface IngestHook {
  (paths: string[]): Promise<unknown>;
}

export interface AppOptions {
  store: Store;
  /** when set, every /api request must carry `Authorization: Bearer <token>` */
  token?: string;
  logger?: FastifyServerOptions['logger'];
  /** built dashboard files (index.html, app.js); omitted → API only */
  dashboardDir?: string;
  ingest?: IngestHook;
  /** told of every route as it is registered (the README's route table is pinned against it) */
  onRoute?: (route: { method: string; url: string }) => void;
}

/** The fastify app: one plugin per domain. Tests build their own with a real store and use inject(). */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 1 << 20 });
  const onRoute = opts.onRoute;
  if (onRoute) app.addHook('onRoute', (r) => { for (const m of [r.method].flat()) onRoute({ method: m, url: r.url }); });
  installErrorHandler(app);
  if (opts.token) requireToken(app, opts.token);

  await app.register(async (health) => {
    health.get('/health', async () => {
      await opts.store.query('SELECT 1 AS ok');
      return { status: 'ok', store: opts.store.mode };
    });
  });

  await app.register(async (messages) => {
    messages.get('/api/messages', async (req) => searchMessages(opts.store, MessageSearch.parse(req.query)));
    messages.get('/api/messages/:id/trace', async (req) => {
      const { id } = z.object({ id: z.string().min(1).max(998) }).parse(req.params);
      return traceMessage(opts.store, id);
    });
  });

  await app.register(async (summary) => {
    summary.get('/api/summary', async () => summarize(opts.store));
    summary.get('/api/rejected', async (req) => {
      const { limit } = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict().parse(req.query);
      return { rejected: await listRejected(opts.store, limit) };
    });
  });

  if (opts.ingest) {
    const ingest = opts.ingest;
    await app.register(async (ing) => {
      // lets `mailtrace ingest` reach the store while this process owns the embedded data directory
      ing.post('/api/ingest', async (req) => {
        const { paths } = z.object({ paths: z.array(z.string().min(1)).min(1).max(10_000) }).strict().parse(req.body);
        return ingest(paths);
      });
    });
  }

  if (opts.dashboardDir) await serveDashboard(app, opts.dashboardDir);
  return app;
}

function requireToken(app: FastifyInstance, token: string): void {
  const expected = Buffer.from(`Bearer ${token}`);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new MailtraceError('MT_ERR_UNAUTHORIZED', 'missing or wrong bearer token');
    }
  });
}
