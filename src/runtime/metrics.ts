/**
 * Prometheus metrics (prom-client) at http://127.0.0.1:9464/metrics by
 * default. Components keep plain counters and expose `stats()` snapshots
 * (house style 2.11); this exporter reads them at scrape time through
 * collect() callbacks, so the hot path never touches prom-client.
 *
 * Process health: GC pauses (perf_hooks 'gc' entries), event-loop delay
 * (monitorEventLoopDelay) and utilization, plus prom-client's default
 * process metrics.
 */
import http from 'node:http'
import { PerformanceObserver, monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export type LabelValues = Record<string, string>
/** A sample source read at scrape time: one value, or labelled values. */
export type Sampler = () => number | Array<[LabelValues, number]>

export interface MetricsOptions {
  host: string
  port: number
  prefix?: string
}

const QUANTILES = [0.5, 0.9, 0.99, 0.999]

export class Metrics {
  readonly registry = new Registry()
  private readonly prefix: string
  private server: http.Server | null = null
  private gcObserver: PerformanceObserver | null = null
  private loopDelay: IntervalHistogram | null = null
  private lastElu: EventLoopUtilization | null = null
  private readonly gcPauses: Histogram<'kind'>

  constructor(prefix = 'tickflow_') {
    this.prefix = prefix
    collectDefaultMetrics({ register: this.registry, prefix })
    this.gcPauses = new Histogram({
      name: `${prefix}gc_pause_seconds`,
      help: 'Garbage collection pauses by kind',
      labelNames: ['kind'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [this.registry],
    })
  }

  /** A gauge whose value(s) are read from `sample` at every scrape. */
  gauge(name: string, help: string, sample: Sampler, labelNames: string[] = []): void {
    new Gauge({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        const v = sample()
        if (typeof v === 'number') this.set(v)
        else {
          this.reset()
          for (const [labels, value] of v) this.set(labels, value)
        }
      },
    })
  }

  /**
   * A counter mirrored from a component's monotonically increasing field(s).
   * prom-client counters only go up, so the difference since the last scrape is added.
   */
  counter(name: string, help: string, sample: Sampler, labelNames: string[] = []): void {
    const last = new Map<string, number>()
    new Counter({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        const v = sample()
        const rows: Array<[LabelValues, number]> = typeof v === 'number' ? [[{}, v]] : v
        for (const [labels, value] of rows) {
          const key = JSON.stringify(labels)
          const prev = last.get(key) ?? 0
          if (value > prev) this.inc(labels, value - prev)
          last.set(key, Math.max(prev, value))
        }
      },
    })
  }

  /** Exposes a perf_hooks histogram (values in µs) as quantile gauges in seconds. */
  latency(name: string, help: string, histograms: () => Array<[LabelValues, RecordableHistogram]>, labelNames: string[]): void {
    this.gauge(
      `${name}_seconds`,
      `${help} (quantiles over the last scrape interval)`,
      () => {
        const out: Array<[LabelValues, number]> = []
        for (const [labels, h] of histograms()) {
          if (h.count === 0) continue
          for (const q of QUANTILES) out.push([{ ...labels, quantile: String(q) }, h.percentile(q * 100) / 1e6])
          h.reset()
        }
        return out
      },
      [...labelNames, 'quantile'],
    )
  }

  /** GC pauses, event-loop delay and utilization. */
  startProcessMonitors(): void {
    if (this.gcObserver !== null) return
    const kinds: Record<number, string> = { 1: 'scavenge', 2: 'mark-sweep-compact', 4: 'incremental', 8: 'weak-callbacks', 15: 'all' }
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const detail = (e as unknown as { detail?: { kind?: number } }).detail
        this.gcPauses.observe({ kind: kinds[detail?.kind ?? 0] ?? 'other' }, e.duration / 1000)
      }
    })
    this.gcObserver.observe({ entryTypes: ['gc'] })
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    this.loopDelay = delay
    this.gauge(
      'event_loop_delay_seconds',
      'Event-loop delay quantiles since the last scrape',
      () => {
        const out: Array<[LabelValues, number]> = []
        if (delay.count === 0) return out
        for (const q of QUANTILES) out.push([{ quantile: String(q) }, delay.percentile(q * 100) / 1e9])
        out.push([{ quantile: 'max' }, delay.max / 1e9])
        delay.reset()
        return out
      },
      ['quantile'],
    )
    this.lastElu = performance.eventLoopUtilization()
    this.gauge('event_loop_utilization', 'Event-loop utilization (0..1) since the last scrape', () => {
      const now = performance.eventLoopUtilization()
      const d = performance.eventLoopUtilization(now, this.lastElu ?? undefined)
      this.lastElu = now
      return d.utilization
    })
  }

  /** Serves /metrics; resolves with the bound port. */
  async listen(options: MetricsOptions): Promise<number> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
        return
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      )
    })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const addr = server.address()
    return typeof addr === 'object' && addr !== null ? addr.port : options.port
  }

  async close(): Promise<void> {
    this.gcObserver?.disconnect()
    this.gcObserver = null
    this.loopDelay?.disable()
    this.loopDelay = null
    const s = this.server
    this.server = null
    if (s !== null) {
      s.closeAllConnections()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    }
  }
}
