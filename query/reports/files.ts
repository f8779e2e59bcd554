import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { MailtraceError, REPORT_FILE, REPORT_ID, ReportEntry, ReportKind, ReportName, type ReportKind as Kind } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import type { Period, RenderedReport, ReportOptions } from './model.ts';
import { buildReport } from './render.ts';

/**
 * Reports on disk: one directory per report, `<dir>/<name>-<kind>-<from>_<to>/`, holding
 * report.html, report.json, one CSV per table and one SVG per chart. A report appears whole or
 * not at all (written into a hidden temp directory beside it, then renamed), so the listing
 * never shows half a report.
 */
export interface RunReportOptions extends ReportOptions {
  kind: Kind;
  from: string;
  to: string;
  dir: string;
  /** the schedule's name; default `report` */
  name?: string;
  /** ISO time the report says it was generated (default now) */
  generated?: string;
}

export interface WrittenReport {
  id: string;
  /** the report's directory */
  path: string;
  /** absolute paths: report.html, report.json, the CSVs, the SVGs */
  files: { html: string; json: string; csv: string[]; svg: string[] };
  report: RenderedReport;
}

/** 2026-11-23T00:00:00.000Z → 20261123T000000Z: no colons (file systems, URLs) and still sortable */
export function stamp(iso: string): string {
  return iso.slice(0, 19).replace(/[-:]/g, '') + 'Z';
}

function unstamp(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.000Z`;
}

/** A period as the report will name it: UTC, whole seconds (the id has no room for milliseconds), from before to. */
export function normalizePeriod(from: string, to: string): Period {
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b)) throw new MailtraceError('MT_ERR_BAD_INPUT', `a report period needs two ISO 8601 times (got ${JSON.stringify(from)} and ${JSON.stringify(to)})`);
  const whole = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
  const p = { from: whole(a), to: whole(b) };
  if (p.from >= p.to) throw new MailtraceError('MT_ERR_BAD_INPUT', `a report period must end after it starts (${p.from} – ${p.to})`);
  return p;
}

export function reportId(name: string, kind: Kind, period: Period): string {
  return `${name}-${kind}-${stamp(period.from)}_${stamp(period.to)}`;
}

export async function runReport(store: Store, o: RunReportOptions): Promise<WrittenReport> {
  const parsed = ReportKind.safeParse(o.kind);
  if (!parsed.success) throw new MailtraceError('MT_ERR_BAD_INPUT', `unknown kind of report ${JSON.stringify(o.kind)} (${ReportKind.options.join(', ')})`);
  const kind = parsed.data;
  const name = o.name ?? 'report';
  if (!ReportName.safeParse(name).success) throw new MailtraceError('MT_ERR_BAD_INPUT', `report name ${JSON.stringify(name)}: letters, digits, _ and - only`);
  const period = normalizePeriod(o.from, o.to);
  const report = await buildReport(store, kind, period, name, o.generated, { policy: o.policy });
  const id = reportId(name, kind, period);
  const root = resolve(o.dir);
  const final = join(root, id);
  await mkdir(root, { recursive: true });
  // same directory as the final one: the rename stays on one file system, so it is atomic
  const tmp = join(root, `.tmp-${id}-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(tmp);
    const files: [string, string][] = [
      ['report.html', report.html],
      ['report.json', `${JSON.stringify(report.json, null, 2)}\n`],
      ...report.csv.map((c): [string, string] => [c.name, c.text]),
      ...report.charts.map((c): [string, string] => [c.name, c.svg]),
    ];
    for (const [file, text] of files) await writeFile(join(tmp, file), text);
    await replaceDir(tmp, final, root);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    id, path: final, report,
    files: { html: join(final, 'report.html'), json: join(final, 'report.json'), csv: report.csv.map((c) => join(final, c.name)), svg: report.charts.map((c) => join(final, c.name)) },
  };
}

/**
 * A run for a period already reported replaces the old report. rename() cannot replace a
 * non-empty directory: the old one is moved aside first, so for a moment neither is listed.
 */
async function replaceDir(tmp: string, final: string, root: string): Promise<void> {
  const old = join(root, `.old-${randomBytes(6).toString('hex')}`);
  let moved = false;
  try {
    await rename(final, old);
    moved = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(tmp, final);
  if (moved) await rm(old, { recursive: true, force: true });
}

/** The reports in `dir`, newest first; a directory or file that does not look like ours is left out. */
export async function listReports(dir: string): Promise<ReportEntry[]> {
  const root = resolve(dir);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ReportEntry[] = [];
  // Dirent.isDirectory() is false for a symbolic link: a link cannot lead a download elsewhere
  for (const e of entries) {
    const m = e.isDirectory() ? REPORT_ID.exec(e.name) : null;
    if (!m) continue;
    const files: ReportEntry['files'] = [];
    let created = '';
    try {
      for (const f of await readdir(join(root, e.name), { withFileTypes: true })) {
        if (!f.isFile() || !REPORT_FILE.test(f.name)) continue;
        const st = await lstat(join(root, e.name, f.name));
        files.push({ name: f.name, bytes: st.size });
        if (f.name === 'report.json') created = st.mtime.toISOString();
      }
    } catch (err) {
      // a re-run moved it aside between the two reads: its replacement is listed next time
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (!created) continue;
    files.sort((a, b) => a.name.localeCompare(b.name));
    // a name shaped like ours with an impossible stamp (month 13) is not one of ours either
    const entry = ReportEntry.safeParse({ id: e.name, name: m[1], kind: m[2], from: unstamp(m[3]), to: unstamp(m[4]), created, files });
    if (entry.success) out.push(entry.data);
  }
  return out.sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8', csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8', svg: 'image/svg+xml',
};

/**
 * What a route serving reports needs: a report's HTML runs no script and loads nothing, and a
 * server can say so (this header) so that a report cannot act on the dashboard's origin.
 */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/**
 * The file a download route may send, for an id and a file name taken from a request: both must
 * be in the listing (so `../`, absolute paths, encoded separators and links never resolve), and
 * the path is built from the listing's values, then checked to lie inside `dir` once more.
 * Anything else is MT_ERR_NOT_FOUND, saying no more than that.
 */
export async function reportFile(dir: string, id: string, file: string): Promise<{ path: string; contentType: string; bytes: number }> {
  const notFound = () => new MailtraceError('MT_ERR_NOT_FOUND', 'no such report file');
  if (!REPORT_ID.test(id) || !REPORT_FILE.test(file)) throw notFound();
  const entry = (await listReports(dir)).find((r) => r.id === id);
  const listed = entry?.files.find((f) => f.name === file);
  if (!entry || !listed) throw notFound();
  const root = resolve(dir);
  const path = join(root, entry.id, listed.name);
  const rel = relative(root, path);
  if (rel.startsWith('..') || rel.includes(`..${sep}`) || resolve(root, rel) !== path) throw notFound();
  return { path, contentType: CONTENT_TYPES[listed.name.split('.').pop() ?? ''] ?? 'application/octet-stream', bytes: listed.bytes };
}
