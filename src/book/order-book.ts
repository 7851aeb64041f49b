/**
 * A per-symbol L2 order book on typed arrays.
 *
 * Design:
 *
 *   side = BookSide { keys: Float64Array, qtys: Float64Array, count }
 *
 *     index:   0 ............................ count-1
 *     keys:    worst ........................ best        (ascending)
 *     bids:    key = +price   (lowest bid first, best bid last)
 *     asks:    key = -price   (highest ask first, best ask last)
 *
 * Both sides are one sorted-ascending array of integer keys (price mantissas,
 * negated on the ask side), so one binary search and one insert/delete routine
 * serve both, and the BEST level sits at the END of the array. Venue diffs
 * change the top of the book far more often than the tail: with the best level
 * at the end an insert or delete near the top moves a handful of slots with
 * `copyWithin`, where a best-first layout would move the whole side
 * (bench/scenarios/book.ts measures it on real diffs). The public view is still
 * best-first: `bidPx(0)` is the best bid, bids are read descending, asks
 * ascending.
 *
 * Invariants: keys strictly ascending on each side; every stored quantity > 0
 * (0 deletes); at most `maxLevels` levels a side: when a side is full, the
 * worst level is dropped to make room for a better one and a level worse than
 * every stored one is refused (both counted in `truncated`): a bounded book is
 * the top `maxLevels`, as the venue's snapshot is (Binance: at most 5000).
 *
 * Prices and quantities are integer mantissas at the instrument's scales,
 * stored in Float64Array (exact up to 2^53). No allocation per update: the
 * arrays grow geometrically up to `maxLevels` and are kept by `clear()`.
 *
 * Layer: book (imports core and model only).
 */
import { ensureFloat64 } from '../core/typed.js'

const INITIAL_CAPACITY = 64
/**
 * Moves of up to this many slots are done with a plain loop: a typed-array
 * copyWithin is a builtin call whose fixed cost dominates short moves, and
 * with the best level at the end most moves are short (bench: book.apply).
 */
const SHORT_MOVE = 16

/** Default bound on levels per side. */
export const DEFAULT_MAX_LEVELS = 10_000

/** One side of the book (see the module note for the layout). */
export class BookSide {
  /** sign × price mantissa, ascending; best at `count - 1` */
  keys: Float64Array
  /** quantity mantissas, parallel to `keys` */
  qtys: Float64Array
  count = 0
  /** +1 for bids, −1 for asks */
  readonly sign: number
  readonly maxLevels: number
  /** levels dropped or refused because the side was full */
  truncated = 0
  /** deletes of a level that was not in the book (normal on Binance; counted) */
  unknownDeletes = 0
  /** argument slots for `set` (see applyAt) */
  private readonly scratch = new Float64Array(2)

  constructor(sign: number, maxLevels: number) {
    this.sign = sign
    this.maxLevels = maxLevels
    const cap = Math.min(INITIAL_CAPACITY, maxLevels)
    this.keys = new Float64Array(cap)
    this.qtys = new Float64Array(cap)
  }

  /** First index whose key is ≥ `key` (count when none). */
  lowerBound(key: number): number {
    let lo = 0
    let hi = this.count
    const keys = this.keys
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (keys[mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /**
   * Sets the absolute quantity at `pxM`; 0 deletes. Returns true when the
   * book changed. (Convenience form of `applyAt`.)
   */
  set(pxM: number, qtyM: number): boolean {
    const s = this.scratch
    s[0] = pxM
    s[1] = qtyM
    return this.applyAt(s, 0, s, 1)
  }

  /**
   * Sets the level `pxs[i]` to the absolute quantity `qtys[j]` (0 deletes).
   * Reading the numbers from the caller's typed arrays instead of taking
   * them as arguments matters: price mantissas are doubles beyond the Smi
   * range, and passing doubles through a call that V8 does not inline boxes
   * each one in a fresh HeapNumber (measured: 16 B per level, book.apply).
   */
  applyAt(pxs: Float64Array, i: number, qtys: Float64Array, j: number): boolean {
    const key = this.sign * pxs[i]!
    const qtyM = qtys[j]!
    const keys = this.keys
    const n = this.count
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (keys[mid]! < key) lo = mid + 1
      else hi = mid
    }
    let k = lo
    const q = this.qtys
    if (k < n && keys[k] === key) {
      if (qtyM !== 0) {
        q[k] = qtyM
        return true
      }
      if (n - k <= SHORT_MOVE) {
        for (let m = k + 1; m < n; m++) {
          keys[m - 1] = keys[m]!
          q[m - 1] = q[m]!
        }
      } else {
        keys.copyWithin(k, k + 1, n)
        q.copyWithin(k, k + 1, n)
      }
      this.count = n - 1
      return true
    }
    if (qtyM === 0) {
      this.unknownDeletes++
      return false
    }
    if (n === keys.length) {
      if (n < this.maxLevels) {
        this.grow(n + 1)
        return this.applyAt(pxs, i, qtys, j)
      }
      // Full: keep the best maxLevels levels.
      this.truncated++
      if (k === 0) return false
      keys.copyWithin(0, 1, k)
      q.copyWithin(0, 1, k)
      k--
      keys[k] = key
      q[k] = qtyM
      return true
    }
    if (n - k <= SHORT_MOVE) {
      for (let m = n; m > k; m--) {
        keys[m] = keys[m - 1]!
        q[m] = q[m - 1]!
      }
    } else {
      keys.copyWithin(k + 1, k, n)
      q.copyWithin(k + 1, k, n)
    }
    keys[k] = key
    q[k] = qtyM
    this.count = n + 1
    return true
  }

  /**
   * Appends level i of a snapshot when it is better than every stored one
   * (snapshot loading, worst to best). Falls back to `applyAt` when the input
   * is out of order.
   */
  pushBetterAt(pxs: Float64Array, qtys: Float64Array, i: number): void {
    const key = this.sign * pxs[i]!
    const qtyM = qtys[i]!
    const n = this.count
    if (qtyM === 0) return
    if ((n === 0 || this.keys[n - 1]! < key) && n < this.keys.length) {
      this.keys[n] = key
      this.qtys[n] = qtyM
      this.count = n + 1
      return
    }
    this.applyAt(pxs, i, qtys, i)
  }

  /** Makes room for `n` levels (bounded by maxLevels). */
  grow(n: number): void {
    if (n <= this.keys.length) return
    const cap = Math.min(Math.max(n, this.keys.length * 2), this.maxLevels)
    if (cap <= this.keys.length) return
    this.keys = ensureFloat64(this.keys, cap)
    this.qtys = ensureFloat64(this.qtys, cap)
  }

  /** Price mantissa of the i-th best level (0 = best); 0 when absent. */
  px(i: number): number {
    const j = this.count - 1 - i
    return j >= 0 && i >= 0 ? this.sign * this.keys[j]! : 0
  }

  /** Quantity mantissa of the i-th best level; 0 when absent. */
  qty(i: number): number {
    const j = this.count - 1 - i
    return j >= 0 && i >= 0 ? this.qtys[j]! : 0
  }

  /** Quantity at `pxM`, 0 when the level is not in the book. */
  qtyAt(pxM: number): number {
    const key = this.sign * pxM
    const i = this.lowerBound(key)
    return i < this.count && this.keys[i] === key ? this.qtys[i]! : 0
  }

  /** Copies up to `n` best-first levels into the caller's arrays; returns how many. */
  copyTop(n: number, outPxs: Float64Array, outQtys: Float64Array): number {
    let m = n < this.count ? n : this.count
    if (m > outPxs.length) m = outPxs.length
    if (m > outQtys.length) m = outQtys.length
    const last = this.count - 1
    for (let i = 0; i < m; i++) {
      outPxs[i] = this.sign * this.keys[last - i]!
      outQtys[i] = this.qtys[last - i]!
    }
    return m
  }

  clear(): void {
    this.count = 0
  }
}

/**
 * What a strategy may read from a book: the top of the book and the top N
 * levels, best first. Valid while the book is in sync (see the book sync's
 * events); read it during the callback that delivered the update.
 */
export interface ReadonlyOrderBook {
  readonly instrumentId: number
  /** last applied venue update id (Binance `u`, or the snapshot's `lastUpdateId`) */
  readonly updateId: number
  readonly priceScale: number
  readonly qtyScale: number
  readonly bidLevels: number
  readonly askLevels: number
  /** best bid price mantissa, 0 when the side is empty */
  bestBidPx(): number
  bestBidQty(): number
  /** best ask price mantissa, 0 when the side is empty */
  bestAskPx(): number
  bestAskQty(): number
  /** i-th best bid (0 = best), 0 when absent */
  bidPx(i: number): number
  bidQty(i: number): number
  askPx(i: number): number
  askQty(i: number): number
  /** copies up to n best-first bid levels into the caller's arrays; returns the count */
  topBids(n: number, outPxs: Float64Array, outQtys: Float64Array): number
  topAsks(n: number, outPxs: Float64Array, outQtys: Float64Array): number
  /** true when best bid ≥ best ask (both sides non-empty) */
  isCrossed(): boolean
}

export interface OrderBookOptions {
  instrumentId?: number
  priceScale?: number
  qtyScale?: number
  /** bound on levels per side (default 10,000) */
  maxLevels?: number
}

/** A per-symbol L2 book; see the module note. */
export class OrderBook implements ReadonlyOrderBook {
  readonly instrumentId: number
  readonly priceScale: number
  readonly qtyScale: number
  readonly bids: BookSide
  readonly asks: BookSide
  updateId = 0

  constructor(options: OrderBookOptions = {}) {
    const maxLevels = options.maxLevels ?? DEFAULT_MAX_LEVELS
    if (!Number.isInteger(maxLevels) || maxLevels < 1) throw new RangeError(`OrderBook: maxLevels must be a positive integer, got ${maxLevels}`)
    this.instrumentId = options.instrumentId ?? 0
    this.priceScale = options.priceScale ?? 0
    this.qtyScale = options.qtyScale ?? 0
    this.bids = new BookSide(1, maxLevels)
    this.asks = new BookSide(-1, maxLevels)
  }

  get bidLevels(): number {
    return this.bids.count
  }
  get askLevels(): number {
    return this.asks.count
  }

  /** Sets a bid level's absolute quantity (0 deletes; deleting an unknown level is a no-op). */
  applyBid(pxM: number, qtyM: number): boolean {
    return this.bids.set(pxM, qtyM)
  }

  applyAsk(pxM: number, qtyM: number): boolean {
    return this.asks.set(pxM, qtyM)
  }

  /** Applies one level; `isBid` selects the side. */
  apply(isBid: boolean, pxM: number, qtyM: number): boolean {
    return isBid ? this.bids.set(pxM, qtyM) : this.asks.set(pxM, qtyM)
  }

  /** Applies a diff's levels (absolute quantities, 0 deletes) and sets the update id. */
  applyLevels(
    bidPxs: Float64Array,
    bidQtys: Float64Array,
    bidCount: number,
    askPxs: Float64Array,
    askQtys: Float64Array,
    askCount: number,
    updateId: number,
  ): void {
    const bids = this.bids
    const asks = this.asks
    for (let i = 0; i < bidCount; i++) bids.applyAt(bidPxs, i, bidQtys, i)
    for (let i = 0; i < askCount; i++) asks.applyAt(askPxs, i, askQtys, i)
    this.updateId = updateId
  }

  /**
   * Replaces the book with a snapshot. Levels come best first (bids
   * descending, asks ascending), as venues send them; other orders are
   * accepted (slower path), zero quantities are skipped.
   */
  loadSnapshot(
    bidPxs: Float64Array,
    bidQtys: Float64Array,
    bidCount: number,
    askPxs: Float64Array,
    askQtys: Float64Array,
    askCount: number,
    updateId: number,
  ): void {
    this.bids.clear()
    this.asks.clear()
    this.bids.grow(bidCount)
    this.asks.grow(askCount)
    for (let i = bidCount - 1; i >= 0; i--) this.bids.pushBetterAt(bidPxs, bidQtys, i)
    for (let i = askCount - 1; i >= 0; i--) this.asks.pushBetterAt(askPxs, askQtys, i)
    this.updateId = updateId
  }

  /** Empties the book (capacity kept). */
  clear(): void {
    this.bids.clear()
    this.asks.clear()
    this.updateId = 0
  }

  bestBidPx(): number {
    const s = this.bids
    return s.count > 0 ? s.keys[s.count - 1]! : 0
  }
  bestBidQty(): number {
    const s = this.bids
    return s.count > 0 ? s.qtys[s.count - 1]! : 0
  }
  bestAskPx(): number {
    const s = this.asks
    return s.count > 0 ? -s.keys[s.count - 1]! : 0
  }
  bestAskQty(): number {
    const s = this.asks
    return s.count > 0 ? s.qtys[s.count - 1]! : 0
  }
  bidPx(i: number): number {
    return this.bids.px(i)
  }
  bidQty(i: number): number {
    return this.bids.qty(i)
  }
  askPx(i: number): number {
    return this.asks.px(i)
  }
  askQty(i: number): number {
    return this.asks.qty(i)
  }
  topBids(n: number, outPxs: Float64Array, outQtys: Float64Array): number {
    return this.bids.copyTop(n, outPxs, outQtys)
  }
  topAsks(n: number, outPxs: Float64Array, outQtys: Float64Array): number {
    return this.asks.copyTop(n, outPxs, outQtys)
  }

  isCrossed(): boolean {
    const b = this.bids
    const a = this.asks
    return b.count > 0 && a.count > 0 && b.keys[b.count - 1]! >= -a.keys[a.count - 1]!
  }
}
