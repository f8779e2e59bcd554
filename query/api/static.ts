import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/** Serve the built dashboard: a handful of files, read once. Unknown paths fall back to index.html. */
export async function serveDashboard(app: FastifyInstance, dir: string): Promise<void> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of ['index.html', 'app.js', 'app.css', 'app.js.map']) {
    try {
      files.set(`/${name}`, { body: await readFile(join(dir, name)), type: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' });
    } catch {
      // app.css and the source map are optional
    }
  }
  const index = files.get('/index.html');
  if (!index) throw new Error(`the dashboard is not built in ${dir} (run \`npm run build\`)`);
  const send = (path: string) => files.get(path) ?? index;
  app.get('/', async (_req, reply) => reply.type(index.type).header('cache-control', 'no-cache').send(index.body));
  for (const path of files.keys()) {
    app.get(path, async (_req, reply) => {
      const f = send(path);
      return reply.type(f.type).header('cache-control', 'no-cache').send(f.body);
    });
  }
  // the dashboard's own routes (dashboard/src/router.ts): a reload or a shared link lands on the app
  app.get('/message/*', async (_req, reply) => reply.type(index.type).header('cache-control', 'no-cache').send(index.body));
  for (const path of ['/headers', '/overview', '/topology', '/security', '/hops', '/delivery', '/protection', '/certificates', '/ingestion', '/reports']) {
    app.get(path, async (_req, reply) => reply.type(index.type).header('cache-control', 'no-cache').send(index.body));
  }
}
