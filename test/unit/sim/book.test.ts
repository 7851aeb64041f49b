/** The simulator's matching book: price-time priority, quote-bounded takes, dirty tracking. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BookSide, affordableQty, quoteOf, type BookFill, type RestingOrder } from '../../../src/sim/book.js'

const E8 = 100_000_000
const order = (orderId: number, price: number, qty: number): RestingOrder => ({ orderId, accountId: 1, price, remaining: qty })

test('price first, then anonymous liquidity, then user orders in arrival order', () => {
  const asks = new BookSide(false)
  asks.setAnon(101 * E8, 1 * E8)
  asks.setAnon(100 * E8, 1 * E8)
  const a = order(1, 100 * E8, 2 * E8)
  const b = order(2, 100 * E8, 2 * E8)
  asks.addOrder(a)
  asks.addOrder(b)
  assert.deepEqual(asks.prices, [100 * E8, 101 * E8])
  const fills: BookFill[] = []
  asks.take(101 * E8, 4 * E8, 0, 1, fills)
  assert.deepEqual(
    fills.map((f) => [f.price / E8, f.qty / E8, f.maker === null ? 'anon' : f.maker.orderId]),
    [[100, 1, 'anon'], [100, 2, 1], [100, 1, 2]],
  )
  assert.equal(b.remaining, 1 * E8)
  assert.equal(asks.totalAt(100 * E8), 1 * E8)
  assert.equal(asks.available(100 * E8, 10 * E8), 1 * E8)
  assert.equal(asks.available(0, 10 * E8), 2 * E8)
})

test('a limit stops the take; a quote bound buys only what it can afford on the step grid', () => {
  const asks = new BookSide(false)
  asks.setAnon(10 * E8, 5 * E8)
  asks.setAnon(20 * E8, 5 * E8)
  const f1: BookFill[] = []
  asks.take(15 * E8, 100 * E8, 0, 1, f1)
  assert.deepEqual(f1.map((f) => f.qty / E8), [5])
  const f2: BookFill[] = []
  asks.take(0, Number.MAX_SAFE_INTEGER, 30 * E8, 1_000_000, f2) // 30 USDT at 20 → 1.5
  assert.deepEqual(f2.map((f) => [f.price / E8, f.qty / E8]), [[20, 1.5]])
  assert.equal(quoteOf(20 * E8, 1.5 * E8), 30 * E8)
  assert.equal(affordableQty(29 * E8, 20 * E8, 1_000_000), 1.45 * E8)
})

test('bids sort descending; dirty sets record every changed price for both diff speeds', () => {
  const bids = new BookSide(true)
  bids.setAnon(99 * E8, E8)
  bids.setAnon(100 * E8, E8)
  bids.setAnon(98 * E8, E8)
  assert.deepEqual(bids.prices.map((p) => p / E8), [100, 99, 98])
  bids.setAnon(99 * E8, 0)
  assert.deepEqual(bids.prices.map((p) => p / E8), [100, 98])
  assert.deepEqual([...bids.dirty[0]].sort(), [...bids.dirty[1]].sort())
  assert.equal(bids.dirty[0].size, 3)
  const before = bids.changes
  bids.setAnon(100 * E8, E8) // unchanged: not a change
  assert.equal(bids.changes, before)
})
