/**
 * `npm run lint` (after tsc): the project rules that the type checker cannot see, from
 * ../shared/STYLE.md. Errors fail the run; warnings are printed.
 *   - imports flow one way: schemas ← store ← stitch ← ingest, schemas ← store ← query; ingest and query never import each
 *     other; the dashboard shares only types from schemas; cli wires everything
 *   - another stage is imported through its index.ts only
 *   - only cli/config.ts reads process.env
 *   - no `any` in product code
 *   - files past 400 lines are a design question (warning)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const PRODUCT = ['schemas', 'store', 'stitch', 'ingest', 'query', 'dashboard', 'cli'] as const;
type Stage = (typeof PRODUCT)[number] | 'bench' | 'test' | 'other';

/** what each stage may import from (besides itself and packages) */
const ALLOWED: Record<(typeof PRODUCT)[number], readonly Stage[]> = {
  schemas: [],
  store: ['schemas'],
  stitch: ['schemas', 'store'],
  ingest: ['schemas', 'store', 'stitch'],
  query: ['schemas', 'store'],
  dashboard: ['schemas'],
  cli: ['schemas', 'store', 'stitch', 'ingest', 'query', 'dashboard'],
};

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function stageOf(path: string): Stage {
  const top = relative(ROOT, path).split(sep)[0];
  return (PRODUCT as readonly string[]).includes(top) || top === 'bench' || top === 'test' ? (top as Stage) : 'other';
}

const errors: string[] = [];
const warnings: string[] = [];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

for (const stage of PRODUCT) {
  for (const file of files(join(ROOT, stage))) {
    const rel = relative(ROOT, file);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').length;
    if (lines > 400) warnings.push(`${rel}: ${lines} lines (past 400 is a design question)`);
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const to = stageOf(target);
      if (to === stage) continue;
      if (to === 'test' || to === 'bench' || to === 'other' || !ALLOWED[stage].includes(to)) {
        errors.push(`${rel}: imports ${spec} (${stage} may not import from ${to})`);
        continue;
      }
      // another stage: only through its index.ts (the dashboard may take types from any schema file)
      const inside = relative(join(ROOT, to), target);
      if (inside !== 'index.ts' && !(stage === 'dashboard' && to === 'schemas')) {
        errors.push(`${rel}: imports ${spec}; import ${to}/index.ts instead`);
      }
    }
    if (rel !== join('cli', 'config.ts') && /(?<!['"`])process\.env\b/.test(text.replace(/^\s*\/\/.*$/gm, ''))) errors.push(`${rel}: reads process.env (only cli/config.ts does)`);
    for (const [i, line] of text.split('\n').entries()) {
      if (/(?::\s*any\b|\bas any\b|<any>)/.test(line) && !line.trimStart().startsWith('//') && !line.trimStart().startsWith('*')) {
        errors.push(`${rel}:${i + 1}: uses any`);
      }
    }
  }
}

for (const w of warnings) console.log(`warning: ${w}`);
for (const e of errors) console.log(`error: ${e}`);
console.log(`lint: ${errors.length} error(s), ${warnings.length} warning(s)`);
process.exit(errors.length > 0 ? 1 : 0);
