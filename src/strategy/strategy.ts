/**
 * The strategy API: what a user's strategy module implements (`Strategy`) and
 * what tickflow hands it (`StrategyContext`).
 *
 * Every method is optional; the host resolves which ones exist once, at start
 * (house style 2.5 rule 12), and calls each with fixed arity: `(event, ctx,
 * merged)` for market data, `(report, ctx)` for execution reports. Events and
 * reports are READ-ONLY VIEWS OF POOLED OBJECTS, valid only during the call:
 * a strategy that needs a value later copies the numbers it needs (or calls
 * `clone()` on the event, off the hot path). Callbacks are synchronous; a
 * returned Promise is not awaited (its rejection is caught and counted like a
 * throw).
 *
 * Prices and quantities are integer mantissas at the instrument's scales
 * (`ev.priceScale`, `ev.qtyScale`; `ctx.instrumentSpec(id)`), exact. Build
 * order prices with core/fixed-point.ts (`roundToStep`, `rescale`), never
 * with floats.
 */
import type { Clock } from '../core/clock.js'
import type { TickflowError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { ReadonlyOrderBook } from '../book/order-book.js'
import type { ReadonlyCanonicalEvent, ReadonlyMergedEvent } from '../model/events.js'
import type { InstrumentSpec } from '../model/instrument.js'
import type { ExecReport, OrderSideValue, OrderTypeValue, TimeInForceValue } from '../model/orders.js'
import type { StrategyMetrics } from './metrics.js'

/** A market-data callback: the canonical event, the context, and the merged envelope (seq, canonicalId, late). */
export type MarketCallback = (ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent) => unknown

/** An execution report as a strategy sees it: read-only, valid during the callback. */
export type ReadonlyExecReport = Readonly<Omit<ExecReport, 'reset' | 'copyFrom'>>

/**
 * A strategy: a class instance, a factory's result or a plain object. All
 * methods optional. `onStart`/`onStop` may be async (awaited); the others
 * must be synchronous.
 */
export interface Strategy {
  /** display name (default: the class name or the file name) */
  name?: string
  onStart?(ctx: StrategyContext): unknown
  onTrade?(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent): unknown
  onQuote?(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent): unknown
  /** BookDelta events (incremental or snapshot; `ev.isSnapshot`); the whole book is `ctx.book(id)` */
  onBook?(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent): unknown
  onBar?(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent): unknown
  /** consolidated best bid/offer changes (kind Bbo: bidVenueId/askVenueId; merged.canonicalId) */
  onBbo?(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent): unknown
  /** BookInvalidated, BookResynced and TradeGap events (switch on `ev.kind`) */
  onStatus?(ev: ReadonlyCanonicalEvent, ctx: StrategyContext, merged: ReadonlyMergedEvent): unknown
  onExecReport?(report: ReadonlyExecReport, ctx: StrategyContext): unknown
  onStop?(ctx: StrategyContext): unknown
}

/** The hook names a strategy may define (the loader rejects other `on*` methods as likely typos). */
export const STRATEGY_HOOKS = ['onStart', 'onTrade', 'onQuote', 'onBook', 'onBar', 'onBbo', 'onStatus', 'onExecReport', 'onStop'] as const
export type StrategyHookName = (typeof STRATEGY_HOOKS)[number]

/**
 * An order a strategy asks for. Plain data; the router copies it into a pooled
 * OrderRequest during `submit`, so the strategy may reuse one intent object.
 */
export interface OrderIntent {
  instrumentId: number
  side: OrderSideValue
  /** default OrderType.Limit */
  type?: OrderTypeValue
  /** default TimeInForce.GTC */
  timeInForce?: TimeInForceValue
  /** limit price mantissa at the instrument's price scale (0 for market orders) */
  priceM: number
  /** quantity mantissa at the instrument's quantity scale */
  qtyM: number
  /** MARKET by quote amount: mantissa at the quote scale (0/absent when unused) */
  quoteQtyM?: number
  reduceOnly?: boolean
  /** free-form tag, journaled with the order */
  tag?: string
}

/** Read-only view of a canonical instrument's consolidated BBO (the merger's live state). */
export interface ReadonlyBbo {
  readonly canonicalId: number
  readonly bidPxM: number
  readonly bidQtyM: number
  /** 0 when no venue has a bid */
  readonly bidVenueId: number
  readonly askPxM: number
  readonly askQtyM: number
  readonly askVenueId: number
  readonly priceScale: number
  readonly qtyScale: number
  /** epoch µs of the last change */
  readonly tsUs: number
}

/**
 * What a strategy can do and see. Implemented by the engine over the order
 * router, the books and the merger; a test double lives in
 * test/unit/strategy/fake-context.ts.
 */
export interface StrategyContext {
  readonly strategyId: number
  readonly name: string
  /** epoch µs; a ManualClock in replays and tests */
  readonly clock: Clock
  readonly log: Logger
  /** this strategy's own counters and gauges (exported with a strategy label) */
  readonly metrics: StrategyMetrics
  /** the strategy's parameters from the configuration (frozen) */
  readonly params: Readonly<Record<string, unknown>>
  /**
   * Submits an order and returns its client order id; every outcome,
   * including a risk denial (a REJECTED report with a reason code), arrives
   * at `onExecReport`. A TickflowError is returned (not thrown) only when the
   * order cannot even be taken (ORDER_INTAKE_CLOSED during shutdown,
   * ORDER_INVALID for a malformed intent): check `typeof r === 'string'`.
   */
  submit(order: OrderIntent): string | TickflowError
  /** Requests a cancel: true when sent, or a TickflowError (ORDER_UNKNOWN_ID, ORDER_INTAKE_CLOSED). */
  cancel(clientOrderId: string): true | TickflowError
  /**
   * The current L2 book of an instrument (read-only, best level first through
   * `bidPx(i)`/`askPx(i)`), or null when it has none or it is resyncing after
   * a gap (its levels would be stale). Read it during a callback; copy what you keep.
   */
  book(instrumentId: number): ReadonlyOrderBook | null
  /** The consolidated BBO of a canonical instrument, or null before any quote. */
  bbo(canonicalId: number): ReadonlyBbo | null
  /** The instrument id of (venue, symbol), 0 when unknown. Cold path: resolve once in onStart. */
  instrument(venue: string, symbol: string): number
  /** An instrument's rules (scales, tick, lot, notional), or null when unknown. */
  instrumentSpec(instrumentId: number): InstrumentSpec | null
  /** The canonical (cross-venue) id of an instrument. */
  canonicalId(instrumentId: number): number
}
