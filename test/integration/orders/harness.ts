/** Engine-side order stack against the embedded simulator: registry, journal, router, Binance gateway. */
import { generateKeyPairSync } from 'node:crypto'
import path from 'node:path'
import { InstrumentRegistry, InstrumentStatus } from '../../../src/model/instrument.js'
import type { ExecReport } from '../../../src/model/orders.js'
import { SqliteJournal } from '../../../src/journal/journal.js'
import { OrderRouter, type OrderListener } from '../../../src/orders/order-router.js'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { BinanceOrderGateway, type BinanceOrderGatewayOptions } from '../../../src/venues/binance/orders/gateway.js'
import { pools, tempDir } from '../../unit/orders/fixtures.js'

export const HMAC_KEY = 'hmacKey1'
export const HMAC_SECRET = 'hmacSecret1hmacSecret1hmacSecret1'
export const ED_KEY = 'edKey1'

export class Recorder implements OrderListener {
  readonly reports: Array<{ execType: number; status: number; clientOrderId: string; reasonCode: string; lastQtyM: number; tradeId: number }> = []
  onExecReport(r: Readonly<ExecReport>): void {
    this.reports.push({ execType: r.execType, status: r.status, clientOrderId: r.clientOrderId, reasonCode: r.reasonCode, lastQtyM: r.lastQtyM, tradeId: r.tradeId })
  }
  of(id: string): Recorder['reports'] {
    return this.reports.filter((r) => r.clientOrderId === id)
  }
}

export interface Variant {
  name: string
  key: 'hmac' | 'ed25519'
  orderTransport: 'ws-api' | 'rest'
  userData: 'ws-api' | 'listen-key'
}

export const VARIANTS: Variant[] = [
  { name: 'WS-API orders, Ed25519 session.logon, WS-API user data', key: 'ed25519', orderTransport: 'ws-api', userData: 'ws-api' },
  { name: 'WS-API orders, HMAC per request, subscribe.signature', key: 'hmac', orderTransport: 'ws-api', userData: 'ws-api' },
  { name: 'REST orders, HMAC, listenKey user data', key: 'hmac', orderTransport: 'rest', userData: 'listen-key' },
]

export function btcRegistry(): { registry: InstrumentRegistry; btc: number } {
  const registry = new InstrumentRegistry()
  const btc = registry.define({
    venue: 'sim',
    symbol: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    priceScale: 2,
    qtyScale: 5,
    tickSize: 1,
    stepSize: 1,
    minQty: 1,
    maxQty: 900_000_000,
    minNotional: 500_000_000,
    maxNotional: 0,
    notionalScale: 8,
    status: InstrumentStatus.Trading,
  })
  return { registry, btc }
}

export interface Stack {
  sim: Simulator
  registry: InstrumentRegistry
  btc: number
  journal: SqliteJournal
  file: string
  router: OrderRouter
  gw: BinanceOrderGateway
  strat: Recorder
  apiKey: string
  close(): Promise<void>
}

export interface SimWithKeys {
  sim: Simulator
  edPrivatePem: string
}

/** A simulator with a still market and two funded accounts (HMAC and Ed25519). */
export async function startSim(): Promise<SimWithKeys> {
  const ed = generateKeyPairSync('ed25519')
  const balances = { USDT: '1000000', BTC: '10' }
  const sim = await startSimulator({
    port: 0,
    seed: 7,
    timing: { stepMs: 3_600_000 }, // a still market: the book is the same all test long
    limits: { ordersPer10s: 1_000_000, ordersPerDay: 100_000_000, requestWeightPerMinute: 1_000_000 },
    accounts: [
      { apiKey: HMAC_KEY, secret: HMAC_SECRET, balances },
      { apiKey: ED_KEY, ed25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), balances },
    ],
  })
  return { sim, edPrivatePem: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

export interface StackOptions {
  gateway?: Partial<BinanceOrderGatewayOptions>
  notFoundAfterUs?: number
  /** journal file (default: a new temp file) */
  file?: string
  /** close the simulator with the stack (default true) */
  ownsSim?: boolean
}

export async function startStack(v: Variant, extra: Partial<BinanceOrderGatewayOptions> = {}, routerExtra: { notFoundAfterUs?: number } = {}): Promise<Stack> {
  const sk = await startSim()
  return connectStack(sk, v, { gateway: extra, ...(routerExtra.notFoundAfterUs !== undefined ? { notFoundAfterUs: routerExtra.notFoundAfterUs } : {}) })
}

/** Journal + router + gateway against a running simulator. */
export async function connectStack(sk: SimWithKeys, v: Variant, opts: StackOptions = {}): Promise<Stack> {
  const sim = sk.sim
  const tmp = opts.file === undefined ? tempDir() : { dir: '', cleanup: () => {} }
  const file = opts.file ?? path.join(tmp.dir, 'journal.sqlite')
  const { registry, btc } = btcRegistry()
  const journal = new SqliteJournal(file, { registry })
  const { requestPool, reportPool } = pools(256, 256)
  const router = new OrderRouter({
    registry,
    journal,
    requestPool,
    reportPool,
    risk: { maxOrdersPerSecond: 100_000, maxOpenOrders: 1000, staleAfterUs: 0 },
    resolveEveryMs: 100,
    notFoundAfterUs: opts.notFoundAfterUs ?? 1_000_000,
  })
  const apiKey = v.key === 'hmac' ? HMAC_KEY : ED_KEY
  const gw = new BinanceOrderGateway({
    venue: 'sim',
    registry,
    restUrl: sim.urls.rest,
    wsApiUrl: sim.urls.wsApi,
    streamUrl: sim.urls.ws,
    apiKey,
    ...(v.key === 'hmac' ? { hmacSecret: HMAC_SECRET } : { ed25519PrivateKeyPem: sk.edPrivatePem }),
    orderTransport: v.orderTransport,
    userData: v.userData,
    requestTimeoutMs: 2000,
    ...(opts.gateway ?? {}),
  })
  router.addGateway(gw)
  const strat = new Recorder()
  router.registerStrategy(1, 'itest', strat)
  router.start()
  await gw.start()
  const ownsSim = opts.ownsSim !== false
  return {
    sim,
    registry,
    btc,
    journal,
    file,
    router,
    gw,
    strat,
    apiKey,
    async close() {
      router.close()
      await gw.close()
      journal.close()
      if (ownsSim) await sim.close()
      tmp.cleanup()
    },
  }
}
