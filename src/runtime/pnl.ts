/**
 * Position and PnL for the status line and metrics: cash flows and positions
 * per instrument from fills, marked at a mid price. Display only: the order
 * path's exact positions live in the order router (orders/positions.ts); this
 * tracker uses floats because nothing it computes is ever sent to a venue.
 */
import { POW10 } from '../core/fixed-point.js'
import { ExecType, OrderSide, type ExecReport } from '../model/orders.js'

class InstrumentPnl {
  position = 0
  cash = 0
  fees = 0
  fills = 0
}

export class PnlTracker {
  private readonly byInstrument = new Map<number, InstrumentPnl>()
  fills = 0

  onReport(r: Readonly<ExecReport>): void {
    if (r.execType !== ExecType.Trade || r.lastQtyM <= 0) return
    let p = this.byInstrument.get(r.instrumentId)
    if (p === undefined) {
      p = new InstrumentPnl()
      this.byInstrument.set(r.instrumentId, p)
    }
    const qty = r.lastQtyM / POW10[r.qtyScale]!
    const px = r.lastPxM / POW10[r.priceScale]!
    if (r.side === OrderSide.Buy) {
      p.position += qty
      p.cash -= qty * px
    } else {
      p.position -= qty
      p.cash += qty * px
    }
    p.fills++
    this.fills++
  }

  /** Instruments with fills. */
  instruments(): number[] {
    return [...this.byInstrument.keys()]
  }

  position(instrumentId: number): number {
    return this.byInstrument.get(instrumentId)?.position ?? 0
  }

  /** Mark-to-market PnL of one instrument at `mark` (quote currency). */
  pnl(instrumentId: number, mark: number): number {
    const p = this.byInstrument.get(instrumentId)
    return p === undefined ? 0 : p.cash + p.position * mark
  }
}
