/**
 * ManagedWs: a WebSocket that stays connected. It owns one active
 * WsConnection (hot-path mode) and replaces it when it fails:
 *
 *   connecting ─> open ─(lost: close, WS_STALE, WS_PONG_TIMEOUT …)─> reconnecting
 *                  ^                                                     │
 *                  └──── backoff (full jitter), connect, onOpen() ───────┘
 *
 * - Reconnect: exponential backoff with full jitter (backoff.ts); the
 *   backoff resets once a connection has stayed open `stableAfterMs`.
 * - Resubscribe: `onOpen(conn, reason)` runs on every new connection before
 *   it becomes active (the adapter re-sends every subscription through
 *   `conn.write`, i.e. through that connection's limiter). If it rejects, the
 *   attempt counts as failed and is retried with backoff.
 * - Planned rotation (make-before-break) after `lifetimeMs` (Binance drops
 *   connections at 24 h), and at once on `requestReconnect(reason)` (the
 *   adapter saw `serverShutdown`; the transport knows no venue):
 *     1. open a new connection; its frames go to a bounded handover buffer;
 *     2. run onOpen(new, 'rotation');
 *     3. wait for the new connection's first frame (or `handoverMaxMs`, or
 *        the buffer filling up);
 *     4. stop delivering the old connection's frames, deliver the buffered
 *        frames, make the new connection active, close the old one (1000).
 *   Nothing is lost across the switch: the new connection was subscribed
 *   before the old one stopped. The price is a short REPLAY: frames that
 *   arrived on both connections during the overlap are delivered twice
 *   (first from the old one, then from the buffer, each with its own
 *   connId). Consumers drop what they have already seen by venue sequence
 *   (the Binance book rule "ignore u <= lastUpdateId", trade ids <= last).
 *   If the new connection cannot be opened, the old one stays active and the
 *   rotation is retried with backoff.
 *
 * Frames are handed to the user's `onFrame` straight from the active
 * WsConnection (the handler is swapped, not wrapped), so the steady state
 * costs nothing over a bare WsConnection.
 */
import { epochMs } from '../core/clock.js'
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import type { BoundedPool } from '../core/pool.js'
import { Backoff, type BackoffOptions } from './backoff.js'
import { connectWs, type ConnectOptions, type FrameHandler, type WsCloseInfo, type WsConnection, type WsConnectionStats } from './ws-connection.js'
import { WsFrame } from './ws-frame.js'
import {
  WS_STATE_NAMES,
  WsState,
  newTransitionCounts,
  publishState,
  transitionsObject,
  type WsStateChange,
  type WsStateListener,
  type WsStateName,
  type WsStateValue,
} from './ws-state.js'

/** Why a connection is being opened. */
export type OpenReason = 'initial' | 'reconnect' | 'rotation'

export interface ManagedWsOptions
  extends Omit<ConnectOptions, 'signal' | 'onFrame' | 'onState' | 'onClose' | 'frames' | 'queueCapacity'> {
  /** The URL, or a function giving it for each new connection (e.g. streams in the URL). */
  url: string | (() => string)
  /** Hot-path reader; receives frames of the active connection (and the handover replay). */
  onFrame: FrameHandler
  /** WsFrame pool (runtime's hot pool); null = one private frame per connection. */
  frames?: BoundedPool<WsFrame> | null
  /** Runs on every new connection before it becomes active: resubscribe here. */
  onOpen?: ((conn: WsConnection, reason: OpenReason) => void | Promise<void>) | null
  /** Every state change of the managed connection (source 'managed'). */
  onState?: WsStateListener | null
  /** Every state change of the underlying connections (source 'connection'). */
  onConnectionState?: WsStateListener | null
  /** Called when a connection attempt, an onOpen hook or a rotation failed (for logs). */
  onError?: ((err: unknown) => void) | null
  backoff?: BackoffOptions
  /** A connection open this long resets the backoff. Default 30000. */
  stableAfterMs?: number
  /** Rotate a connection after this long; 0 = never. Binance: 24 h limit, so e.g. 23 h. Default 0. */
  lifetimeMs?: number
  /** Longest wait for the new connection's first frame during a handover. Default 5000. */
  handoverMaxMs?: number
  /** Frames the handover buffer holds before it cuts over early. Default 65536. */
  handoverBufferFrames?: number
}

export interface ManagedWsStats {
  name: string
  state: WsStateName
  transitions: Record<WsStateName, number>
  reconnects: number
  rotations: number
  rotationFailures: number
  connectFailures: number
  /** frames replayed from the handover buffer */
  handoverFrames: number
  /** frames of the old connection dropped after a cutover (also delivered by the new one) */
  handoverDropped: number
  /** connections lost to WS_STALE / WS_PONG_TIMEOUT */
  stale: number
  pongTimeouts: number
  lastCloseCode: number
  lastError: string
  /** totals over all connections of this ManagedWs */
  framesReceived: number
  bytesReceived: number
  pingsSent: number
  pongsSent: number
  pongsReceived: number
  connection: WsConnectionStats | null
}

/** Adds a closed connection's counters to the totals. */
interface Totals {
  framesReceived: number
  bytesReceived: number
  pingsSent: number
  pongsSent: number
  pongsReceived: number
}

export class ManagedWs {
  readonly name: string
  private readonly options: ManagedWsOptions
  private readonly onFrame: FrameHandler
  private readonly onOpen: ((conn: WsConnection, reason: OpenReason) => void | Promise<void>) | null
  private readonly onState: WsStateListener | null
  private readonly onError: ((err: unknown) => void) | null
  private readonly backoff: Backoff
  private readonly stableAfterMs: number
  private readonly lifetimeMs: number
  private readonly handoverMaxMs: number
  private readonly handoverBufferFrames: number

  private state: WsStateValue = WsState.Closed
  private readonly transitions = newTransitionCounts()
  private active: WsConnection | null = null
  private activeSinceMs = 0
  private readonly stop = new AbortController()
  private stopping = false
  private startPromise: Promise<void> | null = null
  private resolveStarted: (() => void) | null = null
  private rejectStarted: ((err: unknown) => void) | null = null
  private lostWaiter: (() => void) | null = null
  private rotating = false
  private rotationTimer: NodeJS.Timeout | null = null
  private closePromise: Promise<void> | null = null

  // handover buffer (only during a rotation)
  private hoData: Buffer[] = []
  private hoBinary: boolean[] = []
  private hoTs: number[] = []
  private hoSeq: number[] = []
  private hoConnId = 0
  private hoFirstFrame: (() => void) | null = null
  private readonly bufferHandover: FrameHandler
  private readonly dropFrame: FrameHandler
  private readonly replayFrame: WsFrame = new WsFrame()

  private reconnects = 0
  private rotations = 0
  private rotationFailures = 0
  private connectFailures = 0
  private handoverFrames = 0
  private handoverDropped = 0
  private staleCount = 0
  private pongTimeouts = 0
  private lastCloseCode = 0
  private lastError = ''
  private readonly totals: Totals = { framesReceived: 0, bytesReceived: 0, pingsSent: 0, pongsSent: 0, pongsReceived: 0 }

  constructor(options: ManagedWsOptions) {
    if (typeof options.onFrame !== 'function') throw new TypeError('ManagedWs: onFrame must be a function')
    this.options = options
    this.name = options.name ?? ''
    this.onFrame = options.onFrame
    this.onOpen = options.onOpen ?? null
    this.onState = options.onState ?? null
    this.onError = options.onError ?? null
    this.backoff = new Backoff(options.backoff)
    this.stableAfterMs = options.stableAfterMs ?? 30_000
    this.lifetimeMs = options.lifetimeMs ?? 0
    this.handoverMaxMs = options.handoverMaxMs ?? 5000
    this.handoverBufferFrames = options.handoverBufferFrames ?? 65536
    this.bufferHandover = this.onHandoverFrame.bind(this)
    this.dropFrame = this.onDroppedFrame.bind(this)
  }

  /**
   * Connects (retrying with backoff) and resolves once the first connection
   * is open and its onOpen hook has run. Rejects with WS_ABORTED when
   * `signal` aborts or close() is called first. Idempotent.
   */
  start(signal?: AbortSignal | null): Promise<void> {
    if (this.startPromise !== null) return this.startPromise
    this.startPromise = new Promise<void>((resolve, reject) => {
      this.resolveStarted = resolve
      this.rejectStarted = reject
    })
    if (signal) {
      if (signal.aborted) void this.close(1000, 'aborted')
      else signal.addEventListener('abort', () => void this.close(1000, 'aborted'), { once: true })
    }
    this.setState(WsState.Connecting, 'start')
    void this.supervise()
    return this.startPromise
  }

  /** The active connection, or null while (re)connecting. */
  get connection(): WsConnection | null {
    return this.active
  }

  get stateName(): WsStateName {
    return WS_STATE_NAMES[this.state]
  }

  /** Sends on the active connection (its limiter applies). Rejects WS_NOT_OPEN when none is open. */
  send(data: string | Buffer, signal?: AbortSignal | null): Promise<void> {
    const conn = this.active
    if (conn === null || !conn.isOpen) {
      return Promise.reject(new TickflowError(ErrorCode.WS_NOT_OPEN, `${this.name || 'managed connection'} is ${this.stateName}`))
    }
    return conn.write(data, signal)
  }

  /**
   * Replaces the active connection now, make-before-break (e.g. the venue
   * announced a shutdown: `requestReconnect('serverShutdown')`). Ignored
   * while a rotation is already running or nothing is open.
   */
  requestReconnect(reason: string): void {
    if (this.stopping || this.rotating || this.active === null) return
    void this.rotate(reason)
  }

  private setState(state: WsStateValue, reason: string): void {
    const prev = this.state
    if (prev === state) return
    this.state = state
    this.transitions[state]++
    const change: WsStateChange = {
      source: 'managed',
      connId: this.active?.id ?? 0,
      name: this.name,
      state,
      stateName: WS_STATE_NAMES[state],
      previous: prev,
      reason,
      atMs: epochMs(),
    }
    publishState(this.onState, change)
  }

  private url(): string {
    const u = this.options.url
    return typeof u === 'function' ? u() : u
  }

  private report(err: unknown): void {
    this.lastError = describeError(err)
    if (this.onError !== null) this.onError(err)
  }

  private async supervise(): Promise<void> {
    let reason: OpenReason = 'initial'
    while (!this.stopping) {
      const conn = await this.openWithRetry(reason, this.onFrame)
      if (conn === null) break
      this.activate(conn)
      if (this.resolveStarted !== null) {
        this.resolveStarted()
        this.resolveStarted = null
        this.rejectStarted = null
      }
      await new Promise<void>((resolve) => {
        this.lostWaiter = resolve
        // The connection may already have died inside onOpen's last await.
        if (!conn.isOpen) this.connectionLost(conn)
      })
      if (this.stopping) break
      reason = 'reconnect'
      this.reconnects++
      this.setState(WsState.Reconnecting, this.lastError)
    }
    if (this.rejectStarted !== null) {
      this.rejectStarted(new TickflowError(ErrorCode.WS_ABORTED, `${this.name || 'managed connection'} closed before it was open`))
      this.rejectStarted = null
      this.resolveStarted = null
    }
  }

  /** Connect + onOpen, retried with backoff until it works or we stop. */
  private async openWithRetry(reason: OpenReason, handler: FrameHandler): Promise<WsConnection | null> {
    let first = reason === 'initial' || reason === 'rotation'
    while (!this.stopping) {
      if (!first) {
        const delay = this.backoff.next()
        if (!(await this.sleep(delay))) return null
      }
      first = false
      let conn: WsConnection | null = null
      try {
        conn = await connectWs(this.url(), this.connectOptions(handler))
        if (this.onOpen !== null) await this.onOpen(conn, reason)
        if (!conn.isOpen) throw conn.closeResult?.error ?? new TickflowError(ErrorCode.WS_CLOSED, 'connection closed during onOpen')
        if (this.stopping) {
          await conn.close(1000, 'closing')
          return null
        }
        return conn
      } catch (err) {
        this.connectFailures++
        this.report(err)
        conn?.terminate()
        if (reason === 'rotation') return null
      }
    }
    return null
  }

  private connectOptions(handler: FrameHandler): ConnectOptions {
    const o = this.options
    const opts: ConnectOptions = {
      ...o,
      signal: this.stop.signal,
      onFrame: handler,
      frames: o.frames ?? null,
      onState: o.onConnectionState ?? null,
      onClose: (info) => this.onConnectionClosed(info),
    }
    return opts
  }

  private activate(conn: WsConnection): void {
    this.active = conn
    this.activeSinceMs = performance.now()
    this.setState(WsState.Open, `conn ${conn.id}`)
    if (this.rotationTimer !== null) clearTimeout(this.rotationTimer)
    this.rotationTimer = null
    if (this.lifetimeMs > 0) {
      this.rotationTimer = setTimeout(() => this.requestReconnect('lifetime'), this.lifetimeMs)
      this.rotationTimer.unref()
    }
  }

  private onConnectionClosed(info: WsCloseInfo): void {
    const err = info.error
    if (err !== null) {
      if (err.code === ErrorCode.WS_STALE) this.staleCount++
      else if (err.code === ErrorCode.WS_PONG_TIMEOUT) this.pongTimeouts++
    }
    if (this.active !== null && info.connId === this.active.id) {
      this.lastCloseCode = info.code
      if (err !== null) this.lastError = describeError(err)
      else this.lastError = `closed ${info.code}${info.reason ? ' ' + info.reason : ''}`
      this.connectionLost(this.active)
    }
  }

  private connectionLost(conn: WsConnection): void {
    if (conn !== this.active || this.stopping) return
    // During a rotation the handover decides what happens (it cuts over to the new connection).
    if (this.rotating) return
    this.addTotals(conn)
    if (performance.now() - this.activeSinceMs >= this.stableAfterMs) this.backoff.reset()
    this.active = null
    if (this.rotationTimer !== null) clearTimeout(this.rotationTimer)
    this.rotationTimer = null
    const w = this.lostWaiter
    this.lostWaiter = null
    w?.()
  }

  private addTotals(conn: WsConnection): void {
    const s = conn.stats()
    this.totals.framesReceived += s.framesReceived
    this.totals.bytesReceived += s.bytesReceived
    this.totals.pingsSent += s.pingsSent
    this.totals.pongsSent += s.pongsSent
    this.totals.pongsReceived += s.pongsReceived
  }

  private async rotate(reason: string): Promise<void> {
    this.rotating = true
    this.hoData = []
    this.hoBinary = []
    this.hoTs = []
    this.hoSeq = []
    let fresh: WsConnection | null = null
    let done = false
    try {
      const firstFrame = new Promise<void>((resolve) => {
        this.hoFirstFrame = resolve
      })
      fresh = await this.openWithRetry('rotation', this.bufferHandover)
      if (fresh === null) return
      this.hoConnId = fresh.id
      if (this.hoData.length === 0) {
        let timer: NodeJS.Timeout | null = null
        await Promise.race([
          firstFrame,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.handoverMaxMs)
          }),
          fresh.closed(),
        ])
        if (timer !== null) clearTimeout(timer)
      }
      if (this.stopping || !fresh.isOpen) return
      this.cutOver(fresh, reason)
      fresh = null
      done = true
    } finally {
      this.hoFirstFrame = null
      this.hoData = []
      this.hoBinary = []
      this.hoTs = []
      this.hoSeq = []
      this.rotating = false
      if (fresh !== null) fresh.terminate()
      const a = this.active
      if (!done && !this.stopping) {
        this.rotationFailures++
        if (a !== null && a.isOpen) {
          // Keep the old connection and try again later.
          if (this.rotationTimer !== null) clearTimeout(this.rotationTimer)
          this.rotationTimer = setTimeout(() => this.requestReconnect(reason), Math.max(this.backoff.next(), 100))
          this.rotationTimer.unref()
        }
      }
      // The old connection may have died while we were busy: ordinary reconnect.
      if (a !== null && !a.isOpen) this.connectionLost(a)
    }
  }

  /** Synchronous switch: old stops delivering, buffer replays, new becomes active. */
  private cutOver(fresh: WsConnection, reason: string): void {
    const old = this.active
    if (old !== null && old.isOpen) old.setFrameHandler(this.dropFrame)
    const n = this.hoData.length
    const f = this.replayFrame
    for (let i = 0; i < n; i++) {
      f.connId = this.hoConnId
      f.data = this.hoData[i]!
      f.isBinary = this.hoBinary[i]!
      f.recvTsUs = this.hoTs[i]!
      f.frameSeq = this.hoSeq[i]!
      try {
        this.onFrame(f)
      } catch (err) {
        this.report(err)
      }
      f.reset()
    }
    this.handoverFrames += n
    this.hoData = []
    this.hoBinary = []
    this.hoTs = []
    this.hoSeq = []
    fresh.setFrameHandler(this.onFrame)
    this.rotations++
    if (old !== null) {
      this.addTotals(old)
      void old.close(1000, 'rotation')
    }
    this.active = null
    this.activate(fresh)
    this.setState(WsState.Open, `rotated (${reason}) to conn ${fresh.id}`)
    // The supervisor waits on the old connection; from now it waits on the new one.
    if (!fresh.isOpen) this.connectionLost(fresh)
  }

  private onHandoverFrame(frame: WsFrame): void {
    // Copy: the buffered frame outlives the callback.
    this.hoData.push(Buffer.from(frame.data!))
    this.hoBinary.push(frame.isBinary)
    this.hoTs.push(frame.recvTsUs)
    this.hoSeq.push(frame.frameSeq)
    if (this.hoData.length === 1 || this.hoData.length >= this.handoverBufferFrames) {
      const first = this.hoFirstFrame
      if (first !== null) {
        if (this.hoData.length >= this.handoverBufferFrames) this.hoFirstFrame = null
        first()
      }
    }
  }

  private onDroppedFrame(_frame: WsFrame): void {
    this.handoverDropped++
  }

  private sleep(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false)
    return new Promise<boolean>((resolve) => {
      const signal = this.stop.signal
      const onAbort = (): void => {
        clearTimeout(timer)
        resolve(false)
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      }, ms)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Stops reconnecting and closes the active connection with a close
   * handshake (`code`, default 1000). Idempotent; resolves when closed.
   */
  close(code = 1000, reason = ''): Promise<void> {
    if (this.closePromise !== null) return this.closePromise
    this.stopping = true
    this.stop.abort(new TickflowError(ErrorCode.WS_ABORTED, 'managed connection closed'))
    if (this.rotationTimer !== null) clearTimeout(this.rotationTimer)
    this.rotationTimer = null
    this.setState(WsState.Closing, reason || 'close()')
    const conn = this.active
    this.closePromise = (async () => {
      if (conn !== null) {
        await conn.close(code, reason)
        this.addTotals(conn)
      }
      this.active = null
      const w = this.lostWaiter
      this.lostWaiter = null
      w?.()
      this.setState(WsState.Closed, reason || 'close()')
    })()
    return this.closePromise
  }

  stats(): ManagedWsStats {
    const c = this.active?.stats() ?? null
    return {
      name: this.name,
      state: this.stateName,
      transitions: transitionsObject(this.transitions),
      reconnects: this.reconnects,
      rotations: this.rotations,
      rotationFailures: this.rotationFailures,
      connectFailures: this.connectFailures,
      handoverFrames: this.handoverFrames,
      handoverDropped: this.handoverDropped,
      stale: this.staleCount,
      pongTimeouts: this.pongTimeouts,
      lastCloseCode: this.lastCloseCode,
      lastError: this.lastError,
      framesReceived: this.totals.framesReceived + (c?.framesReceived ?? 0),
      bytesReceived: this.totals.bytesReceived + (c?.bytesReceived ?? 0),
      pingsSent: this.totals.pingsSent + (c?.pingsSent ?? 0),
      pongsSent: this.totals.pongsSent + (c?.pongsSent ?? 0),
      pongsReceived: this.totals.pongsReceived + (c?.pongsReceived ?? 0),
      connection: c,
    }
  }
}
