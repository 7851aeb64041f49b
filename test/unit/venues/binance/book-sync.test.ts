import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualScheduler } from '../../../../src/book/scheduler.js'
import type { ReadonlyOrderBook } from '../../../../src/book/order-book.js'
import { BookInvalidReason, CanonicalEvent, EventKind } from '../../../../src/model/events.js'
import { ProviderRaw, RawType } from '../../../../src/model/provider-raw.js'
import { BinanceBookSync, BookSyncState, type BookSyncOptions, type SnapshotBudget } from '../../../../src/venues/binance/book-sync.js'

type Lv = Array<[number, number]>

function diff(id: number, U: number, u: number, bids: Lv = [], asks: Lv = [], pu = 0): ProviderRaw {
  const r = new ProviderRaw()
  r.type = RawType.DepthUpdate
  r.instrumentId = id
  r.firstUpdateId = U
  r.updateId = u
  r.prevUpdateId = pu
  for (const [p, q] of bids) r.pushBid(p, q)
  for (const [p, q] of asks) r.pushAsk(p, q)
  return r
}

function snap(id: number, L: number, bids: Lv = [[100, 1]], asks: Lv = [[200, 1]]): ProviderRaw {
  const r = diff(id, 0, L, bids, asks)
  r.type = RawType.DepthSnapshot
  return r
}

interface Harness {
  sync: BinanceBookSync
  clock: ManualScheduler
  requests: number[]
  status: Array<{ kind: number; id: number; reason: number; gapFrom: number; gapTo: number }>
  applied: Array<{ id: number; u: number }>
  snapshots: number[]
}

function harness(market: 'spot' | 'usdm', extra: Partial<BookSyncOptions> = {}, ids = [1, 2]): Harness {
  const clock = new ManualScheduler()
  const h: Harness = { sync: null as unknown as BinanceBookSync, clock, requests: [], status: [], applied: [], snapshots: [] }
  h.sync = new BinanceBookSync({
    market,
    venueId: 7,
    scheduler: clock,
    requestSnapshot: (id) => h.requests.push(id),
    listener: {
      onDiffApplied: (book: ReadonlyOrderBook, raw: ProviderRaw) => h.applied.push({ id: book.instrumentId, u: raw.updateId }),
      onSnapshotApplied: (book: ReadonlyOrderBook) => h.snapshots.push(book.instrumentId),
      onStatus: (ev: CanonicalEvent) => h.status.push({ kind: ev.kind, id: ev.instrumentId, reason: ev.reason, gapFrom: ev.gapFrom, gapTo: ev.gapTo }),
    },
    ...extra,
  })
  for (const id of ids) h.sync.addInstrument(id, 2, 3)
  return h
}

const stats = (h: Harness, id = 1) => h.sync.stats(id)!

test('spot: the first diff starts buffering and requests one snapshot', () => {
  const h = harness('spot')
  assert.equal(h.sync.state(1), BookSyncState.Idle)
  h.sync.onDiff(diff(1, 10, 12))
  h.sync.onDiff(diff(1, 13, 15))
  assert.deepEqual(h.requests, [1])
  assert.equal(h.sync.state(1), BookSyncState.AwaitingSnapshot)
  assert.equal(stats(h).buffered, 2)
  assert.equal(h.applied.length, 0)
})

test('spot trap: the first event after the snapshot may start exactly at U == L+1', () => {
  const h = harness('spot')
  h.sync.onDiff(diff(1, 10, 12, [[99, 5]]))
  h.sync.onDiff(diff(1, 13, 15, [[98, 6]]))
  h.sync.onDiff(diff(1, 16, 18, [[100, 0]], [[201, 2]]))
  assert.equal(h.sync.onSnapshot(snap(1, 12)), true)
  assert.deepEqual(
    h.applied.map((a) => a.u),
    [15, 18],
    'u <= L discarded, U == L+1 accepted',
  )
  assert.equal(stats(h).discarded, 1)
  const book = h.sync.book(1)!
  assert.equal(book.updateId, 18)
  assert.equal(book.bestBidPx(), 98, 'level 100 deleted, 98 added')
  assert.equal(book.bestAskPx(), 200)
  assert.equal(book.askLevels, 2)
  assert.deepEqual(h.status, [{ kind: EventKind.BookResynced, id: 1, reason: BookInvalidReason.None, gapFrom: 0, gapTo: 0 }])
})

test('spot: the first event may also contain L+1 inside [U;u] (hftbacktest case)', () => {
  const h = harness('spot')
  h.sync.onDiff(diff(1, 208, 224))
  h.sync.onSnapshot(snap(1, 218))
  assert.deepEqual(
    h.applied.map((a) => a.u),
    [224],
  )
  assert.equal(h.sync.onDiff(diff(1, 225, 230)), true, 'then U == prev u + 1')
})

test('spot: a snapshot older than the first buffered U is retried with backoff', () => {
  const h = harness('spot', { backoffBaseMs: 100 })
  h.sync.onDiff(diff(1, 20, 25))
  assert.equal(h.sync.onSnapshot(snap(1, 18)), false, 'L+1 < U: stale')
  assert.equal(stats(h).snapshotsStale, 1)
  assert.equal(h.requests.length, 1, 'not re-requested at once')
  h.clock.advanceBy(99)
  assert.equal(h.requests.length, 1)
  h.clock.advanceBy(1)
  assert.equal(h.requests.length, 2)
  assert.equal(h.sync.onSnapshot(snap(1, 19)), true, 'L+1 == U is fine')
  assert.equal(h.sync.book(1)!.updateId, 25)
})

test('spot: after the first event, U must be exactly prev u + 1; a gap invalidates only that symbol and resyncs it', () => {
  const h = harness('spot')
  for (const id of [1, 2]) {
    h.sync.onDiff(diff(id, 10, 12))
    h.sync.onSnapshot(snap(id, 11))
  }
  h.status.length = 0
  assert.equal(h.sync.onDiff(diff(1, 13, 14)), true)
  assert.equal(h.sync.onDiff(diff(1, 17, 19)), false, 'ids 15..16 missing')
  assert.deepEqual(h.status, [{ kind: EventKind.BookInvalidated, id: 1, reason: BookInvalidReason.SequenceGap, gapFrom: 15, gapTo: 16 }])
  assert.equal(h.sync.book(1)!.bidLevels, 0, 'the invalid book is cleared')
  assert.deepEqual(h.requests, [1, 2, 1], 'a new snapshot is requested at once')
  // The other symbol is untouched and keeps applying.
  assert.equal(h.sync.state(2), BookSyncState.Synced)
  assert.equal(h.sync.onDiff(diff(2, 13, 13)), true)
  assert.equal(stats(h, 2).gaps, 0)
  // Symbol 1 buffers from the diff that showed the gap, then resyncs.
  h.sync.onDiff(diff(1, 20, 22, [[101, 4]]))
  assert.equal(h.sync.onSnapshot(snap(1, 18)), true)
  assert.equal(h.sync.book(1)!.updateId, 22)
  assert.equal(h.sync.book(1)!.bestBidPx(), 101)
  assert.deepEqual(h.status.at(-1), { kind: EventKind.BookResynced, id: 1, reason: BookInvalidReason.SequenceGap, gapFrom: 0, gapTo: 0 })
  assert.equal(stats(h).gaps, 1)
  assert.equal(stats(h).resyncs, 1)
  assert.equal(stats(h).snapshotRequests, 2)
  assert.equal(stats(h, 2).resyncs, 0)
})

test('spot: a duplicate (u <= book id) is discarded, not a gap', () => {
  const h = harness('spot')
  h.sync.onDiff(diff(1, 10, 12))
  h.sync.onSnapshot(snap(1, 11))
  assert.equal(h.sync.onDiff(diff(1, 10, 12)), false)
  assert.equal(stats(h).discarded, 1)
  assert.equal(stats(h).gaps, 0)
  assert.equal(h.sync.state(1), BookSyncState.Synced)
})

test('spot: overlapping but not contiguous after the first event is treated as a gap', () => {
  const h = harness('spot')
  h.sync.onDiff(diff(1, 10, 12))
  h.sync.onSnapshot(snap(1, 11))
  assert.equal(h.sync.onDiff(diff(1, 12, 14)), false)
  assert.equal(stats(h).gaps, 1)
})

test('usdm trap: the first event may end exactly at u == L; u < L is dropped', () => {
  const h = harness('usdm')
  h.sync.onDiff(diff(1, 90, 95, [], [], 80))
  h.sync.onDiff(diff(1, 97, 100, [[101, 1]], [], 95))
  h.sync.onDiff(diff(1, 104, 110, [[102, 1]], [], 100))
  h.sync.onSnapshot(snap(1, 100))
  assert.deepEqual(
    h.applied.map((a) => a.u),
    [100, 110],
  )
  assert.equal(stats(h).discarded, 1)
  assert.equal(h.sync.book(1)!.bestBidPx(), 102)
})

test('usdm trap: U != prev u + 1 is normal when pu == prev u; a pu mismatch is a gap', () => {
  const h = harness('usdm')
  h.sync.onDiff(diff(1, 90, 100, [], [], 80))
  h.sync.onSnapshot(snap(1, 95))
  assert.equal(h.sync.onDiff(diff(1, 137, 150, [], [], 100)), true, 'U jumps, pu chains')
  assert.equal(h.sync.onDiff(diff(1, 151, 160, [], [], 149)), false, 'U == prev u + 1 but pu broken')
  assert.equal(stats(h).gaps, 1)
  assert.equal(h.status.at(-1)!.kind, EventKind.BookInvalidated)
  assert.equal(h.status.at(-1)!.reason, BookInvalidReason.SequenceGap)
})

test('usdm: a snapshot with L < the first buffered U is stale (no +1 slack)', () => {
  const h = harness('usdm')
  h.sync.onDiff(diff(1, 50, 60, [], [], 40))
  assert.equal(h.sync.onSnapshot(snap(1, 49)), false)
  assert.equal(stats(h).snapshotsStale, 1)
})

test('usdm: a snapshot falling between two events (no event with U <= L <= u) is a gap', () => {
  const h = harness('usdm')
  h.sync.onDiff(diff(1, 50, 60, [], [], 40))
  h.sync.onDiff(diff(1, 70, 80, [], [], 60))
  h.sync.onSnapshot(snap(1, 65))
  assert.equal(stats(h).gaps, 1)
  assert.equal(h.sync.state(1), BookSyncState.AwaitingSnapshot)
})

test('a gap inside the buffered diffs restarts buffering from there', () => {
  const h = harness('spot')
  h.sync.onDiff(diff(1, 10, 12))
  h.sync.onDiff(diff(1, 13, 15))
  h.sync.onDiff(diff(1, 20, 22))
  h.sync.onDiff(diff(1, 23, 25))
  h.sync.onSnapshot(snap(1, 11))
  assert.equal(stats(h).gaps, 1)
  assert.equal(stats(h).buffered, 2, 'the diff that showed the gap and the one after it')
  assert.equal(h.sync.onSnapshot(snap(1, 21)), true)
  assert.equal(h.sync.book(1)!.updateId, 25)
})

test('buffer overflow restarts buffering from the newest diff', () => {
  const h = harness('spot', { maxBufferedDiffs: 3 })
  for (let i = 0; i < 4; i++) h.sync.onDiff(diff(1, 10 + i, 10 + i))
  assert.equal(stats(h).bufferOverflows, 1)
  assert.equal(stats(h).buffered, 1)
  assert.equal(h.sync.onSnapshot(snap(1, 11)), false, 'older than the newest buffered diff')
})

test('the request-weight budget defers snapshot requests', () => {
  let allow = false
  const taken: number[] = []
  const budget: SnapshotBudget = {
    tryTake: (w) => {
      if (allow) taken.push(w)
      return allow
    },
  }
  const h = harness('spot', { budget, budgetRetryMs: 500 })
  h.sync.onDiff(diff(1, 10, 12))
  assert.equal(h.requests.length, 0)
  assert.equal(stats(h).budgetDeferrals, 1)
  assert.equal(h.sync.state(1), BookSyncState.Buffering)
  allow = true
  h.clock.advanceBy(500)
  assert.deepEqual(h.requests, [1])
  assert.deepEqual(taken, [50], 'Spot depth limit=1000 weighs 50')
})

test('unanswered snapshots time out, back off exponentially, and give up after maxRetries', () => {
  const h = harness('spot', { snapshotTimeoutMs: 1000, backoffBaseMs: 100, maxRetries: 2 })
  h.sync.onDiff(diff(1, 10, 12))
  assert.equal(h.requests.length, 1)
  h.clock.advanceBy(1000) // timeout 1 -> retry in 100
  h.clock.advanceBy(100)
  assert.equal(h.requests.length, 2)
  h.clock.advanceBy(1000) // timeout 2 -> retry in 200
  h.clock.advanceBy(199)
  assert.equal(h.requests.length, 2)
  h.clock.advanceBy(1)
  assert.equal(h.requests.length, 3)
  h.clock.advanceBy(1000) // timeout 3 -> give up
  assert.equal(h.sync.state(1), BookSyncState.Failed)
  assert.equal(stats(h).snapshotFailures, 3)
  assert.equal(stats(h).giveUps, 1)
  assert.deepEqual(h.status.at(-1), { kind: EventKind.BookInvalidated, id: 1, reason: BookInvalidReason.SnapshotFailed, gapFrom: 0, gapTo: 0 })
  h.clock.advanceBy(60_000)
  assert.equal(h.requests.length, 3, 'no more requests once failed')
  h.sync.restart(1)
  h.sync.onDiff(diff(1, 30, 31))
  assert.equal(h.requests.length, 4, 'restart() starts over at the next diff')
})

test('onSnapshotFailed retries with backoff', () => {
  const h = harness('usdm', { backoffBaseMs: 10 })
  h.sync.onDiff(diff(1, 10, 12, [], [], 5))
  h.sync.onSnapshotFailed(1)
  assert.equal(stats(h).snapshotFailures, 1)
  h.clock.advanceBy(10)
  assert.equal(h.requests.length, 2)
  assert.equal(h.clock.pending, 1, 'only the timeout of the new request is pending')
})

test('a crossed book after a diff is counted and resynced', () => {
  const h = harness('spot')
  h.sync.onDiff(diff(1, 10, 12))
  h.sync.onSnapshot(snap(1, 11, [[100, 1]], [[105, 1]]))
  assert.equal(h.sync.onDiff(diff(1, 13, 13, [[106, 1]])), false)
  assert.equal(stats(h).crossed, 1)
  assert.equal(h.status.at(-1)!.reason, BookInvalidReason.CrossedBook)
  assert.equal(h.sync.state(1), BookSyncState.AwaitingSnapshot)
})

test('restart after a reconnect: BookInvalidated(Reconnect), idle until the next diff', () => {
  const h = harness('spot')
  h.sync.onDiff(diff(1, 10, 12))
  h.sync.onSnapshot(snap(1, 11))
  h.sync.restartAll(BookInvalidReason.Reconnect)
  assert.equal(h.sync.state(1), BookSyncState.Idle)
  assert.equal(h.sync.state(2), BookSyncState.Idle)
  assert.deepEqual(
    h.status.filter((s) => s.kind === EventKind.BookInvalidated).map((s) => [s.id, s.reason]),
    [[1, BookInvalidReason.Reconnect]],
    'only the synced symbol is reported',
  )
})

test('a snapshot that arrives before any diff is accepted; the first-event rule then applies to live diffs', () => {
  const h = harness('spot')
  assert.equal(h.sync.onSnapshot(snap(1, 100)), true)
  assert.equal(h.requests.length, 0)
  assert.equal(h.sync.onDiff(diff(1, 95, 100)), false, 'u <= L discarded')
  assert.equal(h.sync.onDiff(diff(1, 99, 103)), true, 'U <= L+1 <= u')
  assert.equal(h.sync.onSnapshot(snap(1, 200)), false, 'a snapshot while synced is ignored')
  assert.equal(stats(h).snapshotsIgnored, 1)
})

test('diffs and snapshots for unknown instruments are counted and ignored', () => {
  const h = harness('spot')
  assert.equal(h.sync.onDiff(diff(9, 1, 2)), false)
  assert.equal(h.sync.onSnapshot(snap(9, 1)), false)
  assert.equal(h.sync.unknownInstrument, 2)
  assert.equal(h.requests.length, 0)
})

test('options are validated', () => {
  assert.throws(() => harness('spot', { maxBufferedDiffs: 0 }), RangeError)
  assert.throws(() => harness('nope' as 'spot'), TypeError)
})
