/**
 * `tickflow replay <file…> [--verify] [--json]`, two kinds of input told
 * apart by content (magic bytes), not by extension:
 *
 * - a run recording (`.tfrec`, from `tickflow run --record`): replayed
 *   through a fresh merger and dispatcher (src/runtime/recording-replay.ts).
 *   With --verify every event must get the recorded seq, source, kind,
 *   instrument and venue sequence (the live interleaving); exit 1 otherwise.
 * - recorded captures: replayed through the live decoder, book sync and
 *   normalizer (src/replay). With --verify it checks sequences, resyncs,
 *   crossed books and every checkable bookTicker against the local book; the
 *   exit status is 1 when that fails.
 *
 * With --json it prints one JSON object (the report).
 */
import { describeError } from '../../core/errors.js'
import { isRecordingFile } from '../../replay/recording-reader.js'
import { replayFiles, type ReplayReport } from '../../replay/replay.js'
import { replayRecording, type RecordingReplayReport } from '../recording-replay.js'

export default function replay(opts: Record<string, unknown>, args: string[]): Promise<number> {
  const verify = opts['verify'] === true
  const json = opts['json'] === true
  const recordings = args.filter((f) => isRecordingFile(f))
  if (recordings.length > 0) {
    if (args.length > 1) {
      process.stderr.write('tickflow replay: a run recording is replayed on its own (one .tfrec file, no captures)\n')
      return Promise.resolve(2)
    }
    return replayRecordingCommand(args[0]!, verify, json)
  }
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

async function replayRecordingCommand(file: string, verify: boolean, json: boolean): Promise<number> {
  let report: RecordingReplayReport
  try {
    report = await replayRecording(file, { verify })
  } catch (err) {
    process.stderr.write(`tickflow replay: ${describeError(err)}\n`)
    return 1
  }
  if (json) process.stdout.write(JSON.stringify(report) + '\n')
  else process.stdout.write(formatRecordingReport(report))
  return report.ok ? 0 : 1
}

function formatRecordingReport(r: RecordingReplayReport): string {
  const lines: string[] = []
  lines.push(`replay   ${r.file} (run recording v${r.version}, ${r.ordering} order${r.closed ? '' : ', NOT CLOSED: replayed up to its last complete block'})`)
  lines.push(`         ${r.blocks} blocks, ${r.recordedEvents} events (${r.inputEvents} inputs, ${r.recordedBbo} bbo) in ${r.elapsedMs} ms (${r.eventsPerSec} events/s), last seq ${r.lastSeq}, seq gaps ${r.seqGaps}`)
  const ev = Object.entries(r.events)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  lines.push(`events   ${ev}`)
  lines.push(`sources  ${r.sources.map((s) => `${s.id}:${s.name} ${s.events}`).join(', ')}`)
  if (r.verified) lines.push(`verify   ${r.ok ? 'OK' : 'FAILED'}: ${r.published} events published, ${r.mismatches} mismatches`)
  for (const m of r.mismatchSamples) lines.push(`FAIL     offset ${m.offset}: expected ${m.expected}, got ${m.actual}`)
  return lines.join('\n') + '\n'
}
