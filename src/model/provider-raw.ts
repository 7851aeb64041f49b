/**
 * ProviderRaw (pooled type 2 of 6): one venue message decoded from the frame
 * bytes but not yet normalized. The venue's decoder fills it in the venue's own
 * terms (its message type, its time unit, its id fields); the venue's
 * normalizer then turns it into a CanonicalEvent (or into book/subscription
 * state). A flat struct with named fields rather than a venue-specific class,
 * so that one pool serves every venue and the shape never changes.
 *
 * Decimals are mantissas at the instrument's scales (exact); times are in the
 * venue's unit as sent (`timeUnitUs` says how many µs one unit is).
 */
import { PooledObject } from '../core/pool.js'
import { copyFloat64, ensureFloat64 } from '../core/typed.js'

/** Message types a venue decoder recognises. */
export const RawType = {
  Unknown: 0,
  Trade: 1,
  AggTrade: 2,
  BookTicker: 3,
  DepthUpdate: 4,
  /** partial book depth: a top-N snapshot */
  PartialDepth: 5,
  Kline: 6,
  /** reply to a SUBSCRIBE/UNSUBSCRIBE/... request: replyId, result */
  Reply: 7,
  /** error reply: replyId, errorCode, errorMsg */
  Error: 8,
  /** the venue will close the connection soon: reconnect */
  ServerShutdown: 9,
  /** REST order-book snapshot */
  DepthSnapshot: 10,
} as const
export const RAW_TYPE_COUNT = 11

const INITIAL_LEVELS = 32

export class ProviderRaw extends PooledObject {
  type: number = RawType.Unknown
  venueId = 0
  /** Interned instrument id, 0 when the message names no known symbol. */
  instrumentId = 0
  /** Local receive time of the frame, epoch µs. */
  recvTsUs = 0
  /** µs per venue time unit (1000 for ms, 1 for µs). */
  timeUnitUs = 1000
  /** `E`: event time, venue units. */
  eventTime = 0
  /** `T`: trade/transaction time, venue units. */
  tradeTime = 0

  // trade / aggTrade
  /** `t` (trade) or `a` (aggTrade) */
  tradeId = 0
  /** aggTrade `f` / `l` */
  firstTradeId = 0
  lastTradeId = 0
  priceM = 0
  qtyM = 0
  /** `m`: the buyer was the maker (the taker sold) */
  buyerIsMaker = false

  // bookTicker
  /** `u` on bookTicker, depth `u`, partial depth / snapshot `lastUpdateId` */
  updateId = 0
  /** depth `U` */
  firstUpdateId = 0
  /** depth `pu` (USD-M) */
  prevUpdateId = 0
  bidPxM = 0
  bidQtyM = 0
  askPxM = 0
  askQtyM = 0

  // depth levels (DepthUpdate, PartialDepth, DepthSnapshot)
  bidCount = 0
  askCount = 0
  bidPxs: Float64Array = new Float64Array(INITIAL_LEVELS)
  bidQtys: Float64Array = new Float64Array(INITIAL_LEVELS)
  askPxs: Float64Array = new Float64Array(INITIAL_LEVELS)
  askQtys: Float64Array = new Float64Array(INITIAL_LEVELS)

  // kline
  klineStart = 0
  klineClose = 0
  klineIntervalSec = 0
  openM = 0
  highM = 0
  lowM = 0
  closeM = 0
  volumeM = 0
  quoteVolumeM = 0
  klineTrades = 0
  klineClosed = false

  // replies and errors (rare path)
  replyId = 0
  errorCode = 0
  errorMsg = ''

  reset(): void {
    this.type = RawType.Unknown
    this.venueId = 0
    this.instrumentId = 0
    this.recvTsUs = 0
    this.timeUnitUs = 1000
    this.eventTime = 0
    this.tradeTime = 0
    this.tradeId = 0
    this.firstTradeId = 0
    this.lastTradeId = 0
    this.priceM = 0
    this.qtyM = 0
    this.buyerIsMaker = false
    this.updateId = 0
    this.firstUpdateId = 0
    this.prevUpdateId = 0
    this.bidPxM = 0
    this.bidQtyM = 0
    this.askPxM = 0
    this.askQtyM = 0
    if (this.bidCount > 0) {
      this.bidPxs.fill(0, 0, this.bidCount)
      this.bidQtys.fill(0, 0, this.bidCount)
    }
    if (this.askCount > 0) {
      this.askPxs.fill(0, 0, this.askCount)
      this.askQtys.fill(0, 0, this.askCount)
    }
    this.bidCount = 0
    this.askCount = 0
    this.klineStart = 0
    this.klineClose = 0
    this.klineIntervalSec = 0
    this.openM = 0
    this.highM = 0
    this.lowM = 0
    this.closeM = 0
    this.volumeM = 0
    this.quoteVolumeM = 0
    this.klineTrades = 0
    this.klineClosed = false
    this.replyId = 0
    this.errorCode = 0
    this.errorMsg = ''
  }

  pushBid(pxM: number, qtyM: number): void {
    const i = this.bidCount
    if (i >= this.bidPxs.length) {
      this.bidPxs = ensureFloat64(this.bidPxs, i + 1)
      this.bidQtys = ensureFloat64(this.bidQtys, i + 1)
    }
    this.bidPxs[i] = pxM
    this.bidQtys[i] = qtyM
    this.bidCount = i + 1
  }

  pushAsk(pxM: number, qtyM: number): void {
    const i = this.askCount
    if (i >= this.askPxs.length) {
      this.askPxs = ensureFloat64(this.askPxs, i + 1)
      this.askQtys = ensureFloat64(this.askQtys, i + 1)
    }
    this.askPxs[i] = pxM
    this.askQtys[i] = qtyM
    this.askCount = i + 1
  }

  copyFrom(o: ProviderRaw): this {
    this.type = o.type
    this.venueId = o.venueId
    this.instrumentId = o.instrumentId
    this.recvTsUs = o.recvTsUs
    this.timeUnitUs = o.timeUnitUs
    this.eventTime = o.eventTime
    this.tradeTime = o.tradeTime
    this.tradeId = o.tradeId
    this.firstTradeId = o.firstTradeId
    this.lastTradeId = o.lastTradeId
    this.priceM = o.priceM
    this.qtyM = o.qtyM
    this.buyerIsMaker = o.buyerIsMaker
    this.updateId = o.updateId
    this.firstUpdateId = o.firstUpdateId
    this.prevUpdateId = o.prevUpdateId
    this.bidPxM = o.bidPxM
    this.bidQtyM = o.bidQtyM
    this.askPxM = o.askPxM
    this.askQtyM = o.askQtyM
    if (this.bidCount > o.bidCount) {
      this.bidPxs.fill(0, o.bidCount, this.bidCount)
      this.bidQtys.fill(0, o.bidCount, this.bidCount)
    }
    if (this.askCount > o.askCount) {
      this.askPxs.fill(0, o.askCount, this.askCount)
      this.askQtys.fill(0, o.askCount, this.askCount)
    }
    this.bidPxs = copyFloat64(this.bidPxs, o.bidPxs, o.bidCount)
    this.bidQtys = copyFloat64(this.bidQtys, o.bidQtys, o.bidCount)
    this.askPxs = copyFloat64(this.askPxs, o.askPxs, o.askCount)
    this.askQtys = copyFloat64(this.askQtys, o.askQtys, o.askCount)
    this.bidCount = o.bidCount
    this.askCount = o.askCount
    this.klineStart = o.klineStart
    this.klineClose = o.klineClose
    this.klineIntervalSec = o.klineIntervalSec
    this.openM = o.openM
    this.highM = o.highM
    this.lowM = o.lowM
    this.closeM = o.closeM
    this.volumeM = o.volumeM
    this.quoteVolumeM = o.quoteVolumeM
    this.klineTrades = o.klineTrades
    this.klineClosed = o.klineClosed
    this.replyId = o.replyId
    this.errorCode = o.errorCode
    this.errorMsg = o.errorMsg
    return this
  }

  clone(): ProviderRaw {
    return new ProviderRaw().copyFrom(this)
  }
}
