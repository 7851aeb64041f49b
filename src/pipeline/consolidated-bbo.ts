/**
 * Consolidated best bid/offer per canonical instrument across venues (e.g.
 * BTC-USDT from BTCUSDT on Binance Spot and on USD-M).
 *
 *   per instrument id (typed arrays):  bid px/qty, ask px/qty, scales, valid bits
 *   per canonical id:                  ConsolidatedBbo (members sorted by id,
 *                                      current consolidated values, dirty flag)
 *
 * Rules (docs/pipeline.md):
 * - a member's top comes from its latest Quote (bookTicker) or book top;
 *   a side with price or quantity 0 is absent;
 * - best bid = highest price, best ask = lowest; ties go to the lowest
 *   instrument id (deterministic, so a replay reproduces the same venue);
 * - members may have different scales: the consolidated values are expressed
 *   at the largest price / quantity scale among the members that have a top
 *   (exact: mantissas are multiplied by a power of ten; a member whose
 *   rescaled value would leave the safe-integer range is skipped and counted);
 * - `invalidate` (BookInvalidated) removes a member's top until it sends a new one.
 *
 * All state is preallocated per instrument at first sight (cold path); an
 * update is a few typed-array writes and a loop over the (2–3) members.
 */
import { POW10 } from '../core/fixed-point.js'
import type { ReadonlyOrderBook } from '../book/order-book.js'

/** Read-only view of a canonical instrument's consolidated BBO (strategy context `bbo()`). */
export interface ReadonlyConsolidatedBbo {
  readonly canonicalId: number
  readonly bidPxM: number
  readonly bidQtyM: number
  /** venue of the best bid, 0 when no venue has a bid */
  readonly bidVenueId: number
  readonly bidInstrumentId: number
  readonly askPxM: number
  readonly askQtyM: number
  readonly askVenueId: number
  readonly askInstrumentId: number
  readonly priceScale: number
  readonly qtyScale: number
  /** merger publish time of the last change, epoch µs */
  readonly tsUs: number
  /** number of changes so far */
  readonly changes: number
}

export class ConsolidatedBbo implements ReadonlyConsolidatedBbo {
  readonly canonicalId: number
  bidPxM = 0
  bidQtyM = 0
  bidVenueId = 0
  bidInstrumentId = 0
  askPxM = 0
  askQtyM = 0
  askVenueId = 0
  askInstrumentId = 0
  priceScale = 0
  qtyScale = 0
  tsUs = 0
  changes = 0
  /** current values not yet published (a publish failed for lack of pooled objects) */
  dirty = false
  /** member instrument ids, ascending */
  readonly members: number[] = []

  constructor(canonicalId: number) {
    this.canonicalId = canonicalId
  }
}

/** A top of book, written by a BookTopSource. Mantissas at the instrument's scales. */
export class TopOfBook {
  bidPxM = 0
  bidQtyM = 0
  askPxM = 0
  askQtyM = 0
  priceScale = 0
  qtyScale = 0
}

/**
 * Where the merger reads an instrument's current book top after a BookDelta
 * (implemented by the engine over the venues' books). Returns false when the
 * instrument has no valid book.
 */
export interface BookTopSource {
  top(instrumentId: number, out: TopOfBook): boolean
}

/**
 * A BookTopSource over the engine's books: `lookup` (bound once, at wiring)
 * returns an instrument's book, or null when it has none or it is resyncing,
 * so an invalid book's stale top never reaches the consolidated BBO.
 */
export class OrderBookTops implements BookTopSource {
  private readonly lookup: (instrumentId: number) => ReadonlyOrderBook | null

  constructor(lookup: (instrumentId: number) => ReadonlyOrderBook | null) {
    this.lookup = lookup
  }

  top(instrumentId: number, out: TopOfBook): boolean {
    const b = this.lookup(instrumentId)
    if (b === null || (b.bidLevels === 0 && b.askLevels === 0)) return false
    out.bidPxM = b.bestBidPx()
    out.bidQtyM = b.bestBidQty()
    out.askPxM = b.bestAskPx()
    out.askQtyM = b.bestAskQty()
    out.priceScale = b.priceScale
    out.qtyScale = b.qtyScale
    return true
  }
}

const BID = 1
const ASK = 2

export class BboBook {
  private bidPx: Float64Array = new Float64Array(64)
  private bidQty: Float64Array = new Float64Array(64)
  private askPx: Float64Array = new Float64Array(64)
  private askQty: Float64Array = new Float64Array(64)
  private pxScale: Uint8Array = new Uint8Array(64)
  private qtyScale: Uint8Array = new Uint8Array(64)
  private venue: Int32Array = new Int32Array(64)
  private valid: Uint8Array = new Uint8Array(64)
  private joined: Uint8Array = new Uint8Array(64)
  private readonly byCanonical: Array<ConsolidatedBbo | null> = [null]
  /** members skipped because their rescaled value left the safe-integer range */
  scaleOverflows = 0

  /** The consolidated BBO of a canonical id, or null before any member quoted. */
  get(canonicalId: number): ConsolidatedBbo | null {
    return canonicalId > 0 && canonicalId < this.byCanonical.length ? this.byCanonical[canonicalId]! : null
  }

  /**
   * Sets a member's top; returns its canonical BBO when the consolidated
   * values changed (or an earlier change is still unpublished), else null.
   */
  update(
    instrumentId: number,
    venueId: number,
    canonicalId: number,
    bidPxM: number,
    bidQtyM: number,
    askPxM: number,
    askQtyM: number,
    priceScale: number,
    qtyScale: number,
  ): ConsolidatedBbo | null {
    const c = this.member(instrumentId, venueId, canonicalId)
    const hasBid = bidPxM > 0 && bidQtyM > 0
    const hasAsk = askPxM > 0 && askQtyM > 0
    this.bidPx[instrumentId] = hasBid ? bidPxM : 0
    this.bidQty[instrumentId] = hasBid ? bidQtyM : 0
    this.askPx[instrumentId] = hasAsk ? askPxM : 0
    this.askQty[instrumentId] = hasAsk ? askQtyM : 0
    this.pxScale[instrumentId] = priceScale
    this.qtyScale[instrumentId] = qtyScale
    this.valid[instrumentId] = (hasBid ? BID : 0) | (hasAsk ? ASK : 0)
    return this.recompute(c)
  }

  /** Removes a member's top (its book was invalidated); returns the BBO when that changed it. */
  invalidate(instrumentId: number, canonicalId: number): ConsolidatedBbo | null {
    const c = this.get(canonicalId)
    if (c === null || instrumentId >= this.valid.length || this.valid[instrumentId] === 0) return null
    this.valid[instrumentId] = 0
    return this.recompute(c)
  }

  private member(instrumentId: number, venueId: number, canonicalId: number): ConsolidatedBbo {
    while (canonicalId >= this.byCanonical.length) this.byCanonical.push(null)
    let c = this.byCanonical[canonicalId]!
    if (c === null) {
      c = new ConsolidatedBbo(canonicalId)
      this.byCanonical[canonicalId] = c
    }
    if (instrumentId >= this.valid.length) this.grow(instrumentId + 1)
    if (this.joined[instrumentId] === 0) {
      // first sight of this instrument (cold): join its canonical's members
      this.joined[instrumentId] = 1
      this.venue[instrumentId] = venueId
      let i = c.members.length
      c.members.push(instrumentId)
      while (i > 0 && c.members[i - 1]! > instrumentId) {
        c.members[i] = c.members[i - 1]!
        i--
      }
      c.members[i] = instrumentId
    }
    return c
  }

  private recompute(c: ConsolidatedBbo): ConsolidatedBbo | null {
    const ms = c.members
    let ps = 0
    let qs = 0
    for (let i = 0; i < ms.length; i++) {
      const id = ms[i]!
      if (this.valid[id] === 0) continue
      if (this.pxScale[id]! > ps) ps = this.pxScale[id]!
      if (this.qtyScale[id]! > qs) qs = this.qtyScale[id]!
    }
    let bidPx = 0
    let bidQty = 0
    let bidId = 0
    let askPx = 0
    let askQty = 0
    let askId = 0
    for (let i = 0; i < ms.length; i++) {
      const id = ms[i]!
      const v = this.valid[id]!
      if (v === 0) continue
      const pf = POW10[ps - this.pxScale[id]!]!
      const qf = POW10[qs - this.qtyScale[id]!]!
      if ((v & BID) !== 0) {
        const px = this.bidPx[id]! * pf
        const qty = this.bidQty[id]! * qf
        if (!Number.isSafeInteger(px) || !Number.isSafeInteger(qty)) this.scaleOverflows++
        else if (px > bidPx) {
          bidPx = px
          bidQty = qty
          bidId = id
        }
      }
      if ((v & ASK) !== 0) {
        const px = this.askPx[id]! * pf
        const qty = this.askQty[id]! * qf
        if (!Number.isSafeInteger(px) || !Number.isSafeInteger(qty)) this.scaleOverflows++
        else if (askId === 0 || px < askPx) {
          askPx = px
          askQty = qty
          askId = id
        }
      }
    }
    const bidVenue = bidId === 0 ? 0 : this.venue[bidId]!
    const askVenue = askId === 0 ? 0 : this.venue[askId]!
    if (bidId === 0 && askId === 0) {
      ps = 0
      qs = 0
    }
    if (
      bidPx === c.bidPxM &&
      bidQty === c.bidQtyM &&
      bidId === c.bidInstrumentId &&
      askPx === c.askPxM &&
      askQty === c.askQtyM &&
      askId === c.askInstrumentId &&
      ps === c.priceScale &&
      qs === c.qtyScale
    ) {
      return c.dirty ? c : null
    }
    c.bidPxM = bidPx
    c.bidQtyM = bidQty
    c.bidInstrumentId = bidId
    c.bidVenueId = bidVenue
    c.askPxM = askPx
    c.askQtyM = askQty
    c.askInstrumentId = askId
    c.askVenueId = askVenue
    c.priceScale = ps
    c.qtyScale = qs
    c.changes++
    c.dirty = true
    return c
  }

  private grow(n: number): void {
    let len = this.valid.length
    while (len < n) len *= 2
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(len)
      b.set(a)
      return b
    }
    const u8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(len)
      b.set(a)
      return b
    }
    this.bidPx = f64(this.bidPx)
    this.bidQty = f64(this.bidQty)
    this.askPx = f64(this.askPx)
    this.askQty = f64(this.askQty)
    this.pxScale = u8(this.pxScale)
    this.qtyScale = u8(this.qtyScale)
    const v = new Int32Array(len)
    v.set(this.venue)
    this.venue = v
    this.valid = u8(this.valid)
    this.joined = u8(this.joined)
  }
}
