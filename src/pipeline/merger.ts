/**
 * The merger: one stream of MergedEvents out of every venue connection's
 * CanonicalEvents, with one global sequence number, optional event-time
 * ordering, and the consolidated best bid/offer per canonical instrument.
 *
 * Design decisions (docs/pipeline.md has the long form and the bench figures):
 *
 * - `seq` is assigned at ARRIVAL, one counter for every event of every source
 *   (1, 2, …). It is never reassigned: in event-time mode the published order
 *   differs from seq order, and seq still says how the live run interleaved.
 *   An event dropped for lack of a pooled MergedEvent consumes its seq, so a
 *   subscriber sees the gap and a replay numbers the same events the same way.
 * - Reproducing a run: the merger's output is a pure function of (a) the
 *   sequence of pushes (source id + canonical event), (b) the `advance(nowUs)`
 *   calls in event-time mode, (c) the clock (only tsMergedUs). A recorder
 *   therefore keeps, per received frame: source id, `merger.nextSeq` at the
 *   frame's arrival (a divergence check for replay), the frame's receive time
 *   and bytes; plus each `advance(nowUs)` call (in event-time mode) with the
 *   `nextSeq` at which it happened. Replaying the frames in that order through
 *   the same decoders reproduces the interleaving, seq numbers, late flags and
 *   BBO events exactly.
 * - Event-time ordering (`ordering: 'event-time'`): a bounded-lateness
 *   watermark. watermark = max(max event time seen − latenessUs, key of any
 *   event forced out of a full buffer, advance() progress). Arriving events
 *   with tsEventUs ≥ watermark wait in a bounded min-heap and leave in
 *   (tsEventUs, seq) order once the watermark reaches them; an event older
 *   than the watermark is LATE: flagged (`m.late`), counted, and published at
 *   once in arrival order — never silently reordered. Events without an event
 *   time (tsEventUs 0, e.g. locally generated status events) are keyed at the
 *   max event time seen, so they leave after what is already held.
 * - The consolidated BBO (consolidated-bbo.ts) follows the PUBLISHED order, and
 *   is emitted as a pooled EventKind.Bbo CanonicalEvent only when it changes,
 *   right after the event that changed it, carrying that event's seq (Bbo
 *   events do not consume sequence numbers: input numbering does not depend
 *   on whether the BBO is on). venueId 0 and instrumentId 0; the merged
 *   event's canonicalId names the instrument; bidVenueId/askVenueId the venues.
 * - The merger writes only MergedEvent fields (seq, ids, tsMergedUs, sourceId,
 *   late, event) and the Bbo events it creates; it never changes a canonical
 *   event it received.
 * - Allocation-free per event. Pools are passed in. Exhaustion policy at both
 *   acquire sites is the market-data one: drop and count.
 * - `tsMergedUs` is read from the clock ONCE PER RECEIVE BATCH, not per event:
 *   events that came in with the same socket read share their `tsRecvUs`
 *   (the transport stamps once per read), and the merger re-reads the clock
 *   only when an event's `tsRecvUs` differs from the previous event's (or is
 *   0: locally made events), and at every `advance()` / `flush()`. So
 *   tsMergedUs is the time the merger published the FIRST event of that
 *   read; the wait of later events of the same read shows in the
 *   merged → subscriber stage, and frame → subscriber (read fresh by the
 *   probe) is exact. A clock read costs ~45 ns and allocates 16 B on Node 20
 *   (node-performance.md §5.1); a 64 KiB read carries ~400 trades.
 */
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { ErrorCode, TickflowError } from '../core/errors.js'
import type { BoundedPool } from '../core/pool.js'
import { CanonicalEvent, EventKind, MergedEvent } from '../model/events.js'
import type { InstrumentRegistry } from '../model/instrument.js'
import { BboBook, TopOfBook, type BookTopSource, type ConsolidatedBbo, type ReadonlyConsolidatedBbo } from './consolidated-bbo.js'
import type { MergedSink } from './dispatcher.js'
import { ReorderBuffer } from './reorder-buffer.js'

export type MergeOrdering = 'arrival' | 'event-time'

export interface MergerOptions {
  registry: InstrumentRegistry
  mergedPool: BoundedPool<MergedEvent>
  canonicalPool: BoundedPool<CanonicalEvent>
  /** where merged events go (the Dispatcher); ownership passes with each publish */
  sink: MergedSink
  /** stamps tsMergedUs (default: the system clock; replay passes its own) */
  clock?: Clock
  /** 'arrival' (default): publish at once; 'event-time': bounded-lateness reordering */
  ordering?: MergeOrdering
  /** event-time only: allowed lateness in µs (default 20,000) */
  latenessUs?: number
  /** event-time only: reorder buffer bound in events (default 4096) */
  reorderCapacity?: number
  /** maintain and emit the consolidated BBO (default true) */
  consolidateBbo?: boolean
  /** use partial-depth book snapshots (BookDelta with isSnapshot) as tops (default true) */
  bboFromBookSnapshots?: boolean
  /** read book tops after every BookDelta from here (the engine's books); default none */
  bookTops?: BookTopSource | null
}

export interface MergerStats {
  ordering: MergeOrdering
  /** events pushed */
  received: number
  /** events published (excluding Bbo) */
  published: number
  /** events dropped: MergedEvent pool empty (market data: drop and count) */
  dropped: number
  /** event-time: events older than the watermark, published in arrival order */
  late: number
  /** event-time: events forced out of a full reorder buffer before the watermark reached them */
  forcedReleases: number
  /** event-time: events held now, and the most ever held */
  buffered: number
  bufferHighWater: number
  watermarkUs: number
  bboEmitted: number
  /** Bbo events not published for lack of pooled objects (the next change re-emits) */
  bboDropped: number
  bboScaleOverflows: number
  lastSeq: number
  sources: Array<{ id: number; name: string; received: number; late: number; dropped: number }>
}

export class Merger {
  private readonly registry: InstrumentRegistry
  private readonly mergedPool: BoundedPool<MergedEvent>
  private readonly canonicalPool: BoundedPool<CanonicalEvent>
  private readonly sink: MergedSink
  private readonly clock: Clock
  readonly ordering: MergeOrdering
  private readonly eventTime: boolean
  readonly latenessUs: number
  private readonly buffer: ReorderBuffer | null
  private readonly bboOn: boolean
  private readonly bboFromSnapshots: boolean
  private readonly bookTops: BookTopSource | null
  private readonly top = new TopOfBook()
  private readonly bbos = new BboBook()

  private seqCounter = 0
  private watermark = 0
  private maxEventUs = 0
  private lastArrivalRecvUs = 0
  /** the receive batch (tsRecvUs) whose publish stamp is `nowUs`; -1 = none */
  private batchRecvUs = -1
  /** tsMergedUs for what is published now */
  private nowUs = 0

  private readonly sourceNames: string[] = ['']
  private srcReceived: Float64Array = new Float64Array(8)
  private srcLate: Float64Array = new Float64Array(8)
  private srcDropped: Float64Array = new Float64Array(8)

  received = 0
  published = 0
  dropped = 0
  late = 0
  forcedReleases = 0
  bufferHighWater = 0
  bboEmitted = 0
  bboDropped = 0

  constructor(options: MergerOptions) {
    this.registry = options.registry
    this.mergedPool = options.mergedPool
    this.canonicalPool = options.canonicalPool
    this.sink = options.sink
    this.clock = options.clock ?? systemClock
    this.ordering = options.ordering ?? 'arrival'
    if (this.ordering !== 'arrival' && this.ordering !== 'event-time') {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `merger ordering: expected 'arrival' or 'event-time', got '${String(this.ordering)}'`)
    }
    this.eventTime = this.ordering === 'event-time'
    this.latenessUs = options.latenessUs ?? 20_000
    if (!Number.isFinite(this.latenessUs) || this.latenessUs < 0) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `merger latenessUs: expected a number >= 0, got ${this.latenessUs}`)
    }
    this.buffer = this.eventTime ? new ReorderBuffer(options.reorderCapacity ?? 4096) : null
    this.bboOn = options.consolidateBbo !== false
    this.bboFromSnapshots = options.bboFromBookSnapshots !== false
    this.bookTops = options.bookTops ?? null
  }

  /** Registers a venue connection (cold path); returns its source id (1, 2, …). */
  addSource(name: string): number {
    const id = this.sourceNames.length
    this.sourceNames.push(name)
    if (id >= this.srcReceived.length) {
      const grow = (a: Float64Array): Float64Array => {
        const b = new Float64Array(a.length * 2)
        b.set(a)
        return b
      }
      this.srcReceived = grow(this.srcReceived)
      this.srcLate = grow(this.srcLate)
      this.srcDropped = grow(this.srcDropped)
    }
    return id
  }

  /** The seq the next pushed event will get (recorders store it per frame). */
  get nextSeq(): number {
    return this.seqCounter + 1
  }

  /** The publish stamp (tsMergedUs) of what the merger published last (epoch µs; read once per receive batch). */
  get publishStampUs(): number {
    return this.nowUs
  }

  /** The current event-time watermark, epoch µs (0 in arrival mode or before any event). */
  get watermarkUs(): number {
    return this.watermark
  }

  /** The consolidated BBO of a canonical instrument (live view, read-only), or null before any quote. */
  bbo(canonicalId: number): ReadonlyConsolidatedBbo | null {
    return this.bbos.get(canonicalId)
  }

  /**
   * Takes ownership of a leased CanonicalEvent from source `sourceId` and
   * publishes it (now, or once the watermark passes it). Returns false when it
   * was dropped because the MergedEvent pool is empty (then the canonical
   * event has been released and the drop counted).
   */
  push(sourceId: number, ev: CanonicalEvent): boolean {
    const seq = ++this.seqCounter
    this.received++
    const src = sourceId > 0 && sourceId < this.sourceNames.length ? sourceId : 0
    this.srcReceived[src]!++
    // Exhaustion policy (market data): drop and count; the seq stays consumed (a visible gap).
    const m = this.mergedPool.tryAcquire()
    if (m === null) {
      this.dropped++
      this.srcDropped[src]!++
      this.canonicalPool.release(ev)
      return false
    }
    const id = ev.instrumentId
    m.seq = seq
    m.kind = ev.kind
    m.venueId = ev.venueId
    m.instrumentId = id
    m.canonicalId = id > 0 && this.registry.has(id) ? this.registry.canonicalOf(id) : 0
    m.sourceId = src
    m.event = ev
    const recv = ev.tsRecvUs
    if (recv !== this.batchRecvUs || recv <= 0) {
      this.batchRecvUs = recv
      this.nowUs = this.clock.nowUs()
    }
    if (this.eventTime) this.order(m, src)
    else this.emit(m)
    return true
  }

  private order(m: MergedEvent, src: number): void {
    const buf = this.buffer!
    const ev = m.event!
    const ts = ev.tsEventUs > 0 ? ev.tsEventUs : this.maxEventUs
    this.lastArrivalRecvUs = ev.tsRecvUs
    if (ts < this.watermark) {
      this.publishLate(m, src)
      return
    }
    if (buf.size === buf.capacity) {
      // Full: the earliest held event leaves before its time; the watermark moves up to it.
      const key = buf.peekKey()
      if (key > this.watermark) this.watermark = key
      this.forcedReleases++
      this.emit(buf.pop())
      if (ts < this.watermark) {
        this.publishLate(m, src)
        return
      }
    }
    buf.push(m, ts)
    if (buf.size > this.bufferHighWater) this.bufferHighWater = buf.size
    if (ts > this.maxEventUs) this.maxEventUs = ts
    const wm = this.maxEventUs - this.latenessUs
    if (wm > this.watermark) this.watermark = wm
    this.releaseReady()
  }

  private publishLate(m: MergedEvent, src: number): void {
    m.late = true
    this.late++
    this.srcLate[src]!++
    this.emit(m)
  }

  private releaseReady(): void {
    const buf = this.buffer!
    while (buf.size > 0 && buf.peekKey() <= this.watermark) this.emit(buf.pop())
  }

  /**
   * Event-time mode: moves the watermark with local time while sources are
   * quiet (event time is assumed to advance like the local clock since the
   * last arrival) and publishes what it passes. The engine calls it from one
   * timer; a recorder records each call. No-op in arrival mode.
   */
  advance(nowUs: number): void {
    const buf = this.buffer
    if (buf === null || buf.size === 0) return
    const wm = this.maxEventUs - this.latenessUs + (nowUs - this.lastArrivalRecvUs)
    if (wm > this.watermark) this.watermark = wm
    this.freshStamp()
    this.releaseReady()
  }

  /** Publishes every held event in order (end of a replay, shutdown). */
  flush(): void {
    const buf = this.buffer
    if (buf === null) return
    this.freshStamp()
    while (buf.size > 0) {
      const key = buf.peekKey()
      if (key > this.watermark) this.watermark = key
      this.emit(buf.pop())
    }
  }

  /** A clock read for publishes outside a push (timer, flush); the next push reads again. */
  private freshStamp(): void {
    this.nowUs = this.clock.nowUs()
    this.batchRecvUs = -1
  }

  private emit(m: MergedEvent): void {
    m.tsMergedUs = this.nowUs
    this.published++
    let changed: ConsolidatedBbo | null = null
    if (this.bboOn && m.canonicalId > 0) changed = this.updateBbo(m)
    if (changed === null) {
      this.sink.publish(m)
      return
    }
    // Read what the Bbo event needs before m is handed over (the sink releases it).
    const seq = m.seq
    const src = m.sourceId
    const late = m.late
    const tsMerged = m.tsMergedUs
    const ev = m.event!
    const tsEvent = ev.tsEventUs
    const tsRecv = ev.tsRecvUs
    this.sink.publish(m)
    this.publishBbo(changed, seq, src, late, tsMerged, tsEvent, tsRecv)
  }

  private updateBbo(m: MergedEvent): ConsolidatedBbo | null {
    const ev = m.event!
    switch (m.kind) {
      case EventKind.Quote:
        return this.bbos.update(ev.instrumentId, ev.venueId, m.canonicalId, ev.bidPxM, ev.bidQtyM, ev.askPxM, ev.askQtyM, ev.priceScale, ev.qtyScale)
      case EventKind.BookDelta: {
        if (this.bookTops !== null) {
          const t = this.top
          if (this.bookTops.top(ev.instrumentId, t)) {
            return this.bbos.update(ev.instrumentId, ev.venueId, m.canonicalId, t.bidPxM, t.bidQtyM, t.askPxM, t.askQtyM, t.priceScale, t.qtyScale)
          }
          return this.bbos.invalidate(ev.instrumentId, m.canonicalId)
        }
        if (this.bboFromSnapshots && ev.isSnapshot) {
          const hasBid = ev.bidCount > 0
          const hasAsk = ev.askCount > 0
          return this.bbos.update(
            ev.instrumentId,
            ev.venueId,
            m.canonicalId,
            hasBid ? ev.bidPxs[0]! : 0,
            hasBid ? ev.bidQtys[0]! : 0,
            hasAsk ? ev.askPxs[0]! : 0,
            hasAsk ? ev.askQtys[0]! : 0,
            ev.priceScale,
            ev.qtyScale,
          )
        }
        return null
      }
      case EventKind.BookInvalidated:
        return this.bbos.invalidate(ev.instrumentId, m.canonicalId)
      default:
        return null
    }
  }

  private publishBbo(c: ConsolidatedBbo, seq: number, src: number, late: boolean, tsMerged: number, tsEvent: number, tsRecv: number): void {
    // Exhaustion policy (market data): drop and count; `dirty` stays set so the next update re-emits.
    const ev = this.canonicalPool.tryAcquire()
    if (ev === null) {
      this.bboDropped++
      return
    }
    const m = this.mergedPool.tryAcquire()
    if (m === null) {
      this.canonicalPool.release(ev)
      this.bboDropped++
      return
    }
    ev.kind = EventKind.Bbo
    ev.tsEventUs = tsEvent
    ev.tsRecvUs = tsRecv
    ev.priceScale = c.priceScale
    ev.qtyScale = c.qtyScale
    ev.bidPxM = c.bidPxM
    ev.bidQtyM = c.bidQtyM
    ev.askPxM = c.askPxM
    ev.askQtyM = c.askQtyM
    ev.bidVenueId = c.bidVenueId
    ev.askVenueId = c.askVenueId
    m.seq = seq
    m.kind = EventKind.Bbo
    m.canonicalId = c.canonicalId
    m.tsMergedUs = tsMerged
    m.sourceId = src
    m.late = late
    m.event = ev
    c.tsUs = tsMerged
    c.dirty = false
    this.bboEmitted++
    this.sink.publish(m)
  }

  stats(): MergerStats {
    const sources: MergerStats['sources'] = []
    for (let i = 1; i < this.sourceNames.length; i++) {
      sources.push({ id: i, name: this.sourceNames[i]!, received: this.srcReceived[i]!, late: this.srcLate[i]!, dropped: this.srcDropped[i]! })
    }
    return {
      ordering: this.ordering,
      received: this.received,
      published: this.published,
      dropped: this.dropped,
      late: this.late,
      forcedReleases: this.forcedReleases,
      buffered: this.buffer?.size ?? 0,
      bufferHighWater: this.bufferHighWater,
      watermarkUs: this.watermark,
      bboEmitted: this.bboEmitted,
      bboDropped: this.bboDropped,
      bboScaleOverflows: this.bbos.scaleOverflows,
      lastSeq: this.seqCounter,
      sources,
    }
  }
}
