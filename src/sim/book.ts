/**
 * The simulator's own matching book for one symbol: price levels holding
 * anonymous simulated liquidity (`anon`) and, behind it, users' resting
 * orders in time priority.
 *
 *   bids: prices descending   [p0 > p1 > …]   level = { anon, orders FIFO }
 *   asks: prices ascending    [p0 < p1 < …]
 *
 * Priority inside a level: the anonymous quantity first (it stands for the
 * orders that were resting before any user order arrived), then user orders
 * in arrival order. Simulated takers (synthetic trades) and user takers match
 * through the same `take()`, so a user's resting order fills when the
 * simulated market trades through its price.
 *
 * Every change to a displayed level is recorded in the dirty sets that the
 * depth streams drain (diffs carry absolute quantities, so a set of prices
 * is enough). Prices and quantities are scale-8 mantissas.
 *
 * Cold-ish path: levels are tens, not thousands; sorted arrays with binary
 * search are simpler and fast enough at the synthetic market's rates.
 */

/** A user's order resting on the book (the order manager owns the object). */
export interface RestingOrder {
  readonly orderId: number
  readonly accountId: number
  readonly price: number
  /** remaining quantity, reduced by the book on fills */
  remaining: number
}

export class Level {
  readonly price: number
  anon = 0
  orders: RestingOrder[] = []
  constructor(price: number) {
    this.price = price
  }
  total(): number {
    let t = this.anon
    for (let i = 0; i < this.orders.length; i++) t += this.orders[i]!.remaining
    return t
  }
}

/** One fill against a level; `maker` is null for anonymous liquidity. */
export interface BookFill {
  price: number
  qty: number
  maker: RestingOrder | null
}

export const BUY = 0
export const SELL = 1

export class BookSide {
  readonly isBid: boolean
  readonly prices: number[] = []
  readonly levels = new Map<number, Level>()
  /** prices changed since the last drain, per consumer (0: 100 ms diff, 1: 1000 ms diff) */
  readonly dirty: [Set<number>, Set<number>] = [new Set(), new Set()]
  /** number of level changes ever made (a batch changed something when this moved) */
  changes = 0

  constructor(isBid: boolean) {
    this.isBid = isBid
  }

  /** Index where `price` is or would be inserted. */
  private indexOf(price: number): number {
    let lo = 0
    let hi = this.prices.length
    const bid = this.isBid
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const p = this.prices[mid]!
      if (bid ? p > price : p < price) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  get(price: number): Level | undefined {
    return this.levels.get(price)
  }

  getOrCreate(price: number): Level {
    let l = this.levels.get(price)
    if (l === undefined) {
      l = new Level(price)
      this.levels.set(price, l)
      this.prices.splice(this.indexOf(price), 0, price)
    }
    return l
  }

  private removeIfEmpty(l: Level): void {
    if (l.anon === 0 && l.orders.length === 0) {
      this.levels.delete(l.price)
      const i = this.indexOf(l.price)
      if (this.prices[i] === l.price) this.prices.splice(i, 1)
    }
  }

  markDirty(price: number): void {
    this.changes++
    this.dirty[0].add(price)
    this.dirty[1].add(price)
  }

  /** Sets the anonymous quantity at `price` (0 removes it). */
  setAnon(price: number, qty: number): void {
    const l = qty > 0 ? this.getOrCreate(price) : this.levels.get(price)
    if (l === undefined) return
    if (l.anon === qty) return
    l.anon = qty
    this.removeIfEmpty(l)
    this.markDirty(price)
  }

  addOrder(o: RestingOrder): void {
    this.getOrCreate(o.price).orders.push(o)
    this.markDirty(o.price)
  }

  /** Removes a resting order; true when it was on the book. */
  removeOrder(o: RestingOrder): boolean {
    const l = this.levels.get(o.price)
    if (l === undefined) return false
    const i = l.orders.indexOf(o)
    if (i < 0) return false
    l.orders.splice(i, 1)
    this.removeIfEmpty(l)
    this.markDirty(o.price)
    return true
  }

  best(): Level | undefined {
    return this.prices.length > 0 ? this.levels.get(this.prices[0]!) : undefined
  }

  bestPrice(): number {
    return this.prices.length > 0 ? this.prices[0]! : 0
  }

  /** True when a taker limit `price` on the opposite side crosses `levelPrice`. */
  crosses(levelPrice: number, limit: number): boolean {
    // this side is the maker side: asks are crossed by a buy limit >= ask; bids by a sell limit <= bid
    return this.isBid ? levelPrice >= limit : levelPrice <= limit
  }

  /**
   * Quantity available to a taker up to `limit` (0 = no limit), stopping once
   * `want` is reached. Used for FOK.
   */
  available(limit: number, want: number): number {
    let got = 0
    for (let i = 0; i < this.prices.length && got < want; i++) {
      const p = this.prices[i]!
      if (limit > 0 && !this.crosses(p, limit)) break
      got += this.levels.get(p)!.total()
    }
    return got
  }

  /**
   * Matches a taker against this (maker) side, best price first, up to
   * `limit` (0 = market) and at most `maxQty`; with `maxQuote` > 0 it also
   * stops before the quote amount (price × qty at scale 8, rounded down to
   * `step`) would exceed `maxQuote`. Mutates the book; returns the fills.
   */
  take(limit: number, maxQty: number, maxQuote: number, step: number, fills: BookFill[]): void {
    let left = maxQty
    let quoteLeft = maxQuote
    while (left > 0 && this.prices.length > 0) {
      const price = this.prices[0]!
      if (limit > 0 && !this.crosses(price, limit)) break
      const l = this.levels.get(price)!
      if (maxQuote > 0) {
        // qty affordable at this price: floor(quoteLeft / price) on the step grid
        const afford = affordableQty(quoteLeft, price, step)
        if (afford <= 0) break
        if (afford < left) left = afford
      }
      let consumed = 0
      if (l.anon > 0) {
        const q = l.anon < left ? l.anon : left
        l.anon -= q
        left -= q
        consumed += q
        fills.push({ price, qty: q, maker: null })
      }
      while (left > 0 && l.orders.length > 0) {
        const o = l.orders[0]!
        const q = o.remaining < left ? o.remaining : left
        o.remaining -= q
        left -= q
        consumed += q
        fills.push({ price, qty: q, maker: o })
        if (o.remaining === 0) l.orders.shift()
      }
      if (consumed > 0) this.markDirty(price)
      if (maxQuote > 0) quoteLeft -= quoteOf(price, consumed)
      this.removeIfEmpty(l)
      if (l.anon > 0 || l.orders.length > 0) break
    }
  }

  /**
   * Replay: a recorded trade at `tradePrice` for `qty` fills users' resting
   * orders on this side whose price is strictly better than the trade's (they
   * would have been ahead of everything the recording matched), best price
   * first, FIFO within a price, up to `qty`. Anonymous (recorded) quantity is
   * not touched: the recording's own diffs move it.
   */
  fillUsersThrough(tradePrice: number, qty: number, fills: BookFill[]): void {
    let left = qty
    for (let i = 0; i < this.prices.length && left > 0; i++) {
      const price = this.prices[i]!
      if (this.isBid ? price <= tradePrice : price >= tradePrice) break
      const l = this.levels.get(price)!
      let consumed = 0
      while (left > 0 && l.orders.length > 0) {
        const o = l.orders[0]!
        const q = o.remaining < left ? o.remaining : left
        o.remaining -= q
        left -= q
        consumed += q
        fills.push({ price, qty: q, maker: o })
        if (o.remaining === 0) l.orders.shift()
      }
      if (consumed > 0) this.markDirty(price)
      if (l.anon === 0 && l.orders.length === 0) {
        this.removeIfEmpty(l)
        i--
      }
    }
  }

  /** Top `n` levels as [price, totalQty] pairs. */
  top(n: number): Array<[number, number]> {
    const out: Array<[number, number]> = []
    for (let i = 0; i < this.prices.length && out.length < n; i++) {
      const p = this.prices[i]!
      const t = this.levels.get(p)!.total()
      if (t > 0) out.push([p, t])
    }
    return out
  }

  /** Displayed total at `price` (0 when absent). */
  totalAt(price: number): number {
    const l = this.levels.get(price)
    return l === undefined ? 0 : l.total()
  }
}

const BIG_ONE = 100_000_000n

/** price × qty at scale 8, truncated (exact whenever the tick/step grids allow it). */
export function quoteOf(price: number, qty: number): number {
  return Number((BigInt(price) * BigInt(qty)) / BIG_ONE)
}

/** Largest qty on the `step` grid whose quote value at `price` is <= `quote`. */
export function affordableQty(quote: number, price: number, step: number): number {
  const raw = (BigInt(quote) * BIG_ONE) / BigInt(price)
  const s = BigInt(step)
  return Number((raw / s) * s)
}

/** Both sides of one symbol. */
export class SimBook {
  readonly bids = new BookSide(true)
  readonly asks = new BookSide(false)

  side(isBid: boolean): BookSide {
    return isBid ? this.bids : this.asks
  }

  /** Drains the dirty prices of consumer `k`, returning [price, total] per side. */
  drainDirty(k: 0 | 1): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    const bids: Array<[number, number]> = []
    const asks: Array<[number, number]> = []
    for (const p of this.bids.dirty[k]) bids.push([p, this.bids.totalAt(p)])
    for (const p of this.asks.dirty[k]) asks.push([p, this.asks.totalAt(p)])
    this.bids.dirty[k].clear()
    this.asks.dirty[k].clear()
    bids.sort((a, b) => b[0] - a[0])
    asks.sort((a, b) => a[0] - b[0])
    return { bids, asks }
  }

  hasDirty(k: 0 | 1): boolean {
    return this.bids.dirty[k].size > 0 || this.asks.dirty[k].size > 0
  }
}
