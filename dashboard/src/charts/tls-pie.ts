import type { Summary } from '../../../schemas/index.ts';
import { fmtCount, TLS_COLOR, TLS_ORDER } from '../format.ts';
import { FONT, TOOLTIP_STYLE, type ChartOption } from './setup.ts';

/** Donut of hops by TLS state for the summary card; its legend is HTML next to it. */
export function tlsPieOption(hops: Summary['hopsByTls']): ChartOption {
  return {
    animation: false,
    textStyle: { fontFamily: FONT },
    tooltip: { ...TOOLTIP_STYLE, trigger: 'item', formatter: (p) => { const x = Array.isArray(p) ? p[0] : p; return `${x?.name ?? ''}: ${fmtCount(Number(x?.value ?? 0))} (${x?.percent ?? 0}%)`; } },
    series: [{
      type: 'pie',
      radius: ['55%', '90%'],
      center: ['50%', '50%'],
      label: { show: false },
      labelLine: { show: false },
      itemStyle: { borderColor: '#fff', borderWidth: 1 },
      data: TLS_ORDER.map((k) => ({ name: k, value: hops[k] ?? 0, itemStyle: { color: TLS_COLOR[k] } })),
    }],
  };
}
