/**
 * BinanceMarketFeed: option validation, and the connection plan (streams
 * split at 1024 per connection, subscribed in batches) against a loopback
 * server.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InstrumentRegistry } from '../../../../src/model/instrument.js'
import { createHotPools } from '../../../../src/runtime/pools.js'
import { BinanceMarketFeed } from '../../../../src/venues/binance/market-feed.js'
import { parseExchangeInfo } from '../../../../src/venues/binance/instruments.js'
import { customEndpoints, binanceEndpoints } from '../../../../src/venues/binance/urls.js'
import { startReplayServer } from '../../../helpers/replay-server.js'
import { FIXTURES, FAST_TIMINGS } from '../../../integration/venues/binance/feed-harness.js'

const sink = { onMarketEvent: (): void => {} }

test('constructor validates market, endpoints, symbols, sink, snapshot limit and time unit', () => {
  const pools = createHotPools()
  const registry = new InstrumentRegistry()
  const base = { market: 'spot' as const, endpoints: binanceEndpoints('spot'), symbols: ['BTCUSDT'], registry, pools, sink }
  assert.doesNotThrow(() => new BinanceMarketFeed(base))
  assert.throws(() => new BinanceMarketFeed({ ...base, market: 'coinm' as 'spot' }), TypeError)
  assert.throws(() => new BinanceMarketFeed({ ...base, endpoints: binanceEndpoints('usdm') }), TypeError)
  assert.throws(() => new BinanceMarketFeed({ ...base, symbols: [] }), TypeError)
  assert.throws(() => new BinanceMarketFeed({ ...base, symbols: ['BTC/USDT'] }), RangeError)
  assert.throws(() => new BinanceMarketFeed({ ...base, sink: {} as typeof sink }), TypeError)
  assert.throws(() => new BinanceMarketFeed({ ...base, snapshotLimit: 6000 }), RangeError)
  assert.throws(() => new BinanceMarketFeed({ ...base, market: 'usdm', endpoints: binanceEndpoints('usdm'), snapshotLimit: 5000 }), RangeError)
  assert.throws(() => new BinanceMarketFeed({ ...base, timeUnit: 'ns' as 'ms' }), RangeError)
  const f = new BinanceMarketFeed(base)
  assert.equal(f.venueName, 'binance-spot')
  assert.equal(f.stats().state, 'idle')
  assert.equal(f.top(1, { bidPxM: 0, bidQtyM: 0, askPxM: 0, askQtyM: 0, priceScale: 0, qtyScale: 0 }), false)
})

test('1200 streams: two connections (1024 + 176), SUBSCRIBE in batches of 200, all acknowledged', async () => {
  const server = await startReplayServer({ files: FIXTURES.spotCryptofeed, autoStart: false })
  const info = FIXTURES.spotExchangeInfo()
  const symbols = [...parseExchangeInfo(info, 'spot').symbols.values()]
    .filter((s) => s.venueStatus === 'TRADING')
    .slice(0, 300)
    .map((s) => s.spec.symbol)
  const pools = createHotPools()
  const feed = new BinanceMarketFeed({
    market: 'spot',
    endpoints: customEndpoints('spot', server.url, server.restUrl),
    symbols,
    streams: { trade: true, aggTrade: true, bookTicker: true, depth: true },
    registry: new InstrumentRegistry(),
    pools,
    sink,
    exchangeInfo: info,
    messagesPerSecond: 50,
    timings: FAST_TIMINGS,
  })
  try {
    await feed.start()
    assert.equal(server.connections, 2)
    assert.deepEqual(server.clientStreams().map((s) => s.length).sort((a, b) => b - a), [1024, 176])
    const st = feed.stats()
    assert.deepEqual(st.connections.map((c) => c.subscriptions!.active), [1024, 176])
    assert.equal(server.subscribeRequests, 6 + 1)
    assert.equal(Object.keys(st.symbols).length, 300)
    assert.equal(server.requests.filter((r) => r.includes('exchangeInfo')).length, 0)
  } finally {
    await feed.close()
    await server.close()
  }
})
