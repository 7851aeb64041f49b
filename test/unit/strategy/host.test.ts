import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../../src/core/clock.js'
import { isTickflowError } from '../../../src/core/errors.js'
import { EventKind, type ReadonlyCanonicalEvent, type ReadonlyMergedEvent } from '../../../src/model/events.js'
import { ExecReport, OrderSide } from '../../../src/model/orders.js'
import { Dispatcher, type ExecHandler, type MergedHandler } from '../../../src/pipeline/dispatcher.js'
import type { OrderListener } from '../../../src/orders/order-router.js'
import { Merger } from '../../../src/pipeline/merger.js'
import { StrategyHost } from '../../../src/strategy/host.js'
import type { ReadonlyBbo, ReadonlyExecReport, Strategy, StrategyContext } from '../../../src/strategy/strategy.js'
import { eventually } from '../../helpers/eventually.js'
import { fixture, quote, status, trade } from '../pipeline/helpers.js'
import { FakeContext } from './fake-context.js'

function engine(host: StrategyHost): { f: ReturnType<typeof fixture>; merger: Merger; d: Dispatcher; src: number } {
  const f = fixture()
  const d = new Dispatcher({ ...f, clock: new ManualClock(1) })
  const merger = new Merger({ ...f, sink: d })
  d.subscribeSync({ name: host.name, kinds: host.kinds, instruments: 'all', handler: host })
  if (host.wantsExecReports) d.subscribeExecSync({ name: host.name, strategyId: host.ctx.strategyId, handler: host })
  return { f, merger, d, src: merger.addSource('s') }
}

test('methods are resolved once: kinds cover exactly the hooks present; callbacks get (event, ctx, merged)', async () => {
  const calls: Array<[string, number, number]> = []
  class Printer implements Strategy {
    onTrade(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, m: ReadonlyMergedEvent): void {
      calls.push(['trade', ev.priceM, m.seq])
      ctx.metrics.counter('trades').inc()
    }
    onBbo(ev: ReadonlyCanonicalEvent, _ctx: StrategyContext, m: ReadonlyMergedEvent): void {
      calls.push(['bbo', ev.bidVenueId, m.canonicalId])
    }
    onStatus(ev: ReadonlyCanonicalEvent): void {
      calls.push(['status', ev.kind, ev.instrumentId])
    }
    onExecReport(r: ReadonlyExecReport, ctx: StrategyContext): void {
      calls.push(['exec', r.cumQtyM, ctx.strategyId])
    }
  }
  const ctx = new FakeContext('printer', 3)
  const host = new StrategyHost(new Printer(), ctx)
  assert.deepEqual(
    [...host.kinds].sort((a, b) => a - b),
    [EventKind.Trade, EventKind.BookInvalidated, EventKind.BookResynced, EventKind.TradeGap, EventKind.Bbo].sort((a, b) => a - b),
  )
  assert.equal(host.wantsExecReports, true)
  const { f, merger, d, src } = engine(host)
  await host.start()
  merger.push(src, trade(f, f.spotBtc, 5))
  merger.push(src, quote(f, f.spotBtc, 100, 1, 101, 1)) // no onQuote: not delivered; its Bbo is
  merger.push(src, status(f, EventKind.BookInvalidated, f.spotBtc))
  const r = new ExecReport()
  r.strategyId = 3
  r.cumQtyM = 42
  assert.equal(d.offerExecReport(r), true)
  r.strategyId = 4 // another strategy's report: not delivered
  assert.equal(d.offerExecReport(r), true)
  assert.deepEqual(calls, [
    ['trade', 6_000_005, 1],
    ['bbo', f.spot, f.btc],
    ['status', EventKind.BookInvalidated, f.spotBtc],
    ['bbo', 0, f.btc],
    ['exec', 42, 3],
  ])
  assert.deepEqual(ctx.metrics.snapshot(), [{ name: 'trades', type: 'counter', help: '', value: 1 }])
  assert.equal(f.canonicalPool.leased, 0)
})

test('error isolation: a throwing strategy is counted (STRATEGY_THREW), logged at a sampled rate, and the engine keeps running', async () => {
  let n = 0
  const strategy: Strategy = {
    onTrade() {
      n++
      if (n % 2 === 0) throw new Error('bad tick')
    },
  }
  const ctx = new FakeContext('flaky')
  const host = new StrategyHost(strategy, ctx, { maxThrows: 0, logEvery: 10 })
  const other: number[] = []
  const { f, merger, d, src } = engine(host)
  d.subscribeSync({ name: 'other', kinds: [EventKind.Trade], instruments: 'all', handler: { onEvent: (ev) => other.push(ev.seq) } })
  await host.start()
  for (let i = 1; i <= 40; i++) merger.push(src, trade(f, f.spotBtc, i))
  assert.equal(host.throws, 20)
  assert.equal(host.events, 40)
  assert.equal(other.length, 40, 'other subscribers still got every event')
  // logged: the 1st throw, then the 10th and 20th
  const logged = ctx.log.calls.filter((c) => c.level === 'error')
  assert.equal(logged.length, 3)
  assert.ok(logged.every((c) => (c.obj as { code?: string }).code === 'STRATEGY_THREW'))
  assert.equal(host.running, true)
  assert.equal(d.stats().subscriberErrors, 0, 'the host isolated the errors itself')
  assert.equal(f.mergedPool.leased, 0)
})

test('after maxThrows the strategy is stopped: onStop runs, the engine is told, no more callbacks', async () => {
  const seen: string[] = []
  const strategy: Strategy = {
    onQuote() {
      seen.push('quote')
      throw new Error('always')
    },
    onStop() {
      seen.push('stop')
    },
  }
  let stoppedReason = ''
  const host = new StrategyHost(strategy, new FakeContext('bad'), { maxThrows: 3, onStopped: (_h, reason) => (stoppedReason = reason) })
  const { f, merger, src } = engine(host)
  await host.start()
  for (let i = 0; i < 10; i++) merger.push(src, quote(f, f.spotBtc, 100 + i, 1, 200, 1))
  await eventually(() => assert.equal(stoppedReason, 'threw 3 times'))
  assert.deepEqual(seen, ['quote', 'quote', 'quote', 'stop'])
  assert.equal(host.stats().state, 'stopped')
})

test('a rejected Promise from a callback is caught and counted like a throw (no unhandled rejection)', async () => {
  const strategy = {
    async onTrade(): Promise<void> {
      throw new Error('async failure')
    },
  }
  const host = new StrategyHost(strategy, new FakeContext('async'), { maxThrows: 0 })
  const { f, merger, src } = engine(host)
  await host.start()
  merger.push(src, trade(f, f.spotBtc, 1))
  await eventually(() => assert.equal(host.throws, 1))
})

test('onStart throwing rejects with STRATEGY_THREW and leaves the strategy stopped; context submit/cancel results are values', async () => {
  const host = new StrategyHost(
    {
      onStart() {
        throw new Error('no config')
      },
      onTrade() {},
    },
    new FakeContext('s'),
  )
  await assert.rejects(host.start(), (e: unknown) => isTickflowError(e, 'STRATEGY_THREW') && /no config/.test((e as Error).message))
  assert.equal(host.running, false)

  const ctx = new FakeContext('orders', 9)
  const id = ctx.submit({ instrumentId: 1, side: OrderSide.Buy, priceM: 100, qtyM: 1 })
  assert.equal(id, 'T9-1')
  assert.equal(ctx.cancel('T9-1'), true)
  const refused = ctx.cancel('nope')
  assert.ok(isTickflowError(refused, 'ORDER_UNKNOWN_ID'))
})

test('stop() is idempotent and calls onStop once', async () => {
  let stops = 0
  const host = new StrategyHost({ onTrade() {}, onStop: async () => void stops++ }, new FakeContext('s'))
  await host.start()
  await Promise.all([host.stop(), host.stop()])
  await host.stop()
  assert.equal(stops, 1)
  assert.equal(host.stats().state, 'stopped')
})

test('the pieces fit as the engine wires them (type-level): host as sync/exec subscriber and router listener, merger BBO as ctx.bbo()', () => {
  const host = new StrategyHost({ onTrade() {} }, new FakeContext('wiring'))
  const asSync: MergedHandler = host
  const asExec: ExecHandler = host
  const asRouterListener: OrderListener = host
  const f = fixture()
  const merger = new Merger({ ...f, sink: new Dispatcher({ ...f }) })
  const view: ReadonlyBbo | null = merger.bbo(f.btc)
  assert.equal(view, null)
  assert.ok(asSync && asExec && asRouterListener)
})
