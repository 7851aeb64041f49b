/**
 * Example strategy: a market-data printer. Logs a one-line summary per second
 * (trades, quotes, book updates, last price per instrument) instead of one line
 * per event, so that it is safe at high rates. Reads only; never trades.
 *
 *   strategies:
 *     - name: printer
 *       path: ./examples/printer.ts      # or the compiled dist/examples/printer.js
 *       params: { everyMs: 1000 }
 */
import type { ReadonlyCanonicalEvent, Strategy, StrategyContext } from 'tickflow'
import { EVENT_KIND_NAMES, formatDecimal } from 'tickflow'

export default class MarketDataPrinter implements Strategy {
  readonly name = 'printer'
  private readonly everyUs: number
  private lastPrintUs = 0
  private trades = 0
  private quotes = 0
  private books = 0
  private statuses = 0
  /** instrument id -> last trade price mantissa and scale (copied: events are pooled) */
  private readonly lastPx = new Map<number, { m: number; scale: number }>()

  constructor(params: Readonly<Record<string, unknown>> = {}) {
    const everyMs = typeof params.everyMs === 'number' && params.everyMs > 0 ? params.everyMs : 1000
    this.everyUs = everyMs * 1000
  }

  onTrade(ev: ReadonlyCanonicalEvent, ctx: StrategyContext): void {
    this.trades++
    const p = this.lastPx.get(ev.instrumentId)
    if (p === undefined) this.lastPx.set(ev.instrumentId, { m: ev.priceM, scale: ev.priceScale })
    else {
      p.m = ev.priceM
      p.scale = ev.priceScale
    }
    this.maybePrint(ctx)
  }

  onQuote(_ev: ReadonlyCanonicalEvent, ctx: StrategyContext): void {
    this.quotes++
    this.maybePrint(ctx)
  }

  onBook(_ev: ReadonlyCanonicalEvent, ctx: StrategyContext): void {
    this.books++
    this.maybePrint(ctx)
  }

  onStatus(ev: ReadonlyCanonicalEvent, ctx: StrategyContext): void {
    this.statuses++
    const spec = ctx.instrumentSpec(ev.instrumentId)
    ctx.log.info({ kind: EVENT_KIND_NAMES[ev.kind], instrument: spec === null ? ev.instrumentId : `${spec.venue}:${spec.symbol}`, reason: ev.reason, gapFrom: ev.gapFrom, gapTo: ev.gapTo }, 'market status')
  }

  private maybePrint(ctx: StrategyContext): void {
    const now = ctx.clock.nowUs()
    if (now - this.lastPrintUs < this.everyUs) return
    this.lastPrintUs = now
    const prices: Record<string, string> = {}
    for (const [id, p] of this.lastPx) {
      const spec = ctx.instrumentSpec(id)
      prices[spec === null ? String(id) : `${spec.venue}:${spec.symbol}`] = formatDecimal(p.m, p.scale, true)
    }
    ctx.log.info({ trades: this.trades, quotes: this.quotes, books: this.books, statuses: this.statuses, last: prices }, 'market data')
    ctx.metrics.gauge('trades_seen').set(this.trades)
  }
}
