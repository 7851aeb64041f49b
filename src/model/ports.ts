/**
 * Order-side ports: the contracts between the order router (src/orders), the
 * journal (src/journal) and the venue gateways (src/venues/<v>/orders). They
 * are venue-neutral: no venue wire type crosses them.
 *
 * Report flow (house style 2.6):
 *
 *   gateway ──sink.tryAcquireReport()/acquireReport()──▶ ExecReport (pooled, owned by the router's pool)
 *           ──fill fields──▶ sink.onExecReport(report)   (ownership passes to the router)
 *   router  ──state machine──▶ journal (one transaction) ──▶ strategy callback ──▶ release
 *
 * Canonical report semantics every gateway must follow:
 * - `clientOrderId` is always the ORDER's id (for a cancel, the id of the order
 *   being canceled, never the cancel request's own id).
 * - A send that failed or timed out is `ExecType.Unknown` (status Unknown), never
 *   a rejection; the router resolves it with `queryOrder`.
 * - A fill is `ExecType.Trade` with `tradeId >= 0` and `lastQtyM > 0`;
 *   `cumQtyM` is the venue's cumulative filled quantity when known (0 otherwise).
 * - A reply that restates the order (REST RESULT/FULL, a query) without being
 *   a fill uses `ExecType.Restated` (or New/Canceled/Expired) with the status
 *   and `cumQtyM`; fills carried in a reply (Binance FULL `fills[]`) are emitted
 *   as separate Trade reports.
 */
import type { ExecReport, OrderRequest } from './orders.js'

/** Gateway connection events (small integers; switch on them). */
export const GatewayEvent = {
  /** first connection established (user data stream live) */
  Connected: 1,
  /** the user data stream or order connection dropped; reports may be missed */
  Disconnected: 2,
  /** connection re-established after a drop: the router reconciles */
  Reconnected: 3,
} as const
export type GatewayEventValue = (typeof GatewayEvent)[keyof typeof GatewayEvent]

/** What a gateway hands its reports and events to (implemented by the order router). */
export interface ExecReportSink {
  /** A reset ExecReport, or null when the pool is empty (then use `acquireReport`). */
  tryAcquireReport(): ExecReport | null
  /** Waits for a free ExecReport; never gives up (reports are never dropped). */
  acquireReport(): Promise<ExecReport>
  /** Returns an acquired report unused (e.g. its payload could not be decoded). */
  releaseReport(report: ExecReport): void
  /** Hands over a filled report; ownership passes to the sink. */
  onExecReport(report: ExecReport): void
  /** A balance snapshot of one asset (exact decimal strings as the venue sent them). */
  onBalance(venueId: number, asset: string, free: string, locked: string, tsEventUs: number): void
  onGatewayEvent(venueId: number, event: GatewayEventValue, detail: string): void
}

/** The venue's view of one order (reconciliation, cold path). Mantissas at the instrument's scales. */
export interface VenueOrderState {
  clientOrderId: string
  venueOrderId: number
  instrumentId: number
  /** an OrderStatus value */
  status: number
  side: number
  priceM: number
  qtyM: number
  cumQtyM: number
  /** cumulative quote quantity mantissa at `quoteScale` (0 when unknown) */
  cumQuoteM: number
  quoteScale: number
  tsUpdateUs: number
}

/** One of our trades as the venue lists it (reconciliation of missed fills). */
export interface VenueTrade {
  tradeId: number
  venueOrderId: number
  instrumentId: number
  side: number
  pxM: number
  qtyM: number
  /** commission as the venue's exact decimal string, and its asset */
  commission: string
  commissionAsset: string
  isMaker: boolean
  tsEventUs: number
}

/** Result of `queryOrder`: the order, or null when the venue does not know it. */
export type VenueOrderQuery = VenueOrderState | null

/**
 * One venue's order entry. Implemented by e.g. `BinanceOrderGateway`; the
 * router talks to venues only through this.
 */
export interface VenueGateway {
  readonly venueId: number
  /** Attaches the report sink; called once by the router before `start`. */
  attach(sink: ExecReportSink): void
  /** Connects (order connection and user data stream); resolves when ready. */
  start(): Promise<void>
  /** Closes connections (after the router's cancel-on-exit), idempotent. */
  close(): Promise<void>
  /**
   * Sends a new order. The request is valid only during the call: the gateway
   * copies what it needs synchronously. Outcomes come back as reports; a
   * failure to send is an `Unknown` report, never an exception.
   */
  submit(req: OrderRequest): void
  /**
   * Sends a cancel: `req.origClientOrderId` is the order, `req.clientOrderId`
   * the cancel's own id. Same ownership and failure rules as `submit`.
   */
  cancel(req: OrderRequest): void
  /** The venue's state of an order; null when the venue does not know it. Rejects on transport failure. */
  queryOrder(instrumentId: number, clientOrderId: string): Promise<VenueOrderQuery>
  /** Open orders on the venue (all instruments when instrumentId is 0). */
  openOrders(instrumentId: number): Promise<VenueOrderState[]>
  /** Our trades on an instrument with trade id >= fromTradeId (or since `sinceUs` when fromTradeId < 0). */
  myTrades(instrumentId: number, fromTradeId: number, sinceUs: number): Promise<VenueTrade[]>
}

/** An order as the journal restores it on start (open orders only). */
export interface JournaledOrder {
  clientOrderId: string
  venueOrderId: number
  strategyId: number
  venue: string
  symbol: string
  side: number
  type: number
  timeInForce: number
  priceScale: number
  qtyScale: number
  priceM: number
  qtyM: number
  cumQtyM: number
  /** Σ of the journaled fills' quantities */
  fillQtyM: number
  /** an OrderStatus value (PendingCancel when a cancel was pending) */
  status: number
  reduceOnly: boolean
  tag: string
  tsCreatedUs: number
  tsUpdatedUs: number
  /** trade ids already journaled for this order */
  tradeIds: number[]
}

export interface JournaledPosition {
  strategyId: number
  venue: string
  symbol: string
  qtyScale: number
  /** signed position mantissa (buys +, sells −) */
  positionM: number
}

export interface JournaledBalance {
  venue: string
  asset: string
  free: string
  locked: string
  tsUpdatedUs: number
}

/** What `OrderJournal.recover()` returns. */
export interface JournalRecovery {
  openOrders: JournaledOrder[]
  positions: JournaledPosition[]
  balances: JournaledBalance[]
  /** venue + '\u0000' + symbol -> the highest journaled trade id */
  lastTradeIds: Map<string, number>
}

/**
 * The order journal as the router sees it (implemented by src/journal). Every
 * method is synchronous and durable on return (one SQLite transaction), so the
 * router writes BEFORE it tells the strategy. Instrument ids are resolved to
 * (venue, symbol) by the journal, because ids are not stable across restarts.
 */
export interface OrderJournal {
  /** Registers a strategy's display name (idempotent). */
  recordStrategy(strategyId: number, name: string): void
  /** A new order, with its initial status (PendingNew, or Rejected for a denial). */
  recordOrder(req: OrderRequest, status: number, reasonCode: string): void
  /**
   * One state transition (and, when `isNewFill`, the fill and the position
   * change) in one transaction. Returns false when the fill was already
   * journaled (UNIQUE), which means the fill must not be counted again.
   */
  recordReport(report: ExecReport, fromStatus: number, toStatus: number, isNewFill: boolean): boolean
  recordBalance(venueId: number, asset: string, free: string, locked: string, tsUs: number): void
  /**
   * Reserves the client-order-id epoch for this run: returns max(nowEpoch,
   * last reserved + 1) and persists it, so no restart reuses an id.
   */
  reserveIdEpoch(nowEpoch: number): number
  recover(): JournalRecovery
}
