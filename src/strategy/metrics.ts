/**
 * A strategy's own metrics: counters and gauges as plain numeric fields (house
 * style 2.11), created once (in onStart) and updated inline on the hot path.
 * The runtime reads `snapshot()` at scrape time and exports each metric with
 * a `strategy` label; nothing here knows about Prometheus.
 */
import { ErrorCode, TickflowError } from '../core/errors.js'

const NAME = /^[a-z_][a-z0-9_]{0,63}$/

export class MetricCounter {
  readonly name: string
  readonly help: string
  value = 0
  constructor(name: string, help: string) {
    this.name = name
    this.help = help
  }
  /** Adds `n` (default 1; must be >= 0 — counters only go up). */
  inc(n = 1): void {
    if (n > 0) this.value += n
  }
}

export class MetricGauge {
  readonly name: string
  readonly help: string
  value = 0
  constructor(name: string, help: string) {
    this.name = name
    this.help = help
  }
  set(v: number): void {
    this.value = v
  }
  add(d: number): void {
    this.value += d
  }
}

export interface MetricSample {
  name: string
  type: 'counter' | 'gauge'
  help: string
  value: number
}

/** The registry scoped to one strategy. Names: lower snake case, unique per strategy. */
export class StrategyMetrics {
  readonly strategyName: string
  private readonly counters = new Map<string, MetricCounter>()
  private readonly gauges = new Map<string, MetricGauge>()

  constructor(strategyName: string) {
    this.strategyName = strategyName
  }

  /** The counter `name` (created on first call; later calls return the same object). */
  counter(name: string, help = ''): MetricCounter {
    let c = this.counters.get(name)
    if (c === undefined) {
      this.checkName(name, 'counter')
      c = new MetricCounter(name, help)
      this.counters.set(name, c)
    }
    return c
  }

  /** The gauge `name` (created on first call; later calls return the same object). */
  gauge(name: string, help = ''): MetricGauge {
    let g = this.gauges.get(name)
    if (g === undefined) {
      this.checkName(name, 'gauge')
      g = new MetricGauge(name, help)
      this.gauges.set(name, g)
    }
    return g
  }

  private checkName(name: string, kind: string): void {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `strategy ${this.strategyName}: ${kind} name "${String(name)}" must match ${NAME.source}`)
    }
    if (this.counters.has(name) || this.gauges.has(name)) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `strategy ${this.strategyName}: metric "${name}" already exists as another type`)
    }
  }

  snapshot(): MetricSample[] {
    const out: MetricSample[] = []
    for (const c of this.counters.values()) out.push({ name: c.name, type: 'counter', help: c.help, value: c.value })
    for (const g of this.gauges.values()) out.push({ name: g.name, type: 'gauge', help: g.help, value: g.value })
    return out
  }
}
