/**
 * merge.<mode>: Merger.push per event (global seq, ids, publish to a sink that
 * releases like the dispatcher), against a naive merge in the same run (a
 * fresh `{ seq, venue, event }` wrapper per event handed to a callback).
 *
 *   merge.arrival       arrival order, consolidated BBO on (quotes from 2 venues
 *                       of the same canonical instrument: BBO recomputed per quote)
 *   merge.event-time    bounded-lateness reordering (lateness 1 ms, events jittered
 *                       ±0.5 ms around a 10 µs cadence: every event goes through the heap)
 *
 * A regression shows as ns/event up or bytes/event above ~0.
 */
import { compare, sideBySide, type Scenario, type ScenarioResult, type Variant } from '../harness.js'
import { ManualClock } from '../../src/core/clock.js'
import { BoundedPool } from '../../src/core/pool.js'
import { CanonicalEvent, EventKind, MergedEvent } from '../../src/model/events.js'
import { InstrumentRegistry } from '../../src/model/instrument.js'
import type { MergedSink } from '../../src/pipeline/dispatcher.js'
import { Merger, type MergeOrdering } from '../../src/pipeline/merger.js'

const JITTER = new Float64Array(4096)
for (let i = 0; i < JITTER.length; i++) JITTER[i] = Math.round((Math.sin(i * 12.9898) * 43758.5453) % 1 * 500)

function subject(ordering: MergeOrdering): Variant {
  const registry = new InstrumentRegistry()
  const a = registry.intern('spot', 'BTCUSDT')
  const b = registry.intern('usdm', 'BTCUSDT')
  const canonicalPool = new BoundedPool({ name: 'CanonicalEvent', capacity: 1024, create: () => new CanonicalEvent(), preallocate: true })
  const mergedPool = new BoundedPool({ name: 'MergedEvent', capacity: 1024, create: () => new MergedEvent(), preallocate: true })
  // A typed-array accumulator: a closure `let sum` that outgrows a Smi would allocate a HeapNumber per add.
  const sum = new Float64Array(1)
  const sink: MergedSink = {
    publish(m) {
      sum[0] += m.seq
      const ev = m.event!
      mergedPool.release(m)
      canonicalPool.release(ev)
    },
  }
  let merger = new Merger({ registry, canonicalPool, mergedPool, sink, clock: new ManualClock(1), ordering, latenessUs: 1_000 })
  let src = [merger.addSource('a'), merger.addSource('b')]
  let t = 1_000_000
  return {
    name: `merger ${ordering}`,
    setup: () => {
      merger.flush()
      merger = new Merger({ registry, canonicalPool, mergedPool, sink, clock: new ManualClock(1), ordering, latenessUs: 1_000 })
      src = [merger.addSource('a'), merger.addSource('b')]
    },
    run: (ops) => {
      for (let i = 0; i < ops; i++) {
        const ev = canonicalPool.tryAcquire()!
        const odd = i & 1
        ev.kind = EventKind.Quote
        ev.instrumentId = odd === 0 ? a : b
        ev.venueId = odd + 1
        ev.priceScale = 2
        ev.qtyScale = 5
        ev.bidPxM = 6_000_000 + (i & 7)
        ev.bidQtyM = 100
        ev.askPxM = 6_000_010 + (i & 3)
        ev.askQtyM = 100
        t += 10
        ev.tsEventUs = t + JITTER[i & 4095]!
        ev.tsRecvUs = t
        merger.push(src[odd]!, ev)
      }
      return sum[0]
    },
  }
}

function naive(): Variant {
  let seq = 0
  const sum = new Float64Array(1)
  const handler = (w: { seq: number; venue: number; event: { bidPxM: number } }): void => {
    sum[0] += w.seq + w.event.bidPxM
  }
  return {
    name: 'naive wrapper',
    run: (ops) => {
      for (let i = 0; i < ops; i++) {
        const ev = { kind: EventKind.Quote, instrumentId: 1 + (i & 1), bidPxM: 6_000_000 + (i & 7), bidQtyM: 100, askPxM: 6_000_010, askQtyM: 100, tsEventUs: i, tsRecvUs: i }
        handler({ seq: ++seq, venue: i & 1, event: ev })
      }
      return sum[0]
    },
  }
}

export const mergeScenario: Scenario = {
  name: 'merge',
  description: 'Merger.push per event (arrival with consolidated BBO; event-time reordering) vs a fresh wrapper object per event',
  run(ctx) {
    const rows: ScenarioResult[] = []
    const ops = ctx.quick ? 200_000 : 1_000_000
    const rounds = ctx.quick ? 3 : 5
    for (const ordering of ['arrival', 'event-time'] as const) {
      const [s, b] = compare([subject(ordering), naive()], ops, rounds)
      rows.push(sideBySide(`merge.${ordering}`, s!, 'fresh { seq, venue, event } per event', b!))
    }
    return rows
  },
}
