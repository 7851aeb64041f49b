/**
 * The measuring side of every peers-benchmark client process, identical for
 * all of them (tickflow's and the peers' .mjs scripts import this compiled
 * module), so the only thing that differs between clients is the client.
 *
 * A client process connects and subscribes, then calls `meter.ready()`. Per
 * trade handed to user code it calls `meter.tick()`; when that returns true
 * (a sampled message) it reads the server's send stamp (CLOCK_MONOTONIC µs,
 * from the trade's parsed E/T) and calls `meter.record(stampUs)`. The runner
 * drives the phases over IPC:
 *
 *   runner → { cmd: 'await', total, timeoutMs }  → { type: 'reached', received }   (warm-up done)
 *   runner → { cmd: 'start', endAt, sampleMask } → { type: 'started' }             (window opens)
 *   client → { type: 'result', … }  when `received` reaches endAt, or on { cmd: 'stop' }
 *   runner → { cmd: 'progress' }                 → { type: 'progress', received }
 *   runner → { cmd: 'exit' }                     → the client's close hook, then exit
 *
 * Window figures: CPU (process.cpuUsage, user + system, this process only,
 * GC helper threads included), wall time from start to the last message,
 * RSS at the end and the process's peak RSS, heap bytes allocated and GCs
 * (v8.GCProfiler, node-performance.md §1), and one-way latency
 * (perf_hooks.createHistogram, µs): process.hrtime.bigint() / 1000 at the
 * moment the trade reaches user code minus the stamp. Both processes read
 * CLOCK_MONOTONIC, so the difference is a one-way latency on this host.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import v8 from 'node:v8'

export interface ClientResult {
  type: 'result'
  client: string
  expected: number
  received: number
  cpuUs: number
  /** of cpuUs: user and system (kernel) time */
  userUs: number
  sysUs: number
  wallMs: number
  rssMiB: number
  maxRssMiB: number
  allocBytes: number
  gcCount: number
  gcMs: number
  latency: LatencySummary
  extra: Record<string, number | string | boolean>
}

export interface LatencySummary {
  samples: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
}

interface GcStat {
  cost: number
  beforeGC: { heapStatistics: { usedHeapSize: number } }
  afterGC: { heapStatistics: { usedHeapSize: number } }
}

type Cmd =
  | { cmd: 'await'; total: number; timeoutMs: number }
  | { cmd: 'start'; endAt: number; sampleMask: number }
  | { cmd: 'stop' }
  | { cmd: 'progress' }
  | { cmd: 'exit' }

export function summarize(h: RecordableHistogram): LatencySummary {
  if (h.count === 0) return { samples: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN }
  return {
    samples: h.count,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
    p999: h.percentile(99.9),
    max: h.max,
    mean: Math.round(h.mean * 10) / 10,
  }
}

export class ClientMeter {
  readonly client: string
  /** trades handed to user code since the process started */
  received = 0
  /** the window ends when `received` reaches this */
  private endAt = Number.MAX_SAFE_INTEGER
  private startCount = 0
  private mask = -1
  private measuring = false
  private finishing = false
  private hist: RecordableHistogram = createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 })
  private cpu0: NodeJS.CpuUsage = { user: 0, system: 0 }
  private t0 = 0n
  private tLast = 0n
  private used0 = 0
  private prof: v8.GCProfiler | null = null
  private awaitTotal = 0
  private awaitTimer: NodeJS.Timeout | null = null
  private readonly finishBound: () => void
  /** per-client extra figures, read when the window closes */
  extra: () => Record<string, number | string | boolean> = () => ({})
  /** window opened (e.g. tickflow resets its in-process histogram) */
  onStart: () => void = () => undefined
  /** called on { cmd: 'exit' } before the process exits (close sockets) */
  onExit: () => Promise<void> | void = () => undefined

  constructor(client: string) {
    this.client = client
    this.finishBound = () => this.finish()
    process.on('message', (m: Cmd) => this.onCmd(m))
    process.on('disconnect', () => process.exit(0))
  }

  /** The client has connected and asked for its subscription. */
  ready(): void {
    process.send?.({ type: 'ready' })
  }

  /**
   * One trade handed to user code. Returns true when this one is sampled for
   * latency (the caller then reads its stamp and calls record()).
   */
  tick(): boolean {
    const n = ++this.received
    if (n >= this.awaitTotal && this.awaitTimer !== null) this.reached()
    if (!this.measuring) return false
    if (n >= this.endAt && !this.finishing) {
      this.finishing = true
      this.tLast = process.hrtime.bigint()
      setImmediate(this.finishBound)
    }
    return (n & this.mask) === 0
  }

  /** Records the one-way latency of a sampled trade whose server stamp is `stampUs` (CLOCK_MONOTONIC µs). */
  record(stampUs: number): void {
    const lat = Number(process.hrtime.bigint() / 1000n) - stampUs
    this.hist.record(lat >= 1 ? Math.round(lat) : 1)
  }

  private onCmd(m: Cmd): void {
    switch (m.cmd) {
      case 'await':
        this.awaitTotal = m.total
        this.awaitTimer = setTimeout(() => this.reached(), m.timeoutMs)
        if (this.received >= m.total) this.reached()
        return
      case 'start':
        this.start(m.endAt, m.sampleMask)
        return
      case 'stop':
        if (this.measuring && !this.finishing) {
          this.finishing = true
          this.finish()
        }
        return
      case 'progress':
        process.send?.({ type: 'progress', received: this.received })
        return
      case 'exit':
        void Promise.race([Promise.resolve(this.onExit()), new Promise((r) => setTimeout(r, 2000))]).finally(() => process.exit(0))
        return
    }
  }

  private reached(): void {
    if (this.awaitTimer === null) return
    clearTimeout(this.awaitTimer)
    this.awaitTimer = null
    process.send?.({ type: 'reached', received: this.received })
  }

  private start(endAt: number, sampleMask: number): void {
    this.hist.reset()
    this.onStart()
    this.mask = sampleMask
    this.startCount = this.received
    this.endAt = endAt
    this.finishing = false
    ;(globalThis as { gc?: () => void }).gc?.()
    this.used0 = v8.getHeapStatistics().used_heap_size
    this.prof = new v8.GCProfiler()
    this.prof.start()
    this.measuring = true
    this.cpu0 = process.cpuUsage()
    this.t0 = process.hrtime.bigint()
    this.tLast = this.t0
    process.send?.({ type: 'started' })
  }

  private finish(): void {
    if (!this.measuring) return
    const cpu = process.cpuUsage(this.cpu0)
    this.measuring = false
    if (this.tLast === this.t0) this.tLast = process.hrtime.bigint()
    const data = this.prof!.stop() as unknown as { statistics: GcStat[] }
    const usedEnd = v8.getHeapStatistics().used_heap_size
    let allocated = 0
    let prevAfter = this.used0
    let gcUs = 0
    for (const s of data.statistics) {
      allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - prevAfter)
      prevAfter = s.afterGC.heapStatistics.usedHeapSize
      gcUs += s.cost
    }
    allocated += Math.max(0, usedEnd - prevAfter)
    const received = Math.min(this.received, this.endAt) - this.startCount
    const res: ClientResult = {
      type: 'result',
      client: this.client,
      expected: this.endAt - this.startCount,
      received,
      cpuUs: cpu.user + cpu.system,
      userUs: cpu.user,
      sysUs: cpu.system,
      wallMs: Number(this.tLast - this.t0) / 1e6,
      rssMiB: process.memoryUsage.rss() / 2 ** 20,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      allocBytes: allocated,
      gcCount: data.statistics.length,
      gcMs: gcUs / 1000,
      latency: summarize(this.hist),
      extra: this.extra(),
    }
    process.send?.(res)
  }
}

/**
 * For the count-only floor, which never parses: the value of `"E":` in a
 * Binance trade frame, read from the bytes (only for sampled frames).
 */
export function stampFromBytes(buf: Uint8Array): number {
  const n = buf.length
  for (let i = 0; i + 4 < n; i++) {
    if (buf[i] === 0x22 && buf[i + 1] === 0x45 && buf[i + 2] === 0x22 && buf[i + 3] === 0x3a) {
      let v = 0
      for (let j = i + 4; j < n; j++) {
        const c = buf[j]!
        if (c < 0x30 || c > 0x39) break
        v = v * 10 + (c - 0x30)
      }
      return v
    }
  }
  return 0
}
