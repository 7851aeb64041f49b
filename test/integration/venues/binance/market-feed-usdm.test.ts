/**
 * BinanceMarketFeed (USD-M) against a real server on 127.0.0.1 replaying the
 * cryptofeed USD-M capture (4 symbols, the `pu` chain) and the hftbacktest
 * USD-M BTCUSDT capture (volume, `@depth@0ms`); routed /public + /market
 * connections; streams in the URL.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eventually } from '../../../helpers/eventually.js'
import { FIXTURES, leased, startHarness } from './feed-harness.js'

const USDM_STREAMS = { aggTrade: true, bookTicker: true, depth: { speedMs: 100 }, klines: ['1m'] }

test('USD-M routed: /public carries depth + bookTicker, /market aggTrade + kline; every book synced, 0 mismatches', async () => {
  const h = await startHarness({ files: FIXTURES.usdmCryptofeed, framesPerTick: 4, tickMs: 1 }, { market: 'usdm', streams: USDM_STREAMS }, true)
  try {
    assert.equal(h.server.connections, 2)
    const st0 = h.feed.stats()
    assert.deepEqual(
      st0.connections.map((c) => [c.tier, c.streams]),
      [
        ['public', 8],
        ['market', 8],
      ],
    )
    const byTier = h.server.clientStreams().map((s) => s.map((x) => x.split('@')[1]).sort())
    assert.ok(byTier.some((s) => s.every((k) => k === 'bookTicker' || k === 'depth')))
    assert.ok(byTier.some((s) => s.every((k) => k === 'aggTrade' || k === 'kline_1m')))
    await eventually(() => assert.ok(h.server.finished), 15_000)
    await eventually(() => {
      for (const [sym, id] of h.ids) assert.equal(h.feed.bookState(id), 'synced', sym)
    })
    // the server has written everything; the last frames may still be in flight to us
    await eventually(() => {
      const s = h.feed.stats()
      assert.equal(s.events['quote'], 305 + 88 + 75 + 145)
      assert.equal(s.events['trade'], 40 + 8 + 5 + 38)
      assert.equal(s.events['bar'], 22 + 8 + 5 + 32)
    })
    const st = h.feed.stats()
    assert.equal(st.decodeErrors, 0)
    assert.equal(st.events['bookInvalidated'], 0)
    let checks = 0
    for (const [sym, id] of h.ids) {
      assert.equal(h.sink.checks(id).mismatches, 0, sym)
      assert.equal(st.symbols[sym]!.book!.gaps, 0, sym)
      checks += h.sink.checks(id).checks
    }
    assert.ok(checks >= 20, `book checks ${checks}`)
    // Wire scales from exchangeInfo: AKROUSDT quantities are whole contracts (quantityPrecision 0).
    const akro = h.registry.spec(h.ids.get('AKROUSDT')!)
    assert.deepEqual([akro.priceScale, akro.qtyScale], [5, 0])
  } finally {
    await h.close()
  }
  assert.deepEqual(h.server.closeCodes.sort(), [1000, 1000])
})

test('USD-M volume: hftbacktest BTCUSDT @depth@0ms, streams in the URL, 94k frames, 0 gaps, 0 mismatches', async () => {
  const h = await startHarness(
    { files: FIXTURES.usdmHft, framesPerTick: 150, tickMs: 1, exchangeInfo: FIXTURES.usdmExchangeInfo() },
    { market: 'usdm', streams: { trade: true, bookTicker: true, depth: { speedMs: 0 } }, subscribeMode: 'url' },
    false,
    false,
  )
  try {
    await eventually(() => assert.ok(h.server.finished), 25_000)
    const id = h.ids.get('BTCUSDT')!
    await eventually(() => assert.equal(h.feed.stats().frames, h.server.frameCount), 10_000)
    const st = h.feed.stats()
    assert.equal(h.feed.bookState(id), 'synced')
    assert.equal(st.decodeErrors, 0)
    assert.equal(st.connections[0]!.subscriptions, null)
    assert.equal(st.events['tradeGap'], 0)
    assert.equal(st.events['trade'], 21_313)
    const b = st.symbols['BTCUSDT']!.book!
    assert.equal(b.gaps, 0)
    assert.equal(b.crossed, 0)
    assert.ok(b.applied > 5000, `diffs applied ${b.applied}`)
    const c = h.sink.checks(id)
    assert.equal(c.mismatches, 0)
    assert.ok(c.checks > 300, `book checks ${c.checks}`)
    assert.equal(st.droppedTotal, 0)
    await h.feed.close()
    assert.deepEqual(leased(h.pools), { frames: 0, raws: 0, events: 0 })
  } finally {
    await h.close()
  }
})
