import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OrderRequest, OrderSide, OrderType } from '../../../src/model/orders.js'
import { ExposureBook } from '../../../src/orders/positions.js'
import { RiskEngine, RiskMode, RiskReason, compareNotional, type MarketDataHealth } from '../../../src/orders/risk.js'
import { btcRegistry } from './fixtures.js'

const NOW = 1_700_000_000_000_000

function req(instrumentId: number, side: number, priceM: number, qtyM: number, type: number = OrderType.Limit): OrderRequest {
  const r = new OrderRequest()
  r.instrumentId = instrumentId
  r.side = side
  r.priceM = priceM
  r.qtyM = qtyM
  r.type = type
  return r
}

test('instrument known and trading', () => {
  const { registry, eth } = btcRegistry()
  const risk = new RiskEngine(registry)
  const book = new ExposureBook()
  assert.equal(risk.check(req(99, OrderSide.Buy, 100, 100), book, NOW), RiskReason.UnknownInstrument)
  assert.equal(risk.check(req(eth, OrderSide.Buy, 100, 100), book, NOW), RiskReason.NotTrading)
})

test('price tick and qty step: denied unless rounding is configured; passive rounding', () => {
  const { registry, btc, eth } = btcRegistry()
  const book = new ExposureBook()
  const strict = new RiskEngine(registry)
  // ETH tick is 0.05 (mantissa 5): make it trading for this test via a redefine
  registry.define({ ...registry.spec(eth), status: 0 })
  assert.equal(strict.check(req(eth, OrderSide.Buy, 2003, 1000), book, NOW), RiskReason.PriceTick)
  assert.equal(strict.check(req(eth, OrderSide.Buy, 2005, 1005), book, NOW), RiskReason.QtyStep)
  const rounding = new RiskEngine(registry, { priceRounding: 'passive', qtyRounding: 'down' })
  const buy = req(eth, OrderSide.Buy, 2003, 1005)
  assert.equal(rounding.check(buy, book, NOW), '')
  assert.equal(buy.priceM, 2000) // buy rounds down
  assert.equal(buy.qtyM, 1000)
  const sell = req(eth, OrderSide.Sell, 2003, 1000)
  assert.equal(rounding.check(sell, book, NOW), '')
  assert.equal(sell.priceM, 2005) // sell rounds up
  assert.equal(strict.check(req(btc, OrderSide.Buy, 0, 100), book, NOW), RiskReason.InvalidPrice)
  assert.equal(strict.check(req(btc, OrderSide.Buy, 100, 0), book, NOW), RiskReason.InvalidQty)
})

test('min/max qty and min/max notional with exact decimals', () => {
  const { registry, btc, eth } = btcRegistry()
  registry.define({ ...registry.spec(eth), status: 0 })
  const risk = new RiskEngine(registry, { maxOrdersPerSecond: 100 })
  const book = new ExposureBook()
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 9), book, NOW), RiskReason.MinQty)
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 900_000_001), book, NOW), RiskReason.MaxQty)
  // 100.00 × 0.04999 = 4.999 < 5 ; 100.00 × 0.05 = 5.00 exactly passes
  assert.equal(risk.check(req(btc, OrderSide.Buy, 10000, 4999), book, NOW), RiskReason.MinNotional)
  assert.equal(risk.check(req(btc, OrderSide.Buy, 10000, 5000), book, NOW), '')
  // ETH max notional 10,000: 2000.00 × 5.000 = 10,000 passes, × 5.001 fails
  assert.equal(risk.check(req(eth, OrderSide.Buy, 200000, 50000), book, NOW), '')
  assert.equal(risk.check(req(eth, OrderSide.Buy, 200000, 50010), book, NOW), RiskReason.MaxNotional)
  // configured max notional tighter than the venue's
  risk.setInstrumentLimits(btc, { maxNotional: '1000' })
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 2000), book, NOW), '') // 50000.00 × 0.02 = 1000
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 2001), book, NOW), RiskReason.MaxNotional) // 1000.50
})

test('notional comparison is exact beyond 2^53', () => {
  const big = BigInt(Number.MAX_SAFE_INTEGER) * 1000n
  assert.equal(compareNotional(big, 10, Number.MAX_SAFE_INTEGER, 7), 0)
  assert.equal(compareNotional(big + 1n, 10, Number.MAX_SAFE_INTEGER, 7), 1)
})

test('max position counts working orders on the same side; reducing orders pass', () => {
  const { registry, btc } = btcRegistry()
  const risk = new RiskEngine(registry, { maxOrdersPerSecond: 100 })
  risk.setInstrumentLimits(btc, { maxPosition: '0.01' }) // 1000 lots
  const book = new ExposureBook()
  book.applyFill(1, btc, OrderSide.Buy, 600)
  book.addOpen(1, btc, OrderSide.Buy, 300, 1)
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW), '') // 600+300+100 = 1000
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 101), book, NOW), RiskReason.MaxPosition)
  assert.equal(risk.check(req(btc, OrderSide.Sell, 5000000, 1500), book, NOW), '') // 600-1500 = -900
  assert.equal(risk.check(req(btc, OrderSide.Sell, 5000000, 1700), book, NOW), RiskReason.MaxPosition)
})

test('max open orders (global and per instrument)', () => {
  const { registry, btc } = btcRegistry()
  const risk = new RiskEngine(registry, { maxOpenOrders: 2, maxOrdersPerSecond: 100 })
  const book = new ExposureBook()
  book.addOpen(1, btc, OrderSide.Buy, 100, 1)
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW), '')
  book.addOpen(1, btc, OrderSide.Buy, 100, 1)
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW), RiskReason.MaxOpenOrders)
  const per = new RiskEngine(registry, { maxOpenOrders: 10, maxOrdersPerSecond: 100 })
  per.setInstrumentLimits(btc, { maxOpenOrders: 2 })
  assert.equal(per.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW), RiskReason.MaxOpenOrders)
})

test('orders per second: a sliding 1 s window over accepted orders', () => {
  const { registry, btc } = btcRegistry()
  const risk = new RiskEngine(registry, { maxOrdersPerSecond: 3 })
  const book = new ExposureBook()
  for (let i = 0; i < 3; i++) assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW + i * 1000), '')
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW + 500_000), RiskReason.RateLimit)
  // denied orders do not consume budget; 1 s after the first, one more fits
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW + 1_000_000), '')
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW + 1_000_500), RiskReason.RateLimit)
  assert.equal(risk.stats().denials[RiskReason.RateLimit], 2)
})

test('stale market data: syncing book or update older than the bound', () => {
  const { registry, btc } = btcRegistry()
  const risk = new RiskEngine(registry, { staleAfterUs: 2_000_000, maxOrdersPerSecond: 100 })
  const book = new ExposureBook()
  let syncing = false
  let last = NOW
  const health: MarketDataHealth = { lastUpdateUs: () => last, isSyncing: () => syncing }
  risk.setMarketDataHealth(health)
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW + 1_000_000), '')
  syncing = true
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW + 1_000_000), RiskReason.StaleMarketData)
  syncing = false
  last = NOW - 3_000_000
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW), RiskReason.StaleMarketData)
})

test('kill switch: halt denies everything; reduce-only lets only position-reducing orders through', () => {
  const { registry, btc } = btcRegistry()
  const risk = new RiskEngine(registry, { maxOrdersPerSecond: 100 })
  const book = new ExposureBook()
  book.applyFill(1, btc, OrderSide.Buy, 500)
  risk.setMode(RiskMode.Halt)
  assert.equal(risk.check(req(btc, OrderSide.Sell, 5000000, 100), book, NOW), RiskReason.KillSwitch)
  risk.setMode(RiskMode.ReduceOnly)
  assert.equal(risk.check(req(btc, OrderSide.Buy, 5000000, 100), book, NOW), RiskReason.ReduceOnly)
  assert.equal(risk.check(req(btc, OrderSide.Sell, 5000000, 500), book, NOW), '')
  assert.equal(risk.check(req(btc, OrderSide.Sell, 5000000, 501), book, NOW), RiskReason.ReduceOnly) // would flip
  risk.setMode(RiskMode.Normal)
  const r = req(btc, OrderSide.Buy, 5000000, 100)
  r.reduceOnly = true
  assert.equal(risk.check(r, book, NOW), RiskReason.ReduceOnly)
})

test('market orders: notional from the reference price when the hook has one', () => {
  const { registry, btc } = btcRegistry()
  const risk = new RiskEngine(registry, { maxOrdersPerSecond: 100, staleAfterUs: 0 })
  const book = new ExposureBook()
  let ref = 0
  risk.setMarketDataHealth({ lastUpdateUs: () => NOW, isSyncing: () => false, referencePriceM: () => ref })
  assert.equal(risk.check(req(btc, OrderSide.Buy, 0, 100, OrderType.Market), book, NOW), '')
  ref = 10000 // 100.00 × 0.001 = 0.1 < 5
  assert.equal(risk.check(req(btc, OrderSide.Buy, 0, 100, OrderType.Market), book, NOW), RiskReason.MinNotional)
})
