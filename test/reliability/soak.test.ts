/**
 * Reliability: soak. "10 minutes" compressed: a busy Binance feed carries on
 * the order of 5,000 messages/s across a few symbols, so ten minutes is
 * ~3,000,000 messages. Here the engine (embedded simulator, the order-flow
 * strategy trading ~10 orders/s with fills, the journal on disk) takes
 * 3,000,000+ trade frames from the firehose paced at 100,000 msgs/s for 30 s
 * after a 5 s warm-up, plus the synthetic market's own streams.
 *
 * The heap is sampled every 500 ms after a forced full GC (the live set) and
 * the RSS alongside; the least-squares slopes must be about zero:
 *   heap ≤ 64 KiB/s: 0.66 B per message. A leak of one 16-byte object per
 *     message would be 1.5 MiB/s (24× the bound); per order (~10/s), the
 *     bound allows < 6.5 KiB per order kept, which the router's bounded
 *     retention of finished orders stays well under.
 *   RSS ≤ 512 KiB/s: looser, since RSS also holds socket buffers, malloc
 *     arenas and SQLite's page cache, which settle in steps.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createEngine, type Engine } from '../../src/runtime/engine.js'
import type { Simulator } from '../../src/sim/index.js'
import { eventually } from '../helpers/eventually.js'
import { kb, MB, MemorySampler } from './memory.js'
import { Results } from './results.js'
import OrderFlow from './strategies/order-flow.js'

const results = new Results('soak', 'Soak (compressed 10 minutes)', 6)
const RATE = 100_000
const WARMUP_MS = 5000
const MEASURE_MS = 30_000
const HEAP_SLOPE_BOUND = 64 * 1024
const RSS_SLOPE_BOUND = 512 * 1024

let dir: string
let engine: Engine
let sim: Simulator

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-soak-'))
  engine = createEngine(
    {
      venues: [{ name: 'sim', type: 'simulator', symbols: ['BTCUSDT', 'ETHUSDT'], streams: ['trade', 'bookTicker', 'depth'] }],
      risk: { ordersPerSecond: 50, maxOrderNotional: '1000000', maxPosition: { BTCUSDT: '100' } },
      journal: { path: path.join(dir, 'journal.sqlite') },
      metrics: { enabled: false },
    },
    { strategies: [{ name: 'flow', strategy: new OrderFlow({ venue: 'sim', symbol: 'BTCUSDT', everyMs: 100 }) }], poolDebug: false, simulator: { limits: { ordersPer10s: 100_000 } } },
  )
  await engine.start()
  sim = engine.venues[0]!.sim!
  await eventually(() => assert.ok(engine.pnl.fills >= 2), 15_000)
})

after(async () => {
  try {
    if (engine !== undefined) {
      const r = await engine.close()
      assert.deepEqual(r.pools.unreturned, {})
      assert.equal(r.clean, true, r.errors.join('; '))
    }
    results.write()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test(`soak: ${((RATE * MEASURE_MS) / 1000).toLocaleString('en')} msgs at ${RATE.toLocaleString('en')}/s with orders and fills: heap and RSS slopes about zero`, { timeout: 60_000 }, async () => {
  const total = Math.round((RATE * (WARMUP_MS + MEASURE_MS + 5000)) / 1000)
  const fh = sim.firehose({ stream: 'btcusdt@trade', count: total, rate: RATE })
  const t0 = performance.now()
  await eventually(() => assert.ok(performance.now() - t0 >= WARMUP_MS), WARMUP_MS + 1000, 100)
  const e0 = engine.eventsReceived
  const fills0 = engine.pnl.fills
  const orders0 = engine.router!.counters.submitted
  const sampler = new MemorySampler().start(500)
  const t1 = performance.now()
  await eventually(() => assert.ok(performance.now() - t1 >= MEASURE_MS), MEASURE_MS + 1000, 100)
  const mem = sampler.stop()
  const secs = (performance.now() - t1) / 1000
  const events = engine.eventsReceived - e0
  const fills = engine.pnl.fills - fills0
  const orders = engine.router!.counters.submitted - orders0
  sim.faults.rotateConnections({ path: '/stream' })
  await Promise.race([fh, new Promise((r) => setTimeout(r, 5000))])

  const st = engine.stats() as { merger: { dropped: number }; venues: Array<{ feed: { droppedTotal: number; decodeErrors: number } }> }
  assert.ok(events / secs >= RATE * 0.9, `held ${Math.round(events / secs)} events/s`)
  assert.equal(st.merger.dropped, 0, 'no event dropped for lack of pooled objects')
  assert.equal(st.venues[0]!.feed.droppedTotal, 0)
  assert.ok(fills > 10, `fills during the soak: ${fills}`)
  assert.ok(mem.heapSlope <= HEAP_SLOPE_BOUND, `heap slope ${kb(mem.heapSlope)} KiB/s`)
  assert.ok(mem.rssSlope <= RSS_SLOPE_BOUND, `RSS slope ${kb(mem.rssSlope)} KiB/s`)
  results.add({
    case: `${Math.round(events / 1000) / 1000}M events in ${Math.round(secs)} s (≈ 10 min at 5k msgs/s), orders and fills throughout`,
    outcome: `heap slope ${kb(mem.heapSlope)} KiB/s (bound ${kb(HEAP_SLOPE_BOUND)}), RSS slope ${kb(mem.rssSlope)} KiB/s (bound ${kb(RSS_SLOPE_BOUND)})`,
    figures: {
      'events/s held': Math.round(events / secs),
      'orders sent': orders,
      fills,
      'heap slope KiB/s': kb(mem.heapSlope),
      'heap MiB first→last (max)': `${(mem.heapFirst / MB).toFixed(1)}→${(mem.heapLast / MB).toFixed(1)} (${(mem.heapMax / MB).toFixed(1)})`,
      'RSS slope KiB/s': kb(mem.rssSlope),
      'RSS MiB first→last (max)': `${(mem.rssFirst / MB).toFixed(0)}→${(mem.rssLast / MB).toFixed(0)} (${(mem.rssMax / MB).toFixed(0)})`,
      samples: mem.samples,
      'events dropped': 0,
    },
    lost: 0,
  })
})
