/**
 * BinanceOrderGateway: the `VenueGateway` for Binance Spot (and the embedded
 * simulator, which speaks the same protocol).
 *
 *   submit/cancel ─▶ WS-API order.place / order.cancel   (when configured and connected)
 *                 └▶ REST POST / DELETE /api/v3/order    (otherwise)
 *   replies, executionReports ─▶ Job ─▶ ExecReport (sink's pool) ─▶ sink.onExecReport
 *   outboundAccountPosition / balanceUpdate ─▶ sink.onBalance
 *
 * Rules (protocol §9):
 * - 5xx, -1007, 409, a timeout or a network error: ExecType.Unknown, never a
 *   rejection; the router resolves it with `queryOrder`.
 * - 429/418: the request is refused; the gateway backs off until Retry-After
 *   (shared `WeightBudgetHook`) and refuses orders locally meanwhile
 *   (VENUE_RATE_LIMITED / VENUE_BANNED) instead of sending them.
 * - -1021: the server-time offset is resampled at once.
 * - Reports are never dropped: when the ExecReport pool is empty, jobs wait
 *   in arrival order (`backlog`) for `sink.acquireReport()`.
 */
import { epochMs, epochUs } from '../../../core/clock.js'
import { ErrorCode, TickflowError, describeError } from '../../../core/errors.js'
import { Decimal, formatDecimal } from '../../../core/fixed-point.js'
import { silentLogger, type Logger } from '../../../core/logger.js'
import type { InstrumentRegistry } from '../../../model/instrument.js'
import { ExecType, OrderStatus, OrderType, type ExecReport, type OrderRequest } from '../../../model/orders.js'
import {
  GatewayEvent,
  type ExecReportSink,
  type VenueGateway,
  type VenueOrderQuery,
  type VenueOrderState,
  type VenueTrade,
} from '../../../model/ports.js'
import type { OpenReason } from '../../../transport/managed-ws.js'
import {
  SIDE_WIRE,
  TIF_WIRE,
  TYPE_WIRE,
  decodeExecutionReport,
  decodeFill,
  decodeOrderObject,
  toVenueOrderState,
  toVenueTrade,
  type BinanceExecutionReport,
  type BinanceMyTrade,
  type BinanceOrderObject,
  type DecodeContext,
} from './decode.js'
import { ListenKeyStream } from './listen-key-stream.js'
import { WeightBudget } from '../rest.js'
import { BinanceRestClient, Outcome, classify, type OutcomeValue, type RestResult } from './rest-client.js'
import { Signer, type Param } from './signing.js'
import { ServerTime } from './time-sync.js'
import { PendingRequest, RequestKind, WsApiSession, type WsApiResponse } from './ws-api-session.js'

export interface BinanceOrderGatewayOptions {
  /** venue name in the registry (e.g. "binance-spot", "sim") */
  venue: string
  registry: InstrumentRegistry
  /** REST base URL, e.g. https://api.binance.com or the simulator's urls.rest */
  restUrl: string
  /** WebSocket API URL (wss://ws-api.binance.com:443/ws-api/v3); enables WS-API order entry and user data */
  wsApiUrl?: string
  /** stream base URL for the listenKey fallback (wss://stream.binance.com:9443) */
  streamUrl?: string
  apiKey: string
  /** exactly one of hmacSecret / ed25519PrivateKeyPem */
  hmacSecret?: string
  ed25519PrivateKeyPem?: string
  /** 'ws-api' (default when wsApiUrl is set) or 'rest' */
  orderTransport?: 'ws-api' | 'rest'
  /** 'ws-api' (default when wsApiUrl is set), 'listen-key', or 'none' */
  userData?: 'ws-api' | 'listen-key' | 'none'
  /** recvWindow in ms (default 5000, max 60000) */
  recvWindowMs?: number
  /** a request without an answer after this is an unknown outcome (default 10000: Binance's own backend timeout) */
  requestTimeoutMs?: number
  /** newOrderRespType (default RESULT; FULL adds the taker fills to the reply) */
  newOrderRespType?: 'ACK' | 'RESULT' | 'FULL'
  /** server-time resample period (default 10 min) */
  timeResyncMs?: number
  /** listenKey keep-alive period (default 30 min) */
  listenKeyKeepAliveMs?: number
  /** the per-IP request-weight budget shared with market data (rest.ts; default: a private one) */
  budget?: WeightBudget
  logger?: Logger
}

const JobKind = { Exec: 1, OrderObject: 2, Fill: 3, Rejected: 4, Unknown: 5, CancelRejected: 6 } as const

/** One report to produce (kept in arrival order while the ExecReport pool is empty). */
class Job {
  kind = 0
  obj: unknown = null
  index = 0
  clientOrderId = ''
  instrumentId = 0
  reasonCode = ''
  reasonText = ''
  recvUs = 0
}

export class BinanceOrderGateway implements VenueGateway {
  readonly venueId: number
  private readonly o: BinanceOrderGatewayOptions
  private readonly ctx: DecodeContext
  private readonly log: Logger
  private readonly signer: Signer
  readonly time: ServerTime
  readonly rest: BinanceRestClient
  readonly budget: WeightBudget
  private ws: WsApiSession | null = null
  private listenKey: ListenKeyStream | null = null
  private sink: ExecReportSink | null = null
  private readonly backlog: Job[] = []
  private draining = false
  private connectedOnce = false
  private resyncTimer: NodeJS.Timeout | null = null
  private readonly balances: Map<string, { free: Decimal; locked: Decimal }> = new Map()
  private readonly recvWindowMs: number
  private readonly respType: string
  private readonly useWsOrders: boolean
  private closed = false
  readonly stats = {
    placedWs: 0,
    placedRest: 0,
    cancelsWs: 0,
    cancelsRest: 0,
    rejected: 0,
    unknown: 0,
    refusedBackoff: 0,
    userEvents: 0,
    decodeErrors: 0,
    unknownSymbols: 0,
    backlogWaits: 0,
    timeResyncs: 0,
  }

  constructor(o: BinanceOrderGatewayOptions) {
    if ((o.hmacSecret === undefined) === (o.ed25519PrivateKeyPem === undefined)) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, 'binance gateway: exactly one of hmacSecret or ed25519PrivateKeyPem is required')
    }
    this.recvWindowMs = o.recvWindowMs ?? 5000
    if (!(this.recvWindowMs > 0 && this.recvWindowMs <= 60000)) throw new TickflowError(ErrorCode.CONFIG_INVALID, 'binance gateway: recvWindowMs must be in (0, 60000]')
    this.o = o
    this.log = o.logger ?? silentLogger
    this.venueId = o.registry.venueId(o.venue)
    this.ctx = { registry: o.registry, venue: o.venue, venueId: this.venueId }
    this.signer = o.hmacSecret !== undefined ? Signer.hmac(o.hmacSecret) : Signer.ed25519(o.ed25519PrivateKeyPem!)
    this.time = new ServerTime()
    this.budget = o.budget ?? new WeightBudget()
    this.respType = o.newOrderRespType ?? 'RESULT'
    this.rest = new BinanceRestClient({
      baseUrl: o.restUrl,
      apiKey: o.apiKey,
      signer: this.signer,
      time: this.time,
      recvWindowMs: this.recvWindowMs,
      timeoutMs: o.requestTimeoutMs ?? 10_000,
      budget: this.budget,
    })
    this.useWsOrders = o.wsApiUrl !== undefined && (o.orderTransport ?? 'ws-api') === 'ws-api'
  }

  attach(sink: ExecReportSink): void {
    this.sink = sink
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.sink === null) throw new TickflowError(ErrorCode.ENGINE_STATE, 'binance gateway: attach() a sink before start()')
    await this.rest.syncTime()
    this.resyncTimer = setInterval(() => void this.resync(), this.o.timeResyncMs ?? 600_000)
    this.resyncTimer.unref()
    const userData = this.o.userData ?? (this.o.wsApiUrl !== undefined ? 'ws-api' : 'none')
    if (this.o.wsApiUrl !== undefined && (this.useWsOrders || userData === 'ws-api')) {
      this.ws = new WsApiSession({
        url: this.o.wsApiUrl,
        apiKey: this.o.apiKey,
        signer: this.signer,
        time: this.time,
        recvWindowMs: this.recvWindowMs,
        timeoutMs: this.o.requestTimeoutMs ?? 10_000,
        userData: userData === 'ws-api',
        logger: this.log,
        handlers: {
          onOrderResponse: (req, res, recvUs) => this.onWsOrderResponse(req, res, recvUs),
          onOrderTimeout: (req) => this.onWsOrderTimeout(req),
          onUserEvent: (ev, recvUs) => this.onUserEvent(ev, recvUs),
          onReady: (reason) => this.onReady(reason),
          onLost: (reason) => this.sink!.onGatewayEvent(this.venueId, GatewayEvent.Disconnected, reason),
        },
      })
      await this.ws.start()
    }
    if (userData === 'listen-key') {
      if (this.o.streamUrl === undefined) throw new TickflowError(ErrorCode.CONFIG_INVALID, 'binance gateway: userData listen-key needs streamUrl')
      this.listenKey = new ListenKeyStream({
        rest: this.rest,
        streamUrl: this.o.streamUrl,
        keepAliveMs: this.o.listenKeyKeepAliveMs ?? 30 * 60_000,
        onEvent: (ev, recvUs) => this.onUserEvent(ev, recvUs),
        onReady: (reason) => this.onReady(reason),
        onLost: (reason) => this.sink!.onGatewayEvent(this.venueId, GatewayEvent.Disconnected, reason),
        logger: this.log,
      })
      await this.listenKey.start()
    }
    if (userData === 'none' && this.ws === null) this.onReady('initial')
  }

  private onReady(reason: OpenReason): void {
    if (reason === 'rotation') return // make-before-break: nothing was missed
    const first = !this.connectedOnce
    this.connectedOnce = true
    this.sink!.onGatewayEvent(this.venueId, first ? GatewayEvent.Connected : GatewayEvent.Reconnected, reason)
  }

  private async resubscribe(): Promise<void> {
    for (let attempt = 0; attempt < 5 && !this.closed; attempt++) {
      try {
        await this.ws!.resubscribe()
        this.sink!.onGatewayEvent(this.venueId, GatewayEvent.Reconnected, 'resubscribed')
        return
      } catch (err) {
        this.log.warn({ err: describeError(err), attempt }, 'user data resubscribe failed')
      }
    }
    this.ws?.requestReconnect('user data resubscribe failed')
  }

  private async resync(): Promise<void> {
    try {
      this.stats.timeResyncs++
      await this.rest.syncTime()
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'server time resync failed')
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer)
    this.resyncTimer = null
    if (this.ws !== null) await this.ws.close()
    if (this.listenKey !== null) await this.listenKey.close()
    await this.rest.close()
    if (this.o.budget === undefined) this.budget.close()
  }

  /** Whether order entry currently goes over the WS-API. */
  get ordersOverWsApi(): boolean {
    return this.useWsOrders && this.ws !== null && this.ws.isReady
  }

  // ---------------------------------------------------------------- order entry

  submit(req: OrderRequest): void {
    const spec = this.o.registry.spec(req.instrumentId)
    if (this.refuseWhileBackingOff(req.clientOrderId, req.instrumentId, JobKind.Rejected)) return
    const qty = req.qtyM > 0 ? formatDecimal(req.qtyM, spec.qtyScale, true) : ''
    const price = req.type !== OrderType.Market ? formatDecimal(req.priceM, spec.priceScale, true) : ''
    if (this.useWsOrders && this.ws !== null && this.ws.isReady) {
      const p: Record<string, string | number | boolean> = {
        symbol: spec.symbol,
        side: SIDE_WIRE[req.side]!,
        type: TYPE_WIRE[req.type]!,
        newClientOrderId: req.clientOrderId,
        newOrderRespType: this.respType,
      }
      if (req.type === OrderType.Limit) p.timeInForce = TIF_WIRE[req.timeInForce]!
      if (qty !== '') p.quantity = qty
      else p.quoteOrderQty = formatDecimal(req.quoteQtyM, req.quoteScale, true)
      if (price !== '') p.price = price
      if (this.ws.sendOrder(RequestKind.Place, 'order.place', this.ws.signed(p), req.clientOrderId, req.instrumentId)) {
        this.stats.placedWs++
        return
      }
    }
    const params: Param[] = [
      ['symbol', spec.symbol],
      ['side', SIDE_WIRE[req.side]!],
      ['type', TYPE_WIRE[req.type]!],
    ]
    if (req.type === OrderType.Limit) params.push(['timeInForce', TIF_WIRE[req.timeInForce]!])
    if (qty !== '') params.push(['quantity', qty])
    else params.push(['quoteOrderQty', formatDecimal(req.quoteQtyM, req.quoteScale, true)])
    if (price !== '') params.push(['price', price])
    params.push(['newClientOrderId', req.clientOrderId], ['newOrderRespType', this.respType])
    this.stats.placedRest++
    void this.restPlace(params, req.clientOrderId, req.instrumentId)
  }

  private async restPlace(params: Param[], clientOrderId: string, instrumentId: number): Promise<void> {
    const r = await this.rest.signed('POST', '/api/v3/order', params)
    this.onPlaceResult(r.outcome, r.body, r.code, r.msg, clientOrderId, instrumentId, epochUs())
  }

  cancel(req: OrderRequest): void {
    const spec = this.o.registry.spec(req.instrumentId)
    if (this.refuseWhileBackingOff(req.origClientOrderId, req.instrumentId, JobKind.CancelRejected)) return
    if (this.useWsOrders && this.ws !== null && this.ws.isReady) {
      const p = this.ws.signed({ symbol: spec.symbol, origClientOrderId: req.origClientOrderId, newClientOrderId: req.clientOrderId })
      if (this.ws.sendOrder(RequestKind.Cancel, 'order.cancel', p, req.origClientOrderId, req.instrumentId)) {
        this.stats.cancelsWs++
        return
      }
    }
    this.stats.cancelsRest++
    void this.restCancel(
      [
        ['symbol', spec.symbol],
        ['origClientOrderId', req.origClientOrderId],
        ['newClientOrderId', req.clientOrderId],
      ],
      req.origClientOrderId,
      req.instrumentId,
    )
  }

  private async restCancel(params: Param[], clientOrderId: string, instrumentId: number): Promise<void> {
    const r = await this.rest.signed('DELETE', '/api/v3/order', params)
    this.onCancelResult(r.outcome, r.body, r.code, r.msg, clientOrderId, instrumentId, epochUs())
  }

  private refuseWhileBackingOff(clientOrderId: string, instrumentId: number, kind: number): boolean {
    const until = this.rest.blockedUntilMs()
    if (until === 0 || epochMs() >= until) return false
    this.stats.refusedBackoff++
    this.enqueue(this.job(kind, null, clientOrderId, instrumentId, 'VENUE_RATE_LIMITED', `backing off until ${new Date(until).toISOString()}`))
    return true
  }

  private onWsOrderResponse(req: PendingRequest, res: WsApiResponse, recvUs: number): void {
    const code = res.error?.code ?? 0
    const outcome = classify(res.status, code)
    if ((outcome === Outcome.RateLimited || outcome === Outcome.Banned) && res.error?.data?.retryAfter !== undefined) {
      this.budget.block(Math.max(0, res.error.data.retryAfter - epochMs()), outcome === Outcome.Banned)
    }
    const msg = res.error?.msg ?? ''
    if (req.kind === RequestKind.Place) this.onPlaceResult(outcome, res.result, code, msg, req.clientOrderId, req.instrumentId, recvUs)
    else this.onCancelResult(outcome, res.result, code, msg, req.clientOrderId, req.instrumentId, recvUs)
  }

  private onWsOrderTimeout(req: PendingRequest): void {
    this.stats.unknown++
    this.enqueue(this.job(JobKind.Unknown, null, req.clientOrderId, req.instrumentId, 'VENUE_TIMEOUT', 'no answer from the venue in time'))
  }

  private onPlaceResult(outcome: OutcomeValue, body: unknown, code: number, msg: string, clientOrderId: string, instrumentId: number, recvUs: number): void {
    if (outcome === Outcome.Ok && body !== null && typeof body === 'object') {
      const obj = body as BinanceOrderObject
      if (obj.status !== undefined) this.enqueue(this.job(JobKind.OrderObject, obj, clientOrderId, instrumentId, '', '', recvUs))
      else {
        // ACK: accepted; the status comes from the user data stream
        this.enqueue(this.job(JobKind.OrderObject, { ...obj, status: 'NEW', executedQty: '0' }, clientOrderId, instrumentId, '', '', recvUs))
      }
      const fills = obj.fills
      if (fills !== undefined) for (let i = 0; i < fills.length; i++) this.enqueue(this.job(JobKind.Fill, obj, clientOrderId, instrumentId, '', '', recvUs, i))
      return
    }
    this.onFailure(outcome, code, msg, clientOrderId, instrumentId, JobKind.Rejected)
  }

  private onCancelResult(outcome: OutcomeValue, body: unknown, code: number, msg: string, clientOrderId: string, instrumentId: number, recvUs: number): void {
    if (outcome === Outcome.Ok && body !== null && typeof body === 'object') {
      this.enqueue(this.job(JobKind.OrderObject, body, clientOrderId, instrumentId, '', '', recvUs))
      return
    }
    this.onFailure(outcome, code, msg, clientOrderId, instrumentId, JobKind.CancelRejected)
  }

  private onFailure(outcome: OutcomeValue, code: number, msg: string, clientOrderId: string, instrumentId: number, refusedKind: number): void {
    if (outcome === Outcome.Unknown) {
      this.stats.unknown++
      this.enqueue(this.job(JobKind.Unknown, null, clientOrderId, instrumentId, code !== 0 ? `VENUE_${code}` : 'VENUE_UNKNOWN', msg))
      return
    }
    this.stats.rejected++
    if (code === -1021) void this.resync()
    const reason = outcome === Outcome.RateLimited ? 'VENUE_RATE_LIMITED' : outcome === Outcome.Banned ? 'VENUE_BANNED' : `VENUE_${code}`
    this.enqueue(this.job(refusedKind, null, clientOrderId, instrumentId, reason, msg))
  }

  // ---------------------------------------------------------------- user data

  private onUserEvent(ev: Record<string, unknown>, recvUs: number): void {
    this.stats.userEvents++
    switch (ev.e) {
      case 'executionReport':
        this.enqueue(this.job(JobKind.Exec, ev, '', 0, '', '', recvUs))
        return
      case 'outboundAccountPosition': {
        const list = ev.B as Array<{ a: string; f: string; l: string }> | undefined
        if (!Array.isArray(list)) return
        for (const b of list) {
          try {
            this.balances.set(b.a, { free: Decimal.parse(b.f), locked: Decimal.parse(b.l) })
          } catch {
            this.stats.decodeErrors++
            continue
          }
          this.sink!.onBalance(this.venueId, b.a, b.f, b.l, ((ev.E as number) ?? 0) * 1000)
        }
        return
      }
      case 'balanceUpdate': {
        const cur = this.balances.get(ev.a as string)
        if (cur === undefined) return // the outboundAccountPosition that follows carries the snapshot
        try {
          const free = cur.free.add(Decimal.parse(ev.d as string))
          this.balances.set(ev.a as string, { free, locked: cur.locked })
          this.sink!.onBalance(this.venueId, ev.a as string, free.toString(), cur.locked.toString(), ((ev.E as number) ?? 0) * 1000)
        } catch {
          this.stats.decodeErrors++
        }
        return
      }
      case 'eventStreamTerminated':
        // the venue ended our subscription: events may be missed until we subscribe again
        this.log.warn({}, 'user data stream terminated by the venue; resubscribing')
        this.sink!.onGatewayEvent(this.venueId, GatewayEvent.Disconnected, 'eventStreamTerminated')
        if (this.ws !== null) void this.resubscribe()
        return
      default:
        return // other events (listStatus, externalLockUpdate …) are not order reports
    }
  }

  // ---------------------------------------------------------------- report production

  private job(kind: number, obj: unknown, clientOrderId: string, instrumentId: number, reasonCode: string, reasonText: string, recvUs = 0, index = 0): Job {
    const j = new Job()
    j.kind = kind
    j.obj = obj
    j.clientOrderId = clientOrderId
    j.instrumentId = instrumentId
    j.reasonCode = reasonCode
    j.reasonText = reasonText
    j.recvUs = recvUs === 0 ? epochUs() : recvUs
    j.index = index
    return j
  }

  /** Produces the job's report now, or queues it (in order) until the pool has one. */
  private enqueue(j: Job): void {
    if (this.sink === null || this.closed) return
    if (this.backlog.length === 0) {
      const r = this.sink.tryAcquireReport()
      if (r !== null) {
        this.produce(j, r)
        return
      }
    }
    this.backlog.push(j)
    if (!this.draining) void this.drain()
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (this.backlog.length > 0) {
        this.stats.backlogWaits++
        const r = await this.sink!.acquireReport()
        this.produce(this.backlog.shift()!, r)
      }
    } finally {
      this.draining = false
    }
  }

  private produce(j: Job, r: ExecReport): void {
    let ok = true
    try {
      switch (j.kind) {
        case JobKind.Exec:
          ok = decodeExecutionReport(j.obj as BinanceExecutionReport, r, this.ctx, j.recvUs)
          break
        case JobKind.OrderObject:
          ok = decodeOrderObject(j.obj as BinanceOrderObject, r, this.ctx, j.recvUs)
          break
        case JobKind.Fill:
          ok = decodeFill(j.obj as BinanceOrderObject, j.index, r, this.ctx, j.recvUs)
          break
        default:
          r.execType = j.kind === JobKind.Rejected ? ExecType.Rejected : j.kind === JobKind.Unknown ? ExecType.Unknown : ExecType.CancelRejected
          r.status = j.kind === JobKind.Rejected ? OrderStatus.Rejected : j.kind === JobKind.Unknown ? OrderStatus.Unknown : OrderStatus.None
          r.clientOrderId = j.clientOrderId
          r.instrumentId = j.instrumentId
          r.venueId = this.venueId
          r.reasonCode = j.reasonCode
          r.reasonText = j.reasonText
          r.tsRecvUs = j.recvUs
      }
      if (!ok) this.stats.unknownSymbols++
    } catch (err) {
      ok = false
      this.stats.decodeErrors++
      this.log.error({ err: describeError(err) }, 'binance order payload could not be decoded (DECODE_MALFORMED)')
    }
    if (ok) this.sink!.onExecReport(r)
    else this.sink!.releaseReport(r)
  }

  // ---------------------------------------------------------------- reconciliation queries (REST)

  async queryOrder(instrumentId: number, clientOrderId: string): Promise<VenueOrderQuery> {
    const spec = this.o.registry.spec(instrumentId)
    const r = await this.rest.signed(
      'GET',
      '/api/v3/order',
      [
        ['symbol', spec.symbol],
        ['origClientOrderId', clientOrderId],
      ],
      4,
    )
    if (r.outcome === Outcome.Ok) return toVenueOrderState(r.body as BinanceOrderObject, this.ctx)
    if (r.code === -2013) return null
    throw restError('GET /api/v3/order', r)
  }

  async openOrders(instrumentId: number): Promise<VenueOrderState[]> {
    const params: Param[] = instrumentId > 0 ? [['symbol', this.o.registry.spec(instrumentId).symbol]] : []
    const r = await this.rest.signed('GET', '/api/v3/openOrders', params, instrumentId > 0 ? 6 : 80)
    if (r.outcome !== Outcome.Ok) throw restError('GET /api/v3/openOrders', r)
    const out: VenueOrderState[] = []
    for (const o of r.body as BinanceOrderObject[]) {
      const s = toVenueOrderState(o, this.ctx)
      if (s !== null) out.push(s)
    }
    return out
  }

  async myTrades(instrumentId: number, fromTradeId: number, sinceUs: number): Promise<VenueTrade[]> {
    const spec = this.o.registry.spec(instrumentId)
    const out: VenueTrade[] = []
    let from = fromTradeId
    for (let page = 0; page < 100; page++) {
      const params: Param[] = [['symbol', spec.symbol]]
      if (from >= 0) params.push(['fromId', String(from)])
      else if (sinceUs > 0) params.push(['startTime', String(Math.floor(sinceUs / 1000))])
      params.push(['limit', '1000'])
      const r = await this.rest.signed('GET', '/api/v3/myTrades', params, 20)
      if (r.outcome !== Outcome.Ok) throw restError('GET /api/v3/myTrades', r)
      const list = r.body as BinanceMyTrade[]
      for (const t of list) {
        const v = toVenueTrade(t, this.ctx)
        if (v !== null) out.push(v)
      }
      if (list.length < 1000) break
      from = list[list.length - 1]!.id + 1
    }
    return out
  }
}

function restError(what: string, r: RestResult): TickflowError {
  const code = r.outcome === Outcome.RateLimited ? ErrorCode.VENUE_RATE_LIMITED : r.outcome === Outcome.Banned ? ErrorCode.VENUE_BANNED : ErrorCode.VENUE_HTTP
  return new TickflowError(code, `${what}: HTTP ${r.status} ${r.code} ${r.msg}`, { details: { status: r.status, code: r.code } })
}
