/**
 * BinanceMarketFeed connection faults against a real server on 127.0.0.1
 * replaying the hftbacktest Spot BTCUSDT capture (trade ids contiguous, so a
 * trade gap can only come from the fault): server disconnect mid-stream,
 * pings left unanswered, server pings, a stale stream, serverShutdown.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BookInvalidReason, EventKind } from '../../../../src/model/events.js'
import type { BinanceFeedTimings } from '../../../../src/venues/binance/market-feed.js'
import { eventually } from '../../../helpers/eventually.js'
import type { ReplayServerOptions } from '../../../helpers/replay-server.js'
import { FIXTURES, startHarness, type Harness } from './feed-harness.js'

const STREAMS = { trade: true, bookTicker: true, depth: { speedMs: 100 } }

async function spotHft(timings: BinanceFeedTimings = {}, server: Partial<ReplayServerOptions> = {}): Promise<Harness> {
  return await startHarness(
    { files: FIXTURES.spotHft, framesPerTick: 5, tickMs: 1, exchangeInfo: FIXTURES.spotExchangeInfo(), ...server },
    { market: 'spot', streams: STREAMS, timings },
  )
}

async function synced(h: Harness, minTrades = 50): Promise<number> {
  const id = h.ids.get('BTCUSDT')!
  await eventually(() => {
    assert.equal(h.feed.bookState(id), 'synced')
    assert.ok((h.sink.trades.get(id) ?? 0) >= minTrades)
  }, 10_000)
  return id
}

test('server disconnect mid-stream: reconnect, resubscribe, resync; the skipped trade ids are reported', async () => {
  const h = await spotHft()
  try {
    const id = await synced(h)
    const appliedBefore = h.feed.stats().symbols['BTCUSDT']!.book!.applied
    // The venue drops us and refuses connections while 300 frames go by.
    h.server.accepting = false
    h.server.disconnectAll()
    const pos = h.server.position
    await eventually(() => assert.ok(h.server.position >= pos + 300))
    h.server.accepting = true
    await eventually(() => {
      assert.equal(h.server.clientCount, 1)
      assert.equal(h.feed.bookState(id), 'synced')
      assert.ok(h.feed.stats().symbols['BTCUSDT']!.book!.applied > appliedBefore + 20)
    }, 10_000)
    assert.ok(h.server.refusedUpgrades >= 1)
    // Resubscribed: the new connection carries the same three streams.
    assert.deepEqual(h.server.clientStreams()[0]!.sort(), ['btcusdt@bookTicker', 'btcusdt@depth@100ms', 'btcusdt@trade'])
    const st = h.feed.stats()
    assert.ok(st.reconnects >= 1)
    assert.equal(st.connections[0]!.subscriptions!.resubscribes, 1)
    const inv = h.sink.statusesOf(EventKind.BookInvalidated, id)
    assert.equal(inv.length, 1)
    assert.equal(inv[0]!.reason, BookInvalidReason.Reconnect)
    const res = h.sink.statusesOf(EventKind.BookResynced, id)
    assert.equal(res.at(-1)!.reason, BookInvalidReason.Reconnect)
    const gaps = h.sink.statusesOf(EventKind.TradeGap, id)
    assert.equal(gaps.length, 1)
    assert.ok(gaps[0]!.gapTo >= gaps[0]!.gapFrom && gaps[0]!.gapFrom > 0)
    assert.equal(st.symbols['BTCUSDT']!.trades.missingIds, gaps[0]!.gapTo - gaps[0]!.gapFrom + 1)
    assert.equal(st.symbols['BTCUSDT']!.book!.gaps, 0) // a reconnect restart, not a sequence gap
    assert.equal(h.sink.checks(id).mismatches, 0)
  } finally {
    await h.close()
  }
})

test('our pings left unanswered: the connection is replaced; server pings are answered with their payload', async () => {
  const h = await spotHft({ pingIntervalMs: 40, pongTimeoutMs: 100 }, { pingIntervalMs: 25 })
  try {
    const id = await synced(h)
    await eventually(() => assert.ok(h.server.pongsMatched >= 3))
    assert.equal(h.server.pongsMismatched, 0)
    assert.ok(h.server.clientPings >= 1)
    h.server.ignorePings = true
    await eventually(() => assert.ok(h.feed.stats().connections[0]!.transport.pongTimeouts >= 1), 5000)
    h.server.ignorePings = false
    await eventually(() => {
      assert.ok(h.feed.stats().reconnects >= 1)
      assert.equal(h.feed.bookState(id), 'synced')
    }, 10_000)
    assert.equal(h.sink.statusesOf(EventKind.BookInvalidated, id)[0]!.reason, BookInvalidReason.Reconnect)
    assert.equal(h.sink.checks(id).mismatches, 0)
  } finally {
    await h.close()
  }
})

test('a stale stream (connected, no data) is replaced and the book resyncs', async () => {
  const h = await spotHft({ staleMs: 150 })
  try {
    const id = await synced(h)
    h.server.stallClients()
    await eventually(() => {
      const t = h.feed.stats().connections[0]!.transport
      assert.ok(t.stale >= 1)
      assert.ok(t.reconnects >= 1)
    }, 5000)
    const frames = h.feed.stats().frames
    await eventually(() => {
      assert.ok(h.feed.stats().frames > frames + 100)
      assert.equal(h.feed.bookState(id), 'synced')
    }, 10_000)
    assert.equal(h.sink.statusesOf(EventKind.BookInvalidated, id)[0]!.reason, BookInvalidReason.Reconnect)
  } finally {
    await h.close()
  }
})

test('serverShutdown: immediate make-before-break reconnect, old connection closed with 1000, nothing lost', async () => {
  const h = await spotHft()
  try {
    const id = await synced(h)
    const appliedBefore = h.feed.stats().symbols['BTCUSDT']!.book!.applied
    h.server.sendServerShutdown()
    await eventually(() => {
      assert.equal(h.feed.stats().connections[0]!.transport.rotations, 1)
      assert.deepEqual(h.server.closeCodes, [1000])
    }, 5000)
    await eventually(() => assert.ok(h.feed.stats().symbols['BTCUSDT']!.book!.applied > appliedBefore + 20))
    const st = h.feed.stats()
    assert.equal(st.serverShutdowns, 1)
    assert.equal(st.reconnects, 0)
    assert.equal(h.server.connections, 2)
    assert.equal(h.server.clientCount, 1)
    // Lossless: no book invalidation, no trade gap; overlap frames were dropped by sequence.
    assert.equal(h.sink.statusesOf(EventKind.BookInvalidated).length, 0)
    assert.equal(h.sink.statusesOf(EventKind.TradeGap).length, 0)
    assert.equal(h.feed.bookState(id), 'synced')
    assert.equal(st.symbols['BTCUSDT']!.book!.gaps, 0)
    assert.equal(h.sink.checks(id).mismatches, 0)
  } finally {
    await h.close()
  }
})

test('snapshot requests that fail are retried with backoff; start() rejects unknown symbols', async () => {
  const h = await startHarness(
    { files: FIXTURES.spotHft, framesPerTick: 5, tickMs: 1, exchangeInfo: FIXTURES.spotExchangeInfo(), autoStart: false },
    { market: 'spot', streams: STREAMS },
  )
  try {
    h.server.failDepth(2)
    h.server.start()
    const id = await synced(h, 0)
    const b = h.feed.stats().symbols['BTCUSDT']!.book!
    assert.equal(b.snapshotFailures, 2)
    assert.equal(b.snapshotsApplied, 1)
    assert.equal(h.server.depthRequests, 3)
    assert.equal(h.feed.stats().snapshotFailures, 2)
    assert.equal(h.sink.statusesOf(EventKind.BookResynced, id).length, 1)
  } finally {
    await h.close()
  }
  await assert.rejects(
    startHarness({ files: FIXTURES.spotCryptofeed }, { market: 'spot', streams: STREAMS, symbols: ['NKNUSDT', 'NOPEUSDT'] }),
    (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /NOPEUSDT/.test(err.message),
  )
})

test('pause() stops reading the socket, resume() reads again', async () => {
  const h = await spotHft()
  try {
    await synced(h, 10)
    assert.equal(h.feed.stats().pauseSupported, true)
    h.feed.pause()
    // What was already read arrives; then nothing while the tape goes on.
    await eventually(() => {
      const a = h.feed.stats().frames
      return new Promise<void>((resolve, reject) => setTimeout(() => (h.feed.stats().frames === a ? resolve() : reject(new Error('still reading'))), 50))
    })
    const frozen = h.feed.stats().frames
    const pos = h.server.position
    await eventually(() => assert.ok(h.server.position > pos + 200))
    assert.equal(h.feed.stats().frames, frozen)
    h.feed.resume()
    await eventually(() => assert.ok(h.feed.stats().frames > frozen + 200))
    assert.equal(h.feed.stats().pauses, 1)
  } finally {
    await h.close()
  }
})
