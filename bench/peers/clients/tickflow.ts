/**
 * tickflow: the full engine path, exactly as `tickflow run` composes it
 * (createEngine from src/runtime/engine.ts): frame → ManagedWs → BinanceDecoder
 * → trade-gap check → normalize → merger (global seq) → dispatcher (the
 * engine's latency probe + this strategy, sync) → strategy onTrade. The venue
 * is a `binance-spot` venue whose wsUrl/restUrl point at the simulator, with
 * trading off (no order path), streams ['trade'] only.
 *
 * The strategy's onTrade is the "user code": it ticks the meter and, for a
 * sampled trade, records (a) the one-way latency from the simulator's
 * CLOCK_MONOTONIC send stamp (the trade's E; the venue runs in ms, so
 * tsEventUs = E × 1000 and the stamp is tsEventUs / 1000, exact) and (b) the
 * in-process pipeline latency, frame received → this callback (epochUs() −
 * tsRecvUs), into a second histogram.
 *
 * TICKFLOW_UNPOOLED=WsFrame,ProviderRaw,… switches pooling off for those
 * types (src/runtime/pools.ts rollout switches): the pooled-vs-unpooled runs.
 */
import { createHistogram } from 'node:perf_hooks'
import { epochUs } from '../../../src/core/clock.js'
import type { ReadonlyCanonicalEvent } from '../../../src/model/events.js'
import { createEngine } from '../../../src/runtime/engine.js'
import { DEFAULT_POOLS, POOLED_TYPES, type PoolsConfig, type PooledTypeName } from '../../../src/runtime/pools.js'
import type { Strategy } from '../../../src/strategy/strategy.js'
import { ClientMeter, summarize } from '../client-protocol.js'

const unpooled = (process.env.TICKFLOW_UNPOOLED ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
for (const t of unpooled) {
  if (!(POOLED_TYPES as readonly string[]).includes(t)) throw new Error(`TICKFLOW_UNPOOLED: unknown type ${t} (one of ${POOLED_TYPES.join(', ')})`)
}
const pools = structuredClone(DEFAULT_POOLS) as PoolsConfig
for (const t of unpooled) pools[t as PooledTypeName].pooled = false

const meter = new ClientMeter(unpooled.length === 0 ? 'tickflow' : `tickflow-unpooled-${unpooled.join('+')}`)
const pipeline = createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 })

class BenchStrategy implements Strategy {
  name = 'bench'
  trades = 0
  onTrade(ev: ReadonlyCanonicalEvent): void {
    this.trades++
    if (meter.tick()) {
      meter.record(ev.tsEventUs / 1000)
      const us = epochUs() - ev.tsRecvUs
      pipeline.record(us >= 1 ? us : 1)
    }
  }
}
const strategy = new BenchStrategy()

const engine = createEngine(
  {
    venues: [
      {
        name: 'binance',
        type: 'binance-spot',
        wsUrl: process.env.SIM_WS,
        restUrl: process.env.SIM_REST,
        symbols: ['BTCUSDT'],
        streams: ['trade'],
        trading: false,
      },
    ],
    pools,
  },
  { strategies: [{ name: 'bench', strategy }] },
)

meter.onStart = () => pipeline.reset()
meter.extra = () => {
  const p = summarize(pipeline)
  const stats = engine.pools.manager.stats() as unknown as Array<{ name: string; exhausted?: number }> | Record<string, unknown>
  const out: Record<string, number | string | boolean> = {
    pipelineP50Us: p.p50,
    pipelineP90Us: p.p90,
    pipelineP99Us: p.p99,
    pipelineP999Us: p.p999,
    pipelineMaxUs: p.max,
    unpooled: unpooled.join('+'),
  }
  if (Array.isArray(stats)) for (const s of stats) if (typeof s.exhausted === 'number') out[`${s.name}Exhausted`] = s.exhausted
  return out
}
meter.onExit = async () => {
  await engine.close()
}
await engine.start()
meter.ready()
