/**
 * The logger components receive. Structurally compatible with pino (the
 * runtime hands in a pino logger, house style 2.11); components never import
 * pino themselves. Disabled levels are no-ops chosen at configuration time,
 * so `log.debug(…)` on a hot path costs one call (guard with `isLevelEnabled`
 * before building an expensive message).
 */
export type LogFn = (objOrMsg: object | string, msg?: string) => void

export interface Logger {
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  fatal: LogFn
  child(bindings: Record<string, unknown>): Logger
  isLevelEnabled(level: string): boolean
}

function noop(): void {}

/** A logger that drops everything (tests, benchmarks, library use without logging). */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLogger,
  isLevelEnabled: () => false,
}
