/**
 * Book checks for `tickflow replay --verify` (fixtures README, "What a book
 * check is"): every bookTicker whose `u` equals the final `u` of a diff the
 * book sync applied must equal the local best bid and best ask, price AND
 * quantity, as they stood right after that diff.
 *
 * bookTickers usually arrive BEFORE the 100 ms diff that contains their
 * update id, so a ticker ahead of the book is held (bounded ring, oldest
 * dropped and counted on overflow) until a diff with u ≥ its u is applied:
 * equal → checked, passed → not checkable. A ticker at or behind the book is
 * looked up in a ring of the best levels recorded after each recent applied
 * diff (u ascending, binary search). Either way the result depends only on
 * which diffs were applied, not on how frames interleave.
 *
 *   held ring    (u, bid px, bid qty, ask px, ask qty)  tickers waiting for their diff
 *   history ring (u, bid px, bid qty, ask px, ask qty)  top of book after each applied diff
 */
import type { ReadonlyOrderBook } from '../book/order-book.js'
import type { ProviderRaw } from '../model/provider-raw.js'

const RING = 4096
const MASK = RING - 1
const MAX_SAMPLES = 5

/** Top-of-book tuples in a power-of-two ring. */
class TopRing {
  readonly u = new Float64Array(RING)
  readonly bp = new Float64Array(RING)
  readonly bq = new Float64Array(RING)
  readonly ap = new Float64Array(RING)
  readonly aq = new Float64Array(RING)
  head = 0
  count = 0

  /** Appends; returns false when the oldest entry had to be dropped. */
  push(u: number, bp: number, bq: number, ap: number, aq: number): boolean {
    let dropped = false
    if (this.count === RING) {
      this.head = (this.head + 1) & MASK
      this.count--
      dropped = true
    }
    const i = (this.head + this.count) & MASK
    this.u[i] = u
    this.bp[i] = bp
    this.bq[i] = bq
    this.ap[i] = ap
    this.aq[i] = aq
    this.count++
    return !dropped
  }

  /** Physical index of the entry with update id `u` (entries ascending), or -1. */
  find(u: number): number {
    let lo = 0
    let hi = this.count
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.u[(this.head + mid) & MASK]! < u) lo = mid + 1
      else hi = mid
    }
    if (lo === this.count) return -1
    const i = (this.head + lo) & MASK
    return this.u[i] === u ? i : -1
  }
}

export interface BookCheckMismatch {
  updateId: number
  ticker: { bidPxM: number; bidQtyM: number; askPxM: number; askQtyM: number }
  book: { bidPxM: number; bidQtyM: number; askPxM: number; askQtyM: number }
}

export interface BookCheckStats {
  tickers: number
  checks: number
  mismatches: number
  /** tickers whose u matched no applied diff (inside a diff's range, or before the first sync) */
  unmatched: number
  /** held tickers dropped because the hold ring was full */
  heldDropped: number
  /** tickers still held at the end */
  held: number
  samples: BookCheckMismatch[]
}

class InstrumentChecks {
  readonly held = new TopRing()
  readonly history = new TopRing()
  lastAppliedU = 0
  tickers = 0
  checks = 0
  mismatches = 0
  unmatched = 0
  heldDropped = 0
  readonly samples: BookCheckMismatch[] = []
}

export class BookChecker {
  private readonly byId: Array<InstrumentChecks | null> = [null]

  private get(id: number): InstrumentChecks {
    while (this.byId.length <= id) this.byId.push(null)
    let c = this.byId[id]!
    if (c === null) {
      c = new InstrumentChecks()
      this.byId[id] = c
    }
    return c
  }

  /** Call right after the book sync applied a diff (its final id is `updateId`). */
  onDiffApplied(book: ReadonlyOrderBook, updateId: number): void {
    const c = this.get(book.instrumentId)
    const bp = book.bestBidPx()
    const bq = book.bestBidQty()
    const ap = book.bestAskPx()
    const aq = book.bestAskQty()
    c.lastAppliedU = updateId
    c.history.push(updateId, bp, bq, ap, aq)
    const h = c.held
    while (h.count > 0) {
      const i = h.head
      const tu = h.u[i]!
      if (tu > updateId) break
      if (tu === updateId) this.compare(c, tu, h.bp[i]!, h.bq[i]!, h.ap[i]!, h.aq[i]!, bp, bq, ap, aq)
      else c.unmatched++
      h.head = (h.head + 1) & MASK
      h.count--
    }
  }

  /** A decoded bookTicker (RawType.BookTicker). */
  onTicker(raw: ProviderRaw): void {
    const c = this.get(raw.instrumentId)
    c.tickers++
    const u = raw.updateId
    if (u > c.lastAppliedU) {
      if (!c.held.push(u, raw.bidPxM, raw.bidQtyM, raw.askPxM, raw.askQtyM)) c.heldDropped++
      return
    }
    const h = c.history
    const i = h.find(u)
    if (i < 0) {
      c.unmatched++
      return
    }
    this.compare(c, u, raw.bidPxM, raw.bidQtyM, raw.askPxM, raw.askQtyM, h.bp[i]!, h.bq[i]!, h.ap[i]!, h.aq[i]!)
  }

  stats(instrumentId: number): BookCheckStats {
    const c = this.get(instrumentId)
    return {
      tickers: c.tickers,
      checks: c.checks,
      mismatches: c.mismatches,
      unmatched: c.unmatched,
      heldDropped: c.heldDropped,
      held: c.held.count,
      samples: c.samples.slice(),
    }
  }

  private compare(c: InstrumentChecks, u: number, tbp: number, tbq: number, tap: number, taq: number, bp: number, bq: number, ap: number, aq: number): void {
    c.checks++
    if (tbp === bp && tbq === bq && tap === ap && taq === aq) return
    c.mismatches++
    if (c.samples.length < MAX_SAMPLES) {
      c.samples.push({
        updateId: u,
        ticker: { bidPxM: tbp, bidQtyM: tbq, askPxM: tap, askQtyM: taq },
        book: { bidPxM: bp, bidQtyM: bq, askPxM: ap, askQtyM: aq },
      })
    }
  }
}
