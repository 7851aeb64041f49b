import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ExecType, OrderSide, OrderStatus } from '../../../src/model/orders.js'
import { SqliteJournal } from '../../../src/journal/journal.js'
import { eventually } from '../../helpers/eventually.js'
import { VARIANTS, startStack, type Stack } from './harness.js'

const WS_ED = VARIANTS[0]!
const REST_HMAC = VARIANTS[2]!
const buy = (s: Stack, priceM: number, qtyM: number): string => s.router.submit(1, { instrumentId: s.btc, side: OrderSide.Buy, priceM, qtyM })
const statusOf = (s: Stack, id: string): number => s.router.order(id)?.status ?? -1

test('an order whose answer never comes (timeout) is Unknown, then reconciled by query: never rejected', async () => {
  const s = await startStack(WS_ED, { userData: 'none', requestTimeoutMs: 300 })
  try {
    await eventually(() => assert.ok(s.router.counters.reconciliations >= 1))
    s.sim.faults.swallowOrders(1, s.apiKey)
    const id = buy(s, 5_500_000, 100)
    await eventually(() => assert.ok(s.strat.of(id).some((r) => r.status === OrderStatus.Unknown)))
    await eventually(() => assert.equal(statusOf(s, id), OrderStatus.New), 5000)
    assert.ok(!s.strat.of(id).some((r) => r.status === OrderStatus.Rejected))
    assert.ok(s.router.counters.resolvedByQuery >= 1)
    assert.equal(s.router.pendingQueries, 0)
  } finally {
    await s.close()
  }
})

test('a 5xx on order entry is Unknown; the venue never had it, so it ends rejected RECONCILE_NOT_FOUND after the window', async () => {
  const s = await startStack(REST_HMAC, { userData: 'none' }, { notFoundAfterUs: 500_000 })
  try {
    s.sim.faults.restFailure(500, 1, '/api/v3/order')
    const id = buy(s, 5_500_000, 100)
    await eventually(() => assert.ok(s.strat.of(id).some((r) => r.status === OrderStatus.Unknown)))
    await eventually(() => assert.equal(statusOf(s, id), OrderStatus.Rejected), 5000)
    assert.equal(s.strat.of(id).at(-1)!.reasonCode, 'RECONCILE_NOT_FOUND')
  } finally {
    await s.close()
  }
})

test('429 with Retry-After: the order is refused (VENUE_RATE_LIMITED) and the next one is refused locally, not sent', async () => {
  const s = await startStack(REST_HMAC, { userData: 'none' })
  try {
    s.sim.faults.restFailure(429, 1, '/api/v3/order', 30)
    const a = buy(s, 5_500_000, 100)
    await eventually(() => assert.equal(statusOf(s, a), OrderStatus.Rejected))
    assert.equal(s.strat.of(a).at(-1)!.reasonCode, 'VENUE_RATE_LIMITED')
    const sentBefore = s.gw.rest.requests
    const b = buy(s, 5_500_000, 100)
    await eventually(() => assert.equal(statusOf(s, b), OrderStatus.Rejected))
    assert.equal(s.strat.of(b).at(-1)!.reasonCode, 'VENUE_RATE_LIMITED')
    assert.equal(s.gw.stats.refusedBackoff, 1)
    assert.equal(s.gw.rest.requests, sentBefore, 'nothing sent during the back-off')
    assert.ok(s.gw.budget.usage().blockedUntilMs > Date.now() + 20_000, 'the shared weight budget is blocked too')
  } finally {
    await s.close()
  }
})

test('a fill missed while the WS-API connection was down is recovered by reconciliation after the reconnect', async () => {
  const s = await startStack(WS_ED)
  try {
    await eventually(() => assert.ok(s.router.counters.reconciliations >= 1))
    const id = buy(s, 6_000_000, 100)
    await eventually(() => assert.equal(statusOf(s, id), OrderStatus.New))
    s.sim.faults.disconnectMidFrame({ path: '/ws-api' })
    s.sim.faults.marketTrade('BTCUSDT', 'SELL', '0.0007', '60000')
    await eventually(() => assert.ok(s.router.counters.reconciliations >= 2), 10_000)
    await eventually(() => assert.equal(s.router.order(id)!.fillQtyM, 70), 5000)
    assert.equal(statusOf(s, id), OrderStatus.PartiallyFilled)
    assert.equal(s.router.position(s.btc), 70)
    assert.ok(s.router.counters.missedFillsRecovered >= 1, 'recovered from the trade history, not from the stream')
  } finally {
    await s.close()
  }
})

test('the venue ends the user data subscription: the gateway resubscribes and reconciles', async () => {
  const s = await startStack(WS_ED)
  try {
    await eventually(() => assert.ok(s.router.counters.reconciliations >= 1))
    s.sim.faults.expireUserStream(s.apiKey)
    await eventually(() => assert.ok(s.router.counters.reconciliations >= 2))
    const id = buy(s, 6_000_000, 100)
    await eventually(() => assert.equal(statusOf(s, id), OrderStatus.New))
    s.sim.faults.marketTrade('BTCUSDT', 'SELL', '0.0002', '60000')
    await eventually(() => assert.equal(s.router.order(id)!.fillQtyM, 20))
  } finally {
    await s.close()
  }
})

test('cancel-on-exit cancels the working orders and waits for their reports; balances are journaled', async () => {
  const s = await startStack(WS_ED)
  try {
    const a = buy(s, 5_500_000, 100)
    const b = buy(s, 5_400_000, 100)
    await eventually(() => assert.equal(s.router.workingOrders(1).filter((o) => o.status === OrderStatus.New).length, 2))
    const res = await s.router.cancelOnExit(3000)
    assert.deepEqual(res.remaining, [])
    assert.equal(statusOf(s, a), OrderStatus.Canceled)
    assert.equal(statusOf(s, b), OrderStatus.Canceled)
    assert.ok(s.strat.of(a).some((r) => r.execType === ExecType.Canceled))
    s.sim.faults.deposit(s.apiKey, 'USDT', '10')
    await eventually(() => {
      const bal = s.journal.recover().balances.find((x) => x.asset === 'USDT')
      assert.ok(bal !== undefined)
    })
  } finally {
    await s.close()
  }
})

test('restart against the venue: journal reload + reconciliation restores open orders and positions', async () => {
  const s = await startStack(WS_ED)
  try {
    const id = buy(s, 6_000_000, 100)
    await eventually(() => assert.equal(statusOf(s, id), OrderStatus.New))
    s.sim.faults.marketTrade('BTCUSDT', 'SELL', '0.0003', '60000')
    await eventually(() => assert.equal(s.router.order(id)!.fillQtyM, 30))
    // a second engine on the same journal and account (the first one "crashed")
    const rec = new SqliteJournal(s.file, { registry: s.registry }).recover()
    assert.equal(rec.openOrders.length, 1)
    assert.equal(rec.openOrders[0]!.clientOrderId, id)
    assert.deepEqual(rec.openOrders[0]!.tradeIds.length, 1)
    assert.equal(rec.positions[0]!.positionM, 30)
  } finally {
    await s.close()
  }
})
