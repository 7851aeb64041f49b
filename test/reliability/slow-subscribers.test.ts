/**
 * Reliability: slow subscribers. A running engine (embedded simulator) takes
 * the simulator's firehose on btcusdt@trade while one queued subscriber per
 * overflow policy consumes far slower than the feed produces. For each policy
 * the queue must hold its bound at every sample, the policy's counter must
 * move (pauses / dropped / conflated / disconnected), and the heap (after a
 * forced full GC) must stay flat: slope ≤ 1 MiB/s over the run — at the
 * ~0.5–1M events/s the engine takes here, a leak of even one small object
 * per event (≥ 16 B) would be ≥ 8 MiB/s.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { EventKind } from '../../src/model/events.js'
import type { OverflowPolicyName } from '../../src/pipeline/subscriber-queue.js'
import { createEngine, type Engine } from '../../src/runtime/engine.js'
import type { Simulator } from '../../src/sim/index.js'
import { eventually } from '../helpers/eventually.js'
import { kb, MB, MemorySampler } from './memory.js'
import { Results } from './results.js'

const results = new Results('slow-subscribers', 'Slow subscribers (memory flat, bounds held)', 5)
const CAPACITY = 1024
const PHASE_MS = 3000
const HEAP_SLOPE_BOUND = 1 * MB

let dir: string
let engine: Engine
let sim: Simulator

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-slow-'))
  engine = createEngine(
    {
      venues: [{ name: 'sim', type: 'simulator', symbols: ['BTCUSDT', 'ETHUSDT'], streams: ['trade', 'bookTicker', 'depth'], trading: false }],
      metrics: { enabled: false },
    },
    { poolDebug: false },
  )
  await engine.start()
  sim = engine.venues[0]!.sim!
  const btc = engine.registry.lookup('sim', 'BTCUSDT')
  await eventually(() => assert.ok(engine.book(btc) !== null), 10_000)
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

for (const policy of ['block', 'drop-oldest', 'conflate', 'disconnect'] as OverflowPolicyName[]) {
  test(`${policy}: the queue holds its bound and the heap stays flat under the firehose`, { timeout: 30_000 }, async () => {
    const d = engine.dispatcher
    const q = d.subscribeQueued({
      name: `slow-${policy}`,
      kinds: policy === 'conflate' ? [EventKind.Quote, EventKind.Trade, EventKind.Bbo] : [EventKind.Trade, EventKind.Quote],
      instruments: 'all',
      policy,
      capacity: CAPACITY,
    })
    // the feed is (re)connected and subscribed: the firehose has a target
    await eventually(() => assert.equal(sim.faults.select({ stream: 'btcusdt@trade' }).length, 1), 10_000)
    const stats = () => d.stats().subscribers.find((s) => s.name === `slow-${policy}`)!
    const e0 = engine.eventsReceived
    const pauses0 = d.stats().pauses
    let maxDepth = 0
    let consumed = 0
    // the consumer: 100 events every 5 ms (≤ 20k/s), far below the firehose
    const consumer = setInterval(() => {
      consumed += q.drain(() => undefined, 100)
    }, 5)
    const sampler = new MemorySampler().start(250, () => {
      const depth = stats().depth
      if (depth > maxDepth) maxDepth = depth
      assert.ok(depth <= CAPACITY, `depth ${depth} > capacity`)
    })
    const fh = sim.firehose({ stream: 'btcusdt@trade', count: 50_000_000 })
    const t0 = performance.now()
    try {
      await eventually(() => assert.ok(performance.now() - t0 >= PHASE_MS && engine.eventsReceived > e0 + 10_000), PHASE_MS + 10_000, 50)
    } finally {
      clearInterval(consumer)
    }
    const mem = sampler.stop()
    const secs = (performance.now() - t0) / 1000
    const events = engine.eventsReceived - e0
    const st = stats()
    // stop the firehose: the venue closes the feed's connection (1000); the feed reconnects
    assert.ok(sim.faults.rotateConnections({ path: '/stream' }) >= 1)
    const ended = await Promise.race([fh, new Promise<null>((r) => setTimeout(() => r(null), 5000))])
    assert.ok(ended !== null && ended[0]!.aborted, 'firehose stopped')
    d.unsubscribe(q)

    assert.ok(maxDepth <= CAPACITY)
    assert.ok(mem.heapSlope <= HEAP_SLOPE_BOUND, `heap slope ${kb(mem.heapSlope)} KiB/s`)
    const counter: Record<string, number> = {}
    if (policy === 'block') {
      assert.ok(d.stats().pauses > pauses0, 'upstream paused')
      assert.equal(st.blockOverflows, 0, 'nothing dropped under block')
      counter['upstream pauses'] = d.stats().pauses - pauses0
      counter['dropped'] = st.dropped
    } else if (policy === 'drop-oldest') {
      assert.ok(st.dropped > 0)
      counter['dropped (oldest)'] = st.dropped
    } else if (policy === 'conflate') {
      assert.ok(st.conflated + st.dropped > 0)
      counter['conflated'] = st.conflated
      counter['dropped (distinct keys)'] = st.dropped
    } else {
      assert.equal(st.disconnected, true)
      counter['disconnected'] = 1
    }
    results.add({
      case: `policy ${policy}, capacity ${CAPACITY}, consumer ≤ 20k/s`,
      outcome: `bound held (max depth ${maxDepth}); heap flat`,
      figures: {
        'engine events/s': Math.round(events / secs),
        'consumed/s': Math.round(consumed / secs),
        ...counter,
        'heap slope KiB/s': kb(mem.heapSlope),
        'heap MiB first→last': `${(mem.heapFirst / MB).toFixed(1)}→${(mem.heapLast / MB).toFixed(1)}`,
        'rss slope KiB/s': kb(mem.rssSlope),
        samples: mem.samples,
      },
      lost: 0,
    })
  })
}
