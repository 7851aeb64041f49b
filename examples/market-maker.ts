/**
 * Example strategy: a simple market maker, the one `tickflow run` uses by
 * default against the embedded simulator.
 *
 * It quotes one bid and one ask around the consolidated mid of an instrument
 * (the best bid/offer across every venue that lists it), shifted against its
 * inventory (long → quotes move down to sell more and buy less), and cancels
 * and re-quotes when the fair price moves by `requoteTicks` or more. It stops
 * quoting the side that would take the inventory past `maxInventory`.
 *
 * Everything is exact: prices and sizes are integer mantissas at the
 * instrument's scales, rounded to the tick with core/fixed-point.ts, never
 * floats. Events are pooled views: the strategy copies the numbers it keeps.
 *
 * params (all optional):
 *   venue: sim             venue name of the instrument to quote
 *   symbol: BTCUSDT
 *   halfSpreadTicks: 1     distance of each quote from the (skewed) mid
 *   size: "0.01"           order quantity
 *   maxInventory: "0.05"   no more buying above +max, no more selling below -max
 *   skewTicks: 2           fair-price shift per `size` of inventory
 *   requoteTicks: 2        move needed before cancel/replace
 *   minRequoteMs: 1000     at most one requote per side per this interval (Binance allows
 *                          50 new orders per 10 s: two sides at 1/s stay well inside it)
 */
import type { ReadonlyCanonicalEvent, ReadonlyExecReport, ReadonlyMergedEvent, Strategy, StrategyContext } from 'tickflow'
import { ExecType, OrderSide, OrderStatus, Rounding, TimeInForce, formatDecimal, parseDecimal, rescale, roundToStep } from 'tickflow'

const NONE = ''

function num(v: unknown, def: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : def
}

function text(v: unknown, def: string): string {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : def
}

/** One side's working quote. */
class Quote {
  clientOrderId = NONE
  priceM = 0
  /** a cancel was requested; wait for its report before quoting again */
  canceling = false
  lastActionUs = 0
}

export default class MarketMaker implements Strategy {
  readonly name = 'market-maker'
  private readonly venue: string
  private readonly symbol: string
  private readonly halfSpreadTicks: number
  private readonly sizeText: string
  private readonly maxInventoryText: string
  private readonly skewTicks: number
  private readonly requoteTicks: number
  private readonly minRequoteUs: number

  private instrumentId = 0
  private canonicalId = 0
  private priceScale = 0
  private qtyScale = 0
  private tickM = 1
  private sizeM = 0
  private maxInventoryM = 0
  /** signed position from our own fills, mantissa at qtyScale */
  private inventoryM = 0
  private readonly bid = new Quote()
  private readonly ask = new Quote()
  private fills = 0
  private rejects = 0

  constructor(params: Readonly<Record<string, unknown>> = {}) {
    this.venue = text(params.venue, 'sim')
    this.symbol = text(params.symbol, 'BTCUSDT')
    this.halfSpreadTicks = Math.max(0, Math.floor(num(params.halfSpreadTicks, 1)))
    this.sizeText = text(params.size, '0.01')
    this.maxInventoryText = text(params.maxInventory, '0.05')
    this.skewTicks = num(params.skewTicks, 2)
    this.requoteTicks = Math.max(1, Math.floor(num(params.requoteTicks, 2)))
    this.minRequoteUs = num(params.minRequoteMs, 1000) * 1000
  }

  onStart(ctx: StrategyContext): void {
    this.instrumentId = ctx.instrument(this.venue, this.symbol)
    const spec = this.instrumentId === 0 ? null : ctx.instrumentSpec(this.instrumentId)
    if (spec === null) throw new Error(`market-maker: instrument ${this.venue}:${this.symbol} is not subscribed`)
    this.canonicalId = ctx.canonicalId(this.instrumentId)
    this.priceScale = spec.priceScale
    this.qtyScale = spec.qtyScale
    this.tickM = spec.tickSize > 0 ? spec.tickSize : 1
    this.sizeM = parseDecimal(this.sizeText, this.qtyScale)
    this.maxInventoryM = parseDecimal(this.maxInventoryText, this.qtyScale)
    if (spec.stepSize > 0) this.sizeM = roundToStep(this.sizeM, spec.stepSize, Rounding.Floor)
    ctx.log.info(
      { instrument: `${this.venue}:${this.symbol}`, size: formatDecimal(this.sizeM, this.qtyScale, true), tick: formatDecimal(this.tickM, this.priceScale, true) },
      'market maker started',
    )
  }

  /** Consolidated best bid/offer moved (every venue listing the instrument). */
  onBbo(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent): void {
    if (merged.canonicalId !== this.canonicalId || ev.bidPxM <= 0 || ev.askPxM <= 0) return
    // Quote only on a book in sync (null while it is syncing or resyncing after a gap).
    if (ctx.book(this.instrumentId) === null) return
    // The consolidated BBO may be at another venue's scale: bring it to ours (exact, or rounded inward).
    const bidM = rescale(ev.bidPxM, ev.priceScale, this.priceScale, Rounding.Floor)
    const askM = rescale(ev.askPxM, ev.priceScale, this.priceScale, Rounding.Ceil)
    this.requote(ctx, bidM, askM)
  }

  onExecReport(r: ReadonlyExecReport, ctx: StrategyContext): void {
    const q = r.clientOrderId === this.bid.clientOrderId ? this.bid : r.clientOrderId === this.ask.clientOrderId ? this.ask : null
    if (r.execType === ExecType.Trade && r.instrumentId === this.instrumentId) {
      this.inventoryM += r.side === OrderSide.Buy ? r.lastQtyM : -r.lastQtyM
      this.fills++
      ctx.metrics.counter('fills').inc()
      ctx.metrics.gauge('inventory').set(this.inventoryM / 10 ** this.qtyScale)
    }
    if (r.execType === ExecType.Rejected) {
      this.rejects++
      ctx.metrics.counter('rejects').inc()
      if (this.rejects <= 5 || this.rejects % 100 === 0) ctx.log.warn({ reason: r.reasonCode, text: r.reasonText, rejects: this.rejects }, 'quote rejected')
    }
    if (q === null) return
    const s = r.status
    if (s === OrderStatus.Filled || s === OrderStatus.Canceled || s === OrderStatus.Rejected || s === OrderStatus.Expired) {
      q.clientOrderId = NONE
      q.canceling = false
      q.priceM = 0
    }
  }

  private requote(ctx: StrategyContext, bestBidM: number, bestAskM: number): void {
    const tick = this.tickM
    const mid = Math.floor((bestBidM + bestAskM) / 2)
    // Inventory skew: shift the fair price by skewTicks per `size` held.
    const skew = this.sizeM > 0 ? Math.round((this.skewTicks * this.inventoryM) / this.sizeM) * tick : 0
    const fair = mid - skew
    let bidPx = roundToStep(fair - this.halfSpreadTicks * tick, tick, Rounding.Floor)
    let askPx = roundToStep(fair + this.halfSpreadTicks * tick, tick, Rounding.Ceil)
    if (askPx <= bidPx) askPx = bidPx + tick
    // Never cross the market with a passive quote.
    if (bidPx >= bestAskM) bidPx = bestAskM - tick
    if (askPx <= bestBidM) askPx = bestBidM + tick
    const now = ctx.clock.nowUs()
    this.side(ctx, this.bid, OrderSide.Buy, bidPx, this.inventoryM + this.sizeM <= this.maxInventoryM, now)
    this.side(ctx, this.ask, OrderSide.Sell, askPx, this.inventoryM - this.sizeM >= -this.maxInventoryM, now)
  }

  private side(ctx: StrategyContext, q: Quote, side: 1 | 2, priceM: number, allowed: boolean, now: number): void {
    if (q.canceling || now - q.lastActionUs < this.minRequoteUs) return
    if (q.clientOrderId !== NONE) {
      const moved = Math.abs(priceM - q.priceM) >= this.requoteTicks * this.tickM
      if (!allowed || moved) {
        const r = ctx.cancel(q.clientOrderId)
        q.lastActionUs = now
        if (r === true) q.canceling = true
        else q.clientOrderId = NONE // unknown to the router: already gone
      }
      return
    }
    if (!allowed || priceM <= 0) return
    const id = ctx.submit({ instrumentId: this.instrumentId, side, priceM, qtyM: this.sizeM, timeInForce: TimeInForce.GTC, tag: 'mm' })
    q.lastActionUs = now
    if (typeof id === 'string') {
      q.clientOrderId = id
      q.priceM = priceM
    } else {
      this.rejects++
      if (this.rejects <= 5 || this.rejects % 100 === 0) ctx.log.warn({ code: id.code, message: id.message }, 'quote refused')
    }
  }

  onStop(ctx: StrategyContext): void {
    ctx.log.info({ fills: this.fills, rejects: this.rejects, inventory: formatDecimal(this.inventoryM, this.qtyScale, true) }, 'market maker stopped')
  }
}
