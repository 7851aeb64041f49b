/**
 * Exposure book: positions from fills and open (working) quantities, per
 * instrument and per (strategy, instrument). Exact integer mantissas at the
 * instrument's quantity scale; buys add, sells subtract. Indexed by interned
 * instrument id (typed arrays, grown on define), per-strategy figures in a Map
 * keyed by `strategyId * 2^20 + instrumentId` (cold enough: one lookup per fill).
 */
import { ErrorCode, TickflowError } from '../core/errors.js'
import { OrderSide } from '../model/orders.js'

const STRATEGY_SHIFT = 1 << 20

export class ExposureBook {
  /** instrument id -> net position mantissa */
  private position: Float64Array = new Float64Array(64)
  /** instrument id -> Σ leaves of working buy / sell orders */
  private openBuy: Float64Array = new Float64Array(64)
  private openSell: Float64Array = new Float64Array(64)
  /** instrument id -> number of working orders */
  private openCount: Int32Array = new Int32Array(64)
  private totalOpen = 0
  private readonly strategyPositions: Map<number, number> = new Map()
  private readonly strategyOpen: Map<number, number> = new Map()

  private ensure(id: number): void {
    if (id < this.position.length) return
    let n = this.position.length * 2
    while (n <= id) n *= 2
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n)
      b.set(a)
      return b
    }
    this.position = grow(this.position)
    this.openBuy = grow(this.openBuy)
    this.openSell = grow(this.openSell)
    const c = new Int32Array(n)
    c.set(this.openCount)
    this.openCount = c
  }

  positionOf(instrumentId: number): number {
    return instrumentId < this.position.length ? this.position[instrumentId]! : 0
  }

  strategyPositionOf(strategyId: number, instrumentId: number): number {
    return this.strategyPositions.get(strategyId * STRATEGY_SHIFT + instrumentId) ?? 0
  }

  openBuyOf(instrumentId: number): number {
    return instrumentId < this.openBuy.length ? this.openBuy[instrumentId]! : 0
  }

  openSellOf(instrumentId: number): number {
    return instrumentId < this.openSell.length ? this.openSell[instrumentId]! : 0
  }

  openCountOf(instrumentId: number): number {
    return instrumentId < this.openCount.length ? this.openCount[instrumentId]! : 0
  }

  strategyOpenCountOf(strategyId: number): number {
    return this.strategyOpen.get(strategyId) ?? 0
  }

  get totalOpenOrders(): number {
    return this.totalOpen
  }

  /** A fill: moves the instrument and strategy positions. */
  applyFill(strategyId: number, instrumentId: number, side: number, qtyM: number): void {
    this.ensure(instrumentId)
    const d = side === OrderSide.Buy ? qtyM : -qtyM
    const p = this.position[instrumentId]! + d
    if (!Number.isSafeInteger(p)) throw new TickflowError(ErrorCode.INVARIANT, `Invariant: position of instrument ${instrumentId} overflows`)
    this.position[instrumentId] = p
    const k = strategyId * STRATEGY_SHIFT + instrumentId
    this.strategyPositions.set(k, (this.strategyPositions.get(k) ?? 0) + d)
  }

  /** Sets a position outright (journal recovery, reconciliation). */
  setPosition(strategyId: number, instrumentId: number, positionM: number): void {
    this.ensure(instrumentId)
    const k = strategyId * STRATEGY_SHIFT + instrumentId
    const old = this.strategyPositions.get(k) ?? 0
    this.strategyPositions.set(k, positionM)
    this.position[instrumentId] = this.position[instrumentId]! - old + positionM
  }

  /** Working-order bookkeeping: +leaves when an order opens, −leaves as it fills or ends. */
  addOpen(strategyId: number, instrumentId: number, side: number, leavesDeltaM: number, countDelta: number): void {
    this.ensure(instrumentId)
    if (side === OrderSide.Buy) this.openBuy[instrumentId] = this.openBuy[instrumentId]! + leavesDeltaM
    else this.openSell[instrumentId] = this.openSell[instrumentId]! + leavesDeltaM
    if (countDelta !== 0) {
      this.openCount[instrumentId] = this.openCount[instrumentId]! + countDelta
      this.totalOpen += countDelta
      this.strategyOpen.set(strategyId, (this.strategyOpen.get(strategyId) ?? 0) + countDelta)
    }
  }

  /** Snapshot of every non-zero (strategy, instrument) position. */
  positions(): Array<{ strategyId: number; instrumentId: number; positionM: number }> {
    const out: Array<{ strategyId: number; instrumentId: number; positionM: number }> = []
    for (const [k, v] of this.strategyPositions) {
      if (v === 0) continue
      out.push({ strategyId: Math.floor(k / STRATEGY_SHIFT), instrumentId: k % STRATEGY_SHIFT, positionM: v })
    }
    return out
  }
}
