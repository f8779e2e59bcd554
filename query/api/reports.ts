import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { REPORT_CSP, listReports, reportFile } from '../reports/index.ts';
import { grant } from './access.ts';
import { ReportFileParams } from './openapi.ts';

/**
 * Written reports (scheduled or `mailtrace report`): their list and their files, for viewers. A
 * file is served only by an id and a name that the listing holds (reports/files.ts checks both
 * and that the path stays inside the reports folder); a report's HTML carries its own strict CSP.
 */

export async function registerReports(app: FastifyInstance, dir: string): Promise<void> {
  grant(app, 'viewer');
  app.get('/api/reports', async () => ({ reports: await listReports(dir) }));
  app.get('/api/reports/:id/:file', async (req, reply) => {
    const { id, file } = ReportFileParams.parse(req.params);
    const f = await reportFile(dir, id, file);
    // in memory (reports are small): answers to viewers are redacted on their way out, which a stream would escape
    reply.type(f.contentType).header('content-disposition', `${file.endsWith('.html') ? 'inline' : 'attachment'}; filename="${file}"`);
    if (file.endsWith('.html')) reply.header('content-security-policy', REPORT_CSP);
    return reply.send(await readFile(f.path));
  });
}
