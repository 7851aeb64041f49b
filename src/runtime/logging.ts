/**
 * Logging with pino: JSON lines when stdout is not a terminal (or format:
 * json), a compact human format on a terminal. The human format is a small
 * Writable that reformats pino's JSON (cold path: logs are rare events, the
 * hot path never logs per message), and it clears the live status line
 * before writing so the two never interleave.
 */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { Logger } from '../core/logger.js'

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' }
const COLORS: Record<number, string> = { 10: '\x1b[90m', 20: '\x1b[36m', 30: '\x1b[32m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[35m' }
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v'])

/** Formats one pino JSON line for a terminal. */
export function formatPretty(line: string, color: boolean): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  const level = typeof o.level === 'number' ? o.level : 30
  const t = new Date(typeof o.time === 'number' ? o.time : Date.now()).toISOString().slice(11, 23)
  const parts: string[] = []
  for (const [k, v] of Object.entries(o)) {
    if (OMIT.has(k)) continue
    parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
  }
  const lvl = color ? `${COLORS[level] ?? ''}${LEVELS[level] ?? level}\x1b[0m` : (LEVELS[level] ?? String(level))
  return `${t} ${lvl} ${String(o.msg ?? '')}${parts.length > 0 ? '  ' + parts.join(' ') : ''}\n`
}

/** Hook the status line registers so log lines first clear it. */
let beforeWrite: (() => void) | null = null
export function setBeforeLogWrite(fn: (() => void) | null): void {
  beforeWrite = fn
}

class PrettyStream extends Writable {
  private pending = ''
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly color: boolean,
  ) {
    super()
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending += chunk.toString('utf8')
    let nl = this.pending.indexOf('\n')
    let text = ''
    while (nl >= 0) {
      text += formatPretty(this.pending.slice(0, nl), this.color)
      this.pending = this.pending.slice(nl + 1)
      nl = this.pending.indexOf('\n')
    }
    if (text !== '') {
      beforeWrite?.()
      this.out.write(text)
    }
    cb()
  }
}

export interface LoggingOptions {
  level: string
  format: 'auto' | 'json' | 'pretty'
  /** default process.stdout */
  stream?: NodeJS.WriteStream
  /** values that must never appear in logs (configured secrets): replaced by [redacted] */
  secrets?: readonly string[]
}

/** Redacts configured secrets from every log line (defence in depth: secrets are never logged on purpose). */
class RedactStream extends Writable {
  constructor(
    private readonly next: NodeJS.WritableStream,
    private readonly secrets: readonly string[],
  ) {
    super()
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let s = chunk.toString('utf8')
    for (const secret of this.secrets) if (secret.length >= 6) s = s.split(secret).join('[redacted]')
    this.next.write(s)
    cb()
  }
}

export function createLogger(options: LoggingOptions): Logger {
  const out = options.stream ?? process.stdout
  const pretty = options.format === 'pretty' || (options.format === 'auto' && out.isTTY === true)
  let dest: NodeJS.WritableStream = pretty ? new PrettyStream(out, out.isTTY === true) : out
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6)
  if (secrets.length > 0) dest = new RedactStream(dest, secrets)
  return pino({ level: options.level, base: { pid: process.pid } }, dest as unknown as pino.DestinationStream) as unknown as Logger
}
