import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CanonicalEvent, EventKind } from '../../../../src/model/events.js'
import { ProviderRaw, RawType } from '../../../../src/model/provider-raw.js'
import { TradeCheck, TradeGapTracker } from '../../../../src/venues/binance/trade-gaps.js'

function trade(id: number, t: number): ProviderRaw {
  const r = new ProviderRaw()
  r.type = RawType.Trade
  r.instrumentId = id
  r.tradeId = t
  r.eventTime = 1_700_000_000_000
  r.recvTsUs = 42
  return r
}

function agg(id: number, a: number, f: number, l: number): ProviderRaw {
  const r = trade(id, a)
  r.type = RawType.AggTrade
  r.firstTradeId = f
  r.lastTradeId = l
  return r
}

test('contiguous trade ids pass; a jump is a TradeGap with the missing range', () => {
  const g = new TradeGapTracker(3)
  const ev = new CanonicalEvent()
  assert.equal(g.check(trade(1, 100), ev), TradeCheck.Ok)
  assert.equal(g.check(trade(1, 101), ev), TradeCheck.Ok)
  assert.equal(ev.kind, EventKind.None, 'no event on Ok')
  assert.equal(g.check(trade(1, 105), ev), TradeCheck.Gap)
  assert.equal(ev.kind, EventKind.TradeGap)
  assert.equal(ev.gapFrom, 102)
  assert.equal(ev.gapTo, 104)
  assert.equal(ev.instrumentId, 1)
  assert.equal(ev.venueId, 3)
  assert.equal(ev.tsEventUs, 1_700_000_000_000_000)
  assert.equal(ev.tsRecvUs, 42)
  assert.equal(g.check(trade(1, 106), null), TradeCheck.Ok, 'the chain continues from the new id')
  const s = g.stats(1)
  assert.equal(s.gaps, 1)
  assert.equal(s.missingIds, 3)
  assert.equal(s.lastTradeId, 106)
})

test('duplicates and old ids are counted and dropped', () => {
  const g = new TradeGapTracker()
  g.check(trade(1, 10), null)
  g.check(trade(1, 11), null)
  assert.equal(g.check(trade(1, 11), null), TradeCheck.Duplicate)
  assert.equal(g.check(trade(1, 5), null), TradeCheck.Duplicate)
  assert.equal(g.check(trade(1, 12), null), TradeCheck.Ok)
  assert.equal(g.stats(1).duplicates, 2)
  assert.equal(g.duplicates, 2)
})

test('aggTrade continuity is f == previous l + 1', () => {
  const g = new TradeGapTracker()
  const ev = new CanonicalEvent()
  assert.equal(g.check(agg(1, 7, 100, 104), ev), TradeCheck.Ok)
  assert.equal(g.check(agg(1, 8, 105, 105), ev), TradeCheck.Ok)
  assert.equal(g.check(agg(1, 9, 110, 112), ev), TradeCheck.Gap)
  assert.deepEqual([ev.gapFrom, ev.gapTo], [106, 109])
  assert.equal(g.check(agg(1, 9, 110, 112), ev), TradeCheck.Duplicate)
})

test('symbols and the trade/aggTrade streams are tracked separately; trade id 0 is a real id', () => {
  const g = new TradeGapTracker()
  g.check(trade(1, 0), null)
  assert.equal(g.check(trade(1, 1), null), TradeCheck.Ok)
  assert.equal(g.check(trade(2, 500), null), TradeCheck.Ok, 'another symbol starts its own chain')
  assert.equal(g.check(agg(1, 1, 1, 1), null), TradeCheck.Ok, 'aggTrade stream has its own chain')
  assert.equal(g.check(trade(200, 1), null), TradeCheck.Ok, 'instrument ids beyond the initial arrays grow them')
  assert.equal(g.check(trade(200, 3), null), TradeCheck.Gap)
  assert.equal(g.gaps, 1)
})

test('a gap across a reconnect is reported; reset() forgets a symbol deliberately', () => {
  const g = new TradeGapTracker()
  g.check(trade(1, 10), null)
  // (connection replaced: the tracker keeps its state)
  assert.equal(g.check(trade(1, 20), null), TradeCheck.Gap)
  g.reset(1)
  assert.equal(g.check(trade(1, 50), null), TradeCheck.Ok)
  assert.equal(g.check(new ProviderRaw(), null), TradeCheck.NotTrade)
})

test('a trade reported missing that arrives late and in order is delivered, not dropped', () => {
  const g = new TradeGapTracker()
  g.check(trade(1, 100), null)
  assert.equal(g.check(trade(1, 104), null), TradeCheck.Gap) // 101..103 missing
  assert.equal(g.check(trade(1, 101), null), TradeCheck.Ok)
  assert.equal(g.check(trade(1, 101), null), TradeCheck.Duplicate, 'delivered once')
  assert.equal(g.check(trade(1, 102), null), TradeCheck.Ok)
  assert.equal(g.check(trade(1, 103), null), TradeCheck.Ok)
  assert.equal(g.check(trade(1, 104), null), TradeCheck.Duplicate, 'the gap is closed: 104 was already delivered')
  assert.equal(g.check(trade(1, 105), null), TradeCheck.Ok)
  assert.equal(g.stats(1).gapFills, 3)
  assert.equal(g.stats(1).duplicates, 2)
})

test('one corrupt far-ahead trade id does not turn every later real trade into a duplicate', () => {
  const g = new TradeGapTracker()
  g.check(trade(1, 149), null)
  assert.equal(g.check(trade(1, 5_000_000), null), TradeCheck.Gap) // trade 150 arrived with a lying id
  for (let t = 151; t < 400; t++) assert.equal(g.check(trade(1, t), null), TradeCheck.Ok, `trade ${t}`)
  assert.equal(g.stats(1).duplicates, 0)
  assert.equal(g.check(trade(1, 300), null), TradeCheck.Duplicate, 'a replayed id is still a duplicate')
})
