import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ExecType, OrderSide, OrderStatus } from '../../../src/model/orders.js'
import { JournalReader } from '../../../src/journal/queries.js'
import { eventually } from '../../helpers/eventually.js'
import { VARIANTS, startStack, type Stack } from './harness.js'

/** Buy at a price (mantissa, 2 dp) for a quantity (mantissa, 5 dp). */
const buy = (s: Stack, priceM: number, qtyM: number): string => s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM, qtyM })
const statusOf = (s: Stack, id: string): number => s.router.order(id)?.status ?? -1

async function assertConsistentWithVenue(s: Stack, ids: string[]): Promise<void> {
  const trades = await s.gw.myTrades(s.btc, 0, 0)
  const reader = new JournalReader(s.file)
  const fills = reader.fills()
  reader.close()
  assert.deepEqual(
    fills.map((f) => f.tradeId).sort((a, b) => a - b),
    trades.map((t) => t.tradeId).sort((a, b) => a - b),
    'journal fills = venue trade history, each exactly once',
  )
  let net = 0
  for (const t of trades) net += t.side === OrderSide.Buy ? t.qtyM : -t.qtyM
  assert.equal(s.router.position(s.btc), net, 'position = the venue trades')
  for (const id of ids) {
    const v = await s.gw.queryOrder(s.btc, id)
    assert.ok(v !== null)
    assert.equal(statusOf(s, id), v.status, `order ${id}: router and venue agree`)
    assert.equal(s.router.order(id)!.cumQtyM, v.cumQtyM)
  }
  const seen = new Set<string>()
  for (const r of s.strat.reports) {
    if (r.execType !== ExecType.Trade) continue
    const k = `${r.clientOrderId}/${r.tradeId}`
    assert.ok(!seen.has(k), `fill ${k} delivered twice`)
    seen.add(k)
  }
}

for (const v of VARIANTS) {
  test(`gateway against the simulator (${v.name}): place, cancel, partial fill, fill, duplicate and reordered reports`, async () => {
    const s = await startStack(v)
    try {
      await eventually(() => assert.ok(s.router.counters.reconciliations >= 1), 5000)
      assert.equal(s.gw.ordersOverWsApi, v.orderTransport === 'ws-api')
      // resting order, then cancel
      const a = buy(s, 5_500_000, 100)
      await eventually(() => assert.equal(statusOf(s, a), OrderStatus.New))
      assert.ok(s.router.order(a)!.venueOrderId > 0)
      assert.ok(s.router.cancel(1, a))
      await eventually(() => assert.equal(statusOf(s, a), OrderStatus.Canceled))
      // inside the spread, partially filled by a market trade, then canceled
      const b = buy(s, 6_000_000, 100)
      await eventually(() => assert.equal(statusOf(s, b), OrderStatus.New))
      s.sim.faults.marketTrade('BTCUSDT', 'SELL', '0.0004', '60000')
      await eventually(() => assert.equal(statusOf(s, b), OrderStatus.PartiallyFilled))
      assert.equal(s.router.order(b)!.fillQtyM, 40)
      s.router.cancel(1, b)
      await eventually(() => assert.equal(statusOf(s, b), OrderStatus.Canceled))
      assert.equal(s.router.order(b)!.cumQtyM, 40)
      // crossing: filled at once
      const c = buy(s, 6_001_000, 50)
      await eventually(() => assert.equal(statusOf(s, c), OrderStatus.Filled))
      await eventually(() => assert.equal(s.router.order(c)!.fillQtyM, 50))
      // duplicated and reordered executionReports
      s.sim.faults.duplicateReports(6, s.apiKey)
      s.sim.faults.reorderReports(2, s.apiKey)
      const d = buy(s, 6_001_000, 30)
      const e = buy(s, 5_000_000, 20)
      await eventually(() => assert.equal(statusOf(s, d), OrderStatus.Filled))
      await eventually(() => assert.equal(s.router.order(d)!.fillQtyM, 30))
      await eventually(() => assert.equal(statusOf(s, e), OrderStatus.New))
      s.router.cancel(1, e)
      await eventually(() => assert.equal(statusOf(s, e), OrderStatus.Canceled))
      assert.equal(s.router.exposure.totalOpenOrders, 0)
      assert.ok(s.router.machine.duplicateFills >= 1, 'the duplicated TRADE report was seen and not counted')
      await assertConsistentWithVenue(s, [a, b, c, d, e])
      // statuses the strategy saw for the partially filled order, in order, never backwards
      const seq = s.strat.of(b).map((r) => r.status)
      assert.deepEqual(seq.filter((x, i) => i === 0 || seq[i - 1] !== x), [OrderStatus.New, OrderStatus.PartiallyFilled, OrderStatus.Canceled])
    } finally {
      await s.close()
    }
  })
}
