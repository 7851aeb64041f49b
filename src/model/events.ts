/**
 * Canonical market events (pooled type 3 of 6) and merged events (type 4).
 *
 * One tagged class for every kind, not one class per kind: the whole pipeline
 * (normalizer -> merger -> dispatcher -> subscriber queues) then handles a
 * single hidden class, every call site stays monomorphic, and one pool serves
 * every kind. The cost is a wider object (~50 fields, a few hundred bytes,
 * allocated once per pool slot). `npm run bench -- model.event` measures the
 * tagged class against per-kind classes on a mixed stream.
 *
 * Every field is assigned here with its final type (house style 2.5 rule 1);
 * `reset()` restores every field; the reflection test in
 * test/unit/model/pooled-reset.test.ts fails when a new field is forgotten.
 *
 * Prices and quantities are integer mantissas at the instrument's scales
 * (`priceScale`, `qtyScale`), exact; the `price`/`qty` getters give floats
 * for analytics only.
 */
import { PooledObject } from '../core/pool.js'
import { POW10 } from '../core/fixed-point.js'
import { copyFloat64, ensureFloat64 } from '../core/typed.js'

/** Event kinds are small integers; switch on `ev.kind`. */
export const EventKind = {
  None: 0,
  Trade: 1,
  Quote: 2,
  BookDelta: 3,
  Bar: 4,
  /** a symbol's book stopped being trustworthy (gap, failed validation); it is resyncing */
  BookInvalidated: 5,
  /** a symbol's book is in sync again (a snapshot was applied) */
  BookResynced: 6,
  /** trade ids skipped a range: [gapFrom, gapTo] missing */
  TradeGap: 7,
  /** consolidated best bid/offer across venues (emitted by the merger) */
  Bbo: 8,
} as const
export type EventKindValue = (typeof EventKind)[keyof typeof EventKind]
export const EVENT_KIND_COUNT = 9
export const EVENT_KIND_NAMES: readonly string[] = [
  'none',
  'trade',
  'quote',
  'book',
  'bar',
  'bookInvalidated',
  'bookResynced',
  'tradeGap',
  'bbo',
]

/** Aggressor side of a trade, or side of an order. */
export const Side = { None: 0, Buy: 1, Sell: 2 } as const
export type SideValue = (typeof Side)[keyof typeof Side]

/** Why a book was invalidated (BookInvalidated.reason). */
export const BookInvalidReason = {
  None: 0,
  SequenceGap: 1,
  SnapshotStale: 2,
  Reconnect: 3,
  CrossedBook: 4,
  Manual: 5,
  SnapshotFailed: 6,
} as const

const INITIAL_LEVELS = 32

export class CanonicalEvent extends PooledObject {
  kind: number = EventKind.None
  venueId = 0
  instrumentId = 0
  /** Venue event time, epoch µs. */
  tsEventUs = 0
  /** Venue transaction/trade time, epoch µs (0 when the venue gives none). */
  tsTradeUs = 0
  /** Local receive time of the frame, epoch µs. */
  tsRecvUs = 0
  /** Venue sequence: the trade id, or the book update id (final `u`). */
  venueSeq = 0
  priceScale = 0
  qtyScale = 0

  // Trade
  priceM = 0
  qtyM = 0
  aggressor: number = Side.None
  /** aggTrade: first and last trade ids covered (equal to venueSeq for plain trades) */
  firstTradeId = 0
  lastTradeId = 0

  // Quote (best bid/ask)
  bidPxM = 0
  bidQtyM = 0
  askPxM = 0
  askQtyM = 0
  /** Bbo only: venue ids of the best bid and best ask */
  bidVenueId = 0
  askVenueId = 0

  // BookDelta
  /** first update id in this event (`U`) */
  firstUpdateId = 0
  /** previous event's final update id (`pu`, USD-M), 0 when the venue has none */
  prevUpdateId = 0
  /** true when the levels replace the whole book (snapshot / partial depth) */
  isSnapshot = false
  bidCount = 0
  askCount = 0
  /** level prices/quantities; quantities are absolute, 0 deletes the level */
  bidPxs: Float64Array = new Float64Array(INITIAL_LEVELS)
  bidQtys: Float64Array = new Float64Array(INITIAL_LEVELS)
  askPxs: Float64Array = new Float64Array(INITIAL_LEVELS)
  askQtys: Float64Array = new Float64Array(INITIAL_LEVELS)

  // Bar
  barStartUs = 0
  barEndUs = 0
  barIntervalSec = 0
  openM = 0
  highM = 0
  lowM = 0
  closeM = 0
  volumeM = 0
  /** quote volume mantissa at quoteScale */
  quoteVolumeM = 0
  quoteScale = 0
  barTrades = 0
  barClosed = false

  // BookInvalidated / BookResynced / TradeGap
  reason = 0
  gapFrom = 0
  gapTo = 0

  reset(): void {
    this.kind = EventKind.None
    this.venueId = 0
    this.instrumentId = 0
    this.tsEventUs = 0
    this.tsTradeUs = 0
    this.tsRecvUs = 0
    this.venueSeq = 0
    this.priceScale = 0
    this.qtyScale = 0
    this.priceM = 0
    this.qtyM = 0
    this.aggressor = Side.None
    this.firstTradeId = 0
    this.lastTradeId = 0
    this.bidPxM = 0
    this.bidQtyM = 0
    this.askPxM = 0
    this.askQtyM = 0
    this.bidVenueId = 0
    this.askVenueId = 0
    this.firstUpdateId = 0
    this.prevUpdateId = 0
    this.isSnapshot = false
    // Level arrays are the object's own storage (kept for reuse, capacity
    // retained); only the used prefix needs clearing.
    // Only the used prefix needs clearing; most events (trades, quotes) have none,
    // and skipping four empty fill() calls cuts reset() from ~75 to ~8 ns.
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
    this.barStartUs = 0
    this.barEndUs = 0
    this.barIntervalSec = 0
    this.openM = 0
    this.highM = 0
    this.lowM = 0
    this.closeM = 0
    this.volumeM = 0
    this.quoteVolumeM = 0
    this.quoteScale = 0
    this.barTrades = 0
    this.barClosed = false
    this.reason = 0
    this.gapFrom = 0
    this.gapTo = 0
  }

  /** Makes room for `n` bid levels (grows the arrays, keeps contents). */
  reserveBids(n: number): void {
    if (this.bidPxs.length < n) {
      this.bidPxs = ensureFloat64(this.bidPxs, n)
      this.bidQtys = ensureFloat64(this.bidQtys, n)
    }
  }

  /** Makes room for `n` ask levels. */
  reserveAsks(n: number): void {
    if (this.askPxs.length < n) {
      this.askPxs = ensureFloat64(this.askPxs, n)
      this.askQtys = ensureFloat64(this.askQtys, n)
    }
  }

  /** Appends a bid level (mantissas). */
  pushBid(pxM: number, qtyM: number): void {
    const i = this.bidCount
    if (i >= this.bidPxs.length) this.reserveBids(i + 1)
    this.bidPxs[i] = pxM
    this.bidQtys[i] = qtyM
    this.bidCount = i + 1
  }

  /** Appends an ask level (mantissas). */
  pushAsk(pxM: number, qtyM: number): void {
    const i = this.askCount
    if (i >= this.askPxs.length) this.reserveAsks(i + 1)
    this.askPxs[i] = pxM
    this.askQtys[i] = qtyM
    this.askCount = i + 1
  }

  /** Price as a float (analytics only). */
  get price(): number {
    return this.priceM / POW10[this.priceScale]!
  }
  get qty(): number {
    return this.qtyM / POW10[this.qtyScale]!
  }
  get bidPrice(): number {
    return this.bidPxM / POW10[this.priceScale]!
  }
  get askPrice(): number {
    return this.askPxM / POW10[this.priceScale]!
  }
  get bidSize(): number {
    return this.bidQtyM / POW10[this.qtyScale]!
  }
  get askSize(): number {
    return this.askQtyM / POW10[this.qtyScale]!
  }

  /** Copies every field of `o` into this object; level arrays are copied, never shared. */
  copyFrom(o: CanonicalEvent): this {
    this.kind = o.kind
    this.venueId = o.venueId
    this.instrumentId = o.instrumentId
    this.tsEventUs = o.tsEventUs
    this.tsTradeUs = o.tsTradeUs
    this.tsRecvUs = o.tsRecvUs
    this.venueSeq = o.venueSeq
    this.priceScale = o.priceScale
    this.qtyScale = o.qtyScale
    this.priceM = o.priceM
    this.qtyM = o.qtyM
    this.aggressor = o.aggressor
    this.firstTradeId = o.firstTradeId
    this.lastTradeId = o.lastTradeId
    this.bidPxM = o.bidPxM
    this.bidQtyM = o.bidQtyM
    this.askPxM = o.askPxM
    this.askQtyM = o.askQtyM
    this.bidVenueId = o.bidVenueId
    this.askVenueId = o.askVenueId
    this.firstUpdateId = o.firstUpdateId
    this.prevUpdateId = o.prevUpdateId
    this.isSnapshot = o.isSnapshot
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
    this.barStartUs = o.barStartUs
    this.barEndUs = o.barEndUs
    this.barIntervalSec = o.barIntervalSec
    this.openM = o.openM
    this.highM = o.highM
    this.lowM = o.lowM
    this.closeM = o.closeM
    this.volumeM = o.volumeM
    this.quoteVolumeM = o.quoteVolumeM
    this.quoteScale = o.quoteScale
    this.barTrades = o.barTrades
    this.barClosed = o.barClosed
    this.reason = o.reason
    this.gapFrom = o.gapFrom
    this.gapTo = o.gapTo
    return this
  }

  /** A heap copy that shares nothing mutable with this (pool-owned fields are fresh). */
  clone(): CanonicalEvent {
    return new CanonicalEvent().copyFrom(this)
  }
}

/** What a subscriber may read: the event, read-only. Valid only during the callback. */
export type ReadonlyCanonicalEvent = Readonly<Omit<CanonicalEvent, 'reset' | 'copyFrom' | 'pushBid' | 'pushAsk' | 'reserveBids' | 'reserveAsks'>>

/**
 * A canonical event as the merger published it (pooled type 4 of 6): the
 * event plus its global sequence number and ids. The merger never changes the
 * canonical event's own fields.
 */
export class MergedEvent extends PooledObject {
  /** Global sequence over every event of every venue connection, in arrival order (1, 2, …). */
  seq = 0
  kind: number = EventKind.None
  venueId = 0
  instrumentId = 0
  /** Cross-venue instrument id (InstrumentRegistry.canonicalOf). */
  canonicalId = 0
  /** Local time the merger published it, epoch µs. */
  tsMergedUs = 0
  /** The venue connection (merger source id) the event arrived on; 0 for none. */
  sourceId = 0
  /**
   * Event-time ordering only: the event arrived after the watermark had passed
   * its tsEventUs, so it was published in arrival order, out of event-time order.
   */
  late = false
  /** The canonical event; owned by this merged event while it is leased. */
  event: CanonicalEvent | null = null

  reset(): void {
    this.seq = 0
    this.kind = EventKind.None
    this.venueId = 0
    this.instrumentId = 0
    this.canonicalId = 0
    this.tsMergedUs = 0
    this.sourceId = 0
    this.late = false
    this.event = null
  }

  /**
   * Copies `o`. The canonical event is deep-copied into this object's own
   * event (allocated once when missing), so nothing is shared.
   */
  copyFrom(o: MergedEvent): this {
    this.seq = o.seq
    this.kind = o.kind
    this.venueId = o.venueId
    this.instrumentId = o.instrumentId
    this.canonicalId = o.canonicalId
    this.tsMergedUs = o.tsMergedUs
    this.sourceId = o.sourceId
    this.late = o.late
    if (o.event === null) this.event = null
    else if (this.event === null) this.event = o.event.clone()
    else this.event.copyFrom(o.event)
    return this
  }

  clone(): MergedEvent {
    return new MergedEvent().copyFrom(this)
  }
}

/** What a subscriber may read of a merged event: read-only, valid only during the callback. */
export type ReadonlyMergedEvent = Readonly<Omit<MergedEvent, 'reset' | 'copyFrom' | 'clone' | 'event'>> & {
  readonly event: ReadonlyCanonicalEvent | null
}
