/**
 * dispatch.<policy>.<N>: fan-out of one pooled quote event to N = 1, 4, 16
 * subscribers through the Dispatcher, under each delivery policy, against a
 * naive baseline in the same run:
 *
 *   sync         N sync subscribers read the pooled event during the callback
 *                baseline: EventEmitter.emit of a freshly allocated object to N listeners
 *   drop-oldest  N queued subscribers (ring 1024), each drained every 64 events
 *   conflate     same, conflating quotes of 4 instruments (most events replace a pending one)
 *                baseline (both): EventEmitter, each listener pushes the fresh object into
 *                its own array, drained every 64 events
 *   block        N queued block subscribers (ring 1024, high water 512, low 256); the
 *                consumer drains only when the dispatcher signals backpressure
 *                (pause → drain all → resume), i.e. the gating path runs
 *                baseline: as above, drained every 512 events
 *
 * Each op = acquire CanonicalEvent + MergedEvent from their pools, fill a
 * quote, publish (fan-out, copies, release). A regression shows as ns/event
 * up, or bytes/event above ~0 for the subject (the steady state must not
 * allocate: queued copies go into preallocated slots).
 */
import { EventEmitter } from 'node:events'
import { compare, sideBySide, type Scenario, type ScenarioResult, type Variant } from '../harness.js'
import { ManualClock } from '../../src/core/clock.js'
import { BoundedPool } from '../../src/core/pool.js'
import { CanonicalEvent, EventKind, MergedEvent, type ReadonlyMergedEvent } from '../../src/model/events.js'
import { InstrumentRegistry } from '../../src/model/instrument.js'
import { Dispatcher, type MergedHandler } from '../../src/pipeline/dispatcher.js'
import type { SubscriberQueue } from '../../src/pipeline/subscriber-queue.js'

type Policy = 'sync' | 'drop-oldest' | 'conflate' | 'block'
const POLICIES: Policy[] = ['sync', 'drop-oldest', 'conflate', 'block']
const FANOUT = [1, 4, 16]
const INSTRUMENTS = 4
const DRAIN_EVERY = 64

class SumHandler implements MergedHandler {
  sum = 0
  onEvent(ev: ReadonlyMergedEvent): void {
    this.sum += ev.event!.bidPxM
  }
}

interface NaiveQuote {
  kind: number
  instrumentId: number
  seq: number
  bidPxM: number
  bidQtyM: number
  askPxM: number
  askQtyM: number
  tsRecvUs: number
}

function subjectVariant(policy: Policy, n: number): Variant & { teardown: () => void } {
  const registry = new InstrumentRegistry()
  const ids: number[] = []
  for (let i = 0; i < INSTRUMENTS; i++) ids.push(registry.intern('bench', `SYM${i}USDT`))
  const canonicalPool = new BoundedPool({ name: 'CanonicalEvent', capacity: 64, create: () => new CanonicalEvent(), preallocate: true })
  const mergedPool = new BoundedPool({ name: 'MergedEvent', capacity: 64, create: () => new MergedEvent(), preallocate: true })
  let paused = false
  const d = new Dispatcher({ mergedPool, canonicalPool, registry, clock: new ManualClock(1), onBackpressure: (p) => (paused = p) })
  const handlers: SumHandler[] = []
  const queues: SubscriberQueue[] = []
  for (let i = 0; i < n; i++) {
    const h = new SumHandler()
    handlers.push(h)
    if (policy === 'sync') d.subscribeSync({ name: `s${i}`, kinds: [EventKind.Quote], instruments: 'all', handler: h })
    else {
      queues.push(
        d.subscribeQueued({
          name: `q${i}`,
          kinds: [EventKind.Quote],
          instruments: 'all',
          policy,
          capacity: 1024,
          ...(policy === 'block' ? { highWater: 512, lowWater: 256 } : {}),
        }),
      )
    }
  }
  const drainOne = (ev: ReadonlyMergedEvent): void => {
    handlers[0]!.sum += ev.event!.bidPxM
  }
  const drainAll = (): void => {
    for (let q = 0; q < queues.length; q++) queues[q]!.drain(drainOne, 1024)
  }
  return {
    name: `dispatcher ${policy}`,
    setup: drainAll,
    teardown: drainAll,
    run: (ops) => {
      for (let i = 0; i < ops; i++) {
        const ev = canonicalPool.tryAcquire()!
        const m = mergedPool.tryAcquire()!
        const id = ids[i & (INSTRUMENTS - 1)]!
        ev.kind = EventKind.Quote
        ev.instrumentId = id
        ev.bidPxM = 6_000_000 + (i & 1023)
        ev.bidQtyM = 100
        ev.askPxM = 6_000_001 + (i & 1023)
        ev.askQtyM = 200
        ev.tsRecvUs = 1
        m.seq = i + 1
        m.kind = EventKind.Quote
        m.instrumentId = id
        m.canonicalId = 1
        m.tsMergedUs = 1
        m.event = ev
        d.publish(m)
        if (policy === 'block') {
          if (paused) drainAll()
        } else if (policy !== 'sync' && (i & (DRAIN_EVERY - 1)) === DRAIN_EVERY - 1) drainAll()
      }
      return handlers[0]!.sum
    },
  }
}

function baselineVariant(policy: Policy, n: number): Variant {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(64)
  // typed-array accumulator (a closure `let` double would allocate per add and bias the baseline)
  const sum = new Float64Array(1)
  const queues: NaiveQuote[][] = []
  for (let i = 0; i < n; i++) {
    if (policy === 'sync') {
      emitter.on('quote', (q: NaiveQuote) => {
        sum[0] += q.bidPxM
      })
    } else {
      const arr: NaiveQuote[] = []
      queues.push(arr)
      emitter.on('quote', (q: NaiveQuote) => {
        arr.push(q)
      })
    }
  }
  const every = policy === 'block' ? 512 : DRAIN_EVERY
  const drainAll = (): void => {
    for (const arr of queues) {
      for (let j = 0; j < arr.length; j++) sum[0] += arr[j]!.bidPxM
      arr.length = 0
    }
  }
  return {
    name: `EventEmitter ${policy}`,
    setup: drainAll,
    run: (ops) => {
      for (let i = 0; i < ops; i++) {
        const q: NaiveQuote = {
          kind: EventKind.Quote,
          instrumentId: 1 + (i & (INSTRUMENTS - 1)),
          seq: i + 1,
          bidPxM: 6_000_000 + (i & 1023),
          bidQtyM: 100,
          askPxM: 6_000_001 + (i & 1023),
          askQtyM: 200,
          tsRecvUs: 1,
        }
        emitter.emit('quote', q)
        if (policy !== 'sync' && i % every === every - 1) drainAll()
      }
      return sum[0]
    },
  }
}

export const dispatchScenario: Scenario = {
  name: 'dispatch',
  description: 'fan-out to 1/4/16 subscribers per policy (sync, drop-oldest, conflate, block) vs EventEmitter + fresh objects',
  run(ctx) {
    const rows: ScenarioResult[] = []
    const ops = ctx.quick ? 100_000 : 1_000_000
    const rounds = ctx.quick ? 3 : 5
    for (const policy of POLICIES) {
      for (const n of FANOUT) {
        const subject = subjectVariant(policy, n)
        const [s, b] = compare([subject, baselineVariant(policy, n)], ops, rounds)
        subject.teardown()
        rows.push(sideBySide(`dispatch.${policy}.${n}`, s!, `EventEmitter ${policy === 'sync' ? 'emit' : 'emit+array queue'} x${n}`, b!, { subscribers: n }))
      }
    }
    return rows
  },
}
