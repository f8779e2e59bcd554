import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { DEFAULT_REPORTS_DIR, HeaderAnalysis, MessageSearch, type AccessConfig, type Summary } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { listRejected, searchMessages, summarize } from '../sql/messages.ts';
import { traceMessage } from '../trace/read.ts';
import { grant, installAccess } from './access.ts';
import { AuditLog, registerAudit } from './audit.ts';
import { registerDocs } from './docs.ts';
import { installErrorHandler } from './errors.ts';
import { registerMetrics } from './ops.ts';
import { registerIngest, type IngestHook } from './ingest.ts';
import { HeadersBody, RejectedQuery, TraceParams } from './openapi.ts';
import { installSecurityHeaders, limitUrlLength, loggerOptions, REQUEST_LIMITS } from './security.ts';
import { serveDashboard } from './static.ts';
import { registerViews } from './views.ts';
import { registerPolicy, type PolicyHook } from './policy.ts';
import { registerReports } from './reports.ts';

export interface AppOptions {
  store: Store;
  /** MAILTRACE_TOKEN: an admin token; with it (or config tokens) every /api request must carry `Authorization: Bearer <token>` */
  token?: string;
  /** the config file's access section: hashed tokens with roles, redaction for viewers (access.ts) */
  access?: AccessConfig;
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
  /** where written reports are (the config file's reports.dir) */
  reportsDir?: string;
  /** the TLS policy and the runner of its checks (serve); without it the policy has no rules */
  policy?: PolicyHook;
  /** the Prometheus text of the process's counters (ingest/metrics.ts), answered at /metrics and /api/metrics */
  metrics?: () => string;
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
  installAccess(app, { token: opts.token, access: opts.access });

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
  const audit = new AuditLog(() => opts.store, app.log);
  app.addHook('onClose', async () => audit.close());

  await app.register(async (health) => {
    health.get('/health', async () => {
      await store().query('SELECT 1 AS ok');
      return { status: 'ok', store: store().mode };
    });
  });

  // Prometheus scrapes /metrics (or /api/metrics): beyond loopback it needs a token like /api
  if (opts.metrics) await registerMetrics(app, opts.metrics);

  // a route says the least role it needs; the read plugins grant viewers, every other route is admin's (access.ts)
  await app.register(async (messages) => {
    grant(messages, 'viewer');
    messages.get('/api/messages', async (req) => {
      const search = MessageSearch.parse(req.query);
      return shared(`search ${JSON.stringify(search)}`, () => searchMessages(store(), search));
    });
    messages.get('/api/messages/:id/trace', async (req) => {
      const { id } = TraceParams.parse(req.params);
      audit.record(req, 'trace', id);
      return shared(`trace ${id}`, () => traceMessage(store(), id));
    });
  });

  await app.register(async (summary) => {
    grant(summary, 'viewer');
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
      const { limit } = RejectedQuery.parse(req.query);
      return { rejected: await listRejected(store(), limit) };
    });
  });

  // written reports: their list and files (default folder ./reports, as the config file's)
  await app.register(async (reports) => registerReports(reports, opts.reportsDir ?? DEFAULT_REPORTS_DIR));

  // the TLS policy's findings and incidents (no rules configured: none)
  await app.register(async (policy) => registerPolicy(policy, store, opts.policy ?? { policy: { rules: [] } }));

  // the pages' views and the hop list they drill down to
  await app.register(async (views) => {
    grant(views, 'viewer');
    await registerViews(views, store, shared);
  });

  if (opts.analyzeHeaders) {
    const analyze = opts.analyzeHeaders;
    await app.register(async (headers) => {
      grant(headers, 'viewer');
      // pasted headers or a whole message, as text/plain or {"headers": "…"}; nothing is stored
      headers.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      headers.post('/api/headers/analyze', async (req) => {
        const text = typeof req.body === 'string' ? req.body : HeadersBody.parse(req.body).headers;
        return HeaderAnalysis.parse(await analyze(text));
      });
    });
  }

  // lets `mailtrace ingest` reach the store while this process owns the embedded data directory:
  // the client sends bytes, the server opens no path a client names
  if (opts.ingest) await registerIngest(app, opts.ingest);
  // who looked up which trace (admin only)
  await app.register(async (admin) => registerAudit(admin, store, audit));
  // the OpenAPI document and a page made from it (no token: they describe the product, not its data)
  await registerDocs(app);

  if (opts.dashboardDir) await serveDashboard(app, opts.dashboardDir);
  return app;
}
