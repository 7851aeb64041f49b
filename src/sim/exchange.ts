/**
 * The trading side of the simulated venue: order validation (Binance's
 * parameter and filter errors), balance checks and locking, matching through
 * Market.execute (price-time priority against the simulated book, users'
 * resting orders included), commissions, and the user-data events
 * (executionReport with every field of protocol §5.2, outboundAccountPosition,
 * balanceUpdate).
 *
 * Shared by REST and the WebSocket API: both hand in a parameter map and get
 * a response object or a BinanceError.
 *
 * Balances move exactly: every amount is a scale-8 mantissa; quote amounts
 * are price × qty (exact on the tick/step grids), commissions are
 * amount × rate rounded half-even to 8 decimals.
 */
import { Rounding, mulDecimals } from '../core/fixed-point.js'
import { OrderStatus, SimOrder, type Account, type AccountTrade } from './accounts.js'
import { quoteOf } from './book.js'
import type { Execution, Market, SymbolMarket } from './market.js'
import { accountJson, accountPositionPayload, accountTradeJson, balanceUpdatePayload, cancelResponse, executionReportPayload, orderJson, orderResponse, type FillRec } from './responses.js'
import { Err, parseParamDecimal, parseParamInt, BinanceError } from './wire.js'

export type Params = Map<string, string>

const CLIENT_ID_RE = /^[a-zA-Z0-9-_]{1,36}$/
const TYPES = new Set(['LIMIT', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'LIMIT_MAKER'])
const RESP_TYPES = new Set(['ACK', 'RESULT', 'FULL'])
/** Orders remembered per account (open ones always; the oldest closed ones are forgotten beyond this). */
const MAX_ORDERS_KEPT = 100_000

export interface ExchangeStats {
  ordersPlaced: number
  ordersRejected: number
  ordersCanceled: number
  fills: number
  executionReports: number
  duplicatedReports: number
  reorderedReports: number
  swallowedOrders: number
}

/** Result of placing an order: the response body object and the order counters for headers. */
export interface PlaceResult {
  body: Record<string, unknown> | null
  counts: [number, number]
}


function param(p: Params, name: string): string | null {
  const v = p.get(name)
  return v === undefined || v === '' ? null : v
}

function need(p: Params, name: string): string {
  const v = param(p, name)
  if (v === null) throw Err.mandatory(name)
  return v
}

export class Exchange {
  readonly market: Market
  readonly accounts: Account[]
  readonly byKey = new Map<string, Account>()
  readonly stats: ExchangeStats = {
    ordersPlaced: 0,
    ordersRejected: 0,
    ordersCanceled: 0,
    fills: 0,
    executionReports: 0,
    duplicatedReports: 0,
    reorderedReports: 0,
    swallowedOrders: 0,
  }
  ordersPer10s: number
  ordersPerDay: number
  private nextOrderId = 1
  private nextExecId = 1
  private nextClientSeq = 1
  private readonly nowMs: () => number
  private readonly execs: Execution[] = []
  /** orders by id across accounts (maker fills arrive by order object; this finds the account) */
  private readonly accountById = new Map<number, Account>()

  constructor(market: Market, accounts: Account[], nowMs: () => number, ordersPer10s: number, ordersPerDay: number) {
    this.market = market
    this.accounts = accounts
    this.nowMs = nowMs
    this.ordersPer10s = ordersPer10s
    this.ordersPerDay = ordersPerDay
    for (const a of accounts) {
      this.byKey.set(a.apiKey, a)
      this.accountById.set(a.id, a)
    }
    market.onMakerFill = (sm, order, price, qty, tradeId, timeUs) => this.onMakerFill(sm, order as SimOrder, price, qty, tradeId, timeUs)
  }

  private symbolOf(p: Params): SymbolMarket {
    const sm = this.market.get(need(p, 'symbol'))
    if (sm === undefined) throw Err.badSymbol()
    return sm
  }

  /** Validates and places an order (REST POST /api/v3/order, WS-API order.place). */
  place(acc: Account, p: Params, testOnly = false): PlaceResult {
    try {
      return this.placeInner(acc, p, testOnly)
    } catch (err) {
      if (err instanceof BinanceError) this.stats.ordersRejected++
      throw err
    }
  }

  private placeInner(acc: Account, p: Params, testOnly: boolean): PlaceResult {
    const sm = this.symbolOf(p)
    const spec = sm.spec
    const sideText = need(p, 'side')
    if (sideText !== 'BUY' && sideText !== 'SELL') throw Err.invalidSide()
    const isBuy = sideText === 'BUY'
    const type = need(p, 'type')
    if (!TYPES.has(type)) throw Err.invalidOrderType()
    if (type !== 'LIMIT' && type !== 'MARKET' && type !== 'LIMIT_MAKER') throw Err.orderRejected('Unsupported order combination')
    const tifText = param(p, 'timeInForce')
    const priceText = param(p, 'price')
    const qtyText = param(p, 'quantity')
    const quoteText = param(p, 'quoteOrderQty')
    let tif = 'GTC'
    if (type === 'LIMIT') {
      if (tifText === null) throw Err.mandatory('timeInForce')
      if (tifText !== 'GTC' && tifText !== 'IOC' && tifText !== 'FOK') throw Err.invalidTif()
      tif = tifText
      need(p, 'quantity')
      need(p, 'price')
      if (quoteText !== null) throw Err.notRequired('quoteOrderQty')
    } else if (type === 'LIMIT_MAKER') {
      if (tifText !== null) throw Err.notRequired('timeInForce')
      need(p, 'quantity')
      need(p, 'price')
      if (quoteText !== null) throw Err.notRequired('quoteOrderQty')
    } else {
      if (tifText !== null) throw Err.notRequired('timeInForce')
      if (priceText !== null) throw Err.notRequired('price')
      if (qtyText === null && quoteText === null) throw Err.mandatory('quantity')
      if (qtyText !== null && quoteText !== null) throw Err.notRequired('quoteOrderQty')
    }
    const respText = param(p, 'newOrderRespType')
    if (respText !== null && !RESP_TYPES.has(respText)) throw Err.invalidRespType()
    const respType = respText ?? (type === 'MARKET' || type === 'LIMIT' ? 'FULL' : 'ACK')
    let clientOrderId = param(p, 'newClientOrderId')
    if (clientOrderId !== null && !CLIENT_ID_RE.test(clientOrderId)) throw Err.illegalChars('newClientOrderId')
    const stp = param(p, 'selfTradePreventionMode')
    if (stp !== null && stp !== 'NONE') throw Err.orderRejected('This order type is not possible due to self-trade prevention mode.')

    const price = priceText === null ? 0 : parseParamDecimal('price', priceText)
    const qty = qtyText === null ? 0 : parseParamDecimal('quantity', qtyText)
    const quoteQty = quoteText === null ? 0 : parseParamDecimal('quoteOrderQty', quoteText)

    // Filters, in Binance's order.
    if (type !== 'MARKET') {
      if (price <= 0 || price < spec.minPrice || price > spec.maxPrice || price % spec.tickSize !== 0) throw Err.filter('PRICE_FILTER')
    }
    if (qtyText !== null) {
      if (qty < spec.minQty || qty > spec.maxQty || qty % spec.stepSize !== 0) throw Err.filter('LOT_SIZE')
    }
    const refPrice = type === 'MARKET' ? this.referencePrice(sm, isBuy) : price
    const notional = quoteText !== null ? quoteQty : mulDecimals(refPrice, 8, qty, 8, 8, Rounding.Down)
    if (notional < spec.minNotional) throw Err.filter('NOTIONAL')
    if (notional > spec.maxNotional && type !== 'MARKET') throw Err.filter('NOTIONAL')
    if (clientOrderId !== null && acc.openByClientId.has(clientOrderId)) throw Err.duplicateOrder()

    // Rate limits (ORDERS)
    const now = this.nowMs()
    const [c10, cDay] = acc.orderCounts(now)
    if (c10 >= this.ordersPer10s) throw Err.tooManyOrders(this.ordersPer10s, '10 SECOND')
    if (cDay >= this.ordersPerDay) throw Err.tooManyOrders(this.ordersPerDay, '1 DAY')

    // Balance: what this order needs locked or spent.
    const base = acc.balance(spec.baseAsset)
    const quote = acc.balance(spec.quoteAsset)
    let lockAmount = 0
    if (type === 'MARKET') {
      if (isBuy) {
        const cost = quoteText !== null ? quoteQty : this.marketCost(sm, qty)
        if (cost > quote.free) throw Err.insufficientBalance()
      } else if (qtyText !== null) {
        if (qty > base.free) throw Err.insufficientBalance()
      } else if (base.free <= 0) {
        throw Err.insufficientBalance()
      }
    } else if (isBuy) {
      lockAmount = mulDecimals(price, 8, qty, 8, 8, Rounding.Ceil)
      if (lockAmount > quote.free) throw Err.insufficientBalance()
    } else {
      lockAmount = qty
      if (lockAmount > base.free) throw Err.insufficientBalance()
    }
    if (type === 'LIMIT_MAKER') {
      const opp = sm.makerSide(isBuy).bestPrice()
      if (opp > 0 && (isBuy ? price >= opp : price <= opp)) throw Err.wouldTake()
    }
    if (testOnly) return { body: {}, counts: [c10, cDay] }

    const counts = acc.countOrder(now)
    if (clientOrderId === null) clientOrderId = `sim${(this.nextClientSeq++).toString(36)}${now.toString(36)}`
    const o = new SimOrder()
    o.orderId = this.nextOrderId++
    o.accountId = acc.id
    o.symbol = sm.sym
    o.isBuy = isBuy
    o.type = type
    o.timeInForce = type === 'MARKET' ? 'GTC' : tif
    o.price = price
    o.origQty = qty
    o.remaining = qty
    o.quoteOrderQty = quoteQty
    o.clientOrderId = clientOrderId
    o.timeMs = now
    o.updateTimeMs = now
    o.status = OrderStatus.New
    acc.orders.set(o.orderId, o)
    if (acc.orders.size > MAX_ORDERS_KEPT) this.pruneOrders(acc)
    this.stats.ordersPlaced++
    if (lockAmount > 0) {
      const b = isBuy ? quote : base
      b.free -= lockAmount
      b.locked += lockAmount
      o.locked = lockAmount
    }
    const changed = new Set<string>()
    if (lockAmount > 0) changed.add(isBuy ? spec.quoteAsset : spec.baseAsset)

    const fills: FillRec[] = []
    const execs = this.execs
    execs.length = 0
    const opp = sm.makerSide(isBuy).bestPrice()
    const crosses = type === 'MARKET' || (opp > 0 && (isBuy ? price >= opp : price <= opp))
    // FOK: all or nothing.
    const fokKill = type === 'LIMIT' && tif === 'FOK' && sm.makerSide(isBuy).available(price, qty) < qty
    const restsAtOnce = !crosses && (type === 'LIMIT_MAKER' || tif === 'GTC')
    if (restsAtOnce) {
      o.isWorking = true
      o.workingTimeMs = now
    }
    // The NEW report comes first (the order is accepted), then trades.
    this.report(acc, o, 'NEW', '', 0, 0, 0, '', -1, false, now)
    if (crosses && !fokKill) {
      if (type === 'MARKET') {
        const maxQty = qtyText !== null ? qty : isBuy ? Number.MAX_SAFE_INTEGER : base.free
        this.market.execute(sm, isBuy, 0, maxQty, quoteText !== null ? quoteQty : 0, execs)
      } else {
        this.market.execute(sm, isBuy, price, qty, 0, execs)
      }
      // execute() has already reported the maker side of each fill (including this account's own resting orders).
      const own = execs.slice()
      let total = 0
      for (const e of own) total += e.qty
      if (type === 'MARKET' && quoteText !== null) {
        o.origQty = total
        o.remaining = total
      }
      if (type === 'LIMIT' && tif === 'GTC' && total < qty) {
        o.isWorking = true
        o.workingTimeMs = now
      }
      for (const e of own) fills.push(this.applyTakerFill(acc, sm, o, e, changed))
    }
    // What remains of the order.
    if (o.remaining > 0 || (type === 'MARKET' && o.executedQty === 0)) {
      if (type === 'MARKET' || tif === 'IOC' || tif === 'FOK') {
        o.status = OrderStatus.Expired
        o.expiryReason = type === 'MARKET' ? 'INSUFFICIENT_LIQUIDITY' : tif === 'IOC' ? 'UNFILLED_IOC_QUANTITY_EXPIRED' : 'UNFILLED_FOK_ORDER_EXPIRED'
        this.releaseLock(acc, sm, o, changed)
        this.report(acc, o, 'EXPIRED', '', 0, 0, 0, '', -1, false, now)
      } else {
        acc.openByClientId.set(o.clientOrderId, o)
        this.market.rest(sm, isBuy, o)
      }
    } else {
      this.releaseLock(acc, sm, o, changed)
    }
    if (o.workingTimeMs < 0) o.workingTimeMs = now
    this.accountPosition(acc, changed, now)
    this.flushHeld(acc)
    if (acc.swallowOrders > 0) {
      acc.swallowOrders--
      this.stats.swallowedOrders++
      return { body: null, counts }
    }
    return { body: orderResponse(o, respType, fills, now), counts }
  }

  /** Forgets the oldest closed orders of `acc` (queries for them then give -2013, as for very old orders on Binance). */
  private pruneOrders(acc: Account): void {
    let drop = acc.orders.size - (MAX_ORDERS_KEPT >> 1)
    for (const [id, o] of acc.orders) {
      if (drop <= 0) break
      if (o.isWorking) continue
      acc.orders.delete(id)
      drop--
    }
  }

  private referencePrice(sm: SymbolMarket, isBuy: boolean): number {
    const p = sm.makerSide(isBuy).bestPrice()
    return p > 0 ? p : sm.stats.last
  }

  /** Cost in quote of buying `qty` at market now (walks the asks). */
  private marketCost(sm: SymbolMarket, qty: number): number {
    let left = qty
    let cost = 0
    const asks = sm.book.asks
    for (let i = 0; i < asks.prices.length && left > 0; i++) {
      const p = asks.prices[i]!
      const q = Math.min(left, asks.levels.get(p)!.total())
      cost += quoteOf(p, q)
      left -= q
    }
    return cost
  }

  private commission(amount: number, rate: number): number {
    return mulDecimals(amount, 8, rate, 8, 8, Rounding.HalfEven)
  }

  /** Applies one fill to the taker order `o` of `acc`. */
  private applyTakerFill(acc: Account, sm: SymbolMarket, o: SimOrder, e: Execution, changed: Set<string>): FillRec {
    const q = quoteOf(e.price, e.qty)
    o.executedQty += e.qty
    o.remaining -= e.qty
    o.cumQuote += q
    o.updateTimeMs = this.nowMs()
    const fill = this.settle(acc, sm, o, e.price, e.qty, q, acc.takerRate, false, e.tradeId, changed)
    o.status = o.remaining === 0 ? OrderStatus.Filled : OrderStatus.PartiallyFilled
    this.report(acc, o, 'TRADE', '', e.qty, e.price, fill.commission, fill.commissionAsset, e.tradeId, false, this.nowMs())
    return fill
  }

  /** Moves balances for one fill of `o` (maker or taker) and records the account trade. */
  private settle(acc: Account, sm: SymbolMarket, o: SimOrder, price: number, qty: number, quoteAmt: number, rate: number, isMaker: boolean, tradeId: number, changed: Set<string>): FillRec {
    const spec = sm.spec
    const base = acc.balance(spec.baseAsset)
    const quote = acc.balance(spec.quoteAsset)
    let commission: number
    let commissionAsset: string
    if (o.isBuy) {
      // pay quote (from the lock for resting/limit orders, from free for market), receive base minus commission
      let fromLock = 0
      if (o.locked > 0) {
        const reserve = o.type === 'MARKET' ? quoteAmt : mulDecimals(o.price, 8, qty, 8, 8, Rounding.Ceil)
        fromLock = Math.min(o.locked, reserve)
        o.locked -= fromLock
        quote.locked -= fromLock
        quote.free += fromLock
      }
      quote.free -= quoteAmt
      commission = this.commission(qty, rate)
      commissionAsset = spec.baseAsset
      base.free += qty - commission
    } else {
      if (o.locked > 0) {
        const fromLock = Math.min(o.locked, qty)
        o.locked -= fromLock
        base.locked -= fromLock
        base.free += fromLock
      }
      base.free -= qty
      commission = this.commission(quoteAmt, rate)
      commissionAsset = spec.quoteAsset
      quote.free += quoteAmt - commission
    }
    changed.add(spec.baseAsset)
    changed.add(spec.quoteAsset)
    const now = this.nowMs()
    acc.updateTimeMs = now
    const t: AccountTrade = { symbol: sm.sym, id: tradeId, orderId: o.orderId, price, qty, quoteQty: quoteAmt, commission, commissionAsset, timeMs: now, isBuyer: o.isBuy, isMaker }
    if (acc.trades.length >= 10_000) acc.trades.shift()
    acc.trades.push(t)
    this.stats.fills++
    return { price, qty, commission, commissionAsset, tradeId }
  }

  /** Returns whatever `o` still holds locked to free. */
  private releaseLock(acc: Account, sm: SymbolMarket, o: SimOrder, changed: Set<string>): void {
    if (o.locked <= 0) return
    const asset = o.isBuy ? sm.spec.quoteAsset : sm.spec.baseAsset
    const b = acc.balance(asset)
    b.locked -= o.locked
    b.free += o.locked
    o.locked = 0
    changed.add(asset)
  }

  /** A user's resting order was hit (by the synthetic market or another taker). */
  private onMakerFill(sm: SymbolMarket, o: SimOrder, price: number, qty: number, tradeId: number, timeUs: number): void {
    const acc = this.accountById.get(o.accountId)
    if (acc === undefined) return
    const changed = new Set<string>()
    const q = quoteOf(price, qty)
    o.executedQty += qty
    o.cumQuote += q
    // o.remaining was already reduced by the book
    const fill = this.settle(acc, sm, o, price, qty, q, acc.makerRate, true, tradeId, changed)
    const nowMs = Math.floor(timeUs / 1000)
    o.updateTimeMs = nowMs
    if (o.remaining === 0) {
      o.status = OrderStatus.Filled
      o.isWorking = false
      acc.openByClientId.delete(o.clientOrderId)
      this.releaseLock(acc, sm, o, changed)
    } else {
      o.status = OrderStatus.PartiallyFilled
    }
    this.report(acc, o, 'TRADE', '', qty, price, fill.commission, fill.commissionAsset, tradeId, true, nowMs)
    this.accountPosition(acc, changed, nowMs)
    this.flushHeld(acc)
  }

  /** Finds an order by orderId and/or origClientOrderId (-1102 when neither). */
  findOrder(acc: Account, p: Params, sm: SymbolMarket, missing: () => BinanceError): SimOrder {
    const idText = param(p, 'orderId')
    const orig = param(p, 'origClientOrderId')
    if (idText === null && orig === null) throw Err.mandatory('orderId')
    let o: SimOrder | undefined
    if (idText !== null) {
      o = acc.orders.get(parseParamInt('orderId', idText))
      if (o !== undefined && orig !== null && o.clientOrderId !== orig) o = undefined
    } else {
      o = acc.openByClientId.get(orig!)
      if (o === undefined) for (const x of acc.orders.values()) if (x.clientOrderId === orig) o = x
    }
    if (o === undefined || o.symbol !== sm.sym) throw missing()
    return o
  }

  /** DELETE /api/v3/order, WS-API order.cancel. */
  cancel(acc: Account, p: Params): Record<string, unknown> {
    const sm = this.symbolOf(p)
    const o = this.findOrder(acc, p, sm, () => Err.cancelRejected())
    if (!o.isWorking) throw Err.cancelRejected()
    let newId = param(p, 'newClientOrderId')
    if (newId !== null && !CLIENT_ID_RE.test(newId)) throw Err.illegalChars('newClientOrderId')
    const now = this.nowMs()
    if (newId === null) newId = `simc${(this.nextClientSeq++).toString(36)}${now.toString(36)}`
    return this.cancelOrder(acc, sm, o, newId, now)
  }

  private cancelOrder(acc: Account, sm: SymbolMarket, o: SimOrder, cancelId: string, now: number): Record<string, unknown> {
    this.market.unrest(sm, o.isBuy, o)
    o.isWorking = false
    o.status = OrderStatus.Canceled
    o.updateTimeMs = now
    acc.openByClientId.delete(o.clientOrderId)
    const changed = new Set<string>()
    this.releaseLock(acc, sm, o, changed)
    this.stats.ordersCanceled++
    this.report(acc, o, 'CANCELED', cancelId, 0, 0, 0, '', -1, false, now)
    this.accountPosition(acc, changed, now)
    this.flushHeld(acc)
    return cancelResponse(o, cancelId, now)
  }

  /** DELETE /api/v3/openOrders. */
  cancelAll(acc: Account, p: Params): Record<string, unknown>[] {
    const sm = this.symbolOf(p)
    const open = [...acc.openByClientId.values()].filter((o) => o.symbol === sm.sym)
    if (open.length === 0) throw Err.cancelRejected()
    const now = this.nowMs()
    return open.map((o) => this.cancelOrder(acc, sm, o, `simc${(this.nextClientSeq++).toString(36)}${now.toString(36)}`, now))
  }

  /** GET /api/v3/order, WS-API order.status. */
  status(acc: Account, p: Params): Record<string, unknown> {
    const sm = this.symbolOf(p)
    return orderJson(this.findOrder(acc, p, sm, () => Err.noSuchOrder()))
  }

  /** GET /api/v3/openOrders. */
  openOrders(acc: Account, p: Params): Record<string, unknown>[] {
    const symbol = param(p, 'symbol')
    if (symbol !== null && this.market.get(symbol) === undefined) throw Err.badSymbol()
    return [...acc.openByClientId.values()].filter((o) => symbol === null || o.symbol === symbol).sort((a, b) => a.orderId - b.orderId).map((o) => orderJson(o))
  }

  orderJson(o: SimOrder): Record<string, unknown> {
    return orderJson(o)
  }

  /** GET /api/v3/account, WS-API account.status. */
  accountJson(acc: Account, omitZero: boolean): Record<string, unknown> {
    return accountJson(acc, omitZero)
  }

  /** GET /api/v3/myTrades. */
  myTrades(acc: Account, p: Params): Record<string, unknown>[] {
    const sm = this.symbolOf(p)
    const orderId = param(p, 'orderId')
    const fromId = param(p, 'fromId')
    const limitText = param(p, 'limit')
    const limit = limitText === null ? 500 : Math.min(1000, parseParamInt('limit', limitText))
    const oid = orderId === null ? -1 : parseParamInt('orderId', orderId)
    const from = fromId === null ? -1 : parseParamInt('fromId', fromId)
    const sel = acc.trades.filter((t) => t.symbol === sm.sym && (oid < 0 || t.orderId === oid) && t.id >= from)
    return (from >= 0 ? sel.slice(0, limit) : sel.slice(-limit)).map(accountTradeJson)
  }

  /** Credits (or debits) a balance and emits balanceUpdate + outboundAccountPosition. */
  deposit(acc: Account, asset: string, delta: number): void {
    const b = acc.balance(asset)
    if (b.free + delta < 0) throw Err.insufficientBalance()
    b.free += delta
    const now = this.nowMs()
    acc.updateTimeMs = now
    acc.emit(balanceUpdatePayload(asset, delta, now))
    this.accountPosition(acc, new Set([asset]), now)
  }

  private accountPosition(acc: Account, changed: Set<string>, now: number): void {
    if (changed.size === 0) return
    acc.emit(accountPositionPayload(acc, changed, now))
  }

  /** Builds and emits an executionReport with every field of protocol §5.2. */
  private report(acc: Account, o: SimOrder, x: string, cancelId: string, lastQty: number, lastPrice: number, commission: number, commissionAsset: string, tradeId: number, isMaker: boolean, now: number): void {
    this.stats.executionReports++
    const s = executionReportPayload(o, x, cancelId, lastQty, lastPrice, commission, commissionAsset, tradeId, isMaker, now, this.nextExecId++)
    this.emitReport(acc, s)
  }

  /** Emits an executionReport through the duplicate / reorder faults. */
  private emitReport(acc: Account, payload: string): void {
    if (acc.reorderReports > 0 && acc.heldReport === null) {
      acc.reorderReports--
      acc.heldReport = payload
      acc.heldBatches = 0
      this.stats.reorderedReports++
      return
    }
    acc.emit(payload)
    if (acc.dupReports > 0) {
      acc.dupReports--
      this.stats.duplicatedReports++
      acc.emit(payload)
    }
    if (acc.heldReport !== null) {
      const h = acc.heldReport
      acc.heldReport = null
      acc.emit(h)
    }
  }

  /** Releases a held (reordered) report when no other report followed it within one more batch. */
  private flushHeld(acc: Account): void {
    if (acc.heldReport === null) return
    if (++acc.heldBatches < 2) return
    const h = acc.heldReport
    acc.heldReport = null
    acc.emit(h)
  }
}
