import { ViewQuery, type ReportKind } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { renderChart } from './charts.ts';
import { tableCsv } from './csv.ts';
import { renderHtml } from './html.ts';
import { deliveryFailures } from './kinds/delivery-failures.ts';
import { protectionCoverage } from './kinds/protection-coverage.ts';
import { tlsCompliance } from './kinds/tls-compliance.ts';
import { volumeSummary } from './kinds/volume-summary.ts';
import type { KindDefinition, Period, RenderedReport, ReportContent, ReportOptions } from './model.ts';

/**
 * Every kind of report, by name: the views it reads and the content it makes of them, joined
 * here so the registry holds one function type whatever each kind's data looks like.
 */
interface Kind {
  title: string;
  content(store: Store, period: Period, options: ReportOptions): Promise<ReportContent>;
}

function kind<D>(def: KindDefinition<D>): Kind {
  return {
    title: def.title,
    content: async (store, period, options) => {
      // the views take the same query the dashboard sends: checked here as at the API
      const q = ViewQuery.parse({ from: period.from, to: period.to });
      return def.content(await def.gather(store, q, { ...options, period }), period);
    },
  };
}

export const REPORT_KINDS: Readonly<Record<ReportKind, Kind>> = Object.freeze({
  'tls-compliance': kind(tlsCompliance),
  'delivery-failures': kind(deliveryFailures),
  'protection-coverage': kind(protectionCoverage),
  'volume-summary': kind(volumeSummary),
});

/** Render content that is already built (the pure half: no store). */
export async function renderContent(kind: ReportKind, name: string, content: ReportContent, period: Period, generated = new Date().toISOString()): Promise<RenderedReport> {
  const svgs: string[] = [];
  // one at a time: each chart is a synchronous render; nothing to gain from interleaving
  for (const spec of content.charts) svgs.push(await renderChart(spec));
  return {
    kind,
    name,
    title: content.title,
    period,
    generated,
    totals: content.totals,
    html: renderHtml(content, period, generated, svgs),
    csv: [...(content.sections ?? []).flatMap((s) => s.tables), ...content.tables].map(tableCsv),
    charts: content.charts.map((spec, i) => ({ name: `${spec.file}.svg`, svg: svgs[i] })),
    json: { kind, name, title: content.title, period, generated, data: content.data },
  };
}

/**
 * Read the views for the period and render the report in memory (nothing is written). `options`
 * carries what the config file says that a kind needs (the TLS policy): given by the caller, never
 * read here.
 */
export async function buildReport(store: Store, kind: ReportKind, period: Period, name = 'report', generated?: string, options: ReportOptions = {}): Promise<RenderedReport> {
  const content = await REPORT_KINDS[kind].content(store, period, options);
  return renderContent(kind, name, content, period, generated);
}

/**
 * The bench's hook: milliseconds to read the views and render one report (charts, HTML, CSV)
 * for a period, nothing written. bench/ times a week of the sample with it.
 */
export async function timeReport(store: Store, kind: ReportKind, from: string, to: string): Promise<number> {
  const started = performance.now();
  await buildReport(store, kind, { from, to });
  return performance.now() - started;
}
