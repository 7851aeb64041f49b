/**
 * Run recording end to end: a live engine with TWO embedded simulator venues
 * records every merged event; a sync subscriber captures, live, each event's
 * (seq, source, kind, instrument, venue sequence). Replaying the recording
 * must publish the identical sequence (the exact interleaving of the two
 * venues, the consolidated BBO re-derived), `tickflow replay --verify --json`
 * must report 0 mismatches and exit 0, a strategy driven by replayRecording
 * must see what it saw live, and a corrupted or truncated file must fail with
 * REPLAY_FORMAT naming the offset.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createEngine } from '../../../src/runtime/engine.js'
import { replayRecording } from '../../../src/runtime/recording-replay.js'
import { EventKind, type ReadonlyMergedEvent } from '../../../src/model/events.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'
import type { Strategy, StrategyContext } from '../../../src/strategy/strategy.js'
import { readRecording } from '../../../src/replay/recording-reader.js'
import { CLI } from '../../helpers/paths.js'
import { eventually } from '../../helpers/eventually.js'

function key(m: ReadonlyMergedEvent): string {
  const ev = m.event!
  const id = m.kind === EventKind.Bbo ? `c${m.canonicalId}` : String(m.instrumentId)
  return `${m.seq}|${m.sourceId}|${m.kind}|${id}|${ev.venueSeq}`
}

/** A strategy that writes down what it sees (and what its context answers). */
class Spy implements Strategy {
  readonly seen: string[] = []
  submitCode = ''
  booksSeen = 0
  onTrade(ev: { instrumentId: number; venueSeq: number; priceM: number }, _ctx: StrategyContext, m: ReadonlyMergedEvent): void {
    this.seen.push(`T${m.seq}:${ev.instrumentId}:${ev.venueSeq}:${ev.priceM}`)
  }
  onQuote(ev: { instrumentId: number; bidPxM: number; askPxM: number }, _ctx: StrategyContext, m: ReadonlyMergedEvent): void {
    this.seen.push(`Q${m.seq}:${ev.instrumentId}:${ev.bidPxM}:${ev.askPxM}`)
  }
  onBook(ev: { instrumentId: number; venueSeq: number }, ctx: StrategyContext, m: ReadonlyMergedEvent): void {
    const b = ctx.book(ev.instrumentId)
    if (b !== null) this.booksSeen++
    this.seen.push(`B${m.seq}:${ev.instrumentId}:${ev.venueSeq}:${b === null ? '-' : `${b.bestBidPx()}/${b.bestAskPx()}`}`)
  }
  onBbo(ev: { bidPxM: number; askPxM: number; bidVenueId: number; askVenueId: number }, _ctx: StrategyContext, m: ReadonlyMergedEvent): void {
    this.seen.push(`O${m.seq}:${m.canonicalId}:${ev.bidPxM}@${ev.bidVenueId}/${ev.askPxM}@${ev.askVenueId}`)
  }
  onStop(ctx: StrategyContext): void {
    const r = ctx.submit({ instrumentId: 1, side: 1, priceM: 1, qtyM: 1 })
    this.submitCode = typeof r === 'string' ? 'accepted' : r.code
  }
}

test('a two-venue live run is recorded and replays with the identical interleaving', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rec-'))
  const rec = path.join(dir, 'run.tfrec')
  const live: string[] = []
  const liveSources = new Set<number>()
  const spy = new Spy()
  const engine = createEngine(
    {
      venues: [
        { name: 'a', type: 'simulator', symbols: ['BTCUSDT'], streams: ['trade', 'bookTicker', 'depth'], trading: false },
        { name: 'b', type: 'simulator', symbols: ['BTCUSDT', 'ETHUSDT'], streams: ['trade', 'bookTicker', 'depth'], trading: false },
      ],
      metrics: { enabled: false },
      journal: { path: path.join(dir, 'journal.sqlite') },
      recording: { path: rec, blockKiB: 16 },
    },
    { strategies: [{ name: 'spy', strategy: spy as unknown as Strategy, cancelOnExit: false }], poolDebug: true, simulator: { timing: { stepMs: 2 } } },
  )
  const kinds = [EventKind.Trade, EventKind.Quote, EventKind.BookDelta, EventKind.Bar, EventKind.BookInvalidated, EventKind.BookResynced, EventKind.TradeGap, EventKind.Bbo]
  engine.dispatcher.subscribeSync({
    name: 'live-capture',
    kinds,
    instruments: 'all',
    handler: {
      onEvent(m) {
        live.push(key(m))
        if (m.kind !== EventKind.Bbo) liveSources.add(m.sourceId)
      },
    },
  })
  try {
    try {
      await engine.start()
      assert.ok(engine.recorder !== null, 'recording configured')
      // Enough traffic that both venues interleave and several blocks are written.
      await eventually(() => {
        assert.ok(live.length >= 3000, `events ${live.length}`)
        assert.equal(liveSources.size, 2)
        assert.ok(engine.recorder!.stats().blocks >= 2)
      }, 30_000, 20)
    } finally {
      const result = await engine.close()
      assert.deepEqual(result.pools.unreturned, {}, JSON.stringify(result.pools.sites ?? {}))
      assert.equal(result.clean, true, result.errors.join('; '))
    }
    const st = engine.recorder!.stats()
    assert.equal(st.lost, 0)
    assert.equal(st.events, live.length, 'every published event recorded')

    // Interleaving check: the two venues really alternate in the live sequence.
    const sourcesInOrder = live.filter((k) => k.split('|')[2] !== String(EventKind.Bbo)).map((k) => k.split('|')[1])
    let switches = 0
    for (let i = 1; i < sourcesInOrder.length; i++) if (sourcesInOrder[i] !== sourcesInOrder[i - 1]) switches++
    assert.ok(switches >= 10, `venue switches ${switches}`)

    // Replay: identical sequence, same strategy view.
    const replayed: string[] = []
    const spy2 = new Spy()
    const report = await replayRecording(rec, { verify: true, onEvent: (m) => replayed.push(key(m)), strategies: [{ name: 'spy', strategy: spy2 as unknown as Strategy }] })
    assert.equal(report.mismatches, 0, JSON.stringify(report.mismatchSamples))
    assert.equal(report.ok, true)
    assert.equal(report.closed, true)
    assert.equal(report.seqGaps, 0)
    assert.deepEqual(replayed, live)
    assert.ok(report.recordedBbo > 0, 'consolidated BBO events recorded and re-derived')
    assert.deepEqual(report.sources.map((s) => s.name), ['a', 'b'])
    assert.ok(spy.seen.length > 1000)
    // Live, strategies start after the venues connected, so they miss the first events; from the
    // first event the live strategy saw, the replayed one sees exactly the same.
    const first = spy2.seen.indexOf(spy.seen[0]!)
    assert.ok(first >= 0 && first < 500, `first live event at ${first}`)
    assert.deepEqual(spy2.seen.slice(first), spy.seen, 'the strategy sees the same events in the same order')
    assert.ok(spy2.booksSeen > 0, 'books rebuilt in replay')
    assert.equal(spy2.submitCode, ErrorCode.ORDER_INTAKE_CLOSED)

    // The CLI: content detection, --verify --json, exit 0.
    const cli = spawnSync(process.execPath, [CLI, 'replay', rec, '--verify', '--json'], { encoding: 'utf8' })
    assert.equal(cli.status, 0, cli.stderr)
    const out = JSON.parse(cli.stdout) as { format: string; mismatches: number; recordedEvents: number; verified: boolean; ok: boolean }
    assert.equal(out.format, 'tfrec')
    assert.equal(out.verified, true)
    assert.equal(out.mismatches, 0)
    assert.equal(out.recordedEvents, live.length)

    // Corruption: one flipped byte in the middle of a block payload.
    const bytes = readFileSync(rec)
    const bad = Buffer.from(bytes)
    const mid = Math.floor(bad.length / 2)
    bad[mid] = bad[mid]! ^ 0xff
    const corrupt = path.join(dir, 'corrupt.tfrec')
    writeFileSync(corrupt, bad)
    await assert.rejects(replayRecording(corrupt, { verify: true }), (err: unknown) => {
      assert.ok(isTickflowError(err, ErrorCode.REPLAY_FORMAT), String(err))
      assert.match(err.message, /offset \d+: corrupt/)
      assert.equal(typeof err.details?.['offset'], 'number')
      return true
    })
    const cliBad = spawnSync(process.execPath, [CLI, 'replay', corrupt, '--verify', '--json'], { encoding: 'utf8' })
    assert.equal(cliBad.status, 1)
    assert.match(cliBad.stderr, /REPLAY_FORMAT: .*offset \d+/)

    // Truncation: cut in the middle of a block, and cut exactly at a block boundary (no end record).
    const truncated = path.join(dir, 'truncated.tfrec')
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 1000))
    await assert.rejects(replayRecording(truncated), (err: unknown) => {
      assert.ok(isTickflowError(err, ErrorCode.REPLAY_FORMAT), String(err))
      assert.match(err.message, /offset \d+: truncated/)
      return true
    })
    // With allowUnclosed, a killed run's recording replays up to its last complete block.
    const partial = await replayRecording(truncated, { allowUnclosed: true, verify: true })
    assert.equal(partial.closed, false)
    assert.equal(partial.mismatches, 0)
    assert.ok(partial.recordedEvents > 0 && partial.recordedEvents < live.length)
    const reader = readRecording(rec)
    let blockEnd = 32
    let lastBlockStart = 32
    while (blockEnd < bytes.length) {
      lastBlockStart = blockEnd
      blockEnd += 24 + bytes.readUInt32LE(blockEnd + 4)
    }
    assert.equal(blockEnd, bytes.length)
    const atBoundary = path.join(dir, 'boundary.tfrec')
    writeFileSync(atBoundary, bytes.subarray(0, lastBlockStart))
    assert.throws(() => [...readRecording(atBoundary)], /offset \d+: truncated: no end record/)
    void reader
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
