/**
 * Reliability: order-path faults injected by the simulator, through the
 * ENGINE (createEngine, default venue: the embedded simulator, orders over
 * the WebSocket API with Ed25519 session.logon, user data over the WS-API):
 * an order whose answer never comes (unknown outcome → reconciled by query,
 * never rejected), duplicated and reordered executionReports (each fill
 * counted once, no state moved back), an expired user data stream
 * (resubscribed, reconciled, fills keep arriving). Then the journal is
 * compared with the venue's trade history: nothing lost, nothing invented.
 *
 * The gateway-level versions run in test/integration/orders/reliability.test.ts.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { JournalReader } from '../../src/journal/queries.js'
import { ExecType, OrderSide, OrderStatus, TimeInForce } from '../../src/model/orders.js'
import { createEngine, type Engine } from '../../src/runtime/engine.js'
import type { Simulator } from '../../src/sim/index.js'
import type { ReadonlyExecReport, StrategyContext } from '../../src/strategy/strategy.js'
import { eventually } from '../helpers/eventually.js'
import { Results } from './results.js'

const results = new Results('faults-orders', 'Venue faults: orders and user data (engine + simulator)', 3)

/** A strategy the test drives by hand: it keeps its context and records every report. */
class Hands {
  readonly name = 'hands'
  ctx!: StrategyContext
  readonly reports: Array<{ id: string; status: number; execType: number; reason: string; lastQtyM: number; tradeId: number }> = []
  onStart(ctx: StrategyContext): void {
    this.ctx = ctx
  }
  onExecReport(r: ReadonlyExecReport): void {
    this.reports.push({ id: r.clientOrderId, status: r.status, execType: r.execType, reason: r.reasonCode, lastQtyM: r.lastQtyM, tradeId: r.tradeId })
  }
  of(id: string): Hands['reports'] {
    return this.reports.filter((r) => r.id === id)
  }
}

let dir: string
let journal: string
let engine: Engine
let sim: Simulator
let hands: Hands
let btc = 0
let tick = 1
let qtyM = 0

const TERMINAL = new Set<number>([OrderStatus.Filled, OrderStatus.Canceled, OrderStatus.Rejected, OrderStatus.Expired])
const router = () => engine.router!
const statusOf = (id: string): number => router().order(id)?.status ?? -1
const top = (): { bid: number; ask: number } => {
  const b = engine.book(btc)
  assert.ok(b !== null && b.bidLevels > 0 && b.askLevels > 0, 'book in sync')
  return { bid: b.bestBidPx(), ask: b.bestAskPx() }
}
const submit = (side: number, priceM: number, tif: number = TimeInForce.GTC): string => {
  const r = hands.ctx.submit({ instrumentId: btc, side: side as 1 | 2, priceM, qtyM, timeInForce: tif as 1 | 2 | 3 })
  assert.equal(typeof r, 'string', String(r))
  return r as string
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-faults-orders-'))
  journal = path.join(dir, 'journal.sqlite')
  hands = new Hands()
  engine = createEngine(
    {
      venues: [{ name: 'sim', type: 'simulator', symbols: ['BTCUSDT'], streams: ['trade', 'bookTicker', 'depth'] }],
      risk: { ordersPerSecond: 100, maxOrderNotional: '1000000', maxPosition: { BTCUSDT: '5' } },
      journal: { path: journal },
      metrics: { enabled: false },
    },
    { strategies: [{ name: 'hands', strategy: hands, cancelOnExit: true }], poolDebug: true, simulator: { limits: { ordersPer10s: 100_000 } } },
  )
  await engine.start()
  sim = engine.venues[0]!.sim!
  btc = engine.registry.lookup('sim', 'BTCUSDT')
  const spec = engine.registry.spec(btc)
  tick = spec.tickSize
  qtyM = 100 * spec.stepSize // 0.001 BTC
  await eventually(() => {
    top()
    assert.ok(router().counters.reconciliations >= 1)
  }, 10_000)
})

after(async () => {
  try {
    if (engine !== undefined) {
      const r = await engine.close()
      assert.deepEqual(r.pools.unreturned, {}, JSON.stringify(r.pools.sites ?? {}))
      assert.equal(r.clean, true, r.errors.join('; '))
      assert.deepEqual(r.ordersLeftWorking, [])
    }
    results.write()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('an order reply that never comes: the user data stream reports the order, nothing is rejected', { timeout: 20_000 }, async () => {
  sim.faults.swallowOrders(1)
  const id = submit(OrderSide.Buy, top().bid - 1000 * tick)
  await eventually(() => assert.equal(statusOf(id), OrderStatus.New), 5000)
  assert.ok(!hands.of(id).some((r) => r.status === OrderStatus.Rejected), 'never rejected')
  results.add({
    case: 'order reply swallowed (executed, never answered)',
    outcome: 'new from the executionReport; the late timeout moves nothing back',
    figures: { 'swallowed at venue': (sim.stats().exchange as { swallowedOrders: number }).swallowedOrders, rejected: 0 },
    lost: 0,
  })
})

test('an order request that times out (connection silent): unknown outcome, resolved by querying the venue, never rejected', { timeout: 40_000 }, async () => {
  const u0 = router().counters.unknownOutcomes
  const q0 = router().counters.resolvedByQuery
  const rc0 = router().counters.reconciliations
  // the WS-API connection goes silent: no reply, no executionReport
  assert.ok(sim.faults.stall({ path: '/ws-api' }) >= 1)
  const id = submit(OrderSide.Buy, top().bid - 1000 * tick)
  try {
    // the gateway's request deadline (10 s) or its keepalive gives up on the answer
    await eventually(() => assert.ok(hands.of(id).some((r) => r.status === OrderStatus.Unknown)), 15_000)
  } finally {
    sim.faults.stall({ path: '/ws-api' }, false)
  }
  await eventually(() => assert.equal(statusOf(id), OrderStatus.New), 15_000)
  assert.ok(!hands.of(id).some((r) => r.status === OrderStatus.Rejected), 'never rejected')
  await eventually(() => assert.equal(router().pendingQueries, 0), 5000)
  const rows = new JournalReader(journal)
  try {
    assert.equal(rows.orders().find((o) => o.clientOrderId === id)?.status, 'new')
  } finally {
    rows.close()
  }
  results.add({
    case: 'order request times out (order connection silent)',
    outcome: 'unknown → resolved at the venue → new (never rejected)',
    figures: {
      'unknown outcomes': router().counters.unknownOutcomes - u0,
      'resolved by query': router().counters.resolvedByQuery - q0,
      'reconciliations': router().counters.reconciliations - rc0,
    },
    lost: 0,
  })
})

test('duplicated and reordered executionReports: every fill once, no state moved back', { timeout: 30_000 }, async () => {
  const m = router().machine
  const d0 = m.duplicates + m.duplicateFills
  const s0 = m.stale
  sim.faults.duplicateReports(8)
  sim.faults.reorderReports(3)
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const t = top()
    ids.push(submit(OrderSide.Buy, t.ask + 5 * tick, TimeInForce.IOC))
    ids.push(submit(OrderSide.Sell, t.bid - 5 * tick, TimeInForce.IOC))
  }
  await eventually(() => {
    for (const id of ids) assert.ok(TERMINAL.has(statusOf(id)), `${id} terminal`)
  }, 10_000)
  const ex = sim.stats().exchange as { duplicatedReports: number; reorderedReports: number }
  assert.ok(ex.duplicatedReports >= 1 && ex.reorderedReports >= 1, JSON.stringify(ex))
  await eventually(() => assert.ok(m.duplicates + m.duplicateFills > d0, 'duplicates detected'), 5000)
  const trades = await engine.venues[0]!.gateway!.myTrades(btc, 0, 0)
  let fills = 0
  for (const id of ids) {
    const o = router().order(id)!
    const venue = trades.filter((t) => t.venueOrderId === o.venueOrderId)
    const seen = hands.of(id).filter((r) => r.execType === ExecType.Trade)
    assert.deepEqual(seen.map((r) => r.tradeId).sort(), venue.map((t) => t.tradeId).sort(), `${id}: the strategy saw each venue fill once`)
    assert.equal(o.fillQtyM, venue.reduce((a, t) => a + t.qtyM, 0))
    fills += venue.length
    // forward only: once terminal, never working again
    const st = hands.of(id).map((r) => r.status)
    const firstTerminal = st.findIndex((s) => TERMINAL.has(s))
    if (firstTerminal >= 0) assert.ok(st.slice(firstTerminal).every((s) => TERMINAL.has(s)), `${id} statuses ${st.join(',')}`)
  }
  assert.ok(fills >= 3)
  results.add({
    case: 'duplicated and reordered executionReports',
    outcome: 'duplicates and stale reports dropped; fills counted once',
    figures: { 'reports duplicated by venue': ex.duplicatedReports, 'reports reordered by venue': ex.reorderedReports, 'duplicates dropped': m.duplicates + m.duplicateFills - d0, 'stale dropped': m.stale - s0, fills },
    lost: 0,
  })
})

test('an expired user data stream: resubscribed and reconciled; fills keep arriving', { timeout: 30_000 }, async () => {
  const r0 = router().counters.reconciliations
  assert.ok(sim.faults.expireUserStream() >= 1)
  await eventually(() => assert.ok(router().counters.reconciliations > r0), 10_000)
  const t = top()
  const id = submit(OrderSide.Buy, t.bid)
  await eventually(() => assert.equal(statusOf(id), OrderStatus.New), 5000)
  const px = (t.bid / 10 ** engine.registry.spec(btc).priceScale).toFixed(engine.registry.spec(btc).priceScale)
  sim.faults.marketTrade('BTCUSDT', 'SELL', '5', px)
  await eventually(() => assert.equal(statusOf(id), OrderStatus.Filled), 5000)
  assert.ok(hands.of(id).some((r) => r.execType === ExecType.Trade))
  results.add({
    case: 'user data stream expired by the venue',
    outcome: 'resubscribed, reconciled, next fill delivered',
    figures: { reconciliations: router().counters.reconciliations - r0, 'streams ended by venue': (sim.stats().faults as { expireUserStream: number }).expireUserStream },
    lost: 0,
  })
})

test('the journal equals the venue: every trade once, every order the venue knows', { timeout: 20_000 }, async () => {
  const trades = await engine.venues[0]!.gateway!.myTrades(btc, 0, 0)
  const reader = new JournalReader(journal)
  try {
    const fills = reader.fills()
    const venueKeys = trades.map((t) => `${t.venueOrderId}:${t.tradeId}`).sort()
    const journalKeys = fills.map((f) => `${f.venueOrderId}:${f.tradeId}`).sort()
    assert.deepEqual(journalKeys, venueKeys)
    const orders = reader.orders()
    const placed = (sim.stats().exchange as { ordersPlaced: number }).ordersPlaced
    assert.equal(orders.filter((o) => o.venueOrderId > 0).length, placed)
    results.add({
      case: 'journal vs venue after all order faults',
      outcome: 'journal = venue trade history',
      figures: { 'venue trades': trades.length, 'journal fills': fills.length, 'orders accepted by venue': placed, 'orders in journal': orders.length },
      lost: venueKeys.filter((k) => !journalKeys.includes(k)).length,
    })
  } finally {
    reader.close()
  }
})
