import type { ReportEntry } from '../../../schemas/index.ts';
import { describeError, fetchReportFile, fetchReports } from '../api.ts';
import { fill, h, stateBox } from '../dom.ts';
import { fmtCount, fmtDateTime } from '../format.ts';
import { card, loadInto, pageHead, table } from './view-kit.ts';

/**
 * `/reports`: the reports written by the schedules of the config file or by `mailtrace report`,
 * newest first, each file a download. Files are fetched with the token (a plain link could not
 * send it) and saved through an object URL. Hooks: `tr.report-row[data-id][data-kind]`,
 * `button.report-file[data-file]`.
 */
export function renderReportsPage(root: HTMLElement, signal: AbortSignal): void {
  document.title = 'Reports · mailtrace';
  const body = h('div', { class: 'view-body' });
  fill(root, pageHead('Reports', 'Written by the schedules in the config file (reports.schedules) or by `mailtrace report`; newest first.'), body);
  void loadInto(body, 'the reports', () => fetchReports(signal), signal).then((list) => {
    if (!list) return;
    fill(body, card('Written reports', `${fmtCount(list.reports.length)} in the reports folder`,
      list.reports.length === 0
        ? stateBox('empty', 'No reports yet.', 'Add schedules to the config file, or run `mailtrace report tls-compliance --from … --to …`.')
        : table('reports', [{ label: 'Report' }, { label: 'Kind' }, { label: 'Period (UTC)' }, { label: 'Written (UTC)' }, { label: 'Files' }], list.reports.map(row))));
  });
}

function row(r: ReportEntry): HTMLTableRowElement {
  const status = h('span', { class: 'muted small report-status' });
  return h('tr', { class: 'report-row', 'data-id': r.id, 'data-kind': r.kind },
    h('td', { class: 'mono' }, r.name),
    h('td', null, h('span', { class: 'badge badge-neutral' }, r.kind)),
    h('td', { class: 'mono small nowrap' }, `${fmtDateTime(r.from)} → ${fmtDateTime(r.to)}`),
    h('td', { class: 'mono small nowrap' }, fmtDateTime(r.created)),
    h('td', null, ...r.files.map((f) => download(r.id, f.name, f.bytes, status)), status));
}

function download(id: string, name: string, bytes: number, status: HTMLElement): HTMLElement {
  const button = h('button', { type: 'button', class: 'btn btn-small report-file', 'data-file': name, title: `${fmtCount(bytes)} bytes` }, name);
  button.addEventListener('click', () => {
    fetchReportFile(id, name).then((blob) => {
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      status.textContent = '';
    }, (err: unknown) => {
      const e = describeError(err);
      status.textContent = `${e.title}: ${e.detail}`;
    });
  });
  return button;
}
