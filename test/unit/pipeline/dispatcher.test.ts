import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../../src/core/clock.js'
import { isTickflowError } from '../../../src/core/errors.js'
import { CanonicalEvent, EventKind, MergedEvent, type ReadonlyMergedEvent } from '../../../src/model/events.js'
import { ExecReport } from '../../../src/model/orders.js'
import { Dispatcher, type MergedHandler } from '../../../src/pipeline/dispatcher.js'
import { Merger } from '../../../src/pipeline/merger.js'
import { eventually } from '../../helpers/eventually.js'
import { bookDelta, fixture, quote, trade, type Fixture } from './helpers.js'

function setup(f: Fixture = fixture(), onBackpressure?: (p: boolean) => void): { f: Fixture; d: Dispatcher; merger: Merger; src: number; clock: ManualClock } {
  const clock = new ManualClock(10_000)
  const d = new Dispatcher({ ...f, clock, ...(onBackpressure ? { onBackpressure } : {}) })
  const merger = new Merger({ ...f, sink: d, clock, consolidateBbo: false })
  return { f, d, merger, src: merger.addSource('s'), clock }
}

class Recorder implements MergedHandler {
  readonly seen: Array<[number, number, number]> = []
  onEvent(ev: ReadonlyMergedEvent): void {
    this.seen.push([ev.kind, ev.instrumentId, ev.seq])
  }
}

test('routing: per-kind lists and instrument filters; Bbo filtered by canonical id', () => {
  const f = fixture()
  const d = new Dispatcher({ ...f, clock: new ManualClock(1) })
  const merger = new Merger({ ...f, sink: d })
  const src = merger.addSource('s')
  const allTrades = new Recorder()
  const btcSpotQuotes = new Recorder()
  const ethEverything = new Recorder()
  const btcBbo = new Recorder()
  d.subscribeSync({ name: 'allTrades', kinds: [EventKind.Trade], instruments: 'all', handler: allTrades })
  d.subscribeSync({ name: 'btcSpotQuotes', kinds: [EventKind.Quote], instruments: [f.spotBtc], handler: btcSpotQuotes })
  d.subscribeSync({ name: 'eth', kinds: [EventKind.Trade, EventKind.Quote, EventKind.Bbo], instruments: [f.spotEth], handler: ethEverything })
  d.subscribeSync({ name: 'btcBbo', kinds: [EventKind.Bbo], instruments: [f.usdmBtc], handler: btcBbo })

  merger.push(src, trade(f, f.spotBtc, 1)) // seq 1
  merger.push(src, trade(f, f.spotEth, 2)) // seq 2
  merger.push(src, quote(f, f.spotBtc, 100, 1, 101, 1)) // seq 3 + Bbo(btc)
  merger.push(src, quote(f, f.usdmBtc, 11, 1, 12, 1)) // seq 4: usdm bid 1.1 beats spot 1.00 → Bbo(btc)
  merger.push(src, quote(f, f.spotEth, 300, 1, 301, 1)) // seq 5 + Bbo(eth)

  assert.deepEqual(allTrades.seen, [
    [EventKind.Trade, f.spotBtc, 1],
    [EventKind.Trade, f.spotEth, 2],
  ])
  assert.deepEqual(btcSpotQuotes.seen, [[EventKind.Quote, f.spotBtc, 3]])
  assert.deepEqual(ethEverything.seen, [
    [EventKind.Trade, f.spotEth, 2],
    [EventKind.Quote, f.spotEth, 5],
    [EventKind.Bbo, 0, 5],
  ])
  assert.deepEqual(btcBbo.seen, [
    [EventKind.Bbo, 0, 3],
    [EventKind.Bbo, 0, 4],
  ])
  assert.equal(f.canonicalPool.leased, 0)
  assert.equal(f.mergedPool.leased, 0)
  const st = d.stats()
  assert.deepEqual(
    st.subscribers.map((s) => [s.name, s.delivered]),
    [
      ['allTrades', 2],
      ['btcSpotQuotes', 1],
      ['eth', 3],
      ['btcBbo', 2],
    ],
  )
})

test('subscribe validates: unknown kinds, bad ids, conflate with BookDelta, bad capacity (SUBSCRIBE_INVALID)', () => {
  const { d } = setup()
  const h = new Recorder()
  const bad = [
    () => d.subscribeSync({ name: 'x', kinds: [], instruments: 'all', handler: h }),
    () => d.subscribeSync({ name: 'x', kinds: [99], instruments: 'all', handler: h }),
    () => d.subscribeSync({ name: 'x', kinds: [EventKind.Trade], instruments: [0], handler: h }),
    () => d.subscribeQueued({ name: 'x', kinds: [EventKind.BookDelta], instruments: 'all', policy: 'conflate' }),
    () => d.subscribeQueued({ name: 'x', kinds: [EventKind.Trade], instruments: 'all', policy: 'drop-oldest', capacity: 100 }),
    () => d.subscribeQueued({ name: 'x', kinds: [EventKind.Trade], instruments: 'all', policy: 'sometimes' as 'block' }),
  ]
  for (const fn of bad) assert.throws(fn, (err: unknown) => isTickflowError(err, 'SUBSCRIBE_INVALID'))
})

test('drop-oldest: the queue bound holds, the oldest are dropped and counted, the newest are delivered in order', () => {
  const { f, d, merger, src } = setup()
  const q = d.subscribeQueued({ name: 'slow', kinds: [EventKind.Trade], instruments: 'all', policy: 'drop-oldest', capacity: 8 })
  for (let i = 1; i <= 20; i++) merger.push(src, trade(f, f.spotBtc, i))
  assert.equal(q.depth, 8)
  const seqs: number[] = []
  const ends: number[] = []
  assert.equal(
    q.drain((ev, end) => {
      seqs.push(ev.seq)
      if (end) ends.push(ev.seq)
    }, 5),
    5,
  )
  assert.equal(
    q.drain((ev, end) => {
      seqs.push(ev.seq)
      if (end) ends.push(ev.seq)
    }),
    3,
  )
  assert.deepEqual(seqs, [13, 14, 15, 16, 17, 18, 19, 20])
  assert.deepEqual(ends, [17, 20], 'endOfBatch marks the last event of each drain')
  const s = q.stats()
  assert.deepEqual([s.offered, s.delivered, s.dropped, s.conflated, s.depth, s.highWater], [20, 8, 12, 0, 0, 8])
  assert.equal(f.canonicalPool.leased, 0)
  // refilled after the ring emptied (and rewound): still FIFO, still bounded
  for (let i = 21; i <= 30; i++) merger.push(src, trade(f, f.spotBtc, i))
  const again: number[] = []
  let p = q.poll()
  while (p !== null) {
    again.push(p.seq)
    p = q.poll()
  }
  assert.deepEqual(again, [23, 24, 25, 26, 27, 28, 29, 30])
})

test('conflate: the latest quote per instrument replaces the pending one in place; trades are kept; counters exact', () => {
  const { f, d, merger, src } = setup()
  const q = d.subscribeQueued({ name: 'tops', kinds: [EventKind.Quote, EventKind.Trade], instruments: 'all', policy: 'conflate', capacity: 8 })
  const insts = [f.spotBtc, f.usdmBtc, f.spotEth]
  for (let i = 1; i <= 10; i++) for (const id of insts) merger.push(src, quote(f, id, 1_000 + i, i, 2_000 + i, i))
  merger.push(src, trade(f, f.spotBtc, 1))
  merger.push(src, trade(f, f.spotBtc, 2))
  assert.equal(q.depth, 5)
  const got: Array<[number, number, number]> = []
  q.drain((ev) => got.push([ev.kind, ev.instrumentId, ev.kind === EventKind.Quote ? ev.event!.bidPxM : ev.event!.venueSeq]))
  assert.deepEqual(got, [
    [EventKind.Quote, f.spotBtc, 1_010],
    [EventKind.Quote, f.usdmBtc, 1_010],
    [EventKind.Quote, f.spotEth, 1_010],
    [EventKind.Trade, f.spotBtc, 1],
    [EventKind.Trade, f.spotBtc, 2],
  ])
  const s = q.stats()
  assert.deepEqual([s.offered, s.delivered, s.conflated, s.dropped], [32, 5, 27, 0])
  // after a drain, a new quote is a new entry again
  merger.push(src, quote(f, f.spotBtc, 5, 1, 6, 1))
  assert.equal(q.depth, 1)
  assert.equal(q.poll()!.event!.bidPxM, 5)
})

test('conflate: a ring full of distinct keys drops its oldest entry (counted)', () => {
  const { f, d, merger, src } = setup()
  const q = d.subscribeQueued({ name: 'tiny', kinds: [EventKind.Quote, EventKind.Trade], instruments: 'all', policy: 'conflate', capacity: 2 })
  merger.push(src, trade(f, f.spotBtc, 1))
  merger.push(src, trade(f, f.spotBtc, 2))
  merger.push(src, quote(f, f.spotBtc, 7, 1, 8, 1))
  assert.equal(q.depth, 2)
  assert.equal(q.stats().dropped, 1)
  assert.equal(q.poll()!.seq, 2)
  merger.push(src, quote(f, f.spotBtc, 9, 1, 10, 1)) // conflates into the pending quote
  assert.equal(q.stats().conflated, 1)
  assert.equal(q.poll()!.event!.bidPxM, 9)
})

test('disconnect: on overflow the subscriber is removed, flagged, counted and notified; what it had stays drainable', async () => {
  const { f, d, merger, src } = setup()
  let reason = ''
  const q = d.subscribeQueued({
    name: 'strict',
    kinds: [EventKind.Trade],
    instruments: 'all',
    policy: 'disconnect',
    capacity: 4,
    onDisconnect: (r) => (reason = r),
  })
  for (let i = 1; i <= 6; i++) merger.push(src, trade(f, f.spotBtc, i))
  assert.equal(q.disconnected, true)
  assert.equal(d.disconnects, 1)
  await eventually(() => assert.equal(reason, 'overflow'))
  const s = d.stats().subscribers.find((x) => x.name === 'strict')!
  assert.deepEqual([s.disconnected, s.offered, s.dropped, s.depth], [true, 5, 1, 4])
  const seqs: number[] = []
  for await (const ev of q) seqs.push(ev.seq) // ends: closed and drained
  assert.deepEqual(seqs, [1, 2, 3, 4])
  assert.equal(f.canonicalPool.leased, 0)
})

test('block: backpressure pauses at high water and resumes only when the slowest block subscriber drains to low water', () => {
  const calls: boolean[] = []
  const { f, d, merger, src } = setup(fixture(), (p) => calls.push(p))
  const opts = { kinds: [EventKind.Trade], instruments: 'all' as const, policy: 'block' as const, capacity: 8, highWater: 4, lowWater: 2 }
  const a = d.subscribeQueued({ name: 'a', ...opts })
  const b = d.subscribeQueued({ name: 'b', ...opts })
  for (let i = 1; i <= 3; i++) merger.push(src, trade(f, f.spotBtc, i))
  assert.deepEqual(calls, [])
  merger.push(src, trade(f, f.spotBtc, 4))
  assert.deepEqual(calls, [true])
  assert.equal(d.paused, true)
  for (let i = 5; i <= 8; i++) merger.push(src, trade(f, f.spotBtc, i))
  assert.deepEqual(calls, [true], 'one pause, not one per event')
  // upstream did not stop in time: the 9th overflows the ring (counted as a sizing error)
  merger.push(src, trade(f, f.spotBtc, 9))
  assert.equal(a.stats().blockOverflows, 1)
  assert.equal(a.depth, 8)
  // a drains to low water: b still above high water, still paused
  a.drain(() => {}, 6)
  assert.deepEqual(calls, [true])
  b.drain(() => {}, 5)
  assert.deepEqual(calls, [true], 'b at 3: above low water')
  b.drain(() => {}, 1)
  assert.deepEqual(calls, [true, false])
  assert.equal(d.paused, false)
  assert.equal(d.stats().pauses, 1)
})

test('exec reports are never dropped: a full exec queue refuses (false), the producer waits for drain, every report arrives once, in order', async () => {
  const { f, d, merger, src } = setup()
  // market data under pressure at the same time
  const md = d.subscribeQueued({ name: 'md', kinds: [EventKind.Trade], instruments: 'all', policy: 'drop-oldest', capacity: 4 })
  const execQ = d.subscribeExecQueued({ name: 'oms', strategyId: 0, capacity: 4 })
  const syncSeen: string[] = []
  d.subscribeExecSync({ name: 'strategy7', strategyId: 7, handler: { onExecReport: (r) => syncSeen.push(r.clientOrderId) } })
  let drains = 0
  const received: string[] = []
  const consumer = (async () => {
    for (;;) {
      const n = execQ.drain((r) => received.push(r.clientOrderId), 2)
      if (n > 0) {
        drains++
        await new Promise((r) => setImmediate(r))
        continue
      }
      const w = execQ.whenReadable()
      if (w === null) return
      await w
    }
  })()
  const report = new ExecReport()
  const N = 100
  for (let i = 0; i < N; i++) {
    report.clientOrderId = `c${i}`
    report.strategyId = i % 2 === 0 ? 7 : 8
    merger.push(src, trade(f, f.spotBtc, i + 1))
    while (!d.offerExecReport(report)) {
      const w = d.whenExecWritable()
      if (w !== null) await w
    }
  }
  await eventually(() => assert.equal(received.length, N))
  d.close()
  await consumer
  assert.deepEqual(
    received,
    Array.from({ length: N }, (_, i) => `c${i}`),
  )
  assert.equal(syncSeen.length, N / 2, 'the strategy got its own reports only')
  assert.ok(syncSeen.every((id) => Number(id.slice(1)) % 2 === 0))
  const st = d.stats()
  assert.ok(st.execRefused > 0, 'the producer was made to wait')
  assert.equal(st.execDelivered, N)
  assert.ok(drains > 0)
  assert.ok(md.stats().dropped > 0, 'market data was dropped meanwhile')
  assert.equal(f.canonicalPool.leased, 0)
})

test('ownership: the pooled original is released exactly once after every subscriber has it; queued copies share nothing', () => {
  const f = fixture()
  const { d, merger, src } = setup(f)
  const gens: Array<[number, number]> = []
  let keptRef: ReadonlyMergedEvent | null = null
  let liveDuringCallback = false
  d.subscribeSync({
    name: 'reader',
    kinds: [EventKind.BookDelta],
    instruments: 'all',
    handler: {
      onEvent(ev) {
        // valid during the callback: both pooled objects are leased
        f.mergedPool.assertLive(ev as MergedEvent, ev.poolGen)
        f.canonicalPool.assertLive(ev.event as CanonicalEvent, ev.event!.poolGen)
        liveDuringCallback = true
        gens.push([ev.poolGen, ev.event!.poolGen])
        keptRef = ev
      },
    },
  })
  d.subscribeSync({
    name: 'thrower',
    kinds: [EventKind.BookDelta],
    instruments: 'all',
    handler: {
      onEvent() {
        throw new Error('boom')
      },
    },
  })
  const q = d.subscribeQueued({ name: 'copy', kinds: [EventKind.BookDelta], instruments: 'all', policy: 'drop-oldest', capacity: 4 })
  const releases0 = [f.mergedPool.stats().releases, f.canonicalPool.stats().releases]
  const ev = bookDelta(f, f.spotBtc, 40) // more levels than a fresh slot holds: the copy grows its own arrays
  const original = ev
  const origBids = ev.bidPxs
  merger.push(src, ev)
  assert.equal(liveDuringCallback, true)
  assert.deepEqual([f.mergedPool.stats().releases - releases0[0]!, f.canonicalPool.stats().releases - releases0[1]!], [1, 1], 'released exactly once each')
  assert.equal(f.mergedPool.leased, 0)
  assert.equal(f.canonicalPool.leased, 0)
  // the sync subscriber's kept reference is stale now
  assert.throws(() => f.mergedPool.assertLive(keptRef as unknown as MergedEvent, gens[0]![0]), (e: unknown) => isTickflowError(e, 'POOL_USE_AFTER_RELEASE'))
  assert.equal(original.kind, EventKind.None, 'the original was reset on release')
  assert.equal(d.stats().subscriberErrors, 1, 'the throwing subscriber was counted, dispatch went on')
  const copy = q.poll()!
  assert.notEqual(copy.event, original)
  assert.notEqual(copy.event!.bidPxs, origBids)
  assert.notEqual(copy.event!.askPxs, original.askPxs)
  assert.equal(copy.event!.bidCount, 40)
  assert.equal(copy.event!.bidPxs[39], 6_000_000 - 39, 'the copy kept its values after the original was reset')
  assert.equal(copy.event!.poolId, 0, 'queue slots are not pooled objects')
})

test('lag: sync at publish time (tsMergedUs − tsRecvUs), queued when the consumer takes the event', async () => {
  const { f, d, merger, src, clock } = setup()
  const sub = d.subscribeSync({ name: 's', kinds: [EventKind.Trade], instruments: 'all', handler: new Recorder() })
  const q = d.subscribeQueued({ name: 'q', kinds: [EventKind.Trade], instruments: 'all', policy: 'block', capacity: 16 })
  merger.push(src, trade(f, f.spotBtc, 1, 9_000, 9_990)) // clock at 10,000: 10 µs
  assert.equal(sub.lag.maxUs, 10)
  clock.advance(5_000)
  const waiting = q.whenReadable()
  assert.equal(waiting, null, 'an event is queued: no Promise')
  q.poll()
  assert.equal(q.lag.maxUs, 5_010)
  const w = q.whenReadable()
  assert.ok(w instanceof Promise)
  merger.push(src, trade(f, f.spotBtc, 2, 15_000, 15_000))
  await w
  assert.equal(q.depth, 1)
  const st = d.stats().subscribers.find((s) => s.name === 'q')!
  assert.equal(st.lagMaxUs, 5_010)
  d.close()
  assert.equal(q.whenReadable(), null)
  assert.equal(q.closed, true)
})

test('unsubscribe rebuilds the lists; a publish in progress keeps its snapshot', () => {
  const { f, d, merger, src } = setup()
  const seen: number[] = []
  const subs: Array<ReturnType<Dispatcher['subscribeSync']>> = []
  subs.push(
    d.subscribeSync({
      name: 'first',
      kinds: [EventKind.Trade],
      instruments: 'all',
      handler: {
        onEvent(ev) {
          seen.push(ev.seq)
          d.unsubscribe(subs[1]!) // removes the second while dispatching
        },
      },
    }),
  )
  subs.push(d.subscribeSync({ name: 'second', kinds: [EventKind.Trade], instruments: 'all', handler: { onEvent: (ev) => seen.push(-ev.seq) } }))
  merger.push(src, trade(f, f.spotBtc, 1))
  merger.push(src, trade(f, f.spotBtc, 2))
  assert.deepEqual(seen, [1, -1, 2])
})
