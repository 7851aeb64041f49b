import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  binanceEndpoints,
  combinedStreamUrl,
  customEndpoints,
  groupByTier,
  rawStreamUrl,
  restApiPrefix,
  streamKind,
  usdmTier,
} from '../../../../src/venues/binance/urls.js'

test('Spot: combined and raw stream URLs, testnet, microsecond time unit', () => {
  const ep = binanceEndpoints('spot')
  assert.equal(combinedStreamUrl(ep, ['btcusdt@trade', 'btcusdt@depth@100ms']), 'wss://stream.binance.com:9443/stream?streams=btcusdt@trade/btcusdt@depth@100ms')
  assert.equal(combinedStreamUrl(ep, []), 'wss://stream.binance.com:9443/stream')
  assert.equal(combinedStreamUrl(ep, ['btcusdt@trade'], { timeUnitMicros: true }), 'wss://stream.binance.com:9443/stream?streams=btcusdt@trade&timeUnit=MICROSECOND')
  assert.equal(rawStreamUrl(ep, 'btcusdt@trade'), 'wss://stream.binance.com:9443/ws/btcusdt@trade')
  assert.equal(rawStreamUrl(ep, null), 'wss://stream.binance.com:9443/ws')
  assert.equal(binanceEndpoints('spot', 'testnet').wsBase, 'wss://stream.testnet.binance.vision')
  assert.equal(ep.restBase, 'https://api.binance.com')
  assert.equal(restApiPrefix('spot'), '/api/v3')
  assert.equal(restApiPrefix('usdm'), '/fapi/v1')
})

test('USD-M prod is routed: depth/bookTicker on /public, aggTrade/kline/markPrice on /market; a tier is required', () => {
  const ep = binanceEndpoints('usdm')
  assert.equal(ep.routed, true)
  assert.equal(usdmTier('btcusdt@depth@0ms'), 'public')
  assert.equal(usdmTier('btcusdt@depth20@100ms'), 'public')
  assert.equal(usdmTier('btcusdt@bookTicker'), 'public')
  assert.equal(usdmTier('btcusdt@aggTrade'), 'market')
  assert.equal(usdmTier('btcusdt@kline_1m'), 'market')
  assert.equal(usdmTier('!markPrice@arr@1s'), 'market')
  assert.equal(usdmTier('btcusdt@trade'), 'public')
  assert.equal(usdmTier('btcusdt@trade', { trade: 'market' }), 'market')
  assert.equal(streamKind('btcusdt@kline_1m'), 'kline')
  assert.equal(
    combinedStreamUrl(ep, ['btcusdt@depth@0ms', 'btcusdt@bookTicker'], { tier: 'public' }),
    'wss://fstream.binance.com/public/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker',
  )
  assert.equal(rawStreamUrl(ep, 'btcusdt@aggTrade', { tier: 'market' }), 'wss://fstream.binance.com/market/ws/btcusdt@aggTrade')
  assert.throws(() => combinedStreamUrl(ep, ['btcusdt@aggTrade']), TypeError)
  assert.throws(() => combinedStreamUrl(ep, ['btcusdt@aggTrade'], { tier: 'public' }), RangeError)
  assert.deepEqual(groupByTier(['btcusdt@aggTrade', 'btcusdt@depth@0ms', 'ethusdt@kline_1m']), {
    public: ['btcusdt@depth@0ms'],
    market: ['btcusdt@aggTrade', 'ethusdt@kline_1m'],
  })
})

test('custom endpoints (the simulator) validate their schemes', () => {
  const ep = customEndpoints('usdm', 'ws://127.0.0.1:9000/', 'http://127.0.0.1:9000', false)
  assert.equal(combinedStreamUrl(ep, ['btcusdt@aggTrade']), 'ws://127.0.0.1:9000/stream?streams=btcusdt@aggTrade')
  const routed = customEndpoints('usdm', 'ws://127.0.0.1:9000', 'http://127.0.0.1:9000', true)
  assert.equal(rawStreamUrl(routed, 'btcusdt@aggTrade', { tier: 'market' }), 'ws://127.0.0.1:9000/market/ws/btcusdt@aggTrade')
  assert.throws(() => customEndpoints('spot', 'http://x', 'http://x'), TypeError)
  assert.throws(() => customEndpoints('spot', 'ws://x', 'ws://x'), TypeError)
  assert.throws(() => binanceEndpoints('usdm', 'demo'), RangeError)
})
