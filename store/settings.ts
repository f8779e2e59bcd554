import type { ClickHouseSettings } from '@clickhouse/client';
import { MailtraceError } from '../schemas/index.ts';

/**
 * The engine's own limits on a statement. The engine, not the JS deadline, is what stops a runaway
 * read (TIMEOUT_EXCEEDED at its time limit, TOO_MANY_ROWS_OR_BYTES past its row limit) and so
 * frees its limiter slot: the embedded engine cannot be interrupted from JS.
 */
export interface StatementLimits {
  timeoutMs: number;
  /** 0: no bound */
  maxRows: number;
}

/** Reads: stopped at their deadline (whole seconds, rounded up) and past their row limit. */
export function readSettings(limits: StatementLimits): ClickHouseSettings {
  return { max_execution_time: Math.ceil(limits.timeoutMs / 1000), timeout_overflow_mode: 'throw', max_result_rows: String(limits.maxRows), result_overflow_mode: 'throw' };
}

/** Writes run to the end once started: a write cut halfway leaves some of its parts behind. */
export const WRITE_SETTINGS: ClickHouseSettings = { max_execution_time: 0, timeout_overflow_mode: 'throw', max_result_rows: '0', result_overflow_mode: 'throw' };

/**
 * What to send with a statement. A server takes settings per request, so each request names them
 * all. The embedded session turns them into SETs that stay for every statement after (so every
 * statement must have its limits set, a write's included), and each SET costs about a third of a
 * millisecond: only what differs from the session's current values is sent. Statements run one at a
 * time there (the store's limiter), so the values last sent are the session's.
 */
export class SessionSettings {
  readonly #sticky: boolean;
  #current: ClickHouseSettings = {};

  constructor(sticky: boolean) {
    this.#sticky = sticky;
  }

  /** Call as the statement is handed to the engine. */
  toSend(wanted: ClickHouseSettings): ClickHouseSettings {
    if (!this.#sticky) return wanted;
    const send: ClickHouseSettings = {};
    for (const [name, value] of Object.entries(wanted) as [keyof ClickHouseSettings, unknown][]) {
      if (this.#current[name] !== value) Object.assign(send, { [name]: value });
    }
    this.#current = { ...this.#current, ...wanted };
    return send;
  }

  /** After a failed statement its SETs may or may not have run: the next one sends everything. */
  forget(): void {
    this.#current = {};
  }
}

/** The engine's refusals that are limits we set, as the catalogue's codes; anything else unchanged. */
export function limitError(err: unknown, limits: StatementLimits): unknown {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (code === '159') return new MailtraceError('MT_ERR_QUERY_TIMEOUT', `query exceeded ${limits.timeoutMs} ms (stopped by the engine)`, { cause: err });
  if (code === '396') return new MailtraceError('MT_ERR_QUERY_TOO_LARGE', `the answer would exceed ${limits.maxRows} rows; narrow the request`, { cause: err });
  return err;
}
