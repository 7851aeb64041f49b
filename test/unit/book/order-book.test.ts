import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { OrderBook } from '../../../src/book/order-book.js'

const f64 = (xs: number[]) => Float64Array.from(xs)

function top(book: OrderBook, n: number): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
  const p = new Float64Array(n)
  const q = new Float64Array(n)
  const bids: Array<[number, number]> = []
  const asks: Array<[number, number]> = []
  const nb = book.topBids(n, p, q)
  for (let i = 0; i < nb; i++) bids.push([p[i]!, q[i]!])
  const na = book.topAsks(n, p, q)
  for (let i = 0; i < na; i++) asks.push([p[i]!, q[i]!])
  return { bids, asks }
}

test('levels are kept best first: bids descending, asks ascending', () => {
  const b = new OrderBook()
  for (const px of [100, 103, 101, 102]) b.applyBid(px, px * 10)
  for (const px of [110, 107, 109, 108]) b.applyAsk(px, px)
  assert.deepEqual(top(b, 10), {
    bids: [
      [103, 1030],
      [102, 1020],
      [101, 1010],
      [100, 1000],
    ],
    asks: [
      [107, 107],
      [108, 108],
      [109, 109],
      [110, 110],
    ],
  })
  assert.equal(b.bestBidPx(), 103)
  assert.equal(b.bestBidQty(), 1030)
  assert.equal(b.bestAskPx(), 107)
  assert.equal(b.bestAskQty(), 107)
  assert.equal(b.bidPx(1), 102)
  assert.equal(b.askQty(3), 110)
  assert.equal(b.askPx(4), 0, 'beyond the book: 0')
})

test('quantities are absolute; 0 deletes; deleting an unknown level is a counted no-op', () => {
  const b = new OrderBook()
  b.applyBid(100, 5)
  b.applyBid(100, 7)
  assert.equal(b.bestBidQty(), 7)
  assert.equal(b.bidLevels, 1)
  assert.equal(b.applyBid(100, 0), true)
  assert.equal(b.bidLevels, 0)
  assert.equal(b.bestBidPx(), 0)
  assert.equal(b.applyAsk(50, 0), false)
  assert.equal(b.asks.unknownDeletes, 1)
  assert.equal(b.askLevels, 0)
})

test('loadSnapshot replaces the book, skips zero levels and accepts unsorted input', () => {
  const b = new OrderBook()
  b.applyBid(1, 1)
  b.loadSnapshot(f64([100, 99, 98]), f64([1, 0, 3]), 3, f64([101, 103, 102]), f64([4, 6, 5]), 3, 77)
  assert.equal(b.updateId, 77)
  assert.deepEqual(top(b, 5), {
    bids: [
      [100, 1],
      [98, 3],
    ],
    asks: [
      [101, 4],
      [102, 5],
      [103, 6],
    ],
  })
  b.clear()
  assert.equal(b.bidLevels + b.askLevels, 0)
  assert.equal(b.updateId, 0)
})

test('crossed: best bid >= best ask', () => {
  const b = new OrderBook()
  b.applyBid(100, 1)
  assert.equal(b.isCrossed(), false, 'one side empty')
  b.applyAsk(101, 1)
  assert.equal(b.isCrossed(), false)
  b.applyBid(101, 1)
  assert.equal(b.isCrossed(), true, 'equal prices are crossed')
})

test('a side is bounded by maxLevels: the worst level goes, a worse one is refused', () => {
  const b = new OrderBook({ maxLevels: 3 })
  for (const px of [10, 20, 30]) b.applyBid(px, 1)
  b.applyBid(5, 1)
  assert.deepEqual(
    top(b, 5).bids.map((l) => l[0]),
    [30, 20, 10],
    'worse than every level: refused',
  )
  b.applyBid(25, 1)
  assert.deepEqual(
    top(b, 5).bids.map((l) => l[0]),
    [30, 25, 20],
    'better: the worst (10) dropped',
  )
  for (const px of [1, 2, 3, 4]) b.applyAsk(px, 1)
  assert.deepEqual(
    top(b, 5).asks.map((l) => l[0]),
    [1, 2, 3],
  )
  assert.equal(b.bids.truncated + b.asks.truncated, 3)
})

test('topBids/topAsks never write past the caller arrays', () => {
  const b = new OrderBook()
  for (let i = 1; i <= 10; i++) b.applyBid(i, i)
  const p = new Float64Array(3)
  const q = new Float64Array(3)
  assert.equal(b.topBids(10, p, q), 3)
  assert.deepEqual(Array.from(p), [10, 9, 8])
})

test('property: the book equals a Map-based reference after any sequence of updates', () => {
  const op = fc.record({
    bid: fc.boolean(),
    px: fc.integer({ min: 1, max: 60 }),
    qty: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
  })
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 100 }), (ops, maxLevels) => {
      const book = new OrderBook({ maxLevels: 1000 })
      const ref = { bids: new Map<number, number>(), asks: new Map<number, number>() }
      for (const o of ops) {
        book.apply(o.bid, o.px, o.qty)
        const m = o.bid ? ref.bids : ref.asks
        if (o.qty === 0) m.delete(o.px)
        else m.set(o.px, o.qty)
      }
      const want = {
        bids: [...ref.bids.entries()].sort((a, b) => b[0] - a[0]),
        asks: [...ref.asks.entries()].sort((a, b) => a[0] - b[0]),
      }
      assert.deepEqual(top(book, 1000), want)
      assert.equal(book.bestBidPx(), want.bids[0]?.[0] ?? 0)
      assert.equal(book.bestAskQty(), want.asks[0]?.[1] ?? 0)
      for (const [px, qty] of want.bids) assert.equal(book.bids.qtyAt(px), qty)
      // A bounded book holds exactly the best maxLevels of the unbounded one
      // when built from a snapshot of it.
      const small = new OrderBook({ maxLevels })
      small.loadSnapshot(
        f64(want.bids.map((l) => l[0])),
        f64(want.bids.map((l) => l[1])),
        want.bids.length,
        f64(want.asks.map((l) => l[0])),
        f64(want.asks.map((l) => l[1])),
        want.asks.length,
        1,
      )
      assert.deepEqual(top(small, 1000), { bids: want.bids.slice(0, maxLevels), asks: want.asks.slice(0, maxLevels) })
    }),
    { numRuns: 300 },
  )
})

test('property: a bounded book keeps exactly the best maxLevels levels of each side under updates that only add', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (pxs, maxLevels) => {
      const book = new OrderBook({ maxLevels })
      for (const px of pxs) book.applyBid(px, px)
      const want = [...pxs].sort((a, b) => b - a).slice(0, maxLevels)
      assert.deepEqual(
        top(book, 1000).bids.map((l) => l[0]),
        want,
      )
    }),
    { numRuns: 200 },
  )
})
