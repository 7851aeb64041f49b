/**
 * Response bodies and user-data event payloads of the trading side, in
 * Binance's field order (protocol §4.1, §5.2, §5.3). Pure functions of the
 * order/account state; the Exchange decides when to send them.
 */
import { fmt } from './wire.js'
import { quoteOf } from './book.js'
import type { Account, AccountTrade, SimOrder } from './accounts.js'

/** One fill of a taker order, for the FULL response. */
export interface FillRec {
  price: number
  qty: number
  commission: number
  commissionAsset: string
  tradeId: number
}

/** GET /api/v3/order body (also openOrders entries). */
export function orderJson(o: SimOrder): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.isBuy ? 'BUY' : 'SELL',
    stopPrice: fmt(0),
    icebergQty: fmt(0),
    time: o.timeMs,
    updateTime: o.updateTimeMs,
    isWorking: o.isWorking,
    workingTime: o.workingTimeMs,
    origQuoteOrderQty: fmt(o.quoteOrderQty),
    selfTradePreventionMode: 'NONE',
  }
}

/** POST /api/v3/order body for ACK / RESULT / FULL (protocol §4.1). */
export function orderResponse(o: SimOrder, respType: string, fills: FillRec[], now: number): Record<string, unknown> {
  const ack: Record<string, unknown> = { symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId, transactTime: now }
  if (respType === 'ACK') return ack
  Object.assign(ack, {
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: fmt(o.quoteOrderQty),
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.isBuy ? 'BUY' : 'SELL',
    workingTime: o.workingTimeMs,
    selfTradePreventionMode: 'NONE',
  })
  if (o.expiryReason !== '') ack.expiryReason = o.expiryReason
  if (respType === 'FULL') {
    ack.fills = fills.map((f) => ({ price: fmt(f.price), qty: fmt(f.qty), commission: fmt(f.commission), commissionAsset: f.commissionAsset, tradeId: f.tradeId }))
  }
  return ack
}

/** GET /api/v3/account body. */
export function accountJson(acc: Account, omitZero: boolean): Record<string, unknown> {
  const bps = (r: number): number => Math.round(r / 10_000)
  const balances = [...acc.balances.entries()]
    .filter(([, b]) => !omitZero || b.free !== 0 || b.locked !== 0)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }))
  return {
    makerCommission: bps(acc.makerRate),
    takerCommission: bps(acc.takerRate),
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: fmt(acc.makerRate), taker: fmt(acc.takerRate), buyer: fmt(0), seller: fmt(0) },
    canTrade: true,
    canWithdraw: true,
    canDeposit: true,
    brokered: false,
    requireSelfTradePrevention: false,
    preventSor: false,
    updateTime: acc.updateTimeMs,
    accountType: 'SPOT',
    balances,
    permissions: ['SPOT'],
    uid: acc.id,
  }
}

/** GET /api/v3/myTrades entry. */
export function accountTradeJson(t: AccountTrade): Record<string, unknown> {
  return {
    symbol: t.symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: -1,
    price: fmt(t.price),
    qty: fmt(t.qty),
    quoteQty: fmt(t.quoteQty),
    commission: fmt(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.timeMs,
    isBuyer: t.isBuyer,
    isMaker: t.isMaker,
    isBestMatch: true,
  }
}

/** `outboundAccountPosition` listing the assets in `changed`. */
export function accountPositionPayload(acc: Account, changed: Set<string>, now: number): string {
  let list = ''
  for (const asset of changed) {
    const b = acc.balance(asset)
    if (list !== '') list += ','
    list += `{"a":"${asset}","f":"${fmt(b.free)}","l":"${fmt(b.locked)}"}`
  }
  return `{"e":"outboundAccountPosition","E":${now},"u":${acc.updateTimeMs > 0 ? acc.updateTimeMs : now},"B":[${list}]}`
}

/**
 * `executionReport` with every field of protocol §5.2 in order, plus `eR` on
 * EXPIRED. Cancel rule: `c` = the cancel's id, `C` = the order's original id.
 */
export function executionReportPayload(
  o: SimOrder,
  x: string,
  cancelId: string,
  lastQty: number,
  lastPrice: number,
  commission: number,
  commissionAsset: string,
  tradeId: number,
  isMaker: boolean,
  now: number,
  execId: number,
): string {
  const c = x === 'CANCELED' ? cancelId : o.clientOrderId
  const C = x === 'CANCELED' ? o.clientOrderId : ''
  const N = commissionAsset === '' ? 'null' : `"${commissionAsset}"`
  const n = commissionAsset === '' ? '0' : fmt(commission)
  let s =
    `{"e":"executionReport","E":${now},"s":"${o.symbol}","c":"${c}","S":"${o.isBuy ? 'BUY' : 'SELL'}","o":"${o.type}","f":"${o.timeInForce}",` +
    `"q":"${fmt(o.origQty)}","p":"${fmt(o.price)}","P":"${fmt(0)}","F":"${fmt(0)}","g":-1,"C":"${C}","x":"${x}","X":"${o.status}","r":"NONE",` +
    `"i":${o.orderId},"l":"${fmt(lastQty)}","z":"${fmt(o.executedQty)}","L":"${fmt(lastPrice)}","n":"${n}","N":${N},"T":${now},"t":${tradeId},` +
    `"I":${execId},"w":${o.isWorking},"m":${isMaker},"M":false,"O":${o.timeMs},"Z":"${fmt(o.cumQuote)}","Y":"${fmt(quoteOf(lastPrice, lastQty))}",` +
    `"Q":"${fmt(o.quoteOrderQty)}","W":${o.workingTimeMs >= 0 ? o.workingTimeMs : now},"V":"NONE"`
  if (x === 'EXPIRED' && o.expiryReason !== '') s += `,"eR":"${o.expiryReason}"`
  s += '}'
  return s
}

/** DELETE /api/v3/order body: `origClientOrderId` is the order's id, `clientOrderId` the cancel's. */
export function cancelResponse(o: SimOrder, cancelId: string, now: number): Record<string, unknown> {
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: cancelId,
    transactTime: now,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: fmt(o.quoteOrderQty),
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.isBuy ? 'BUY' : 'SELL',
    selfTradePreventionMode: 'NONE',
  }
}

/** `balanceUpdate` (protocol §5.3); `delta` may be negative. */
export function balanceUpdatePayload(asset: string, delta: number, now: number): string {
  return `{"e":"balanceUpdate","E":${now},"a":"${asset}","d":"${fmt(delta)}","T":${now}}`
}
