/**
 * Per-subscriber delivery lag (now − tsRecvUs of the event, µs) in a
 * preallocated log2 histogram: bucket 0 holds lags below 1 µs, bucket i holds
 * [2^(i−1), 2^i) µs, the last bucket everything from ~18 minutes up. Recording
 * is one `Math.clz32` and one typed-array increment: no allocation, no branch
 * on the value's size (house style 2.11: plain fields, snapshots on demand).
 * Percentiles are bucket upper bounds (within a factor of 2), enough to tell
 * a subscriber that keeps up (µs) from one that lags (ms, s).
 */

const BUCKETS = 32

export class LagHistogram {
  readonly counts: Float64Array = new Float64Array(BUCKETS)
  count = 0
  /** largest lag seen, µs */
  maxUs = 0
  /** sum of lags, µs (mean = sumUs / count) */
  sumUs = 0

  /** Records one lag in µs (negative values, from clock skew, count as 0). */
  record(lagUs: number): void {
    const v = lagUs > 0 ? lagUs : 0
    // v >>> 0 saturates nothing: lags beyond 2^32 µs (71 min) wrap, so clamp first.
    const i = v >= 2147483648 ? BUCKETS - 1 : 32 - Math.clz32(v >>> 0)
    this.counts[i < BUCKETS ? i : BUCKETS - 1]!++
    this.count++
    this.sumUs += v
    if (v > this.maxUs) this.maxUs = v
  }

  /** Upper bound (µs) of the bucket holding quantile `q` (0..1); 0 when empty. */
  quantileUs(q: number): number {
    if (this.count === 0) return 0
    const target = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= target) return i === 0 ? 1 : Math.min(2 ** i, Math.max(1, this.maxUs))
    }
    return this.maxUs
  }

  reset(): void {
    this.counts.fill(0)
    this.count = 0
    this.maxUs = 0
    this.sumUs = 0
  }
}
