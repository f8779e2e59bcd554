import { MailtraceError } from '../schemas/index.ts';

/**
 * Bounds concurrent work and queue length. The embedded engine runs one statement at a time and
 * cannot be interrupted from JS, so the API must not pile up work behind a slow query:
 *
 * - past `maxQueued` waiting callers a piece of work is refused at once (MT_ERR_QUERY_BUSY);
 * - a caller whose work has not finished `timeoutMs` after `run` was called hears
 *   MT_ERR_QUERY_TIMEOUT then, whether its work was still waiting (it is dropped and never starts)
 *   or running (its signal is aborted and the work is abandoned);
 * - abandoned work keeps its slot until it settles: at most `max` pieces of work are ever
 *   running, abandoned ones included. Work must settle only when it has really stopped; whatever
 *   bounds its length (the engine's own time limit, for a query) is what frees the slot.
 */
export class Limiter {
  readonly #max: number;
  readonly #maxQueued: number;
  #running = 0;
  #abandoned = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number, maxQueued = max * 16) {
    this.#max = max;
    this.#maxQueued = maxQueued;
  }

  /** Pieces of work started and not yet settled, abandoned ones included (never more than `max`). */
  get running(): number {
    return this.#running;
  }

  /** Of the running ones, those whose caller has already been told they timed out. */
  get abandoned(): number {
    return this.#abandoned;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * `shed`: work that may be refused when too much is waiting (the API's reads). The store's own
   * work (ingest writes, stitching) is never refused for the queue's length: it queues in the same
   * order as everything else, so reads and writes take turns.
   */
  run<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number, shed = true): Promise<T> {
    if (shed && this.#running >= this.#max && this.#waiting.length >= this.#maxQueued) {
      return Promise.reject(new MailtraceError('MT_ERR_QUERY_BUSY', 'too many queries are waiting; try again'));
    }
    return new Promise<T>((resolve, reject) => {
      const ctrl = new AbortController();
      let answered = false;
      let started = false;
      const start = (): void => {
        started = true;
        this.#running++;
        let settling: Promise<T>;
        try {
          settling = work(ctrl.signal);
        } catch (err) {
          settling = Promise.reject(err);
        }
        settling.then(
          (value) => { if (!answered) { answered = true; clearTimeout(deadline); resolve(value); } },
          (err: unknown) => { if (!answered) { answered = true; clearTimeout(deadline); reject(err); } },
        ).finally(() => {
          this.#running--;
          if (ctrl.signal.aborted) this.#abandoned--;
          this.#startWaiting();
        });
      };
      const deadline = setTimeout(() => {
        if (answered) return;
        answered = true;
        if (started) {
          this.#abandoned++;
          ctrl.abort();
          reject(new MailtraceError('MT_ERR_QUERY_TIMEOUT', `query exceeded ${timeoutMs} ms`));
        } else {
          this.#waiting.splice(this.#waiting.indexOf(start), 1);
          reject(new MailtraceError('MT_ERR_QUERY_TIMEOUT', `query waited ${timeoutMs} ms for the store, busy with earlier work, and did not start`));
        }
      }, timeoutMs);
      // a caller's deadline alone must not keep the process alive
      deadline.unref();
      if (this.#running < this.#max) start();
      else this.#waiting.push(start);
    });
  }

  #startWaiting(): void {
    while (this.#running < this.#max && this.#waiting.length > 0) this.#waiting.shift()!();
  }
}
