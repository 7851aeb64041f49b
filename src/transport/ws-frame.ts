/**
 * WsFrame: one received WebSocket message (pooled type 1 of 6).
 *
 * Ownership: the transport acquires a frame, fills it and calls the
 * per-frame callback synchronously; the frame and its `data` view are valid
 * only during that callback and are released right after it returns.
 */
import { PooledObject } from '../core/pool.js'

export class WsFrame extends PooledObject {
  /** Connection that received it (integer id). */
  connId = 0
  /** The frame's payload: a view into the socket's buffer, never a copy. Valid during the callback only. */
  data: Buffer | null = null
  /** true for binary frames, false for text */
  isBinary = false
  /** Local receive time, epoch µs. */
  recvTsUs = 0
  /** Per-connection frame sequence (1, 2, …). */
  frameSeq = 0

  reset(): void {
    this.connId = 0
    this.data = null
    this.isBinary = false
    this.recvTsUs = 0
    this.frameSeq = 0
  }

  copyFrom(o: WsFrame): this {
    this.connId = o.connId
    // A copy must not share the socket's buffer.
    this.data = o.data === null ? null : Buffer.from(o.data)
    this.isBinary = o.isBinary
    this.recvTsUs = o.recvTsUs
    this.frameSeq = o.frameSeq
    return this
  }

  clone(): WsFrame {
    return new WsFrame().copyFrom(this)
  }
}
