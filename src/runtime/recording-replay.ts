/**
 * Replaying a run recording (`.tfrec`, docs/recording.md) through a fresh
 * Merger (arrival ordering) and Dispatcher, optionally driving strategies:
 *
 *   recording ──► input events (not Bbo) ──► Merger.push(recorded source) ──► Dispatcher ──► verifier, onEvent, strategy hosts
 *                 recorded Bbo events ──► expectations only (the merger re-derives them)
 *
 * - Same ids: the reader re-interns the recorded venues, instruments and
 *   sources in their recorded order, so ids, canonical ids and source ids are
 *   the live run's.
 * - Same seq: the merger numbers pushes 1, 2, … exactly as live. A seq the
 *   live run consumed without publishing (its MergedEvent pool was empty) is
 *   consumed here by a filler event of kind None, which no subscriber can
 *   subscribe to; `seqGaps` counts them.
 * - Verification (`verify`): every event the replay publishes is compared,
 *   in order, with the recorded one (seq, source, kind, instrument or
 *   canonical id, venue sequence; for Bbo also both prices and venues): the
 *   exact interleaving of the live run, and the consolidated BBO re-derived
 *   from it.
 * - Time: a ManualClock set to each input event's tsRecvUs before it is
 *   pushed (the strategy's `ctx.clock`, the merger's tsMergedUs).
 * - Strategies: `ctx.submit`/`ctx.cancel` return ORDER_INTAKE_CLOSED (a
 *   recording replays market data; there is no venue to trade with);
 *   `ctx.book(id)` is rebuilt from the recorded BookDelta events (a snapshot
 *   replaces the book, a diff updates it, BookInvalidated empties it until the
 *   next snapshot), as the live feed's book was when the event was delivered;
 *   `ctx.bbo()` is the replay merger's consolidated BBO.
 * - Event-time recordings are refused: replaying them exactly needs the
 *   watermark `advance()` log, which the recorder does not keep yet.
 */
import { ManualClock } from '../core/clock.js'
import { ErrorCode, TickflowError } from '../core/errors.js'
import { silentLogger, type Logger } from '../core/logger.js'
import { BoundedPool } from '../core/pool.js'
import { OrderBook, type ReadonlyOrderBook } from '../book/order-book.js'
import { CanonicalEvent, EVENT_KIND_COUNT, EVENT_KIND_NAMES, EventKind, MergedEvent, type ReadonlyMergedEvent } from '../model/events.js'
import type { InstrumentRegistry, InstrumentSpec } from '../model/instrument.js'
import { Dispatcher, type MergedHandler } from '../pipeline/dispatcher.js'
import { Merger } from '../pipeline/merger.js'
import { readRecording, type RecordedEvent } from '../replay/recording-reader.js'
import { StrategyHost } from '../strategy/host.js'
import { StrategyMetrics } from '../strategy/metrics.js'
import type { OrderIntent, ReadonlyBbo, Strategy, StrategyContext } from '../strategy/strategy.js'

/** A strategy to drive with a recording. */
export interface ReplayStrategySpec {
  name: string
  strategy: Strategy
  params?: Record<string, unknown>
}

export interface ReplayRecordingOptions {
  strategies?: ReplayStrategySpec[]
  /** compare every published event with the recorded one (default false) */
  verify?: boolean
  /** a synchronous subscriber of every event (read during the call only) */
  onEvent?: (m: ReadonlyMergedEvent) => void
  /** accept a recording without its end record (killed run): replay up to its last complete block */
  allowUnclosed?: boolean
  logger?: Logger
  /** mismatch samples kept in the report (default 20) */
  maxMismatchSamples?: number
}

export interface RecordingMismatch {
  /** byte offset of the recorded event (-1: an event the replay published that the recording lacks) */
  offset: number
  expected: string
  actual: string
}

export interface RecordingReplayReport {
  file: string
  format: 'tfrec'
  version: number
  ordering: 'arrival' | 'event-time'
  startedAtUs: number
  endedAtUs: number | null
  /** the file had its end record (false only with allowUnclosed) */
  closed: boolean
  blocks: number
  records: number
  /** event records in the file (inputs + Bbo) */
  recordedEvents: number
  /** events pushed into the merger */
  inputEvents: number
  /** Bbo events in the recording */
  recordedBbo: number
  /** events the replay dispatcher published (inputs + derived Bbo) */
  published: number
  /** seq numbers the live run consumed without publishing (its pool was empty) */
  seqGaps: number
  lastSeq: number
  events: Record<string, number>
  sources: Array<{ id: number; name: string; events: number }>
  strategies: Array<{ name: string; events: number; throws: number }>
  verified: boolean
  mismatches: number
  mismatchSamples: RecordingMismatch[]
  ok: boolean
  elapsedMs: number
  eventsPerSec: number
}

/** Yield to the event loop this often (strategies' promises, timers). */
const YIELD_EVERY = 4096

function describeEvent(seq: number, source: number, kind: number, id: number, venueSeq: number): string {
  return `seq ${seq} source ${source} ${EVENT_KIND_NAMES[kind] ?? kind} ${kind === EventKind.Bbo ? 'canonical' : 'instrument'} ${id} venueSeq ${venueSeq}`
}

/**
 * The expected published events of the push in progress (the input event,
 * then the Bbo events it caused), in recorded order. A small growable ring of
 * typed columns: a push has one input and at most one Bbo.
 */
class Expectations {
  seq = new Float64Array(8)
  source = new Float64Array(8)
  kind = new Float64Array(8)
  id = new Float64Array(8)
  venueSeq = new Float64Array(8)
  bid = new Float64Array(8)
  ask = new Float64Array(8)
  bidVenue = new Float64Array(8)
  askVenue = new Float64Array(8)
  offset = new Float64Array(8)
  head = 0
  size = 0

  add(r: RecordedEvent): void {
    if (this.head + this.size === this.seq.length) this.compact()
    const i = this.head + this.size
    const ev = r.event
    const isBbo = r.kind === EventKind.Bbo
    this.seq[i] = r.seq
    this.source[i] = r.sourceId
    this.kind[i] = r.kind
    this.id[i] = isBbo ? r.canonicalId : r.instrumentId
    this.venueSeq[i] = ev.venueSeq
    this.bid[i] = isBbo ? ev.bidPxM : 0
    this.ask[i] = isBbo ? ev.askPxM : 0
    this.bidVenue[i] = isBbo ? ev.bidVenueId : 0
    this.askVenue[i] = isBbo ? ev.askVenueId : 0
    this.offset[i] = r.offset
    this.size++
  }

  private compact(): void {
    const cols = ['seq', 'source', 'kind', 'id', 'venueSeq', 'bid', 'ask', 'bidVenue', 'askVenue', 'offset'] as const
    const grow = this.head === 0
    for (const c of cols) {
      const a = this[c]
      const b = grow ? new Float64Array(a.length * 2) : a
      b.copyWithin(0, this.head, this.head + this.size)
      if (grow) b.set(a.subarray(0, this.size))
      this[c] = b
    }
    this.head = 0
  }

  shift(): void {
    this.head++
    this.size--
    if (this.size === 0) this.head = 0
  }
}

/** Replay books: rebuilt from the recorded BookDelta events. */
class ReplayBooks {
  private readonly books: Array<OrderBook | null> = []
  private readonly synced: boolean[] = []

  constructor(private readonly registry: InstrumentRegistry) {}

  apply(ev: CanonicalEvent): void {
    const id = ev.instrumentId
    if (id <= 0) return
    if (ev.kind === EventKind.BookInvalidated) {
      const b = this.books[id]
      if (b !== undefined && b !== null) b.clear()
      this.synced[id] = false
      return
    }
    if (ev.kind !== EventKind.BookDelta) return
    let b = this.books[id] ?? null
    if (b === null) {
      while (this.books.length <= id) {
        this.books.push(null)
        this.synced.push(false)
      }
      const spec = this.registry.has(id) ? this.registry.spec(id) : null
      b = new OrderBook({ instrumentId: id, priceScale: spec?.priceScale ?? ev.priceScale, qtyScale: spec?.qtyScale ?? ev.qtyScale })
      this.books[id] = b
    }
    if (ev.isSnapshot) {
      b.loadSnapshot(ev.bidPxs, ev.bidQtys, ev.bidCount, ev.askPxs, ev.askQtys, ev.askCount, ev.venueSeq)
      this.synced[id] = true
    } else if (this.synced[id] === true) {
      b.applyLevels(ev.bidPxs, ev.bidQtys, ev.bidCount, ev.askPxs, ev.askQtys, ev.askCount, ev.venueSeq)
    }
  }

  book(id: number): ReadonlyOrderBook | null {
    return this.synced[id] === true ? (this.books[id] ?? null) : null
  }
}

/** The StrategyContext of a replay: market data only. */
class ReplayStrategyContext implements StrategyContext {
  readonly metrics: StrategyMetrics

  constructor(
    readonly strategyId: number,
    readonly name: string,
    readonly clock: ManualClock,
    readonly log: Logger,
    readonly params: Readonly<Record<string, unknown>>,
    private readonly registry: InstrumentRegistry,
    private readonly merger: Merger,
    private readonly books: ReplayBooks,
  ) {
    this.metrics = new StrategyMetrics(name)
  }

  submit(_order: OrderIntent): string | TickflowError {
    return new TickflowError(ErrorCode.ORDER_INTAKE_CLOSED, 'replay of a recording: there is no order entry (market data only)')
  }

  cancel(_clientOrderId: string): true | TickflowError {
    return new TickflowError(ErrorCode.ORDER_INTAKE_CLOSED, 'replay of a recording: there is no order entry (market data only)')
  }

  book(instrumentId: number): ReadonlyOrderBook | null {
    return this.books.book(instrumentId)
  }

  bbo(canonicalId: number): ReadonlyBbo | null {
    return this.merger.bbo(canonicalId) as ReadonlyBbo | null
  }

  instrument(venue: string, symbol: string): number {
    return this.registry.lookup(venue, symbol)
  }

  instrumentSpec(instrumentId: number): InstrumentSpec | null {
    return this.registry.has(instrumentId) ? this.registry.spec(instrumentId) : null
  }

  canonicalId(instrumentId: number): number {
    return this.registry.has(instrumentId) ? this.registry.canonicalOf(instrumentId) : 0
  }
}

/** Compares what the replay publishes with the recording (a sync subscriber of every kind). */
class Verifier implements MergedHandler {
  readonly exp = new Expectations()
  mismatches = 0
  published = 0
  /** the last push of an unclosed recording: its Bbo may be in the block that was lost */
  tolerateExtra = false
  readonly samples: RecordingMismatch[] = []

  constructor(
    private readonly verify: boolean,
    private readonly maxSamples: number,
  ) {}

  onEvent(m: ReadonlyMergedEvent): void {
    this.published++
    if (!this.verify) return
    const ev = m.event!
    const isBbo = m.kind === EventKind.Bbo
    const id = isBbo ? m.canonicalId : m.instrumentId
    const x = this.exp
    if (x.size === 0) {
      if (this.tolerateExtra) return
      this.mismatch(-1, 'nothing (the recording has no such event)', describeEvent(m.seq, m.sourceId, m.kind, id, ev.venueSeq))
      return
    }
    const i = x.head
    const same =
      x.seq[i] === m.seq &&
      x.source[i] === m.sourceId &&
      x.kind[i] === m.kind &&
      x.id[i] === id &&
      x.venueSeq[i] === ev.venueSeq &&
      (!isBbo || (x.bid[i] === ev.bidPxM && x.ask[i] === ev.askPxM && x.bidVenue[i] === ev.bidVenueId && x.askVenue[i] === ev.askVenueId))
    if (!same) {
      this.mismatch(x.offset[i]!, describeEvent(x.seq[i]!, x.source[i]!, x.kind[i]!, x.id[i]!, x.venueSeq[i]!), describeEvent(m.seq, m.sourceId, m.kind, id, ev.venueSeq))
    }
    x.shift()
  }

  /** After a push: recorded events the replay did not publish. */
  missing(): void {
    const x = this.exp
    while (x.size > 0) {
      const i = x.head
      if (this.verify) this.mismatch(x.offset[i]!, describeEvent(x.seq[i]!, x.source[i]!, x.kind[i]!, x.id[i]!, x.venueSeq[i]!), 'nothing (the replay did not publish it)')
      x.shift()
    }
  }

  mismatch(offset: number, expected: string, actual: string): void {
    this.mismatches++
    if (this.samples.length < this.maxSamples) this.samples.push({ offset, expected, actual })
  }
}

/**
 * Replays a recording through a fresh merger + dispatcher (and the given
 * strategies). Throws REPLAY_FORMAT for a corrupt or truncated file (the
 * message names the byte offset) and for event-time recordings.
 */
export async function replayRecording(file: string, options: ReplayRecordingOptions = {}): Promise<RecordingReplayReport> {
  const t0 = performance.now()
  const log = options.logger ?? silentLogger
  const verify = options.verify === true
  const reader = readRecording(file, options.allowUnclosed === true ? { allowUnclosed: true } : {})
  if (reader.header.ordering !== 'arrival') {
    throw new TickflowError(
      ErrorCode.REPLAY_FORMAT,
      `${file}: recorded with event-time ordering; an exact replay needs the merger's watermark advance log, which recordings do not keep yet (record with merger.ordering: arrival)`,
    )
  }
  reader.loadDictionary()
  const registry = reader.registry
  const clock = new ManualClock(reader.header.startedAtUs)
  const canonicalPool = new BoundedPool({ name: 'CanonicalEvent', capacity: 64, create: () => new CanonicalEvent() })
  const mergedPool = new BoundedPool({ name: 'MergedEvent', capacity: 64, create: () => new MergedEvent() })
  const dispatcher = new Dispatcher({ mergedPool, canonicalPool, registry, clock, logger: log.child({ component: 'dispatcher' }) })
  const merger = new Merger({ registry, mergedPool, canonicalPool, sink: dispatcher, clock, ordering: 'arrival', consolidateBbo: reader.header.consolidatedBbo })
  for (let i = 1; i < reader.sourceNames.length; i++) merger.addSource(reader.sourceNames[i]!)
  const allKinds: number[] = []
  for (let k = 1; k < EVENT_KIND_COUNT; k++) allKinds.push(k)
  const verifier = new Verifier(verify, options.maxMismatchSamples ?? 20)
  dispatcher.subscribeSync({ name: 'replay-verifier', kinds: allKinds, instruments: 'all', handler: verifier })
  if (options.onEvent !== undefined) {
    const onEvent = options.onEvent
    dispatcher.subscribeSync({ name: 'replay-onEvent', kinds: allKinds, instruments: 'all', handler: { onEvent } })
  }
  const books = new ReplayBooks(registry)
  const hosts: StrategyHost[] = []
  for (const spec of options.strategies ?? []) {
    const ctx = new ReplayStrategyContext(hosts.length + 1, spec.name, clock, log.child({ strategy: spec.name }), Object.freeze({ ...(spec.params ?? {}) }), registry, merger, books)
    const host = new StrategyHost(spec.strategy, ctx)
    if (host.kinds.length > 0) dispatcher.subscribeSync({ name: spec.name, kinds: host.kinds, instruments: 'all', handler: host })
    hosts.push(host)
    await host.start()
  }

  const kindCounts = new Float64Array(EVENT_KIND_COUNT)
  const sourceCounts = new Float64Array(reader.sourceNames.length)
  let inputs = 0
  let recordedBbo = 0
  let seqGaps = 0
  let pending: CanonicalEvent | null = null
  let pendingSeq = 0
  let pendingSource = 0
  let pendingOffset = 0

  const pushPending = (): void => {
    const ev = pending
    if (ev === null) return
    pending = null
    if (pendingSeq < merger.nextSeq) {
      verifier.mismatch(pendingOffset, `seq ${pendingSeq}`, `seq ${merger.nextSeq} (the recording's seq went backwards)`)
    }
    while (merger.nextSeq < pendingSeq) {
      // The live run consumed this seq without publishing it: consume it the same way.
      const filler = canonicalPool.tryAcquire()
      if (filler === null) throw new TickflowError(ErrorCode.INVARIANT, 'Invariant: replay pool empty')
      filler.tsRecvUs = ev.tsRecvUs
      merger.push(0, filler)
      seqGaps++
    }
    clock.set(ev.tsRecvUs)
    books.apply(ev)
    merger.push(pendingSource, ev)
    verifier.missing()
  }

  let n = 0
  for (const r of reader) {
    kindCounts[r.kind]!++
    if (r.kind === EventKind.Bbo) {
      // Derived by the merger from the input before it: an expectation only.
      recordedBbo++
      verifier.exp.add(r)
      continue
    }
    pushPending()
    const ev = canonicalPool.tryAcquire()
    if (ev === null) throw new TickflowError(ErrorCode.INVARIANT, 'Invariant: replay pool empty')
    ev.copyFrom(r.event)
    pending = ev
    pendingSeq = r.seq
    pendingSource = r.sourceId
    pendingOffset = r.offset
    if (r.sourceId < sourceCounts.length) sourceCounts[r.sourceId]!++
    verifier.exp.add(r)
    inputs++
    if (++n % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  if (reader.unclosed) verifier.tolerateExtra = true
  pushPending()
  merger.flush()
  for (const h of hosts) await h.stop('replay end')
  dispatcher.close()

  const end = reader.end
  const lastSeq = merger.stats().lastSeq
  if (verify && end !== null && end.lastSeq !== 0 && end.lastSeq !== lastSeq) {
    verifier.mismatch(-1, `last seq ${end.lastSeq} (end record)`, `last seq ${lastSeq}`)
  }
  const events: Record<string, number> = {}
  for (let k = 1; k < EVENT_KIND_COUNT; k++) events[EVENT_KIND_NAMES[k]!] = kindCounts[k]!
  const elapsedMs = Math.max(1, Math.round(performance.now() - t0))
  return {
    file,
    format: 'tfrec',
    version: reader.header.version,
    ordering: reader.header.ordering,
    startedAtUs: reader.header.startedAtUs,
    endedAtUs: end?.endedAtUs ?? null,
    closed: !reader.unclosed,
    blocks: reader.blocks,
    records: reader.records,
    recordedEvents: reader.events,
    inputEvents: inputs,
    recordedBbo,
    published: verifier.published,
    seqGaps,
    lastSeq,
    events,
    sources: reader.sourceNames.slice(1).map((name, i) => ({ id: i + 1, name, events: sourceCounts[i + 1]! })),
    strategies: hosts.map((h) => ({ name: h.name, events: h.events, throws: h.throws })),
    verified: verify,
    mismatches: verifier.mismatches,
    mismatchSamples: verifier.samples,
    ok: verifier.mismatches === 0,
    elapsedMs,
    eventsPerSec: Math.round((reader.events / elapsedMs) * 1000),
  }
}
