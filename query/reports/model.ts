import type { ReportKind, TlsPolicy, ViewQuery } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';

/**
 * What a report is before it is rendered: totals, charts (as specs, drawn in charts.ts) and
 * tables, built from view data by one pure function per kind. Rendering (HTML, CSV, SVG) is the
 * same for every kind, so escaping and CSV quoting are done once.
 */
export type Cell = string | number;

export interface ReportTable {
  /** the CSV file's name without `.csv` (lower-case letters, digits, `-`) */
  file: string;
  title: string;
  columns: readonly string[];
  rows: Cell[][];
  /** said under the table's title (e.g. what was left out) */
  note?: string;
}

export interface Series {
  name: string;
  data: number[];
  color?: string;
}

/**
 * The few chart shapes the reports draw; every chart is also an SVG file of its own. Series
 * stack only when they are parts of one whole: findings may overlap (a hand-off can be weak TLS
 * and unverified), so they stand side by side.
 */
export type ChartSpec =
  /** counts per time bucket; `percent` stacks each bucket as shares of 100 */
  | { type: 'time'; file: string; title: string; x: string[]; series: Series[]; layout: 'stacked' | 'percent' | 'side-by-side' }
  | { type: 'pie'; file: string; title: string; slices: { name: string; value: number; color?: string }[] }
  /** horizontal bars per label (top routes, reasons, domains) */
  | { type: 'bars'; file: string; title: string; labels: string[]; series: Series[]; layout: 'stacked' | 'side-by-side'; unit?: string };

/** A part of a report under its own heading: a few sentences and/or tables (the TLS policy's findings). */
export interface ReportSection {
  title: string;
  /** paragraphs said under the heading, before its tables */
  text?: string[];
  tables: ReportTable[];
}

export interface ReportContent {
  title: string;
  /** the headline numbers, in order */
  totals: [label: string, value: Cell][];
  charts: ChartSpec[];
  /** shown after the charts and before `tables`; their tables are CSVs too */
  sections?: ReportSection[];
  tables: ReportTable[];
  /** the view data the report was made from (report.json) */
  data: unknown;
}

export interface Period {
  /** ISO 8601, UTC; `to` is exclusive */
  from: string;
  to: string;
}

/**
 * What a report is given besides its period: parts of the config file, parsed once by the
 * command that makes the report (cli/config.ts). A report reads no environment and no file.
 */
export interface ReportOptions {
  /** the config file's `policy` section: the TLS compliance report lists its rules' findings */
  policy?: TlsPolicy;
}

/** One kind of report: which views it reads, and what it makes of them. */
export interface KindDefinition<D> {
  title: string;
  gather(store: Store, q: ViewQuery, context: ReportOptions & { period: Period }): Promise<D>;
  content(data: D, period: Period): ReportContent;
}

/** A report rendered: what runReport writes and sendReport mails. */
export interface RenderedReport {
  kind: ReportKind;
  name: string;
  title: string;
  period: Period;
  generated: string;
  totals: [string, Cell][];
  html: string;
  csv: { name: string; text: string }[];
  charts: { name: string; svg: string }[];
  json: { kind: ReportKind; name: string; title: string; period: Period; generated: string; data: unknown };
}

/** Colours of the dashboard (dashboard/src/format.ts), so a report reads like the page it comes from. */
export const COLORS = {
  encrypted: '#1a7f37', plaintext: '#cf222e', unknown: '#8c959f',
  delivered: '#1a7f37', deferred: '#9a6700', bounced: '#cf222e', rejected: '#8250df', unknownStatus: '#59636e',
  weakTls: '#bc4c00', unverified: '#9a6700', neutral: '#0969da',
} as const;

/** Bucket starts as axis labels: hours when buckets are shorter than a day, else dates (UTC). */
export function bucketLabel(iso: string, bucketSeconds: number): string {
  return bucketSeconds < 86_400 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

export function share(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`;
}
