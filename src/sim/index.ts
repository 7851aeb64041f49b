/**
 * The embedded Binance-compatible venue (issue 5): `startSimulator()` serves
 * Binance Spot's REST API, market-data streams, WebSocket API and user data
 * streams on one port, from a synthetic market or a recorded capture, with
 * fault injection for reliability tests. See docs/simulator.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WsServer, type WsHandler } from '../transport/ws-server.js'
import { epochUs } from '../core/clock.js'
import { parseDecimal } from '../core/fixed-point.js'
import { buildAccounts, type Account } from './accounts.js'
import { ReplayGuard } from './auth.js'
import { Exchange } from './exchange.js'
import { Faults } from './faults.js'
import { FirehosePump, type FirehoseRequest, type FirehoseResult } from './firehose.js'
import { Hub, type StreamSession } from './hub.js'
import { Market, type SymbolMarket } from './market.js'
import { resolveOptions, type ResolvedOptions, type SimulatorOptions } from './options.js'
import { captureSymbols, ReplaySource } from './replay.js'
import type { CaptureSession } from '../capture/reader.js'
import { MAX_BODY_BYTES, RestRouter } from './rest.js'
import { defaultExchangeInfoSymbols, registerMarketRoutes } from './rest-market.js'
import { registerTradeRoutes } from './rest-trade.js'
import { StreamEndpoint } from './streams.js'
import { DEFAULT_SYMBOLS, resolveSymbol, type SymbolSpec } from './symbols.js'
import { SyntheticSource } from './synthetic.js'
import { ListenKeys } from './user-data.js'
import { WsApiEndpoint } from './ws-api.js'

export type { SimulatorOptions, AccountConfig, TimingOptions, LimitOptions, ReplayOptions } from './options.js'
export { loadConfigFile, resolveOptions } from './options.js'
export type { FirehoseRequest, FirehoseResult } from './firehose.js'
export type { ConnSelector } from './faults.js'
export { Faults } from './faults.js'

export interface SimulatorUrls {
  /** REST base, e.g. http://127.0.0.1:9443 (endpoints under /api/v3) */
  rest: string
  /** market-data base: /ws/<stream> and /stream?streams=… */
  ws: string
  /** WebSocket API endpoint */
  wsApi: string
}

export interface SimulatorAccountInfo {
  apiKey: string
  keyType: 'HMAC' | 'Ed25519'
  /** where the secret came from (never the secret itself) */
  secretSource: string
}

export interface Simulator {
  readonly port: number
  readonly urls: SimulatorUrls
  readonly accounts: SimulatorAccountInfo[]
  /** the demo account's credentials (only when no accounts were configured) */
  readonly demo: { apiKey: string; secret: string; source: string } | null
  readonly symbols: string[]
  readonly faults: Faults
  /** true when serving a recorded capture */
  readonly replaying: boolean
  /** Sends `count` trade frames on `stream` to its subscribers (see firehose.ts). */
  firehose(req: FirehoseRequest): Promise<FirehoseResult[]>
  /** Counters of every component. */
  stats(): Record<string, unknown>
  /** Closes every socket (1001) and the server. Idempotent. */
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

class SimulatorImpl implements Simulator {
  port = 0
  urls: SimulatorUrls = { rest: '', ws: '', wsApi: '' }
  accounts: SimulatorAccountInfo[] = []
  demo: { apiKey: string; secret: string; source: string } | null = null
  symbols: string[] = []
  faults!: Faults
  replaying = false
  private readonly o: ResolvedOptions
  private readonly http: Server
  private ws!: WsServer
  private hub = new Hub()
  private market!: Market
  private router!: RestRouter
  private streams!: StreamEndpoint
  private wsApi!: WsApiEndpoint
  private exchange!: Exchange
  private listenKeys!: ListenKeys
  private synthetic: SyntheticSource | null = null
  private replay: ReplaySource | null = null
  private readonly timers: NodeJS.Timeout[] = []
  private readonly pumps = new Set<FirehosePump>()
  private closing: Promise<void> | null = null
  private readonly startMs = Date.now()
  private readonly controlStats = { requests: 0, refused: 0, errors: 0 }
  /** timer callbacks that threw (a bug; the server keeps running) */
  private tickErrors = 0

  constructor(o: ResolvedOptions) {
    this.o = o
    this.http = createServer({ keepAlive: true }, (req, res) => this.onRequest(req, res))
    this.http.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      else socket.destroy()
    })
  }

  /** A duration of simulated time in real milliseconds (timing.timeAcceleration compresses lifetimes and validities). */
  private compressed(ms: number): number {
    return Math.max(1, Math.round(ms / this.o.timing.timeAcceleration))
  }

  async start(): Promise<void> {
    const o = this.o
    let specs: SymbolSpec[]
    let exchangeInfo: (() => unknown[]) | null = null
    let cap: CaptureSession | null = null
    if (o.replay !== null) {
      cap = ReplaySource.open(o.replay.files)
      const cs = captureSymbols(cap)
      specs = cs.specs
      if (cs.exchangeInfo !== null) {
        const info = cs.exchangeInfo
        exchangeInfo = () => info
      }
    } else {
      specs = (o.symbols ?? DEFAULT_SYMBOLS).map(resolveSymbol)
    }
    this.symbols = specs.map((s) => s.symbol)
    this.market = new Market(this.hub, specs, epochUs)
    const nowMs = (): number => Date.now()
    this.router = new RestRouter(o.limits.requestWeightPerMinute, nowMs)
    const built = buildAccounts(o.accounts, o.fees, o.demo, process.env)
    if (built.demo !== null) {
      const acc = built.accounts[0]!
      for (const s of specs) for (const asset of [s.baseAsset, s.quoteAsset]) if (!acc.balances.has(asset)) acc.balance(asset).free = parseDecimal('1000', 8)
    }
    this.demo = built.demo
    this.accounts = built.accounts.map((a: Account) => ({ apiKey: a.apiKey, keyType: a.key.kind === 0 ? 'HMAC' : 'Ed25519', secretSource: a.secretSource }))
    this.exchange = new Exchange(this.market, built.accounts, nowMs, o.limits.ordersPer10s, o.limits.ordersPerDay)
    this.listenKeys = new ListenKeys(this.hub, this.compressed(o.timing.listenKeyValidityMs), nowMs)
    const replayGuard = new ReplayGuard()
    const exInfo = exchangeInfo ?? (() => defaultExchangeInfoSymbols(this.market))
    if (cap !== null) {
      this.replay = new ReplaySource(this.market, this.hub, cap, o.replay!.speed, o.replay!.loop)
      this.replaying = true
    }
    registerMarketRoutes(this.router, {
      market: this.market,
      rateLimits: {
        requestWeightPerMinute: o.limits.requestWeightPerMinute,
        ordersPer10s: o.limits.ordersPer10s,
        ordersPerDay: o.limits.ordersPerDay,
        rawRequestsPer5m: 300_000,
      },
      exchangeInfoSymbols: exInfo,
    })
    registerTradeRoutes(this.router, { exchange: this.exchange, listenKeys: this.listenKeys, replayGuard, aheadToleranceMs: o.aheadToleranceMs, nowMs })
    this.streams = new StreamEndpoint(this.hub, {
      hasSymbol: (s) => this.market.get(s) !== undefined,
      isListenKey: (k) => this.listenKeys.isActive(k),
    })
    this.wsApi = new WsApiEndpoint(
      { exchange: this.exchange, router: this.router, replayGuard, aheadToleranceMs: o.aheadToleranceMs, nowMs, weightLimit: o.limits.requestWeightPerMinute, exchangeInfoSymbols: exInfo },
      o.limits.wsApiMaxIncomingPerSecond,
    )
    this.ws = new WsServer((pathname, query) => this.route(pathname, query), {
      maxPayloadBytes: o.limits.maxPayloadBytes,
      maxSendBufferBytes: o.limits.maxSendBufferBytes,
      slowConsumerMs: o.limits.slowConsumerTimeoutMs,
      pingIntervalMs: o.timing.pingIntervalMs,
      pongTimeoutMs: o.timing.pongTimeoutMs,
      maxIncomingPerSecond: o.limits.maxIncomingPerSecond,
      lifetimeMs: o.timing.connectionLifetimeMs === 0 ? 0 : this.compressed(o.timing.connectionLifetimeMs),
    })
    this.ws.attach(this.http)
    this.faults = new Faults({
      ws: this.ws,
      streams: this.streams,
      wsApi: this.wsApi,
      market: this.market,
      router: this.router,
      exchange: this.exchange,
      listenKeys: this.listenKeys,
      nowMs,
    })

    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(o.port, o.host, () => {
        this.http.off('error', reject)
        resolve()
      })
    })
    this.port = (this.http.address() as AddressInfo).port
    const h = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host
    this.urls = { rest: `http://${h}:${this.port}`, ws: `ws://${h}:${this.port}`, wsApi: `ws://${h}:${this.port}/ws-api/v3` }

    if (this.replay !== null) {
      this.replay.start()
    } else {
      this.synthetic = new SyntheticSource(this.market, o.seed)
      const syn = this.synthetic
      this.every(o.timing.stepMs, () => syn.step())
    }
    this.every(100, () => this.market.onTick100())
    this.every(Math.max(10, Math.min(1000, Math.floor(this.compressed(o.timing.listenKeyValidityMs) / 4))), () => this.listenKeys.sweep())
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn()
      } catch {
        // A failing tick must not stop the server; counted so tests can see it.
        this.tickErrors++
      }
    }, Math.min(ms, 2 ** 31 - 1))
    t.unref()
    this.timers.push(t)
  }

  private route(pathname: string, query: URLSearchParams): WsHandler | null {
    if (pathname === '/ws-api/v3') return this.wsApi
    return this.streams.initialStreams(pathname, query) === null ? null : this.streams
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    let size = 0
    let tooBig = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        tooBig = true
        return
      }
      chunks.push(c)
    })
    req.on('error', () => res.destroy())
    req.on('end', () => {
      if (tooBig) {
        res.writeHead(413, { 'Content-Type': 'application/json;charset=UTF-8', Connection: 'close' })
        res.end('{"code":-1000,"msg":"Request body too large."}')
        return
      }
      const body = Buffer.concat(chunks).toString('utf8')
      if ((req.url ?? '').startsWith('/__sim/')) {
        void this.control(req, res, body)
        return
      }
      this.router.serve(req, res, body).catch(() => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json;charset=UTF-8' })
          res.end('{"code":-1000,"msg":"An unknown error occurred while processing the request."}')
        }
      })
    })
  }

  /** Loopback-only control endpoints: /__sim/fault, /__sim/firehose, /__sim/stats. */
  private async control(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    this.controlStats.requests++
    const send = (status: number, obj: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8' })
      res.end(JSON.stringify(obj))
    }
    if (!this.o.faultEndpoint || !LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      this.controlStats.refused++
      send(403, { code: -1000, msg: 'control endpoints are served to loopback clients only' })
      return
    }
    const path = (req.url ?? '').split('?')[0]
    try {
      if (req.method === 'GET' && path === '/__sim/stats') {
        send(200, this.stats())
        return
      }
      if (req.method !== 'POST') {
        send(405, { code: -1000, msg: 'POST expected' })
        return
      }
      const parsed: unknown = body === '' ? {} : JSON.parse(body)
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object')
      const obj = parsed as Record<string, unknown>
      if (path === '/__sim/fault') {
        send(200, this.faults.apply(obj))
        return
      }
      if (path === '/__sim/firehose') {
        if (typeof obj.stream !== 'string' || typeof obj.count !== 'number') throw new Error('firehose: stream (string) and count (number) required')
        const r: FirehoseRequest = { stream: obj.stream, count: obj.count }
        if (typeof obj.rate === 'number') r.rate = obj.rate
        if (typeof obj.connId === 'number') r.connId = obj.connId
        if (obj.monotonicTimes === true) r.monotonicTimes = true
        this.firehoseSymbol(r)
        const started = this.firehose(r)
        if (obj.wait === true) {
          send(200, await started)
        } else {
          started.catch(() => undefined) // validated above; a pump only resolves
          send(200, { started: true })
        }
        return
      }
      send(404, { code: -1000, msg: 'unknown control endpoint' })
    } catch (err) {
      this.controlStats.errors++
      send(400, { code: -1000, msg: err instanceof Error ? err.message : String(err) })
    }
  }

  firehose(req: FirehoseRequest): Promise<FirehoseResult[]> {
    let sm
    try {
      sm = this.firehoseSymbol(req)
    } catch (err) {
      return Promise.reject(err)
    }
    const topic = this.hub.topics.get(req.stream)
    const sessions: StreamSession[] = topic === undefined ? [] : topic.subs.filter((s) => req.connId === undefined || s.conn.id === req.connId)
    const firstId = sm.tradeId + 1
    const runs = sessions.map((s) => {
      const p = new FirehosePump(s, sm, req.count, req.rate ?? 0, firstId, this.hub, req.monotonicTimes === true)
      this.pumps.add(p)
      return p.run().finally(() => this.pumps.delete(p))
    })
    return Promise.all(runs)
  }

  /** Validates a firehose request; throws with a message for the caller. */
  private firehoseSymbol(req: FirehoseRequest): SymbolMarket {
    const at = req.stream.indexOf('@')
    const sm = at > 0 ? this.market.get(req.stream.slice(0, at).toUpperCase()) : undefined
    if (sm === undefined || req.stream.slice(at + 1) !== 'trade') throw new Error(`firehose: ${req.stream} is not a <symbol>@trade stream of this simulator`)
    if (!Number.isSafeInteger(req.count) || req.count < 1) throw new Error('firehose: count must be a positive integer')
    if (req.rate !== undefined && (!Number.isFinite(req.rate) || req.rate < 0)) throw new Error('firehose: rate must be >= 0')
    return sm
  }

  stats(): Record<string, unknown> {
    return {
      uptimeMs: Date.now() - this.startMs,
      ws: { ...this.ws.stats },
      streams: { ...this.streams.stats },
      wsApi: { ...this.wsApi.stats },
      rest: { ...this.router.stats },
      market: { ...this.market.counters },
      exchange: { ...this.exchange.stats },
      listenKeys: { ...this.listenKeys.stats },
      faults: { ...this.faults.counters },
      control: { ...this.controlStats },
      replay: this.replay === null ? null : { ...this.replay.stats },
      tickErrors: this.tickErrors,
    }
  }

  close(): Promise<void> {
    if (this.closing === null) this.closing = this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.timers.length = 0
    if (this.replay !== null) this.replay.close()
    for (const p of this.pumps) p.abort()
    if (this.ws !== undefined) await this.ws.close(1001, 'server closing')
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve())
      this.http.closeAllConnections()
    })
  }
}

/**
 * Starts a simulator. Resolves once it listens; `sim.urls` has its addresses.
 * Throws TickflowError CONFIG_INVALID for bad options.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new SimulatorImpl(resolveOptions(options))
  try {
    await sim.start()
  } catch (err) {
    await sim.close().catch(() => undefined)
    throw err
  }
  return sim
}
