/**
 * The engine: the composition root that wires venues, the pipeline,
 * strategies and the order path (house style 2.10), and shuts them down in
 * reverse order.
 *
 *   feeds (per venue) ─▶ sink ─▶ merger ─▶ dispatcher ─▶ strategy hosts (sync)
 *        ▲ pause/resume ◀── dispatcher backpressure        │ ctx.submit/cancel
 *                                                          ▼
 *   journal ◀── order router ◀──── exec reports ◀── gateways (per trading venue)
 *
 * Startup: instruments and pools → embedded simulators → journal + router +
 * gateways → merger + dispatcher → feeds (exchangeInfo defines the
 * instruments) → strategies (onStart) → metrics.
 *
 * Shutdown (`close()`, idempotent; house style 2.10): stop intake and let the
 * strategies stop → cancel resting orders of cancel-on-exit strategies and
 * wait for their reports → close the feeds (1000) and gateways → flush the
 * merger, close the dispatcher → close the router and the journal → shut the
 * pools down with the deadline and report what did not come back → close
 * metrics and simulators.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { epochUs, systemClock, type Clock } from '../core/clock.js'
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import { silentLogger, type Logger } from '../core/logger.js'
import type { ShutdownReport } from '../core/pool.js'
import { EVENT_KIND_NAMES, EventKind, type CanonicalEvent } from '../model/events.js'
import { InstrumentRegistry } from '../model/instrument.js'
import type { MarketEventSink } from '../model/market-ports.js'
import type { ExecReport } from '../model/orders.js'
import type { ReadonlyOrderBook } from '../book/order-book.js'
import { Dispatcher } from '../pipeline/dispatcher.js'
import type { ExecReportQueue } from '../pipeline/subscriber-queue.js'
import { Merger } from '../pipeline/merger.js'
import { StrategyHost } from '../strategy/host.js'
import { loadStrategy } from '../strategy/loader.js'
import type { Strategy } from '../strategy/strategy.js'
import { OrderRouter, type OrderListener } from '../orders/order-router.js'
import { RiskMode } from '../orders/risk.js'
import { SqliteJournal } from '../journal/journal.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js'
import { DEFAULT_SYMBOLS } from '../sim/symbols.js'
import { BinanceMarketFeed, type BinanceFeedTimings, type BinanceStreamSelection } from '../venues/binance/market-feed.js'
import { BinanceOrderGateway } from '../venues/binance/orders/gateway.js'
import { WeightBudget } from '../venues/binance/rest.js'
import { binanceEndpoints, customEndpoints } from '../venues/binance/urls.js'
import { parseEngineConfig, permissionWarning, type EngineConfig, type VenueConfig } from './config.js'
import { LatencyProbe } from './latency.js'
import { createHotPools, type HotPools } from './pools.js'
import { EngineStrategyContext } from './strategy-context.js'
import { PnlTracker } from './pnl.js'
import { RunRecorder } from './recorder.js'


/** A strategy handed to the engine as an object (tests, benchmarks, embedding). */
export interface EngineStrategySpec {
  name: string
  strategy: Strategy
  params?: Record<string, unknown>
  cancelOnExit?: boolean
  /** venue names whose data it receives (default: all) */
  venues?: string[]
}

export interface EngineOptions {
  logger?: Logger
  /** base directory for relative paths in the config (strategies, journal); default cwd */
  baseDir?: string
  /** strategies given as objects, in addition to config.strategies */
  strategies?: EngineStrategySpec[]
  /** environment for credentials (default process.env) */
  env?: NodeJS.ProcessEnv
  /** pool debug mode: acquire sites in the shutdown report (default off; on in tests) */
  poolDebug?: boolean
  /** embedded-simulator overrides (tests: timings, faults) */
  simulator?: Partial<SimulatorOptions>
  /** feed timings for every venue (tests: shorter timeouts) */
  feedTimings?: BinanceFeedTimings
  clock?: Clock
  /** record the run to this file (overrides config.recording.path; docs/recording.md) */
  recordPath?: string
}

export interface EngineShutdownResult {
  clean: boolean
  pools: ShutdownReport
  /** orders of cancel-on-exit strategies still working at the deadline */
  ordersLeftWorking: string[]
  /** what went wrong on the way (each step is bounded and logged) */
  errors: string[]
  durationMs: number
}

interface VenueRuntime {
  config: VenueConfig
  venueId: number
  sourceId: number
  feed: BinanceMarketFeed
  gateway: BinanceOrderGateway | null
  sim: Simulator | null
  instrumentIds: number[]
}

interface StrategyRuntime {
  id: number
  name: string
  host: StrategyHost
  ctx: EngineStrategyContext
  cancelOnExit: boolean
}

const STREAM_NAMES = new Set(['trade', 'aggTrade', 'bookTicker', 'depth', 'kline_1m', 'kline_1s'])

function streamSelection(streams: readonly string[]): BinanceStreamSelection {
  const klines: string[] = []
  for (const s of streams) if (s.startsWith('kline_')) klines.push(s.slice(6))
  return {
    trade: streams.includes('trade'),
    aggTrade: streams.includes('aggTrade'),
    bookTicker: streams.includes('bookTicker'),
    depth: streams.includes('depth'),
    klines,
  }
}

/** Exec reports waiting for slow queued consumers before new orders are halted. */
const EXEC_BACKLOG_HALT = 10_000

/** The directory of the compiled example strategies (dist/examples). */
export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples')

export class Engine {
  readonly config: Readonly<EngineConfig>
  readonly registry = new InstrumentRegistry()
  readonly pools: HotPools
  readonly log: Logger
  readonly clock: Clock
  readonly latency = new LatencyProbe(8)
  readonly pnl = new PnlTracker()
  readonly merger: Merger
  readonly dispatcher: Dispatcher
  /** the run recorder, when recording is configured (created in start) */
  recorder: RunRecorder | null = null
  router: OrderRouter | null = null
  journal: SqliteJournal | null = null
  readonly venues: VenueRuntime[] = []
  readonly strategies: StrategyRuntime[] = []
  readonly budget = new WeightBudget()
  private readonly options: EngineOptions
  private readonly baseDir: string
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new'
  private closing: Promise<EngineShutdownResult> | null = null
  private advanceTimer: NodeJS.Timeout | null = null
  /** instrument id -> last market event receive time (epoch µs), for the stale-data risk check */
  private lastUpdate: Float64Array = new Float64Array(256)
  /** instrument id -> owning venue runtime index + 1 */
  private owner: Int32Array = new Int32Array(256)
  private eventsIn = 0
  private readonly execBacklog: ExecReport[] = []
  private marketIntakeClosed = false
  /** market events released unread during shutdown */
  shutdownDrops = 0
  private execHalted = false
  /** feeds whose start() is in progress (closed by close() too) */
  private readonly startingFeeds = new Set<BinanceMarketFeed>()

  constructor(config: Readonly<EngineConfig>, options: EngineOptions = {}) {
    this.config = config
    this.options = options
    this.baseDir = options.baseDir ?? process.cwd()
    this.log = options.logger ?? silentLogger
    this.clock = options.clock ?? systemClock
    this.pools = createHotPools(config.pools, { debug: options.poolDebug === true })
    this.dispatcher = new Dispatcher({
      mergedPool: this.pools.mergedEvent,
      canonicalPool: this.pools.canonicalEvent,
      registry: this.registry,
      clock: this.clock,
      logger: this.log.child({ component: 'dispatcher' }),
      onBackpressure: (paused) => {
        for (const v of this.venues) {
          if (paused) v.feed.pause()
          else v.feed.resume()
        }
      },
      onExecDrain: () => this.flushExecBacklog(),
    })
    this.merger = new Merger({
      registry: this.registry,
      mergedPool: this.pools.mergedEvent,
      canonicalPool: this.pools.canonicalEvent,
      sink: this.dispatcher,
      clock: this.clock,
      ordering: config.merger.ordering,
      latenessUs: config.merger.watermarkUs,
    })
    // Arrival order: the market sink samples the pipeline latency around merger.push (which
    // dispatches synchronously), so no subscriber per event is needed. Event-time order
    // publishes later (watermark): the probe then listens as a subscriber.
    if (config.merger.ordering === 'event-time') {
      this.dispatcher.subscribeSync({ name: 'latency-probe', kinds: [EventKind.Trade, EventKind.Quote, EventKind.BookDelta, EventKind.Bar], instruments: 'all', handler: this.latency })
    }
  }

  get stateName(): string {
    return this.state
  }

  /** Starts everything; on failure, what was started is closed again and the error rethrown. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new TickflowError(ErrorCode.ENGINE_STATE, `engine already ${this.state}`)
    this.state = 'starting'
    try {
      this.startRecorder()
      await this.startVenuesAndOrders()
      await this.startStrategies()
      if (this.config.merger.ordering === 'event-time') {
        this.advanceTimer = setInterval(() => this.merger.advance(this.clock.nowUs()), 5)
        this.advanceTimer.unref()
      }
      this.state = 'running'
      this.log.info(
        { venues: this.venues.map((v) => v.config.name), strategies: this.strategies.map((s) => s.name), instruments: this.registry.size },
        'engine running',
      )
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'engine start failed; closing what was started')
      await this.close()
      throw err
    }
  }

  /** Subscribes the run recorder before any venue starts, so the recording holds every event. */
  private startRecorder(): void {
    const rc = this.config.recording
    const file = this.options.recordPath ?? rc?.path
    if (file === undefined) return
    this.recorder = new RunRecorder(path.resolve(this.baseDir, file), {
      dispatcher: this.dispatcher,
      merger: this.merger,
      registry: this.registry,
      blockBytes: (rc?.blockKiB ?? 256) * 1024,
      flushIntervalMs: rc?.flushIntervalMs ?? 1000,
      logger: this.log.child({ component: 'recorder' }),
    })
    this.recorder.start()
    this.log.info({ file: this.recorder.writer.file }, 'recording the run')
  }

  private async startVenuesAndOrders(): Promise<void> {
    const env = this.options.env ?? process.env
    const trading = this.config.venues.some((v) => v.trading)
    if (trading) {
      this.journal = new SqliteJournal(path.resolve(this.baseDir, this.config.journal.path), { registry: this.registry, clock: this.clock })
      const r = this.config.risk
      this.router = new OrderRouter({
        registry: this.registry,
        journal: this.journal,
        requestPool: this.pools.orderRequest,
        reportPool: this.pools.execReport,
        risk: { maxOpenOrders: r.maxOpenOrders, maxOrdersPerSecond: r.ordersPerSecond, staleAfterUs: r.staleMarketDataMs * 1000 },
        clock: this.clock,
        logger: this.log.child({ component: 'orders' }),
        onFatal: (err) => this.log.fatal({ err: describeError(err) }, 'order path halted'),
      })
      this.router.risk.setMarketDataHealth({
        lastUpdateUs: (id) => (id < this.lastUpdate.length ? this.lastUpdate[id]! : 0),
        isSyncing: (id) => {
          const v = this.venueOf(id)
          return v !== null && v.config.streams.includes('depth') && !v.feed.isSynced(id)
        },
      })
      if (r.killSwitch === 'halt') this.router.risk.setMode(RiskMode.Halt)
      else if (r.killSwitch === 'reduce-only') this.router.risk.setMode(RiskMode.ReduceOnly)
    }
    let simIndex = 0
    for (const vc of this.config.venues) {
      const v = await this.startVenue(vc, simIndex, env)
      if (vc.type === 'simulator') simIndex++
      this.venues.push(v)
    }
    this.applyRiskLimits()
    if (this.router !== null) {
      this.router.start()
      for (const v of this.venues) if (v.gateway !== null) await v.gateway.start()
    }
  }

  private async startVenue(vc: VenueConfig, simIndex: number, env: NodeJS.ProcessEnv): Promise<VenueRuntime> {
    let sim: Simulator | null = null
    let apiKey = ''
    let hmacSecret: string | undefined
    let ed25519PrivateKeyPem: string | undefined
    let restUrl: string
    let wsUrl: string
    let wsApiUrl: string | undefined
    const market = vc.type === 'binance-usdm' ? 'usdm' : 'spot'
    if (vc.type === 'simulator') {
      const known = new Map(DEFAULT_SYMBOLS.map((s) => [s.symbol, s]))
      const unknown = vc.symbols.filter((s) => !known.has(s))
      if (unknown.length > 0) {
        throw new TickflowError(
          ErrorCode.CONFIG_INVALID,
          `venues[${this.config.venues.indexOf(vc)}].symbols: the simulator lists ${[...known.keys()].join(', ')}; unknown: ${unknown.join(', ')}`,
        )
      }
      // A fresh Ed25519 account per run: orders go over the WebSocket API after one session.logon.
      const { publicKey, privateKey } = generateKeyPairSync('ed25519')
      apiKey = 'tf' + randomBytes(24).toString('hex')
      ed25519PrivateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      const balances: Record<string, string> = {}
      for (const s of vc.symbols) {
        const spec = known.get(s)!
        balances[spec.baseAsset] = spec.baseAsset === 'BTC' ? '10' : spec.baseAsset === 'ETH' ? '200' : '5000'
        balances[spec.quoteAsset] = '1000000'
      }
      sim = await startSimulator({
        port: simIndex === 0 ? this.config.simulator.port : 0,
        seed: this.config.simulator.seed + simIndex,
        symbols: vc.symbols.map((s) => known.get(s)!),
        accounts: [{ apiKey, ed25519PublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), balances }],
        ...this.options.simulator,
      })
      restUrl = sim.urls.rest
      wsUrl = sim.urls.ws
      wsApiUrl = sim.urls.wsApi
      this.log.info({ venue: vc.name, rest: restUrl, ws: wsUrl }, 'embedded simulator started')
    } else {
      const ep = binanceEndpoints(market, vc.testnet ? 'testnet' : 'prod')
      restUrl = vc.restUrl ?? ep.restBase
      wsUrl = vc.wsUrl ?? ep.wsBase
      wsApiUrl = vc.wsApiUrl ?? (market === 'spot' ? (vc.testnet ? 'wss://ws-api.testnet.binance.vision/ws-api/v3' : 'wss://ws-api.binance.com:443/ws-api/v3') : undefined)
      if (vc.trading) {
        if (market === 'usdm') {
          throw new TickflowError(ErrorCode.CONFIG_INVALID, `venues[${this.config.venues.indexOf(vc)}].trading: order entry on binance-usdm is not supported yet; set trading: false`)
        }
        const c = vc.credentials
        const key = c.apiKeyEnv !== undefined ? env[c.apiKeyEnv] : undefined
        if (key === undefined || key === '') {
          throw new TickflowError(ErrorCode.CONFIG_INVALID, `venues[${this.config.venues.indexOf(vc)}].credentials.apiKeyEnv: trading needs an API key in an environment variable`)
        }
        apiKey = key
        if (c.privateKeyFile !== undefined) {
          const keyFile = path.resolve(this.baseDir, c.privateKeyFile)
          // a private key others can read is a leaked key: say so (issue 9)
          const warning = permissionWarning(keyFile)
          if (warning !== null) this.log.warn({ venue: vc.name }, warning)
          ed25519PrivateKeyPem = readFileSync(keyFile, 'utf8')
        }
        else if (c.privateKeyEnv !== undefined && env[c.privateKeyEnv]) ed25519PrivateKeyPem = env[c.privateKeyEnv]
        else if (c.apiSecretEnv !== undefined && env[c.apiSecretEnv]) hmacSecret = env[c.apiSecretEnv]
        else {
          throw new TickflowError(
            ErrorCode.CONFIG_INVALID,
            `venues[${this.config.venues.indexOf(vc)}].credentials: trading needs privateKeyFile, privateKeyEnv or apiSecretEnv (set and non-empty)`,
          )
        }
      }
    }
    const venueId = this.registry.venueId(vc.name)
    const sourceId = this.merger.addSource(vc.name)
    const feedEndpoints = vc.type === 'simulator' || vc.wsUrl !== undefined || vc.restUrl !== undefined ? customEndpoints(market, wsUrl, restUrl) : binanceEndpoints(market, vc.testnet ? 'testnet' : 'prod')
    const sink = this.makeSink(sourceId)
    const feed = new BinanceMarketFeed({
      market,
      venueName: vc.name,
      endpoints: feedEndpoints,
      symbols: vc.symbols,
      streams: streamSelection(vc.streams.filter((s) => STREAM_NAMES.has(s))),
      registry: this.registry,
      // wsFrame null: each connection delivers with its own frame (lifetime: one callback), see FeedPools.
      pools: { wsFrame: null, providerRaw: this.pools.providerRaw, canonicalEvent: this.pools.canonicalEvent },
      sink,
      transport: vc.transport,
      weightBudget: this.budget,
      logger: this.log.child({ venue: vc.name }),
      clock: this.clock,
      // A shutdown must finish within seconds: the close handshake gets 1.5 s, then the socket is terminated.
      timings: { closeTimeoutMs: 1500, ...this.options.feedTimings },
    })
    const runtime: VenueRuntime = { config: vc, venueId, sourceId, feed, gateway: null, sim, instrumentIds: [] }
    // close() during start closes this feed too (its start then rejects)
    this.startingFeeds.add(feed)
    try {
      await feed.start()
    } catch (err) {
      await sim?.close().catch(() => undefined)
      throw err
    } finally {
      this.startingFeeds.delete(feed)
    }
    const index = this.venues.length + 1
    for (const s of vc.symbols) {
      const id = this.registry.lookup(vc.name, s)
      if (id === 0) continue
      runtime.instrumentIds.push(id)
      this.ensureInstrumentSlots(id)
      this.owner[id] = index
    }
    if (vc.trading && this.router !== null) {
      const gw = new BinanceOrderGateway({
        venue: vc.name,
        registry: this.registry,
        restUrl,
        ...(wsApiUrl !== undefined ? { wsApiUrl } : {}),
        streamUrl: wsUrl,
        apiKey,
        ...(hmacSecret !== undefined ? { hmacSecret } : {}),
        ...(ed25519PrivateKeyPem !== undefined ? { ed25519PrivateKeyPem } : {}),
        orderTransport: vc.orderEntry === 'rest' || wsApiUrl === undefined ? 'rest' : 'ws-api',
        budget: this.budget,
        logger: this.log.child({ venue: vc.name, component: 'gateway' }),
      })
      this.router.addGateway(gw)
      runtime.gateway = gw
    }
    return runtime
  }

  /** The market sink of one venue: stamps freshness, samples latency, hands the event to the merger. */
  private makeSink(sourceId: number): MarketEventSink {
    const merger = this.merger
    const latency = this.latency
    const probeAround = this.config.merger.ordering !== 'event-time'
    return {
      onMarketEvent: (ev: CanonicalEvent): void => {
        if (this.marketIntakeClosed) {
          // shutting down: nothing more goes into the pipeline
          this.shutdownDrops++
          this.pools.canonicalEvent.release(ev)
          return
        }
        const id = ev.instrumentId
        const recv = ev.tsRecvUs
        if (id < this.lastUpdate.length) this.lastUpdate[id] = recv
        this.eventsIn++
        // Ownership passes to the merger (it releases the event after dispatch,
        // or at once when its MergedEvent pool is empty: market data is dropped and counted).
        if (latency.atCanonical(recv) && probeAround) {
          if (merger.push(sourceId, ev)) latency.afterDispatch(recv, merger.publishStampUs)
          return
        }
        merger.push(sourceId, ev)
      },
    }
  }

  private ensureInstrumentSlots(id: number): void {
    if (id < this.lastUpdate.length) return
    let n = this.lastUpdate.length * 2
    while (n <= id) n *= 2
    const lu = new Float64Array(n)
    lu.set(this.lastUpdate)
    this.lastUpdate = lu
    const ow = new Int32Array(n)
    ow.set(this.owner)
    this.owner = ow
  }

  private venueOf(instrumentId: number): VenueRuntime | null {
    const i = instrumentId < this.owner.length ? this.owner[instrumentId]! : 0
    return i > 0 ? (this.venues[i - 1] ?? null) : null
  }

  /** The local book of an instrument (from the feed that owns it), or null while it is not in sync. */
  book(instrumentId: number): ReadonlyOrderBook | null {
    const v = this.venueOf(instrumentId)
    if (v === null || !v.feed.isSynced(instrumentId)) return null
    return v.feed.book(instrumentId)
  }

  private applyRiskLimits(): void {
    if (this.router === null) return
    const r = this.config.risk
    for (const v of this.venues) {
      for (const id of v.instrumentIds) {
        const symbol = this.registry.spec(id).symbol
        const limits: { maxPosition?: string; maxNotional?: string } = {}
        if (r.maxPosition[symbol] !== undefined) limits.maxPosition = r.maxPosition[symbol]
        if (r.maxOrderNotional !== undefined) limits.maxNotional = r.maxOrderNotional
        if (limits.maxPosition !== undefined || limits.maxNotional !== undefined) this.router.risk.setInstrumentLimits(id, limits)
      }
    }
  }

  private async startStrategies(): Promise<void> {
    const specs: EngineStrategySpec[] = []
    for (const s of this.config.strategies) {
      const loaded = await loadStrategy(s.path, { cwd: this.baseDir, params: s.params })
      const spec: EngineStrategySpec = { name: s.name, strategy: loaded.strategy, params: s.params, cancelOnExit: s.cancelOnExit }
      if (s.venues !== undefined) spec.venues = s.venues
      specs.push(spec)
    }
    for (const s of this.options.strategies ?? []) specs.push(s)
    const names = new Set<string>()
    for (const spec of specs) {
      if (names.has(spec.name)) throw new TickflowError(ErrorCode.CONFIG_INVALID, `strategies: duplicate strategy name "${spec.name}"`)
      names.add(spec.name)
      const id = this.strategies.length + 1
      const ctx = new EngineStrategyContext(
        id,
        spec.name,
        this.clock,
        this.log.child({ strategy: spec.name }),
        Object.freeze({ ...(spec.params ?? {}) }),
        this.router,
        this.registry,
        this.merger,
        (iid) => this.book(iid),
      )
      const host = new StrategyHost(spec.strategy, ctx, {
        onStopped: (_h, reason) =>
          reason === 'engine shutdown' ? this.log.info({ strategy: spec.name }, 'strategy stopped') : this.log.warn({ strategy: spec.name, reason }, 'strategy stopped'),
      })
      const instruments =
        spec.venues === undefined ? ('all' as const) : this.venues.filter((v) => spec.venues!.includes(v.config.name)).flatMap((v) => v.instrumentIds)
      if (host.kinds.length > 0) this.dispatcher.subscribeSync({ name: spec.name, kinds: host.kinds, instruments, handler: host })
      const cancelOnExit = spec.cancelOnExit !== false
      if (this.router !== null) {
        const listener: OrderListener = {
          onExecReport: (r: Readonly<ExecReport>): void => {
            this.pnl.onReport(r)
            host.onExecReport(r)
            this.forwardExec(r as ExecReport)
          },
        }
        this.router.registerStrategy(id, spec.name, listener, { cancelOnExit })
      }
      this.strategies.push({ id, name: spec.name, host, ctx, cancelOnExit })
      await host.start()
    }
  }

  /**
   * A queued consumer of every execution report (recorders, risk monitors).
   * Its policy is always block: reports are never dropped. While it is full,
   * reports wait in order in the engine's backlog (copies), and past
   * EXEC_BACKLOG_HALT of them new orders are refused (kill switch) until it
   * drains, which bounds the backlog by the orders already working.
   */
  subscribeExecReports(name: string, capacity = 1024): ExecReportQueue {
    return this.dispatcher.subscribeExecQueued({ name, strategyId: 0, capacity })
  }

  private forwardExec(r: ExecReport): void {
    if (this.execBacklog.length === 0 && this.dispatcher.offerExecReport(r)) return
    this.execBacklog.push(r.clone())
    if (this.execBacklog.length === EXEC_BACKLOG_HALT && this.router !== null) {
      this.execHalted = true
      this.router.risk.setMode(RiskMode.Halt)
      this.log.error({ backlog: this.execBacklog.length }, 'exec-report consumers are not draining: new orders halted until they do')
    }
  }

  private flushExecBacklog(): void {
    const b = this.execBacklog
    let i = 0
    while (i < b.length && this.dispatcher.offerExecReport(b[i]!)) i++
    if (i > 0) b.splice(0, i)
    if (b.length === 0 && this.execHalted && this.router !== null) {
      this.execHalted = false
      const k = this.config.risk.killSwitch
      this.router.risk.setMode(k === 'halt' ? RiskMode.Halt : k === 'reduce-only' ? RiskMode.ReduceOnly : RiskMode.Normal)
      this.log.info('exec-report consumers drained: orders accepted again')
    }
  }

  /** Reports waiting for a full exec-report queue (never dropped). */
  get execBacklogSize(): number {
    return this.execBacklog.length
  }

  /** Events taken from the feeds so far. */
  get eventsReceived(): number {
    return this.eventsIn
  }

  /**
   * Graceful shutdown, bounded by config.shutdown.deadlineMs for the pool wait
   * (each earlier step has its own bound). Idempotent and safe to call
   * concurrently: every call gets the same result.
   */
  close(): Promise<EngineShutdownResult> {
    if (this.closing !== null) return this.closing
    this.closing = this.doClose()
    return this.closing
  }

  private async doClose(): Promise<EngineShutdownResult> {
    const t0 = performance.now()
    this.state = 'closing'
    const errors: string[] = []
    const step = async (what: string, fn: () => Promise<unknown> | unknown, timeoutMs: number): Promise<void> => {
      let timer: NodeJS.Timeout | null = null
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${what}: timed out after ${timeoutMs} ms`)), timeoutMs)
          }),
        ])
      } catch (err) {
        errors.push(`${what}: ${describeError(err)}`)
        this.log.warn({ step: what, err: describeError(err) }, 'shutdown step failed')
      } finally {
        if (timer !== null) clearTimeout(timer)
      }
    }
    if (this.advanceTimer !== null) clearInterval(this.advanceTimer)
    // 1. stop intake, let strategies stop
    this.router?.closeIntake()
    for (const s of this.strategies) await step(`strategy ${s.name} onStop`, () => s.host.stop('engine shutdown'), 1000)
    // 2. cancel resting orders of cancel-on-exit strategies, wait for their reports
    let ordersLeftWorking: string[] = []
    if (this.router !== null) {
      await step(
        'cancel on exit',
        async () => {
          const r = await this.router!.cancelOnExit(2000)
          ordersLeftWorking = r.remaining
        },
        2500,
      )
    }
    // 3. close market data (close handshake 1000) and order entry (user data after the cancels).
    // Market intake stops first, so a blocked subscriber cannot pause the sockets mid-handshake.
    this.marketIntakeClosed = true
    for (const v of this.venues) v.feed.resume()
    await step('close feeds', () => Promise.all([...this.venues.map((v) => v.feed.close()), ...[...this.startingFeeds].map((f) => f.close())]), 3000)
    await step('close gateways', () => Promise.all(this.venues.map((v) => v.gateway?.close())), 2000)
    // 4. drain the pipeline
    await step('flush merger', () => this.merger.flush(), 500)
    await step('close dispatcher', () => this.dispatcher.close(), 500)
    await step('close recorder', () => this.recorder?.close(), 5000)
    // 5. the order path's durable state
    this.router?.close()
    await step('close journal', () => this.journal?.close(), 1000)
    // 6. every pooled object back, within the deadline
    const pools = await this.pools.manager.shutdown({ deadlineMs: this.config.shutdown.deadlineMs })
    // 7. embedded venues
    await step('close simulators', () => Promise.all(this.venues.map((v) => v.sim?.close())), 2000)
    this.state = 'closed'
    const result: EngineShutdownResult = {
      clean: pools.clean && errors.length === 0,
      pools,
      ordersLeftWorking,
      errors,
      durationMs: Math.round(performance.now() - t0),
    }
    this.log.info({ clean: result.clean, unreturned: pools.unreturned, errors: errors.length, ms: result.durationMs }, 'engine closed')
    return result
  }

  /** A snapshot of every component's counters (cold path). */
  stats(): Record<string, unknown> {
    return {
      state: this.state,
      eventsReceived: this.eventsIn,
      merger: this.merger.stats(),
      dispatcher: this.dispatcher.stats(),
      pools: this.pools.manager.stats(),
      venues: this.venues.map((v) => ({ name: v.config.name, feed: v.feed.stats(), sim: v.sim !== null })),
      orders: this.router?.stats() ?? null,
      strategies: this.strategies.map((s) => ({ ...s.host.stats(), name: s.name, metrics: s.ctx.metrics.snapshot() })),
    }
  }

  /** Kind names for metrics labels. */
  static kindName(kind: number): string {
    return EVENT_KIND_NAMES[kind] ?? String(kind)
  }

  /** Now, epoch µs (for callers that want the engine's clock). */
  nowUs(): number {
    return epochUs()
  }
}

/** Validates `config` (a parsed object or an EngineConfig) and builds an engine. */
export function createEngine(config: unknown, options: EngineOptions = {}): Engine {
  const cfg = isEngineConfig(config) ? config : parseEngineConfig(config ?? {})
  return new Engine(cfg, options)
}

function isEngineConfig(c: unknown): c is Readonly<EngineConfig> {
  return c !== null && typeof c === 'object' && Object.isFrozen(c) && Array.isArray((c as { venues?: unknown }).venues)
}
