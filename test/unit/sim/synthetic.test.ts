/** The synthetic market: deterministic per seed, never crossed, contiguous ids, a moving mid. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Hub } from '../../../src/sim/hub.js'
import { Market } from '../../../src/sim/market.js'
import { DEFAULT_SYMBOLS, resolveSymbol } from '../../../src/sim/symbols.js'
import { SyntheticSource } from '../../../src/sim/synthetic.js'

function run(seed: number, steps: number): { market: Market; snapshot: string } {
  let t = 1_700_000_000_000_000
  const market = new Market(new Hub(), DEFAULT_SYMBOLS.map(resolveSymbol), () => (t += 1000))
  const src = new SyntheticSource(market, seed)
  for (let i = 0; i < steps; i++) src.step()
  return { market, snapshot: market.list.map((sm) => market.depthSnapshot(sm, 50)).join('\n') }
}

test('same seed, same market; another seed, another market', () => {
  const a = run(42, 3000)
  const b = run(42, 3000)
  const c = run(43, 3000)
  assert.equal(a.snapshot, b.snapshot)
  assert.notEqual(a.snapshot, c.snapshot)
})

test('invariants over a long run: not crossed, at least 10 levels a side, ids advance, the mid moves', () => {
  let t = 1_700_000_000_000_000
  const market = new Market(new Hub(), DEFAULT_SYMBOLS.map(resolveSymbol), () => (t += 1000))
  const src = new SyntheticSource(market, 7)
  const sm = market.get('BTCUSDT')!
  const mid0 = sm.book.bids.bestPrice() + sm.book.asks.bestPrice()
  const mids = new Set<number>()
  let lastUpdate = sm.updateId
  let lastTrade = sm.tradeId
  for (let i = 0; i < 20_000; i++) {
    src.step()
    const bb = sm.book.bids.bestPrice()
    const ba = sm.book.asks.bestPrice()
    assert.ok(bb > 0 && ba > bb, `crossed or empty at step ${i}: ${bb} / ${ba}`)
    assert.ok(sm.book.bids.prices.length >= 10 && sm.book.asks.prices.length >= 10)
    assert.ok(sm.updateId >= lastUpdate)
    assert.ok(sm.tradeId >= lastTrade)
    lastUpdate = sm.updateId
    lastTrade = sm.tradeId
    mids.add(bb + ba)
  }
  assert.ok(sm.tradeId > 1000, `${sm.tradeId} trades`)
  for (let i = 1; i < sm.trades.length; i++) assert.equal(sm.trades[i]!.id, sm.trades[i - 1]!.id + 1)
  assert.ok(mids.size > 20, 'the mid walks')
  assert.ok([...mids].some((m) => m !== mid0))
})
