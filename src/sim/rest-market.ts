/**
 * Public market-data REST endpoints (protocol §3.1, §4.5): ping, time,
 * exchangeInfo, depth, trades, aggTrades, klines, ticker/bookTicker,
 * ticker/24hr, avgPrice. Weights as Binance documents them.
 */
import { KLINE_INTERVALS, klineRow, type Candle } from './encode.js'
import type { Market, SymbolMarket } from './market.js'
import { ok, optional, required, type RestRequest, type RestRouter } from './rest.js'
import { exchangeInfoSymbol } from './symbols.js'
import { Err, fmt, parseParamInt } from './wire.js'

export interface RateLimitsConfig {
  requestWeightPerMinute: number
  ordersPer10s: number
  ordersPerDay: number
  rawRequestsPer5m: number
}

export function rateLimitsJson(r: RateLimitsConfig): unknown[] {
  return [
    { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: r.requestWeightPerMinute },
    { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: r.ordersPer10s },
    { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: r.ordersPerDay },
    { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: r.rawRequestsPer5m },
  ]
}

export function depthWeight(limit: number): number {
  if (limit <= 100) return 5
  if (limit <= 500) return 25
  if (limit <= 1000) return 50
  return 250
}

function symbolOf(market: Market, rr: RestRequest): SymbolMarket {
  const s = market.get(required(rr, 'symbol'))
  if (s === undefined) throw Err.badSymbol()
  return s
}

function limitOf(rr: RestRequest, dflt: number, max: number): number {
  const v = optional(rr, 'limit')
  if (v === null) return dflt
  const n = parseParamInt('limit', v)
  if (n < 1) throw Err.illegalParam('limit')
  return n > max ? max : n
}

/** `symbols=["A","B"]` parameter, or null. */
function symbolsParam(market: Market, rr: RestRequest): SymbolMarket[] | null {
  const v = optional(rr, 'symbols')
  if (v === null) return null
  let arr: unknown
  try {
    arr = JSON.parse(v)
  } catch {
    throw Err.illegalChars('symbols')
  }
  if (!Array.isArray(arr)) throw Err.illegalChars('symbols')
  return arr.map((s) => {
    const m = typeof s === 'string' ? market.get(s) : undefined
    if (m === undefined) throw Err.badSymbol()
    return m
  })
}

function bookTickerJson(sm: SymbolMarket): unknown {
  const b = sm.book.bids.best()
  const a = sm.book.asks.best()
  return {
    symbol: sm.sym,
    bidPrice: fmt(b?.price ?? 0),
    bidQty: fmt(b?.total() ?? 0),
    askPrice: fmt(a?.price ?? 0),
    askQty: fmt(a?.total() ?? 0),
  }
}

function ticker24Json(sm: SymbolMarket, nowMs: number): unknown {
  const s = sm.stats
  const b = sm.book.bids.best()
  const a = sm.book.asks.best()
  const change = s.last - s.open
  return {
    symbol: sm.sym,
    priceChange: fmt(change),
    priceChangePercent: s.open > 0 ? ((change / s.open) * 100).toFixed(3) : '0.000',
    weightedAvgPrice: s.volume > 0 ? fmt(Math.round((s.quoteVolume / s.volume) * 1e8)) : fmt(0),
    prevClosePrice: fmt(s.open),
    lastPrice: fmt(s.last),
    lastQty: fmt(s.lastQty),
    bidPrice: fmt(b?.price ?? 0),
    bidQty: fmt(b?.total() ?? 0),
    askPrice: fmt(a?.price ?? 0),
    askQty: fmt(a?.total() ?? 0),
    openPrice: fmt(s.open),
    highPrice: fmt(s.high),
    lowPrice: fmt(s.low),
    volume: fmt(s.volume),
    quoteVolume: fmt(s.quoteVolume),
    openTime: Math.floor(s.openUs / 1000),
    closeTime: nowMs,
    firstId: s.firstId,
    lastId: s.lastId,
    count: s.count,
  }
}

export interface MarketRestOptions {
  market: Market
  rateLimits: RateLimitsConfig
  /** replay mode may serve recorded exchangeInfo symbols instead */
  exchangeInfoSymbols: () => unknown[]
  /** depth body override (replay) */
  depthBody?: (sm: SymbolMarket, limit: number) => string
}

export function registerMarketRoutes(router: RestRouter, o: MarketRestOptions): void {
  const m = o.market
  router.add('GET', '/api/v3/ping', 1, () => ok('{}'))
  router.add('GET', '/api/v3/time', 1, (rr) => ok(`{"serverTime":${rr.nowMs}}`))
  router.add('GET', '/api/v3/exchangeInfo', 20, (rr) => {
    let syms = o.exchangeInfoSymbols() as Array<{ symbol: string }>
    const one = optional(rr, 'symbol')
    const many = symbolsParam(m, rr)
    if (one !== null) {
      if (m.get(one) === undefined) throw Err.badSymbol()
      syms = syms.filter((s) => s.symbol === one)
    } else if (many !== null) {
      const names = new Set(many.map((s) => s.sym))
      syms = syms.filter((s) => names.has(s.symbol))
    }
    return ok({ timezone: 'UTC', serverTime: rr.nowMs, rateLimits: rateLimitsJson(o.rateLimits), exchangeFilters: [], symbols: syms })
  })
  router.add(
    'GET',
    '/api/v3/depth',
    (rr) => {
      const v = optional(rr, 'limit')
      const n = v !== null && /^\d{1,6}$/.test(v) ? Number.parseInt(v, 10) : 100
      return depthWeight(n)
    },
    (rr) => {
      const sm = symbolOf(m, rr)
      const limit = limitOf(rr, 100, 5000)
      return ok(o.depthBody !== undefined ? o.depthBody(sm, limit) : m.depthSnapshot(sm, limit))
    },
  )
  router.add('GET', '/api/v3/trades', 25, (rr) => {
    const sm = symbolOf(m, rr)
    const limit = limitOf(rr, 500, 1000)
    const t = sm.trades.slice(-limit)
    return ok(
      t.map((x) => ({
        id: x.id,
        price: fmt(x.price),
        qty: fmt(x.qty),
        quoteQty: fmt(Number((BigInt(x.price) * BigInt(x.qty)) / 100_000_000n)),
        time: Math.floor(x.timeUs / 1000),
        isBuyerMaker: x.buyerIsMaker,
        isBestMatch: true,
      })),
    )
  })
  router.add('GET', '/api/v3/aggTrades', 4, (rr) => {
    const sm = symbolOf(m, rr)
    const limit = limitOf(rr, 500, 1000)
    const fromId = optional(rr, 'fromId')
    const start = optional(rr, 'startTime')
    const end = optional(rr, 'endTime')
    const from = fromId === null ? -1 : parseParamInt('fromId', fromId)
    const startMs = start === null ? -1 : parseParamInt('startTime', start)
    const endMs = end === null ? Number.MAX_SAFE_INTEGER : parseParamInt('endTime', end)
    const aggs: Array<{ a: number; p: string; q: number; f: number; l: number; T: number; m: boolean; M: boolean }> = []
    for (const t of sm.trades) {
      const ms = Math.floor(t.timeUs / 1000)
      if (t.aggId < from || ms < startMs || ms > endMs) continue
      const last = aggs[aggs.length - 1]
      if (last !== undefined && last.a === t.aggId) {
        last.q += t.qty
        last.l = t.id
      } else {
        aggs.push({ a: t.aggId, p: fmt(t.price), q: t.qty, f: t.id, l: t.id, T: ms, m: t.buyerIsMaker, M: true })
      }
    }
    const sel = from >= 0 || startMs >= 0 ? aggs.slice(0, limit) : aggs.slice(-limit)
    return ok(sel.map((a) => ({ ...a, q: fmt(a.q) })))
  })
  router.add('GET', '/api/v3/klines', 2, (rr) => {
    const sm = symbolOf(m, rr)
    const iv = required(rr, 'interval')
    const idx = KLINE_INTERVALS.findIndex(([n]) => n === iv)
    if (idx < 0) throw Err.invalidInterval()
    const limit = limitOf(rr, 500, 1000)
    const start = optional(rr, 'startTime')
    const end = optional(rr, 'endTime')
    const startMs = start === null ? -1 : parseParamInt('startTime', start)
    const endMs = end === null ? Number.MAX_SAFE_INTEGER : parseParamInt('endTime', end)
    const all: Candle[] = [...sm.closedCandles[idx]!, sm.candles[idx]!].filter((c) => c.openUs / 1000 >= startMs && c.openUs / 1000 <= endMs)
    return ok((startMs >= 0 ? all.slice(0, limit) : all.slice(-limit)).map(klineRow))
  })
  router.add(
    'GET',
    '/api/v3/ticker/bookTicker',
    (rr) => (rr.params.has('symbol') ? 2 : 4),
    (rr) => {
      const many = symbolsParam(m, rr)
      if (rr.params.has('symbol')) return ok(bookTickerJson(symbolOf(m, rr)))
      return ok((many ?? m.list).map(bookTickerJson))
    },
  )
  router.add(
    'GET',
    '/api/v3/ticker/24hr',
    (rr) => (rr.params.has('symbol') ? 2 : 80),
    (rr) => {
      const many = symbolsParam(m, rr)
      if (rr.params.has('symbol')) return ok(ticker24Json(symbolOf(m, rr), rr.nowMs))
      return ok((many ?? m.list).map((s) => ticker24Json(s, rr.nowMs)))
    },
  )
  router.add('GET', '/api/v3/avgPrice', 2, (rr) => {
    const sm = symbolOf(m, rr)
    return ok({ mins: 5, price: fmt(sm.stats.last), closeTime: rr.nowMs })
  })
}

export function defaultExchangeInfoSymbols(market: Market): unknown[] {
  return market.list.map((s) => exchangeInfoSymbol(s.spec))
}
