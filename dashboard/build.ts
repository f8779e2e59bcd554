import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where `mailtrace serve` looks for the dashboard. */
export const DASHBOARD_DIST = join(HERE, 'dist');

export interface BuiltFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

/** The stylesheets, in order, that make the served app.css (one file: index.html links only it). */
const STYLESHEETS = ['app.css', 'views.css'];

/** Bundle src/main.ts into app.js, copy index.html next to it and join the stylesheets into app.css. */
export async function buildDashboard(opts: { outDir?: string } = {}): Promise<BuiltFile[]> {
  const outDir = opts.outDir ?? DASHBOARD_DIST;
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'src', 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    // echarts guards its development checks with process.env.NODE_ENV
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  await copyFile(join(HERE, 'index.html'), join(outDir, 'index.html'));
  const css = await Promise.all(STYLESHEETS.map((name) => readFile(join(HERE, name), 'utf8')));
  await writeFile(join(outDir, 'app.css'), css.join('\n'));
  const files: BuiltFile[] = [];
  for (const name of ['index.html', 'app.css', 'app.js', 'app.js.map']) {
    const body = await readFile(join(outDir, name));
    files.push({ name, bytes: body.length, gzipBytes: gzipSync(body).length });
  }
  return files;
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`.padStart(10);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = performance.now();
  try {
    const files = await buildDashboard();
    for (const f of files) process.stdout.write(`  ${f.name.padEnd(12)} ${kb(f.bytes)}  (gzip ${kb(f.gzipBytes).trim()})\n`);
    process.stdout.write(`dashboard built into ${DASHBOARD_DIST} in ${Math.round(performance.now() - started)} ms\n`);
  } catch (err) {
    // esbuild has already printed its diagnostics
    process.stderr.write(`dashboard build failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    process.exitCode = 1;
  }
}
