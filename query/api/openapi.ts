import { createRequire } from 'node:module';
import { z } from 'zod';
import {
  ApiError, AuditList, AuditQuery, CertificatesQuery, CertificatesView, ConnectorsView, DeliveryView, HeaderAnalysis, HopList, HopListQuery, IngestionView, MessageList, MessageSearch, OverviewView,
  ProtectionView, Rejection, SecurityView, Summary, TopologyView, Trace, ViewQuery, IncidentList, IncidentQuery, PolicyCheckAnswer, PolicyQuery, PolicyReport, ReportList, type Role,
} from '../../schemas/index.ts';

/**
 * Every route of the API in one table, and the OpenAPI 3.1 document made from it and the zod
 * contracts (GET /docs/openapi.json). test/query/api/openapi.test.ts checks the table against the
 * routes the app registers, and the access test checks each route's role against what the server
 * enforces, so the document cannot drift from the server.
 */

/** Contracts of the small routes (they live here until schemas/api.ts takes them). */
export const Health = z.object({ status: z.literal('ok'), store: z.enum(['embedded', 'server']) });
export const RejectedQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();
export const RejectedList = z.object({ rejected: z.array(Rejection) });
export const TraceParams = z.object({ id: z.string().min(1).max(998) });
export const HeadersBody = z.object({ headers: z.string().min(1) }).strict();
export const UploadReceipt = z.object({ file: z.string(), files: z.number(), bytes: z.number() });
export const IngestRequest = z.object({ session: z.string().regex(/^[0-9a-f]{32}$/) }).strict();
/** the ingest summary (ingest/pipeline/run.ts IngestSummary): described loosely, the API only carries it */
/** a report's file: its bytes, typed by its name (HTML, CSV, SVG, JSON) */
export const ReportFile = z.object({}).loose().describe('the file: report.json as shown; report.html, a CSV or an SVG as its bytes, typed by its name');
export const ReportFileParams = z.object({ id: z.string().min(1).max(200), file: z.string().min(1).max(200) });
export const IngestSummary = z.object({ files: z.number(), lines: z.number(), events: z.number(), rejectedTotal: z.number(), seconds: z.number() }).loose();

/** Answers by the name the document gives them (components.schemas). */
export const COMPONENTS = {
  ApiError, Health, MessageList, Trace, Summary, RejectedList, HeaderAnalysis, UploadReceipt, IngestSummary, AuditList,
  OverviewView, TopologyView, SecurityView, ConnectorsView, HopList, DeliveryView, ProtectionView, CertificatesView, IngestionView, PolicyReport, IncidentList, PolicyCheckAnswer, ReportList, ReportFile,
} as const;
export type ComponentName = keyof typeof COMPONENTS;

/** `public`: no token ever (the probe); a role: the least role whose token may call it. */
export type RouteAccess = Role | 'public';

export interface RouteDoc {
  method: 'GET' | 'POST';
  /** as registered with fastify (`:id`) */
  url: string;
  access: RouteAccess;
  summary: string;
  query?: z.ZodObject;
  params?: z.ZodObject;
  /** request bodies by content type: a zod schema, or a description for bytes and text */
  body?: Record<string, z.ZodType | string>;
  /** request headers the route reads */
  headers?: Record<string, string>;
  answer: ComponentName;
  /** error statuses beyond those every API route may answer */
  errors?: number[];
}

const view = (name: string, answer: ComponentName, summary: string): RouteDoc => ({ method: 'GET', url: `/api/views/${name}`, access: 'viewer', summary, query: ViewQuery, answer, errors: [422] });

export const API_ROUTES: readonly RouteDoc[] = [
  { method: 'GET', url: '/health', access: 'public', summary: 'Liveness for probes: the store answers.', answer: 'Health' },
  { method: 'GET', url: '/api/messages', access: 'viewer', summary: 'Search messages, newest first; each row\'s traceId is what the trace route takes.', query: MessageSearch, answer: 'MessageList', errors: [422] },
  { method: 'GET', url: '/api/messages/:id/trace', access: 'viewer', summary: 'The path of one message, by message id or any queue id. Every lookup is written to the audit log.', params: TraceParams, answer: 'Trace', errors: [404, 422] },
  { method: 'GET', url: '/api/summary', access: 'viewer', summary: 'Counts over the whole store (at most two seconds old).', answer: 'Summary' },
  { method: 'GET', url: '/api/rejected', access: 'viewer', summary: 'Input lines kept aside, with file, offset and reason.', query: RejectedQuery, answer: 'RejectedList' },
  view('overview', 'OverviewView', 'Volume, outcome and TLS over time.'),
  view('topology', 'TopologyView', 'Servers and hand-offs between them, by TLS state.'),
  view('security', 'SecurityView', 'Plaintext, weak-TLS and unverified hand-offs by server pair, domain and time.'),
  view('connectors', 'ConnectorsView', 'The same findings per connector (Exchange connector-id, Postfix service), on the sending and on the receiving side.'),
  { method: 'GET', url: '/api/views/hops', access: 'viewer', summary: 'The hand-offs a view counts, one row each, newest first.', query: HopListQuery, answer: 'HopList', errors: [422] },
  view('delivery', 'DeliveryView', 'Deferral and bounce reasons, hand-off latency, end-to-end time.'),
  view('protection', 'ProtectionView', 'End-to-end protection by sender and recipient domain.'),
  { method: 'GET', url: '/api/views/certificates', access: 'viewer', summary: 'Certificates servers presented in TLS handshakes (from the logs): issuance, validity, changes.', query: CertificatesQuery, answer: 'CertificatesView', errors: [422] },
  view('ingestion', 'IngestionView', 'Ingested files, the newest event per server, rejected lines by reason.'),
  { method: 'POST', url: '/api/headers/analyze', access: 'viewer', summary: 'What a message\'s headers claim (hops, TLS, authentication results); nothing is stored.', body: { 'text/plain': 'the headers, or the whole message', 'application/json': HeadersBody }, answer: 'HeaderAnalysis' },
  {
    method: 'POST', url: '/api/ingest/files', access: 'admin', summary: 'One file of an upload session into the server\'s spool (what `mailtrace ingest` sends while `serve` owns the store).',
    body: { 'application/octet-stream': 'the file\'s bytes' },
    headers: { 'x-mailtrace-session': '32 hex digits the client picks', 'x-mailtrace-file': 'the URI-encoded name the file\'s events will carry', 'x-mailtrace-mtime': 'the file\'s modification time, milliseconds since 1970' },
    answer: 'UploadReceipt', errors: [413],
  },
  { method: 'POST', url: '/api/ingest', access: 'admin', summary: 'Ingest an upload session\'s files in one run.', body: { 'application/json': IngestRequest }, answer: 'IngestSummary', errors: [404] },
  { method: 'GET', url: '/api/policy/violations', access: 'viewer', summary: 'The TLS policy\'s findings for a time range: violations with samples, and what the logs cannot judge (unknown).', query: PolicyQuery, answer: 'PolicyReport', errors: [422] },
  { method: 'GET', url: '/api/policy/incidents', access: 'viewer', summary: 'Policy incidents, newest first: open and resolved, with their notices.', query: IncidentQuery, answer: 'IncidentList' },
  { method: 'POST', url: '/api/admin/policy/check', access: 'admin', summary: 'Run a policy check now (it may open or resolve incidents and send their alerts).', answer: 'PolicyCheckAnswer' },
  { method: 'GET', url: '/api/reports', access: 'viewer', summary: 'Written reports (scheduled or by `mailtrace report`), newest first, with their files.', answer: 'ReportList' },
  { method: 'GET', url: '/api/reports/:id/:file', access: 'viewer', summary: 'One file of a written report (report.html with its own strict CSP, CSV, SVG, JSON); only ids and names the listing holds.', params: ReportFileParams, answer: 'ReportFile', errors: [404] },
  { method: 'GET', url: '/api/admin/audit', access: 'admin', summary: 'The audit log of trace lookups (who, when, which id, from where), newest first.', query: AuditQuery, answer: 'AuditList', errors: [422] },
];

const ERROR_TEXT: Record<number, string> = {
  400: 'MT_ERR_BAD_INPUT: the request cannot be read', 401: 'MT_ERR_UNAUTHORIZED: no token, or not a known one', 403: 'MT_ERR_FORBIDDEN: the token\'s role does not allow this',
  404: 'MT_ERR_NOT_FOUND', 413: 'MT_ERR_BAD_INPUT: the body is too large', 422: 'MT_ERR_QUERY_TOO_LARGE: the answer would pass the row limit', 500: 'MT_ERR_INTERNAL',
  503: 'MT_ERR_QUERY_BUSY, MT_ERR_STORE_UNAVAILABLE', 504: 'MT_ERR_QUERY_TIMEOUT',
};

type Json = Record<string, unknown>;

/** A schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the keys a standalone document carries. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _s, $id: _i, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** `/api/messages/:id/trace` → `/api/messages/{id}/trace` */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

function parameters(r: RouteDoc): Json[] {
  const from = (schema: z.ZodObject | undefined, where: 'query' | 'path'): Json[] => {
    if (!schema) return [];
    const js = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
    return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s }));
  };
  const headers = Object.entries(r.headers ?? {}).map(([name, description]) => ({ name, in: 'header', required: name !== 'x-mailtrace-mtime', description, schema: { type: 'string' } }));
  return [...from(r.params, 'path'), ...from(r.query, 'query'), ...headers];
}

function operation(r: RouteDoc): Json {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const statuses = r.access === 'public' ? [503] : [400, ...(r.access === 'admin' ? [401, 403] : [401]), ...(r.errors ?? []), 500, 503, 504];
  const responses: Json = { 200: { description: 'OK', content: { 'application/json': { schema: ref(r.answer) } } } };
  for (const s of [...new Set(statuses)].sort()) responses[s] = { description: ERROR_TEXT[s] ?? 'error', content: { 'application/json': { schema: ref('ApiError') } } };
  const op: Json = {
    operationId: `${r.method.toLowerCase()}${openApiPath(r.url).replace(/[{}]/g, '').split(/[/-]/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`,
    summary: r.summary,
    description: r.access === 'public' ? 'No token needed.' : `Role: ${r.access}${r.access === 'viewer' ? ' or admin' : ''}.`,
    'x-mailtrace-role': r.access,
    parameters: parameters(r),
    responses,
  };
  if (r.access === 'public') op.security = [];
  if (r.body) {
    op.requestBody = {
      required: true,
      content: Object.fromEntries(Object.entries(r.body).map(([type, b]) => [type, typeof b === 'string' ? { schema: { type: 'string', description: b, ...(type === 'application/octet-stream' ? { contentMediaType: type } : {}) } } : { schema: jsonSchema(b, 'input') }])),
    };
  }
  return op;
}

let built: Json | undefined;

/** The document (built once: it depends on nothing but the code). */
export function openApiDocument(): Json {
  if (built) return built;
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
  const components = Object.fromEntries(Object.entries(schemas).map(([id, s]) => {
    const { $schema: _s, $id: _i, ...rest } = s as Json;
    return [id, rest];
  }));
  const paths: Record<string, Json> = {};
  for (const r of API_ROUTES) (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = operation(r);
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  built = {
    openapi: '3.1.0',
    info: {
      title: 'mailtrace',
      version,
      description: 'Mail-flow traces from Postfix and Exchange logs. Every GET also answers HEAD. Errors are `{"error": {"code": "MT_ERR_…", "message": "…"}}`. '
        + 'A server started without any token (loopback only) asks for none.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'MAILTRACE_TOKEN (admin), or a token of the config file\'s access section (its role)' } } },
  };
  return built;
}
