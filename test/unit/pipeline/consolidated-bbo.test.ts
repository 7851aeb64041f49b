import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventKind, type MergedEvent } from '../../../src/model/events.js'
import type { MergedSink } from '../../../src/pipeline/dispatcher.js'
import { Merger } from '../../../src/pipeline/merger.js'
import { OrderBookTops, TopOfBook, type BookTopSource } from '../../../src/pipeline/consolidated-bbo.js'
import { OrderBook } from '../../../src/book/order-book.js'
import { RecordingSink, bookDelta, fixture, quote, status, trade, type Fixture, type Published } from './helpers.js'

function setup(options: { bookTops?: BookTopSource } = {}): { f: Fixture; sink: RecordingSink; merger: Merger; spot: number; usdm: number } {
  const f = fixture()
  const sink = new RecordingSink(f)
  const merger = new Merger({ ...f, sink, ...options })
  return { f, sink, merger, spot: merger.addSource('spot'), usdm: merger.addSource('usdm') }
}

function bbo(p: Published): [number, number, number, number, number, number, number] {
  const e = p.event
  return [e.bidPxM, e.bidQtyM, e.bidVenueId, e.askPxM, e.askQtyM, e.askVenueId, e.priceScale]
}

test('consolidated BBO across venues: emitted only on change, with the venue of each side, right after its trigger', () => {
  const { f, sink, merger, spot, usdm } = setup()
  // spot BTCUSDT scales 2/5: bid 60,000.10 x 0.50000, ask 60,000.50 x 0.20000
  merger.push(spot, quote(f, f.spotBtc, 6_000_010, 50_000, 6_000_050, 20_000))
  let bbos = sink.ofKind(EventKind.Bbo)
  assert.equal(bbos.length, 1)
  assert.deepEqual(bbo(bbos[0]!), [6_000_010, 50_000, f.spot, 6_000_050, 20_000, f.spot, 2])
  assert.equal(bbos[0]!.canonicalId, f.btc)
  assert.equal(bbos[0]!.seq, 1, 'carries the seq of the quote that changed it')
  assert.equal(sink.out[0]!.kind, EventKind.Quote, 'the quote is published first, then its Bbo')
  assert.equal(bbos[0]!.event.qtyScale, 5)

  // the same quote again: no change, no Bbo
  merger.push(spot, quote(f, f.spotBtc, 6_000_010, 50_000, 6_000_050, 20_000))
  assert.equal(sink.ofKind(EventKind.Bbo).length, 1)
  // a trade changes nothing
  merger.push(spot, trade(f, f.spotBtc, 1))
  assert.equal(sink.ofKind(EventKind.Bbo).length, 1)

  // usdm BTCUSDT scales 1/3: bid 60,000.2 x 1.000 (better bid), ask 60,001.0 (worse ask)
  merger.push(usdm, quote(f, f.usdmBtc, 600_002, 1_000, 600_010, 3_000))
  bbos = sink.ofKind(EventKind.Bbo)
  assert.equal(bbos.length, 2)
  // rescaled to the larger scales (price 2, qty 5): 60,000.20 and 1.00000
  assert.deepEqual(bbo(bbos[1]!), [6_000_020, 100_000, f.usdm, 6_000_050, 20_000, f.spot, 2])
  assert.equal(merger.bbo(f.btc)!.bidVenueId, f.usdm)

  // usdm quote moves but stays worse on both sides than... its bid is still best: qty change is a change
  merger.push(usdm, quote(f, f.usdmBtc, 600_002, 2_000, 600_010, 3_000))
  assert.equal(sink.ofKind(EventKind.Bbo).length, 3)
  // usdm ask moves but stays worse than spot's: the BBO does not change
  merger.push(usdm, quote(f, f.usdmBtc, 600_002, 2_000, 600_011, 3_000))
  assert.equal(sink.ofKind(EventKind.Bbo).length, 3)

  // ETH is another canonical instrument: its own BBO
  merger.push(spot, quote(f, f.spotEth, 300_000, 1, 300_001, 1))
  bbos = sink.ofKind(EventKind.Bbo)
  assert.equal(bbos.length, 4)
  assert.equal(bbos[3]!.canonicalId, f.eth)
  assert.equal(f.canonicalPool.leased, 0)
  assert.equal(f.mergedPool.leased, 0)
  assert.equal(merger.stats().bboEmitted, 4)
})

test('equal prices on two venues: the lower instrument id wins, deterministically', () => {
  const { f, sink, merger, spot, usdm } = setup()
  merger.push(usdm, quote(f, f.usdmBtc, 600_000, 1_000, 600_010, 1_000))
  merger.push(spot, quote(f, f.spotBtc, 6_000_000, 7, 6_000_200, 7))
  const last = sink.ofKind(EventKind.Bbo).at(-1)!
  assert.equal(last.event.bidVenueId, f.spot)
  assert.equal(last.event.bidQtyM, 7)
  assert.equal(last.event.askVenueId, f.usdm)
})

test('BookInvalidated removes that venue from the BBO; its stale quote never returns until it quotes again', () => {
  const { f, sink, merger, spot, usdm } = setup()
  merger.push(spot, quote(f, f.spotBtc, 6_000_000, 1, 6_000_100, 1))
  merger.push(usdm, quote(f, f.usdmBtc, 600_005, 1, 600_006, 1)) // usdm best on both sides
  assert.deepEqual(bbo(sink.ofKind(EventKind.Bbo).at(-1)!).slice(0, 6), [6_000_050, 100, f.usdm, 6_000_060, 100, f.usdm])

  merger.push(usdm, status(f, EventKind.BookInvalidated, f.usdmBtc))
  let bbos = sink.ofKind(EventKind.Bbo)
  assert.equal(bbos.length, 3)
  assert.deepEqual(bbo(bbos[2]!).slice(0, 6), [6_000_000, 1, f.spot, 6_000_100, 1, f.spot])
  assert.equal(bbos[2]!.seq, 3, 'carries the seq of the invalidation')
  // invalidating again, or a resync without a quote, changes nothing
  merger.push(usdm, status(f, EventKind.BookInvalidated, f.usdmBtc))
  merger.push(usdm, status(f, EventKind.BookResynced, f.usdmBtc))
  merger.push(spot, quote(f, f.spotBtc, 6_000_000, 1, 6_000_100, 1))
  assert.equal(sink.ofKind(EventKind.Bbo).length, 3, 'the stale usdm quote did not come back')

  // the last venue invalidated: both sides empty
  merger.push(spot, status(f, EventKind.BookInvalidated, f.spotBtc))
  bbos = sink.ofKind(EventKind.Bbo)
  assert.equal(bbos.length, 4)
  assert.deepEqual(bbo(bbos[3]!).slice(0, 6), [0, 0, 0, 0, 0, 0])
  assert.equal(merger.bbo(f.btc)!.bidVenueId, 0)

  // a fresh usdm quote brings it back
  merger.push(usdm, quote(f, f.usdmBtc, 600_001, 1, 600_002, 1))
  assert.equal(sink.ofKind(EventKind.Bbo).at(-1)!.event.bidVenueId, f.usdm)
  assert.equal(f.canonicalPool.leased, 0)
})

test('book snapshots and a BookTopSource feed the BBO too', () => {
  const tops = new Map<number, TopOfBook>()
  const source: BookTopSource = {
    top(id, out) {
      const t = tops.get(id)
      if (t === undefined) return false
      out.bidPxM = t.bidPxM
      out.bidQtyM = t.bidQtyM
      out.askPxM = t.askPxM
      out.askQtyM = t.askQtyM
      out.priceScale = t.priceScale
      out.qtyScale = t.qtyScale
      return true
    },
  }
  {
    const { f, sink, merger, spot } = setup()
    const snap = bookDelta(f, f.spotBtc, 3)
    snap.isSnapshot = true
    merger.push(spot, snap)
    assert.deepEqual(bbo(sink.ofKind(EventKind.Bbo)[0]!).slice(0, 6), [6_000_000, 10, f.spot, 6_000_001, 20, f.spot])
    merger.push(spot, bookDelta(f, f.spotBtc, 1)) // incremental, no top source: ignored
    assert.equal(sink.ofKind(EventKind.Bbo).length, 1)
  }
  {
    const { f, sink, merger, spot } = setup({ bookTops: source })
    const t = new TopOfBook()
    Object.assign(t, { bidPxM: 5_000, bidQtyM: 3, askPxM: 5_001, askQtyM: 4, priceScale: 2, qtyScale: 5 })
    tops.set(f.spotBtc, t)
    merger.push(spot, bookDelta(f, f.spotBtc, 1))
    assert.deepEqual(bbo(sink.ofKind(EventKind.Bbo)[0]!).slice(0, 6), [5_000, 3, f.spot, 5_001, 4, f.spot])
    tops.delete(f.spotBtc) // the book is gone: the top leaves the BBO
    merger.push(spot, bookDelta(f, f.spotBtc, 1))
    assert.deepEqual(bbo(sink.ofKind(EventKind.Bbo)[1]!).slice(0, 6), [0, 0, 0, 0, 0, 0])
    assert.equal(f.canonicalPool.leased, 0)
  }
})

test('a Bbo that cannot be published (pool empty) is counted and re-emitted on the next update', () => {
  const f = fixture(2)
  const held: MergedEvent[] = []
  const sink = new RecordingSink(f)
  // holds the quotes (as a slow pipeline would), records and releases Bbo events
  const holding: MergedSink = { publish: (m) => (m.kind === EventKind.Bbo ? sink.publish(m) : held.push(m)) }
  const merger = new Merger({ ...f, sink: holding })
  const s = merger.addSource('s')
  merger.push(s, quote(f, f.spotBtc, 100, 1, 101, 1)) // its Bbo needs a 2nd CanonicalEvent: free
  assert.equal(sink.ofKind(EventKind.Bbo).length, 1)
  merger.push(s, quote(f, f.spotBtc, 99, 1, 101, 1)) // both pools now hold 2 quotes: the Bbo is dropped
  assert.equal(merger.stats().bboDropped, 1)
  assert.equal(sink.ofKind(EventKind.Bbo).length, 1)
  for (const m of held.splice(0)) sink.publish(m)
  merger.push(s, quote(f, f.spotBtc, 99, 1, 101, 1)) // unchanged, but the last change is unpublished
  const bbos = sink.ofKind(EventKind.Bbo)
  assert.equal(bbos.length, 2)
  assert.equal(bbos[1]!.event.bidPxM, 99)
  for (const m of held.splice(0)) sink.publish(m)
  assert.equal(f.canonicalPool.leased, 0)
  assert.equal(f.mergedPool.leased, 0)
})

test('OrderBookTops: the BBO follows real order books after each BookDelta; a resyncing book (lookup null) leaves it', () => {
  const f = fixture()
  const books = new Map<number, OrderBook>()
  const valid = new Set<number>()
  const tops = new OrderBookTops((id) => (valid.has(id) ? (books.get(id) ?? null) : null))
  const sink = new RecordingSink(f)
  const merger = new Merger({ ...f, sink, bookTops: tops })
  const spot = merger.addSource('spot')
  const usdm = merger.addSource('usdm')
  const spotBook = new OrderBook({ instrumentId: f.spotBtc, priceScale: 2, qtyScale: 5 })
  const usdmBook = new OrderBook({ instrumentId: f.usdmBtc, priceScale: 1, qtyScale: 3 })
  books.set(f.spotBtc, spotBook)
  books.set(f.usdmBtc, usdmBook)
  valid.add(f.spotBtc).add(f.usdmBtc)
  spotBook.applyBid(6_000_000, 5)
  spotBook.applyBid(5_999_900, 7)
  spotBook.applyAsk(6_000_200, 3)
  merger.push(spot, bookDelta(f, f.spotBtc, 0))
  usdmBook.applyBid(600_010, 2) // 60,001.0: better than spot's 60,000.00
  usdmBook.applyAsk(600_030, 2)
  merger.push(usdm, bookDelta(f, f.usdmBtc, 0))
  let bbos = sink.ofKind(EventKind.Bbo)
  assert.equal(bbos.length, 2)
  assert.deepEqual(bbo(bbos[1]!), [6_000_100, 200, f.usdm, 6_000_200, 3, f.spot, 2])
  valid.delete(f.usdmBtc) // usdm resyncing: its next delta finds no valid book
  merger.push(usdm, bookDelta(f, f.usdmBtc, 0))
  bbos = sink.ofKind(EventKind.Bbo)
  assert.deepEqual(bbo(bbos[2]!), [6_000_000, 5, f.spot, 6_000_200, 3, f.spot, 2])
  assert.equal(f.canonicalPool.leased, 0)
})
