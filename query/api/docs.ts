import type { FastifyInstance } from 'fastify';
import { API_ROUTES, openApiDocument, openApiPath } from './openapi.ts';

/**
 * GET /docs/openapi.json (the document) and GET /docs (a page listing the routes, their parameters
 * and answer schemas). Open to anyone who reaches the server, like the dashboard's files: they
 * describe the product, not its data, and say nothing the README does not. The page is plain HTML:
 * no script and no style of its own, which the served policy (security.ts) would refuse anyway.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  app.get('/docs/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').send(openApiDocument()));
  let page: string | undefined;
  app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page ??= docsPage()));
}

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Prose of the table and the document (CommonMark there): escaped, with its `code` spans kept. */
function prose(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

type Json = Record<string, unknown>;

/** A parameter's type in a line: `integer 1…500 (default 50)`, `one of a, b`. */
function typeOf(schema: Json): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.join(', ')}`;
  let t = String(schema.type ?? 'any');
  if (schema.format) t += ` (${String(schema.format)})`;
  if (schema.minimum !== undefined || schema.maximum !== undefined) t += ` ${String(schema.minimum ?? '')}…${String(schema.maximum ?? '')}`;
  if (schema.maxLength !== undefined) t += `, at most ${String(schema.maxLength)} characters`;
  if (schema.default !== undefined) t += ` (default ${JSON.stringify(schema.default)})`;
  return t;
}

function docsPage(): string {
  const doc = openApiDocument() as { info: { title: string; version: string; description: string }; paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };
  const routes = API_ROUTES.map((r) => {
    const op = doc.paths[openApiPath(r.url)][r.method.toLowerCase()] as { parameters: Json[]; requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> };
    const params = op.parameters.length === 0 ? '<p>No parameters.</p>'
      : `<table><thead><tr><th>name</th><th>in</th><th>required</th><th>type</th></tr></thead><tbody>${op.parameters.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(p.description ?? typeOf(p.schema as Json))}</td></tr>`).join('')}</tbody></table>`;
    const body = op.requestBody ? `<p>Body: ${Object.keys(op.requestBody.content).map((t) => `<code>${esc(t)}</code>`).join(' or ')}</p>` : '';
    const errors = Object.keys(op.responses).filter((s) => s !== '200').join(', ');
    return `<section id="${esc(`${r.method} ${r.url}`.replace(/[^\w]+/g, '-'))}">
<h3><code>${r.method} ${esc(openApiPath(r.url))}</code></h3>
<p>${prose(r.summary)} <strong>${r.access === 'public' ? 'No token.' : `Role: ${r.access}.`}</strong></p>
${params}${body}
<p>Answer: <a href="#schema-${r.answer}"><code>${r.answer}</code></a>; errors ${esc(errors)} as <a href="#schema-ApiError"><code>ApiError</code></a>.</p>
</section>`;
  }).join('\n');
  const schemas = Object.entries(doc.components.schemas).map(([name, s]) => `<details id="schema-${esc(name)}"><summary><code>${esc(name)}</code></summary><pre>${esc(JSON.stringify(s, null, 2))}</pre></details>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} API</title>
</head>
<body>
<h1>${esc(doc.info.title)} API <small>${esc(doc.info.version)}</small></h1>
<p>${prose(doc.info.description)}</p>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> on <code>/api/*</code>. The machine-readable description: <a href="/docs/openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<h2>Routes</h2>
${routes}
<h2>Schemas</h2>
${schemas}
</body>
</html>
`;
}
