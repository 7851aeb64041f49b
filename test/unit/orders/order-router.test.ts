import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { ManualClock } from '../../../src/core/clock.js'
import { ExecType, OrderSide, OrderStatus, type ExecReport } from '../../../src/model/orders.js'
import { GatewayEvent } from '../../../src/model/ports.js'
import { SqliteJournal } from '../../../src/journal/journal.js'
import { JournalReader } from '../../../src/journal/queries.js'
import { OrderRouter, type OrderListener } from '../../../src/orders/order-router.js'
import { RiskReason } from '../../../src/orders/risk.js'
import { eventually } from '../../helpers/eventually.js'
import { FakeGateway, btcRegistry, pools, tempDir } from './fixtures.js'

const T0 = 1_764_000_000_000_000

class Recorder implements OrderListener {
  readonly reports: Array<{ execType: number; status: number; clientOrderId: string; reasonCode: string; lastQtyM: number; tradeId: number }> = []
  onCall: ((r: Readonly<ExecReport>) => void) | null = null
  onExecReport(r: Readonly<ExecReport>): void {
    this.onCall?.(r)
    this.reports.push({ execType: r.execType, status: r.status, clientOrderId: r.clientOrderId, reasonCode: r.reasonCode, lastQtyM: r.lastQtyM, tradeId: r.tradeId })
  }
}

function setup(opts: { reqCap?: number; file?: string; dir?: string } = {}) {
  const tmp = opts.dir === undefined ? tempDir() : { dir: opts.dir, cleanup: () => {} }
  const file = opts.file ?? path.join(tmp.dir, 'journal.sqlite')
  const { registry, btc } = btcRegistry()
  const clock = new ManualClock(T0)
  const journal = new SqliteJournal(file, { registry, clock })
  const { requestPool, reportPool } = pools(opts.reqCap ?? 64)
  const router = new OrderRouter({ registry, journal, requestPool, reportPool, clock, risk: { maxOrdersPerSecond: 1000, staleAfterUs: 0 }, notFoundAfterUs: 10_000_000, resolveEveryMs: 60_000 })
  const gw = new FakeGateway(registry.venueId('sim'))
  router.addGateway(gw)
  const strat = new Recorder()
  router.registerStrategy(1, 'mm', strat)
  const rec = router.start()
  const done = (): void => {
    router.close()
    journal.close()
  }
  return { tmp, file, registry, btc, clock, journal, router, gw, strat, requestPool, reportPool, rec, done }
}

test('submit → journal → gateway; ack and fills reach the strategy after the journal; positions move', () => {
  const s = setup()
  try {
    const id = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    assert.equal(s.gw.submits.length, 1)
    assert.equal(s.gw.submits[0]!.clientOrderId, id)
    assert.equal(s.router.order(id)!.status, OrderStatus.PendingNew)
    assert.equal(s.requestPool.leased, 0, 'request released after the send')
    const reader = new JournalReader(s.file)
    let checkedInCallback = 0
    s.strat.onCall = (r) => {
      // the journal already has what the strategy is being told
      if (r.execType === ExecType.Trade) {
        assert.ok(reader.fills().some((f) => f.clientOrderId === id && f.tradeId === r.tradeId))
        checkedInCallback++
      }
    }
    s.gw.ack(id, 42)
    s.gw.fill(id, 7, 400, 5000000, 400, OrderStatus.PartiallyFilled)
    s.gw.fill(id, 7, 400, 5000000, 400, OrderStatus.PartiallyFilled) // duplicate
    s.gw.fill(id, 8, 600, 4999900, 1000, OrderStatus.Filled)
    assert.equal(checkedInCallback, 2)
    assert.deepEqual(
      s.strat.reports.map((r) => r.status),
      [OrderStatus.New, OrderStatus.PartiallyFilled, OrderStatus.Filled],
    )
    assert.equal(s.router.position(s.btc), 1000)
    assert.equal(s.router.position(s.btc, 1), 1000)
    assert.equal(s.router.counters.fills, 2)
    assert.equal(s.router.machine.duplicateFills, 1)
    assert.equal(s.router.exposure.totalOpenOrders, 0)
    assert.equal(s.reportPool.leased, 0, 'every report released')
    const o = reader.orders()[0]!
    assert.equal(o.status, 'filled')
    assert.equal(o.filledQty, '0.01')
    assert.equal(o.venueOrderId, 42)
    assert.equal(reader.fills().length, 2)
    assert.deepEqual(reader.positions(), [{ strategyId: 1, venue: 'sim', symbol: 'BTCUSDT', position: '0.01' }])
    reader.close()
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('a denial reaches the strategy as a REJECTED report with its reason code, journaled, after submit returns', async () => {
  const s = setup()
  try {
    const id = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 5 }) // below min qty
    assert.equal(s.strat.reports.length, 0, 'not re-entrant: delivered after submit returns')
    assert.equal(s.gw.submits.length, 0)
    await eventually(() => assert.equal(s.strat.reports.length, 1))
    assert.equal(s.strat.reports[0]!.status, OrderStatus.Rejected)
    assert.equal(s.strat.reports[0]!.reasonCode, RiskReason.MinQty)
    assert.equal(s.strat.reports[0]!.clientOrderId, id)
    const reader = new JournalReader(s.file)
    assert.equal(reader.orders()[0]!.reasonCode, RiskReason.MinQty)
    assert.equal(reader.orders()[0]!.status, 'rejected')
    reader.close()
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('OrderRequest pool empty: the order is denied with ORDER_POOL_EXHAUSTED, never dropped', async () => {
  const s = setup({ reqCap: 1 })
  try {
    const held = s.requestPool.tryAcquire()!
    const id = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    await eventually(() => assert.equal(s.strat.reports.length, 1))
    assert.equal(s.strat.reports[0]!.reasonCode, 'ORDER_POOL_EXHAUSTED')
    assert.equal(s.strat.reports[0]!.clientOrderId, id)
    assert.equal(s.router.counters.requestPoolExhausted, 1)
    s.requestPool.release(held)
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('a send that fails is Unknown, not rejected, and is resolved by querying the venue', async () => {
  const s = setup()
  try {
    s.gw.throwOnSubmit = true
    const id = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    await eventually(() => assert.equal(s.router.order(id)!.status, OrderStatus.Unknown))
    assert.equal(s.strat.reports.at(-1)!.status, OrderStatus.Unknown)
    // the venue did get it and it is resting
    s.gw.venueOrders.set(id, { clientOrderId: id, venueOrderId: 77, instrumentId: s.btc, status: OrderStatus.New, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000, cumQtyM: 0, cumQuoteM: 0, quoteScale: 0, tsUpdateUs: T0 })
    await s.router.resolveUnknowns()
    assert.equal(s.router.order(id)!.status, OrderStatus.New)
    assert.equal(s.router.order(id)!.venueOrderId, 77)
    assert.equal(s.router.counters.resolvedByQuery, 1)
    assert.equal(s.router.pendingQueries, 0)
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('an unknown order the venue never saw becomes rejected (RECONCILE_NOT_FOUND) only after the send window', async () => {
  const s = setup()
  try {
    const id = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    s.gw.push((r) => {
      r.execType = ExecType.Unknown
      r.status = OrderStatus.Unknown
      r.clientOrderId = id
      r.reasonCode = 'TIMEOUT'
    })
    await s.router.resolveUnknowns()
    assert.equal(s.router.order(id)!.status, OrderStatus.Unknown, 'not final inside the window')
    s.clock.advance(11_000_000)
    await s.router.resolveUnknowns()
    assert.equal(s.router.order(id)!.status, OrderStatus.Rejected)
    assert.equal(s.strat.reports.at(-1)!.reasonCode, 'RECONCILE_NOT_FOUND')
    assert.equal(s.router.exposure.totalOpenOrders, 0)
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('after a reconnect, open orders are restated and missed fills recovered from trade history', async () => {
  const s = setup()
  try {
    const a = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    const b = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Sell, priceM: 5100000, qtyM: 500 })
    s.gw.ack(a, 1)
    s.gw.ack(b, 2)
    s.gw.fill(a, 10, 300, 5000000, 300, OrderStatus.PartiallyFilled)
    // while disconnected: a filled completely (trades 10, 11), b partially (trade 12) and still open
    s.gw.venueOrders.set(a, { clientOrderId: a, venueOrderId: 1, instrumentId: s.btc, status: OrderStatus.Filled, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000, cumQtyM: 1000, cumQuoteM: 0, quoteScale: 0, tsUpdateUs: T0 })
    s.gw.venueOrders.set(b, { clientOrderId: b, venueOrderId: 2, instrumentId: s.btc, status: OrderStatus.PartiallyFilled, side: OrderSide.Sell, priceM: 5100000, qtyM: 500, cumQtyM: 200, cumQuoteM: 0, quoteScale: 0, tsUpdateUs: T0 })
    const tr = (tradeId: number, venueOrderId: number, side: number, qtyM: number) => ({ tradeId, venueOrderId, instrumentId: s.btc, side, pxM: 5000000, qtyM, commission: '0.00000100', commissionAsset: 'BNB', isMaker: true, tsEventUs: T0 })
    s.gw.trades.push(tr(10, 1, OrderSide.Buy, 300), tr(11, 1, OrderSide.Buy, 700), tr(12, 2, OrderSide.Sell, 200))
    const rep = await s.router.reconcile(s.gw.venueId)
    assert.equal(rep.restated, 1) // b is in open orders
    assert.equal(rep.queried, 1) // a is not: queried
    assert.equal(rep.missedFills, 2)
    assert.equal(s.router.order(a)!.status, OrderStatus.Filled)
    assert.equal(s.router.order(b)!.status, OrderStatus.PartiallyFilled)
    assert.equal(s.router.position(s.btc), 1000 - 200)
    const reader = new JournalReader(s.file)
    assert.deepEqual(reader.fills().map((f) => f.tradeId).sort(), [10, 11, 12])
    reader.close()
    // a second reconcile changes nothing
    const again = await s.router.reconcile(s.gw.venueId)
    assert.equal(again.missedFills, 0)
    assert.equal(s.router.position(s.btc), 800)
    // the gateway event path triggers the same
    s.gw.sink!.onGatewayEvent(s.gw.venueId, GatewayEvent.Reconnected, 'test')
    await eventually(() => assert.equal(s.router.counters.reconciliations, 3))
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('restart: open orders, positions and fills come back from the journal; ids never repeat', () => {
  const tmp = tempDir()
  try {
    const first = setup({ dir: tmp.dir })
    const a = first.router.submit(1, { instrumentId: first.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    first.gw.ack(a, 5)
    first.gw.fill(a, 20, 250, 5000000, 250, OrderStatus.PartiallyFilled)
    first.done()
    const second = setup({ dir: tmp.dir })
    assert.equal(second.rec.openOrders.length, 1)
    const o = second.router.order(a)!
    assert.equal(o.status, OrderStatus.PartiallyFilled)
    assert.equal(o.fillQtyM, 250)
    assert.equal(second.router.position(second.btc), 250)
    assert.equal(second.router.exposure.totalOpenOrders, 1)
    // the same fill replayed by the venue after the restart is not counted again
    second.gw.fill(a, 20, 250, 5000000, 250, OrderStatus.PartiallyFilled)
    assert.equal(second.router.position(second.btc), 250)
    const b = second.router.submit(1, { instrumentId: second.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    assert.notEqual(a.split('-')[1], b.split('-')[1], 'a new id epoch')
    second.done()
  } finally {
    tmp.cleanup()
  }
})

test('cancel: pending-cancel journaled, CANCELED delivered; cancelOnExit waits for the reports within the deadline', async () => {
  const s = setup()
  try {
    const a = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    const b = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 4900000, qtyM: 1000 })
    s.gw.ack(a, 1)
    s.gw.ack(b, 2)
    assert.equal(s.router.cancel(2, a), false, 'not this strategy')
    assert.equal(s.router.cancel(1, a), true)
    assert.equal(s.router.order(a)!.status, OrderStatus.PendingCancel)
    assert.equal(s.gw.cancels[0]!.origClientOrderId, a)
    assert.notEqual(s.gw.cancels[0]!.clientOrderId, a)
    const exit = s.router.cancelOnExit(5000)
    assert.equal(s.gw.cancels.length, 2)
    s.gw.push((r) => {
      r.execType = ExecType.Canceled
      r.status = OrderStatus.Canceled
      r.clientOrderId = a
    })
    s.gw.push((r) => {
      r.execType = ExecType.Canceled
      r.status = OrderStatus.Canceled
      r.clientOrderId = b
    })
    const res = await exit
    assert.deepEqual(res.remaining, [])
    assert.equal(res.canceled, 2)
    // intake is closed now
    s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    await eventually(() => assert.equal(s.strat.reports.at(-1)!.reasonCode, 'ORDER_INTAKE_CLOSED'))
    const reader = new JournalReader(s.file)
    const t = reader.transitions(a).map((x) => x.to)
    assert.deepEqual(t, ['pending-new', 'new', 'pending-cancel', 'canceled'])
    reader.close()
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('cancelOnExit gives up at the deadline and names the orders still working', async () => {
  const s = setup()
  try {
    const a = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    s.gw.ack(a, 1)
    const res = await s.router.cancelOnExit(50)
    assert.deepEqual(res.remaining, [a])
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('ExecReport pool empty: the producer waits for a release, the report is not dropped', async () => {
  const s = setup()
  try {
    const held = []
    for (let r = s.reportPool.tryAcquire(); r !== null; r = s.reportPool.tryAcquire()) held.push(r)
    const id = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    const waiting = s.router.acquireReport().then((r) => {
      r.execType = ExecType.New
      r.status = OrderStatus.New
      r.clientOrderId = id
      s.router.onExecReport(r)
    })
    s.reportPool.release(held.pop()!)
    await waiting
    assert.equal(s.router.order(id)!.status, OrderStatus.New)
    for (const r of held) s.reportPool.release(r)
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('a strategy that throws does not break the router; the report was journaled anyway', () => {
  const s = setup()
  try {
    s.strat.onCall = () => {
      throw new Error('boom')
    }
    const id = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    s.gw.ack(id, 1)
    assert.equal(s.router.counters.strategyErrors, 1)
    assert.equal(s.router.order(id)!.status, OrderStatus.New)
    assert.equal(s.reportPool.leased, 0)
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})

test('a denial for an unknown instrument or a malformed order is journaled and delivered; trading goes on', async () => {
  const s = setup()
  try {
    const a = s.router.submit(1, { instrumentId: 999, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    const b = s.router.submit(1, { instrumentId: s.btc, side: 7, priceM: 5000000, qtyM: 1000 })
    await eventually(() => assert.equal(s.strat.reports.length, 2))
    assert.equal(s.strat.reports[0]!.reasonCode, RiskReason.UnknownInstrument)
    assert.equal(s.strat.reports[1]!.reasonCode, RiskReason.InvalidOrder)
    assert.equal(s.router.counters.journalErrors, 0)
    const reader = new JournalReader(s.file)
    assert.deepEqual(reader.orders().map((o) => o.clientOrderId).sort(), [a, b].sort())
    reader.close()
    const c = s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM: 5000000, qtyM: 1000 })
    assert.equal(s.router.order(c)!.status, OrderStatus.PendingNew)
  } finally {
    s.done()
    s.tmp.cleanup()
  }
})
