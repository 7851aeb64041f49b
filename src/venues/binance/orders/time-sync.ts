/**
 * Server-time offset tracking (protocol §4.2 "Timing security", §9.9).
 *
 * Binance rejects a request whose `timestamp` is 1000 ms or more ahead of its
 * clock, or older than `recvWindow` (-1021). We sample GET /api/v3/time,
 * estimate offset = serverTime − (t0 + t1) / 2 from the sample with the
 * smallest round trip, and stamp requests with local time + offset − a small
 * safety margin (so a stamp is never ahead of the server by the RTT error).
 */
import { epochMs } from '../../../core/clock.js'

export class ServerTime {
  /** server − local, ms */
  private offsetMs = 0
  private bestRttMs = Infinity
  private synced = false
  /** ms subtracted from every stamp (half the best RTT bounds the error; default 0 + that) */
  private readonly marginMs: number
  samples = 0

  constructor(marginMs = 0) {
    this.marginMs = marginMs
  }

  /**
   * Records one sample: `t0`/`t1` local epoch ms before/after the request,
   * `serverMs` the server's time. Keeps the lowest-RTT estimate; `reset`
   * starts a new series (periodic resync, or after a -1021).
   */
  addSample(t0: number, t1: number, serverMs: number, reset = false): void {
    const rtt = t1 - t0
    if (reset) this.bestRttMs = Infinity
    this.samples++
    if (rtt <= this.bestRttMs) {
      this.bestRttMs = rtt
      this.offsetMs = serverMs - (t0 + t1) / 2
      this.synced = true
    }
  }

  get isSynced(): boolean {
    return this.synced
  }

  get offset(): number {
    return this.offsetMs
  }

  /** The `timestamp` to send now (integer epoch ms on the server's clock). */
  timestamp(): number {
    const half = this.bestRttMs === Infinity ? 0 : this.bestRttMs / 2
    return Math.floor(epochMs() + this.offsetMs - half - this.marginMs)
  }
}
