/**
 * WsFrame: one received WebSocket message (pooled type 1 of 6).
 *
 * Ownership: a reading connection leases one frame from the pool while it is
 * open, refills it for every message and calls the per-frame callback
 * synchronously; the frame and its bytes are valid only during that callback
 * (its bytes are dropped right after it returns). The frame goes back to the
 * pool when the connection closes.
 *
 * The message is `buf[start, end)`: with the raw transport `buf` is the whole
 * socket chunk and no Buffer is made per message (the hot-path consumers, e.g.
 * the Binance feed, read buf/start/end). `data` is the same bytes as a Buffer
 * view of their own, made on first access (one small allocation) and kept
 * until the frame is reset; setting `data` sets buf/start/end.
 */
import { PooledObject } from '../core/pool.js'

export class WsFrame extends PooledObject {
  /** Connection that received it (integer id). */
  connId = 0
  /** The buffer holding the message: buf[start, end). A view of the socket's bytes, never a copy. */
  buf: Buffer | null = null
  start = 0
  end = 0
  /** true for binary frames, false for text */
  isBinary = false
  /** Local receive time, epoch µs. */
  recvTsUs = 0
  /** Per-connection frame sequence (1, 2, …). */
  frameSeq = 0
  /** the view behind `data` once made (null until then) */
  private view: Buffer | null = null

  /** The message as a Buffer view of its own (made on first access). Valid during the callback only. */
  get data(): Buffer | null {
    if (this.view === null && this.buf !== null) {
      const b = this.buf
      this.view = this.start === 0 && this.end === b.length ? b : b.subarray(this.start, this.end)
    }
    return this.view
  }

  set data(d: Buffer | null) {
    this.view = d
    this.buf = d
    this.start = 0
    this.end = d === null ? 0 : d.length
  }

  /** Points the frame at buf[start, end) (the transport's hot path: no allocation). */
  setView(buf: Buffer, start: number, end: number): void {
    this.buf = buf
    this.start = start
    this.end = end
    this.view = null
  }

  /** Drops the references to the message's bytes (the transport, after the callback). */
  unview(): void {
    this.buf = null
    this.view = null
  }

  /** Length of the message in bytes. */
  get length(): number {
    return this.end - this.start
  }

  reset(): void {
    this.connId = 0
    this.buf = null
    this.start = 0
    this.end = 0
    this.isBinary = false
    this.recvTsUs = 0
    this.frameSeq = 0
    this.view = null
  }

  copyFrom(o: WsFrame): this {
    this.connId = o.connId
    // A copy must not share the socket's buffer (cold path: the whole buffer is copied).
    this.buf = o.buf === null ? null : Buffer.from(o.buf)
    this.start = o.start
    this.end = o.end
    this.view = o.view === null ? null : Buffer.from(o.view)
    this.isBinary = o.isBinary
    this.recvTsUs = o.recvTsUs
    this.frameSeq = o.frameSeq
    return this
  }

  clone(): WsFrame {
    return new WsFrame().copyFrom(this)
  }
}
