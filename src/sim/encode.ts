/**
 * Payload encoders for the market-data streams, exactly in Binance Spot's
 * key order and types (protocol §1.2): prices and quantities are strings
 * padded to 8 decimals, ids and times are numbers. `t` converts an epoch-µs
 * time to the connection's unit (ms, or µs with timeUnit=MICROSECOND).
 *
 * Template strings, not JSON.stringify: the payload is built once per event
 * and per time unit, whatever the number of subscribers.
 */
import { fmt } from './wire.js'

/** epoch µs -> wire time in ms or µs */
export function wireTime(us: number, micro: boolean): number {
  return micro ? us : Math.floor(us / 1000)
}

export function tradePayload(sym: string, tradeId: number, price: number, qty: number, buyerIsMaker: boolean, tradeUs: number, eventUs: number, micro: boolean): string {
  return `{"e":"trade","E":${wireTime(eventUs, micro)},"s":"${sym}","t":${tradeId},"p":"${fmt(price)}","q":"${fmt(qty)}","T":${wireTime(tradeUs, micro)},"m":${buyerIsMaker},"M":true}`
}

export function aggTradePayload(sym: string, aggId: number, price: number, qty: number, first: number, last: number, buyerIsMaker: boolean, tradeUs: number, eventUs: number, micro: boolean): string {
  return `{"e":"aggTrade","E":${wireTime(eventUs, micro)},"s":"${sym}","a":${aggId},"p":"${fmt(price)}","q":"${fmt(qty)}","f":${first},"l":${last},"T":${wireTime(tradeUs, micro)},"m":${buyerIsMaker},"M":true}`
}

export function bookTickerPayload(sym: string, u: number, bp: number, bq: number, ap: number, aq: number): string {
  return `{"u":${u},"s":"${sym}","b":"${fmt(bp)}","B":"${fmt(bq)}","a":"${fmt(ap)}","A":"${fmt(aq)}"}`
}

export function levelsJson(levels: ReadonlyArray<readonly [number, number]>): string {
  let s = '['
  for (let i = 0; i < levels.length; i++) {
    if (i > 0) s += ','
    s += `["${fmt(levels[i]![0])}","${fmt(levels[i]![1])}"]`
  }
  return s + ']'
}

export function depthUpdatePayload(sym: string, U: number, u: number, bids: string, asks: string, eventUs: number, micro: boolean): string {
  return `{"e":"depthUpdate","E":${wireTime(eventUs, micro)},"s":"${sym}","U":${U},"u":${u},"b":${bids},"a":${asks}}`
}

export function partialDepthPayload(lastUpdateId: number, bids: string, asks: string): string {
  return `{"lastUpdateId":${lastUpdateId},"bids":${bids},"asks":${asks}}`
}

/** A candle being built. Amounts are scale-8 mantissas. */
export class Candle {
  openUs = 0
  closeUs = 0
  firstId = -1
  lastId = -1
  open = 0
  high = 0
  low = 0
  close = 0
  volume = 0
  quoteVolume = 0
  count = 0
  takerBuyVolume = 0
  takerBuyQuote = 0
}

export function klinePayload(sym: string, interval: string, c: Candle, closed: boolean, eventUs: number, micro: boolean): string {
  return (
    `{"e":"kline","E":${wireTime(eventUs, micro)},"s":"${sym}","k":{"t":${wireTime(c.openUs, micro)},"T":${wireTime(c.closeUs, micro)},` +
    `"s":"${sym}","i":"${interval}","f":${c.firstId},"L":${c.lastId},"o":"${fmt(c.open)}","c":"${fmt(c.close)}","h":"${fmt(c.high)}",` +
    `"l":"${fmt(c.low)}","v":"${fmt(c.volume)}","n":${c.count},"x":${closed},"q":"${fmt(c.quoteVolume)}","V":"${fmt(c.takerBuyVolume)}",` +
    `"Q":"${fmt(c.takerBuyQuote)}","B":"0"}}`
  )
}

/** REST /klines row. */
export function klineRow(c: Candle): unknown[] {
  return [
    Math.floor(c.openUs / 1000),
    fmt(c.open),
    fmt(c.high),
    fmt(c.low),
    fmt(c.close),
    fmt(c.volume),
    Math.floor(c.closeUs / 1000),
    fmt(c.quoteVolume),
    c.count,
    fmt(c.takerBuyVolume),
    fmt(c.takerBuyQuote),
    '0',
  ]
}

/** Rolling statistics of one symbol since the simulator started (the simulator's "24 h"). */
export class TickerStats {
  openUs = 0
  open = 0
  high = 0
  low = 0
  last = 0
  lastQty = 0
  volume = 0
  quoteVolume = 0
  count = 0
  firstId = -1
  lastId = -1
}

export function miniTickerPayload(sym: string, s: TickerStats, eventUs: number, micro: boolean): string {
  return `{"e":"24hrMiniTicker","E":${wireTime(eventUs, micro)},"s":"${sym}","c":"${fmt(s.last)}","o":"${fmt(s.open)}","h":"${fmt(s.high)}","l":"${fmt(s.low)}","v":"${fmt(s.volume)}","q":"${fmt(s.quoteVolume)}"}`
}

export function tickerPayload(sym: string, s: TickerStats, bp: number, bq: number, ap: number, aq: number, eventUs: number, micro: boolean): string {
  const change = s.last - s.open
  const pct = s.open > 0 ? ((change / s.open) * 100).toFixed(3) : '0.000'
  const wavg = s.volume > 0 ? fmt(Math.round((s.quoteVolume / s.volume) * 1e8)) : fmt(0)
  return (
    `{"e":"24hrTicker","E":${wireTime(eventUs, micro)},"s":"${sym}","p":"${fmt(change)}","P":"${pct}","w":"${wavg}","x":"${fmt(s.open)}",` +
    `"c":"${fmt(s.last)}","Q":"${fmt(s.lastQty)}","b":"${fmt(bp)}","B":"${fmt(bq)}","a":"${fmt(ap)}","A":"${fmt(aq)}","o":"${fmt(s.open)}",` +
    `"h":"${fmt(s.high)}","l":"${fmt(s.low)}","v":"${fmt(s.volume)}","q":"${fmt(s.quoteVolume)}","O":${wireTime(s.openUs, micro)},` +
    `"C":${wireTime(eventUs, micro)},"F":${s.firstId},"L":${s.lastId},"n":${s.count}}`
  )
}

export const KLINE_INTERVALS: ReadonlyArray<readonly [string, number]> = [
  ['1s', 1_000],
  ['1m', 60_000],
  ['3m', 180_000],
  ['5m', 300_000],
  ['15m', 900_000],
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['2h', 7_200_000],
  ['4h', 14_400_000],
  ['6h', 21_600_000],
  ['8h', 28_800_000],
  ['12h', 43_200_000],
  ['1d', 86_400_000],
  ['3d', 259_200_000],
  ['1w', 604_800_000],
]
