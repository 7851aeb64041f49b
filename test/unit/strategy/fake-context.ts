/**
 * A StrategyContext test double (tests only; the engine's real context talks
 * to the order router, the books and the merger). Records what the strategy
 * asked for; `refuseWith` makes the next submits fail with a coded error.
 */
import { ManualClock } from '../../../src/core/clock.js'
import { ErrorCode, TickflowError } from '../../../src/core/errors.js'
import type { LogFn, Logger } from '../../../src/core/logger.js'
import type { InstrumentRegistry, InstrumentSpec } from '../../../src/model/instrument.js'
import { StrategyMetrics } from '../../../src/strategy/metrics.js'
import type { ReadonlyOrderBook } from '../../../src/book/order-book.js'
import type { OrderIntent, ReadonlyBbo, StrategyContext } from '../../../src/strategy/strategy.js'

/** A logger that counts calls per level (tests assert on counts and fields, never on text). */
export class CountingLogger implements Logger {
  readonly calls: Array<{ level: string; obj: object | string }> = []
  private make(level: string): LogFn {
    return (obj) => {
      this.calls.push({ level, obj })
    }
  }
  trace = this.make('trace')
  debug = this.make('debug')
  info = this.make('info')
  warn = this.make('warn')
  error = this.make('error')
  fatal = this.make('fatal')
  child(): Logger {
    return this
  }
  isLevelEnabled(): boolean {
    return true
  }
  count(level: string): number {
    return this.calls.filter((c) => c.level === level).length
  }
}

export class FakeContext implements StrategyContext {
  readonly strategyId: number
  readonly name: string
  readonly clock = new ManualClock(1_700_000_000_000_000)
  readonly log = new CountingLogger()
  readonly metrics: StrategyMetrics
  readonly params: Readonly<Record<string, unknown>>
  readonly submitted: OrderIntent[] = []
  readonly canceled: string[] = []
  readonly books = new Map<number, ReadonlyOrderBook>()
  readonly bbos = new Map<number, ReadonlyBbo>()
  refuseWith: TickflowError | null = null
  private nextId = 1

  constructor(name = 'test', strategyId = 1, private readonly registry: InstrumentRegistry | null = null, params: Record<string, unknown> = {}) {
    this.name = name
    this.strategyId = strategyId
    this.metrics = new StrategyMetrics(name)
    this.params = Object.freeze({ ...params })
  }

  submit(order: OrderIntent): string | TickflowError {
    if (this.refuseWith !== null) return this.refuseWith
    this.submitted.push({ ...order })
    return `T${this.strategyId}-${this.nextId++}`
  }

  cancel(clientOrderId: string): true | TickflowError {
    if (!clientOrderId.startsWith(`T${this.strategyId}-`)) return new TickflowError(ErrorCode.ORDER_UNKNOWN_ID, `unknown order ${clientOrderId}`)
    this.canceled.push(clientOrderId)
    return true
  }

  book(instrumentId: number): ReadonlyOrderBook | null {
    return this.books.get(instrumentId) ?? null
  }

  bbo(canonicalId: number): ReadonlyBbo | null {
    return this.bbos.get(canonicalId) ?? null
  }

  instrument(venue: string, symbol: string): number {
    return this.registry?.lookup(venue, symbol) ?? 0
  }

  instrumentSpec(instrumentId: number): InstrumentSpec | null {
    return this.registry !== null && this.registry.has(instrumentId) ? this.registry.spec(instrumentId) : null
  }

  canonicalId(instrumentId: number): number {
    return this.registry !== null && this.registry.has(instrumentId) ? this.registry.canonicalOf(instrumentId) : 0
  }
}
