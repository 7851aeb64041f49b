/**
 * The StrategyContext the engine hands each strategy: orders go to the order
 * router under the strategy's id, books come from the venue feeds, the
 * consolidated BBO from the merger.
 */
import type { Clock } from '../core/clock.js'
import { ErrorCode, TickflowError, isTickflowError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { InstrumentRegistry, InstrumentSpec } from '../model/instrument.js'
import type { ReadonlyOrderBook } from '../book/order-book.js'
import type { OrderRouter } from '../orders/order-router.js'
import type { Merger } from '../pipeline/merger.js'
import { StrategyMetrics } from '../strategy/metrics.js'
import type { OrderIntent, ReadonlyBbo, StrategyContext } from '../strategy/strategy.js'

/** Finds the book of an instrument (the feed that owns it). */
export type BookLookup = (instrumentId: number) => ReadonlyOrderBook | null

export class EngineStrategyContext implements StrategyContext {
  readonly metrics: StrategyMetrics

  constructor(
    readonly strategyId: number,
    readonly name: string,
    readonly clock: Clock,
    readonly log: Logger,
    readonly params: Readonly<Record<string, unknown>>,
    private readonly router: OrderRouter | null,
    private readonly registry: InstrumentRegistry,
    private readonly merger: Merger,
    private readonly books: BookLookup,
  ) {
    this.metrics = new StrategyMetrics(name)
  }

  submit(order: OrderIntent): string | TickflowError {
    if (this.router === null) return new TickflowError(ErrorCode.ORDER_INTAKE_CLOSED, 'no trading venue is configured (trading: false)')
    try {
      return this.router.submit(this.strategyId, order)
    } catch (err) {
      if (isTickflowError(err)) return err
      return new TickflowError(ErrorCode.ORDER_INVALID, `order refused: ${String(err)}`, { cause: err })
    }
  }

  cancel(clientOrderId: string): true | TickflowError {
    if (this.router === null) return new TickflowError(ErrorCode.ORDER_INTAKE_CLOSED, 'no trading venue is configured (trading: false)')
    if (this.router.cancel(this.strategyId, clientOrderId)) return true
    return new TickflowError(ErrorCode.ORDER_UNKNOWN_ID, `no working order ${clientOrderId} of strategy ${this.name}`)
  }

  book(instrumentId: number): ReadonlyOrderBook | null {
    return this.books(instrumentId)
  }

  bbo(canonicalId: number): ReadonlyBbo | null {
    return this.merger.bbo(canonicalId) as ReadonlyBbo | null
  }

  instrument(venue: string, symbol: string): number {
    return this.registry.lookup(venue, symbol)
  }

  instrumentSpec(instrumentId: number): InstrumentSpec | null {
    return this.registry.has(instrumentId) ? this.registry.spec(instrumentId) : null
  }

  canonicalId(instrumentId: number): number {
    return this.registry.has(instrumentId) ? this.registry.canonicalOf(instrumentId) : 0
  }
}
