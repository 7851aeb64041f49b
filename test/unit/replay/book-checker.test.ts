import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OrderBook } from '../../../src/book/order-book.js'
import { ProviderRaw, RawType } from '../../../src/model/provider-raw.js'
import { BookChecker } from '../../../src/replay/book-checker.js'

function ticker(u: number, bp: number, bq: number, ap: number, aq: number): ProviderRaw {
  const r = new ProviderRaw()
  r.type = RawType.BookTicker
  r.instrumentId = 1
  r.updateId = u
  r.bidPxM = bp
  r.bidQtyM = bq
  r.askPxM = ap
  r.askQtyM = aq
  return r
}

test('a bookTicker that arrives before its diff is held and checked right after that diff', () => {
  const c = new BookChecker()
  const book = new OrderBook({ instrumentId: 1 })
  c.onTicker(ticker(12, 100, 5, 101, 7))
  c.onTicker(ticker(11, 1, 1, 2, 2))
  assert.equal(c.stats(1).held, 2)
  book.applyBid(100, 5)
  book.applyAsk(101, 7)
  c.onDiffApplied(book, 12)
  const s = c.stats(1)
  assert.equal(s.checks, 1)
  assert.equal(s.mismatches, 0)
  assert.equal(s.held, 0)
  assert.equal(s.unmatched, 1, 'u inside an earlier range: not checkable')
})

test('a bookTicker behind the book is checked against the top recorded after its diff', () => {
  const c = new BookChecker()
  const book = new OrderBook({ instrumentId: 1 })
  book.applyBid(100, 5)
  book.applyAsk(101, 7)
  c.onDiffApplied(book, 10)
  book.applyBid(100, 6)
  c.onDiffApplied(book, 20)
  c.onTicker(ticker(10, 100, 5, 101, 7))
  c.onTicker(ticker(20, 100, 5, 101, 7))
  c.onTicker(ticker(15, 100, 5, 101, 7))
  const s = c.stats(1)
  assert.equal(s.checks, 2)
  assert.equal(s.mismatches, 1, 'quantity 5 vs 6 after u=20')
  assert.deepEqual(s.samples[0], { updateId: 20, ticker: { bidPxM: 100, bidQtyM: 5, askPxM: 101, askQtyM: 7 }, book: { bidPxM: 100, bidQtyM: 6, askPxM: 101, askQtyM: 7 } })
  assert.equal(s.unmatched, 1)
})

test('the hold is bounded: the oldest held tickers are dropped and counted', () => {
  const c = new BookChecker()
  for (let u = 1; u <= 5000; u++) c.onTicker(ticker(u, 1, 1, 2, 2))
  assert.equal(c.stats(1).held, 4096)
  assert.equal(c.stats(1).heldDropped, 5000 - 4096)
})
