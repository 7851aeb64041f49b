/**
 * Bounded per-subscriber queues for queued (asynchronous) subscribers, and the
 * exec-report queue that never drops.
 *
 * Design (house style 2.5 rule 5, 2.6, 2.7; Disruptor RingBuffer, undici FixedQueue):
 *
 *   slots[]    capacity (power of two) MergedEvent+CanonicalEvent pairs, created at
 *              construction; the dispatcher COPIES each pooled event into the slot
 *              (copyFrom: level arrays copied into the slot's own arrays), so a
 *              queued copy never references a pooled object.
 *   head,size  read index and fill; write index = (head + size) & mask; an emptied
 *              ring rewinds head to 0, so a consumer that keeps up reuses a few hot slots.
 *   spare      one extra pair: take() swaps the head slot with it and returns
 *              the old slot, which therefore stays valid until the NEXT take()
 *              even if the producer refills the ring while the consumer awaits.
 *   slotKey[]  conflate only: the (id, kind) key held by each slot, and
 *   keyIndex[] key -> slot of its pending (not yet consumed) entry.
 *
 * Overflow policies (chosen at subscribe time, one `switch` per full offer):
 *   block        pause upstream when depth reaches highWater, resume when the
 *                consumer drains to lowWater (the dispatcher gates on the
 *                slowest block queue). Should the ring fill anyway (frames
 *                already read when the sockets paused), the newest event is
 *                dropped and counted in `blockOverflows`: a sizing error.
 *   drop-oldest  the oldest pending entry is overwritten; `dropped` counts it.
 *   conflate     a Quote/Bbo (and an in-progress Bar of the same start) replaces
 *                the pending entry of the same (instrument, kind) in place;
 *                other kinds append; a full ring drops its oldest entry.
 *                BookDelta is refused at subscribe time (a delta cannot be
 *                conflated away without corrupting the book).
 *   disconnect   the subscriber is removed, flagged and notified.
 *
 * The consumer pulls: `poll()`, `drain(handler, max)`, `whenReadable()` (a
 * Promise only when the queue is empty), or `for await` (convenience: one
 * Promise per event). Lag is recorded when the consumer takes the event.
 */
import { ErrorCode, TickflowError } from '../core/errors.js'
import type { Clock } from '../core/clock.js'
import { CanonicalEvent, EVENT_KIND_COUNT, EventKind, MergedEvent, type ReadonlyMergedEvent } from '../model/events.js'
import { ExecReport } from '../model/orders.js'
import { LagHistogram } from './lag-histogram.js'

/** Overflow policies of a queued subscriber (house style 2.7). */
export const OverflowPolicy = { Block: 1, DropOldest: 2, Conflate: 3, Disconnect: 4 } as const
export type OverflowPolicyValue = (typeof OverflowPolicy)[keyof typeof OverflowPolicy]
export type OverflowPolicyName = 'block' | 'drop-oldest' | 'conflate' | 'disconnect'
export const OVERFLOW_POLICY_NAMES: readonly string[] = ['', 'block', 'drop-oldest', 'conflate', 'disconnect']

/** Parses a policy name (config, subscribe options); throws SUBSCRIBE_INVALID. */
export function overflowPolicyOf(name: string): OverflowPolicyValue {
  const i = OVERFLOW_POLICY_NAMES.indexOf(name)
  if (i <= 0) {
    throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `unknown overflow policy "${name}": expected block, drop-oldest, conflate or disconnect`)
  }
  return i as OverflowPolicyValue
}

/** Why a queued subscriber was disconnected. */
export const DisconnectReason = { None: 0, Overflow: 1, Unsubscribed: 2, Closed: 3 } as const
export const DISCONNECT_REASON_NAMES: readonly string[] = ['', 'overflow', 'unsubscribed', 'closed']

/** Callbacks a queue makes into its dispatcher (cold or rare paths only). */
export interface QueueOwner {
  /** a block queue reached its high-water mark */
  queueHigh(q: SubscriberQueue): void
  /** a block queue drained to its low-water mark */
  queueLow(q: SubscriberQueue): void
  /** a disconnect-policy queue overflowed */
  queueOverflowDisconnect(q: SubscriberQueue): void
}

/**
 * A consumer's per-event callback for `drain`. The event is valid until the
 * next take; `endOfBatch` is true for the last event of this drain call (flush
 * once per batch, house style 2.7).
 */
export type QueuedHandler = (ev: ReadonlyMergedEvent, endOfBatch: boolean) => void

export interface SubscriberQueueOptions {
  name: string
  policy: OverflowPolicyValue
  /** ring size, a power of two (default 1024) */
  capacity?: number
  /** block only: pause upstream at this depth (default capacity / 2) */
  highWater?: number
  /** block only: resume at this depth (default capacity / 4) */
  lowWater?: number
  clock: Clock
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && n <= 2 ** 20 && (n & (n - 1)) === 0
}

/** The kinds whose latest value supersedes the previous one (conflate policy). */
function isConflatable(kind: number): boolean {
  return kind === EventKind.Quote || kind === EventKind.Bbo || kind === EventKind.Bar
}

export class SubscriberQueue {
  readonly name: string
  readonly policy: OverflowPolicyValue
  readonly capacity: number
  readonly highWaterMark: number
  readonly lowWaterMark: number
  private readonly mask: number
  private readonly slots: MergedEvent[] = []
  private spare: MergedEvent
  private head = 0
  private size = 0
  private readonly slotKey: Int32Array
  private keyIndex: Int32Array
  private readonly clock: Clock
  /** set by the dispatcher at subscribe time */
  owner: QueueOwner | null = null
  /** the dispatcher's id for this subscription */
  id = 0

  // counters (house style 2.11: plain fields)
  /** events taken by the consumer */
  delivered = 0
  /** events offered by the dispatcher */
  offered = 0
  /** events lost: overwritten (drop-oldest, conflate when full) or refused (block overflow) */
  dropped = 0
  /** events replaced in place by a newer one of the same (instrument, kind) */
  conflated = 0
  /** block only: events dropped because the ring filled while upstream was paused */
  blockOverflows = 0
  /** deepest the ring has been */
  highWater = 0
  /** block only: this queue is at or above its high-water mark (gating upstream) */
  aboveHigh = false
  disconnected = false
  disconnectReason: number = DisconnectReason.None
  /** no more events will arrive (unsubscribed, disconnected, dispatcher closed) */
  closed = false
  readonly lag = new LagHistogram()

  private waiter: (() => void) | null = null
  private waitPromise: Promise<void> | null = null
  private readonly wake: () => void
  /** called (in a microtask) when the queue is disconnected */
  onDisconnect: ((reason: string) => void) | null = null

  constructor(options: SubscriberQueueOptions) {
    const capacity = options.capacity ?? 1024
    if (!isPowerOfTwo(capacity)) {
      throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `subscriber ${options.name}: capacity must be a power of two in 2..2^20, got ${capacity}`)
    }
    this.name = options.name
    this.policy = options.policy
    this.capacity = capacity
    this.mask = capacity - 1
    this.highWaterMark = options.highWater ?? capacity >>> 1
    this.lowWaterMark = options.lowWater ?? capacity >>> 2
    if (!(this.lowWaterMark >= 0 && this.lowWaterMark < this.highWaterMark && this.highWaterMark <= capacity)) {
      throw new TickflowError(
        ErrorCode.SUBSCRIBE_INVALID,
        `subscriber ${options.name}: need 0 <= lowWater < highWater <= capacity, got ${this.lowWaterMark} / ${this.highWaterMark} / ${capacity}`,
      )
    }
    this.clock = options.clock
    for (let i = 0; i < capacity; i++) this.slots.push(newSlot())
    this.spare = newSlot()
    this.slotKey = new Int32Array(capacity).fill(-1)
    this.keyIndex = new Int32Array(this.policy === OverflowPolicy.Conflate ? 64 * EVENT_KIND_COUNT : 0).fill(-1)
    this.wake = () => {
      const w = this.waiter
      this.waiter = null
      this.waitPromise = null
      if (w !== null) w()
    }
  }

  /** Events waiting to be taken. */
  get depth(): number {
    return this.size
  }

  /**
   * Producer side (the dispatcher): copies `m` into the ring under this
   * queue's policy. Never throws, never allocates (except growing a slot's
   * level arrays once for an unusually deep book, or the conflate index for a
   * new instrument id).
   */
  offer(m: MergedEvent): void {
    if (this.closed) return
    this.offered++
    const conflate = this.policy === OverflowPolicy.Conflate && isConflatable(m.kind)
    let key = -1
    if (conflate) {
      key = (m.kind === EventKind.Bbo ? m.canonicalId : m.instrumentId) * EVENT_KIND_COUNT + m.kind
      if (this.tryConflate(m, key)) return
    }
    if (this.size === this.capacity) {
      switch (this.policy) {
        case OverflowPolicy.Block:
          this.blockOverflows++
          this.dropped++
          return
        case OverflowPolicy.Disconnect:
          this.disconnect(DisconnectReason.Overflow)
          if (this.owner !== null) this.owner.queueOverflowDisconnect(this)
          return
        default:
          // drop-oldest, and conflate with a ring full of distinct keys
          this.head = (this.head + 1) & this.mask
          this.size--
          this.dropped++
      }
    }
    const idx = (this.head + this.size) & this.mask
    copyInto(this.slots[idx]!, m)
    if (this.policy === OverflowPolicy.Conflate) {
      this.slotKey[idx] = key
      if (key >= 0) this.setIndex(key, idx)
    }
    const size = ++this.size
    if (size > this.highWater) this.highWater = size
    if (this.policy === OverflowPolicy.Block && !this.aboveHigh && size >= this.highWaterMark) {
      this.aboveHigh = true
      if (this.owner !== null) this.owner.queueHigh(this)
    }
    if (size === 1 && this.waiter !== null) this.wake()
  }

  private tryConflate(m: MergedEvent, key: number): boolean {
    if (key >= this.keyIndex.length) return false
    const idx = this.keyIndex[key]!
    if (idx < 0 || this.slotKey[idx] !== key || ((idx - this.head) & this.mask) >= this.size) return false
    const slot = this.slots[idx]!
    if (m.kind === EventKind.Bar) {
      // Only an update of the same, still open bar supersedes the pending one; a closed bar is kept.
      const pending = slot.event!
      if (pending.barClosed || pending.barStartUs !== m.event!.barStartUs) return false
    }
    copyInto(slot, m)
    this.conflated++
    return true
  }

  private setIndex(key: number, idx: number): void {
    if (key >= this.keyIndex.length) {
      let len = this.keyIndex.length
      while (len <= key) len *= 2
      const grown = new Int32Array(len).fill(-1)
      grown.set(this.keyIndex)
      this.keyIndex = grown
    }
    this.keyIndex[key] = idx
  }

  /**
   * Takes the oldest event, or null when empty. The returned object is this
   * queue's own heap copy; it stays valid until the next `poll()`/`drain()`
   * on this queue. Read-only.
   */
  poll(): ReadonlyMergedEvent | null {
    if (this.size === 0) return null
    const ev = this.take()
    this.lag.record(this.clock.nowUs() - ev.event!.tsRecvUs)
    return ev
  }

  /**
   * Calls `handler` for up to `max` queued events (oldest first) and returns
   * how many it took. One clock read per call. A handler that throws stops
   * the batch; the event it was given counts as delivered.
   */
  drain(handler: QueuedHandler, max = 256): number {
    let n = 0
    if (this.size === 0) return 0
    const now = this.clock.nowUs()
    while (n < max && this.size > 0) {
      const ev = this.take()
      n++
      this.lag.record(now - ev.event!.tsRecvUs)
      handler(ev, n === max || this.size === 0)
    }
    return n
  }

  private take(): MergedEvent {
    const h = this.head
    const out = this.slots[h]!
    this.slots[h] = this.spare
    this.spare = out
    // An emptied ring rewinds to slot 0, so a consumer that keeps up reuses the
    // same few (cache-hot) slots instead of walking the whole ring.
    this.head = --this.size === 0 ? 0 : (h + 1) & this.mask
    this.delivered++
    if (this.aboveHigh && this.size <= this.lowWaterMark) {
      this.aboveHigh = false
      if (this.owner !== null) this.owner.queueLow(this)
    }
    return out
  }

  /**
   * null when an event is waiting or the queue is closed (no Promise on the
   * fast path); otherwise a Promise resolved when the next event arrives or
   * the queue closes.
   */
  whenReadable(): Promise<void> | null {
    if (this.size > 0 || this.closed) return null
    if (this.waitPromise === null) {
      this.waitPromise = new Promise<void>((resolve) => {
        this.waiter = resolve
      })
    }
    return this.waitPromise
  }

  /** Convenience async iteration (one Promise per event): ends when the queue is closed and empty. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ReadonlyMergedEvent, void, undefined> {
    for (;;) {
      const ev = this.poll()
      if (ev !== null) {
        yield ev
        continue
      }
      const w = this.whenReadable()
      if (w === null) return
      await w
    }
  }

  /** @internal the dispatcher removed this subscriber */
  disconnect(reason: number): void {
    if (this.closed) return
    this.closed = true
    if (reason === DisconnectReason.Overflow) {
      this.disconnected = true
      this.disconnectReason = reason
      this.dropped++
    } else {
      this.disconnectReason = reason
    }
    if (this.aboveHigh) {
      this.aboveHigh = false
      if (this.owner !== null) this.owner.queueLow(this)
    }
    if (this.waiter !== null) this.wake()
    const cb = this.onDisconnect
    if (cb !== null) {
      const why = DISCONNECT_REASON_NAMES[reason] ?? 'closed'
      queueMicrotask(() => cb(why))
    }
  }

  stats(): SubscriberQueueStats {
    return {
      name: this.name,
      policy: OVERFLOW_POLICY_NAMES[this.policy]!,
      capacity: this.capacity,
      depth: this.size,
      highWater: this.highWater,
      offered: this.offered,
      delivered: this.delivered,
      dropped: this.dropped,
      conflated: this.conflated,
      blockOverflows: this.blockOverflows,
      aboveHighWater: this.aboveHigh,
      disconnected: this.disconnected,
      closed: this.closed,
      lagMaxUs: this.lag.maxUs,
      lagP50Us: this.lag.quantileUs(0.5),
      lagP99Us: this.lag.quantileUs(0.99),
    }
  }
}

export interface SubscriberQueueStats {
  name: string
  policy: string
  capacity: number
  depth: number
  highWater: number
  offered: number
  delivered: number
  dropped: number
  conflated: number
  blockOverflows: number
  aboveHighWater: boolean
  disconnected: boolean
  closed: boolean
  lagMaxUs: number
  lagP50Us: number
  lagP99Us: number
}

/**
 * A queue slot. Its level arrays start empty and grow (once, kept) to the
 * deepest book the slot has carried: a ring of quotes/trades then costs ~0.5 KB
 * per slot instead of ~2 KB, which keeps 16 rings of 1,024 slots in cache
 * (bench dispatch.*.16: see docs/pipeline.md).
 */
function newSlot(): MergedEvent {
  const m = new MergedEvent()
  const ev = new CanonicalEvent()
  ev.bidPxs = new Float64Array(0)
  ev.bidQtys = new Float64Array(0)
  ev.askPxs = new Float64Array(0)
  ev.askQtys = new Float64Array(0)
  m.event = ev
  return m
}

/** Deep copy of a pooled merged event into a queue slot (keeps the slot's own CanonicalEvent). */
function copyInto(slot: MergedEvent, m: MergedEvent): void {
  const own = slot.event!
  slot.seq = m.seq
  slot.kind = m.kind
  slot.venueId = m.venueId
  slot.instrumentId = m.instrumentId
  slot.canonicalId = m.canonicalId
  slot.tsMergedUs = m.tsMergedUs
  slot.sourceId = m.sourceId
  slot.late = m.late
  if (m.event !== null) own.copyFrom(m.event)
  else own.reset()
}

/** A consumer's per-report callback for `ExecReportQueue.drain` (`endOfBatch` as in QueuedHandler). */
export type ExecReportHandler = (report: Readonly<ExecReport>, endOfBatch: boolean) => void

/**
 * The exec-report queue of a queued exec subscriber: policy always `block`.
 * `offer` returns false when full (the dispatcher then refuses the report and
 * the order path waits for `drain`); a report is never dropped.
 */
export class ExecReportQueue {
  readonly name: string
  readonly capacity: number
  /** 0 = every strategy's reports */
  readonly strategyId: number
  private readonly mask: number
  private readonly slots: ExecReport[] = []
  private spare: ExecReport = new ExecReport()
  private head = 0
  private size = 0
  owner: { execQueueDrained(q: ExecReportQueue): void } | null = null
  /** the producer was refused since the last drain: tell the owner when room appears */
  wantDrain = false
  delivered = 0
  offered = 0
  /** times this queue was full when a report came (the producer waited) */
  fullRefusals = 0
  highWater = 0
  closed = false
  private waiter: (() => void) | null = null
  private waitPromise: Promise<void> | null = null

  constructor(name: string, capacity: number, strategyId: number) {
    if (!isPowerOfTwo(capacity)) {
      throw new TickflowError(ErrorCode.SUBSCRIBE_INVALID, `exec subscriber ${name}: capacity must be a power of two in 2..2^20, got ${capacity}`)
    }
    this.name = name
    this.capacity = capacity
    this.mask = capacity - 1
    this.strategyId = strategyId
    for (let i = 0; i < capacity; i++) this.slots.push(new ExecReport())
  }

  get depth(): number {
    return this.size
  }

  get full(): boolean {
    return this.size === this.capacity
  }

  /** @internal copies the report; false (nothing copied) when full. */
  offer(r: ExecReport): boolean {
    if (this.size === this.capacity) {
      this.fullRefusals++
      this.wantDrain = true
      return false
    }
    this.offered++
    this.slots[(this.head + this.size) & this.mask]!.copyFrom(r)
    if (++this.size > this.highWater) this.highWater = this.size
    if (this.size === 1 && this.waiter !== null) {
      const w = this.waiter
      this.waiter = null
      this.waitPromise = null
      w()
    }
    return true
  }

  /** The oldest report (this queue's copy, valid until the next poll/drain), or null. */
  poll(): Readonly<ExecReport> | null {
    if (this.size === 0) return null
    return this.take()
  }

  drain(handler: ExecReportHandler, max = 256): number {
    let n = 0
    while (n < max && this.size > 0) {
      const r = this.take()
      n++
      handler(r, n === max || this.size === 0)
    }
    return n
  }

  private take(): ExecReport {
    const h = this.head
    const out = this.slots[h]!
    this.slots[h] = this.spare
    this.spare = out
    this.head = --this.size === 0 ? 0 : (h + 1) & this.mask
    this.delivered++
    if (this.wantDrain) {
      this.wantDrain = false
      if (this.owner !== null) this.owner.execQueueDrained(this)
    }
    return out
  }

  whenReadable(): Promise<void> | null {
    if (this.size > 0 || this.closed) return null
    if (this.waitPromise === null) {
      this.waitPromise = new Promise<void>((resolve) => {
        this.waiter = resolve
      })
    }
    return this.waitPromise
  }

  /** @internal */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.waiter !== null) {
      const w = this.waiter
      this.waiter = null
      this.waitPromise = null
      w()
    }
  }

  stats(): { name: string; capacity: number; depth: number; highWater: number; offered: number; delivered: number; fullRefusals: number } {
    return {
      name: this.name,
      capacity: this.capacity,
      depth: this.size,
      highWater: this.highWater,
      offered: this.offered,
      delivered: this.delivered,
      fullRefusals: this.fullRefusals,
    }
  }
}
