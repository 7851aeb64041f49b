/**
 * Binance order-side payloads → canonical reports (protocol §4.1, §5.2, §5.3).
 *
 * Orders and user-data events come at 10–1,000/s, so JSON.parse is the
 * decoder here (node-performance.md §3: the byte codec is for market data).
 * Prices and quantities are exact: `parseDecimal` at the instrument's scales,
 * never a float.
 *
 * Traps handled (§9.11–13):
 * - three envelopes: bare event, combined `{stream, data}`, WS-API `{subscriptionId, event}`;
 * - on a cancel, `c` is the cancel request's id and `C` the order's id: the
 *   canonical clientOrderId is always the ORDER's (`C` when non-empty);
 * - `N` is null without commission; `t` is -1 on non-trade events;
 * - the REST field is spelled `cummulativeQuoteQty`.
 */
import { parseDecimal, Decimal } from '../../../core/fixed-point.js'
import type { InstrumentRegistry } from '../../../model/instrument.js'
import { ExecType, OrderSide, OrderStatus, OrderType, TimeInForce, type ExecReport } from '../../../model/orders.js'
import type { VenueOrderState, VenueTrade } from '../../../model/ports.js'

/** The `executionReport` fields we read (exact names, protocol §5.2). */
export interface BinanceExecutionReport {
  e: 'executionReport'
  E: number
  s: string
  c: string
  S: string
  o: string
  f: string
  q: string
  p: string
  C: string
  x: string
  X: string
  r: string
  i: number
  l: string
  z: string
  L: string
  n: string
  N: string | null
  T: number
  t: number
  m: boolean
  Z: string
}

/** REST / WS-API order object (ACK, RESULT, FULL; query; cancel). */
export interface BinanceOrderObject {
  symbol: string
  orderId: number
  clientOrderId: string
  origClientOrderId?: string
  transactTime?: number
  updateTime?: number
  time?: number
  price?: string
  origQty?: string
  executedQty?: string
  cummulativeQuoteQty?: string
  status?: string
  side?: string
  type?: string
  timeInForce?: string
  fills?: Array<{ price: string; qty: string; commission: string; commissionAsset: string; tradeId: number }>
}

export interface BinanceMyTrade {
  symbol: string
  id: number
  orderId: number
  price: string
  qty: string
  commission: string
  commissionAsset: string
  time: number
  isBuyer: boolean
  isMaker: boolean
}

export interface BinanceError {
  code: number
  msg: string
}

/** Unwraps the three user-data envelopes; returns the event object or null. */
export function unwrapUserEvent(msg: unknown): Record<string, unknown> | null {
  if (msg === null || typeof msg !== 'object') return null
  const m = msg as Record<string, unknown>
  if (typeof m.e === 'string') return m
  const inner = m.event ?? m.data
  if (inner !== null && typeof inner === 'object' && typeof (inner as Record<string, unknown>).e === 'string') return inner as Record<string, unknown>
  return null
}

export function orderStatusOf(x: string | undefined): number {
  switch (x) {
    case 'NEW':
      return OrderStatus.New
    case 'PENDING_NEW':
      return OrderStatus.PendingNew
    case 'PARTIALLY_FILLED':
      return OrderStatus.PartiallyFilled
    case 'FILLED':
      return OrderStatus.Filled
    case 'CANCELED':
      return OrderStatus.Canceled
    case 'PENDING_CANCEL':
      return OrderStatus.PendingCancel
    case 'REJECTED':
      return OrderStatus.Rejected
    case 'EXPIRED':
    case 'EXPIRED_IN_MATCH':
      return OrderStatus.Expired
    default:
      return OrderStatus.None
  }
}

export function execTypeOf(x: string): number {
  switch (x) {
    case 'NEW':
      return ExecType.New
    case 'TRADE':
      return ExecType.Trade
    case 'CANCELED':
      return ExecType.Canceled
    case 'REJECTED':
      return ExecType.Rejected
    case 'EXPIRED':
      return ExecType.Expired
    default:
      // REPLACED, TRADE_PREVENTION: a restatement of the order's status
      return ExecType.Restated
  }
}

export const sideOf = (s: string | undefined): number => (s === 'SELL' ? OrderSide.Sell : OrderSide.Buy)
export const typeOf = (s: string | undefined): number => (s === 'MARKET' ? OrderType.Market : s === 'LIMIT_MAKER' ? OrderType.LimitMaker : OrderType.Limit)
export const tifOf = (s: string | undefined): number => (s === 'IOC' ? TimeInForce.IOC : s === 'FOK' ? TimeInForce.FOK : TimeInForce.GTC)
export const SIDE_WIRE = ['', 'BUY', 'SELL']
export const TYPE_WIRE = ['', 'LIMIT', 'MARKET', 'LIMIT_MAKER']
export const TIF_WIRE = ['', 'GTC', 'IOC', 'FOK']

/** A decimal string at `scale`; 0 for "" / absent. Throws DECIMAL_* on bad text. */
function dec(text: string | undefined, scale: number): number {
  return text === undefined || text === '' ? 0 : parseDecimal(text, scale)
}

/** Commission "0.00012000" → mantissa + its own scale (trailing zeros dropped to keep it small). */
function setCommission(r: ExecReport, text: string | undefined, asset: string | null | undefined): void {
  if (text === undefined || text === '') return
  const d = Decimal.parse(text).normalize()
  r.commissionM = d.mantissa
  r.commissionScale = d.scale
  r.commissionAsset = asset ?? ''
}

/** Decoding context: the registry and this venue's name in it. */
export interface DecodeContext {
  registry: InstrumentRegistry
  venue: string
  venueId: number
}

/**
 * Fills `r` from an executionReport. Returns false when the symbol is not a
 * defined instrument (counted by the caller). Throws DECIMAL_* on a bad decimal.
 */
export function decodeExecutionReport(ev: BinanceExecutionReport, r: ExecReport, ctx: DecodeContext, recvUs: number): boolean {
  const id = ctx.registry.lookup(ctx.venue, ev.s)
  if (id === 0) return false
  const spec = ctx.registry.spec(id)
  r.execType = execTypeOf(ev.x)
  r.status = orderStatusOf(ev.X)
  r.clientOrderId = ev.C !== undefined && ev.C !== '' && ev.C !== null ? ev.C : ev.c
  r.venueOrderId = ev.i
  r.venueId = ctx.venueId
  r.instrumentId = id
  r.side = sideOf(ev.S)
  r.type = typeOf(ev.o)
  r.timeInForce = tifOf(ev.f)
  r.priceScale = spec.priceScale
  r.qtyScale = spec.qtyScale
  r.priceM = dec(ev.p, spec.priceScale)
  r.qtyM = dec(ev.q, spec.qtyScale)
  r.cumQtyM = dec(ev.z, spec.qtyScale)
  r.quoteScale = spec.notionalScale
  r.cumQuoteM = dec(ev.Z, spec.notionalScale)
  r.tradeId = typeof ev.t === 'number' ? ev.t : -1
  if (r.execType === ExecType.Trade) {
    r.lastQtyM = dec(ev.l, spec.qtyScale)
    r.lastPxM = dec(ev.L, spec.priceScale)
    r.isMaker = ev.m === true
    setCommission(r, ev.n, ev.N)
  }
  if (ev.r !== undefined && ev.r !== 'NONE') r.reasonCode = `VENUE_${ev.r}`
  r.tsEventUs = (ev.T > 0 ? ev.T : ev.E) * 1000
  r.tsRecvUs = recvUs
  return true
}

/**
 * Fills `r` from an order object (REST/WS-API RESULT/FULL reply, query, or
 * cancel reply) as a restatement. The FULL `fills[]` are separate Trade
 * reports (`decodeFill`). For a cancel reply the order's id is `origClientOrderId`.
 */
export function decodeOrderObject(o: BinanceOrderObject, r: ExecReport, ctx: DecodeContext, recvUs: number): boolean {
  const id = ctx.registry.lookup(ctx.venue, o.symbol)
  if (id === 0) return false
  const spec = ctx.registry.spec(id)
  const status = orderStatusOf(o.status)
  r.execType = status === OrderStatus.Canceled ? ExecType.Canceled : status === OrderStatus.Expired ? ExecType.Expired : status === OrderStatus.New ? ExecType.New : ExecType.Restated
  r.status = status
  r.clientOrderId = o.origClientOrderId !== undefined && o.origClientOrderId !== '' ? o.origClientOrderId : o.clientOrderId
  r.venueOrderId = o.orderId
  r.venueId = ctx.venueId
  r.instrumentId = id
  r.priceScale = spec.priceScale
  r.qtyScale = spec.qtyScale
  r.cumQtyM = dec(o.executedQty, spec.qtyScale)
  r.quoteScale = spec.notionalScale
  r.cumQuoteM = dec(o.cummulativeQuoteQty, spec.notionalScale)
  const t = o.transactTime ?? o.updateTime ?? o.time ?? 0
  r.tsEventUs = t * 1000
  r.tsRecvUs = recvUs
  return true
}

/** One FULL `fills[]` entry as a Trade report of order `o`. */
export function decodeFill(o: BinanceOrderObject, i: number, r: ExecReport, ctx: DecodeContext, recvUs: number): boolean {
  const id = ctx.registry.lookup(ctx.venue, o.symbol)
  const f = o.fills?.[i]
  if (id === 0 || f === undefined) return false
  const spec = ctx.registry.spec(id)
  r.execType = ExecType.Trade
  r.status = OrderStatus.None
  r.clientOrderId = o.clientOrderId
  r.venueOrderId = o.orderId
  r.venueId = ctx.venueId
  r.instrumentId = id
  r.priceScale = spec.priceScale
  r.qtyScale = spec.qtyScale
  r.tradeId = f.tradeId
  r.lastQtyM = parseDecimal(f.qty, spec.qtyScale)
  r.lastPxM = parseDecimal(f.price, spec.priceScale)
  setCommission(r, f.commission, f.commissionAsset)
  r.isMaker = false // FULL fills of a new order are taker fills
  r.tsEventUs = (o.transactTime ?? 0) * 1000
  r.tsRecvUs = recvUs
  return true
}

/** A query / openOrders entry as the venue-neutral order state. */
export function toVenueOrderState(o: BinanceOrderObject, ctx: DecodeContext): VenueOrderState | null {
  const id = ctx.registry.lookup(ctx.venue, o.symbol)
  if (id === 0) return null
  const spec = ctx.registry.spec(id)
  return {
    clientOrderId: o.clientOrderId,
    venueOrderId: o.orderId,
    instrumentId: id,
    status: orderStatusOf(o.status),
    side: sideOf(o.side),
    priceM: dec(o.price, spec.priceScale),
    qtyM: dec(o.origQty, spec.qtyScale),
    cumQtyM: dec(o.executedQty, spec.qtyScale),
    cumQuoteM: dec(o.cummulativeQuoteQty, spec.notionalScale),
    quoteScale: spec.notionalScale,
    tsUpdateUs: (o.updateTime ?? o.time ?? 0) * 1000,
  }
}

export function toVenueTrade(t: BinanceMyTrade, ctx: DecodeContext): VenueTrade | null {
  const id = ctx.registry.lookup(ctx.venue, t.symbol)
  if (id === 0) return null
  const spec = ctx.registry.spec(id)
  return {
    tradeId: t.id,
    venueOrderId: t.orderId,
    instrumentId: id,
    side: t.isBuyer ? OrderSide.Buy : OrderSide.Sell,
    pxM: parseDecimal(t.price, spec.priceScale),
    qtyM: parseDecimal(t.qty, spec.qtyScale),
    commission: t.commission,
    commissionAsset: t.commissionAsset,
    isMaker: t.isMaker,
    tsEventUs: t.time * 1000,
  }
}
