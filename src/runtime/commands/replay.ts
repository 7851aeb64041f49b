/**
 * `tickflow replay <capture…> [--verify] [--json]`: replays recorded captures
 * through the live decoder, book sync and normalizer (src/replay). With
 * --verify it checks sequences, resyncs, crossed books and every checkable
 * bookTicker against the local book; the exit status is 1 when that fails.
 * With --json it prints one JSON object (the ReplayReport).
 */
import { describeError } from '../../core/errors.js'
import { replayFiles, type ReplayReport } from '../../replay/replay.js'

export default function replay(opts: Record<string, unknown>, args: string[]): Promise<number> {
  const verify = opts['verify'] === true
  const json = opts['json'] === true
  let report: ReplayReport
  try {
    report = replayFiles(args, { verify })
  } catch (err) {
    process.stderr.write(`tickflow replay: ${describeError(err)}\n`)
    return Promise.resolve(1)
  }
  if (json) process.stdout.write(JSON.stringify(report) + '\n')
  else process.stdout.write(formatReport(report))
  return Promise.resolve(report.ok ? 0 : 1)
}

function formatReport(r: ReplayReport): string {
  const lines: string[] = []
  const names = Object.keys(r.symbols)
  lines.push(`replay   ${r.captures.join(' + ')}`)
  lines.push(`         ${r.market}, ${names.length} symbols, ${r.frames} frames, ${r.snapshotRecords} snapshots in ${r.elapsedMs} ms (${r.framesPerSec} frames/s)`)
  const ev = Object.entries(r.events)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  lines.push(`events   ${ev}`)
  lines.push(`decode   ${r.decodeErrors} errors (fast path ${r.decoder.fastPath}, JSON fallback ${r.decoder.fallbackPath})`)
  if (r.verified) {
    lines.push(
      `verify   ${r.ok ? 'OK' : 'FAILED'}: gaps ${r.gaps}, resyncs ${r.resyncs}, book checks ${r.bookChecks}, mismatches ${r.bookMismatches}, crossed ${r.crossedBooks}, diffs applied ${r.diffsApplied}`,
    )
  }
  for (const name of names) {
    const s = r.symbols[name]!
    lines.push(
      `  ${name.padEnd(10)} ${s.state.padEnd(16)} diffs ${s.diffsApplied}/${s.diffs} applied, gaps ${s.gaps}, resyncs ${s.resyncs}, checks ${s.bookChecks}, mismatches ${s.bookMismatches}, trades ${s.trades + s.aggTrades}, trade gaps ${s.tradeGaps}` +
        (s.bestBid !== null && s.bestAsk !== null ? `, book ${s.bestBid} / ${s.bestAsk}` : ''),
    )
  }
  for (const f of r.failures) lines.push(`FAIL     ${f}`)
  return lines.join('\n') + '\n'
}
