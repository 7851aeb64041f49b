/**
 * Outbox: the outgoing side of a WsConnection.
 *
 *   write(data) ──> data FIFO (≤ capacity) ──┐
 *   pong / ping ──> control FIFO (≤ 64) ─────┴─> pump ──> limiter? ──> bufferedAmount < HWM? ──> ws.send/ping/pong
 *                                               (control first)      (data only)
 *
 * - The limiter (SlidingWindowLimiter: ≤ N messages in any window) counts
 *   every frame we send: data, pings and pongs (Binance counts them all).
 *   When it refuses, one timer wakes the pump when a slot frees.
 * - Data waits while the socket holds ≥ `writeHighWaterBytes` unsent; the
 *   pump runs again on every send completion (the `ws` send callback), so
 *   no polling. Control frames are tiny and skip this check.
 * - `write()` resolves in the `ws` send callback, i.e. once the frame is
 *   written to the socket. An abort before the frame reaches `ws` removes it
 *   and rejects WS_ABORTED.
 *
 * Cold path: writes are subscriptions, pongs and orders, not market data.
 */
import { ErrorCode, TickflowError } from '../core/errors.js'
import { Fifo } from './fifo.js'
import { SlidingWindowLimiter, type RateLimitOptions } from './rate-limiter.js'

export const OutKind = { Data: 0, Pong: 1, Ping: 2 } as const
export type OutKindValue = (typeof OutKind)[keyof typeof OutKind]

const CONTROL_QUEUE_CAPACITY = 64

/** What the Outbox needs from its connection. */
export interface OutboxSink {
  isOpen(): boolean
  bufferedAmount(): number
  sendData(data: string | Buffer, binary: boolean, cb: (err?: Error) => void): void
  sendPing(data: Buffer, cb: (err?: Error) => void): void
  sendPong(data: Buffer, cb: (err?: Error) => void): void
  /** The error for a write that failed because the connection closed. */
  closedError(cause?: unknown): TickflowError
}

export interface OutboxOptions {
  /** data messages that may wait */
  capacity: number
  writeHighWaterBytes: number
  rateLimit: RateLimitOptions | null
  /** for error messages */
  url: string
}

interface OutItem {
  data: string | Buffer
  binary: boolean
  kind: OutKindValue
  resolve: (() => void) | null
  reject: ((err: unknown) => void) | null
  signal: AbortSignal | null
  onAbort: (() => void) | null
  done: boolean
}

export class Outbox {
  private readonly sink: OutboxSink
  private readonly capacity: number
  private readonly writeHighWaterBytes: number
  private readonly limiter: SlidingWindowLimiter | null
  private readonly url: string
  private readonly dataOut = new Fifo<OutItem>()
  private readonly controlOut = new Fifo<OutItem>()
  private timer: NodeJS.Timeout | null = null
  private waitingDrain = false
  private readonly afterSend: () => void
  messagesSent = 0
  bytesSent = 0
  pingsSent = 0
  pongsSent = 0
  /** sends that had to wait for the limiter */
  limiterWaits = 0
  /** control frames dropped because 64 were already waiting */
  controlDropped = 0

  constructor(sink: OutboxSink, options: OutboxOptions) {
    this.sink = sink
    this.capacity = options.capacity
    this.writeHighWaterBytes = options.writeHighWaterBytes
    this.limiter = options.rateLimit !== null ? new SlidingWindowLimiter(options.rateLimit) : null
    this.url = options.url
    this.pump = this.pump.bind(this)
    this.afterSend = this.onSendDone.bind(this)
  }

  /** Messages waiting (data + control). */
  get depth(): number {
    return this.dataOut.length + this.controlOut.length
  }

  /** Queues a data message; see WsConnection.write. The caller checked that the connection is open. */
  write(data: string | Buffer, signal: AbortSignal | null, binary: boolean): Promise<void> {
    if (signal !== null && signal.aborted) {
      return Promise.reject(new TickflowError(ErrorCode.WS_ABORTED, 'write aborted', { cause: signal.reason }))
    }
    if (this.dataOut.length >= this.capacity) {
      return Promise.reject(
        new TickflowError(ErrorCode.WS_QUEUE_FULL, `outgoing queue of ${this.url} is full (${this.capacity})`, { details: { url: this.url } }),
      )
    }
    return new Promise<void>((resolve, reject) => {
      const item: OutItem = { data, binary, kind: OutKind.Data, resolve, reject, signal, onAbort: null, done: false }
      if (signal !== null) {
        item.onAbort = () => {
          if (item.done) return
          item.done = true
          this.dataOut.remove(item)
          reject(new TickflowError(ErrorCode.WS_ABORTED, 'write aborted', { cause: signal.reason }))
        }
        signal.addEventListener('abort', item.onAbort, { once: true })
      }
      this.dataOut.push(item)
      this.pump()
    })
  }

  /** Queues a pong or ping ahead of data. A full control queue drops its oldest (counted). */
  queueControl(kind: OutKindValue, data: Buffer): void {
    if (this.controlOut.length >= CONTROL_QUEUE_CAPACITY) {
      // Binance pings every 20 s; 64 waiting control frames means the limiter is starved.
      this.controlOut.shift()
      this.controlDropped++
    }
    this.controlOut.push({ data, binary: true, kind, resolve: null, reject: null, signal: null, onAbort: null, done: false })
    this.pump()
  }

  /** Sends what the limiter and bufferedAmount allow; reschedules itself otherwise. */
  private pump(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
    while (this.sink.isOpen()) {
      const control = this.controlOut.length > 0
      const queue = control ? this.controlOut : this.dataOut
      const item = queue.peek()
      if (item === null) return
      if (item.done) {
        queue.shift()
        continue
      }
      if (!control && this.sink.bufferedAmount() >= this.writeHighWaterBytes) {
        this.waitingDrain = true
        return
      }
      if (this.limiter !== null) {
        const now = performance.now()
        if (!this.limiter.tryTake(now)) {
          this.limiterWaits++
          this.timer = setTimeout(this.pump, Math.max(1, Math.ceil(this.limiter.waitMs(now))))
          return
        }
      }
      queue.shift()
      item.done = true
      if (item.signal !== null && item.onAbort !== null) item.signal.removeEventListener('abort', item.onAbort)
      this.messagesSent++
      this.bytesSent += typeof item.data === 'string' ? Buffer.byteLength(item.data) : item.data.length
      if (item.kind === OutKind.Pong) {
        this.pongsSent++
        this.sink.sendPong(item.data as Buffer, this.afterSend)
      } else if (item.kind === OutKind.Ping) {
        this.pingsSent++
        this.sink.sendPing(item.data as Buffer, this.afterSend)
      } else {
        const resolve = item.resolve!
        const reject = item.reject!
        this.sink.sendData(item.data, item.binary, (err?: Error) => {
          if (err) reject(this.sink.closedError(err))
          else resolve()
          this.afterSend()
        })
      }
    }
  }

  private onSendDone(): void {
    if (this.waitingDrain && this.sink.isOpen() && this.sink.bufferedAmount() < this.writeHighWaterBytes) {
      this.waitingDrain = false
      this.pump()
    }
  }

  /** Stops the limiter timer (connection closed). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  /** Rejects every waiting write with `err` and drops waiting control frames. */
  failAll(err: unknown): void {
    this.stop()
    for (const q of [this.controlOut, this.dataOut]) {
      for (const item of q.drain()) {
        if (item.done) continue
        item.done = true
        if (item.signal !== null && item.onAbort !== null) item.signal.removeEventListener('abort', item.onAbort)
        item.reject?.(err)
      }
    }
  }
}
