import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CanonicalEvent, EventKind, Side } from '../../../../src/model/events.js'
import { InstrumentRegistry, InstrumentStatus } from '../../../../src/model/instrument.js'
import { ProviderRaw, RawType } from '../../../../src/model/provider-raw.js'
import { BinanceNormalizer } from '../../../../src/venues/binance/normalize.js'

function setup(): { n: BinanceNormalizer; id: number } {
  const reg = new InstrumentRegistry()
  const venueId = reg.venueId('binance-spot')
  const id = reg.define({
    venue: 'binance-spot',
    symbol: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    priceScale: 2,
    qtyScale: 5,
    tickSize: 1,
    stepSize: 1,
    minQty: 0,
    maxQty: 0,
    minNotional: 0,
    maxNotional: 0,
    notionalScale: 8,
    status: InstrumentStatus.Trading,
  })
  return { n: new BinanceNormalizer(reg, venueId), id }
}

function raw(type: number, id: number): ProviderRaw {
  const r = new ProviderRaw()
  r.type = type
  r.instrumentId = id
  r.venueId = 1
  r.timeUnitUs = 1000
  r.eventTime = 1_723_161_253_937
  r.tradeTime = 1_723_161_253_936
  r.recvTsUs = 1_723_161_252_660_000
  return r
}

test('trade: aggressor from buyerIsMaker, venueSeq = trade id, times in µs, scales from the registry', () => {
  const { n, id } = setup()
  const r = raw(RawType.Trade, id)
  r.tradeId = 3_700_000_001
  r.priceM = 6_160_201
  r.qtyM = 12_345
  r.buyerIsMaker = true
  const ev = new CanonicalEvent()
  assert.equal(n.normalize(r, ev), true)
  assert.equal(ev.kind, EventKind.Trade)
  assert.equal(ev.aggressor, Side.Sell, 'buyer was maker: the taker sold')
  assert.equal(ev.venueSeq, 3_700_000_001)
  assert.deepEqual([ev.firstTradeId, ev.lastTradeId], [3_700_000_001, 3_700_000_001])
  assert.equal(ev.priceM, 6_160_201)
  assert.equal(ev.qtyM, 12_345)
  assert.deepEqual([ev.priceScale, ev.qtyScale], [2, 5])
  assert.equal(ev.tsEventUs, 1_723_161_253_937_000)
  assert.equal(ev.tsTradeUs, 1_723_161_253_936_000)
  assert.equal(ev.tsRecvUs, 1_723_161_252_660_000)
  assert.equal(ev.price, 61602.01)
  r.buyerIsMaker = false
  ev.reset()
  n.normalize(r, ev)
  assert.equal(ev.aggressor, Side.Buy)
})

test('aggTrade: venueSeq = a, first/last trade ids = f/l; microsecond time unit', () => {
  const { n, id } = setup()
  const r = raw(RawType.AggTrade, id)
  r.timeUnitUs = 1
  r.eventTime = 1_723_161_253_937_123
  r.tradeId = 77
  r.firstTradeId = 100
  r.lastTradeId = 104
  const ev = new CanonicalEvent()
  n.normalize(r, ev)
  assert.equal(ev.venueSeq, 77)
  assert.deepEqual([ev.firstTradeId, ev.lastTradeId], [100, 104])
  assert.equal(ev.tsEventUs, 1_723_161_253_937_123)
})

test('bookTicker -> Quote with venueSeq = u; a Spot bookTicker without E has tsEventUs 0', () => {
  const { n, id } = setup()
  const r = raw(RawType.BookTicker, id)
  r.eventTime = 0
  r.tradeTime = 0
  r.updateId = 50_093_239_224
  r.bidPxM = 100
  r.bidQtyM = 2
  r.askPxM = 101
  r.askQtyM = 3
  const ev = new CanonicalEvent()
  n.normalize(r, ev)
  assert.equal(ev.kind, EventKind.Quote)
  assert.equal(ev.venueSeq, 50_093_239_224)
  assert.deepEqual([ev.bidPxM, ev.bidQtyM, ev.askPxM, ev.askQtyM], [100, 2, 101, 3])
  assert.equal(ev.tsEventUs, 0)
})

test('depthUpdate -> BookDelta with U, u, pu and copied levels; partial depth -> isSnapshot', () => {
  const { n, id } = setup()
  const r = raw(RawType.DepthUpdate, id)
  r.firstUpdateId = 157
  r.updateId = 160
  r.prevUpdateId = 149
  for (let i = 0; i < 40; i++) r.pushBid(1000 - i, i)
  r.pushAsk(1001, 0)
  const ev = new CanonicalEvent()
  n.normalize(r, ev)
  assert.equal(ev.kind, EventKind.BookDelta)
  assert.equal(ev.isSnapshot, false)
  assert.deepEqual([ev.firstUpdateId, ev.venueSeq, ev.prevUpdateId], [157, 160, 149])
  assert.equal(ev.bidCount, 40)
  assert.equal(ev.bidPxs[39], 961)
  assert.equal(ev.askCount, 1)
  assert.equal(ev.askQtys[0], 0)
  r.bidPxs[0] = 5
  assert.equal(ev.bidPxs[0], 1000, 'levels are copied, not shared')
  // A shorter event into the same object leaves no stale levels behind.
  const p = raw(RawType.PartialDepth, id)
  p.updateId = 170
  p.pushBid(999, 1)
  n.normalize(p, ev)
  assert.equal(ev.isSnapshot, true)
  assert.equal(ev.bidCount, 1)
  assert.equal(ev.bidPxs[1], 0)
  assert.equal(ev.firstUpdateId, 0)
})

test('kline -> Bar; replies and unknown raws map to nothing', () => {
  const { n, id } = setup()
  const r = raw(RawType.Kline, id)
  r.klineStart = 1_672_515_780_000
  r.klineClose = 1_672_515_839_999
  r.klineIntervalSec = 60
  r.openM = 1
  r.highM = 4
  r.lowM = 0
  r.closeM = 2
  r.volumeM = 1000
  r.quoteVolumeM = 55
  r.klineTrades = 100
  r.klineClosed = true
  const ev = new CanonicalEvent()
  assert.equal(n.normalize(r, ev), true)
  assert.equal(ev.kind, EventKind.Bar)
  assert.equal(ev.barStartUs, 1_672_515_780_000_000)
  assert.equal(ev.barEndUs, 1_672_515_839_999_000)
  assert.deepEqual([ev.openM, ev.highM, ev.lowM, ev.closeM, ev.volumeM, ev.quoteVolumeM, ev.quoteScale], [1, 4, 0, 2, 1000, 55, 8])
  assert.equal(ev.barTrades, 100)
  assert.equal(ev.barClosed, true)
  const fresh = new CanonicalEvent()
  assert.equal(n.normalize(raw(RawType.Reply, id), fresh), false)
  assert.equal(n.normalize(raw(RawType.Unknown, id), fresh), false)
  assert.equal(fresh.kind, EventKind.None)
})
