/**
 * Counters, gauges and timing summaries for operators, rendered in the Prometheus text exposition
 * format (version 0.0.4: `# HELP`, `# TYPE`, `name{label="value"} number`). The sink and the
 * follow loop record into one registry; `serve` and `sink` answer GET /metrics with render().
 * Rates (events per second) are the scraper's: counters only grow.
 */
type Labels = Readonly<Record<string, string>>;
type Kind = 'counter' | 'gauge' | 'summary';

interface Family { help: string; kind: Kind; values: Map<string, { labels: Labels; value: number; sum?: number }> }

export class Metrics {
  readonly #families = new Map<string, Family>();

  #family(name: string, help: string, kind: Kind): Family {
    let f = this.#families.get(name);
    if (!f) {
      f = { help, kind, values: new Map() };
      this.#families.set(name, f);
    }
    return f;
  }

  #slot(f: Family, labels: Labels): { labels: Labels; value: number; sum?: number } {
    const key = JSON.stringify(labels);
    let v = f.values.get(key);
    if (!v) {
      v = { labels, value: 0 };
      f.values.set(key, v);
    }
    return v;
  }

  /** add to a counter (it only grows) */
  count(name: string, help: string, by = 1, labels: Labels = {}): void {
    this.#slot(this.#family(name, help, 'counter'), labels).value += by;
  }

  /** set a gauge */
  set(name: string, help: string, value: number, labels: Labels = {}): void {
    this.#slot(this.#family(name, help, 'gauge'), labels).value = value;
  }

  /** drop a gauge's labelled values (partitions a sink no longer owns, files no longer followed) */
  clear(name: string): void {
    this.#families.get(name)?.values.clear();
  }

  /** one observation of a duration in seconds (a summary: _count and _sum) */
  observe(name: string, help: string, seconds: number, labels: Labels = {}): void {
    const s = this.#slot(this.#family(name, help, 'summary'), labels);
    s.value += 1;
    s.sum = (s.sum ?? 0) + seconds;
  }

  render(): string {
    let out = '';
    for (const [name, f] of this.#families) {
      out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.kind}\n`;
      for (const v of f.values.values()) {
        const labels = labelText(v.labels);
        if (f.kind === 'summary') out += `${name}_count${labels} ${v.value}\n${name}_sum${labels} ${v.sum ?? 0}\n`;
        else out += `${name}${labels} ${v.value}\n`;
      }
    }
    return out;
  }
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** The metric names, written once (the README's list is pinned against them by test/cli/catalogue.test.ts). */
export const METRIC = {
  eventsIn: ['mailtrace_events_in_total', 'events read: parsed by this ingestor or consumed by this sink'],
  eventsStored: ['mailtrace_events_stored_total', 'events written to the store'],
  rejected: ['mailtrace_rejected_lines_total', 'input lines kept aside with a reason'],
  deadLetters: ['mailtrace_dead_letters_total', 'stream records set aside in the dead-letter topic, by reason'],
  storeWrite: ['mailtrace_store_write_seconds', 'time to write one batch to the store'],
  stitch: ['mailtrace_stitch_seconds', 'time to stitch the messages one batch touched'],
  lag: ['mailtrace_consumer_lag', 'records behind the end of each partition this sink owns, at its last batch'],
  followFiles: ['mailtrace_follow_files', 'files followed'],
  followBytes: ['mailtrace_follow_read_bytes', 'bytes of each followed file read up to the last cycle'],
  followCycles: ['mailtrace_follow_cycles_total', 'follow cycles that read something'],
} as const satisfies Record<string, readonly [string, string]>;
