import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ManualClock } from '../../../src/core/clock.js'
import { BoundedPool } from '../../../src/core/pool.js'
import { CanonicalEvent, EventKind, MergedEvent } from '../../../src/model/events.js'
import { Merger } from '../../../src/pipeline/merger.js'
import type { MergedSink } from '../../../src/pipeline/dispatcher.js'
import { RecordingSink, fixture, trade } from './helpers.js'

test('arrival order: one global seq 1..n across sources, every input published once, ids stamped', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ src: fc.integer({ min: 1, max: 3 }), inst: fc.integer({ min: 0, max: 2 }), ts: fc.integer({ min: 1, max: 1e9 }) }), { maxLength: 200 }),
      (inputs) => {
        const f = fixture(512)
        const sink = new RecordingSink(f)
        const merger = new Merger({ ...f, sink, consolidateBbo: false, clock: new ManualClock(5) })
        const sources = [merger.addSource('a'), merger.addSource('b'), merger.addSource('c')]
        const insts = [f.spotBtc, f.usdmBtc, f.spotEth]
        inputs.forEach((x, i) => assert.equal(merger.push(sources[x.src - 1]!, trade(f, insts[x.inst]!, i + 1, x.ts)), true))
        assert.equal(sink.out.length, inputs.length)
        sink.out.forEach((p, i) => {
          assert.equal(p.seq, i + 1)
          assert.equal(p.event.venueSeq, i + 1, 'published in arrival order')
          const x = inputs[i]!
          assert.equal(p.sourceId, sources[x.src - 1])
          assert.equal(p.instrumentId, insts[x.inst])
          assert.equal(p.venueId, f.registry.venueOfInstrument(insts[x.inst]!))
          assert.equal(p.canonicalId, f.registry.canonicalOf(insts[x.inst]!))
          assert.equal(p.late, false)
          assert.equal(p.tsMergedUs, 5)
        })
        assert.equal(f.canonicalPool.leased, 0)
        assert.equal(f.mergedPool.leased, 0)
      },
    ),
    { numRuns: 100 },
  )
})

/** Reference model of the bounded-lateness merge, written plainly (sort instead of a heap). */
function referenceEventTime(ts: number[], latenessUs: number, capacity: number): Array<{ idx: number; late: boolean }> {
  const out: Array<{ idx: number; late: boolean }> = []
  let held: number[] = []
  let wm = 0
  let maxTs = 0
  const byKey = (a: number, b: number): number => ts[a]! - ts[b]! || a - b
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!
    if (t < wm) {
      out.push({ idx: i, late: true })
      continue
    }
    if (held.length === capacity) {
      held.sort(byKey)
      const first = held.shift()!
      wm = Math.max(wm, ts[first]!)
      out.push({ idx: first, late: false })
      if (t < wm) {
        out.push({ idx: i, late: true })
        continue
      }
    }
    held.push(i)
    maxTs = Math.max(maxTs, t)
    wm = Math.max(wm, maxTs - latenessUs)
    held.sort(byKey)
    while (held.length > 0 && ts[held[0]!]! <= wm) out.push({ idx: held.shift()!, late: false })
  }
  held.sort(byKey)
  for (const i of held) out.push({ idx: i, late: false })
  held = []
  return out
}

test('event-time ordering matches the reference model; on-time events leave in event-time order; late ones are flagged and counted', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 300 }),
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 1, max: 16 }),
      (jitter, latenessUs, capacity) => {
        const f = fixture(1024)
        const sink = new RecordingSink(f)
        const merger = new Merger({ ...f, sink, consolidateBbo: false, ordering: 'event-time', latenessUs, reorderCapacity: capacity })
        const src = merger.addSource('x')
        const ts = jitter.map((j, i) => 10_000 + i * 10 + j)
        ts.forEach((t, i) => merger.push(src, trade(f, f.spotBtc, i + 1, t)))
        merger.flush()
        const expected = referenceEventTime(ts, latenessUs, capacity)
        assert.deepEqual(
          sink.out.map((p) => ({ idx: p.event.venueSeq - 1, late: p.late })),
          expected,
        )
        // a permutation of the inputs, each seq once
        assert.deepEqual(
          sink.out.map((p) => p.seq).sort((a, b) => a - b),
          ts.map((_, i) => i + 1),
        )
        // on-time events are in (tsEventUs, seq) order
        const onTime = sink.out.filter((p) => !p.late)
        for (let i = 1; i < onTime.length; i++) {
          const a = onTime[i - 1]!
          const b = onTime[i]!
          assert.ok(a.event.tsEventUs < b.event.tsEventUs || (a.event.tsEventUs === b.event.tsEventUs && a.seq < b.seq))
        }
        assert.equal(merger.stats().late, sink.out.filter((p) => p.late).length)
        assert.equal(f.canonicalPool.leased, 0)
        assert.equal(f.mergedPool.leased, 0)
      },
    ),
    { numRuns: 200 },
  )
})

test('watermark: events wait for the lateness bound, then leave in event-time order; an older one is late and passes through', () => {
  const f = fixture()
  const sink = new RecordingSink(f)
  const merger = new Merger({ ...f, sink, consolidateBbo: false, ordering: 'event-time', latenessUs: 100 })
  const a = merger.addSource('spot')
  const b = merger.addSource('usdm')
  merger.push(a, trade(f, f.spotBtc, 1, 1_000))
  merger.push(b, trade(f, f.usdmBtc, 2, 1_050))
  merger.push(a, trade(f, f.spotBtc, 3, 990))
  assert.equal(sink.out.length, 0, 'held until the watermark passes them')
  assert.equal(merger.watermarkUs, 950)
  merger.push(b, trade(f, f.usdmBtc, 4, 1_200)) // watermark 1,100
  assert.deepEqual(
    sink.out.map((p) => [p.seq, p.event.tsEventUs]),
    [
      [3, 990],
      [1, 1_000],
      [2, 1_050],
    ],
  )
  merger.push(a, trade(f, f.spotBtc, 5, 1_090, 1_200)) // older than the watermark: late (received at local 1,200)
  assert.deepEqual(sink.out.slice(3).map((p) => [p.seq, p.late]), [[5, true]])
  const st = merger.stats()
  assert.equal(st.late, 1)
  assert.deepEqual(st.sources.map((s) => [s.name, s.received, s.late]), [
    ['spot', 3, 1],
    ['usdm', 2, 0],
  ])
  assert.equal(st.buffered, 1)
  // quiet sources: local time moves the watermark
  merger.advance(1_200 + 50) // 1,200 − 100 + (1,250 − 1,200) = 1,150: not yet
  assert.equal(sink.out.length, 4)
  merger.advance(1_200 + 100)
  assert.deepEqual(sink.out.slice(4).map((p) => p.seq), [4])
  assert.equal(f.canonicalPool.leased, 0)
})

test('a full reorder buffer forces its earliest event out and raises the watermark', () => {
  const f = fixture()
  const sink = new RecordingSink(f)
  const merger = new Merger({ ...f, sink, consolidateBbo: false, ordering: 'event-time', latenessUs: 1e9, reorderCapacity: 2 })
  const s = merger.addSource('s')
  merger.push(s, trade(f, f.spotBtc, 1, 500))
  merger.push(s, trade(f, f.spotBtc, 2, 400))
  merger.push(s, trade(f, f.spotBtc, 3, 600)) // full: 400 is forced out
  assert.deepEqual(sink.out.map((p) => p.event.tsEventUs), [400])
  merger.push(s, trade(f, f.spotBtc, 4, 300)) // older than the forced-out one: late
  assert.deepEqual(sink.out.map((p) => [p.event.tsEventUs, p.late]), [
    [400, false],
    [300, true],
  ])
  assert.equal(merger.stats().forcedReleases, 1)
  merger.flush()
  assert.deepEqual(sink.out.map((p) => p.event.tsEventUs), [400, 300, 500, 600])
  assert.equal(f.mergedPool.leased, 0)
})

test('MergedEvent pool exhausted: market data is dropped and counted, the canonical event released, the seq consumed', () => {
  const f = fixture()
  const held: MergedEvent[] = []
  const holdingSink: MergedSink = { publish: (m) => held.push(m) }
  const mergedPool = new BoundedPool({ name: 'MergedEvent', capacity: 2, create: () => new MergedEvent(), debug: true })
  const merger = new Merger({ ...f, mergedPool, sink: holdingSink, consolidateBbo: false })
  const s = merger.addSource('s')
  assert.equal(merger.push(s, trade(f, f.spotBtc, 1)), true)
  assert.equal(merger.push(s, trade(f, f.spotBtc, 2)), true)
  assert.equal(merger.push(s, trade(f, f.spotBtc, 3)), false)
  assert.equal(f.canonicalPool.leased, 2, 'the dropped event went back to its pool')
  assert.equal(merger.stats().dropped, 1)
  assert.equal(merger.stats().sources[0]!.dropped, 1)
  for (const m of held.splice(0)) {
    const ev = m.event!
    mergedPool.release(m)
    f.canonicalPool.release(ev)
  }
  assert.equal(merger.push(s, trade(f, f.spotBtc, 4)), true)
  assert.equal(held[0]!.seq, 4, 'the gap at seq 3 shows the drop')
  assert.equal(merger.nextSeq, 5)
})

test('the merger never changes the canonical event it publishes', () => {
  const f = fixture()
  let seen: CanonicalEvent | null = null
  let before: CanonicalEvent | null = null
  const sink: MergedSink = {
    publish(m) {
      seen = m.event!.clone()
      const ev = m.event!
      f.mergedPool.release(m)
      f.canonicalPool.release(ev)
    },
  }
  const merger = new Merger({ ...f, sink, ordering: 'event-time', latenessUs: 0 })
  const ev = trade(f, f.spotBtc, 7, 1_234, 1_300)
  ev.firstTradeId = 5
  ev.aggressor = 2
  before = ev.clone()
  merger.push(merger.addSource('s'), ev)
  assert.ok(seen !== null)
  assert.deepEqual({ ...(seen as CanonicalEvent), poolGen: 0, poolId: 0, poolSlot: 0 }, { ...(before as CanonicalEvent), poolGen: 0, poolId: 0, poolSlot: 0 })
  assert.equal((seen as CanonicalEvent).kind, EventKind.Trade)
})
