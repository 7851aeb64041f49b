/**
 * The dispatcher: fans every merged event out to the subscribers that declared
 * interest in its kind and instrument, then releases the pooled original.
 *
 * Design (house style 2.5 rules 3, 12, 13; 2.6; 2.7; undici dispatch/'drain'):
 *
 *   syncByKind[kind]    SyncSubscription[] | null   called during publish()
 *   queuedByKind[kind]  SubscriberQueue[]  | null   copied into their rings
 *   per subscription:   Uint8Array bitmap over instrument ids (and one over
 *                       canonical ids, for Bbo events), null = all
 *
 * Interest is resolved at subscribe() into these arrays; publish() does one
 * array load per kind, one bitmap load per subscriber, no string compare, no
 * closure, no allocation. The arrays are rebuilt (never mutated) on
 * (un)subscribe, so a publish in progress keeps iterating its own snapshot.
 *
 * Ownership (docs/ownership.md): publish() takes ownership of a leased
 * MergedEvent and its CanonicalEvent; sync subscribers read them during the
 * callback only; queued subscribers receive a deep copy in their own
 * preallocated slots; once every subscriber has it, publish() releases both
 * (exactly once, also when a sync subscriber throws). Subscribers never release.
 *
 * Backpressure: a `block` queue at its high-water mark pauses upstream through
 * `onBackpressure(true)`; when the last blocked queue drains to its low-water
 * mark, `onBackpressure(false)` resumes it (Disruptor gating on the slowest
 * block subscriber). Execution reports take a separate path whose policy is
 * always block: `offerExecReport` returns false when any interested exec queue
 * is full (nothing delivered, nothing dropped) and `onExecDrain` /
 * `whenExecWritable()` tell the order path when to retry.
 */
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import { systemClock, type Clock } from '../core/clock.js'
import type { BoundedPool } from '../core/pool.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import { CanonicalEvent, EVENT_KIND_COUNT, EVENT_KIND_NAMES, EventKind, MergedEvent, type ReadonlyMergedEvent } from '../model/events.js'
import type { InstrumentRegistry } from '../model/instrument.js'
import type { ExecReport } from '../model/orders.js'
import { LagHistogram } from './lag-histogram.js'
import {
  DisconnectReason,
  ExecReportQueue,
  OverflowPolicy,
  SubscriberQueue,
  overflowPolicyOf,
  type OverflowPolicyName,
  type QueueOwner,
  type SubscriberQueueStats,
} from './subscriber-queue.js'

/** Where the merger publishes (implemented by Dispatcher). Ownership of `m` passes to the sink. */
export interface MergedSink {
  publish(m: MergedEvent): void
}

/** A synchronous subscriber: called during dispatch with the pooled event (read-only, valid during the call only). */
export interface MergedHandler {
  onEvent(ev: ReadonlyMergedEvent): void
}

/** A synchronous exec-report subscriber: the report is valid during the call only. */
export interface ExecHandler {
  onExecReport(report: Readonly<ExecReport>): void
}

/** Which events a subscriber wants. Resolved once at subscribe time. */
export interface InterestSpec {
  /** a name for stats and logs */
  name: string
  /** EventKind values (Trade, Quote, BookDelta, Bar, BookInvalidated, BookResynced, TradeGap, Bbo) */
  kinds: readonly number[]
  /**
   * instrument ids, or 'all'. Bbo events (which belong to a canonical
   * instrument) are delivered when the canonical id of one of these
   * instruments matches, or for every canonical id with 'all'.
   */
  instruments: readonly number[] | 'all'
}

export interface SyncSubscribeSpec extends InterestSpec {
  handler: MergedHandler
}

export interface QueuedSubscribeSpec extends InterestSpec {
  policy: OverflowPolicyName
  /** ring size, power of two (default 1024) */
  capacity?: number
  /** block only: pause upstream at this depth (default capacity/2) */
  highWater?: number
  /** block only: resume upstream at this depth (default capacity/4) */
  lowWater?: number
  /** called (in a microtask) when the subscriber is disconnected or unsubscribed */
  onDisconnect?: (reason: string) => void
}

export interface ExecSubscribeSpec {
  name: string
  /** only this strategy's reports; 0 = all */
  strategyId: number
}

export interface DispatcherOptions {
  /** the pools publish() releases into (MergedEvent and its CanonicalEvent) */
  mergedPool: BoundedPool<MergedEvent>
  canonicalPool: BoundedPool<CanonicalEvent>
  /** to map subscribed instrument ids to canonical ids (Bbo filtering) */
  registry: InstrumentRegistry
  clock?: Clock
  logger?: Logger
  /** upstream gate: the engine pauses (true) / resumes (false) the venue sockets */
  onBackpressure?: (paused: boolean) => void
  /** a queued exec subscriber made room after a refused `offerExecReport` */
  onExecDrain?: () => void
  /** log one sync-subscriber error every N (default 1000; the first is always logged) */
  errorLogEvery?: number
}

/** A synchronous subscription's handle and counters. */
export class SyncSubscription {
  readonly id: number
  readonly name: string
  readonly handler: MergedHandler
  /** instrument-id bitmap, null = all */
  readonly filter: Uint8Array | null
  /** canonical-id bitmap for Bbo events, null = all */
  readonly canonicalFilter: Uint8Array | null
  readonly kinds: readonly number[]
  delivered = 0
  /** callbacks that threw (the dispatcher carried on) */
  errors = 0
  readonly lag = new LagHistogram()
  active = true

  constructor(id: number, spec: SyncSubscribeSpec, filter: Uint8Array | null, canonicalFilter: Uint8Array | null) {
    this.id = id
    this.name = spec.name
    this.handler = spec.handler
    this.filter = filter
    this.canonicalFilter = canonicalFilter
    this.kinds = [...spec.kinds]
  }
}

interface QueuedEntry {
  queue: SubscriberQueue
  filter: Uint8Array | null
  canonicalFilter: Uint8Array | null
  kinds: readonly number[]
}

interface ExecSyncEntry {
  name: string
  strategyId: number
  handler: ExecHandler
  delivered: number
  errors: number
}

export interface SubscriberStats extends Omit<SubscriberQueueStats, 'policy'> {
  mode: 'sync' | 'queued'
  policy: string
  kinds: string[]
  errors: number
}

export interface DispatcherStats {
  published: number
  released: number
  paused: boolean
  pauses: number
  blockedQueues: number
  disconnects: number
  subscriberErrors: number
  execOffered: number
  execRefused: number
  execDelivered: number
  subscribers: SubscriberStats[]
  execSubscribers: Array<{ name: string; mode: 'sync' | 'queued'; delivered: number; depth: number; fullRefusals: number; errors: number }>
}

function wants(filter: Uint8Array | null, id: number): boolean {
  return filter === null || (id < filter.length && filter[id] === 1)
}

export class Dispatcher implements MergedSink, QueueOwner {
  private readonly mergedPool: BoundedPool<MergedEvent>
  private readonly canonicalPool: BoundedPool<CanonicalEvent>
  private readonly registry: InstrumentRegistry
  private readonly clock: Clock
  private readonly log: Logger
  private readonly onBackpressure: ((paused: boolean) => void) | null
  private readonly onExecDrain: ((this: void) => void) | null
  private readonly errorLogEvery: number

  private syncByKind: Array<SyncSubscription[] | null> = []
  private queuedByKind: Array<QueuedEntry[] | null> = []
  private readonly syncSubs: SyncSubscription[] = []
  private readonly queuedSubs: QueuedEntry[] = []
  private execSync: ExecSyncEntry[] = []
  private execQueues: ExecReportQueue[] = []
  private nextId = 1
  private closed = false

  private blockedQueues = 0
  private pausedState = false
  private execWaiter: (() => void) | null = null
  private execWaitPromise: Promise<void> | null = null

  // counters
  published = 0
  released = 0
  pauses = 0
  disconnects = 0
  subscriberErrors = 0
  execOffered = 0
  execRefused = 0
  execDelivered = 0

  constructor(options: DispatcherOptions) {
    this.mergedPool = options.mergedPool
    this.canonicalPool = options.canonicalPool
    this.registry = options.registry
    this.clock = options.clock ?? systemClock
    this.log = options.logger ?? silentLogger
    this.onBackpressure = options.onBackpressure ?? null
    this.onExecDrain = options.onExecDrain ?? null
    this.errorLogEvery = Math.max(1, options.errorLogEvery ?? 1000)
    for (let k = 0; k < EVENT_KIND_COUNT; k++) {
      this.syncByKind.push(null)
      this.queuedByKind.push(null)
    }
  }

  /** true while upstream is asked to pause (a block subscriber is at its high-water mark). */
  get paused(): boolean {
    return this.pausedState
  }

  // ---------------------------------------------------------------- subscribe (cold path)

  /** Adds a synchronous subscriber (called during dispatch). Throws SUBSCRIBE_INVALID. */
  subscribeSync(spec: SyncSubscribeSpec): SyncSubscription {
    this.checkOpen()
    this.checkInterest(spec)
    if (spec.handler === null || typeof spec.handler !== 'object' || typeof spec.handler.onEvent !== 'function') {
      throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `subscriber ${spec.name}: handler must be an object with an onEvent(ev) method`)
    }
    const [filter, canonicalFilter] = this.filters(spec)
    const sub = new SyncSubscription(this.nextId++, spec, filter, canonicalFilter)
    this.syncSubs.push(sub)
    this.rebuild()
    return sub
  }

  /**
   * Adds a queued subscriber: every matching event is copied into its bounded
   * ring under its overflow policy; the consumer pulls from the returned queue.
   * Throws SUBSCRIBE_INVALID (conflate with BookDelta: conflating deltas
   * corrupts a book; subscribe to Quote/Bbo, or use another policy).
   */
  subscribeQueued(spec: QueuedSubscribeSpec): SubscriberQueue {
    this.checkOpen()
    this.checkInterest(spec)
    const policy = overflowPolicyOf(spec.policy)
    if (policy === OverflowPolicy.Conflate && spec.kinds.includes(EventKind.BookDelta)) {
      throw new TickflowError(
        ErrorCode.SUBSCRIBE_INVALID,
        `subscriber ${spec.name}: the conflate policy cannot carry BookDelta events (a dropped delta corrupts the book); ` +
          'subscribe to Quote or Bbo for conflated tops, or use block / drop-oldest / disconnect for books',
      )
    }
    const options: ConstructorParameters<typeof SubscriberQueue>[0] = { name: spec.name, policy, clock: this.clock }
    if (spec.capacity !== undefined) options.capacity = spec.capacity
    if (spec.highWater !== undefined) options.highWater = spec.highWater
    if (spec.lowWater !== undefined) options.lowWater = spec.lowWater
    const queue = new SubscriberQueue(options)
    queue.id = this.nextId++
    queue.owner = this
    if (spec.onDisconnect !== undefined) queue.onDisconnect = spec.onDisconnect
    const [filter, canonicalFilter] = this.filters(spec)
    this.queuedSubs.push({ queue, filter, canonicalFilter, kinds: [...spec.kinds] })
    this.rebuild()
    return queue
  }

  /** Removes a subscriber (sync or queued). A queued one is closed: its consumer drains what is left. */
  unsubscribe(sub: SyncSubscription | SubscriberQueue): void {
    if (sub instanceof SyncSubscription) {
      const i = this.syncSubs.indexOf(sub)
      if (i < 0) return
      this.syncSubs.splice(i, 1)
      sub.active = false
    } else {
      const i = this.queuedSubs.findIndex((e) => e.queue === sub)
      if (i < 0) return
      this.queuedSubs.splice(i, 1)
      sub.disconnect(DisconnectReason.Unsubscribed)
    }
    this.rebuild()
  }

  /** A synchronous exec-report subscriber (e.g. a StrategyHost): called with the report, valid during the call. */
  subscribeExecSync(spec: ExecSubscribeSpec & { handler: ExecHandler }): void {
    this.checkOpen()
    if (spec.handler === null || typeof spec.handler !== 'object' || typeof spec.handler.onExecReport !== 'function') {
      throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `exec subscriber ${spec.name}: handler must have an onExecReport(report) method`)
    }
    this.execSync = [...this.execSync, { name: spec.name, strategyId: spec.strategyId | 0, handler: spec.handler, delivered: 0, errors: 0 }]
  }

  /** A queued exec-report subscriber: policy is always block (never drops). */
  subscribeExecQueued(spec: ExecSubscribeSpec & { capacity?: number }): ExecReportQueue {
    this.checkOpen()
    const q = new ExecReportQueue(spec.name, spec.capacity ?? 1024, spec.strategyId | 0)
    q.owner = this
    this.execQueues = [...this.execQueues, q]
    return q
  }

  private checkOpen(): void {
    if (this.closed) throw new TickflowError(ErrorCode.ENGINE_STATE, 'dispatcher is closed')
  }

  private checkInterest(spec: InterestSpec): void {
    if (typeof spec.name !== 'string' || spec.name === '') throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, 'subscriber: name must be a non-empty string')
    if (!Array.isArray(spec.kinds) || spec.kinds.length === 0) {
      throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `subscriber ${spec.name}: kinds must be a non-empty list of EventKind values`)
    }
    for (const k of spec.kinds) {
      if (!Number.isInteger(k) || k <= EventKind.None || k >= EVENT_KIND_COUNT) {
        throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `subscriber ${spec.name}: unknown event kind ${String(k)}`)
      }
    }
    if (spec.instruments !== 'all') {
      if (!Array.isArray(spec.instruments)) {
        throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `subscriber ${spec.name}: instruments must be a list of instrument ids or 'all'`)
      }
      for (const id of spec.instruments) {
        if (!Number.isInteger(id) || id <= 0) throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `subscriber ${spec.name}: bad instrument id ${String(id)}`)
      }
    }
  }

  private filters(spec: InterestSpec): [Uint8Array | null, Uint8Array | null] {
    if (spec.instruments === 'all') return [null, null]
    let maxId = 0
    let maxCid = 0
    for (const id of spec.instruments) {
      maxId = Math.max(maxId, id)
      if (this.registry.has(id)) maxCid = Math.max(maxCid, this.registry.canonicalOf(id))
    }
    const filter = new Uint8Array(maxId + 1)
    const canonicalFilter = new Uint8Array(maxCid + 1)
    for (const id of spec.instruments) {
      filter[id] = 1
      if (this.registry.has(id)) canonicalFilter[this.registry.canonicalOf(id)] = 1
    }
    return [filter, canonicalFilter]
  }

  /** Rebuilds the per-kind arrays (new arrays: a publish in progress keeps its snapshot). */
  private rebuild(): void {
    const sync: Array<SyncSubscription[] | null> = []
    const queued: Array<QueuedEntry[] | null> = []
    for (let k = 0; k < EVENT_KIND_COUNT; k++) {
      const s = this.syncSubs.filter((x) => x.kinds.includes(k))
      const q = this.queuedSubs.filter((x) => !x.queue.closed && x.kinds.includes(k))
      sync.push(s.length > 0 ? s : null)
      queued.push(q.length > 0 ? q : null)
    }
    this.syncByKind = sync
    this.queuedByKind = queued
  }

  // ---------------------------------------------------------------- hot path

  /**
   * Fans `m` out and releases it (and its CanonicalEvent) to their pools.
   * Ownership of `m` passes to the dispatcher. Never throws for a subscriber's
   * error (counted and logged at a sampled rate).
   */
  publish(m: MergedEvent): void {
    this.published++
    const kind = m.kind
    const isBbo = kind === EventKind.Bbo
    const id = isBbo ? m.canonicalId : m.instrumentId
    const sync = kind < EVENT_KIND_COUNT ? this.syncByKind[kind]! : null
    if (sync !== null) {
      // Sync delivery happens at publish time: the merger's publish stamp is "now".
      const lagUs = (m.tsMergedUs > 0 ? m.tsMergedUs : this.clock.nowUs()) - (m.event !== null ? m.event.tsRecvUs : 0)
      for (let i = 0; i < sync.length; i++) {
        const s = sync[i]!
        if (!wants(isBbo ? s.canonicalFilter : s.filter, id)) continue
        s.delivered++
        s.lag.record(lagUs)
        try {
          s.handler.onEvent(m)
        } catch (err) {
          this.syncError(s, err)
        }
      }
    }
    const queued = kind < EVENT_KIND_COUNT ? this.queuedByKind[kind]! : null
    if (queued !== null) {
      for (let i = 0; i < queued.length; i++) {
        const e = queued[i]!
        if (!wants(isBbo ? e.canonicalFilter : e.filter, id)) continue
        e.queue.offer(m)
      }
    }
    this.release(m)
  }

  /** Releases a merged event and its canonical event (exactly once each). */
  private release(m: MergedEvent): void {
    const ev = m.event
    this.mergedPool.release(m)
    if (ev !== null) this.canonicalPool.release(ev)
    this.released++
  }

  private syncError(s: SyncSubscription, err: unknown): void {
    s.errors++
    this.subscriberErrors++
    if (s.errors === 1 || s.errors % this.errorLogEvery === 0) {
      this.log.error({ subscriber: s.name, errors: s.errors, err: describeError(err) }, 'subscriber threw during dispatch')
    }
  }

  /**
   * Delivers an execution report to every interested exec subscriber. Returns
   * false, delivering to nobody, when an interested queued exec subscriber is
   * full: the caller keeps the report and retries after `onExecDrain` /
   * `whenExecWritable()`. Never drops. The caller keeps ownership of `r` in
   * both cases (the order router releases it after a true).
   */
  offerExecReport(r: ExecReport): boolean {
    this.execOffered++
    const qs = this.execQueues
    for (let i = 0; i < qs.length; i++) {
      const q = qs[i]!
      if ((q.strategyId === 0 || q.strategyId === r.strategyId) && !q.closed && q.full) {
        q.fullRefusals++
        q.wantDrain = true
        this.execRefused++
        return false
      }
    }
    const ss = this.execSync
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i]!
      if (s.strategyId !== 0 && s.strategyId !== r.strategyId) continue
      s.delivered++
      try {
        s.handler.onExecReport(r)
      } catch (err) {
        s.errors++
        this.subscriberErrors++
        this.log.error({ subscriber: s.name, err: describeError(err) }, 'exec subscriber threw')
      }
    }
    for (let i = 0; i < qs.length; i++) {
      const q = qs[i]!
      if ((q.strategyId === 0 || q.strategyId === r.strategyId) && !q.closed) q.offer(r)
    }
    this.execDelivered++
    return true
  }

  /** null when exec reports can be offered now; else a Promise resolved when a full exec queue made room. */
  whenExecWritable(): Promise<void> | null {
    let full = false
    for (const q of this.execQueues) if (!q.closed && q.full) full = true
    if (!full) return null
    for (const q of this.execQueues) if (q.full) q.wantDrain = true
    if (this.execWaitPromise === null) {
      this.execWaitPromise = new Promise<void>((resolve) => {
        this.execWaiter = resolve
      })
    }
    return this.execWaitPromise
  }

  // ---------------------------------------------------------------- QueueOwner (rare paths)

  /** @internal */
  queueHigh(_q: SubscriberQueue): void {
    if (++this.blockedQueues === 1) this.setPaused(true)
  }

  /** @internal */
  queueLow(_q: SubscriberQueue): void {
    if (this.blockedQueues > 0 && --this.blockedQueues === 0) this.setPaused(false)
  }

  /** @internal */
  queueOverflowDisconnect(q: SubscriberQueue): void {
    this.disconnects++
    // It stays in queuedSubs (for stats: the disconnected flag); rebuild() leaves closed queues out.
    this.rebuild()
    this.log.warn({ subscriber: q.name, capacity: q.capacity }, 'queued subscriber disconnected: its queue overflowed')
  }

  /** @internal */
  execQueueDrained(_q: ExecReportQueue): void {
    const w = this.execWaiter
    this.execWaiter = null
    this.execWaitPromise = null
    if (w !== null) w()
    if (this.onExecDrain !== null) this.onExecDrain()
  }

  private setPaused(paused: boolean): void {
    if (this.pausedState === paused) return
    this.pausedState = paused
    if (paused) this.pauses++
    if (this.onBackpressure !== null) this.onBackpressure(paused)
  }

  // ---------------------------------------------------------------- lifecycle, stats

  /**
   * Shutdown: no new subscriptions; every queue is closed (consumers drain
   * what is left, then their iterators end); upstream is resumed. Queued
   * copies hold no pooled object, so pool shutdown does not wait for them.
   */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const e of this.queuedSubs) e.queue.disconnect(DisconnectReason.Closed)
    for (const q of this.execQueues) q.close()
    this.queuedSubs.length = 0
    this.syncSubs.length = 0
    this.rebuild()
    this.blockedQueues = 0
    this.setPaused(false)
    const w = this.execWaiter
    this.execWaiter = null
    this.execWaitPromise = null
    if (w !== null) w()
  }

  stats(): DispatcherStats {
    const subscribers: SubscriberStats[] = []
    for (const s of this.syncSubs) {
      subscribers.push({
        mode: 'sync',
        name: s.name,
        policy: 'sync',
        kinds: s.kinds.map((k) => EVENT_KIND_NAMES[k] ?? String(k)),
        capacity: 0,
        depth: 0,
        highWater: 0,
        offered: s.delivered,
        delivered: s.delivered,
        dropped: 0,
        conflated: 0,
        blockOverflows: 0,
        aboveHighWater: false,
        disconnected: false,
        closed: !s.active,
        errors: s.errors,
        lagMaxUs: s.lag.maxUs,
        lagP50Us: s.lag.quantileUs(0.5),
        lagP99Us: s.lag.quantileUs(0.99),
      })
    }
    for (const e of this.queuedSubs) {
      subscribers.push({ ...e.queue.stats(), mode: 'queued', kinds: e.kinds.map((k) => EVENT_KIND_NAMES[k] ?? String(k)), errors: 0 })
    }
    return {
      published: this.published,
      released: this.released,
      paused: this.pausedState,
      pauses: this.pauses,
      blockedQueues: this.blockedQueues,
      disconnects: this.disconnects,
      subscriberErrors: this.subscriberErrors,
      execOffered: this.execOffered,
      execRefused: this.execRefused,
      execDelivered: this.execDelivered,
      subscribers,
      execSubscribers: [
        ...this.execSync.map((s) => ({ name: s.name, mode: 'sync' as const, delivered: s.delivered, depth: 0, fullRefusals: 0, errors: s.errors })),
        ...this.execQueues.map((q) => ({ name: q.name, mode: 'queued' as const, delivered: q.delivered, depth: q.depth, fullRefusals: q.fullRefusals, errors: 0 })),
      ],
    }
  }
}
