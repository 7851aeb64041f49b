import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ExecReport, ExecType, OrderSide, OrderStatus } from '../../../../../src/model/orders.js'
import {
  decodeExecutionReport,
  decodeFill,
  decodeOrderObject,
  toVenueOrderState,
  toVenueTrade,
  unwrapUserEvent,
  type BinanceExecutionReport,
  type BinanceOrderObject,
} from '../../../../../src/venues/binance/orders/decode.js'
import { btcRegistry } from '../../../orders/fixtures.js'

const { registry, btc } = btcRegistry()
const ctx = { registry, venue: 'sim', venueId: registry.venueId('sim') }

// protocol §5.2 example, on BTCUSDT
const NEW_EVENT = `{"e":"executionReport","E":1499405658658,"s":"BTCUSDT","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10000000","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"v":3,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}`

test('the three user-data envelopes unwrap to the same event', () => {
  const bare = JSON.parse(NEW_EVENT) as unknown
  const combined = JSON.parse(`{"stream":"abc","data":${NEW_EVENT}}`) as unknown
  const wsApi = JSON.parse(`{"subscriptionId":0,"event":${NEW_EVENT}}`) as unknown
  const noSub = JSON.parse(`{"event":${NEW_EVENT}}`) as unknown
  for (const m of [bare, combined, wsApi, noSub]) assert.equal(unwrapUserEvent(m)?.c, 'mUvoqJxFIILMdfAW5iGSOW')
  assert.equal(unwrapUserEvent({ id: 1, result: {} }), null)
  assert.equal(unwrapUserEvent(null), null)
})

test('executionReport NEW: exact decimals, N null, t = -1, times in µs', () => {
  const r = new ExecReport()
  assert.ok(decodeExecutionReport(JSON.parse(NEW_EVENT) as BinanceExecutionReport, r, ctx, 42))
  assert.equal(r.execType, ExecType.New)
  assert.equal(r.status, OrderStatus.New)
  assert.equal(r.clientOrderId, 'mUvoqJxFIILMdfAW5iGSOW')
  assert.equal(r.venueOrderId, 4293153)
  assert.equal(r.instrumentId, btc)
  assert.equal(r.side, OrderSide.Buy)
  assert.equal(r.priceM, 10) // 0.10 at scale 2
  assert.equal(r.qtyM, 100000) // 1.0 at scale 5
  assert.equal(r.tradeId, -1)
  assert.equal(r.commissionAsset, '')
  assert.equal(r.tsEventUs, 1499405658657000)
  assert.equal(r.tsRecvUs, 42)
})

test('executionReport TRADE: last qty/price, commission at its own scale, maker flag', () => {
  const ev = JSON.parse(NEW_EVENT) as Record<string, unknown>
  Object.assign(ev, { x: 'TRADE', X: 'PARTIALLY_FILLED', l: '0.25000000', z: '0.25000000', L: '0.10000000', n: '0.00012500', N: 'BNB', t: 987, m: true })
  const r = new ExecReport()
  assert.ok(decodeExecutionReport(ev as unknown as BinanceExecutionReport, r, ctx, 1))
  assert.equal(r.execType, ExecType.Trade)
  assert.equal(r.status, OrderStatus.PartiallyFilled)
  assert.equal(r.lastQtyM, 25000)
  assert.equal(r.lastPxM, 10)
  assert.equal(r.cumQtyM, 25000)
  assert.equal(r.tradeId, 987)
  assert.equal(r.commissionM, 125)
  assert.equal(r.commissionScale, 6)
  assert.equal(r.commissionAsset, 'BNB')
  assert.equal(r.isMaker, true)
})

test('executionReport CANCELED: c is the cancel id, C the order id; the report names the order', () => {
  const ev = JSON.parse(NEW_EVENT) as Record<string, unknown>
  Object.assign(ev, { x: 'CANCELED', X: 'CANCELED', c: 'cancel-req-1', C: 'mUvoqJxFIILMdfAW5iGSOW' })
  const r = new ExecReport()
  decodeExecutionReport(ev as unknown as BinanceExecutionReport, r, ctx, 1)
  assert.equal(r.execType, ExecType.Canceled)
  assert.equal(r.clientOrderId, 'mUvoqJxFIILMdfAW5iGSOW')
})

test('EXPIRED_IN_MATCH maps to expired; REJECTED carries the venue reason; unknown symbols are refused', () => {
  const ev = JSON.parse(NEW_EVENT) as Record<string, unknown>
  Object.assign(ev, { x: 'TRADE_PREVENTION', X: 'EXPIRED_IN_MATCH' })
  const r = new ExecReport()
  decodeExecutionReport(ev as unknown as BinanceExecutionReport, r, ctx, 1)
  assert.equal(r.status, OrderStatus.Expired)
  Object.assign(ev, { x: 'REJECTED', X: 'REJECTED', r: 'INSUFFICIENT_BALANCES' })
  r.reset()
  decodeExecutionReport(ev as unknown as BinanceExecutionReport, r, ctx, 1)
  assert.equal(r.execType, ExecType.Rejected)
  assert.equal(r.reasonCode, 'VENUE_INSUFFICIENT_BALANCES')
  Object.assign(ev, { s: 'DOGEUSDT' })
  assert.equal(decodeExecutionReport(ev as unknown as BinanceExecutionReport, new ExecReport(), ctx, 1), false)
})

test('REST FULL reply: restated status + one Trade report per fill; cancel reply names the order', () => {
  const full = JSON.parse(
    `{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"tf.a.1","transactTime":1507725176595,"price":"0.00000000","origQty":"0.00200000","executedQty":"0.00200000","cummulativeQuoteQty":"100.00000000","status":"FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL","fills":[{"price":"50000.00000000","qty":"0.00150000","commission":"0.07500000","commissionAsset":"USDT","tradeId":56},{"price":"49999.99000000","qty":"0.00050000","commission":"0.02500000","commissionAsset":"USDT","tradeId":57}]}`,
  ) as BinanceOrderObject
  const r = new ExecReport()
  decodeOrderObject(full, r, ctx, 1)
  assert.equal(r.status, OrderStatus.Filled)
  assert.equal(r.execType, ExecType.Restated)
  assert.equal(r.cumQtyM, 200)
  assert.equal(r.clientOrderId, 'tf.a.1')
  const f = new ExecReport()
  decodeFill(full, 1, f, ctx, 1)
  assert.equal(f.execType, ExecType.Trade)
  assert.equal(f.tradeId, 57)
  assert.equal(f.lastPxM, 4999999)
  assert.equal(f.lastQtyM, 50)
  const cancel = JSON.parse(`{"symbol":"BTCUSDT","origClientOrderId":"tf.a.2","orderId":29,"clientOrderId":"tf.a.3","status":"CANCELED","executedQty":"0.00000000","cummulativeQuoteQty":"0.00000000"}`) as BinanceOrderObject
  r.reset()
  decodeOrderObject(cancel, r, ctx, 1)
  assert.equal(r.clientOrderId, 'tf.a.2')
  assert.equal(r.execType, ExecType.Canceled)
})

test('query, openOrders and myTrades entries become venue-neutral states', () => {
  const s = toVenueOrderState(
    JSON.parse(`{"symbol":"BTCUSDT","orderId":1,"clientOrderId":"x","price":"50000.01000000","origQty":"0.01000000","executedQty":"0.00500000","cummulativeQuoteQty":"250.00000000","status":"PARTIALLY_FILLED","side":"SELL","updateTime":1700000000000}`) as BinanceOrderObject,
    ctx,
  )!
  assert.deepEqual([s.priceM, s.qtyM, s.cumQtyM, s.status, s.side, s.tsUpdateUs], [5000001, 1000, 500, OrderStatus.PartiallyFilled, OrderSide.Sell, 1700000000000000])
  const t = toVenueTrade(
    JSON.parse(`{"symbol":"BTCUSDT","id":5,"orderId":1,"price":"50000.00000000","qty":"0.00100000","quoteQty":"50","commission":"0.0000001","commissionAsset":"BTC","time":1700000000001,"isBuyer":false,"isMaker":true}`),
    ctx,
  )!
  assert.deepEqual([t.tradeId, t.pxM, t.qtyM, t.side, t.isMaker, t.commission], [5, 5000000, 100, OrderSide.Sell, true, '0.0000001'])
})
