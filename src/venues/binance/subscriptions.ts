/**
 * Binance stream names and live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS
 * (binance-protocol.md §1.2, §2.2, §2.3).
 *
 * The manager is independent of the byte-level codec and of the transport:
 * it sends text through a `send(text)` function it is given (the
 * connection's `write`, so every request passes the 5 msg/s limiter), and the
 * adapter hands it the replies its codec recognised:
 * `handleReply(id, ok, code, msg, result?)` for `{"result":…,"id":N}` and
 * `{"error":{"code","msg"},"id":N}`.
 *
 * Rules kept here: ids are non-negative integers (§2.2: string ids are
 * refused with code 2); at most `maxStreams` (Binance: 1024 Spot, use 200 on
 * USD-M, §8) streams per connection: past it a subscribe is refused with
 * VENUE_SUBSCRIBE_FAILED (split across connections with
 * `splitForConnections`); every request has a reply deadline; an error reply
 * becomes VENUE_SUBSCRIBE_FAILED naming the stream(s) of that request; after
 * a reconnect `resubscribeAll()` re-sends every wanted stream in batches.
 *
 * Cold path: one request per (un)subscribe batch.
 */
import { ErrorCode, TickflowError } from '../../core/errors.js'
import type { BinanceMarket } from './urls.js'

/** Stream kinds the adapter builds names for. */
export type StreamSpec =
  | { kind: 'trade'; symbol: string }
  | { kind: 'aggTrade'; symbol: string }
  | { kind: 'bookTicker'; symbol: string }
  /** diff depth. Spot: 100 | 1000 ms. USD-M: 0 (real time, `@depth@0ms`) | 100 | 250 (`@depth`) | 500. */
  | { kind: 'depth'; symbol: string; speedMs: number }
  /** partial depth (5, 10 or 20 levels). Spot: 100 | 1000 ms. USD-M: 100 | 250 | 500. */
  | { kind: 'partialDepth'; symbol: string; levels: 5 | 10 | 20; speedMs: number }
  | { kind: 'kline'; symbol: string; interval: string }

const KLINE_INTERVALS = new Set(['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'])
/** Lowercase symbol (USD-M delivery symbols contain `_`), '@', then the stream part. */
const STREAM_NAME = /^(?:[a-z0-9_]+@[A-Za-z0-9_@+:.-]+|![A-Za-z0-9_@+:.-]+)$/

function sym(symbol: string): string {
  const s = symbol.toLowerCase()
  if (!/^[a-z0-9_]+$/.test(s)) throw new RangeError(`invalid Binance symbol: ${JSON.stringify(symbol)}`)
  return s
}

/** The stream name for a spec on a market (`BTCUSDT` trade → `btcusdt@trade`). Throws RangeError for unsupported speeds. */
export function streamName(market: BinanceMarket, spec: StreamSpec): string {
  const s = sym(spec.symbol)
  switch (spec.kind) {
    case 'trade':
      return `${s}@trade`
    case 'aggTrade':
      return `${s}@aggTrade`
    case 'bookTicker':
      return `${s}@bookTicker`
    case 'depth':
      if (market === 'spot') {
        if (spec.speedMs === 100) return `${s}@depth@100ms`
        if (spec.speedMs === 1000) return `${s}@depth`
      } else {
        if (spec.speedMs === 250) return `${s}@depth`
        if (spec.speedMs === 0 || spec.speedMs === 100 || spec.speedMs === 500) return `${s}@depth@${spec.speedMs}ms`
      }
      throw new RangeError(`${market} diff depth has no ${spec.speedMs} ms stream`)
    case 'partialDepth': {
      if (spec.levels !== 5 && spec.levels !== 10 && spec.levels !== 20) throw new RangeError(`partial depth levels must be 5, 10 or 20, got ${spec.levels}`)
      const base = `${s}@depth${spec.levels}`
      if (market === 'spot') {
        if (spec.speedMs === 100) return `${base}@100ms`
        if (spec.speedMs === 1000) return base
      } else {
        if (spec.speedMs === 250) return base
        if (spec.speedMs === 100 || spec.speedMs === 500) return `${base}@${spec.speedMs}ms`
      }
      throw new RangeError(`${market} partial depth has no ${spec.speedMs} ms stream`)
    }
    case 'kline':
      if (!KLINE_INTERVALS.has(spec.interval)) throw new RangeError(`unknown kline interval ${spec.interval}`)
      return `${s}@kline_${spec.interval}`
  }
}

/** True for a syntactically valid stream name (lowercase symbol). */
export function isValidStreamName(name: string): boolean {
  return STREAM_NAME.test(name)
}

/** Splits streams into groups of at most `maxPerConnection` (one group per connection). */
export function splitForConnections(streams: readonly string[], maxPerConnection: number): string[][] {
  const out: string[][] = []
  for (let i = 0; i < streams.length; i += maxPerConnection) out.push(streams.slice(i, i + maxPerConnection))
  return out
}

/** What the manager calls to send a request (text frame); rejects when it cannot. */
export type SendText = (text: string) => Promise<void> | void

export interface SubscriptionManagerOptions {
  send: SendText
  /** Streams per connection. Default 1024 (Spot); use 200 for USD-M (§8). */
  maxStreams?: number
  /** Streams per SUBSCRIBE request. Default 200. */
  maxStreamsPerRequest?: number
  /** Reply deadline per request. Default 10000 ms. */
  replyTimeoutMs?: number
  /** First request id. Default 1. */
  firstId?: number
  /** For error messages. */
  name?: string
}

const METHOD_SUBSCRIBE = 'SUBSCRIBE'
const METHOD_UNSUBSCRIBE = 'UNSUBSCRIBE'
const METHOD_LIST = 'LIST_SUBSCRIPTIONS'

interface Pending {
  id: number
  method: string
  streams: string[]
  resolve: (result: readonly string[] | null) => void
  reject: (err: unknown) => void
  timer: NodeJS.Timeout
}

/** Per stream: wanted (subscribe sent or acknowledged) and acknowledged. */
const PENDING_SUB = 1
const ACTIVE = 2
const PENDING_UNSUB = 3

export interface SubscriptionStats {
  active: number
  pendingRequests: number
  requestsSent: number
  repliesOk: number
  repliesError: number
  timeouts: number
  resubscribes: number
  unknownReplies: number
}

export class SubscriptionManager {
  private send: SendText
  readonly maxStreams: number
  readonly maxStreamsPerRequest: number
  readonly replyTimeoutMs: number
  private readonly name: string
  private nextId: number
  private readonly state = new Map<string, number>()
  private readonly pending = new Map<number, Pending>()
  /** resolved when a stream's pending SUBSCRIBE is settled */
  private readonly inFlight = new Map<string, Promise<void>>()
  private requestsSent = 0
  private repliesOk = 0
  private repliesError = 0
  private timeouts = 0
  private resubscribes = 0
  private unknownReplies = 0

  constructor(options: SubscriptionManagerOptions) {
    if (typeof options.send !== 'function') throw new TypeError('SubscriptionManager: send must be a function')
    this.send = options.send
    this.maxStreams = options.maxStreams ?? 1024
    this.maxStreamsPerRequest = options.maxStreamsPerRequest ?? 200
    this.replyTimeoutMs = options.replyTimeoutMs ?? 10_000
    this.name = options.name ?? 'binance'
    this.nextId = options.firstId ?? 1
    if (!Number.isSafeInteger(this.nextId) || this.nextId < 0) throw new RangeError('firstId must be a non-negative integer')
  }

  /** Replaces the send function (a new connection). */
  setSend(send: SendText): void {
    this.send = send
  }

  /** Streams acknowledged by the venue. */
  activeStreams(): string[] {
    const out: string[] = []
    for (const [s, st] of this.state) if (st === ACTIVE) out.push(s)
    return out
  }

  /** Streams wanted: acknowledged or being subscribed (what a reconnect re-sends). */
  wantedStreams(): string[] {
    const out: string[] = []
    for (const [s, st] of this.state) if (st === ACTIVE || st === PENDING_SUB) out.push(s)
    return out
  }

  /**
   * Subscribes `streams` (names from `streamName`). Resolves when the venue
   * acknowledged every batch. Rejects with VENUE_SUBSCRIBE_FAILED (details:
   * streams, venueCode, venueMsg) on an error reply, a reply timeout, a send
   * failure, an invalid name, or when the connection would exceed maxStreams.
   * Streams already wanted are not sent again.
   */
  async subscribe(streams: readonly string[]): Promise<void> {
    for (const s of streams) {
      if (!isValidStreamName(s)) throw this.failed([s], `invalid stream name ${JSON.stringify(s)}`, 'invalid')
    }
    const fresh: string[] = []
    const waits: Promise<void>[] = []
    for (const s of new Set(streams)) {
      const st = this.state.get(s)
      if (st === ACTIVE) continue
      if (st === PENDING_SUB) {
        const w = this.inFlight.get(s)
        if (w !== undefined) waits.push(w)
        continue
      }
      fresh.push(s)
    }
    let wanted = 0
    for (const st of this.state.values()) if (st === ACTIVE || st === PENDING_SUB || st === PENDING_UNSUB) wanted++
    if (wanted + fresh.length > this.maxStreams) {
      throw this.failed(fresh, `would exceed ${this.maxStreams} streams on one connection (${wanted} in use); split with splitForConnections()`, 'limit')
    }
    for (const batch of splitForConnections(fresh, this.maxStreamsPerRequest)) waits.push(this.subscribeBatch(batch))
    await Promise.all(waits)
  }

  private subscribeBatch(batch: string[]): Promise<void> {
    for (const s of batch) this.state.set(s, PENDING_SUB)
    const p = this.request(METHOD_SUBSCRIBE, batch).then(
      () => {
        for (const s of batch) {
          if (this.state.get(s) === PENDING_SUB) this.state.set(s, ACTIVE)
          this.inFlight.delete(s)
        }
      },
      (err: unknown) => {
        for (const s of batch) {
          if (this.state.get(s) === PENDING_SUB) this.state.delete(s)
          this.inFlight.delete(s)
        }
        throw err
      },
    )
    for (const s of batch) this.inFlight.set(s, p)
    return p
  }

  /** Unsubscribes; resolves on the venue's acknowledgement. Unknown streams are ignored. */
  async unsubscribe(streams: readonly string[]): Promise<void> {
    const known = [...new Set(streams)].filter((s) => this.state.has(s))
    if (known.length === 0) return
    const waits: Promise<void>[] = []
    for (const batch of splitForConnections(known, this.maxStreamsPerRequest)) {
      for (const s of batch) this.state.set(s, PENDING_UNSUB)
      waits.push(
        this.request(METHOD_UNSUBSCRIBE, batch).then(
          () => {
            for (const s of batch) if (this.state.get(s) === PENDING_UNSUB) this.state.delete(s)
          },
          (err: unknown) => {
            // Still subscribed on the venue as far as we know.
            for (const s of batch) if (this.state.get(s) === PENDING_UNSUB) this.state.set(s, ACTIVE)
            throw err
          },
        ),
      )
    }
    await Promise.all(waits)
  }

  /** Asks the venue which streams this connection has (LIST_SUBSCRIPTIONS). */
  async listSubscriptions(): Promise<string[]> {
    const r = await this.request(METHOD_LIST, null)
    return r === null ? [] : [...r]
  }

  /**
   * After a reconnect: fails the requests that were waiting on the old
   * connection, then re-sends every wanted stream in batches (through the
   * new connection's send, hence its limiter). Resolves when all are
   * acknowledged; streams the venue refuses are dropped and reported in the
   * rejection (VENUE_SUBSCRIBE_FAILED).
   */
  async resubscribeAll(send?: SendText): Promise<void> {
    if (send !== undefined) this.send = send
    this.failPending('connection replaced')
    const wanted: string[] = []
    for (const [s, st] of this.state) {
      if (st === PENDING_UNSUB) this.state.delete(s)
      else wanted.push(s)
    }
    this.state.clear()
    if (wanted.length === 0) return
    this.resubscribes++
    await this.subscribe(wanted)
  }

  /** Rejects every request still waiting for a reply (connection lost). */
  failPending(why: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(this.failed(p.streams, `${p.method} id ${p.id}: ${why}`, 'replaced'))
    }
    this.pending.clear()
  }

  /**
   * A reply from the venue, as recognised by the codec: `{"result":…,"id"}`
   * (ok = true; `result` = the LIST_SUBSCRIPTIONS array, else null) or
   * `{"error":{"code","msg"},"id"}` (ok = false). Returns false when the id
   * is not one of ours (counted).
   */
  handleReply(id: number, ok: boolean, code: number, msg: string, result: readonly string[] | null = null): boolean {
    const p = this.pending.get(id)
    if (p === undefined) {
      this.unknownReplies++
      return false
    }
    this.pending.delete(id)
    clearTimeout(p.timer)
    if (ok) {
      this.repliesOk++
      p.resolve(result)
    } else {
      this.repliesError++
      const what = p.streams.length > 0 ? ` (${p.streams.join(', ')})` : ''
      p.reject(this.failed(p.streams, `${p.method}${what} refused: ${code} ${msg}`, 'refused', code, msg))
    }
    return true
  }

  private request(method: string, params: string[] | null): Promise<readonly string[] | null> {
    const id = this.nextId
    this.nextId = this.nextId >= Number.MAX_SAFE_INTEGER ? 0 : this.nextId + 1
    const streams = params ?? []
    // Cold path (one request per batch); this file is outside the codec, so JSON.stringify is fine here.
    const text = params === null ? JSON.stringify({ method, id }) : JSON.stringify({ method, params, id })
    return new Promise<readonly string[] | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return
        this.timeouts++
        reject(this.failed(streams, `${method} id ${id}: no reply within ${this.replyTimeoutMs} ms`, 'timeout'))
      }, this.replyTimeoutMs)
      timer.unref()
      this.pending.set(id, { id, method, streams, resolve, reject, timer })
      this.requestsSent++
      let sent: Promise<void> | void
      try {
        sent = this.send(text)
      } catch (err) {
        sent = Promise.reject(err)
      }
      if (sent !== undefined) {
        sent.then(undefined, (err: unknown) => {
          const p = this.pending.get(id)
          if (p === undefined) return
          this.pending.delete(id)
          clearTimeout(p.timer)
          reject(this.failed(streams, `${method} id ${id}: send failed`, 'send', -1, '', err))
        })
      }
    })
  }

  /**
   * VENUE_SUBSCRIBE_FAILED with details { venue, streams, reason, venueCode,
   * venueMsg }; reason is 'refused' (error reply), 'timeout', 'send',
   * 'replaced' (connection lost), 'limit' (maxStreams) or 'invalid' (name).
   */
  private failed(streams: readonly string[], message: string, reason: string, venueCode = 0, venueMsg = '', cause?: unknown): TickflowError {
    const opts: { details: Record<string, unknown>; cause?: unknown } = {
      details: { venue: this.name, streams: [...streams], reason, venueCode, venueMsg },
    }
    if (cause !== undefined) opts.cause = cause
    return new TickflowError(ErrorCode.VENUE_SUBSCRIBE_FAILED, `${this.name}: ${message}`, opts)
  }

  stats(): SubscriptionStats {
    let active = 0
    for (const st of this.state.values()) if (st === ACTIVE) active++
    return {
      active,
      pendingRequests: this.pending.size,
      requestsSent: this.requestsSent,
      repliesOk: this.repliesOk,
      repliesError: this.repliesError,
      timeouts: this.timeouts,
      resubscribes: this.resubscribes,
      unknownReplies: this.unknownReplies,
    }
  }
}
