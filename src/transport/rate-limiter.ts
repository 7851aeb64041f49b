/**
 * Outgoing message limiter: at most `limit` messages in ANY window of
 * `intervalMs` (a sliding log of the last `limit` send times).
 *
 * Why not a token bucket: a bucket of burst B refilled at r/s allows B + r·W
 * messages in a window of W seconds, e.g. 10 in one second for B = r = 5,
 * twice what Binance tolerates (5 incoming messages per second per
 * connection, pings, pongs and control messages included; over the limit the
 * connection is dropped and repeat offenders are banned: binance-protocol.md
 * §2.1). The sliding log is the exact form of "≤ limit per interval": the
 * (limit+1)-th message waits until the oldest of the last `limit` sends is
 * `intervalMs` old.
 *
 *   times (Float64Array, ring of `limit` slots, ms)
 *   [ t0 | t1 | t2 | t3 | t4 ]     head = the oldest send = the next slot to reuse
 *      ^head
 *   tryTake(now): times[head] + intervalMs <= now ? (times[head] = now, head++) : refuse
 *
 * No allocation per call; the caller owns the queue and the timer.
 */

export interface RateLimitOptions {
  /** Messages allowed per window. Binance Spot streams: 5; USD-M: 10. */
  limit: number
  /** Window length in ms. Default 1000. */
  intervalMs?: number
}

export class SlidingWindowLimiter {
  readonly limit: number
  readonly intervalMs: number
  private readonly times: Float64Array
  private head = 0
  /** messages let through */
  taken = 0
  /** tryTake calls refused (a message had to wait) */
  refused = 0

  constructor(options: RateLimitOptions) {
    const limit = options.limit
    const intervalMs = options.intervalMs ?? 1000
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`rate limit must be an integer >= 1, got ${limit}`)
    if (!(intervalMs > 0)) throw new RangeError(`rate limit interval must be > 0 ms, got ${intervalMs}`)
    this.limit = limit
    this.intervalMs = intervalMs
    this.times = new Float64Array(limit).fill(-Infinity)
  }

  /** Takes a slot at time `nowMs` (monotonic ms) if one is free. */
  tryTake(nowMs: number): boolean {
    const h = this.head
    if (this.times[h]! + this.intervalMs > nowMs) {
      this.refused++
      return false
    }
    this.times[h] = nowMs
    this.head = h + 1 === this.limit ? 0 : h + 1
    this.taken++
    return true
  }

  /** Milliseconds until `tryTake` can succeed (0 when it can now). */
  waitMs(nowMs: number): number {
    const w = this.times[this.head]! + this.intervalMs - nowMs
    return w > 0 ? w : 0
  }
}
