/**
 * A lost diff, replayed through the replay API: the book sync must notice it,
 * invalidate and resync that symbol only, while the other symbols of the same
 * connection keep their numbers.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { readCapture, RecordKind, type CaptureRecord } from '../../../src/capture/reader.js'
import { EventKind } from '../../../src/model/events.js'
import { replaySession } from '../../../src/replay/replay.js'
import { BINANCE_FIXTURES } from '../../helpers/paths.js'

const CF = path.join(BINANCE_FIXTURES, 'cryptofeed', 'sample_data')

/** Index of the n-th depth frame of `stream` (e.g. "nknusdt@depth") in the session. */
function nthDepth(records: CaptureRecord[], stream: string, n: number): number {
  let seen = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    if (r.kind !== RecordKind.WsFrame) continue
    if (r.data.subarray(0, 60).toString('latin1').includes(`"stream":"${stream}`) && ++seen === n) return i
  }
  throw new Error(`no depth frame #${n} for ${stream}`)
}

for (const c of [
  { file: 'BINANCE.ws.1.0', symbol: 'NKNUSDT', others: ['BLZETH', 'LRCBTC', 'RUNEEUR'] },
  { file: 'BINANCE_FUTURES.ws.1.0', symbol: 'SUSHIUSDT', others: ['AKROUSDT', 'KEEPUSDT', 'CTKUSDT'] },
]) {
  test(`${c.file}: dropping one ${c.symbol} diff resyncs ${c.symbol} once and leaves the others untouched`, () => {
    const session = readCapture([path.join(CF, c.file)])
    const base = replaySession(session, { verify: true })
    assert.equal(base.ok, true)
    const drop = nthDepth(session.records, `${c.symbol.toLowerCase()}@depth`, 100)
    const statusEvents: Array<[number, number, number]> = []
    const rep = replaySession(session, {
      verify: true,
      filter: (_r, i) => i !== drop,
      onEvent: (ev) => {
        if (ev.kind === EventKind.BookInvalidated || ev.kind === EventKind.BookResynced) statusEvents.push([ev.kind, ev.instrumentId, ev.reason])
      },
    })
    assert.equal(rep.droppedRecords, 1)
    assert.equal(rep.ok, false, 'verification fails')
    assert.equal(rep.bookGaps, 1)
    assert.equal(rep.resyncs, 1)
    assert.equal(rep.bookMismatches, 0, 'the invalid book is never checked')
    const sym = rep.symbols[c.symbol]!
    assert.equal(sym.gaps, 1)
    assert.equal(sym.resyncs, 1)
    assert.equal(sym.snapshotRequests, 2, 'a new snapshot was requested (the capture has no answer for it)')
    assert.equal(sym.state, 'awaitingSnapshot')
    assert.equal(sym.invalidations.length, 1)
    assert.equal(sym.invalidations[0]!.reason, 'sequenceGap')
    const invalidated = statusEvents.filter((e) => e[0] === EventKind.BookInvalidated)
    assert.deepEqual(
      invalidated.map((e) => e[1]),
      [sym.instrumentId],
      'exactly one BookInvalidated, for that symbol',
    )
    for (const o of c.others) {
      const a = rep.symbols[o]!
      const b = base.symbols[o]!
      assert.equal(a.state, 'synced', o)
      assert.equal(a.diffsApplied, b.diffsApplied, o)
      assert.equal(a.bookChecks, b.bookChecks, o)
      assert.equal(a.resyncs, 0, o)
      assert.equal(a.bestBid, b.bestBid, o)
    }
    assert.ok(rep.failures.some((f) => /1 sequence gaps/.test(f)))
  })
}
