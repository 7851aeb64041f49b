/**
 * Memory sampling for the slow-subscriber and soak tests: the heap measured
 * after a forced full GC (so the samples are the live set, not the garbage
 * of the moment) and the RSS, at a fixed period, with least-squares slopes.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { slope } from './results.js'

setFlagsFromString('--expose-gc')
/** A full, synchronous GC (available without starting node with --expose-gc). */
export const forceGc = runInNewContext('gc') as () => void

export interface MemorySummary {
  samples: number
  /** bytes per second, least squares */
  heapSlope: number
  rssSlope: number
  heapFirst: number
  heapLast: number
  heapMax: number
  rssFirst: number
  rssLast: number
  rssMax: number
}

export class MemorySampler {
  private readonly t: number[] = []
  private readonly heap: number[] = []
  private readonly rss: number[] = []
  private timer: NodeJS.Timeout | null = null
  private readonly t0 = performance.now()

  /** Samples now, and every `periodMs` until stop(); `onSample` runs after each (checks). */
  start(periodMs: number, onSample: () => void = () => undefined): this {
    const take = (): void => {
      forceGc()
      const m = process.memoryUsage()
      this.t.push((performance.now() - this.t0) / 1000)
      this.heap.push(m.heapUsed)
      this.rss.push(m.rss)
      onSample()
    }
    take()
    this.timer = setInterval(take, periodMs)
    return this
  }

  stop(): MemorySummary {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    return this.summary()
  }

  /** Summary over the samples after the first `skip` (warm-up). */
  summary(skip = 0): MemorySummary {
    const t = this.t.slice(skip)
    const h = this.heap.slice(skip)
    const r = this.rss.slice(skip)
    return {
      samples: t.length,
      heapSlope: slope(t, h),
      rssSlope: slope(t, r),
      heapFirst: h[0] ?? 0,
      heapLast: h.at(-1) ?? 0,
      heapMax: Math.max(...h),
      rssFirst: r[0] ?? 0,
      rssLast: r.at(-1) ?? 0,
      rssMax: Math.max(...r),
    }
  }
}

export const MB = 1024 * 1024
export const kb = (bytes: number): number => Math.round(bytes / 1024)
