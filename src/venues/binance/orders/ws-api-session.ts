/**
 * A Binance WebSocket API session (protocol §4.3, §5.1) over the transport's
 * ManagedWs: requests with integer ids, responses matched by id, user-data
 * events (`{subscriptionId, event}`) handed to the gateway.
 *
 * - Ed25519 keys: `session.logon` once per connection; requests then carry
 *   neither apiKey nor signature (only timestamp/recvWindow).
 * - HMAC keys: every signed request carries apiKey + signature over the
 *   sorted, unencoded params; user data via `userDataStream.subscribe.signature`.
 * - Order requests (place/cancel) do not create Promises: their responses
 *   and timeouts go to the gateway's handlers. A response that arrives after
 *   its timeout is still delivered (it carries real information); the entry is
 *   kept `LATE_GRACE_MS` after the timeout for that.
 * - One timer (the sweep) drives every request timeout.
 * - On a dropped connection every pending order request is reported as timed
 *   out (unknown outcome) at once: its answer can no longer arrive.
 * - On a planned rotation (make-before-break) the new connection's frames are
 *   buffered by the transport until it becomes active, so onOpen sends logon
 *   and subscribe without waiting for their answers.
 */
import { epochMs, epochUs } from '../../../core/clock.js'
import { ErrorCode, TickflowError, describeError } from '../../../core/errors.js'
import { silentLogger, type Logger } from '../../../core/logger.js'
import { ManagedWs, type OpenReason } from '../../../transport/managed-ws.js'
import type { WsConnection } from '../../../transport/ws-connection.js'
import type { WsFrame } from '../../../transport/ws-frame.js'
import type { WsStateChange } from '../../../transport/ws-state.js'
import { KeyType, wsApiPayload, type Signer } from './signing.js'
import type { ServerTime } from './time-sync.js'

/** Venue codes that mean the credentials themselves are refused (binance-protocol.md: -1002 unauthorized, -1022 bad signature, -2014 bad API-key format, -2015 invalid key, IP or permissions). */
const AUTH_REFUSALS = new Set([-1002, -1022, -2014, -2015])

export const RequestKind = { Place: 1, Cancel: 2, Other: 3 } as const

const LATE_GRACE_MS = 60_000
const SWEEP_MS = 100

/** One in-flight request (small object per request; cold enough at order rates). */
export class PendingRequest {
  id = 0
  kind = 0
  /** for Place/Cancel: the ORDER's client id and instrument */
  clientOrderId = ''
  instrumentId = 0
  sentMs = 0
  timedOut = false
  resolve: ((v: WsApiResponse) => void) | null = null
  reject: ((e: unknown) => void) | null = null
}

/** A response: status mirrors HTTP (§4.3). */
export interface WsApiResponse {
  status: number
  result: unknown
  error: { code: number; msg: string; data?: { retryAfter?: number } } | null
}

export interface WsApiHandlers {
  /** The answer to an order.place / order.cancel (also after its timeout). */
  onOrderResponse(req: PendingRequest, res: WsApiResponse, recvUs: number): void
  /** No answer in time (or the connection dropped): outcome unknown. */
  onOrderTimeout(req: PendingRequest): void
  /** A user-data event (already unwrapped from the envelope). */
  onUserEvent(ev: Record<string, unknown>, recvUs: number): void
  /** The session is (again) usable: logged on and subscribed. */
  onReady(reason: OpenReason): void
  /** The connection dropped; reconnecting. */
  onLost(reason: string): void
}

export interface WsApiSessionOptions {
  url: string
  apiKey: string
  signer: Signer
  time: ServerTime
  recvWindowMs: number
  timeoutMs: number
  /** subscribe to user data on this connection */
  userData: boolean
  handlers: WsApiHandlers
  logger?: Logger
}

type ParamValue = string | number | boolean

export class WsApiSession {
  private readonly o: WsApiSessionOptions
  private readonly ws: ManagedWs
  private readonly pending: Map<number, PendingRequest> = new Map()
  private nextId = 1
  private loggedOn = false
  private ready = false
  private sweepTimer: NodeJS.Timeout | null = null
  /** credentials the venue refused on the first connection: start() fails instead of retrying for ever */
  private fatal: TickflowError | null = null
  private readonly startAbort = new AbortController()
  private readonly log: Logger
  private readonly onSendFailedBound: (err: unknown) => void
  subscriptionId = -1
  stats = { requests: 0, responses: 0, lateResponses: 0, timeouts: 0, userEvents: 0, unmatched: 0, malformed: 0 }

  constructor(o: WsApiSessionOptions) {
    this.o = o
    this.log = o.logger ?? silentLogger
    this.onSendFailedBound = (err: unknown) => this.log.warn({ err: describeError(err) }, 'ws-api send failed')
    this.ws = new ManagedWs({
      url: o.url,
      name: 'binance-ws-api',
      onFrame: (f) => this.onFrame(f),
      onOpen: (conn, reason) => this.onOpen(conn, reason),
      onState: (c) => this.onState(c),
      onError: (err) => this.log.warn({ err: describeError(err) }, 'ws-api connection attempt failed'),
      lifetimeMs: 23 * 3600_000,
      pingIntervalMs: 0,
    })
  }

  /** Connects, logs on / subscribes; resolves once usable. */
  async start(): Promise<void> {
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS)
    this.sweepTimer.unref()
    try {
      await this.ws.start(this.startAbort.signal)
    } catch (err) {
      throw this.fatal ?? err
    }
  }

  /**
   * The venue refused our credentials while connecting for the first time
   * (bad signature, unknown or malformed API key, no permission): retrying
   * cannot help, so start() fails with this error.
   */
  private failStart(reason: OpenReason, what: string, r: WsApiResponse): void {
    const code = r.error?.code ?? 0
    if (reason !== 'initial' || !AUTH_REFUSALS.has(code)) return
    this.fatal = new TickflowError(ErrorCode.VENUE_REJECTED, `${what}: the venue refused the credentials: ${code} ${r.error?.msg ?? ''}`)
    this.startAbort.abort(this.fatal)
  }

  get isReady(): boolean {
    return this.ready
  }

  /** true when requests need no per-request signature (Ed25519 session.logon done). */
  get isLoggedOn(): boolean {
    return this.loggedOn
  }

  private async onOpen(conn: WsConnection, reason: OpenReason): Promise<void> {
    this.loggedOn = false
    const wait = reason !== 'rotation'
    if (this.o.signer.type === KeyType.Ed25519) {
      const p: Record<string, ParamValue> = { apiKey: this.o.apiKey, timestamp: this.o.time.timestamp() }
      p.signature = this.o.signer.sign(wsApiPayload(p))
      const res = this.send(conn, 'session.logon', p, wait)
      if (wait) {
        const r = await res!
        if (r.status !== 200) this.failStart(reason, 'session.logon', r)
        if (r.status !== 200) throw new TickflowError(ErrorCode.VENUE_REJECTED, `session.logon failed: ${r.error?.code} ${r.error?.msg}`)
      }
      this.loggedOn = true
      if (this.o.userData) {
        const sub = this.send(conn, 'userDataStream.subscribe', {}, wait)
        if (wait) this.checkSubscribe(await sub!, reason)
      }
    } else if (this.o.userData) {
      const sub = this.send(conn, 'userDataStream.subscribe.signature', this.signed({}), wait)
      if (wait) this.checkSubscribe(await sub!, reason)
    }
    this.ready = true
    // the connection becomes active right after this hook returns
    setImmediate(() => this.o.handlers.onReady(reason))
  }

  /**
   * Subscribes to user data again on the active connection (after the venue
   * ended the subscription: eventStreamTerminated). Resolves once subscribed.
   */
  async resubscribe(): Promise<void> {
    const r = this.loggedOn ? await this.request('userDataStream.subscribe', {}) : await this.request('userDataStream.subscribe.signature', this.signed({}))
    this.checkSubscribe(r)
  }

  private checkSubscribe(r: WsApiResponse, reason: OpenReason = 'reconnect'): void {
    if (r.status !== 200) this.failStart(reason, 'user data subscribe', r)
    if (r.status !== 200) throw new TickflowError(ErrorCode.VENUE_SUBSCRIBE_FAILED, `user data subscribe failed: ${r.error?.code} ${r.error?.msg}`)
    const id = (r.result as { subscriptionId?: number } | null)?.subscriptionId
    this.subscriptionId = typeof id === 'number' ? id : -1
  }

  private onState(c: WsStateChange): void {
    if (c.stateName !== 'reconnecting' && c.stateName !== 'closed') return
    if (this.ready) {
      this.ready = false
      this.loggedOn = false
      this.failPending()
      this.o.handlers.onLost(c.reason)
    }
  }

  /** Adds apiKey + timestamp + recvWindow and, unless logged on, the signature. */
  signed(params: Record<string, ParamValue>): Record<string, ParamValue> {
    params.timestamp = this.o.time.timestamp()
    params.recvWindow = this.o.recvWindowMs
    if (!this.loggedOn) {
      params.apiKey = this.o.apiKey
      params.signature = this.o.signer.sign(wsApiPayload(params))
    }
    return params
  }

  /** Sends an order request (place/cancel): the answer goes to the handlers. Returns false when not connected. */
  sendOrder(kind: number, method: string, params: Record<string, ParamValue>, clientOrderId: string, instrumentId: number): boolean {
    if (!this.ready) return false
    const conn = this.ws.connection
    if (conn === null || !conn.isOpen) return false
    const req = new PendingRequest()
    req.id = this.nextId++
    req.kind = kind
    req.clientOrderId = clientOrderId
    req.instrumentId = instrumentId
    req.sentMs = epochMs()
    this.pending.set(req.id, req)
    this.stats.requests++
    conn.write(JSON.stringify({ id: req.id, method, params })).then(undefined, this.onSendFailedBound)
    return true
  }

  /** A request whose answer is awaited (cold path: queries, logon, subscribe). */
  request(method: string, params: Record<string, ParamValue>): Promise<WsApiResponse> {
    const conn = this.ws.connection
    if (conn === null || !conn.isOpen) return Promise.reject(new TickflowError(ErrorCode.WS_NOT_OPEN, 'ws-api is not connected'))
    return this.send(conn, method, params, true)!
  }

  private send(conn: WsConnection, method: string, params: Record<string, ParamValue>, wait: boolean): Promise<WsApiResponse> | null {
    const req = new PendingRequest()
    req.id = this.nextId++
    req.kind = RequestKind.Other
    req.sentMs = epochMs()
    this.stats.requests++
    let p: Promise<WsApiResponse> | null = null
    if (wait) {
      p = new Promise<WsApiResponse>((resolve, reject) => {
        req.resolve = resolve
        req.reject = reject
      })
      this.pending.set(req.id, req)
    }
    conn.write(JSON.stringify({ id: req.id, method, params })).then(undefined, (err: unknown) => {
      if (req.reject !== null && !req.timedOut) {
        this.pending.delete(req.id)
        req.reject(err)
      }
    })
    return p
  }

  private onFrame(f: WsFrame): void {
    const recvUs = f.recvTsUs > 0 ? f.recvTsUs : epochUs()
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(f.data!.toString('utf8')) as Record<string, unknown>
    } catch {
      this.stats.malformed++
      return
    }
    if (msg === null || typeof msg !== 'object') {
      this.stats.malformed++
      return
    }
    const ev = msg.event
    if (ev !== undefined && ev !== null && typeof ev === 'object') {
      this.stats.userEvents++
      this.o.handlers.onUserEvent(ev as Record<string, unknown>, recvUs)
      return
    }
    if (typeof msg.e === 'string') {
      this.stats.userEvents++
      this.o.handlers.onUserEvent(msg, recvUs)
      return
    }
    const id = msg.id
    if (typeof id !== 'number') {
      if (id === null && typeof msg.status === 'number' && msg.status >= 400) {
        this.log.error({ error: msg.error }, 'ws-api unsolicited error (key revoked?)')
      } else this.stats.unmatched++
      return
    }
    const req = this.pending.get(id)
    if (req === undefined) {
      this.stats.unmatched++
      return
    }
    this.pending.delete(id)
    this.stats.responses++
    const res: WsApiResponse = {
      status: typeof msg.status === 'number' ? msg.status : 0,
      result: msg.result ?? null,
      error: (msg.error as WsApiResponse['error']) ?? null,
    }
    if (req.kind === RequestKind.Other) {
      if (!req.timedOut) req.resolve!(res)
      return
    }
    if (req.timedOut) this.stats.lateResponses++
    this.o.handlers.onOrderResponse(req, res, recvUs)
  }

  private sweep(): void {
    if (this.pending.size === 0) return
    const now = epochMs()
    for (const req of this.pending.values()) {
      if (!req.timedOut && now - req.sentMs > this.o.timeoutMs) {
        req.timedOut = true
        this.stats.timeouts++
        if (req.kind === RequestKind.Other) {
          this.pending.delete(req.id)
          req.reject!(new TickflowError(ErrorCode.VENUE_TIMEOUT, `ws-api request ${req.id} timed out`))
        } else this.o.handlers.onOrderTimeout(req)
      } else if (req.timedOut && now - req.sentMs > this.o.timeoutMs + LATE_GRACE_MS) {
        this.pending.delete(req.id)
      }
    }
  }

  private failPending(): void {
    for (const req of this.pending.values()) {
      this.pending.delete(req.id)
      if (req.timedOut) continue
      req.timedOut = true
      if (req.kind === RequestKind.Other) req.reject!(new TickflowError(ErrorCode.WS_CLOSED, 'ws-api connection lost'))
      else this.o.handlers.onOrderTimeout(req)
    }
  }

  /** Replaces the connection (make-before-break). */
  requestReconnect(reason: string): void {
    this.ws.requestReconnect(reason)
  }

  async close(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer)
    this.sweepTimer = null
    this.ready = false
    await this.ws.close(1000, 'closing')
    for (const req of this.pending.values()) {
      if (req.kind === RequestKind.Other && !req.timedOut) req.reject!(new TickflowError(ErrorCode.WS_CLOSED, 'ws-api closed'))
    }
    this.pending.clear()
  }
}
