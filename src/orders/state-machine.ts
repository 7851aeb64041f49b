/**
 * The order state machine: venue reports in, monotone order state out.
 *
 * Design notes
 * - States (model/orders.ts OrderStatus): pending-new, unknown, new,
 *   partially-filled, pending-cancel, filled, canceled, rejected, expired.
 * - Progress is a rank, and a report can only raise it:
 *
 *       rank 1  pending-new, unknown      (not confirmed by the venue)
 *       rank 2  new
 *       rank 3  partially-filled
 *       rank 4  filled, canceled, rejected, expired   (terminal)
 *
 *   pending-cancel is not a rank: it is a flag (`cancelPending`) over a
 *   working state (rank 1..3), shown as the status while set. A cancel reject
 *   clears the flag (the only "backwards-looking" edge, and it is local state).
 * - A terminal state never changes. A different terminal status after a
 *   terminal one (e.g. CANCELED after FILLED) is impossible on a real venue:
 *   it is counted as a conflict and ignored.
 * - Fills are deduplicated by venue trade id per order (a self-trade gives
 *   both of our orders the same trade id, so the key is per order, not per
 *   venue). Fills are accepted in any state, terminal included: the REST
 *   cancel reply can overtake the stream's last TRADE.
 * - Cumulative quantity never decreases: cum = max(cum, report.cum, Σ fills).
 *   A cum or Σ fills above the order quantity is an invariant violation of the
 *   venue data: the report is refused (result Violation), counted, never thrown.
 * - A fill that completes the quantity makes the order filled even when the
 *   report's own status is stale.
 *
 * The machine is synchronous and allocation-free per report except for the
 * per-order trade-id set (one Set per order, grown per fill).
 */
import { ExecType, OrderSide, OrderStatus, type ExecReport } from '../model/orders.js'

/** Result bits of `applyReport`. */
export const Apply = {
  /** nothing changed: a duplicate or stale report */
  None: 0,
  /** the visible status changed */
  StatusChanged: 1,
  /** a new fill was recorded (count it, journal it, move the position) */
  NewFill: 2,
  /** the report carried a fill already recorded (duplicate) */
  DuplicateFill: 4,
  /** the report's status was older than the order's (late message): ignored */
  Stale: 8,
  /** the report contradicts the order (cum > qty, conflicting terminal): refused */
  Violation: 16,
  /** cumulative quantity or venue order id changed without a status change */
  Updated: 32,
} as const

/** Progress rank of a base status; see the module notes. */
export function statusRank(status: number): number {
  switch (status) {
    case OrderStatus.PendingNew:
    case OrderStatus.Unknown:
      return 1
    case OrderStatus.New:
      return 2
    case OrderStatus.PartiallyFilled:
      return 3
    case OrderStatus.Filled:
    case OrderStatus.Canceled:
    case OrderStatus.Rejected:
    case OrderStatus.Expired:
      return 4
    default:
      return 0
  }
}

export function isTerminal(status: number): boolean {
  return statusRank(status) === 4
}

/** True for states in which the order may still rest or trade on the venue. */
export function isWorking(status: number): boolean {
  const r = statusRank(status)
  return (r >= 1 && r <= 3) || status === OrderStatus.PendingCancel
}

/**
 * Allowed edges of the visible status (the table in docs/orders.md). Used by
 * tests to check that the machine never takes an edge outside this table.
 */
export function isAllowedTransition(from: number, to: number): boolean {
  if (from === to) return true
  if (from === OrderStatus.None) return to === OrderStatus.PendingNew || to === OrderStatus.Rejected
  if (isTerminal(from)) return false
  if (to === OrderStatus.PendingCancel) return from !== OrderStatus.PendingCancel
  if (from === OrderStatus.PendingCancel) {
    // cancel rejected: back to the working state; otherwise forward
    return to !== OrderStatus.PendingNew && to !== OrderStatus.None
  }
  if (from === OrderStatus.PendingNew && to === OrderStatus.Unknown) return true
  if (to === OrderStatus.Rejected) return statusRank(from) === 1
  return statusRank(to) > statusRank(from)
}

/** One order's state (owned by the router; plain fields, stable shape). */
export class OrderState {
  clientOrderId = ''
  venueOrderId = 0
  strategyId = 0
  venueId = 0
  instrumentId = 0
  side: number = OrderSide.Buy
  type = 0
  timeInForce = 0
  priceScale = 0
  qtyScale = 0
  priceM = 0
  qtyM = 0
  reduceOnly = false
  tag = ''
  /** base status (never PendingCancel) */
  base: number = OrderStatus.None
  /** a cancel has been sent and not answered */
  cancelPending = false
  /** cumulative filled quantity (max of what the venue said and Σ fills) */
  cumQtyM = 0
  /** Σ of the recorded fills */
  fillQtyM = 0
  /** trade ids of the recorded fills */
  readonly tradeIds: Set<number> = new Set()
  /** last reject/denial/expiry reason */
  reasonCode = ''
  tsCreatedUs = 0
  tsUpdatedUs = 0
  /** when the last new-order or cancel send happened (epoch µs): unknown-outcome resolution */
  tsSentUs = 0
  /** the cancel request's own client id, while one is pending */
  cancelClientId = ''

  /** The visible status: PendingCancel while a cancel is pending on a working order. */
  get status(): number {
    return this.cancelPending && !isTerminal(this.base) ? OrderStatus.PendingCancel : this.base
  }

  get leavesQtyM(): number {
    return isTerminal(this.base) ? 0 : this.qtyM - this.cumQtyM
  }
}

/** Counters of the state machine (plain fields, house style 2.11). */
export class StateMachineStats {
  applied = 0
  duplicates = 0
  duplicateFills = 0
  stale = 0
  violations = 0
  conflicts = 0
}

/**
 * Applies one venue report to an order. Returns `Apply` bits. On return,
 * `report.status`, `report.cumQtyM` and `report.leavesQtyM` are rewritten to
 * the order's resulting state (what the journal and the strategy see), and
 * the report's order fields are completed from the order.
 */
export function applyReport(o: OrderState, r: ExecReport, stats: StateMachineStats, nowUs: number): number {
  let result: number = Apply.None
  const before = o.status
  const isFill = r.execType === ExecType.Trade && r.tradeId >= 0 && r.lastQtyM > 0

  if (r.venueOrderId !== 0 && o.venueOrderId === 0) {
    o.venueOrderId = r.venueOrderId
    result |= Apply.Updated
  }

  // Quantities first: they are monotone whatever the status says.
  if (isFill) {
    if (o.tradeIds.has(r.tradeId)) {
      result |= Apply.DuplicateFill
      stats.duplicateFills++
    } else if (o.fillQtyM + r.lastQtyM > o.qtyM) {
      stats.violations++
      finish(o, r)
      return Apply.Violation
    } else {
      o.tradeIds.add(r.tradeId)
      o.fillQtyM += r.lastQtyM
      result |= Apply.NewFill
    }
  }
  if (r.cumQtyM > o.qtyM) {
    stats.violations++
    if ((result & Apply.NewFill) !== 0) {
      // undo: the report as a whole is refused
      o.tradeIds.delete(r.tradeId)
      o.fillQtyM -= r.lastQtyM
    }
    finish(o, r)
    return Apply.Violation
  }
  let cum = o.cumQtyM
  if (r.cumQtyM > cum) cum = r.cumQtyM
  if (o.fillQtyM > cum) cum = o.fillQtyM
  if (cum !== o.cumQtyM) {
    o.cumQtyM = cum
    result |= Apply.Updated
  }

  // Status.
  const target = targetStatus(o, r)
  if (target !== OrderStatus.None) {
    if (isTerminal(o.base)) {
      if (target !== o.base && isTerminal(target) && r.execType !== ExecType.Trade) {
        stats.conflicts++
        result |= Apply.Violation
      } else if (target !== o.base) {
        result |= Apply.Stale
      }
    } else if (r.execType === ExecType.CancelRejected) {
      o.cancelPending = false
      o.cancelClientId = ''
    } else if (target === OrderStatus.Unknown) {
      if (o.base === OrderStatus.PendingNew) o.base = OrderStatus.Unknown
      else result |= Apply.Stale
    } else if (target === OrderStatus.Rejected) {
      if (statusRank(o.base) === 1) o.base = OrderStatus.Rejected
      else {
        stats.conflicts++
        result |= Apply.Violation
      }
    } else if (statusRank(target) > statusRank(o.base)) {
      o.base = target
    } else if (target !== o.base) {
      result |= Apply.Stale
    }
  }
  // Quantity-driven completion: all filled means filled, whatever the report said.
  if (o.cumQtyM === o.qtyM && o.qtyM > 0 && !isTerminal(o.base)) o.base = OrderStatus.Filled
  else if (o.cumQtyM > 0 && statusRank(o.base) < 3 && !isTerminal(o.base)) o.base = OrderStatus.PartiallyFilled
  if (isTerminal(o.base)) {
    o.cancelPending = false
    o.cancelClientId = ''
  }

  if (r.reasonCode !== '' && (o.base === OrderStatus.Rejected || o.base === OrderStatus.Expired)) o.reasonCode = r.reasonCode
  if (o.status !== before) result |= Apply.StatusChanged
  if ((result & Apply.Stale) !== 0) stats.stale++
  if ((result & (Apply.StatusChanged | Apply.NewFill | Apply.Updated)) === 0) stats.duplicates++
  else {
    stats.applied++
    o.tsUpdatedUs = nowUs
  }
  finish(o, r)
  return result
}

/** The base status a report asks for (None when it asks for none). */
function targetStatus(o: OrderState, r: ExecReport): number {
  switch (r.execType) {
    case ExecType.Unknown:
      return OrderStatus.Unknown
    case ExecType.PendingNew:
      return OrderStatus.PendingNew
    case ExecType.CancelRejected:
      return o.base
    case ExecType.PendingCancel:
      return OrderStatus.None
    default: {
      const s = r.status
      if (s === OrderStatus.PendingCancel || s === OrderStatus.None) return OrderStatus.None
      return s
    }
  }
}

/** Completes the report from the order (router-owned fields) and stamps the resulting state. */
function finish(o: OrderState, r: ExecReport): void {
  r.status = o.status
  r.cumQtyM = o.cumQtyM
  r.leavesQtyM = o.leavesQtyM
  r.strategyId = o.strategyId
  r.venueId = o.venueId
  r.instrumentId = o.instrumentId
  r.side = o.side
  r.type = o.type
  r.timeInForce = o.timeInForce
  r.priceScale = o.priceScale
  r.qtyScale = o.qtyScale
  r.priceM = o.priceM
  r.qtyM = o.qtyM
  if (r.venueOrderId === 0) r.venueOrderId = o.venueOrderId
}
