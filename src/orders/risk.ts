/**
 * Pre-trade risk checks. Each failed check has a stable reason code; the
 * router turns a denial into a REJECTED ExecReport with that `reasonCode`.
 *
 * Order of checks (first failure wins): kill switch, instrument known,
 * instrument trading, market data fresh, price (positive, on tick), quantity
 * (positive, on step, min, max), notional (min, max), reduce-only, position
 * limit, open-order limits, orders-per-second. The rate limiter runs last so
 * that only orders that pass everything else consume its budget.
 *
 * Money is exact: mantissas at the instrument's scales, notional via BigInt
 * (`mulDecimals`/`compareScaled`). Rounding happens only when configured:
 * `priceRounding: 'passive'` rounds a limit price to the tick toward the
 * passive side (buy down, sell up); `qtyRounding: 'down'` rounds a quantity
 * down to the step. Otherwise off-tick/off-step values are denied.
 */
import { ErrorCode, TickflowError } from '../core/errors.js'
import { parseDecimal, Rounding, roundToStep } from '../core/fixed-point.js'
import { InstrumentStatus, type InstrumentRegistry, type InstrumentSpec } from '../model/instrument.js'
import { OrderSide, OrderType, type OrderRequest } from '../model/orders.js'
import type { ExposureBook } from './positions.js'

/** Denial reason codes (stable; the strategy switches on them). */
export const RiskReason = {
  None: '',
  KillSwitch: 'RISK_KILL_SWITCH',
  ReduceOnly: 'RISK_REDUCE_ONLY',
  UnknownInstrument: 'RISK_UNKNOWN_INSTRUMENT',
  NotTrading: 'RISK_NOT_TRADING',
  StaleMarketData: 'RISK_STALE_MARKET_DATA',
  InvalidOrder: 'RISK_INVALID_ORDER',
  InvalidPrice: 'RISK_INVALID_PRICE',
  PriceTick: 'RISK_PRICE_TICK',
  InvalidQty: 'RISK_INVALID_QTY',
  QtyStep: 'RISK_QTY_STEP',
  MinQty: 'RISK_MIN_QTY',
  MaxQty: 'RISK_MAX_QTY',
  MinNotional: 'RISK_MIN_NOTIONAL',
  MaxNotional: 'RISK_MAX_NOTIONAL',
  MaxPosition: 'RISK_MAX_POSITION',
  MaxOpenOrders: 'RISK_MAX_OPEN_ORDERS',
  RateLimit: 'RISK_RATE_LIMIT',
  /** not a risk check: the OrderRequest pool was empty */
  PoolExhausted: 'ORDER_POOL_EXHAUSTED',
  /** not a risk check: intake closed (shutdown) */
  IntakeClosed: 'ORDER_INTAKE_CLOSED',
} as const
export type RiskReasonCode = (typeof RiskReason)[keyof typeof RiskReason]

/** Kill-switch modes. */
export const RiskMode = { Normal: 0, ReduceOnly: 1, Halt: 2 } as const
export type RiskModeValue = (typeof RiskMode)[keyof typeof RiskMode]

/** Market-data health, implemented by the runtime from the book builders. */
export interface MarketDataHealth {
  /** epoch µs of the instrument's last book/trade update (0 = never) */
  lastUpdateUs(instrumentId: number): number
  /** true while the instrument's book is resyncing */
  isSyncing(instrumentId: number): boolean
  /** a reference price mantissa at the instrument's price scale for MARKET orders (0 = unknown) */
  referencePriceM?(instrumentId: number): number
}

/** Per-instrument limits, exact decimal strings (converted once at configuration). */
export interface InstrumentLimits {
  /** largest |position| after the order, counting working orders on the same side */
  maxPosition?: string
  /** largest price × qty of one order, in the quote asset (tighter of this and the venue's) */
  maxNotional?: string
  /** most working orders on this instrument */
  maxOpenOrders?: number
}

export interface RiskConfig {
  /** most working orders across all instruments (default 200) */
  maxOpenOrders?: number
  /** most new orders in any 1-second window (default 10) */
  maxOrdersPerSecond?: number
  /** market data older than this blocks new orders (µs; 0 = no bound; default 5 s) */
  staleAfterUs?: number
  /** 'none' (deny off-tick prices, default) or 'passive' (round toward the passive side) */
  priceRounding?: 'none' | 'passive'
  /** 'none' (deny off-step quantities, default) or 'down' */
  qtyRounding?: 'none' | 'down'
}

const DEFAULTS = { maxOpenOrders: 200, maxOrdersPerSecond: 10, staleAfterUs: 5_000_000 }

/** Limits at the instrument's scales (mantissas; 0 = no bound). */
class Limits {
  maxPositionM = 0
  maxNotionalM = 0
  notionalScale = 0
  maxOpenOrders = 0
}

export class RiskEngine {
  private mode: RiskModeValue = RiskMode.Normal
  private readonly limits: Map<number, Limits> = new Map()
  private readonly maxOpenOrders: number
  private readonly maxPerSecond: number
  private readonly staleAfterUs: number
  private readonly roundPrice: boolean
  private readonly roundQty: boolean
  /** ring of the last `maxPerSecond` accepted order times (µs) */
  private readonly sent: Float64Array
  private sentHead = 0
  private health: MarketDataHealth | null = null
  /** denials by reason code */
  readonly denials: Map<string, number> = new Map()

  constructor(
    private readonly registry: InstrumentRegistry,
    config: RiskConfig = {},
  ) {
    this.maxOpenOrders = config.maxOpenOrders ?? DEFAULTS.maxOpenOrders
    this.maxPerSecond = config.maxOrdersPerSecond ?? DEFAULTS.maxOrdersPerSecond
    this.staleAfterUs = config.staleAfterUs ?? DEFAULTS.staleAfterUs
    if (!Number.isInteger(this.maxOpenOrders) || this.maxOpenOrders < 1) throw new TickflowError(ErrorCode.CONFIG_INVALID, 'risk.maxOpenOrders must be an integer >= 1')
    if (!Number.isInteger(this.maxPerSecond) || this.maxPerSecond < 1) throw new TickflowError(ErrorCode.CONFIG_INVALID, 'risk.maxOrdersPerSecond must be an integer >= 1')
    if (!(this.staleAfterUs >= 0)) throw new TickflowError(ErrorCode.CONFIG_INVALID, 'risk.staleAfterUs must be >= 0')
    this.roundPrice = config.priceRounding === 'passive'
    this.roundQty = config.qtyRounding === 'down'
    this.sent = new Float64Array(this.maxPerSecond).fill(-Infinity)
  }

  /** Installs the market-data health hook (without one, freshness is not checked). */
  setMarketDataHealth(health: MarketDataHealth | null): void {
    this.health = health
  }

  /** Sets an instrument's limits (decimal strings at the instrument's scales). Throws CONFIG_INVALID. */
  setInstrumentLimits(instrumentId: number, l: InstrumentLimits): void {
    const spec = this.registry.spec(instrumentId)
    const out = new Limits()
    try {
      if (l.maxPosition !== undefined) out.maxPositionM = parseDecimal(l.maxPosition, spec.qtyScale)
      if (l.maxNotional !== undefined) out.maxNotionalM = parseDecimal(l.maxNotional, spec.notionalScale)
    } catch (err) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `risk limits of ${spec.symbol}: ${(err as Error).message}`, { cause: err })
    }
    out.notionalScale = spec.notionalScale
    out.maxOpenOrders = l.maxOpenOrders ?? 0
    this.limits.set(instrumentId, out)
  }

  /** Kill switch: Halt denies every new order; ReduceOnly denies orders that would grow a position. Cancels always pass. */
  setMode(mode: RiskModeValue): void {
    this.mode = mode
  }

  getMode(): RiskModeValue {
    return this.mode
  }

  /**
   * Checks a new-order request, rounding price/qty in place when configured.
   * Returns '' when the order may go, else a RiskReason code (counted).
   */
  check(req: OrderRequest, book: ExposureBook, nowUs: number): string {
    const reason = this.evaluate(req, book, nowUs)
    if (reason !== '') this.denials.set(reason, (this.denials.get(reason) ?? 0) + 1)
    else {
      this.sent[this.sentHead] = nowUs
      this.sentHead = (this.sentHead + 1) % this.maxPerSecond
    }
    return reason
  }

  private evaluate(req: OrderRequest, book: ExposureBook, nowUs: number): string {
    if (this.mode === RiskMode.Halt) return RiskReason.KillSwitch
    const id = req.instrumentId
    if (!this.registry.has(id)) return RiskReason.UnknownInstrument
    const spec = this.registry.spec(id)
    if (spec.status !== InstrumentStatus.Trading) return RiskReason.NotTrading
    if ((req.side !== OrderSide.Buy && req.side !== OrderSide.Sell) || req.type < 1 || req.type > 3 || req.timeInForce < 1 || req.timeInForce > 3) {
      return RiskReason.InvalidOrder
    }
    if (this.health !== null) {
      if (this.health.isSyncing(id)) return RiskReason.StaleMarketData
      if (this.staleAfterUs > 0 && nowUs - this.health.lastUpdateUs(id) > this.staleAfterUs) return RiskReason.StaleMarketData
    }
    req.priceScale = spec.priceScale
    req.qtyScale = spec.qtyScale
    const priceReason = this.checkPrice(req, spec)
    if (priceReason !== '') return priceReason
    const qtyReason = this.checkQty(req, spec)
    if (qtyReason !== '') return qtyReason
    const notionalReason = this.checkNotional(req, spec)
    if (notionalReason !== '') return notionalReason
    const signed = req.side === OrderSide.Buy ? req.qtyM : -req.qtyM
    const pos = book.positionOf(id)
    if (this.mode === RiskMode.ReduceOnly || req.reduceOnly) {
      // must shrink |position| and not cross zero, counting same-side working orders
      const pending = req.side === OrderSide.Buy ? book.openBuyOf(id) : -book.openSellOf(id)
      const after = pos + pending + signed
      if (pos === 0 || (pos > 0 ? signed > 0 || after < 0 : signed < 0 || after > 0)) return RiskReason.ReduceOnly
    }
    const lim = this.limits.get(id)
    if (lim !== undefined && lim.maxPositionM > 0) {
      const worst = req.side === OrderSide.Buy ? pos + book.openBuyOf(id) + req.qtyM : pos - book.openSellOf(id) - req.qtyM
      if ((worst < 0 ? -worst : worst) > lim.maxPositionM && Math.abs(worst) > Math.abs(pos)) return RiskReason.MaxPosition
    }
    if (book.totalOpenOrders >= this.maxOpenOrders) return RiskReason.MaxOpenOrders
    if (lim !== undefined && lim.maxOpenOrders > 0 && book.openCountOf(id) >= lim.maxOpenOrders) return RiskReason.MaxOpenOrders
    // the oldest of the last N accepted orders must be more than 1 s old
    if (nowUs - this.sent[this.sentHead]! < 1_000_000) return RiskReason.RateLimit
    return RiskReason.None
  }

  private checkPrice(req: OrderRequest, spec: InstrumentSpec): string {
    if (req.type === OrderType.Market) return RiskReason.None
    if (!Number.isSafeInteger(req.priceM) || req.priceM <= 0) return RiskReason.InvalidPrice
    if (spec.tickSize > 0 && req.priceM % spec.tickSize !== 0) {
      if (!this.roundPrice) return RiskReason.PriceTick
      req.priceM = roundToStep(req.priceM, spec.tickSize, req.side === OrderSide.Buy ? Rounding.Floor : Rounding.Ceil)
      if (req.priceM <= 0) return RiskReason.InvalidPrice
    }
    return RiskReason.None
  }

  private checkQty(req: OrderRequest, spec: InstrumentSpec): string {
    if (req.type === OrderType.Market && req.quoteQtyM > 0 && req.qtyM === 0) return RiskReason.None
    if (!Number.isSafeInteger(req.qtyM) || req.qtyM <= 0) return RiskReason.InvalidQty
    if (spec.stepSize > 0 && req.qtyM % spec.stepSize !== 0) {
      if (!this.roundQty) return RiskReason.QtyStep
      req.qtyM = roundToStep(req.qtyM, spec.stepSize, Rounding.Down)
      if (req.qtyM <= 0) return RiskReason.MinQty
    }
    if (spec.minQty > 0 && req.qtyM < spec.minQty) return RiskReason.MinQty
    if (spec.maxQty > 0 && req.qtyM > spec.maxQty) return RiskReason.MaxQty
    return RiskReason.None
  }

  private checkNotional(req: OrderRequest, spec: InstrumentSpec): string {
    let priceM = req.priceM
    if (req.type === OrderType.Market) {
      const ref = this.health?.referencePriceM?.(req.instrumentId) ?? 0
      if (ref <= 0) return RiskReason.None // no reference price: the venue checks it
      priceM = ref
    }
    const lim = this.limits.get(req.instrumentId)
    if (spec.minNotional === 0 && spec.maxNotional === 0 && (lim === undefined || lim.maxNotionalM === 0)) return RiskReason.None
    // exact: price (priceScale) × qty (qtyScale) as a BigInt at scale priceScale + qtyScale
    const pScale = spec.priceScale + spec.qtyScale
    const notional = BigInt(priceM) * BigInt(req.qtyM)
    if (spec.minNotional > 0 && compareNotional(notional, pScale, spec.minNotional, spec.notionalScale) < 0) return RiskReason.MinNotional
    if (spec.maxNotional > 0 && compareNotional(notional, pScale, spec.maxNotional, spec.notionalScale) > 0) return RiskReason.MaxNotional
    if (lim !== undefined && lim.maxNotionalM > 0 && compareNotional(notional, pScale, lim.maxNotionalM, lim.notionalScale) > 0) return RiskReason.MaxNotional
    return RiskReason.None
  }

  stats(): { mode: RiskModeValue; denials: Record<string, number> } {
    return { mode: this.mode, denials: Object.fromEntries(this.denials) }
  }
}

const BIG_POW10: bigint[] = []
for (let i = 0, p = 1n; i <= 40; i++, p *= 10n) BIG_POW10.push(p)

/** Compares a BigInt product at `aScale` with a mantissa at `bScale`, exactly (-1, 0, 1). */
export function compareNotional(a: bigint, aScale: number, bM: number, bScale: number): number {
  let b = BigInt(bM)
  let x = a
  if (aScale > bScale) b *= BIG_POW10[aScale - bScale]!
  else if (bScale > aScale) x *= BIG_POW10[bScale - aScale]!
  return x < b ? -1 : x > b ? 1 : 0
}
