/**
 * Shared by `tickflow orders` and `tickflow fills`: option parsing (journal
 * path, filters, time bounds) and table/JSON output.
 */
import { ErrorCode, TickflowError, isTickflowError } from '../../core/errors.js'
import { JournalReader, type JournalFilter } from '../../journal/queries.js'

/** Default journal file when neither --journal nor the config names one. */
export const DEFAULT_JOURNAL = './tickflow-journal.sqlite'

/** Parses an ISO 8601 time or epoch milliseconds into epoch µs. Throws CONFIG_INVALID. */
export function parseTimeUs(text: string, what: string): number {
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10) * 1000
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw new TickflowError(ErrorCode.CONFIG_INVALID, `${what}: expected ISO 8601 or epoch ms, got "${text}"`)
  return ms * 1000
}

export function filterFromOptions(opts: Record<string, unknown>): JournalFilter {
  const f: JournalFilter = {}
  if (typeof opts.strategy === 'string') f.strategy = opts.strategy
  if (typeof opts.instrument === 'string') f.instrument = opts.instrument
  if (typeof opts.since === 'string') f.sinceUs = parseTimeUs(opts.since, '--since')
  if (typeof opts.until === 'string') f.untilUs = parseTimeUs(opts.until, '--until')
  if (typeof opts.limit === 'number') f.limit = Math.floor(opts.limit)
  return f
}

/** Formats epoch µs as ISO 8601 with milliseconds. */
export function isoUs(us: number): string {
  return us > 0 ? new Date(Math.floor(us / 1000)).toISOString() : ''
}

/** A plain aligned text table. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n'
}

/**
 * Runs a listing: opens the journal read-only, applies the filter, prints.
 * Exit codes: 0 ok, 1 journal missing/unreadable (coded message on stderr), 2 bad option.
 */
export function runListing(opts: Record<string, unknown>, list: (reader: JournalReader, filter: JournalFilter) => { json: unknown; table: string }): number {
  let filter: JournalFilter
  try {
    filter = filterFromOptions(opts)
  } catch (err) {
    process.stderr.write(`tickflow: ${isTickflowError(err) ? `${err.code}: ${err.message}` : String(err)}\n`)
    return 2
  }
  const path = typeof opts.journal === 'string' ? opts.journal : DEFAULT_JOURNAL
  let reader: JournalReader
  try {
    reader = new JournalReader(path)
  } catch (err) {
    process.stderr.write(`tickflow: ${isTickflowError(err) ? `${err.code}: ${err.message}` : String(err)}\n`)
    return 1
  }
  try {
    const out = list(reader, filter)
    process.stdout.write(opts.json === true ? JSON.stringify(out.json, null, 2) + '\n' : out.table)
    return 0
  } finally {
    reader.close()
  }
}
