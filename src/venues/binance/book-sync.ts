/**
 * Binance local order books: REST snapshot + diff stream, per symbol, with
 * continuity checked on every message (binance-protocol.md §3 and the [DATA]
 * corrections; fixtures README).
 *
 * Per symbol:
 *
 *   idle --first diff--> buffering --request--> awaitingSnapshot --valid snapshot--> synced
 *                          ^   ^                    |  stale / failed / timeout           |
 *                          |   +---- backoff -------+  (attempts <= maxRetries)           |
 *                          |                        |  attempts > maxRetries -> failed    |
 *                          +---------- gap / crossed book: BookInvalidated --------------+
 *
 * Rules (L = snapshot lastUpdateId, b = the book's update id):
 *
 *   Spot   discard u <= b; first event after a snapshot: U <= b+1 <= u
 *          (the data shows U == L+1 in 4 of 5 syncs); then U == b+1.
 *          A snapshot is stale when L+1 < the first buffered U.
 *   USD-M  first event after a snapshot: discard u < L, accept U <= L <= u
 *          (often u == L); then discard u <= b and require pu == b.
 *          U is NOT b+1 on futures (760 of 760 real events); only pu chains.
 *          A snapshot is stale when L < the first buffered U.
 *
 * A gap invalidates only that symbol: its book is cleared, a BookInvalidated
 * event is emitted, the diff that showed the gap becomes the first buffered
 * diff (while buffering, a diff whose u is not above the last buffered u
 * replaces the buffered run: `sequenceResets`), and a new snapshot is requested (at once, then with exponential
 * backoff on stale/failed snapshots, at most `maxRetries` attempts in a row;
 * then the symbol is `failed` until `restart()`). Other symbols are untouched.
 * BookResynced is emitted each time a symbol becomes synced (reason = the
 * previous invalidation's reason, None for the first sync), after the buffered
 * diffs were applied.
 *
 * Snapshot requests go through the injected `requestSnapshot(instrumentId)`
 * callback; the caller answers with `onSnapshot(raw)` (or
 * `onSnapshotFailed(id)`). A `SnapshotBudget` (the REST request-weight budget
 * read from the venue's headers) may refuse a request: it is retried after
 * `budgetRetryMs`, counted as a budget deferral, not a failure.
 *
 * Hot path (`onDiff` when synced): integer compares, the book's binary
 * searches, no allocation, no closure. Buffered diffs are copied into
 * preallocated ProviderRaw slots (created on first use, bounded by
 * `maxBufferedDiffs`; overflow restarts buffering from the newest diff).
 * Timers are on the resync path only.
 *
 * Ownership: `raw` passed to onDiff/onSnapshot is only read during the call.
 * Listener callbacks receive the live book and a raw (or status event) that
 * are valid only during the callback.
 */
import { OrderBook, DEFAULT_MAX_LEVELS, type ReadonlyOrderBook } from '../../book/order-book.js'
import { timerScheduler, type SyncScheduler, type TimerHandle } from '../../book/scheduler.js'
import { BookInvalidReason, CanonicalEvent, EventKind } from '../../model/events.js'
import { ProviderRaw } from '../../model/provider-raw.js'

export const BookSyncState = {
  /** no diff seen yet (or restarted): nothing buffered, no request */
  Idle: 0,
  /** diffs are buffered; a snapshot request is due (now, after backoff, or when the budget allows) */
  Buffering: 1,
  /** a snapshot was requested; diffs keep being buffered */
  AwaitingSnapshot: 2,
  /** the book is valid; every diff is checked and applied */
  Synced: 3,
  /** resync gave up after maxRetries attempts in a row; diffs are buffered; `restart()` or a snapshot recovers */
  Failed: 4,
} as const
export type BookSyncStateValue = (typeof BookSyncState)[keyof typeof BookSyncState]
export const BOOK_SYNC_STATE_NAMES: readonly string[] = ['idle', 'buffering', 'awaitingSnapshot', 'synced', 'failed']

export const BOOK_INVALID_REASON_NAMES: readonly string[] = [
  'none',
  'sequenceGap',
  'snapshotStale',
  'reconnect',
  'crossedBook',
  'manual',
  'snapshotFailed',
]

/** The REST request-weight budget (built by the REST layer from X-MBX-USED-WEIGHT headers). */
export interface SnapshotBudget {
  /** true when `weight` may be spent now (and is taken); false to defer the request */
  tryTake(weight: number): boolean
}

/** Receives what the book sync produces. Arguments are valid only during the call. */
export interface BookSyncListener {
  /** a diff was applied (also each buffered diff replayed after a snapshot) */
  onDiffApplied(book: ReadonlyOrderBook, raw: ProviderRaw): void
  /** a snapshot was loaded (before the buffered diffs are applied) */
  onSnapshotApplied(book: ReadonlyOrderBook, raw: ProviderRaw): void
  /** BookInvalidated / BookResynced (the event is the sync's scratch object: copy it to keep it) */
  onStatus(ev: CanonicalEvent): void
}

export interface BookSyncOptions {
  market: 'spot' | 'usdm'
  venueId: number
  /** asks the REST layer for a depth snapshot of the instrument; answer with onSnapshot/onSnapshotFailed */
  requestSnapshot: (instrumentId: number) => void
  listener: BookSyncListener
  /** timers for backoff and snapshot timeouts (default: real timers) */
  scheduler?: SyncScheduler
  /** request-weight budget; null = unlimited */
  budget?: SnapshotBudget | null
  /** weight of one snapshot request (default: limit=1000 → Spot 50, USD-M 20) */
  snapshotWeight?: number
  /** bound on diffs buffered while waiting for a snapshot (default 1000) */
  maxBufferedDiffs?: number
  /** failed/stale snapshots in a row before giving up (default 5) */
  maxRetries?: number
  /** first retry delay, doubled each attempt (default 250 ms) */
  backoffBaseMs?: number
  /** cap on the retry delay (default 30 s) */
  backoffMaxMs?: number
  /** delay before asking the budget again (default 1000 ms) */
  budgetRetryMs?: number
  /** a requested snapshot not answered by then is a failure (default 10 s; 0 = never: replay) */
  snapshotTimeoutMs?: number
  /** levels per side (default 10,000) */
  maxLevels?: number
  /** a crossed book after a diff invalidates the symbol (default true) */
  resyncOnCrossed?: boolean
}

/** Counters and state of one symbol (a snapshot, built on demand). */
export interface BookSyncStats {
  instrumentId: number
  state: string
  updateId: number
  bidLevels: number
  askLevels: number
  applied: number
  discarded: number
  gaps: number
  resyncs: number
  snapshotRequests: number
  snapshotsApplied: number
  snapshotsStale: number
  snapshotsIgnored: number
  snapshotFailures: number
  giveUps: number
  bufferOverflows: number
  /** buffered diffs dropped because a newer diff went back in the sequence (a corrupt or foreign id) */
  sequenceResets: number
  budgetDeferrals: number
  crossed: number
  buffered: number
  unknownDeletes: number
  truncatedLevels: number
}

/** Bounded buffer of copied diffs (slots are created on first use and kept). */
class DiffBuffer {
  readonly slots: ProviderRaw[] = []
  count = 0
  constructor(readonly max: number) {}

  /** Copies `raw` in; false when full. */
  push(raw: ProviderRaw): boolean {
    if (this.count >= this.max) return false
    let slot: ProviderRaw
    if (this.count < this.slots.length) slot = this.slots[this.count]!
    else {
      slot = new ProviderRaw()
      this.slots.push(slot)
    }
    slot.copyFrom(raw)
    this.count++
    return true
  }
}

/** One symbol's sync state (internal; read through BinanceBookSync). */
class SymbolSync {
  readonly book: OrderBook
  state: number = BookSyncState.Idle
  /** the next diff is the first after a snapshot */
  expectFirst = false
  buf: DiffBuffer
  spare: DiffBuffer
  timer: TimerHandle | null = null
  /** bumped per request, so a stale timeout does nothing */
  requestSeq = 0
  attempts = 0
  lastReason: number = BookInvalidReason.None
  lastRecvUs = 0
  applied = 0
  discarded = 0
  gaps = 0
  resyncs = 0
  snapshotRequests = 0
  snapshotsApplied = 0
  snapshotsStale = 0
  snapshotsIgnored = 0
  snapshotFailures = 0
  giveUps = 0
  bufferOverflows = 0
  sequenceResets = 0
  budgetDeferrals = 0
  crossed = 0

  constructor(
    readonly instrumentId: number,
    priceScale: number,
    qtyScale: number,
    maxLevels: number,
    maxBuffered: number,
  ) {
    this.book = new OrderBook({ instrumentId, priceScale, qtyScale, maxLevels })
    this.buf = new DiffBuffer(maxBuffered)
    this.spare = new DiffBuffer(maxBuffered)
  }
}

/** Local books for every subscribed symbol of one Binance market. */
export class BinanceBookSync {
  readonly spot: boolean
  readonly venueId: number
  private readonly requestSnapshot: (instrumentId: number) => void
  private readonly listener: BookSyncListener
  private readonly scheduler: SyncScheduler
  private readonly budget: SnapshotBudget | null
  private readonly snapshotWeight: number
  private readonly maxBuffered: number
  private readonly maxRetries: number
  private readonly backoffBaseMs: number
  private readonly backoffMaxMs: number
  private readonly budgetRetryMs: number
  private readonly snapshotTimeoutMs: number
  private readonly maxLevels: number
  private readonly resyncOnCrossed: boolean
  /** instrument id -> state (null for ids of other markets) */
  private readonly syms: Array<SymbolSync | null> = [null]
  private readonly statusEvent = new CanonicalEvent()
  /** diffs or snapshots for instruments never added */
  unknownInstrument = 0

  constructor(o: BookSyncOptions) {
    if (o.market !== 'spot' && o.market !== 'usdm') throw new TypeError(`BinanceBookSync: market must be 'spot' or 'usdm', got ${String(o.market)}`)
    if (typeof o.requestSnapshot !== 'function') throw new TypeError('BinanceBookSync: requestSnapshot must be a function')
    this.spot = o.market === 'spot'
    this.venueId = o.venueId
    this.requestSnapshot = o.requestSnapshot
    this.listener = o.listener
    this.scheduler = o.scheduler ?? timerScheduler
    this.budget = o.budget ?? null
    this.snapshotWeight = o.snapshotWeight ?? (this.spot ? 50 : 20)
    this.maxBuffered = positiveInt('maxBufferedDiffs', o.maxBufferedDiffs ?? 1000)
    this.maxRetries = nonNegativeInt('maxRetries', o.maxRetries ?? 5)
    this.backoffBaseMs = o.backoffBaseMs ?? 250
    this.backoffMaxMs = o.backoffMaxMs ?? 30_000
    this.budgetRetryMs = o.budgetRetryMs ?? 1000
    this.snapshotTimeoutMs = o.snapshotTimeoutMs ?? 10_000
    this.maxLevels = positiveInt('maxLevels', o.maxLevels ?? DEFAULT_MAX_LEVELS)
    this.resyncOnCrossed = o.resyncOnCrossed !== false
  }

  /** Starts tracking an instrument (idle until its first diff). Idempotent. */
  addInstrument(instrumentId: number, priceScale: number, qtyScale: number): void {
    if (!Number.isInteger(instrumentId) || instrumentId < 1) throw new RangeError(`BinanceBookSync: bad instrument id ${instrumentId}`)
    while (this.syms.length <= instrumentId) this.syms.push(null)
    if (this.syms[instrumentId] === null) {
      this.syms[instrumentId] = new SymbolSync(instrumentId, priceScale, qtyScale, this.maxLevels, this.maxBuffered)
    }
  }

  /** The instrument's book (valid to read while its state is synced), or null. */
  book(instrumentId: number): ReadonlyOrderBook | null {
    const s = this.sym(instrumentId)
    return s === null ? null : s.book
  }

  /** BookSyncState of the instrument (Idle when unknown). */
  state(instrumentId: number): number {
    const s = this.sym(instrumentId)
    return s === null ? BookSyncState.Idle : s.state
  }

  /**
   * A depth diff (RawType.DepthUpdate). Returns true when it was applied to
   * a synced book; false when buffered, discarded or it caused a resync.
   */
  onDiff(raw: ProviderRaw): boolean {
    const s = this.sym(raw.instrumentId)
    if (s === null) {
      this.unknownInstrument++
      return false
    }
    s.lastRecvUs = raw.recvTsUs
    if (s.state === BookSyncState.Synced) return this.applySynced(s, raw)
    this.bufferDiff(s, raw)
    return false
  }

  /**
   * A REST depth snapshot (RawType.DepthSnapshot, updateId = lastUpdateId).
   * Accepted in every state but synced (a snapshot nobody requested, e.g. one
   * recorded before the first diff, is validated like a requested one).
   * Returns true when the book was loaded from it.
   */
  onSnapshot(raw: ProviderRaw): boolean {
    const s = this.sym(raw.instrumentId)
    if (s === null) {
      this.unknownInstrument++
      return false
    }
    if (s.state === BookSyncState.Synced) {
      s.snapshotsIgnored++
      return false
    }
    this.cancelTimer(s)
    if (raw.recvTsUs > 0) s.lastRecvUs = raw.recvTsUs
    const L = raw.updateId
    if (s.buf.count > 0) {
      const firstU = s.buf.slots[0]!.firstUpdateId
      if (this.spot ? L + 1 < firstU : L < firstU) {
        s.snapshotsStale++
        this.retry(s, BookInvalidReason.SnapshotStale)
        return false
      }
    }
    s.book.loadSnapshot(raw.bidPxs, raw.bidQtys, raw.bidCount, raw.askPxs, raw.askQtys, raw.askCount, L)
    s.state = BookSyncState.Synced
    s.expectFirst = true
    s.attempts = 0
    s.snapshotsApplied++
    this.listener.onSnapshotApplied(s.book, raw)
    // Replay the buffer from a swapped-out copy: a gap inside it restarts
    // buffering into the other buffer.
    const replay = s.buf
    s.buf = s.spare
    s.spare = replay
    s.buf.count = 0
    for (let i = 0; i < replay.count; i++) {
      const d = replay.slots[i]!
      if (s.state === BookSyncState.Synced) this.applySynced(s, d)
      else this.bufferDiff(s, d)
    }
    replay.count = 0
    if (s.state === BookSyncState.Synced) {
      this.emitStatus(s, EventKind.BookResynced, s.lastReason, 0, 0)
      s.lastReason = BookInvalidReason.None
      return true
    }
    return false
  }

  /** The snapshot request for `instrumentId` failed (HTTP error, timeout, …): retry with backoff. */
  onSnapshotFailed(instrumentId: number): void {
    const s = this.sym(instrumentId)
    if (s === null || s.state !== BookSyncState.AwaitingSnapshot) return
    this.cancelTimer(s)
    s.snapshotFailures++
    this.retry(s, BookInvalidReason.SnapshotFailed)
  }

  /**
   * Drops the instrument's book and waits for its next diff to start over
   * (after a reconnect: reason Reconnect). Emits BookInvalidated when the
   * book was synced. Also the way out of `failed`.
   */
  restart(instrumentId: number, reason: number = BookInvalidReason.Manual): void {
    const s = this.sym(instrumentId)
    if (s === null) return
    const wasSynced = s.state === BookSyncState.Synced
    this.cancelTimer(s)
    s.book.clear()
    s.buf.count = 0
    s.expectFirst = false
    s.attempts = 0
    s.state = BookSyncState.Idle
    if (wasSynced) {
      s.resyncs++
      s.lastReason = reason
      this.emitStatus(s, EventKind.BookInvalidated, reason, 0, 0)
    }
  }

  /** `restart` for every instrument (the connection was replaced). */
  restartAll(reason: number = BookInvalidReason.Reconnect): void {
    for (let id = 1; id < this.syms.length; id++) if (this.syms[id] !== null) this.restart(id, reason)
  }

  /** Cancels every timer (shutdown). */
  close(): void {
    for (let id = 1; id < this.syms.length; id++) {
      const s = this.syms[id]
      if (s != null) this.cancelTimer(s)
    }
  }

  /** Instrument ids being tracked. */
  instruments(): number[] {
    const out: number[] = []
    for (let id = 1; id < this.syms.length; id++) if (this.syms[id] !== null) out.push(id)
    return out
  }

  /** Counters of one instrument (built on demand; cold path). */
  stats(instrumentId: number): BookSyncStats | null {
    const s = this.sym(instrumentId)
    if (s === null) return null
    return {
      instrumentId,
      state: BOOK_SYNC_STATE_NAMES[s.state]!,
      updateId: s.book.updateId,
      bidLevels: s.book.bidLevels,
      askLevels: s.book.askLevels,
      applied: s.applied,
      discarded: s.discarded,
      gaps: s.gaps,
      resyncs: s.resyncs,
      snapshotRequests: s.snapshotRequests,
      snapshotsApplied: s.snapshotsApplied,
      snapshotsStale: s.snapshotsStale,
      snapshotsIgnored: s.snapshotsIgnored,
      snapshotFailures: s.snapshotFailures,
      giveUps: s.giveUps,
      bufferOverflows: s.bufferOverflows,
      sequenceResets: s.sequenceResets,
      budgetDeferrals: s.budgetDeferrals,
      crossed: s.crossed,
      buffered: s.buf.count,
      unknownDeletes: s.book.bids.unknownDeletes + s.book.asks.unknownDeletes,
      truncatedLevels: s.book.bids.truncated + s.book.asks.truncated,
    }
  }

  private sym(instrumentId: number): SymbolSync | null {
    return instrumentId > 0 && instrumentId < this.syms.length ? this.syms[instrumentId]! : null
  }

  /** The continuity rules for a synced book; applies the diff or starts a resync. */
  private applySynced(s: SymbolSync, raw: ProviderRaw): boolean {
    const b = s.book.updateId
    const U = raw.firstUpdateId
    const u = raw.updateId
    let ok: boolean
    if (this.spot) {
      if (u <= b) {
        s.discarded++
        return false
      }
      ok = s.expectFirst ? U <= b + 1 : U === b + 1
    } else if (s.expectFirst) {
      if (u < b) {
        s.discarded++
        return false
      }
      ok = U <= b
    } else {
      if (u <= b) {
        s.discarded++
        return false
      }
      ok = raw.prevUpdateId === b
    }
    if (!ok) {
      this.gap(s, raw)
      return false
    }
    const book = s.book
    book.applyLevels(raw.bidPxs, raw.bidQtys, raw.bidCount, raw.askPxs, raw.askQtys, raw.askCount, u)
    s.expectFirst = false
    s.applied++
    if (book.isCrossed()) {
      s.crossed++
      if (this.resyncOnCrossed) {
        this.invalidate(s, BookInvalidReason.CrossedBook, 0, 0)
        this.startRequest(s, 0)
        return false
      }
    }
    this.listener.onDiffApplied(book, raw)
    return true
  }

  private gap(s: SymbolSync, raw: ProviderRaw): void {
    s.gaps++
    const from = s.book.updateId + 1
    const to = this.spot ? raw.firstUpdateId - 1 : raw.prevUpdateId
    this.invalidate(s, BookInvalidReason.SequenceGap, to >= from ? from : 0, to >= from ? to : 0)
    s.buf.push(raw)
    this.startRequest(s, 0)
  }

  /** Clears the book, emits BookInvalidated, leaves the symbol buffering (no request yet). */
  private invalidate(s: SymbolSync, reason: number, gapFrom: number, gapTo: number): void {
    const lastU = s.book.updateId
    this.cancelTimer(s)
    s.book.clear()
    s.buf.count = 0
    s.expectFirst = false
    s.attempts = 0
    s.resyncs++
    s.lastReason = reason
    s.state = BookSyncState.Buffering
    this.emitStatus(s, EventKind.BookInvalidated, reason, gapFrom, gapTo, lastU)
  }

  private bufferDiff(s: SymbolSync, raw: ProviderRaw): void {
    // The venue's ids only grow. A diff ending at or before the last buffered one means the
    // buffered run is not the sequence being received now (e.g. one corrupt far-ahead id that
    // caused the resync): keep the newest run, or every snapshot would look stale for ever.
    if (s.buf.count > 0 && raw.updateId <= s.buf.slots[s.buf.count - 1]!.updateId) {
      s.sequenceResets++
      s.buf.count = 0
    }
    if (!s.buf.push(raw)) {
      s.bufferOverflows++
      s.buf.count = 0
      s.buf.push(raw)
    }
    if (s.state === BookSyncState.Idle) {
      s.state = BookSyncState.Buffering
      this.startRequest(s, 0)
    }
  }

  /** A stale or failed snapshot: back off and ask again, or give up. */
  private retry(s: SymbolSync, reason: number): void {
    s.attempts++
    if (s.lastReason === BookInvalidReason.None) s.lastReason = reason
    if (s.attempts > this.maxRetries) {
      s.giveUps++
      s.state = BookSyncState.Failed
      this.emitStatus(s, EventKind.BookInvalidated, BookInvalidReason.SnapshotFailed, 0, 0)
      return
    }
    s.state = BookSyncState.Buffering
    const delay = Math.min(this.backoffBaseMs * 2 ** (s.attempts - 1), this.backoffMaxMs)
    this.startRequest(s, delay)
  }

  private startRequest(s: SymbolSync, delayMs: number): void {
    this.cancelTimer(s)
    if (delayMs <= 0) this.issueRequest(s)
    else s.timer = this.scheduler.schedule(delayMs, () => this.issueRequest(s))
  }

  private issueRequest(s: SymbolSync): void {
    s.timer = null
    if (s.state !== BookSyncState.Buffering) return
    if (this.budget !== null && !this.budget.tryTake(this.snapshotWeight)) {
      s.budgetDeferrals++
      s.timer = this.scheduler.schedule(this.budgetRetryMs, () => this.issueRequest(s))
      return
    }
    s.state = BookSyncState.AwaitingSnapshot
    s.snapshotRequests++
    const seq = ++s.requestSeq
    if (this.snapshotTimeoutMs > 0) s.timer = this.scheduler.schedule(this.snapshotTimeoutMs, () => this.onTimeout(s, seq))
    this.requestSnapshot(s.instrumentId)
  }

  private onTimeout(s: SymbolSync, seq: number): void {
    s.timer = null
    if (s.state !== BookSyncState.AwaitingSnapshot || s.requestSeq !== seq) return
    s.snapshotFailures++
    this.retry(s, BookInvalidReason.SnapshotFailed)
  }

  private cancelTimer(s: SymbolSync): void {
    if (s.timer !== null) {
      s.timer.cancel()
      s.timer = null
    }
  }

  private emitStatus(s: SymbolSync, kind: number, reason: number, gapFrom: number, gapTo: number, seq = s.book.updateId): void {
    const ev = this.statusEvent
    ev.reset()
    ev.kind = kind
    ev.venueId = this.venueId
    ev.instrumentId = s.instrumentId
    ev.tsRecvUs = s.lastRecvUs
    ev.venueSeq = seq
    ev.reason = reason
    ev.gapFrom = gapFrom
    ev.gapTo = gapTo
    ev.priceScale = s.book.priceScale
    ev.qtyScale = s.book.qtyScale
    this.listener.onStatus(ev)
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`BinanceBookSync: ${name} must be a positive integer, got ${v}`)
  return v
}

function nonNegativeInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`BinanceBookSync: ${name} must be an integer ≥ 0, got ${v}`)
  return v
}
