/**
 * What the engine exports to Prometheus. Everything is read from component
 * snapshots at scrape time (cold path); nothing here runs per event.
 */
import type { Engine } from './engine.js'
import type { LabelValues, Metrics } from './metrics.js'

type Rows = Array<[LabelValues, number]>

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

export function registerEngineMetrics(m: Metrics, engine: Engine): void {
  const feeds = (): Array<{ venue: string; s: Record<string, unknown> }> =>
    engine.venues.map((v) => ({ venue: v.config.name, s: v.feed.stats() as unknown as Record<string, unknown> }))

  m.counter(
    'events_total',
    'Canonical market events produced, by venue and kind',
    () => {
      const rows: Rows = []
      for (const { venue, s } of feeds()) for (const [kind, n] of Object.entries((s.events as Record<string, number>) ?? {})) rows.push([{ venue, kind }, n])
      return rows
    },
    ['venue', 'kind'],
  )
  m.counter('frames_total', 'WebSocket frames received, by venue', () => feeds().map(({ venue, s }) => [{ venue }, num(s.frames)]), ['venue'])
  m.counter(
    'decode_errors_total',
    'Frames that failed to decode, by venue and status',
    () => {
      const rows: Rows = []
      for (const { venue, s } of feeds()) for (const [status, n] of Object.entries((s.decodeErrorsByStatus as Record<string, number>) ?? {})) rows.push([{ venue, status }, n])
      return rows
    },
    ['venue', 'status'],
  )
  m.counter('market_drops_total', 'Market events dropped because a pool was empty, by venue', () => feeds().map(({ venue, s }) => [{ venue }, num(s.droppedTotal)]), ['venue'])
  m.counter('reconnects_total', 'WebSocket reconnects, by venue', () => feeds().map(({ venue, s }) => [{ venue }, num(s.reconnects)]), ['venue'])
  m.counter(
    'book_resyncs_total',
    'Order-book resyncs after a gap, by venue and symbol',
    () => {
      const rows: Rows = []
      for (const { venue, s } of feeds()) {
        for (const [symbol, st] of Object.entries((s.symbols as Record<string, { book: { resyncs: number; gaps: number } | null }>) ?? {})) {
          if (st.book !== null) rows.push([{ venue, symbol }, st.book.resyncs])
        }
      }
      return rows
    },
    ['venue', 'symbol'],
  )
  m.counter(
    'book_gaps_total',
    'Sequence gaps detected, by venue and symbol',
    () => {
      const rows: Rows = []
      for (const { venue, s } of feeds()) {
        for (const [symbol, st] of Object.entries((s.symbols as Record<string, { book: { gaps: number } | null }>) ?? {})) {
          if (st.book !== null) rows.push([{ venue, symbol }, st.book.gaps])
        }
      }
      return rows
    },
    ['venue', 'symbol'],
  )

  m.latency(
    'pipeline_latency',
    'In-process pipeline latency per stage (sampled 1 in 8 events)',
    () => engine.latency.metrics.entries().map(([stage, h]) => [{ stage }, h]),
    ['stage'],
  )

  const pools = (): Array<Record<string, unknown>> => engine.pools.manager.stats() as unknown as Array<Record<string, unknown>>
  m.gauge('pool_leased', 'Pooled objects lent out, by pool', () => pools().map((p) => [{ pool: String(p.name) }, num(p.leased)]), ['pool'])
  m.gauge('pool_capacity', 'Pool capacity, by pool', () => pools().map((p) => [{ pool: String(p.name) }, num(p.capacity)]), ['pool'])
  m.gauge('pool_high_water', 'Most objects ever lent at once, by pool', () => pools().map((p) => [{ pool: String(p.name) }, num(p.highWater)]), ['pool'])
  m.counter('pool_exhausted_total', 'tryAcquire calls that found the pool empty, by pool', () => pools().map((p) => [{ pool: String(p.name) }, num(p.exhausted)]), ['pool'])

  m.counter('merger_published_total', 'Events published by the merger', () => engine.merger.stats().published)
  m.counter('merger_dropped_total', 'Events the merger dropped (MergedEvent pool empty)', () => engine.merger.stats().dropped)
  m.counter('merger_late_total', 'Events later than the event-time watermark', () => engine.merger.stats().late)
  m.counter('bbo_changes_total', 'Consolidated BBO changes emitted', () => engine.merger.stats().bboEmitted)

  const subs = (): Array<Record<string, unknown>> => engine.dispatcher.stats().subscribers as unknown as Array<Record<string, unknown>>
  m.gauge('queue_depth', 'Subscriber queue depth, by subscriber', () => subs().map((s) => [{ subscriber: String(s.name) }, num(s.depth)]), ['subscriber'])
  m.counter('delivered_total', 'Events delivered, by subscriber', () => subs().map((s) => [{ subscriber: String(s.name) }, num(s.delivered)]), ['subscriber'])
  m.counter('dropped_total', 'Events dropped by a subscriber queue policy, by subscriber', () => subs().map((s) => [{ subscriber: String(s.name) }, num(s.dropped)]), ['subscriber'])
  m.counter('conflated_total', 'Events conflated by a subscriber queue policy, by subscriber', () => subs().map((s) => [{ subscriber: String(s.name) }, num(s.conflated)]), ['subscriber'])
  m.gauge('backpressure_paused', '1 while a blocking subscriber holds the venue sockets paused', () => (engine.dispatcher.stats().paused ? 1 : 0))

  m.counter('orders_submitted_total', 'Orders sent to a venue', () => num(engine.router?.counters.submitted))
  m.counter('orders_denied_total', 'Orders denied by risk checks', () => num(engine.router?.counters.denied))
  m.counter('fills_total', 'Fills received', () => num(engine.router?.counters.fills))
  m.counter('unknown_outcomes_total', 'Order sends whose outcome was unknown (resolved by query)', () => num(engine.router?.counters.unknownOutcomes))
  m.gauge('working_orders', 'Orders working at the venues', () => num(engine.router?.stats().workingOrders))

  m.gauge(
    'strategy_metric',
    "Strategies' own counters and gauges",
    () => {
      const rows: Rows = []
      for (const s of engine.strategies) for (const sample of s.ctx.metrics.snapshot()) rows.push([{ strategy: s.name, metric: sample.name }, sample.value])
      return rows
    },
    ['strategy', 'metric'],
  )
  m.counter(
    'strategy_errors_total',
    'Exceptions thrown by strategy callbacks (caught; the engine keeps running)',
    () => engine.strategies.map((s) => [{ strategy: s.name }, s.host.stats().throws]),
    ['strategy'],
  )
}
