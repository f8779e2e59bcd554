import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { HeaderAnalysis, MessageSearch, type Summary } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { listRejected, searchMessages, summarize } from '../sql/messages.ts';
import { traceMessage } from '../trace/read.ts';
import { installErrorHandler } from './errors.ts';
import { registerIngest, type IngestHook } from './ingest.ts';
import { installSecurityHeaders, limitUrlLength, loggerOptions, REQUEST_LIMITS, requireToken } from './security.ts';
import { serveDashboard } from './static.ts';
import { registerViews } from './views.ts';

export interface AppOptions {
  store: Store;
  /** when set, every /api request must carry `Authorization: Bearer <token>` */
  token?: string;
  /** level and stream; the Authorization header is redacted whatever is asked */
  logger?: FastifyServerOptions['logger'];
  /** rows one store read may answer for a request (default 100,000); past it MT_ERR_QUERY_TOO_LARGE */
  maxRows?: number;
  /** built dashboard files (index.html, app.js); omitted → API only */
  dashboardDir?: string;
  /** what runs an ingest in the process that owns the store (see ingest.ts) */
  ingest?: IngestHook;
  /** reads a message's headers (ingest does the parsing; the API only carries it) */
  analyzeHeaders?: (text: string) => Promise<HeaderAnalysis>;
  /** told of every route as it is registered (the README's route table is pinned against it) */
  onRoute?: (route: { method: string; url: string }) => void;
}

/** /api/summary answers at most this old (counts over the whole store cost the most of any request) */
const SUMMARY_TTL_MS = 2_000;

/** The fastify app: one plugin per domain. Tests build their own with a real store and use inject(). */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions(opts.logger ?? false), ...REQUEST_LIMITS });
  const onRoute = opts.onRoute;
  if (onRoute) app.addHook('onRoute', (r) => { for (const m of [r.method].flat()) onRoute({ method: m, url: r.url }); });
  installSecurityHeaders(app);
  installErrorHandler(app);
  limitUrlLength(app);
  if (opts.token) requireToken(app, opts.token);

  // The engine answers one statement at a time: identical requests that arrive while one is being
  // answered share its answer instead of queueing the same work again (nothing is kept afterwards)
  const inflight = new Map<string, Promise<unknown>>();
  const shared = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const have = inflight.get(key);
    if (have) return have as Promise<T>;
    const p = work().finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };

  // Requests read through a view with a row limit: an answer too large to hold is refused, not built.
  // Made at the first request, so that building the app touches nothing of the store.
  let view: Store | undefined;
  const store = (): Store => (view ??= opts.store.withReadLimit(opts.maxRows ?? 100_000));

  await app.register(async (health) => {
    health.get('/health', async () => {
      await store().query('SELECT 1 AS ok');
      return { status: 'ok', store: store().mode };
    });
  });

  await app.register(async (messages) => {
    messages.get('/api/messages', async (req) => {
      const search = MessageSearch.parse(req.query);
      return shared(`search ${JSON.stringify(search)}`, () => searchMessages(store(), search));
    });
    messages.get('/api/messages/:id/trace', async (req) => {
      const { id } = z.object({ id: z.string().min(1).max(998) }).parse(req.params);
      return shared(`trace ${id}`, () => traceMessage(store(), id));
    });
  });

  await app.register(async (summary) => {
    // the overview every dashboard polls: one answer serves all callers for SUMMARY_TTL_MS
    let recent: { at: number; value: Promise<Summary> } | undefined;
    summary.get('/api/summary', async () => {
      if (!recent || Date.now() - recent.at > SUMMARY_TTL_MS) {
        const value = summarize(store());
        recent = { at: Date.now(), value };
        value.catch(() => { if (recent?.value === value) recent = undefined; });
      }
      return recent.value;
    });
    summary.get('/api/rejected', async (req) => {
      const { limit } = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict().parse(req.query);
      return { rejected: await listRejected(store(), limit) };
    });
  });

  // the pages' views and the hop list they drill down to
  await app.register(async (views) => registerViews(views, store, shared));

  if (opts.analyzeHeaders) {
    const analyze = opts.analyzeHeaders;
    await app.register(async (headers) => {
      // pasted headers or a whole message, as text/plain or {"headers": "…"}; nothing is stored
      headers.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      headers.post('/api/headers/analyze', async (req) => {
        const text = typeof req.body === 'string' ? req.body : z.object({ headers: z.string().min(1) }).strict().parse(req.body).headers;
        return HeaderAnalysis.parse(await analyze(text));
      });
    });
  }

  // lets `mailtrace ingest` reach the store while this process owns the embedded data directory:
  // the client sends bytes, the server opens no path a client names
  if (opts.ingest) await registerIngest(app, opts.ingest);

  if (opts.dashboardDir) await serveDashboard(app, opts.dashboardDir);
  return app;
}
