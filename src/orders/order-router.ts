/**
 * The order router (order manager): strategy → risk → journal → venue
 * gateway, and venue reports → state machine → journal → strategy.
 *
 *   submit(spec) ─▶ OrderRequest (pool) ─▶ id ─▶ risk ─▶ journal ─▶ gateway.submit
 *                          │ denied: REJECTED report (reasonCode), journaled, delivered next microtask
 *   gateway ─▶ ExecReport (pool) ─▶ applyReport ─▶ journal (one tx) ─▶ strategy.onExecReport ─▶ release
 *
 * Invariants
 * - The journal is written before the strategy is told; a journal failure
 *   halts trading (kill switch) and the report is not delivered.
 * - Reports are never dropped: when the ExecReport pool is empty, producers
 *   wait (`acquireReport`). An empty OrderRequest pool denies the order with
 *   ORDER_POOL_EXHAUSTED (a REJECTED report), never silently.
 * - Strategies see each venue outcome once: duplicates and stale reports are
 *   counted and not delivered. Local transitions (pending-cancel) are
 *   journaled but not delivered (the strategy asked for them).
 * - Unknown outcomes (send failed/timed out) are resolved by `queryOrder`
 *   on a single timer; after a (re)connect the venue's open orders and trade
 *   history are reconciled (`reconcile`).
 */
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import { Decimal } from '../core/fixed-point.js'
import { systemClock, type Clock } from '../core/clock.js'
import { silentLogger, type Logger } from '../core/logger.js'
import type { BoundedPool } from '../core/pool.js'
import type { InstrumentRegistry } from '../model/instrument.js'
import { ExecReport, ExecType, OrderAction, OrderRequest, OrderStatus, OrderType, TimeInForce } from '../model/orders.js'
import {
  GatewayEvent,
  type ExecReportSink,
  type GatewayEventValue,
  type JournalRecovery,
  type OrderJournal,
  type VenueGateway,
  type VenueOrderState,
  type VenueTrade,
} from '../model/ports.js'
import { OrderIdGenerator } from './order-ids.js'
import { ExposureBook } from './positions.js'
import { RiskEngine, RiskReason, type RiskConfig } from './risk.js'
import { Apply, OrderState, StateMachineStats, applyReport, isTerminal, isWorking, statusRank } from './state-machine.js'

/** What a strategy implements to hear about its orders. The report is valid only during the call. */
export interface OrderListener {
  onExecReport(report: Readonly<ExecReport>): void
}

/** A new order as a strategy describes it (reuse one object; it is copied). Mantissas at the instrument's scales. */
export interface OrderSpec {
  instrumentId: number
  side: number
  /** OrderType (default Limit) */
  type?: number
  /** TimeInForce (default GTC) */
  timeInForce?: number
  priceM: number
  qtyM: number
  /** MARKET by quote amount, at the instrument's notionalScale (qtyM 0) */
  quoteQtyM?: number
  reduceOnly?: boolean
  tag?: string
}

export interface OrderRouterOptions {
  registry: InstrumentRegistry
  journal: OrderJournal
  requestPool: BoundedPool<OrderRequest>
  reportPool: BoundedPool<ExecReport>
  /** a RiskEngine, or its configuration */
  risk?: RiskEngine | RiskConfig
  clock?: Clock
  logger?: Logger
  /** client order id prefix (default "tf") */
  idPrefix?: string
  /** period of the unknown-outcome resolver (default 1000 ms) */
  resolveEveryMs?: number
  /**
   * An order the venue does not know this long after its send is final
   * (rejected, reason RECONCILE_NOT_FOUND). Must exceed the gateway's
   * recvWindow, after which the venue refuses the request (default 30 s).
   */
  notFoundAfterUs?: number
  /** terminal orders kept in memory for late reports (default 100,000) */
  retainTerminal?: number
  /** called when the router cannot go on safely (journal failure) */
  onFatal?: (err: TickflowError) => void
}

/** Router counters (plain fields; `stats()` snapshots them). */
export class RouterStats {
  submitted = 0
  denied = 0
  requestPoolExhausted = 0
  cancelsSent = 0
  reports = 0
  delivered = 0
  fills = 0
  unknownOutcomes = 0
  resolvedByQuery = 0
  notFoundFinal = 0
  /** completed reconciliations */
  reconciliations = 0
  reconcileErrors = 0
  queryErrors = 0
  missedFillsRecovered = 0
  foreignReports = 0
  foreignOpenOrders = 0
  strategyErrors = 0
  journalErrors = 0
  duplicateFillsJournal = 0
}

interface StrategyEntry {
  id: number
  name: string
  listener: OrderListener
  cancelOnExit: boolean
}

/** Outcome of `reconcile`. */
export interface ReconcileReport {
  venueId: number
  openAtVenue: number
  restated: number
  queried: number
  missedFills: number
  foreignOpen: string[]
}

export class OrderRouter implements ExecReportSink {
  readonly risk: RiskEngine
  readonly exposure = new ExposureBook()
  readonly counters = new RouterStats()
  readonly machine = new StateMachineStats()
  private readonly registry: InstrumentRegistry
  private readonly journal: OrderJournal
  private readonly requestPool: BoundedPool<OrderRequest>
  private readonly reportPool: BoundedPool<ExecReport>
  private readonly clock: Clock
  private readonly log: Logger
  private readonly idPrefix: string
  private readonly resolveEveryMs: number
  private readonly notFoundAfterUs: number
  private readonly retainTerminal: number
  private readonly onFatal: ((err: TickflowError) => void) | null
  private ids: OrderIdGenerator | null = null
  private readonly orders: Map<string, OrderState> = new Map()
  /** `${instrumentId}:${venueOrderId}` -> client order id */
  private readonly byVenueId: Map<string, string> = new Map()
  private readonly gateways: Map<number, VenueGateway> = new Map()
  private readonly strategies: Map<number, StrategyEntry> = new Map()
  /** orders whose outcome must be queried */
  private readonly needsQuery: Set<string> = new Set()
  private readonly querying: Set<string> = new Set()
  /** instrument id -> highest trade id seen */
  private readonly lastTradeId: Map<number, number> = new Map()
  private readonly terminalOrder: string[] = []
  private terminalHead = 0
  /** denials waiting for delivery (next microtask) */
  private readonly denials: OrderState[] = []
  private denialFlushScheduled = false
  private readonly flushDenialsBound: () => void
  /** a scratch request for denials when the pool is empty, and for cancels */
  private readonly scratch = new OrderRequest()
  private intakeOpen = true
  private started = false
  private timer: NodeJS.Timeout | null = null
  private exitWaiter: (() => void) | null = null
  private exitTargets: Set<string> | null = null
  private readonly reconciling: Set<number> = new Set()
  private readonly reconcileAgain: Set<number> = new Set()

  constructor(opts: OrderRouterOptions) {
    this.registry = opts.registry
    this.journal = opts.journal
    this.requestPool = opts.requestPool
    this.reportPool = opts.reportPool
    this.clock = opts.clock ?? systemClock
    this.log = opts.logger ?? silentLogger
    this.idPrefix = opts.idPrefix ?? 'tf'
    this.resolveEveryMs = opts.resolveEveryMs ?? 1000
    this.notFoundAfterUs = opts.notFoundAfterUs ?? 30_000_000
    this.retainTerminal = opts.retainTerminal ?? 100_000
    this.onFatal = opts.onFatal ?? null
    this.risk = opts.risk instanceof RiskEngine ? opts.risk : new RiskEngine(opts.registry, opts.risk ?? {})
    this.flushDenialsBound = () => {
      void this.flushDenials()
    }
  }

  // ---------------------------------------------------------------- setup

  /** Adds a venue gateway (before `start`). */
  addGateway(gw: VenueGateway): void {
    if (this.gateways.has(gw.venueId)) throw new TickflowError(ErrorCode.CONFIG_INVALID, `a gateway for venue ${gw.venueId} is already registered`)
    this.gateways.set(gw.venueId, gw)
    gw.attach(this)
  }

  /** Registers a strategy; `cancelOnExit` (default true) cancels its orders in `cancelOnExit()`. */
  registerStrategy(id: number, name: string, listener: OrderListener, options: { cancelOnExit?: boolean } = {}): void {
    if (!Number.isInteger(id) || id < 1) throw new TickflowError(ErrorCode.CONFIG_INVALID, `strategy id must be an integer >= 1, got ${id}`)
    this.strategies.set(id, { id, name, listener, cancelOnExit: options.cancelOnExit !== false })
    this.journal.recordStrategy(id, name)
  }

  /**
   * Reserves this run's id epoch, restores open orders, positions and the
   * last trade ids from the journal, and starts the resolver timer. Gateways
   * are started by the caller; their Connected event triggers `reconcile`.
   */
  start(): JournalRecovery {
    if (this.started) throw new TickflowError(ErrorCode.ENGINE_STATE, 'order router already started')
    this.started = true
    const epoch = this.journal.reserveIdEpoch(Math.floor(this.clock.nowUs() / 1_000_000))
    this.ids = new OrderIdGenerator(this.idPrefix, epoch)
    const rec = this.journal.recover()
    this.restore(rec)
    this.timer = setInterval(() => {
      void this.resolveUnknowns()
    }, this.resolveEveryMs)
    this.timer.unref()
    return rec
  }

  private restore(rec: JournalRecovery): void {
    for (const p of rec.positions) {
      const id = this.registry.lookup(p.venue, p.symbol)
      if (id === 0) {
        this.log.warn({ venue: p.venue, symbol: p.symbol }, 'journal position of an undefined instrument ignored')
        continue
      }
      this.exposure.setPosition(p.strategyId, id, p.positionM)
    }
    for (const [key, tradeId] of rec.lastTradeIds) {
      const [venue, symbol] = key.split('\u0000') as [string, string]
      const id = this.registry.lookup(venue, symbol)
      if (id !== 0) this.lastTradeId.set(id, tradeId)
    }
    for (const j of rec.openOrders) {
      const id = this.registry.lookup(j.venue, j.symbol)
      if (id === 0) {
        this.log.warn({ clientOrderId: j.clientOrderId, symbol: j.symbol }, 'journal order of an undefined instrument ignored')
        continue
      }
      const o = new OrderState()
      o.clientOrderId = j.clientOrderId
      o.venueOrderId = j.venueOrderId
      o.strategyId = j.strategyId
      o.venueId = this.registry.venueId(j.venue)
      o.instrumentId = id
      o.side = j.side
      o.type = j.type
      o.timeInForce = j.timeInForce
      o.priceScale = j.priceScale
      o.qtyScale = j.qtyScale
      o.priceM = j.priceM
      o.qtyM = j.qtyM
      o.cumQtyM = j.cumQtyM
      o.fillQtyM = j.fillQtyM
      for (const t of j.tradeIds) o.tradeIds.add(t)
      o.reduceOnly = j.reduceOnly
      o.tag = j.tag
      o.tsCreatedUs = j.tsCreatedUs
      o.tsUpdatedUs = j.tsUpdatedUs
      o.tsSentUs = j.tsUpdatedUs
      if (j.status === OrderStatus.PendingCancel) {
        o.base = j.cumQtyM > 0 ? OrderStatus.PartiallyFilled : OrderStatus.New
        o.cancelPending = true
      } else o.base = j.status
      this.orders.set(o.clientOrderId, o)
      if (o.venueOrderId !== 0) this.byVenueId.set(`${id}:${o.venueOrderId}`, o.clientOrderId)
      this.exposure.addOpen(o.strategyId, id, o.side, o.leavesQtyM, 1)
      // every restored working order is checked against the venue
      this.needsQuery.add(o.clientOrderId)
    }
  }

  // ---------------------------------------------------------------- strategy API

  /**
   * Submits a new order. Returns its client order id; the outcome (NEW,
   * fills, or a REJECTED report with a reason code for a denial) arrives at
   * the strategy's `onExecReport`. Never throws for an order that cannot go:
   * it is denied with a coded reason.
   */
  submit(strategyId: number, spec: OrderSpec): string {
    const ids = this.ids
    if (ids === null) throw new TickflowError(ErrorCode.ENGINE_STATE, 'order router not started')
    const nowUs = this.clock.nowUs()
    const clientOrderId = ids.next()
    let req = this.requestPool.tryAcquire()
    let reason: string = RiskReason.None
    if (req === null) {
      this.counters.requestPoolExhausted++
      req = this.scratch
      req.reset()
      reason = RiskReason.PoolExhausted
    }
    req.action = OrderAction.New
    req.clientOrderId = clientOrderId
    req.strategyId = strategyId
    req.instrumentId = spec.instrumentId
    req.venueId = this.registry.has(spec.instrumentId) ? this.registry.venueOfInstrument(spec.instrumentId) : 0
    req.side = spec.side
    req.type = spec.type ?? OrderType.Limit
    req.timeInForce = spec.timeInForce ?? TimeInForce.GTC
    req.priceM = spec.priceM
    req.qtyM = spec.qtyM
    req.quoteQtyM = spec.quoteQtyM ?? 0
    if (req.quoteQtyM > 0 && this.registry.has(spec.instrumentId)) req.quoteScale = this.registry.spec(spec.instrumentId).notionalScale
    req.reduceOnly = spec.reduceOnly === true
    req.tag = spec.tag ?? ''
    req.tsCreatedUs = nowUs
    if (reason === RiskReason.None && !this.intakeOpen) reason = RiskReason.IntakeClosed
    if (reason === RiskReason.None) reason = this.risk.check(req, this.exposure, nowUs)
    const gw = reason === RiskReason.None ? (this.gateways.get(req.venueId) ?? null) : null
    if (reason === RiskReason.None && gw === null) reason = 'ORDER_NO_GATEWAY'
    const o = this.newOrderState(req, nowUs)
    if (reason !== RiskReason.None) {
      this.counters.denied++
      o.base = OrderStatus.Rejected
      o.reasonCode = reason
      let ok = true
      try {
        this.journal.recordOrder(req, OrderStatus.Rejected, reason)
      } catch (err) {
        ok = this.journalFailed(err)
      }
      if (req !== this.scratch) this.requestPool.release(req)
      if (!ok) return clientOrderId
      this.orders.set(clientOrderId, o)
      this.retire(clientOrderId)
      this.denials.push(o)
      if (!this.denialFlushScheduled) {
        this.denialFlushScheduled = true
        queueMicrotask(this.flushDenialsBound)
      }
      return clientOrderId
    }
    o.base = OrderStatus.PendingNew
    try {
      this.journal.recordOrder(req, OrderStatus.PendingNew, '')
    } catch (err) {
      this.requestPool.release(req)
      this.journalFailed(err)
      return clientOrderId
    }
    this.orders.set(clientOrderId, o)
    this.exposure.addOpen(strategyId, o.instrumentId, o.side, o.qtyM, 1)
    this.counters.submitted++
    o.tsSentUs = nowUs
    try {
      gw!.submit(req)
    } catch (err) {
      // a gateway bug or a synchronous send failure: the outcome is unknown, not a rejection
      this.log.error({ err: describeError(err), clientOrderId }, 'gateway.submit threw; outcome unknown')
      this.markUnknownLater(o)
    }
    this.requestPool.release(req)
    return clientOrderId
  }

  /**
   * Requests a cancel. Returns false when the order is not this strategy's,
   * unknown, or no longer working; true when a cancel is (or already was) in flight.
   */
  cancel(strategyId: number, clientOrderId: string): boolean {
    const o = this.orders.get(clientOrderId)
    if (o === undefined || o.strategyId !== strategyId || !isWorking(o.status)) return false
    if (o.cancelPending) return true
    const gw = this.gateways.get(o.venueId)
    if (gw === undefined || this.ids === null) return false
    const nowUs = this.clock.nowUs()
    const from = o.status
    o.cancelPending = true
    o.cancelClientId = this.ids.next()
    o.tsSentUs = nowUs
    this.journalLocal(o, from, ExecType.PendingCancel, '')
    // Cancels never wait for the pool: the gateway copies the request synchronously.
    const req = this.requestPool.tryAcquire() ?? this.scratch
    if (req === this.scratch) req.reset()
    req.action = OrderAction.Cancel
    req.clientOrderId = o.cancelClientId
    req.origClientOrderId = o.clientOrderId
    req.strategyId = o.strategyId
    req.venueId = o.venueId
    req.instrumentId = o.instrumentId
    req.side = o.side
    req.priceScale = o.priceScale
    req.qtyScale = o.qtyScale
    req.tsCreatedUs = nowUs
    this.counters.cancelsSent++
    try {
      gw.cancel(req)
    } catch (err) {
      this.log.error({ err: describeError(err), clientOrderId }, 'gateway.cancel threw; cancel outcome unknown')
      this.needsQuery.add(clientOrderId)
    }
    if (req !== this.scratch) this.requestPool.release(req)
    return true
  }

  /** Cancels every working order of a strategy (or of all strategies when 0). Returns how many cancels went out. */
  cancelAll(strategyId: number): number {
    let n = 0
    for (const o of this.orders.values()) {
      if ((strategyId === 0 || o.strategyId === strategyId) && isWorking(o.status) && !o.cancelPending) {
        if (this.cancel(o.strategyId, o.clientOrderId)) n++
      }
    }
    return n
  }

  /** Stops intake: every new order from now on is denied with ORDER_INTAKE_CLOSED. */
  closeIntake(): void {
    this.intakeOpen = false
  }

  /**
   * Shutdown helper: closes intake, cancels the working orders of every
   * strategy registered with cancelOnExit, and waits for their final reports
   * up to `deadlineMs`. Resolves with the orders still working at the end.
   */
  async cancelOnExit(deadlineMs: number): Promise<{ canceled: number; remaining: string[] }> {
    this.closeIntake()
    const targets = new Set<string>()
    for (const o of this.orders.values()) {
      const s = this.strategies.get(o.strategyId)
      if ((s === undefined || s.cancelOnExit) && isWorking(o.status)) targets.add(o.clientOrderId)
    }
    let canceled = 0
    for (const id of targets) {
      const o = this.orders.get(id)!
      if (o.cancelPending || this.cancel(o.strategyId, id)) canceled++
    }
    const pending = (): string[] => [...targets].filter((id) => isWorking(this.orders.get(id)?.status ?? OrderStatus.Canceled))
    if (pending().length > 0) {
      this.exitTargets = targets
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, deadlineMs)
        function done(): void {
          clearTimeout(timer)
          resolve()
        }
        this.exitWaiter = done
      })
      this.exitWaiter = null
      this.exitTargets = null
    }
    return { canceled, remaining: pending() }
  }

  // ---------------------------------------------------------------- ExecReportSink

  tryAcquireReport(): ExecReport | null {
    return this.reportPool.tryAcquire()
  }

  async acquireReport(): Promise<ExecReport> {
    for (;;) {
      try {
        return await this.reportPool.acquire({ timeoutMs: 1000 })
      } catch (err) {
        if (err instanceof TickflowError && err.code === ErrorCode.POOL_TIMEOUT) continue
        throw err
      }
    }
  }

  releaseReport(r: ExecReport): void {
    this.reportPool.release(r)
  }

  onExecReport(r: ExecReport): void {
    this.counters.reports++
    try {
      this.process(r)
    } finally {
      this.reportPool.release(r)
    }
  }

  onBalance(venueId: number, asset: string, free: string, locked: string, tsEventUs: number): void {
    try {
      this.journal.recordBalance(venueId, asset, free, locked, tsEventUs)
    } catch (err) {
      this.journalFailed(err)
    }
  }

  onGatewayEvent(venueId: number, event: GatewayEventValue, detail: string): void {
    this.log.info({ venueId, event, detail }, 'gateway event')
    if (event === GatewayEvent.Connected || event === GatewayEvent.Reconnected) void this.reconcileSafely(venueId)
  }

  // ---------------------------------------------------------------- report processing

  private process(r: ExecReport): void {
    const o = this.orders.get(r.clientOrderId)
    if (o === undefined) {
      this.counters.foreignReports++
      this.log.warn({ clientOrderId: r.clientOrderId, execType: r.execType }, 'report for an order this router does not know')
      return
    }
    const from = o.status
    const wasWorking = isWorking(from)
    const leavesBefore = o.leavesQtyM
    if (r.tsRecvUs === 0) r.tsRecvUs = this.clock.nowUs()
    if (r.execType === ExecType.Unknown) {
      this.counters.unknownOutcomes++
      this.needsQuery.add(o.clientOrderId)
    }
    const res = applyReport(o, r, this.machine, r.tsRecvUs)
    if ((res & Apply.Violation) !== 0) {
      this.log.error(
        { clientOrderId: o.clientOrderId, execType: r.execType, tradeId: r.tradeId, qtyM: o.qtyM, cumQtyM: o.cumQtyM },
        'venue report contradicts the order (ORDER_INVALID): refused',
      )
    }
    if ((res & (Apply.StatusChanged | Apply.NewFill | Apply.Updated)) === 0) return
    if (o.venueOrderId !== 0 && (res & Apply.Updated) !== 0) this.byVenueId.set(`${o.instrumentId}:${o.venueOrderId}`, o.clientOrderId)
    const isNewFill = (res & Apply.NewFill) !== 0
    let journaled: boolean
    try {
      journaled = this.journal.recordReport(r, from, o.status, isNewFill)
    } catch (err) {
      this.journalFailed(err)
      return
    }
    if (isNewFill) {
      if (!journaled) {
        // already in the journal (a replay across restarts): do not count it twice
        this.counters.duplicateFillsJournal++
      } else {
        this.counters.fills++
        this.exposure.applyFill(o.strategyId, o.instrumentId, o.side, r.lastQtyM)
        const last = this.lastTradeId.get(o.instrumentId) ?? -1
        if (r.tradeId > last) this.lastTradeId.set(o.instrumentId, r.tradeId)
      }
    }
    const nowWorking = isWorking(o.status)
    this.exposure.addOpen(o.strategyId, o.instrumentId, o.side, o.leavesQtyM - leavesBefore, (nowWorking ? 1 : 0) - (wasWorking ? 1 : 0))
    if (!nowWorking) {
      this.needsQuery.delete(o.clientOrderId)
      if (wasWorking) this.retire(o.clientOrderId)
    } else if (o.base !== OrderStatus.Unknown && !o.cancelPending && r.execType !== ExecType.Unknown) {
      this.needsQuery.delete(o.clientOrderId)
    }
    this.deliver(o.strategyId, r)
    if (this.exitWaiter !== null && this.exitTargets !== null && !nowWorking) this.checkExit()
  }

  private deliver(strategyId: number, r: ExecReport): void {
    const s = this.strategies.get(strategyId)
    if (s === undefined) return
    try {
      s.listener.onExecReport(r)
      this.counters.delivered++
    } catch (err) {
      this.counters.strategyErrors++
      this.log.error({ err: describeError(err), strategy: s.name }, 'strategy onExecReport threw (STRATEGY_THREW)')
    }
  }

  private checkExit(): void {
    for (const id of this.exitTargets!) if (isWorking(this.orders.get(id)?.status ?? OrderStatus.Canceled)) return
    this.exitWaiter!()
  }

  /** A journal write failed: halt trading (kill switch, intake closed) and report fatally. Returns false. */
  private journalFailed(err: unknown): false {
    {
      this.counters.journalErrors++
      this.risk.setMode(2)
      this.intakeOpen = false
      const e = err instanceof TickflowError ? err : new TickflowError(ErrorCode.JOURNAL, `journal write failed: ${describeError(err)}`, { cause: err })
      this.log.fatal({ err: describeError(e) }, 'journal write failed: trading halted')
      this.onFatal?.(e)
      return false
    }
  }

  /** Journals a local transition (pending-cancel, unconfirmed cancel) through a pooled report; not delivered. */
  private journalLocal(o: OrderState, from: number, execType: number, reason: string): void {
    const r = this.reportPool.tryAcquire() ?? new ExecReport()
    r.execType = execType
    r.clientOrderId = o.clientOrderId
    r.venueOrderId = o.venueOrderId
    r.status = o.status
    r.cumQtyM = o.cumQtyM
    r.leavesQtyM = o.leavesQtyM
    r.strategyId = o.strategyId
    r.venueId = o.venueId
    r.instrumentId = o.instrumentId
    r.side = o.side
    r.priceScale = o.priceScale
    r.qtyScale = o.qtyScale
    r.priceM = o.priceM
    r.qtyM = o.qtyM
    r.reasonCode = reason
    r.tsRecvUs = this.clock.nowUs()
    try {
      this.journal.recordReport(r, from, o.status, false)
    } catch (err) {
      this.journalFailed(err)
    }
    if (r.poolId === this.reportPool.id) this.reportPool.release(r)
  }

  private newOrderState(req: OrderRequest, nowUs: number): OrderState {
    const o = new OrderState()
    o.clientOrderId = req.clientOrderId
    o.strategyId = req.strategyId
    o.venueId = req.venueId
    o.instrumentId = req.instrumentId
    o.side = req.side
    o.type = req.type
    o.timeInForce = req.timeInForce
    o.priceScale = req.priceScale
    o.qtyScale = req.qtyScale
    o.priceM = req.priceM
    o.qtyM = req.qtyM
    o.reduceOnly = req.reduceOnly
    o.tag = req.tag
    o.tsCreatedUs = nowUs
    o.tsUpdatedUs = nowUs
    return o
  }

  /** Bounded memory of terminal orders (late reports still find them). */
  private retire(clientOrderId: string): void {
    this.terminalOrder.push(clientOrderId)
    if (this.terminalOrder.length - this.terminalHead > this.retainTerminal) {
      const old = this.terminalOrder[this.terminalHead++]!
      const o = this.orders.get(old)
      if (o !== undefined && isTerminal(o.base)) {
        this.orders.delete(old)
        if (o.venueOrderId !== 0) this.byVenueId.delete(`${o.instrumentId}:${o.venueOrderId}`)
      }
      if (this.terminalHead > 4096 && this.terminalHead * 2 > this.terminalOrder.length) {
        this.terminalOrder.splice(0, this.terminalHead)
        this.terminalHead = 0
      }
    }
  }

  private async flushDenials(): Promise<void> {
    this.denialFlushScheduled = false
    while (this.denials.length > 0) {
      const o = this.denials.shift()!
      const r = this.reportPool.tryAcquire() ?? (await this.acquireReport())
      r.execType = ExecType.Rejected
      r.clientOrderId = o.clientOrderId
      r.status = OrderStatus.Rejected
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
      r.reasonCode = o.reasonCode
      r.reasonText = 'denied by pre-trade checks'
      r.tsEventUs = o.tsCreatedUs
      r.tsRecvUs = o.tsCreatedUs
      this.deliver(o.strategyId, r)
      this.reportPool.release(r)
    }
  }

  private markUnknownLater(o: OrderState): void {
    this.needsQuery.add(o.clientOrderId)
    void (async () => {
      const r = this.reportPool.tryAcquire() ?? (await this.acquireReport())
      r.execType = ExecType.Unknown
      r.status = OrderStatus.Unknown
      r.clientOrderId = o.clientOrderId
      r.reasonCode = 'SEND_FAILED'
      this.onExecReport(r)
    })()
  }

  // ---------------------------------------------------------------- reconciliation

  /**
   * Resolves orders whose outcome is unknown (and restored orders, and
   * unanswered cancels) by querying the venue. Runs on the router's timer;
   * callable directly (tests, shutdown).
   */
  async resolveUnknowns(): Promise<void> {
    const work: Promise<void>[] = []
    for (const id of this.needsQuery) {
      if (this.querying.has(id)) continue
      const o = this.orders.get(id)
      if (o === undefined || !isWorking(o.status)) {
        this.needsQuery.delete(id)
        continue
      }
      work.push(this.queryOne(o))
    }
    await Promise.all(work)
  }

  private async queryOne(o: OrderState): Promise<void> {
    const gw = this.gateways.get(o.venueId)
    if (gw === undefined) return
    this.querying.add(o.clientOrderId)
    try {
      const state = await gw.queryOrder(o.instrumentId, o.clientOrderId)
      if (!isWorking(o.status)) return
      if (state === null) await this.onNotFound(o)
      else await this.restate(o, state)
      if (!isWorking(o.status) || (o.base !== OrderStatus.Unknown && !o.cancelPending)) this.needsQuery.delete(o.clientOrderId)
      else if (o.cancelPending && this.clock.nowUs() - o.tsSentUs > this.notFoundAfterUs) {
        // the cancel was never confirmed and the order still works: tell the strategy
        const from = o.status
        const r = this.reportPool.tryAcquire() ?? (await this.acquireReport())
        r.execType = ExecType.CancelRejected
        r.clientOrderId = o.clientOrderId
        r.reasonCode = 'CANCEL_UNCONFIRMED'
        this.onExecReport(r)
        if (o.status !== from) this.needsQuery.delete(o.clientOrderId)
      }
    } catch (err) {
      this.counters.queryErrors++
      this.log.warn({ err: describeError(err), clientOrderId: o.clientOrderId }, 'order query failed; will retry')
    } finally {
      this.querying.delete(o.clientOrderId)
    }
  }

  private async onNotFound(o: OrderState): Promise<void> {
    if (this.clock.nowUs() - o.tsSentUs <= this.notFoundAfterUs) return // may still arrive; retry later
    const r = this.reportPool.tryAcquire() ?? (await this.acquireReport())
    r.clientOrderId = o.clientOrderId
    r.reasonCode = 'RECONCILE_NOT_FOUND'
    r.reasonText = 'the venue does not know this order after the send window'
    if (statusRank(o.base) === 1) {
      r.execType = ExecType.Rejected
      r.status = OrderStatus.Rejected
    } else {
      r.execType = ExecType.Expired
      r.status = OrderStatus.Expired
    }
    this.counters.notFoundFinal++
    this.onExecReport(r)
  }

  /** Applies the venue's view of an order as a Restated report; fetches missed fills when the venue's cum is ahead. */
  private async restate(o: OrderState, s: VenueOrderState): Promise<void> {
    const r = this.reportPool.tryAcquire() ?? (await this.acquireReport())
    r.execType = ExecType.Restated
    r.clientOrderId = o.clientOrderId
    r.venueOrderId = s.venueOrderId
    r.status = s.status
    r.cumQtyM = s.cumQtyM
    r.cumQuoteM = s.cumQuoteM
    r.quoteScale = s.quoteScale
    r.tsEventUs = s.tsUpdateUs
    const wasUnknown = o.base === OrderStatus.Unknown
    this.onExecReport(r)
    if (wasUnknown && o.base !== OrderStatus.Unknown) this.counters.resolvedByQuery++
    if (s.cumQtyM > o.fillQtyM) await this.reconcileFills(o.instrumentId, o.venueId)
  }

  /** Fetches our trades since the last known trade id and applies the missing fills. Returns how many were new. */
  async reconcileFills(instrumentId: number, venueId: number): Promise<number> {
    const gw = this.gateways.get(venueId)
    if (gw === undefined) return 0
    const last = this.lastTradeId.get(instrumentId) ?? -1
    // with no known trade id, look back from the oldest working order of this instrument
    let sinceUs = this.clock.nowUs()
    for (const o of this.orders.values()) if (o.instrumentId === instrumentId && o.tsCreatedUs < sinceUs) sinceUs = o.tsCreatedUs
    const trades = await gw.myTrades(instrumentId, last >= 0 ? last + 1 : -1, sinceUs - 60_000_000)
    let added = 0
    for (const t of trades) if (await this.applyTrade(t)) added++
    this.counters.missedFillsRecovered += added
    return added
  }

  private async applyTrade(t: VenueTrade): Promise<boolean> {
    const id = this.byVenueId.get(`${t.instrumentId}:${t.venueOrderId}`)
    const o = id === undefined ? undefined : this.orders.get(id)
    if (o === undefined || o.tradeIds.has(t.tradeId)) return false
    const r = this.reportPool.tryAcquire() ?? (await this.acquireReport())
    r.execType = ExecType.Trade
    r.status = OrderStatus.None
    r.clientOrderId = o.clientOrderId
    r.venueOrderId = t.venueOrderId
    r.tradeId = t.tradeId
    r.lastQtyM = t.qtyM
    r.lastPxM = t.pxM
    r.isMaker = t.isMaker
    if (t.commission !== '') {
      const c = Decimal.parse(t.commission)
      r.commissionM = c.mantissa
      r.commissionScale = c.scale
    }
    r.commissionAsset = t.commissionAsset
    r.tsEventUs = t.tsEventUs
    r.reasonText = 'recovered from trade history'
    const before = o.fillQtyM
    this.onExecReport(r)
    return o.fillQtyM > before
  }

  private async reconcileSafely(venueId: number): Promise<void> {
    if (this.reconciling.has(venueId)) {
      this.reconcileAgain.add(venueId)
      return
    }
    try {
      await this.reconcile(venueId)
    } catch (err) {
      this.counters.reconcileErrors++
      this.log.error({ err: describeError(err), venueId }, 'reconciliation failed; retrying on the next resolver tick')
      for (const o of this.orders.values()) if (o.venueId === venueId && isWorking(o.status)) this.needsQuery.add(o.clientOrderId)
    }
  }

  /**
   * Reconciles one venue: every working order is matched against the venue's
   * open orders (restated; those the venue no longer lists are queried one by
   * one), then missed fills are fetched from the trade history of every
   * instrument involved. Venue open orders this router does not know are
   * reported in `foreignOpen` (counted, not touched).
   */
  async reconcile(venueId: number): Promise<ReconcileReport> {
    const gw = this.gateways.get(venueId)
    if (gw === undefined) throw new TickflowError(ErrorCode.CONFIG_INVALID, `no gateway for venue ${venueId}`)
    this.reconciling.add(venueId)
    try {
      const recoveredBefore = this.counters.missedFillsRecovered
      const open = await gw.openOrders(0)
      const atVenue = new Map<string, VenueOrderState>()
      for (const s of open) atVenue.set(s.clientOrderId, s)
      const out: ReconcileReport = { venueId, openAtVenue: open.length, restated: 0, queried: 0, missedFills: 0, foreignOpen: [] }
      const instruments = new Set<number>()
      const mine: OrderState[] = []
      for (const o of this.orders.values()) if (o.venueId === venueId && isWorking(o.status)) mine.push(o)
      for (const o of mine) {
        instruments.add(o.instrumentId)
        const s = atVenue.get(o.clientOrderId)
        if (s !== undefined) {
          await this.restate(o, s)
          out.restated++
        } else {
          await this.queryOne(o)
          out.queried++
        }
      }
      for (const s of open) if (!this.orders.has(s.clientOrderId)) out.foreignOpen.push(s.clientOrderId)
      this.counters.foreignOpenOrders = out.foreignOpen.length
      if (out.foreignOpen.length > 0) this.log.warn({ venueId, orders: out.foreignOpen }, 'venue has open orders this router does not know')
      for (const id of this.lastTradeId.keys()) if (this.registry.venueOfInstrument(id) === venueId) instruments.add(id)
      for (const id of instruments) await this.reconcileFills(id, venueId)
      out.missedFills = this.counters.missedFillsRecovered - recoveredBefore
      this.counters.reconciliations++
      return out
    } finally {
      this.reconciling.delete(venueId)
      if (this.reconcileAgain.delete(venueId)) void this.reconcileSafely(venueId)
    }
  }

  // ---------------------------------------------------------------- queries

  /** An order's state (read-only view; undefined when unknown or retired). */
  order(clientOrderId: string): Readonly<OrderState> | undefined {
    return this.orders.get(clientOrderId)
  }

  /** Working orders (optionally of one strategy). */
  workingOrders(strategyId = 0): Readonly<OrderState>[] {
    const out: OrderState[] = []
    for (const o of this.orders.values()) if ((strategyId === 0 || o.strategyId === strategyId) && isWorking(o.status)) out.push(o)
    return out
  }

  /** Net position mantissa of an instrument (of one strategy when strategyId > 0). */
  position(instrumentId: number, strategyId = 0): number {
    return strategyId === 0 ? this.exposure.positionOf(instrumentId) : this.exposure.strategyPositionOf(strategyId, instrumentId)
  }

  /** Orders waiting for an outcome query. */
  get pendingQueries(): number {
    return this.needsQuery.size
  }

  /** Stops the resolver timer (gateways are closed by the runtime after `cancelOnExit`). Idempotent. */
  close(): void {
    this.intakeOpen = false
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  stats(): Record<string, unknown> {
    return {
      ...this.counters,
      stateMachine: { ...this.machine },
      risk: this.risk.stats(),
      workingOrders: this.exposure.totalOpenOrders,
      pendingQueries: this.needsQuery.size,
      ordersInMemory: this.orders.size,
    }
  }
}
