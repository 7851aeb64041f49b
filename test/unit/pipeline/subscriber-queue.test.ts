import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ManualClock } from '../../../src/core/clock.js'
import { CanonicalEvent, EventKind, MergedEvent } from '../../../src/model/events.js'
import { OverflowPolicy, SubscriberQueue, type OverflowPolicyValue, type QueueOwner } from '../../../src/pipeline/subscriber-queue.js'

type Op = { take: number } | { kind: number; inst: number }

interface ModelEntry {
  seq: number
  kind: number
  inst: number
}

/** The policies written plainly over an array (the reference). */
class Model {
  q: ModelEntry[] = []
  dropped = 0
  conflated = 0
  paused = false
  pauses: boolean[] = []
  constructor(
    readonly policy: OverflowPolicyValue,
    readonly cap: number,
    readonly high: number,
    readonly low: number,
  ) {}
  offer(e: ModelEntry): void {
    if (this.policy === OverflowPolicy.Conflate && (e.kind === EventKind.Quote || e.kind === EventKind.Bbo)) {
      const i = this.q.findIndex((x) => x.kind === e.kind && x.inst === e.inst)
      if (i >= 0) {
        this.q[i] = e
        this.conflated++
        return
      }
    }
    if (this.q.length === this.cap) {
      if (this.policy === OverflowPolicy.Block) {
        this.dropped++
        return
      }
      this.q.shift()
      this.dropped++
    }
    this.q.push(e)
    if (this.policy === OverflowPolicy.Block && !this.paused && this.q.length >= this.high) {
      this.paused = true
      this.pauses.push(true)
    }
  }
  take(): ModelEntry | null {
    const e = this.q.shift() ?? null
    if (e !== null && this.paused && this.q.length <= this.low) {
      this.paused = false
      this.pauses.push(false)
    }
    return e
  }
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom(EventKind.Trade, EventKind.Quote, EventKind.Bbo), inst: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ take: fc.integer({ min: 1, max: 6 }) }) },
)

test('queue policies match the reference model (order, bound, drops, conflations, pause/resume)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(OverflowPolicy.Block, OverflowPolicy.DropOldest, OverflowPolicy.Conflate),
      fc.constantFrom(4, 8),
      fc.array(opArb, { maxLength: 150 }),
      (policy, cap, ops) => {
        const high = cap / 2
        const low = cap / 4
        const pauses: boolean[] = []
        const owner: QueueOwner = {
          queueHigh: () => pauses.push(true),
          queueLow: () => pauses.push(false),
          queueOverflowDisconnect: () => assert.fail('not a disconnect queue'),
        }
        const q = new SubscriberQueue({ name: 'q', policy, capacity: cap, highWater: high, lowWater: low, clock: new ManualClock(0) })
        q.owner = owner
        const model = new Model(policy, cap, high, low)
        const m = new MergedEvent()
        m.event = new CanonicalEvent()
        let seq = 0
        for (const op of ops) {
          if ('take' in op) {
            for (let i = 0; i < op.take; i++) {
              const want = model.take()
              const got = q.poll()
              if (want === null) assert.equal(got, null)
              else {
                assert.ok(got !== null)
                assert.deepEqual([got.seq, got.kind, got.kind === EventKind.Bbo ? got.canonicalId : got.instrumentId], [want.seq, want.kind, want.inst])
                assert.equal(got.event!.venueSeq, want.seq, 'the copy carries the event it was given')
              }
            }
          } else {
            seq++
            m.seq = seq
            m.kind = op.kind
            m.instrumentId = op.kind === EventKind.Bbo ? 0 : op.inst
            m.canonicalId = op.kind === EventKind.Bbo ? op.inst : 100 + op.inst
            m.event!.kind = op.kind
            m.event!.venueSeq = seq
            q.offer(m)
            model.offer({ seq, kind: op.kind, inst: op.inst })
          }
          assert.equal(q.depth, model.q.length)
          assert.ok(q.depth <= cap)
        }
        assert.equal(q.dropped, model.dropped)
        assert.equal(q.conflated, model.conflated)
        assert.deepEqual(pauses, model.pauses)
      },
    ),
    { numRuns: 300 },
  )
})
