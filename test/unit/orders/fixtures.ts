/** Shared test fixtures for the order path: a registry, pools, a fake gateway, a temp journal. */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BoundedPool } from '../../../src/core/pool.js'
import { InstrumentRegistry, InstrumentStatus } from '../../../src/model/instrument.js'
import { ExecReport, ExecType, OrderRequest, OrderStatus } from '../../../src/model/orders.js'
import type { ExecReportSink, VenueGateway, VenueOrderQuery, VenueOrderState, VenueTrade } from '../../../src/model/ports.js'

export function btcRegistry(): { registry: InstrumentRegistry; btc: number; eth: number } {
  const registry = new InstrumentRegistry()
  const btc = registry.define({
    venue: 'sim',
    symbol: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    priceScale: 2,
    qtyScale: 5,
    tickSize: 1, // 0.01
    stepSize: 1, // 0.00001
    minQty: 10, // 0.0001
    maxQty: 900_000_000, // 9000
    minNotional: 500_000_000, // 5 USDT at scale 8
    maxNotional: 0,
    notionalScale: 8,
    status: InstrumentStatus.Trading,
  })
  const eth = registry.define({
    venue: 'sim',
    symbol: 'ETHUSDT',
    base: 'ETH',
    quote: 'USDT',
    priceScale: 2,
    qtyScale: 4,
    tickSize: 5, // 0.05
    stepSize: 10, // 0.001
    minQty: 10,
    maxQty: 0,
    minNotional: 0,
    maxNotional: 1_000_000_000_000, // 10,000 USDT at scale 8
    notionalScale: 8,
    status: InstrumentStatus.Halt,
  })
  return { registry, btc, eth }
}

export function pools(reqCap = 64, repCap = 64): { requestPool: BoundedPool<OrderRequest>; reportPool: BoundedPool<ExecReport> } {
  return {
    requestPool: new BoundedPool({ name: 'OrderRequest', capacity: reqCap, create: () => new OrderRequest() }),
    reportPool: new BoundedPool({ name: 'ExecReport', capacity: repCap, create: () => new ExecReport() }),
  }
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tickflow-orders-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A scriptable venue: records sends, lets the test push reports and answer queries. */
export class FakeGateway implements VenueGateway {
  sink: ExecReportSink | null = null
  readonly submits: OrderRequest[] = []
  readonly cancels: OrderRequest[] = []
  /** the venue's orders by client id (what queryOrder/openOrders answer) */
  readonly venueOrders = new Map<string, VenueOrderState>()
  readonly trades: VenueTrade[] = []
  queries = 0
  failQueries = false
  throwOnSubmit = false
  constructor(readonly venueId: number) {}
  attach(sink: ExecReportSink): void {
    this.sink = sink
  }
  start(): Promise<void> {
    return Promise.resolve()
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
  submit(req: OrderRequest): void {
    if (this.throwOnSubmit) throw new Error('socket gone')
    this.submits.push(req.clone())
  }
  cancel(req: OrderRequest): void {
    this.cancels.push(req.clone())
  }
  queryOrder(_instrumentId: number, clientOrderId: string): Promise<VenueOrderQuery> {
    this.queries++
    if (this.failQueries) return Promise.reject(new Error('venue down'))
    return Promise.resolve(this.venueOrders.get(clientOrderId) ?? null)
  }
  openOrders(): Promise<VenueOrderState[]> {
    return Promise.resolve([...this.venueOrders.values()].filter((s) => s.status === OrderStatus.New || s.status === OrderStatus.PartiallyFilled))
  }
  myTrades(instrumentId: number, fromTradeId: number): Promise<VenueTrade[]> {
    return Promise.resolve(this.trades.filter((t) => t.instrumentId === instrumentId && t.tradeId >= fromTradeId))
  }
  /** Pushes a report built by `fill` through the sink. */
  push(fill: (r: ExecReport) => void): void {
    const r = this.sink!.tryAcquireReport()!
    fill(r)
    this.sink!.onExecReport(r)
  }
  ack(clientOrderId: string, venueOrderId: number): void {
    this.push((r) => {
      r.execType = ExecType.New
      r.status = OrderStatus.New
      r.clientOrderId = clientOrderId
      r.venueOrderId = venueOrderId
    })
  }
  fill(clientOrderId: string, tradeId: number, qtyM: number, pxM: number, cumQtyM: number, status: number): void {
    this.push((r) => {
      r.execType = ExecType.Trade
      r.status = status
      r.clientOrderId = clientOrderId
      r.tradeId = tradeId
      r.lastQtyM = qtyM
      r.lastPxM = pxM
      r.cumQtyM = cumQtyM
      r.commissionM = 1
      r.commissionScale = 8
      r.commissionAsset = 'BNB'
    })
  }
}
