/**
 * One batcher for every sink (store writer, Kafka producer): collects items and hands them to
 * `flush` in batches of at most `maxItems`, or after `maxDelayMs` since the first buffered item.
 * At most one flush runs at a time; `add` applies backpressure by returning the pending flush when
 * the queue is full, so a fast producer waits instead of growing memory without bound.
 * The delay timer is unref'd: the owner calls `drain()` or `close()` before it is done; items still
 * buffered when a process ends without that are lost, never waited for by the event loop.
 */
export interface BatcherOptions<T> {
  maxItems: number;
  maxDelayMs: number;
  flush: (batch: T[]) => Promise<void>;
}

export class Batcher<T> {
  readonly #opts: BatcherOptions<T>;
  #buffer: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;
  #error: unknown;
  #flushedItems = 0;

  constructor(opts: BatcherOptions<T>) {
    this.#opts = opts;
  }

  get flushedItems(): number {
    return this.#flushedItems;
  }

  /** Buffer one item. Resolves at once unless a full batch had to wait for the previous flush. */
  add(item: T): Promise<void> | undefined {
    if (this.#closed) throw new Error('batcher is closed');
    if (this.#error) throw this.#error;
    this.#buffer.push(item);
    if (this.#buffer.length >= this.#opts.maxItems) {
      // Wait for the flush before this one, not for this one: the producer fills the next batch
      // while the store writes this one (one batch written, one filling: memory stays bounded).
      const previous = this.#inFlight;
      void this.#startFlush().catch(() => {});
      return previous;
    }
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.#startFlush().catch(() => {}), this.#opts.maxDelayMs);
      // the owner drains or closes before it exits; a buffered item alone must not keep the process alive
      this.#timer.unref();
    }
    return undefined;
  }

  /** Flush what is buffered and wait until every flush so far is done. */
  async drain(): Promise<void> {
    await this.#startFlush();
    if (this.#error) throw this.#error;
  }

  /** Flush the rest exactly once; later calls return the same promise. */
  close(): Promise<void> {
    this.#closed ??= this.drain();
    return this.#closed;
  }

  #startFlush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#buffer.length === 0) return this.#inFlight;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#inFlight = this.#inFlight.then(async () => {
      if (this.#error) return;
      try {
        await this.#opts.flush(batch);
        this.#flushedItems += batch.length;
      } catch (err) {
        this.#error = err;
        throw err;
      }
    });
    return this.#inFlight;
  }
}
