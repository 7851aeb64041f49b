/**
 * Order requests (pooled type 5 of 6) and execution reports (pooled type 6).
 *
 * Money is exact: prices and quantities are integer mantissas at the
 * instrument's scales (house style 2.5 rule 9). Nothing here is a float.
 *
 * Ownership: the order router acquires an OrderRequest for each submit or
 * cancel, and releases it once the venue gateway has taken what it needs.
 * ExecReports are acquired by the venue gateway (or the risk check, for a
 * denial), journaled, delivered to the strategy and released by the router
 * after delivery. Execution reports are never dropped: when their pool is
 * exhausted the producer waits (`acquire()`), it does not skip.
 */
import { PooledObject } from '../core/pool.js'
import { POW10 } from '../core/fixed-point.js'

export const OrderSide = { Buy: 1, Sell: 2 } as const
export type OrderSideValue = (typeof OrderSide)[keyof typeof OrderSide]

export const OrderType = { Limit: 1, Market: 2, LimitMaker: 3 } as const
export type OrderTypeValue = (typeof OrderType)[keyof typeof OrderType]

export const TimeInForce = { GTC: 1, IOC: 2, FOK: 3 } as const
export type TimeInForceValue = (typeof TimeInForce)[keyof typeof TimeInForce]

export const OrderAction = { New: 1, Cancel: 2 } as const

/** Order states of the order-management system. Numeric order is NOT the progression; see orders/state-machine.ts. */
export const OrderStatus = {
  None: 0,
  PendingNew: 1,
  New: 2,
  PartiallyFilled: 3,
  Filled: 4,
  PendingCancel: 5,
  Canceled: 6,
  Rejected: 7,
  Expired: 8,
  /** the send failed or timed out: the venue may or may not have the order */
  Unknown: 9,
} as const
export type OrderStatusValue = (typeof OrderStatus)[keyof typeof OrderStatus]
export const ORDER_STATUS_NAMES: readonly string[] = [
  'none',
  'pending-new',
  'new',
  'partially-filled',
  'filled',
  'pending-cancel',
  'canceled',
  'rejected',
  'expired',
  'unknown',
]

/** What an execution report says happened. */
export const ExecType = {
  None: 0,
  PendingNew: 1,
  New: 2,
  Trade: 3,
  Canceled: 4,
  Rejected: 5,
  Expired: 6,
  PendingCancel: 7,
  CancelRejected: 8,
  /** outcome unknown (send failed or timed out); resolved later by a query */
  Unknown: 9,
  /** state restated by reconciliation (query or open-orders sync) */
  Restated: 10,
} as const
export type ExecTypeValue = (typeof ExecType)[keyof typeof ExecType]
export const EXEC_TYPE_NAMES: readonly string[] = [
  'none',
  'pending-new',
  'new',
  'trade',
  'canceled',
  'rejected',
  'expired',
  'pending-cancel',
  'cancel-rejected',
  'unknown',
  'restated',
]

export class OrderRequest extends PooledObject {
  action: number = OrderAction.New
  /** Assigned by tickflow, unique across restarts. */
  clientOrderId = ''
  /** For a cancel: the client order id of the order to cancel. */
  origClientOrderId = ''
  strategyId = 0
  venueId = 0
  instrumentId = 0
  side: number = OrderSide.Buy
  type: number = OrderType.Limit
  timeInForce: number = TimeInForce.GTC
  priceScale = 0
  qtyScale = 0
  /** limit price mantissa (0 for market orders) */
  priceM = 0
  /** quantity mantissa */
  qtyM = 0
  /** MARKET by quote amount: mantissa at quoteScale (0 when unused) */
  quoteQtyM = 0
  quoteScale = 0
  reduceOnly = false
  /** creation time, epoch µs */
  tsCreatedUs = 0
  /** free-form tag from the strategy (journaled) */
  tag = ''

  reset(): void {
    this.action = OrderAction.New
    this.clientOrderId = ''
    this.origClientOrderId = ''
    this.strategyId = 0
    this.venueId = 0
    this.instrumentId = 0
    this.side = OrderSide.Buy
    this.type = OrderType.Limit
    this.timeInForce = TimeInForce.GTC
    this.priceScale = 0
    this.qtyScale = 0
    this.priceM = 0
    this.qtyM = 0
    this.quoteQtyM = 0
    this.quoteScale = 0
    this.reduceOnly = false
    this.tsCreatedUs = 0
    this.tag = ''
  }

  copyFrom(o: OrderRequest): this {
    this.action = o.action
    this.clientOrderId = o.clientOrderId
    this.origClientOrderId = o.origClientOrderId
    this.strategyId = o.strategyId
    this.venueId = o.venueId
    this.instrumentId = o.instrumentId
    this.side = o.side
    this.type = o.type
    this.timeInForce = o.timeInForce
    this.priceScale = o.priceScale
    this.qtyScale = o.qtyScale
    this.priceM = o.priceM
    this.qtyM = o.qtyM
    this.quoteQtyM = o.quoteQtyM
    this.quoteScale = o.quoteScale
    this.reduceOnly = o.reduceOnly
    this.tsCreatedUs = o.tsCreatedUs
    this.tag = o.tag
    return this
  }

  clone(): OrderRequest {
    return new OrderRequest().copyFrom(this)
  }

  get price(): number {
    return this.priceM / POW10[this.priceScale]!
  }
  get qty(): number {
    return this.qtyM / POW10[this.qtyScale]!
  }
}

export class ExecReport extends PooledObject {
  execType: number = ExecType.None
  /** The order's status after this report. */
  status: number = OrderStatus.None
  clientOrderId = ''
  /** Venue order id (0 until the venue assigned one). */
  venueOrderId = 0
  strategyId = 0
  venueId = 0
  instrumentId = 0
  side: number = OrderSide.Buy
  type: number = OrderType.Limit
  timeInForce: number = TimeInForce.GTC
  priceScale = 0
  qtyScale = 0
  /** order price and original quantity */
  priceM = 0
  qtyM = 0
  /** cumulative filled quantity */
  cumQtyM = 0
  /** remaining open quantity */
  leavesQtyM = 0
  /** this fill (execType Trade): quantity and price */
  lastQtyM = 0
  lastPxM = 0
  /** cumulative quote quantity (Binance `Z`), at quoteScale */
  cumQuoteM = 0
  quoteScale = 0
  /** commission of this fill, at commissionScale, in commissionAsset */
  commissionM = 0
  commissionScale = 0
  commissionAsset = ''
  /** venue trade id of this fill (-1 when not a fill) */
  tradeId = -1
  /** this fill was maker */
  isMaker = false
  /** coded reason for rejections and denials (e.g. RISK_MAX_POSITION, VENUE_-2010) */
  reasonCode = ''
  reasonText = ''
  /** venue event time and local receive time, epoch µs */
  tsEventUs = 0
  tsRecvUs = 0
  /** journal sequence once journaled (0 before) */
  journalSeq = 0

  reset(): void {
    this.execType = ExecType.None
    this.status = OrderStatus.None
    this.clientOrderId = ''
    this.venueOrderId = 0
    this.strategyId = 0
    this.venueId = 0
    this.instrumentId = 0
    this.side = OrderSide.Buy
    this.type = OrderType.Limit
    this.timeInForce = TimeInForce.GTC
    this.priceScale = 0
    this.qtyScale = 0
    this.priceM = 0
    this.qtyM = 0
    this.cumQtyM = 0
    this.leavesQtyM = 0
    this.lastQtyM = 0
    this.lastPxM = 0
    this.cumQuoteM = 0
    this.quoteScale = 0
    this.commissionM = 0
    this.commissionScale = 0
    this.commissionAsset = ''
    this.tradeId = -1
    this.isMaker = false
    this.reasonCode = ''
    this.reasonText = ''
    this.tsEventUs = 0
    this.tsRecvUs = 0
    this.journalSeq = 0
  }

  copyFrom(o: ExecReport): this {
    this.execType = o.execType
    this.status = o.status
    this.clientOrderId = o.clientOrderId
    this.venueOrderId = o.venueOrderId
    this.strategyId = o.strategyId
    this.venueId = o.venueId
    this.instrumentId = o.instrumentId
    this.side = o.side
    this.type = o.type
    this.timeInForce = o.timeInForce
    this.priceScale = o.priceScale
    this.qtyScale = o.qtyScale
    this.priceM = o.priceM
    this.qtyM = o.qtyM
    this.cumQtyM = o.cumQtyM
    this.leavesQtyM = o.leavesQtyM
    this.lastQtyM = o.lastQtyM
    this.lastPxM = o.lastPxM
    this.cumQuoteM = o.cumQuoteM
    this.quoteScale = o.quoteScale
    this.commissionM = o.commissionM
    this.commissionScale = o.commissionScale
    this.commissionAsset = o.commissionAsset
    this.tradeId = o.tradeId
    this.isMaker = o.isMaker
    this.reasonCode = o.reasonCode
    this.reasonText = o.reasonText
    this.tsEventUs = o.tsEventUs
    this.tsRecvUs = o.tsRecvUs
    this.journalSeq = o.journalSeq
    return this
  }

  clone(): ExecReport {
    return new ExecReport().copyFrom(this)
  }
}
