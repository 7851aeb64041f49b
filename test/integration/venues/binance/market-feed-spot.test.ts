/**
 * BinanceMarketFeed (Spot) against a real WebSocket + HTTP server on
 * 127.0.0.1 replaying the cryptofeed Spot capture (4 symbols): live
 * SUBSCRIBE, book sync of every symbol, bookTicker checks against the live
 * books, a dropped frame (resync of that symbol only), garbage frames, and
 * the close handshake.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BookInvalidReason, EventKind } from '../../../../src/model/events.js'
import { eventually } from '../../../helpers/eventually.js'
import { FIXTURES, leased, startHarness } from './feed-harness.js'

const SPOT_STREAMS = { aggTrade: true, bookTicker: true, depth: { speedMs: 100 }, klines: ['1m'] }

test('Spot: subscribe, receive, every book synced, bookTickers match the live books, close with 1000', async () => {
  const h = await startHarness({ files: FIXTURES.spotCryptofeed, framesPerTick: 1, tickMs: 1 }, { market: 'spot', streams: SPOT_STREAMS })
  try {
    // Live SUBSCRIBE on /stream: the server saw one client with the 16 streams of the capture.
    assert.equal(h.server.connections, 1)
    assert.deepEqual(h.server.clientStreams()[0]!.sort(), [...h.server.session.streams].sort())
    await eventually(() => assert.ok(h.server.finished), 15_000)
    await eventually(() => {
      for (const [sym, id] of h.ids) assert.equal(h.feed.bookState(id), 'synced', sym)
    })
    // the server has written everything; the last frames may still be in flight to us
    await eventually(() => assert.equal(h.feed.stats().frames, h.server.frameCount + 1)) // + the SUBSCRIBE reply
    const st = h.feed.stats()
    assert.equal(st.decodeErrors, 0)
    assert.equal(st.decoder.fallbackPath, 1) // only the reply takes the JSON path
    assert.equal(st.droppedTotal, 0)
    assert.equal(st.events['quote'], 84)
    assert.equal(st.events['trade'], 2)
    assert.equal(st.events['bar'], 2)
    assert.equal(st.events['bookInvalidated'], 0)
    assert.equal(st.events['tradeGap'], 0)
    assert.equal(st.events['bookResynced'], 4)
    const subs = st.connections[0]!.subscriptions!
    assert.equal(subs.active, 16)
    assert.equal(subs.repliesOk, 1)
    let checks = 0
    for (const [sym, id] of h.ids) {
      const c = h.sink.checks(id)
      assert.equal(c.mismatches, 0, `${sym} bookTicker mismatches`)
      checks += c.checks
      const b = st.symbols[sym]!.book!
      assert.equal(b.gaps, 0)
      assert.equal(b.crossed, 0)
    }
    assert.ok(checks >= 10, `book checks: ${checks}`)
    assert.equal(h.sink.crossedAfterDiff, 0)
    assert.equal(h.sink.badRecvTs, 0)
    // exchangeInfo → wire scales: Spot 8/8 and filters at those scales.
    const nkn = h.registry.spec(h.ids.get('NKNUSDT')!)
    assert.equal(nkn.priceScale, 8)
    assert.equal(nkn.tickSize, 10_000)
    // Close: UNSUBSCRIBE, then the close handshake with 1000.
    await h.feed.close()
    await eventually(() => assert.deepEqual(h.server.closeCodes, [1000]))
    assert.equal(h.server.subscribeRequests, 2)
    assert.equal(h.feed.stats().state, 'closed')
    assert.deepEqual(leased(h.pools), { frames: 0, raws: 0, events: 0 })
  } finally {
    await h.close()
  }
})

test('Spot: a dropped diff resyncs that symbol only; the others keep flowing', async () => {
  let nknDiffs = 0
  const h = await startHarness({ files: FIXTURES.spotCryptofeed, framesPerTick: 1, tickMs: 1, autoStart: false }, { market: 'spot', streams: SPOT_STREAMS })
  try {
    const nkn = h.ids.get('NKNUSDT')!
    // Drop NKNUSDT's 60th diff (well after its first sync).
    h.server.dropWhere((f) => f.symbol === 'NKNUSDT' && f.kind === 'depth' && ++nknDiffs === 60)
    h.server.start()
    await eventually(() => assert.ok(h.server.finished), 15_000)
    await eventually(() => {
      for (const [sym, id] of h.ids) assert.equal(h.feed.bookState(id), 'synced', sym)
    })
    assert.equal(h.server.framesDropped, 1)
    const inv = h.sink.statusesOf(EventKind.BookInvalidated)
    assert.equal(inv.length, 1)
    assert.equal(inv[0]!.instrumentId, nkn)
    assert.equal(inv[0]!.reason, BookInvalidReason.SequenceGap)
    assert.ok(inv[0]!.gapFrom > 0 && inv[0]!.gapTo >= inv[0]!.gapFrom, 'the missing update ids are named')
    const resynced = h.sink.statusesOf(EventKind.BookResynced, nkn)
    assert.equal(resynced.length, 2) // first sync + after the gap
    assert.equal(resynced[1]!.reason, BookInvalidReason.SequenceGap)
    const st = h.feed.stats()
    for (const [sym, id] of h.ids) {
      const b = st.symbols[sym]!.book!
      assert.equal(b.gaps, id === nkn ? 1 : 0, sym)
      assert.equal(b.resyncs, id === nkn ? 1 : 0, sym)
      assert.equal(h.sink.checks(id).mismatches, 0, sym)
    }
    // NKNUSDT's book is right again: the server's mirror snapshot and the diffs after it agree with the tickers.
    assert.ok(h.sink.checks(nkn).checks > 0)
    // LRCBTC kept its diffs flowing through the resync of NKNUSDT.
    assert.ok((h.sink.diffs.get(h.ids.get('LRCBTC')!) ?? 0) >= 10)
  } finally {
    await h.close()
  }
})

test('Spot: garbage frames are counted by status, never thrown; the feed keeps running', async () => {
  const h = await startHarness({ files: FIXTURES.spotCryptofeed, framesPerTick: 1, tickMs: 1, autoStart: false }, { market: 'spot', streams: SPOT_STREAMS })
  try {
    h.server.start()
    await eventually(() => assert.ok(h.server.position > 100))
    h.server.inject('not json at all')
    h.server.inject('{"stream":"nknusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"NOSUCHSYM","a":1,"p":"1","q":"1","f":1,"l":1,"T":1,"m":true}}')
    h.server.inject('{"stream":"nknusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"NKNUSDT","a":1,"p":"1e5","q":"1","f":1,"l":1,"T":1,"m":true}}')
    h.server.inject('{"stream":"nknusdt@bookTicker","data":{"u":1,')
    h.server.inject('{"e":"somethingNew","E":1}')
    await eventually(() => assert.equal(h.feed.stats().decodeErrors, 5))
    await eventually(() => assert.ok(h.server.finished), 15_000)
    await eventually(() => {
      for (const [sym, id] of h.ids) assert.equal(h.feed.bookState(id), 'synced', sym)
    })
    // the server has written everything; the last frames may still be in flight to us
    await eventually(() => assert.equal(h.feed.stats().frames, h.server.frameCount + 1 + 5))
    const st = h.feed.stats()
    assert.deepEqual(st.decodeErrorsByStatus, { malformed: 2, unknownSymbol: 1, badNumber: 1, unsupported: 1, oversize: 0, invalidUtf8: 0 })
    assert.equal(st.events['bookInvalidated'], 0)
    assert.equal(st.connections[0]!.transport.reconnects, 0)
  } finally {
    await h.close()
  }
})
