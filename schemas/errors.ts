/** Error codes that may escape a stage. HTTP status codes are chosen only in the API layer. */
export const ERROR_CODES = {
  MT_ERR_STORE_UNAVAILABLE: 'the store could not be opened or reached',
  MT_ERR_STORE_LOCKED: 'another mailtrace process owns the data directory',
  MT_ERR_QUERY_TIMEOUT: 'a query ran past its time limit',
  MT_ERR_QUERY_BUSY: 'too many queries are waiting',
  MT_ERR_QUERY_TOO_LARGE: 'the answer to a query would pass its row limit',
  MT_ERR_BAD_CONFIG: 'the configuration is invalid',
  MT_ERR_BAD_INPUT: 'an input could not be read at all',
  MT_ERR_NOT_FOUND: 'nothing matches',
  MT_ERR_UNAUTHORIZED: 'a valid token is required',
  MT_ERR_FORBIDDEN: "the token's role does not allow this",
  MT_ERR_NOTIFY: 'an alert or report could not be delivered (the mail relay or webhook refused or was unreachable)',
  MT_ERR_INTERNAL: 'an unexpected error in the server (details in its log, never in the answer)',
  MT_ERR_STREAM_UNAVAILABLE: 'the Kafka brokers could not be reached (or refused the records) within the retry time',
  MT_ERR_HTTP: 'the dashboard got an HTTP error without a mailtrace error body (a proxy, or the server went away)',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class MailtraceError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MailtraceError';
    this.code = code;
  }
}
