/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): the n-th delay is uniform in [0, min(maxMs, baseMs·2^n)].
 * Full jitter spreads the reconnects of many clients (Binance allows 300
 * connection attempts per 5 minutes per IP), where equal jitter would keep
 * them in lock-step.
 *
 * Cold path (one call per reconnect attempt).
 */

export interface BackoffOptions {
  /** First ceiling in ms. Default 250. */
  initialMs?: number
  /** Largest ceiling in ms. Default 30000. */
  maxMs?: number
  /** Growth factor per attempt. Default 2. */
  factor?: number
  /** Source of randomness in [0, 1); tests pass a fixed one. Default Math.random. */
  random?: () => number
}

/** Backoff state for one reconnecting component. */
export class Backoff {
  readonly initialMs: number
  readonly maxMs: number
  readonly factor: number
  private readonly random: () => number
  private attemptCount = 0

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250
    this.maxMs = options.maxMs ?? 30_000
    this.factor = options.factor ?? 2
    this.random = options.random ?? Math.random
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs) || !(this.factor >= 1)) {
      throw new RangeError(`Backoff: need 0 < initialMs <= maxMs and factor >= 1, got ${this.initialMs}, ${this.maxMs}, ${this.factor}`)
    }
  }

  /** The ceiling of the next delay, without jitter (ms). */
  ceilingMs(): number {
    return Math.min(this.maxMs, this.initialMs * this.factor ** this.attemptCount)
  }

  /** The next delay in ms (full jitter) and counts the attempt. */
  next(): number {
    const ceiling = this.ceilingMs()
    this.attemptCount++
    return Math.floor(this.random() * ceiling)
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attemptCount
  }

  /** Back to the first delay (call once a connection has proven stable). */
  reset(): void {
    this.attemptCount = 0
  }
}
