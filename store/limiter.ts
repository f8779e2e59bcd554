import { MailtraceError } from '../schemas/index.ts';

/**
 * Bounds concurrent work and queue length. The embedded engine runs one parameterized query at a
 * time and cannot truly cancel, so the API must not pile up work behind a slow query: past
 * `maxQueued` waiting callers a query is refused at once (MT_ERR_QUERY_BUSY), and a query that
 * does not finish within `timeoutMs` is reported as timed out to its caller.
 */
export class Limiter {
  readonly #max: number;
  readonly #maxQueued: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number, maxQueued = max * 16) {
    this.#max = max;
    this.#maxQueued = maxQueued;
  }

  async run<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
    if (this.#running >= this.#max) {
      if (this.#waiting.length >= this.#maxQueued) throw new MailtraceError('MT_ERR_QUERY_BUSY', 'too many queries are waiting; try again');
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    const ctrl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ctrl.abort();
        reject(new MailtraceError('MT_ERR_QUERY_TIMEOUT', `query exceeded ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([work(ctrl.signal), timeout]);
    } finally {
      clearTimeout(timer);
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
