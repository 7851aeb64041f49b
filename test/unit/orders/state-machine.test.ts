import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ExecReport, ExecType, OrderStatus } from '../../../src/model/orders.js'
import { Apply, OrderState, StateMachineStats, applyReport, isAllowedTransition } from '../../../src/orders/state-machine.js'

function order(qtyM = 100, base: number = OrderStatus.PendingNew): OrderState {
  const o = new OrderState()
  o.clientOrderId = 'tf.x.1'
  o.qtyM = qtyM
  o.base = base
  return o
}

interface Msg {
  execType: number
  status: number
  cumQtyM?: number
  tradeId?: number
  lastQtyM?: number
  venueOrderId?: number
}

function report(m: Msg): ExecReport {
  const r = new ExecReport()
  r.clientOrderId = 'tf.x.1'
  r.execType = m.execType
  r.status = m.status
  r.cumQtyM = m.cumQtyM ?? 0
  r.tradeId = m.tradeId ?? -1
  r.lastQtyM = m.lastQtyM ?? 0
  r.lastPxM = 5
  r.venueOrderId = m.venueOrderId ?? 7
  return r
}

const NEW: Msg = { execType: ExecType.New, status: OrderStatus.New }
const trade = (tradeId: number, lastQtyM: number, cumQtyM: number, status: number): Msg => ({ execType: ExecType.Trade, status, tradeId, lastQtyM, cumQtyM })

function run(o: OrderState, msgs: Msg[], stats = new StateMachineStats()): number[] {
  const statuses: number[] = []
  for (const m of msgs) {
    const before = o.status
    applyReport(o, report(m), stats, 1)
    assert.ok(isAllowedTransition(before, o.status), `edge ${before} -> ${o.status} is not in the table`)
    statuses.push(o.status)
  }
  return statuses
}

test('new, partial fill, fill: forward transitions, cum and fills tracked', () => {
  const o = order()
  run(o, [NEW, trade(1, 40, 40, OrderStatus.PartiallyFilled), trade(2, 60, 100, OrderStatus.Filled)])
  assert.equal(o.status, OrderStatus.Filled)
  assert.equal(o.cumQtyM, 100)
  assert.equal(o.fillQtyM, 100)
  assert.deepEqual([...o.tradeIds].sort(), [1, 2])
  assert.equal(o.venueOrderId, 7)
  assert.equal(o.leavesQtyM, 0)
})

test('REST FULL=FILLED before the stream NEW and TRADE: never goes back, fills counted once', () => {
  const o = order()
  const stats = new StateMachineStats()
  // FULL reply: restated FILLED plus its fills (trade 1)
  const res1 = applyReport(o, report({ execType: ExecType.Restated, status: OrderStatus.Filled, cumQtyM: 100 }), stats, 1)
  assert.ok(res1 & Apply.StatusChanged)
  const res2 = applyReport(o, report(trade(1, 100, 100, OrderStatus.Filled)), stats, 1)
  assert.ok(res2 & Apply.NewFill)
  // the stream then delivers NEW and the same TRADE
  const res3 = applyReport(o, report(NEW), stats, 1)
  assert.equal(res3 & Apply.StatusChanged, 0)
  assert.ok(res3 & Apply.Stale)
  const res4 = applyReport(o, report(trade(1, 100, 100, OrderStatus.Filled)), stats, 1)
  assert.ok(res4 & Apply.DuplicateFill)
  assert.equal(res4 & Apply.NewFill, 0)
  assert.equal(o.status, OrderStatus.Filled)
  assert.equal(o.fillQtyM, 100)
  assert.equal(stats.duplicateFills, 1)
})

test('a NEW after a TRADE is stale; a repeated executionReport changes nothing', () => {
  const o = order()
  run(o, [trade(1, 10, 10, OrderStatus.PartiallyFilled), NEW, trade(1, 10, 10, OrderStatus.PartiallyFilled)])
  assert.equal(o.status, OrderStatus.PartiallyFilled)
  assert.equal(o.fillQtyM, 10)
})

test('cumQty above the order quantity is a violation: refused, counted, no throw', () => {
  const o = order(100)
  const stats = new StateMachineStats()
  run(o, [NEW], stats)
  const res = applyReport(o, report(trade(1, 150, 150, OrderStatus.Filled)), stats, 1)
  assert.equal(res, Apply.Violation)
  assert.equal(stats.violations, 1)
  assert.equal(o.fillQtyM, 0)
  assert.equal(o.status, OrderStatus.New)
  // Σ fills over qty
  run(o, [trade(2, 60, 60, OrderStatus.PartiallyFilled)], stats)
  assert.equal(applyReport(o, report(trade(3, 60, 0, OrderStatus.PartiallyFilled)), stats, 1), Apply.Violation)
  assert.equal(o.fillQtyM, 60)
})

test('cum never decreases (a late restatement with lower cum)', () => {
  const o = order()
  run(o, [NEW, trade(1, 50, 50, OrderStatus.PartiallyFilled), { execType: ExecType.Restated, status: OrderStatus.New, cumQtyM: 0 }])
  assert.equal(o.cumQtyM, 50)
  assert.equal(o.status, OrderStatus.PartiallyFilled)
})

test('pending-cancel: fill keeps it pending, cancel-reject restores the working state, CANCELED ends it', () => {
  const o = order()
  run(o, [NEW])
  o.cancelPending = true
  assert.equal(o.status, OrderStatus.PendingCancel)
  run(o, [trade(1, 30, 30, OrderStatus.PartiallyFilled)])
  assert.equal(o.status, OrderStatus.PendingCancel)
  assert.equal(o.cumQtyM, 30)
  run(o, [{ execType: ExecType.CancelRejected, status: OrderStatus.None }])
  assert.equal(o.status, OrderStatus.PartiallyFilled)
  o.cancelPending = true
  run(o, [{ execType: ExecType.Canceled, status: OrderStatus.Canceled, cumQtyM: 30 }])
  assert.equal(o.status, OrderStatus.Canceled)
  assert.equal(o.leavesQtyM, 0)
})

test('pending-cancel then the order fills completely: filled, not canceled', () => {
  const o = order()
  run(o, [NEW])
  o.cancelPending = true
  run(o, [trade(1, 100, 100, OrderStatus.Filled), { execType: ExecType.Canceled, status: OrderStatus.Canceled }])
  assert.equal(o.status, OrderStatus.Filled)
})

test('a late TRADE after CANCELED still counts its fill; status stays canceled', () => {
  const o = order()
  run(o, [NEW, { execType: ExecType.Canceled, status: OrderStatus.Canceled, cumQtyM: 20 }, trade(9, 20, 20, OrderStatus.PartiallyFilled)])
  assert.equal(o.status, OrderStatus.Canceled)
  assert.equal(o.fillQtyM, 20)
  assert.equal(o.cumQtyM, 20)
})

test('unknown: pending-new -> unknown -> any venue-confirmed state; unknown is not a rejection', () => {
  const o = order()
  run(o, [{ execType: ExecType.Unknown, status: OrderStatus.Unknown }])
  assert.equal(o.status, OrderStatus.Unknown)
  run(o, [{ execType: ExecType.Restated, status: OrderStatus.PartiallyFilled, cumQtyM: 10 }])
  assert.equal(o.status, OrderStatus.PartiallyFilled)
  // a late unknown (e.g. of a later cancel send) does not move it back
  run(o, [{ execType: ExecType.Unknown, status: OrderStatus.Unknown }])
  assert.equal(o.status, OrderStatus.PartiallyFilled)
})

test('rejected only from an unconfirmed order; a conflicting terminal is counted, not applied', () => {
  const o = order()
  const stats = new StateMachineStats()
  run(o, [NEW], stats)
  applyReport(o, report({ execType: ExecType.Rejected, status: OrderStatus.Rejected }), stats, 1)
  assert.equal(o.status, OrderStatus.New)
  assert.equal(stats.conflicts, 1)
  run(o, [{ execType: ExecType.Expired, status: OrderStatus.Expired }], stats)
  applyReport(o, report({ execType: ExecType.Canceled, status: OrderStatus.Canceled }), stats, 1)
  assert.equal(o.status, OrderStatus.Expired)
  assert.equal(stats.conflicts, 2)
})

test('transition table: terminal states have no way out; pending-new reaches every venue state', () => {
  for (const t of [OrderStatus.Filled, OrderStatus.Canceled, OrderStatus.Rejected, OrderStatus.Expired]) {
    for (let s = 1; s <= 9; s++) if (s !== t) assert.equal(isAllowedTransition(t, s), false)
  }
  for (const s of [OrderStatus.New, OrderStatus.PartiallyFilled, OrderStatus.Filled, OrderStatus.Canceled, OrderStatus.Rejected, OrderStatus.Expired, OrderStatus.Unknown]) {
    assert.ok(isAllowedTransition(OrderStatus.PendingNew, s))
  }
  assert.equal(isAllowedTransition(OrderStatus.PartiallyFilled, OrderStatus.New), false)
  assert.equal(isAllowedTransition(OrderStatus.New, OrderStatus.Unknown), false)
})

// --- property: any interleaving with duplicates of a valid sequence ends the same

/** Valid venue sequences: NEW, k partial fills, then FILLED / CANCELED / EXPIRED. */
const validSequence = fc
  .record({
    qty: fc.integer({ min: 2, max: 1000 }),
    fills: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 0, maxLength: 6 }),
    end: fc.constantFrom('filled', 'canceled', 'expired', 'open'),
    restFirst: fc.boolean(),
  })
  .map(({ qty, fills, end, restFirst }) => {
    const msgs: Msg[] = []
    if (restFirst) msgs.push({ execType: ExecType.Restated, status: OrderStatus.New })
    msgs.push(NEW)
    let cum = 0
    let tradeId = 100
    const sizes: number[] = []
    for (const f of fills) {
      const q = Math.min(f, qty - cum - 1)
      if (q <= 0) break
      sizes.push(q)
      cum += q
    }
    if (end === 'filled') sizes.push(qty - cum)
    let c = 0
    for (let i = 0; i < sizes.length; i++) {
      c += sizes[i]!
      msgs.push(trade(tradeId++, sizes[i]!, c, c === qty ? OrderStatus.Filled : OrderStatus.PartiallyFilled))
    }
    if (end === 'canceled') msgs.push({ execType: ExecType.Canceled, status: OrderStatus.Canceled, cumQtyM: c })
    if (end === 'expired') msgs.push({ execType: ExecType.Expired, status: OrderStatus.Expired, cumQtyM: c })
    return { qty, msgs }
  })

test('property: any permutation with duplicates of a valid report sequence ends in the same state and fills', () => {
  fc.assert(
    fc.property(
      validSequence.chain(({ qty, msgs }) =>
        fc.record({
          qty: fc.constant(qty),
          msgs: fc.constant(msgs),
          shuffled: fc.shuffledSubarray(msgs, { minLength: msgs.length, maxLength: msgs.length }),
          dups: fc.array(fc.integer({ min: 0, max: msgs.length - 1 }), { maxLength: 5 }),
        }),
      ),
      ({ qty, msgs, shuffled, dups }) => {
        const ref = order(qty)
        run(ref, msgs)
        const scrambled = [...shuffled]
        for (const d of dups) scrambled.splice(d % (scrambled.length + 1), 0, msgs[d]!)
        const o = order(qty)
        const stats = new StateMachineStats()
        run(o, scrambled, stats)
        assert.equal(o.status, ref.status)
        assert.equal(o.cumQtyM, ref.cumQtyM)
        assert.equal(o.fillQtyM, ref.fillQtyM)
        assert.deepEqual([...o.tradeIds].sort(), [...ref.tradeIds].sort())
        assert.equal(stats.violations, 0)
      },
    ),
    { numRuns: 500 },
  )
})
