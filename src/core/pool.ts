/**
 * Bounded object pools and the manager that owns an engine's pools.
 *
 * Design (house style 2.5/2.6, node-performance.md §4):
 *
 *   objects[]   slot -> object (created lazily by `create()`, never more than capacity)
 *   state[]     Uint8Array: 0 never created, 1 free, 2 leased
 *   freeStack   Int32Array stack of free slots; top = freeTop
 *
 *   tryAcquire: pop freeStack | create next slot | null  (no Promise, no allocation)
 *   release:    reset() -> hand to the oldest waiter, or push freeStack
 *
 * Every pooled object carries three plain fields that the pool owns:
 * `poolId` (which pool issued it), `poolSlot` (its slot, or a negative marker
 * when pooling is off) and `poolGen` (bumped on every release, so a stale
 * reference can be detected with `assertLive`). Keeping them on the object
 * makes the ownership checks two integer compares, with no Map lookups.
 *
 * Exhaustion is backpressure, not a crash: `tryAcquire` returns null and
 * counts it; each call site states its policy (drop and count for market
 * data, wait for execution reports). `acquire()` is the slow path that waits.
 *
 * With pooling switched off (`pooled: false`, the per-type rollout switch),
 * the same calls allocate a fresh object each time; `release` still detects
 * double release (the object is marked) but drops the object.
 */
import { ErrorCode, TickflowError } from './errors.js'

/** What a pooled object must provide. Extend `PooledObject` to get the fields. */
export interface Poolable {
  /** Restores every field to its constructor value and drops every reference. */
  reset(): void
  /** Owned by the pool. 0 = not issued by any pool. */
  poolId: number
  /** Owned by the pool: slot index, or a negative marker (unpooled objects). */
  poolSlot: number
  /** Owned by the pool: bumped on every release. */
  poolGen: number
}

/** Base class giving the pool-owned fields their constructor values (part of the shape). */
export abstract class PooledObject implements Poolable {
  poolId = 0
  poolSlot = -1
  poolGen = 0
  abstract reset(): void
}

const SLOT_FREE = 1
const SLOT_LEASED = 2
/** poolSlot markers for objects of an unpooled pool. */
const UNPOOLED_LEASED = -2
const UNPOOLED_RELEASED = -3

export interface BoundedPoolOptions<T extends Poolable> {
  /** Name used in errors, stats and shutdown reports (the pooled type's name). */
  name: string
  /** Maximum number of objects this pool ever holds or lends. */
  capacity: number
  /** Factory for a new object in its reset state. */
  create: () => T
  /** Records acquire/release sites and enables use-after-release checks. Off by default; on in tests. */
  debug?: boolean
  /** Create every object up front instead of lazily. Default false. */
  preallocate?: boolean
  /** The rollout switch: false allocates fresh objects and keeps none. Default true. */
  pooled?: boolean
  /** Bound on concurrent `acquire()` waiters. Default 65536. */
  maxWaiters?: number
}

export interface AcquireOptions {
  /** Default 100 ms. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** A snapshot of a pool's counters. */
export interface PoolStats {
  name: string
  pooled: boolean
  capacity: number
  /** objects created so far (≤ capacity when pooled) */
  created: number
  leased: number
  free: number
  waiters: number
  acquires: number
  releases: number
  timeouts: number
  /** tryAcquire calls that found the pool empty */
  exhausted: number
  highWater: number
}

interface Waiter<T> {
  resolve: (obj: T) => void
  reject: (err: unknown) => void
  timer: NodeJS.Timeout | null
  signal: AbortSignal | null
  onAbort: (() => void) | null
  done: boolean
}

let nextPoolId = 1

/**
 * A call site for debug reports, captured cheaply: V8 records the frames
 * when the Error is made and formats `stack` only when it is read, which
 * happens only when a site is reported (an object not returned at shutdown,
 * a double release).
 */
type Site = Error | string

function captureSite(): Site {
  // the pool's two frames and the caller's six: enough to name the call site, and capturing
  // fewer frames is most of the cost
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 8
  const site = new Error()
  Error.stackTraceLimit = limit
  return site
}

/** The site as text: its frames joined, without the Error line and the pool's own frames (`skip`). */
function siteText(site: Site | null | undefined, skip = 2): string | null {
  if (site === null || site === undefined) return null
  if (typeof site === 'string') return site
  const lines = (site.stack ?? '').split('\n').slice(skip + 1)
  return lines.map((l) => l.trim()).join(' <- ')
}

export class BoundedPool<T extends Poolable> {
  readonly name: string
  readonly capacity: number
  readonly id: number
  readonly pooled: boolean
  readonly debug: boolean
  private readonly create: () => T
  private readonly maxWaiters: number
  private readonly objects: T[] = []
  private readonly state: Uint8Array
  private readonly freeStack: Int32Array
  private freeTop = 0
  private created = 0
  private leasedCount = 0
  private acquires = 0
  private releases = 0
  private timeouts = 0
  private exhausted = 0
  private highWater = 0
  private closed = false
  private readonly waiters: Array<Waiter<T> | null> = []
  private waiterHead = 0
  private waiterCount = 0
  /** debug only: acquire site per slot (pooled) */
  private readonly acquireSites: Array<Site | null> = []
  /** debug only: first release site per slot (pooled) */
  private readonly releaseSites: Array<Site | null> = []
  /** debug only: acquire sites of unpooled leased objects */
  private readonly unpooledSites: Map<T, Site> = new Map()
  private idleListener: (() => void) | null = null

  constructor(options: BoundedPoolOptions<T>) {
    if (typeof options.name !== 'string' || options.name === '') throw new TypeError('BoundedPool: name must be a non-empty string')
    if (!Number.isInteger(options.capacity) || options.capacity < 1 || options.capacity > 2 ** 24) {
      throw new RangeError(`BoundedPool(${options.name}): capacity must be an integer in 1..2^24, got ${options.capacity}`)
    }
    if (typeof options.create !== 'function') throw new TypeError(`BoundedPool(${options.name}): create must be a function`)
    this.name = options.name
    this.capacity = options.capacity
    this.create = options.create
    this.debug = options.debug === true
    this.pooled = options.pooled !== false
    this.maxWaiters = options.maxWaiters ?? 65536
    this.id = nextPoolId++
    this.state = new Uint8Array(this.pooled ? this.capacity : 0)
    this.freeStack = new Int32Array(this.pooled ? this.capacity : 0)
    if (options.preallocate === true && this.pooled) {
      for (let i = 0; i < this.capacity; i++) {
        this.newSlot()
        this.freeStack[this.freeTop++] = i
        this.state[i] = SLOT_FREE
      }
    }
  }

  private newSlot(): T {
    const obj = this.create()
    const slot = this.created++
    obj.poolId = this.id
    obj.poolSlot = slot
    this.objects.push(obj)
    if (this.debug) {
      this.acquireSites.push(null)
      this.releaseSites.push(null)
    }
    return obj
  }

  /**
   * Synchronous fast path: an object in its reset state, or null when the pool
   * is exhausted (counted) or shut down. No Promise, no allocation.
   */
  tryAcquire(): T | null {
    if (this.closed) return null
    let obj: T
    if (!this.pooled) {
      obj = this.create()
      obj.poolId = this.id
      obj.poolSlot = UNPOOLED_LEASED
      if (this.debug) this.unpooledSites.set(obj, captureSite())
    } else if (this.freeTop > 0) {
      const slot = this.freeStack[--this.freeTop]!
      obj = this.objects[slot]!
      this.state[slot] = SLOT_LEASED
      if (this.debug) {
        this.acquireSites[slot] = captureSite()
        this.releaseSites[slot] = null
      }
    } else if (this.created < this.capacity) {
      obj = this.newSlot()
      this.state[obj.poolSlot] = SLOT_LEASED
      if (this.debug) this.acquireSites[obj.poolSlot] = captureSite()
    } else {
      this.exhausted++
      return null
    }
    this.acquires++
    if (++this.leasedCount > this.highWater) this.highWater = this.leasedCount
    return obj
  }

  /**
   * Slow path: waits (FIFO among waiters) for a release when the pool is
   * empty. Rejects with POOL_TIMEOUT after `timeoutMs` (default 100),
   * POOL_SHUTDOWN once the pool is shut down, or the signal's reason.
   */
  acquire(options?: AcquireOptions): Promise<T> {
    if (this.closed) return Promise.reject(this.shutdownError())
    const signal = options?.signal ?? null
    if (signal !== null && signal.aborted) return Promise.reject(signal.reason)
    const obj = this.tryAcquire()
    if (obj !== null) return Promise.resolve(obj)
    if (this.waiterCount >= this.maxWaiters) {
      this.timeouts++
      return Promise.reject(
        new TickflowError(ErrorCode.POOL_TIMEOUT, `pool ${this.name}: too many waiters (${this.maxWaiters})`, {
          details: { pool: this.name },
        }),
      )
    }
    const timeoutMs = options?.timeoutMs ?? 100
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = { resolve, reject, timer: null, signal, onAbort: null, done: false }
      w.timer = setTimeout(() => {
        if (w.done) return
        this.finishWaiter(w)
        this.timeouts++
        reject(
          new TickflowError(ErrorCode.POOL_TIMEOUT, `pool ${this.name}: no object released within ${timeoutMs} ms`, {
            details: { pool: this.name, timeoutMs, capacity: this.capacity },
          }),
        )
      }, timeoutMs)
      if (signal !== null) {
        w.onAbort = () => {
          if (w.done) return
          this.finishWaiter(w)
          reject(signal.reason)
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.waiters.push(w)
      this.waiterCount++
    })
  }

  private finishWaiter(w: Waiter<T>): void {
    w.done = true
    if (w.timer !== null) clearTimeout(w.timer)
    if (w.signal !== null && w.onAbort !== null) w.signal.removeEventListener('abort', w.onAbort)
    this.waiterCount--
    // Its array entry is skipped (done) when reached; compact when the queue empties.
    if (this.waiterCount === 0) {
      this.waiters.length = 0
      this.waiterHead = 0
    }
  }

  private nextWaiter(): Waiter<T> | null {
    while (this.waiterHead < this.waiters.length) {
      const w = this.waiters[this.waiterHead]!
      this.waiters[this.waiterHead++] = null
      if (w !== null && !w.done) return w
    }
    return null
  }

  /**
   * Returns an object: calls its `reset()`, then hands it to the oldest waiter
   * or back to the free list. Throws POOL_DOUBLE_RELEASE for an object that is
   * already free and POOL_FOREIGN_OBJECT for one this pool never issued.
   */
  release(obj: T): void {
    if (obj === null || typeof obj !== 'object' || obj.poolId !== this.id) {
      throw new TickflowError(ErrorCode.POOL_FOREIGN_OBJECT, `pool ${this.name}: object was not issued by this pool`, {
        details: { pool: this.name, type: typeName(obj) },
      })
    }
    if (!this.pooled) {
      this.releaseUnpooled(obj)
      return
    }
    const slot = obj.poolSlot
    if (slot < 0 || slot >= this.created || this.objects[slot] !== obj) {
      throw new TickflowError(ErrorCode.POOL_FOREIGN_OBJECT, `pool ${this.name}: object was not issued by this pool`, {
        details: { pool: this.name, type: typeName(obj) },
      })
    }
    if (this.state[slot] !== SLOT_LEASED) throw this.doubleReleaseError(obj, this.debug ? siteText(this.releaseSites[slot]) : null)
    obj.reset()
    obj.poolGen++
    this.releases++
    if (this.debug) this.releaseSites[slot] = captureSite()
    if (this.waiterCount > 0) {
      const w = this.nextWaiter()
      if (w !== null) {
        // Ownership passes straight to the waiter: the slot stays leased.
        this.finishWaiter(w)
        this.acquires++
        if (this.debug) {
          this.acquireSites[slot] = 'handed to a waiter after release at ' + (siteText(this.releaseSites[slot]) ?? '?')
          this.releaseSites[slot] = null
        }
        w.resolve(obj)
        return
      }
    }
    this.state[slot] = SLOT_FREE
    this.freeStack[this.freeTop++] = slot
    this.leasedCount--
    if (this.leasedCount === 0 && this.idleListener !== null) this.idleListener()
  }

  private releaseUnpooled(obj: T): void {
    if (obj.poolSlot === UNPOOLED_RELEASED) throw this.doubleReleaseError(obj, null)
    if (obj.poolSlot !== UNPOOLED_LEASED) {
      throw new TickflowError(ErrorCode.POOL_FOREIGN_OBJECT, `pool ${this.name}: object was not issued by this pool`, {
        details: { pool: this.name, type: typeName(obj) },
      })
    }
    obj.reset()
    obj.poolGen++
    obj.poolSlot = UNPOOLED_RELEASED
    this.releases++
    if (this.debug) this.unpooledSites.delete(obj)
    this.leasedCount--
    if (this.leasedCount === 0 && this.idleListener !== null) this.idleListener()
  }

  private doubleReleaseError(obj: T, firstSite: string | null | undefined): TickflowError {
    const where = firstSite ? `; first released at ${firstSite}` : this.debug ? '' : ' (enable debug to see where it was first released)'
    return new TickflowError(
      ErrorCode.POOL_DOUBLE_RELEASE,
      `pool ${this.name}: double release of a ${typeName(obj)} that is already free${where}`,
      { details: { pool: this.name, type: typeName(obj), firstReleasedAt: firstSite ?? null } },
    )
  }

  private shutdownError(): TickflowError {
    return new TickflowError(ErrorCode.POOL_SHUTDOWN, `pool ${this.name} is shut down`, { details: { pool: this.name } })
  }

  /**
   * Debug check against use after release: `gen` is the object's `poolGen`
   * read when it was acquired. Throws POOL_USE_AFTER_RELEASE when the object
   * has been released (and possibly re-issued) since.
   */
  assertLive(obj: T, gen: number): void {
    const leased = this.pooled ? obj.poolSlot >= 0 && this.state[obj.poolSlot] === SLOT_LEASED : obj.poolSlot === UNPOOLED_LEASED
    if (obj.poolId !== this.id || obj.poolGen !== gen || !leased) {
      throw new TickflowError(
        ErrorCode.POOL_USE_AFTER_RELEASE,
        `pool ${this.name}: ${typeName(obj)} used after release (generation ${gen}, now ${obj.poolGen})`,
        { details: { pool: this.name, type: typeName(obj), expected: gen, actual: obj.poolGen } },
      )
    }
  }

  /** Number of objects currently lent out. */
  get leased(): number {
    return this.leasedCount
  }

  get isShutdown(): boolean {
    return this.closed
  }

  stats(): PoolStats {
    return {
      name: this.name,
      pooled: this.pooled,
      capacity: this.capacity,
      created: this.pooled ? this.created : this.acquires,
      leased: this.leasedCount,
      free: this.pooled ? this.capacity - this.leasedCount : 0,
      waiters: this.waiterCount,
      acquires: this.acquires,
      releases: this.releases,
      timeouts: this.timeouts,
      exhausted: this.exhausted,
      highWater: this.highWater,
    }
  }

  /** Acquire sites of the objects still leased (debug mode only; empty otherwise). */
  leasedSites(): string[] {
    if (!this.debug) return []
    if (!this.pooled) return [...this.unpooledSites.values()].map((x) => siteText(x) ?? '?')
    const out: string[] = []
    for (let i = 0; i < this.created; i++) if (this.state[i] === SLOT_LEASED) out.push(siteText(this.acquireSites[i]) ?? '?')
    return out
  }

  /**
   * Refuses new acquires from now on (tryAcquire returns null, acquire rejects
   * with POOL_SHUTDOWN) and rejects current waiters. Leased objects may still
   * be released.
   */
  shutdown(): void {
    if (this.closed) return
    this.closed = true
    let w = this.nextWaiter()
    while (w !== null) {
      this.finishWaiter(w)
      w.reject(this.shutdownError())
      w = this.nextWaiter()
    }
  }

  /** @internal PoolManager hook: called when the leased count drops to zero. */
  onIdle(listener: (() => void) | null): void {
    this.idleListener = listener
  }
}

function typeName(obj: unknown): string {
  if (obj !== null && typeof obj === 'object') return (obj as object).constructor?.name ?? 'object'
  return typeof obj
}

export interface ShutdownReport {
  /** true when every leased object came back before the deadline */
  clean: boolean
  /** pool name -> objects still leased at the deadline (only pools with some) */
  unreturned: Record<string, number>
  /** pool name -> acquire sites of the unreturned objects (debug pools only) */
  sites?: Record<string, string[]>
  /** how long the wait took */
  waitedMs: number
}

/**
 * Owns an engine's named pools, counts in-flight objects across them, and
 * shuts them down with a deadline.
 */
export class PoolManager {
  private readonly pools: Map<string, BoundedPool<Poolable>> = new Map()
  private shutdownPromise: Promise<ShutdownReport> | null = null

  /** Creates and registers a pool. */
  create<T extends Poolable>(options: BoundedPoolOptions<T>): BoundedPool<T> {
    return this.register(new BoundedPool(options))
  }

  /** Registers an existing pool; names are unique (POOL_DUPLICATE_NAME). */
  register<T extends Poolable>(pool: BoundedPool<T>): BoundedPool<T> {
    if (this.pools.has(pool.name)) {
      throw new TickflowError(ErrorCode.POOL_DUPLICATE_NAME, `a pool named ${pool.name} is already registered`)
    }
    if (this.shutdownPromise !== null) pool.shutdown()
    this.pools.set(pool.name, pool as unknown as BoundedPool<Poolable>)
    return pool
  }

  get(name: string): BoundedPool<Poolable> | undefined {
    return this.pools.get(name)
  }

  /** Objects currently lent out, across all pools. */
  inFlight(): number {
    let n = 0
    for (const p of this.pools.values()) n += p.leased
    return n
  }

  stats(): PoolStats[] {
    return [...this.pools.values()].map((p) => p.stats())
  }

  /**
   * Refuses new acquires on every pool, then waits until every leased object
   * is back or `deadlineMs` (default 5000) passes. Resolves at once when
   * nothing is leased, never later than the deadline; never rejects.
   * Idempotent: later calls return the same promise.
   */
  shutdown(options?: { deadlineMs?: number }): Promise<ShutdownReport> {
    if (this.shutdownPromise !== null) return this.shutdownPromise
    const deadlineMs = options?.deadlineMs ?? 5000
    const started = performance.now()
    for (const p of this.pools.values()) p.shutdown()
    this.shutdownPromise = new Promise<ShutdownReport>((resolve) => {
      let timer: NodeJS.Timeout | null = null
      const finish = (): void => {
        if (timer !== null) clearTimeout(timer)
        for (const p of this.pools.values()) p.onIdle(null)
        resolve(this.report(performance.now() - started))
      }
      const check = (): void => {
        if (this.inFlight() === 0) finish()
      }
      if (this.inFlight() === 0) {
        finish()
        return
      }
      for (const p of this.pools.values()) p.onIdle(check)
      timer = setTimeout(finish, deadlineMs)
    })
    return this.shutdownPromise
  }

  private report(waitedMs: number): ShutdownReport {
    const unreturned: Record<string, number> = {}
    let sites: Record<string, string[]> | undefined
    let clean = true
    for (const p of this.pools.values()) {
      if (p.leased === 0) continue
      clean = false
      unreturned[p.name] = p.leased
      if (p.debug) {
        sites ??= {}
        sites[p.name] = p.leasedSites()
      }
    }
    const out: ShutdownReport = { clean, unreturned, waitedMs: Math.round(waitedMs) }
    if (sites !== undefined) out.sites = sites
    return out
  }
}
