import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { analyzeHeaders, runIngest } from '../../../ingest/index.ts';
import { buildApp, runReport, type AppOptions } from '../../../query/index.ts';
import { hashToken } from '../../../query/api/access.ts';
import { AccessConfig } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';
import { FIXTURES, tempStore } from '../../helpers/store.ts';

/**
 * One store for the access and audit tests: the three-hop fixture (a bounce whose SMTP reply names
 * the recipient) plus a line no parser knows that carries an address, so that /api/rejected and the
 * ingestion view have an address in a raw excerpt. Tokens: one viewer and one admin from the config
 * file, and MAILTRACE_TOKEN.
 */
export const VIEWER = 'viewer-token-0123456789abcdef';
export const ADMIN = 'admin-token-0123456789abcdef';
export const ENV_TOKEN = 'correct-horse-battery-staple';
export const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** every address in the stored data: none of them may reach a viewer when redaction is on */
export const ADDRESSES = ['s@example.org', 'alice@example.test', 'nobody@example.test', 'carol.secret@example.net'];
export const JUNK_LINE = 'this is no log line, but it names carol.secret@example.net';

export function accessConfig(redact: boolean): AccessConfig {
  return AccessConfig.parse({
    tokens: [{ name: 'helpdesk', role: 'viewer', sha256: hashToken(VIEWER) }, { name: 'ops', role: 'admin', sha256: hashToken(ADMIN).toUpperCase() }],
    redactForViewers: { addresses: redact },
  });
}

export interface World {
  store: Store;
  spool: string;
  /** a written report's id (its report.json is what the report file route serves in the tests) */
  reportId: string;
  ingested: { runs: number };
  app(extra?: Partial<AppOptions>): Promise<{ app: FastifyInstance; routes: { method: string; url: string }[] }>;
  cleanup(): Promise<void>;
}

export async function openWorld(): Promise<World> {
  const t = await tempStore();
  const log = join(t.dir, 'mail.log');
  writeFileSync(log, `${readFileSync(join(FIXTURES, 'postfix', 'handmade-3hop.log'), 'utf8')}${JUNK_LINE}\n`);
  await runIngest({ inputs: [log], store: t.store });
  // one written report, so that the report routes have a file to serve
  const reportsDir = join(t.dir, 'reports');
  const written = await runReport(t.store, { kind: 'volume-summary', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', dir: reportsDir, name: 'access' });
  const spool = mkdtempSync(join(tmpdir(), 'mailtrace-access-'));
  const ingested = { runs: 0 };
  const apps: FastifyInstance[] = [];
  return {
    store: t.store,
    spool,
    reportId: written.id,
    ingested,
    async app(extra = {}) {
      const routes: { method: string; url: string }[] = [];
      const app = await buildApp({
        store: t.store,
        ingest: { spoolDir: join(spool, String(apps.length)), run: async () => { ingested.runs++; return {}; } },
        analyzeHeaders,
        reportsDir,
        onRoute: (r) => routes.push(r),
        ...extra,
      });
      apps.push(app);
      return { app, routes };
    },
    async cleanup() {
      for (const a of apps) await a.close();
      await t.cleanup();
      rmSync(spool, { recursive: true, force: true });
    },
  };
}

/** The API's routes (no HEAD: fastify adds one per GET) with a request for each: parameters filled in, a body where it takes one. */
export function apiRequests(routes: { method: string; url: string }[], traceId: string, reportId = ''): { route: string; req: InjectOptions }[] {
  return routes.filter((r) => r.method !== 'HEAD' && (r.url.startsWith('/api/') || r.url === '/health')).map((r) => {
    const url = r.url === '/api/reports/:id/:file' ? `/api/reports/${encodeURIComponent(reportId)}/report.json` : r.url.replace(':id', encodeURIComponent(traceId));
    const route = `${r.method} ${r.url}`;
    if (r.method !== 'POST') return { route, req: { method: 'GET', url } };
    const payload = r.url === '/api/headers/analyze' ? 'Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS id X1; Sun, 1 Mar 2026 08:00:00 +0000\n' : {};
    return { route, req: { method: 'POST', url, payload, headers: { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json' } } };
  });
}
