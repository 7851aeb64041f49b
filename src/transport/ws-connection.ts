/**
 * WsConnection: one WebSocket client connection over `ws` with an
 * AbortSignal-native API, the TypeScript counterpart of Go's coder/websocket
 * (node-performance.md §2.5 recommends this wrapper over `ws`: `ws` is the
 * cheapest maintained client on Node 20, 0.6x the CPU of undici's).
 *
 * Reading has two modes, chosen at connect time:
 *
 * - Hot path (`onFrame` given): `ws` emits each message synchronously; the
 *   bound `deliver` method fills the connection's WsFrame (leased from the
 *   pool while the connection is open) whose `data` is the `ws` Buffer view
 *   (no copy, no string) and calls `onFrame(frame)`. No closure, Promise,
 *   pool round trip or allocation of ours per frame,
 *   and one clock read per socket chunk, not per frame (bench transport:
 *   1.04-1.09x the CPU of a bare ws client that only counts frames, +0.6
 *   B/msg). The frame is valid only during the callback.
 * - Control flow (no `onFrame`): `read(signal)` / `for await` over a BOUNDED
 *   queue. When the queue reaches `queueCapacity` the socket is paused
 *   (`ws.pause()`, i.e. TCP backpressure to the sender); it resumes once the
 *   reader has taken it down to half. With `ws`, frames already inside the
 *   socket chunk being parsed when the pause happens are still queued (at
 *   most one read chunk, 64 KiB; the raw transport stops at the next frame
 *   boundary); the queue's hard bound is `queueCapacity + 65536` frames,
 *   past which the connection fails with WS_QUEUE_FULL (1008). This is the
 *   backpressure `events.on(ws, 'message')` lacks (it buffers without limit).
 *
 * Writing (outbox.ts): `write(data, signal)` resolves when `ws` has flushed
 * the frame to the socket (send callback). Messages wait in a bounded FIFO
 * while the socket's `bufferedAmount` is above `writeHighWaterBytes` or the
 * outgoing limiter (at most N messages per window, pings and pongs included)
 * says wait. Pongs and our pings go first (a control queue ahead of data).
 *
 * Keepalive: `ws`'s automatic pong is off (`autoPong: false`) so our pongs
 * (same payload as the ping) pass through the limiter and are counted. Our
 * own pings every `pingIntervalMs` with a `pongTimeoutMs` deadline
 * (WS_PONG_TIMEOUT), and `staleMs` without a data frame (WS_STALE), terminate
 * the connection; ManagedWs then replaces it. One interval timer per
 * connection drives all three (house style 2.5 rule 14); staleness is checked
 * by comparing the frame counter between ticks, so the hot path pays nothing.
 */
import WebSocket from 'ws'
import { epochMs, epochUs } from '../core/clock.js'
import { ErrorCode, TickflowError, type ErrorCodeName } from '../core/errors.js'
import type { BoundedPool } from '../core/pool.js'
import { Fifo } from './fifo.js'
import { Outbox, OutKind, type OutboxSink } from './outbox.js'
import { RawWebSocket, RawWsError } from './raw-ws.js'
import { WsFrame } from './ws-frame.js'
import { DEFAULT_MAX_PAYLOAD, DEFAULT_READ_BUFFER_BYTES, type ConnectOptions, type FrameHandler, type WsCloseInfo, type WsConnectionStats, type WsMessage } from './ws-options.js'
import {
  WS_STATE_NAMES,
  WsState,
  newTransitionCounts,
  publishState,
  transitionsObject,
  type WsStateListener,
  type WsStateName,
  type WsStateValue,
} from './ws-state.js'

export { DEFAULT_MAX_PAYLOAD } from './ws-options.js'
export type { ConnectOptions, FrameHandler, WsCloseInfo, WsConnectionStats, WsMessage } from './ws-options.js'

/**
 * What WsConnection needs from a WebSocket client: `ws`'s WebSocket and our
 * RawWebSocket (raw-ws.ts) both provide it.
 */
type WsClient = Pick<WebSocket, 'send' | 'ping' | 'pong' | 'close' | 'terminate' | 'pause' | 'resume' | 'bufferedAmount' | 'readyState'> | RawWebSocket

/** Frames a paused socket may still deliver past queueCapacity: one 64 KiB read chunk of 2-byte frames, rounded up. */
const QUEUE_OVERSHOOT = 65536

interface ReadWaiter {
  resolve: (m: WsMessage) => void
  reject: (err: unknown) => void
  signal: AbortSignal | null
  onAbort: (() => void) | null
}

let nextConnId = 1

function wsError(code: ErrorCodeName, message: string, details?: Record<string, unknown>, cause?: unknown): TickflowError {
  const opts: { cause?: unknown; details?: Record<string, unknown> } = {}
  if (details !== undefined) opts.details = details
  if (cause !== undefined) opts.cause = cause
  return new TickflowError(code, message, opts)
}

/**
 * Opens a WebSocket connection. Resolves once the upgrade succeeded; rejects
 * with WS_ABORTED (signal), WS_HANDSHAKE_TIMEOUT, or WS_CONNECT_FAILED
 * (`details.status` holds the HTTP status when the upgrade was refused).
 */
export function connectWs(url: string, options: ConnectOptions = {}): Promise<WsConnection> {
  const conn = new WsConnection(url, options)
  return conn.opened()
}

/** One WebSocket connection. Create it with `connectWs`. */
export class WsConnection {
  readonly id: number
  readonly url: string
  readonly name: string

  private readonly ws: WsClient
  /** 'ws' (the `ws` package) or 'raw' (raw-ws.ts) */
  readonly transport: 'ws' | 'raw'
  private state: WsStateValue = WsState.Connecting
  private readonly transitions = newTransitionCounts()
  private readonly onState: WsStateListener | null
  private readonly onCloseListener: ((info: WsCloseInfo) => void) | null
  private readonly onCallbackError: ((err: unknown) => void) | null

  // hot path
  private frameHandler: FrameHandler | null
  private readonly frames: BoundedPool<WsFrame> | null
  private readonly spareFrame: WsFrame = new WsFrame()
  /** the pooled frame the hot path delivers in while the connection is open (leaseHotFrame) */
  private hotFrame: WsFrame | null = null
  private frameSeq = 0
  private framesReceived = 0
  private bytesReceived = 0
  private framePoolExhausted = 0
  private callbackErrors = 0
  /** receive time of the socket chunk being parsed (epoch µs), see onChunk */
  private chunkTsUs = 0
  private chunkClock = false

  // read() mode
  private readonly queueMode: boolean
  private readonly queueCapacity: number
  private readonly queue = new Fifo<WsMessage>()
  private readonly readers = new Fifo<ReadWaiter>()
  private queueHighWater = 0
  /** paused by read()-mode queue backpressure */
  private paused = false
  /** paused by the owner (pause()): dispatcher backpressure in per-frame mode */
  private userPaused = false
  private pauses = 0

  // writing
  private readonly outbox: Outbox

  // keepalive
  private readonly pingIntervalMs: number
  private readonly pongTimeoutMs: number
  private readonly staleMs: number
  private readonly tickMs: number
  private tickTimer: NodeJS.Timeout | null = null
  private lastTickFrames = 0
  private lastActivityMs = 0
  private lastPingMs = 0
  private pingOutstanding = false
  private pingSentMs = 0
  private pingCounter = 0
  private pingsReceived = 0
  private pongsReceived = 0
  private pongTimeouts = 0
  private staleCount = 0

  // open/close
  private readonly openPromise: Promise<WsConnection>
  private resolveOpen: ((c: WsConnection) => void) | null = null
  private rejectOpen: ((err: unknown) => void) | null = null
  private handshakeTimer: NodeJS.Timeout | null = null
  private readonly connectSignal: AbortSignal | null
  private onConnectAbort: (() => void) | null = null
  private handshakeFailure: TickflowError | null = null
  private failure: TickflowError | null = null
  private socketError: Error | null = null
  private closeInfo: WsCloseInfo | null = null
  private readonly closedPromise: Promise<WsCloseInfo>
  private resolveClosed: ((info: WsCloseInfo) => void) | null = null
  private localCloseCode = 0

  /** @internal use connectWs() */
  constructor(url: string, options: ConnectOptions) {
    this.id = nextConnId++
    this.url = url
    this.name = options.name ?? ''
    this.onState = options.onState ?? null
    this.onCloseListener = options.onClose ?? null
    this.onCallbackError = options.onCallbackError ?? null
    this.frameHandler = options.onFrame ?? null
    this.frames = options.frames ?? null
    this.queueMode = this.frameHandler === null
    this.queueCapacity = positiveInt(options.queueCapacity ?? 1024, 'queueCapacity')
    const sink: OutboxSink = {
      isOpen: () => this.state === WsState.Open,
      bufferedAmount: () => this.ws.bufferedAmount,
      sendData: (data, binary, cb) => this.ws.send(data, { binary }, cb),
      sendPing: (data, cb) => {
        this.pingOutstanding = true
        this.pingSentMs = performance.now()
        this.ws.ping(data, true, cb)
      },
      sendPong: (data, cb) => this.ws.pong(data, true, cb),
      closedError: (cause) => this.closedError(cause),
    }
    this.outbox = new Outbox(sink, {
      capacity: positiveInt(options.outQueueCapacity ?? 1024, 'outQueueCapacity'),
      writeHighWaterBytes: options.writeHighWaterBytes ?? 1024 * 1024,
      rateLimit: options.rateLimit ?? null,
      url,
    })
    this.pingIntervalMs = options.pingIntervalMs ?? 0
    this.pongTimeoutMs = options.pongTimeoutMs ?? 10_000
    this.staleMs = options.staleMs ?? 0
    const periods = [this.pingIntervalMs, this.pingIntervalMs > 0 ? this.pongTimeoutMs : 0, this.staleMs].filter((p) => p > 0)
    this.tickMs = options.tickMs ?? (periods.length > 0 ? Math.max(5, Math.floor(Math.min(...periods) / 4)) : 0)
    this.connectSignal = options.signal ?? null
    this.deliver = this.deliver.bind(this)
    this.enqueue = this.enqueue.bind(this)
    this.deliverView = this.deliverView.bind(this)
    this.enqueueView = this.enqueueView.bind(this)
    this.tick = this.tick.bind(this)
    this.onChunk = this.onChunk.bind(this)

    this.openPromise = new Promise<WsConnection>((resolve, reject) => {
      this.resolveOpen = resolve
      this.rejectOpen = reject
    })
    this.closedPromise = new Promise<WsCloseInfo>((resolve) => {
      this.resolveClosed = resolve
    })
    this.transitions[WsState.Connecting]++
    publishState(this.onState, this.change(WsState.Connecting, WsState.Connecting, ''))

    const transport = options.transport ?? 'ws'
    if (transport !== 'ws' && transport !== 'raw') throw new RangeError(`transport must be 'ws' or 'raw', got ${String(transport)}`)
    this.transport = transport
    if (this.connectSignal !== null && this.connectSignal.aborted) {
      // Never touch the network for an already aborted signal.
      this.ws = null as unknown as WsClient
      this.handshakeFailure = wsError(ErrorCode.WS_ABORTED, `connect to ${url} aborted`, { url }, this.connectSignal.reason)
      this.finishClosed(1006, '', false)
      return
    }
    if (transport === 'raw') this.ws = this.openRaw(url, options)
    else this.ws = this.openWs(url, options)
    const timeoutMs = options.handshakeTimeoutMs ?? 10_000
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = null
      if (this.state !== WsState.Connecting) return
      this.handshakeFailure = wsError(ErrorCode.WS_HANDSHAKE_TIMEOUT, `handshake with ${url} took longer than ${timeoutMs} ms`, { url, timeoutMs })
      this.ws.terminate()
    }, timeoutMs)
    if (this.connectSignal !== null) {
      const signal = this.connectSignal
      this.onConnectAbort = () => {
        if (this.state !== WsState.Connecting) return
        this.handshakeFailure = wsError(ErrorCode.WS_ABORTED, `connect to ${url} aborted`, { url }, signal.reason)
        this.ws.terminate()
      }
      signal.addEventListener('abort', this.onConnectAbort, { once: true })
    }
  }

  /** The `ws` package's client. */
  private openWs(url: string, options: ConnectOptions): WebSocket {
    // closeTimeout (ws 8.23 as installed: destroy the socket when the close handshake does not finish) is not in @types/ws yet.
    const wsOptions: WebSocket.ClientOptions & { closeTimeout: number; servername?: string } = {
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      skipUTF8Validation: options.skipUtf8Validation === true,
      autoPong: false,
      perMessageDeflate: false,
      followRedirects: false,
      closeTimeout: options.closeTimeoutMs ?? 5000,
    }
    if (options.headers !== undefined) wsOptions.headers = options.headers
    const t = options.tls
    if (t != null) {
      if (t.ca !== undefined) wsOptions.ca = t.ca
      if (t.rejectUnauthorized !== undefined) wsOptions.rejectUnauthorized = t.rejectUnauthorized
      if (t.servername !== undefined) wsOptions.servername = t.servername
    }
    const ws = new WebSocket(url, wsOptions)
    ws.on('open', () => this.handleOpen())
    ws.on('unexpected-response', (_req, res) => {
      this.handshakeFailure = wsError(
        ErrorCode.WS_CONNECT_FAILED,
        `upgrade to ${url} refused: HTTP ${res.statusCode ?? 0}`,
        { url, status: res.statusCode ?? 0 },
      )
      res.resume()
      ws.terminate()
    })
    ws.on('error', (err) => {
      if (this.socketError === null) this.socketError = err
    })
    ws.on('close', (code: number, reason: Buffer) => this.handleClose(code, reason))
    ws.on('message', (this.frameHandler !== null ? this.deliver : this.enqueue) as (data: WebSocket.RawData, isBinary: boolean) => void)
    ws.on('ping', (data: Buffer) => this.handlePing(data))
    ws.on('pong', () => this.handlePong())
    return ws
  }

  /** Our minimal RFC 6455 client (raw-ws.ts): messages arrive as views of the socket's chunk, no Buffer per message. */
  private openRaw(url: string, options: ConnectOptions): RawWebSocket {
    const ws = new RawWebSocket(url, {
      onMessage: this.frameHandler !== null ? this.deliverView : this.enqueueView,
      onChunk: this.onChunk,
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      skipUtf8Validation: options.skipUtf8Validation === true,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
      tls: options.tls ?? null,
      // hot path: one reused read buffer (the frame is valid during onFrame only anyway); read() mode keeps views
      readBufferBytes: this.frameHandler !== null ? (options.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES) : 0,
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
    })
    ws.on('open', () => this.handleOpen())
    ws.on('upgrade-refused', (status: number) => {
      this.handshakeFailure = wsError(ErrorCode.WS_CONNECT_FAILED, `upgrade to ${url} refused: HTTP ${status}`, { url, status })
    })
    ws.on('error', (err: Error) => {
      if (this.socketError === null) this.socketError = err
    })
    ws.on('close', (code: number, reason: Buffer) => this.handleClose(code, reason))
    ws.on('ping', (data: Buffer) => this.handlePing(data))
    ws.on('pong', () => this.handlePong())
    return ws
  }

  /** @internal resolves when open, rejects when the handshake failed. */
  opened(): Promise<WsConnection> {
    return this.openPromise
  }

  /** Resolves once the connection is closed, whatever the cause. Never rejects. */
  closed(): Promise<WsCloseInfo> {
    return this.closedPromise
  }

  get stateName(): WsStateName {
    return WS_STATE_NAMES[this.state]
  }

  get isOpen(): boolean {
    return this.state === WsState.Open
  }

  /** Close info once closed, else null. */
  get closeResult(): WsCloseInfo | null {
    return this.closeInfo
  }

  /**
   * Replaces the per-frame callback (hot-path mode only). ManagedWs uses it to
   * hand a connection over during rotation; takes effect from the next frame.
   */
  setFrameHandler(handler: FrameHandler): void {
    if (this.queueMode) throw new TypeError('setFrameHandler: this connection was opened in read() mode (no onFrame)')
    this.frameHandler = handler
  }

  private change(state: WsStateValue, previous: WsStateValue, reason: string) {
    return {
      source: 'connection' as const,
      connId: this.id,
      name: this.name,
      state,
      stateName: WS_STATE_NAMES[state],
      previous,
      reason,
      atMs: epochMs(),
    }
  }

  private setState(state: WsStateValue, reason: string): void {
    const prev = this.state
    if (prev === state) return
    this.state = state
    this.transitions[state]++
    publishState(this.onState, this.change(state, prev, reason))
  }

  private handleOpen(): void {
    this.clearHandshake()
    // One clock read per socket chunk instead of per frame: every frame of a
    // chunk came in with the same read(), so they share its receive time, and
    // a 64 KiB chunk holds ~400 trade messages (bench: transport, ~40 ns/msg).
    // The listener is prepended so it runs before ws parses the chunk. `_socket`
    // is ws-internal; without it we fall back to a clock read per frame.
    const socket = (this.ws as unknown as { _socket?: { prependListener?: (ev: string, fn: () => void) => void } })._socket
    if (this.transport === 'raw') {
      // RawWebSocket calls onChunk itself at the start of every read.
      this.chunkClock = true
      this.chunkTsUs = epochUs()
    } else if (socket !== undefined && typeof socket.prependListener === 'function') {
      socket.prependListener('data', this.onChunk)
      this.chunkClock = true
      this.chunkTsUs = epochUs()
    }
    this.setState(WsState.Open, '')
    const now = performance.now()
    this.lastActivityMs = now
    this.lastPingMs = now
    if (this.tickMs > 0) {
      this.tickTimer = setInterval(this.tick, this.tickMs)
      this.tickTimer.unref()
    }
    const resolve = this.resolveOpen
    this.resolveOpen = null
    this.rejectOpen = null
    resolve?.(this)
  }

  private clearHandshake(): void {
    if (this.handshakeTimer !== null) {
      clearTimeout(this.handshakeTimer)
      this.handshakeTimer = null
    }
    if (this.connectSignal !== null && this.onConnectAbort !== null) {
      this.connectSignal.removeEventListener('abort', this.onConnectAbort)
      this.onConnectAbort = null
    }
  }

  private onChunk(): void {
    this.chunkTsUs = epochUs()
  }

  /**
   * The hot path (hot-path mode): one call per message from `ws`'s receiver;
   * the same delivery as the raw transport's, over the whole Buffer. Without
   * the per-chunk clock (`ws` internals not found) the receive time is read
   * per message.
   */
  private deliver(data: Buffer, isBinary: boolean): void {
    if (!this.chunkClock) this.chunkTsUs = epochUs()
    this.deliverView(data, 0, data.length, isBinary)
  }

  /**
   * The hot path: the message is buf[start, end) (the raw transport's read
   * buffer, or `ws`'s Buffer); the frame points at it (no Buffer made per
   * message). The frame is the connection's leased one (hotFrame): refilled
   * per message, no pool round trip per message.
   */
  private deliverView(buf: Buffer, start: number, end: number, isBinary: boolean): void {
    this.framesReceived++
    this.bytesReceived += end - start
    const frame = this.hotFrame !== null ? this.hotFrame : this.leaseHotFrame()
    frame.connId = this.id
    frame.setView(buf, start, end)
    frame.isBinary = isBinary
    frame.recvTsUs = this.chunkTsUs
    frame.frameSeq = ++this.frameSeq
    try {
      this.frameHandler!(frame)
    } catch (err) {
      this.callbackErrors++
      if (this.onCallbackError !== null) this.onCallbackError(err)
    }
    frame.unview()
  }

  /**
   * The frame the hot path delivers in: leased from the WsFrame pool for as
   * long as the connection is open (released when it closes), so in-flight
   * accounting sees one frame per reading connection and the per-message
   * path has no pool round trip. Pool exhausted: the connection's private
   * spare frame, counted in framePoolExhausted, and the pool is asked again
   * at the next message (market data never stalls the socket).
   */
  private leaseHotFrame(): WsFrame {
    const pool = this.frames
    if (pool === null || this.state === WsState.Closed) return this.spareFrame
    const frame = pool.tryAcquire()
    if (frame === null) {
      this.framePoolExhausted++
      return this.spareFrame
    }
    this.hotFrame = frame
    return frame
  }

  /** Returns the leased hot-path frame to its pool (the connection closed). */
  private releaseHotFrame(): void {
    const frame = this.hotFrame
    if (frame === null) return
    this.hotFrame = null
    this.frames!.release(frame)
  }

  /** read() mode with the raw transport: the view outlives the call (raw-ws never reuses a chunk or a reassembly buffer). */
  private enqueueView(buf: Buffer, start: number, end: number, isBinary: boolean): void {
    this.enqueue(start === 0 && end === buf.length ? buf : buf.subarray(start, end), isBinary)
  }

  /** read() mode: one call per message. */
  private enqueue(data: Buffer, isBinary: boolean): void {
    this.framesReceived++
    this.bytesReceived += data.length
    const msg: WsMessage = { data, isBinary, recvTsUs: this.chunkClock ? this.chunkTsUs : epochUs(), frameSeq: ++this.frameSeq }
    const reader = this.readers.shift()
    if (reader !== null) {
      this.settleReader(reader)
      reader.resolve(msg)
      return
    }
    this.queue.push(msg)
    const depth = this.queue.length
    if (depth > this.queueHighWater) this.queueHighWater = depth
    if (depth >= this.queueCapacity && !this.paused) {
      this.paused = true
      this.pauses++
      this.ws.pause()
    }
    if (depth >= this.queueCapacity + QUEUE_OVERSHOOT) {
      this.fail(
        wsError(ErrorCode.WS_QUEUE_FULL, `read queue of ${this.url} exceeded ${depth} frames while paused`, { url: this.url, depth }),
        1008,
      )
    }
  }

  private settleReader(r: ReadWaiter): void {
    if (r.signal !== null && r.onAbort !== null) r.signal.removeEventListener('abort', r.onAbort)
  }

  /**
   * Next message (read() mode). Rejects with WS_ABORTED when `signal` aborts
   * (the message stays queued for the next read), WS_CLOSED once the
   * connection is closed and the queue is empty (details: code, reason).
   */
  read(signal?: AbortSignal | null): Promise<WsMessage> {
    if (!this.queueMode) return Promise.reject(new TypeError('read(): this connection delivers frames to onFrame'))
    const msg = this.queue.shift()
    if (msg !== null) {
      this.maybeResume()
      return Promise.resolve(msg)
    }
    if (this.state === WsState.Closed || this.state === WsState.Closing) return Promise.reject(this.closedError())
    const sig = signal ?? null
    if (sig !== null && sig.aborted) return Promise.reject(wsError(ErrorCode.WS_ABORTED, 'read aborted', undefined, sig.reason))
    return new Promise<WsMessage>((resolve, reject) => {
      const w: ReadWaiter = { resolve, reject, signal: sig, onAbort: null }
      if (sig !== null) {
        w.onAbort = () => {
          this.readers.remove(w)
          reject(wsError(ErrorCode.WS_ABORTED, 'read aborted', undefined, sig.reason))
        }
        sig.addEventListener('abort', w.onAbort, { once: true })
      }
      this.readers.push(w)
    })
  }

  private maybeResume(): void {
    if (this.paused && this.queue.length <= this.queueCapacity >> 1 && this.state === WsState.Open) {
      this.paused = false
      if (!this.userPaused) this.ws.resume()
    }
  }

  /**
   * Stops reading the socket (receive backpressure: the venue's TCP window
   * fills) until `resume()`. Works in both modes; frames already read are
   * still delivered. Stale detection is suspended while paused (a paused
   * connection receives nothing by design). Idempotent.
   */
  pause(): void {
    if (this.userPaused) return
    this.userPaused = true
    this.pauses++
    if (!this.paused && this.state === WsState.Open) this.ws.pause()
  }

  /** Reads again after `pause()`. Idempotent. */
  resume(): void {
    if (!this.userPaused) return
    this.userPaused = false
    this.lastActivityMs = performance.now()
    if (!this.paused && this.state === WsState.Open) this.ws.resume()
  }

  /** True while `pause()` holds the socket. */
  get isPaused(): boolean {
    return this.userPaused
  }

  /** Iterates messages until the connection closes (read() mode). */
  async *messages(signal?: AbortSignal | null): AsyncGenerator<WsMessage, void, undefined> {
    for (;;) {
      let m: WsMessage
      try {
        m = await this.read(signal)
      } catch (err) {
        if (err instanceof TickflowError && err.code === ErrorCode.WS_CLOSED) return
        throw err
      }
      yield m
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<WsMessage, void, undefined> {
    return this.messages(null)
  }

  /**
   * Sends one text (or, with `binary`, binary) message. Resolves when `ws`
   * has written it to the socket. Waits (bounded queue, WS_QUEUE_FULL past
   * outQueueCapacity) for the limiter and for `bufferedAmount` to fall under
   * writeHighWaterBytes. An abort before the message reaches `ws` removes it
   * (nothing is sent) and rejects with WS_ABORTED; after that the whole frame
   * is already in the socket and is sent. Rejects with WS_NOT_OPEN / WS_CLOSED.
   */
  write(data: string | Buffer, signal?: AbortSignal | null, options?: { binary?: boolean }): Promise<void> {
    if (this.state !== WsState.Open) return Promise.reject(this.notOpenError())
    return this.outbox.write(data, signal ?? null, options?.binary === true)
  }

  /** Unsent bytes in the socket (ws bufferedAmount). */
  get bufferedAmount(): number {
    return this.ws === null ? 0 : this.ws.bufferedAmount
  }

  private handlePing(data: Buffer): void {
    this.pingsReceived++
    // Copy: the pong may wait for the limiter; the payload is at most 125 bytes.
    if (this.state === WsState.Open) this.outbox.queueControl(OutKind.Pong, Buffer.from(data))
  }

  private handlePong(): void {
    this.pongsReceived++
    this.pingOutstanding = false
  }

  private tick(): void {
    if (this.state !== WsState.Open) return
    const now = performance.now()
    if (this.framesReceived !== this.lastTickFrames) {
      this.lastTickFrames = this.framesReceived
      this.lastActivityMs = now
    }
    if (this.userPaused) this.lastActivityMs = now
    if (this.staleMs > 0 && now - this.lastActivityMs >= this.staleMs) {
      this.staleCount++
      this.fail(wsError(ErrorCode.WS_STALE, `no frame from ${this.url} for ${this.staleMs} ms`, { url: this.url, staleMs: this.staleMs }), 0)
      return
    }
    if (this.pingIntervalMs > 0) {
      if (this.pingOutstanding && now - this.pingSentMs >= this.pongTimeoutMs) {
        this.pongTimeouts++
        this.fail(
          wsError(ErrorCode.WS_PONG_TIMEOUT, `no pong from ${this.url} within ${this.pongTimeoutMs} ms`, { url: this.url, pongTimeoutMs: this.pongTimeoutMs }),
          0,
        )
        return
      }
      if (!this.pingOutstanding && now - this.lastPingMs >= this.pingIntervalMs) {
        this.lastPingMs = now
        this.outbox.queueControl(OutKind.Ping, Buffer.from(String(++this.pingCounter)))
      }
    }
  }

  /**
   * Ends the connection because of `err`: with closeCode > 0 a close
   * handshake (e.g. 1008), else terminate (the peer is presumed dead).
   */
  private fail(err: TickflowError, closeCode: number): void {
    if (this.failure === null) this.failure = err
    if (this.state === WsState.Closed) return
    this.setState(WsState.Closing, err.code)
    if (closeCode > 0 && this.ws.readyState === 1 /* OPEN, in ws and raw-ws */) {
      this.localCloseCode = closeCode
      this.ws.close(closeCode, err.code)
    } else this.ws.terminate()
  }

  /**
   * Starts the close handshake with `code` (default 1000) and `reason`
   * (≤ 123 bytes). Resolves with the close info once the peer answered or,
   * after closeTimeoutMs, the socket was destroyed. Idempotent.
   */
  close(code = 1000, reason = ''): Promise<WsCloseInfo> {
    if (this.state === WsState.Connecting) {
      this.handshakeFailure ??= wsError(ErrorCode.WS_ABORTED, `connect to ${this.url} closed before it was open`, { url: this.url })
      this.ws.terminate()
    } else if (this.state === WsState.Open) {
      this.localCloseCode = code
      this.setState(WsState.Closing, 'close()')
      // The close handshake needs the peer's close frame: a paused socket would never read it.
      if (this.userPaused || this.paused) {
        this.userPaused = false
        this.paused = false
        this.ws.resume()
      }
      this.ws.close(code, reason)
    }
    return this.closedPromise
  }

  /** Destroys the socket at once (no close handshake). */
  terminate(): void {
    if (this.state === WsState.Closed || this.ws === null) return
    if (this.state === WsState.Open) this.setState(WsState.Closing, 'terminate()')
    this.ws.terminate()
  }

  private handleClose(code: number, reasonBuf: Buffer): void {
    this.clearHandshake()
    const reason = reasonBuf.length > 0 ? reasonBuf.toString('utf8') : ''
    // ws reports 1006 exactly when no close frame arrived (abnormal closure).
    const wasClean = code !== 1006
    if (this.resolveOpen !== null) {
      // Closed during the handshake.
      const err =
        this.handshakeFailure ??
        wsError(ErrorCode.WS_CONNECT_FAILED, `connect to ${this.url} failed: ${this.socketError?.message ?? 'closed'}`, { url: this.url }, this.socketError ?? undefined)
      this.handshakeFailure = err
    }
    this.finishClosed(code, reason, wasClean)
  }

  private finishClosed(code: number, reason: string, wasClean: boolean): void {
    if (this.tickTimer !== null) clearInterval(this.tickTimer)
    this.tickTimer = null
    this.releaseHotFrame()
    this.outbox.stop()
    const error =
      this.failure ??
      this.handshakeFailure ??
      (this.socketError !== null
        ? wsError(
            ErrorCode.WS_CLOSED,
            `connection to ${this.url} failed: ${this.socketError.message}`,
            { url: this.url, code, sentCode: wsStatusCode(this.socketError), wsCode: (this.socketError as { code?: string }).code ?? '' },
            this.socketError,
          )
        : null)
    this.closeInfo = { connId: this.id, code, reason, wasClean, error }
    this.setState(WsState.Closed, error !== null ? error.code : `${code}`)
    if (this.rejectOpen !== null) {
      const reject = this.rejectOpen
      this.rejectOpen = null
      this.resolveOpen = null
      reject(this.handshakeFailure)
    }
    const closedErr = this.closedError()
    for (const r of this.readers.drain()) {
      this.settleReader(r)
      r.reject(closedErr)
    }
    this.outbox.failAll(closedErr)
    if (this.onCloseListener !== null) this.onCloseListener(this.closeInfo)
    this.resolveClosed?.(this.closeInfo)
  }

  private closedError(cause?: unknown): TickflowError {
    const info = this.closeInfo
    const code = info?.code ?? 0
    const details = { url: this.url, code, reason: info?.reason ?? '', wasClean: info?.wasClean ?? false }
    const because = info?.error ? ` (${info.error.code})` : ''
    return wsError(ErrorCode.WS_CLOSED, `connection to ${this.url} closed with ${code}${because}`, details, cause ?? info?.error ?? undefined)
  }

  private notOpenError(): TickflowError {
    if (this.state === WsState.Closed || this.state === WsState.Closing) return this.closedError()
    return wsError(ErrorCode.WS_NOT_OPEN, `connection to ${this.url} is ${this.stateName}`, { url: this.url })
  }

  /** A snapshot of the counters. */
  stats(): WsConnectionStats {
    return {
      connId: this.id,
      name: this.name,
      url: this.url,
      transport: this.transport,
      state: this.stateName,
      framesReceived: this.framesReceived,
      bytesReceived: this.bytesReceived,
      messagesSent: this.outbox.messagesSent,
      bytesSent: this.outbox.bytesSent,
      pingsSent: this.outbox.pingsSent,
      pingsReceived: this.pingsReceived,
      pongsSent: this.outbox.pongsSent,
      pongsReceived: this.pongsReceived,
      pongTimeouts: this.pongTimeouts,
      stale: this.staleCount,
      framePoolExhausted: this.framePoolExhausted,
      callbackErrors: this.callbackErrors,
      queueDepth: this.queue.length,
      queueHighWater: this.queueHighWater,
      paused: this.paused || this.userPaused,
      pauses: this.pauses,
      outQueueDepth: this.outbox.depth,
      limiterWaits: this.outbox.limiterWaits,
      controlDropped: this.outbox.controlDropped,
      bufferedAmount: this.bufferedAmount,
      transitions: transitionsObject(this.transitions),
      closeCode: this.closeInfo?.code ?? 0,
    }
  }

  /** The local close code we sent (0 when the peer closed first or none was sent). */
  get sentCloseCode(): number {
    return this.localCloseCode
  }
}

/** The close code `ws` attached to a protocol error (its `kStatusCode` symbol), 0 when none. */
function wsStatusCode(err: Error): number {
  if (err instanceof RawWsError) return err.statusCode
  for (const sym of Object.getOwnPropertySymbols(err)) {
    if (sym.description === 'status-code') {
      const v = (err as unknown as Record<symbol, unknown>)[sym]
      return typeof v === 'number' ? v : 0
    }
  }
  return 0
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1, got ${v}`)
  return v
}
