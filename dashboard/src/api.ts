import type { CertificatesQuery, CertificatesView, HeaderAnalysis, MessageList, PolicyIncident, PolicyQuery, PolicyReport, RecipientStatus, Rejection, ReportList, Summary, Trace } from '../../schemas/index.ts';
import type { ConnectorsView, DeliveryView, HopList, HopListQuery, IngestionView, OverviewView, ProtectionView, SecurityView, TopologyView, ViewQuery } from '../../schemas/views.ts';
import { askForToken, currentToken } from './token.ts';

/** An answer from the API that is not a success, with the API's own code and message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Call the API and read its JSON answer (GET, or POST with a text body). A 401 asks the user for
 * the bearer token (once, however many calls are waiting) and tries again; a wrong token is asked
 * for again.
 */
async function requestJson<T>(path: string, signal?: AbortSignal, body?: string): Promise<T> {
  let rejectedToken = false;
  for (;;) {
    const token = currentToken();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'text/plain; charset=utf-8';
    const res = await fetch(path, { method: body === undefined ? 'GET' : 'POST', headers, body, signal });
    if (res.status === 401) {
      await askForToken(rejectedToken || token !== undefined ? 'That token was not accepted.' : undefined);
      rejectedToken = true;
      continue;
    }
    const answer: unknown = await res.json().catch(() => undefined);
    if (!res.ok) throw toApiError(res.status, answer);
    return answer as T;
  }
}

function toApiError(status: number, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const e = (body as { error: { code?: unknown; message?: unknown } }).error;
    return new ApiError(status, String(e.code ?? 'MT_ERR_HTTP'), String(e.message ?? `HTTP ${status}`));
  }
  return new ApiError(status, 'MT_ERR_HTTP', `the server answered HTTP ${status}`);
}

export interface MessageQuery {
  sender?: string;
  recipient?: string;
  messageId?: string;
  queueId?: string;
  status?: RecipientStatus;
  protection?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

export function searchMessages(q: MessageQuery, signal?: AbortSignal): Promise<MessageList> {
  const qs = new URLSearchParams();
  // the API refuses unknown keys and validates every one it gets: send only what is set
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return requestJson<MessageList>(`/api/messages${s ? `?${s}` : ''}`, signal);
}

export function fetchTrace(id: string, signal?: AbortSignal): Promise<Trace> {
  return requestJson<Trace>(`/api/messages/${encodeURIComponent(id)}/trace`, signal);
}

export function fetchSummary(signal?: AbortSignal): Promise<Summary> {
  return requestJson<Summary>('/api/summary', signal);
}

export function fetchRejected(limit: number, signal?: AbortSignal): Promise<Rejection[]> {
  return requestJson<{ rejected: Rejection[] }>(`/api/rejected?limit=${limit}`, signal).then((r) => r.rejected);
}

/** What pasted headers (or a whole message) claim: sent as text/plain, nothing is stored. */
export function analyzeHeaders(text: string, signal?: AbortSignal): Promise<HeaderAnalysis> {
  return requestJson<HeaderAnalysis>('/api/headers/analyze', signal, text);
}

/** What each GET /api/views/<name> answers. */
export interface ViewAnswers {
  overview: OverviewView;
  topology: TopologyView;
  security: SecurityView;
  delivery: DeliveryView;
  protection: ProtectionView;
  ingestion: IngestionView;
}

export function fetchView<K extends keyof ViewAnswers>(name: K, q: ViewQuery, signal?: AbortSignal): Promise<ViewAnswers[K]> {
  return requestJson<ViewAnswers[K]>(`/api/views/${name}${queryOf({ ...q })}`, signal);
}

/** The Security page's findings per connector (GET /api/views/connectors). */
export function fetchConnectors(q: ViewQuery, signal?: AbortSignal): Promise<ConnectorsView> {
  return requestJson<ConnectorsView>(`/api/views/connectors${queryOf({ ...q })}`, signal);
}

/** The certificates view with its expiry window (GET /api/views/certificates). */
export function fetchCertificates(q: Partial<CertificatesQuery>, signal?: AbortSignal): Promise<CertificatesView> {
  return requestJson<CertificatesView>(`/api/views/certificates${queryOf({ ...q })}`, signal);
}

/** The hand-offs behind a number; a server pair's end is sent even when it is '' (an unnamed client). */
export function fetchHops(q: Partial<HopListQuery>, signal?: AbortSignal): Promise<HopList> {
  return requestJson<HopList>(`/api/views/hops${queryOf({ ...q })}`, signal);
}

/** The TLS policy's findings in a time range (GET /api/policy/violations); without `from` the API judges the 24 h before `to`. */
export function fetchPolicyFindings(q: PolicyQuery, signal?: AbortSignal): Promise<PolicyReport> {
  return requestJson<PolicyReport>(`/api/policy/violations${queryOf({ ...q })}`, signal);
}

/** The policy's incidents, newest first (GET /api/policy/incidents). */
export function fetchPolicyIncidents(state: PolicyIncident['state'], signal?: AbortSignal): Promise<PolicyIncident[]> {
  return requestJson<{ incidents: PolicyIncident[] }>(`/api/policy/incidents${queryOf({ state })}`, signal).then((r) => r.incidents);
}

function queryOf(q: Record<string, string | number | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : '';
}

/** One line for an error caught while loading something. */
export function describeError(err: unknown): { title: string; detail: string } {
  if (err instanceof ApiError) return { title: err.status === 404 ? 'Not found' : `Request failed (${err.status})`, detail: `${err.message} [${err.code}]` };
  if (err instanceof TypeError) return { title: 'Cannot reach the server', detail: err.message };
  return { title: 'Something went wrong', detail: err instanceof Error ? err.message : String(err) };
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** The written reports (GET /api/reports). */
export function fetchReports(signal?: AbortSignal): Promise<ReportList> {
  return requestJson<ReportList>('/api/reports', signal);
}

/**
 * One file of a report, as bytes: fetched with the token (a plain link could not carry it), then
 * handed to the browser as a download.
 */
export async function fetchReportFile(id: string, file: string): Promise<Blob> {
  const token = currentToken();
  const res = await fetch(`/api/reports/${encodeURIComponent(id)}/${encodeURIComponent(file)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw toApiError(res.status, await res.json().catch(() => undefined));
  return res.blob();
}
