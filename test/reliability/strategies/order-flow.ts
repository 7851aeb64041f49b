/**
 * A strategy for the reliability suite that keeps orders in flight all the
 * time: every `everyMs` (driven by market events, so it acts while data
 * flows) it sends, in turn, a marketable IOC buy (fills as taker), a
 * marketable IOC sell (keeps the position near flat) and a resting GTC buy
 * far below the market (stays open; the oldest is canceled once more than
 * `restingMax` rest). Cancel-on-exit cancels what rests at shutdown.
 *
 * params: venue (sim), symbol (BTCUSDT), everyMs (20), qty ("0.001"), restingMax (10)
 */
import type { ReadonlyExecReport, StrategyContext } from '../../../src/strategy/strategy.js'
import { OrderSide, OrderStatus, TimeInForce } from '../../../src/model/orders.js'
import { parseDecimal } from '../../../src/core/fixed-point.js'

export default class OrderFlow {
  readonly name = 'order-flow'
  private id = 0
  private tick = 1
  private qtyM = 0
  private lastUs = 0
  private step = 0
  private readonly everyUs: number
  private readonly restingMax: number
  private readonly resting: string[] = []
  private readonly venue: string
  private readonly symbol: string
  private readonly qtyText: string

  constructor(params: Readonly<Record<string, unknown>> = {}) {
    this.venue = typeof params.venue === 'string' ? params.venue : 'sim'
    this.symbol = typeof params.symbol === 'string' ? params.symbol : 'BTCUSDT'
    this.everyUs = (typeof params.everyMs === 'number' ? params.everyMs : 20) * 1000
    this.qtyText = typeof params.qty === 'string' ? params.qty : '0.001'
    this.restingMax = typeof params.restingMax === 'number' ? params.restingMax : 10
  }

  onStart(ctx: StrategyContext): void {
    this.id = ctx.instrument(this.venue, this.symbol)
    const spec = ctx.instrumentSpec(this.id)
    if (spec === null) throw new Error(`order-flow: ${this.venue}:${this.symbol} is not subscribed`)
    this.tick = spec.tickSize > 0 ? spec.tickSize : 1
    this.qtyM = parseDecimal(this.qtyText, spec.qtyScale)
  }

  onTrade(_ev: unknown, ctx: StrategyContext): void {
    this.maybeAct(ctx)
  }

  onQuote(_ev: unknown, ctx: StrategyContext): void {
    this.maybeAct(ctx)
  }

  onExecReport(r: ReadonlyExecReport, ctx: StrategyContext): void {
    if (r.status === OrderStatus.Rejected) ctx.metrics.counter('rejected').inc()
    if (r.lastQtyM > 0) ctx.metrics.counter('fills').inc()
    const s = r.status
    if (s === OrderStatus.Filled || s === OrderStatus.Canceled || s === OrderStatus.Rejected || s === OrderStatus.Expired) {
      const i = this.resting.indexOf(r.clientOrderId)
      if (i >= 0) this.resting.splice(i, 1)
    }
  }

  private maybeAct(ctx: StrategyContext): void {
    const now = ctx.clock.nowUs()
    if (now - this.lastUs < this.everyUs) return
    this.lastUs = now
    const book = ctx.book(this.id)
    if (book === null || book.bidLevels === 0 || book.askLevels === 0) return
    const bid = book.bestBidPx()
    const ask = book.bestAskPx()
    const k = this.step++ % 3
    let r: string | Error
    if (k === 0) r = ctx.submit({ instrumentId: this.id, side: OrderSide.Buy, timeInForce: TimeInForce.IOC, priceM: ask + 5 * this.tick, qtyM: this.qtyM })
    else if (k === 1) r = ctx.submit({ instrumentId: this.id, side: OrderSide.Sell, timeInForce: TimeInForce.IOC, priceM: bid - 5 * this.tick, qtyM: this.qtyM })
    else {
      r = ctx.submit({ instrumentId: this.id, side: OrderSide.Buy, priceM: bid - 500 * this.tick, qtyM: this.qtyM })
      if (typeof r === 'string') this.resting.push(r)
      if (this.resting.length > this.restingMax) ctx.cancel(this.resting.shift()!)
    }
    if (typeof r === 'string') ctx.metrics.counter('submitted').inc()
  }
}
