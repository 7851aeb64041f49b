/**
 * Coded errors. Every error tickflow raises on purpose carries a stable `code`
 * (like undici's `UND_ERR_*` or fastify's `FST_ERR_*`); messages may change,
 * codes do not. The registry below is the one place codes are declared, so a
 * user can switch on `err.code` and a test can assert it.
 *
 * Expected runtime outcomes on the hot path (pool exhausted, queue full, a
 * malformed frame) are NOT thrown: they are return values and counters. These
 * errors are for boundaries (config, API arguments), async control flow
 * (acquire timeouts, aborted connects) and invariant violations.
 */

export const ErrorCode = {
  // pools
  POOL_TIMEOUT: 'POOL_TIMEOUT',
  POOL_SHUTDOWN: 'POOL_SHUTDOWN',
  POOL_DOUBLE_RELEASE: 'POOL_DOUBLE_RELEASE',
  POOL_FOREIGN_OBJECT: 'POOL_FOREIGN_OBJECT',
  POOL_USE_AFTER_RELEASE: 'POOL_USE_AFTER_RELEASE',
  POOL_DUPLICATE_NAME: 'POOL_DUPLICATE_NAME',
  // exact decimals
  DECIMAL_SYNTAX: 'DECIMAL_SYNTAX',
  DECIMAL_PRECISION: 'DECIMAL_PRECISION',
  DECIMAL_RANGE: 'DECIMAL_RANGE',
  DECIMAL_SCALE: 'DECIMAL_SCALE',
  DECIMAL_NOT_ON_STEP: 'DECIMAL_NOT_ON_STEP',
  // decoding venue data
  DECODE_MALFORMED: 'DECODE_MALFORMED',
  DECODE_UNKNOWN_SYMBOL: 'DECODE_UNKNOWN_SYMBOL',
  DECODE_OVERSIZE: 'DECODE_OVERSIZE',
  DECODE_INVALID_UTF8: 'DECODE_INVALID_UTF8',
  DECODE_BAD_NUMBER: 'DECODE_BAD_NUMBER',
  DECODE_UNSUPPORTED: 'DECODE_UNSUPPORTED',
  // transport
  WS_CONNECT_FAILED: 'WS_CONNECT_FAILED',
  WS_HANDSHAKE_TIMEOUT: 'WS_HANDSHAKE_TIMEOUT',
  WS_CLOSED: 'WS_CLOSED',
  WS_ABORTED: 'WS_ABORTED',
  WS_NOT_OPEN: 'WS_NOT_OPEN',
  WS_PONG_TIMEOUT: 'WS_PONG_TIMEOUT',
  WS_STALE: 'WS_STALE',
  WS_QUEUE_FULL: 'WS_QUEUE_FULL',
  // venues
  VENUE_HTTP: 'VENUE_HTTP',
  VENUE_RATE_LIMITED: 'VENUE_RATE_LIMITED',
  VENUE_BANNED: 'VENUE_BANNED',
  VENUE_REJECTED: 'VENUE_REJECTED',
  VENUE_TIMEOUT: 'VENUE_TIMEOUT',
  VENUE_SUBSCRIBE_FAILED: 'VENUE_SUBSCRIBE_FAILED',
  BOOK_RESYNC_FAILED: 'BOOK_RESYNC_FAILED',
  // config and CLI
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_NOT_FOUND: 'CONFIG_NOT_FOUND',
  STRATEGY_LOAD: 'STRATEGY_LOAD',
  STRATEGY_THREW: 'STRATEGY_THREW',
  /** a dispatcher subscription that cannot be honoured (bad kinds, policy, capacity) */
  SUBSCRIBE_INVALID: 'SUBSCRIBE_INVALID',
  // orders
  ORDER_INVALID: 'ORDER_INVALID',
  ORDER_RISK_DENIED: 'ORDER_RISK_DENIED',
  ORDER_UNKNOWN_ID: 'ORDER_UNKNOWN_ID',
  ORDER_INTAKE_CLOSED: 'ORDER_INTAKE_CLOSED',
  JOURNAL: 'JOURNAL',
  JOURNAL_NOT_FOUND: 'JOURNAL_NOT_FOUND',
  // engine
  ENGINE_STATE: 'ENGINE_STATE',
  INVARIANT: 'INVARIANT',
  REPLAY_FORMAT: 'REPLAY_FORMAT',
  /** a run recording could not be created or written (disk full, permissions) */
  RECORDING_IO: 'RECORDING_IO',
} as const

export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode]

/** The one error class tickflow throws on purpose. `code` is stable; `details` is structured context. */
export class TickflowError extends Error {
  readonly code: ErrorCodeName
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(code: ErrorCodeName, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TickflowError'
    this.code = code
    this.details = options?.details
  }
}

/** True when `err` is a TickflowError with the given code (or any code when omitted). */
export function isTickflowError(err: unknown, code?: ErrorCodeName): err is TickflowError {
  return err instanceof TickflowError && (code === undefined || err.code === code)
}

/**
 * Internal invariant: our bug, not the caller's. Throws a coded error whose
 * message starts with `Invariant:` (house style 2.8).
 */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new TickflowError(ErrorCode.INVARIANT, `Invariant: ${message}`)
}

/** Short, single-line description of any thrown value, for logs and counters. */
export function describeError(err: unknown): string {
  if (err instanceof TickflowError) return `${err.code}: ${err.message}`
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}
