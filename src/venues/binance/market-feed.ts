/**
 * BinanceMarketFeed: the live Binance Spot / USD-M market-data adapter
 * (implements MarketSource). It ties together the transport (ManagedWs), the
 * codec (BinanceDecoder), the book sync, the trade-gap tracker and the
 * normalizer, the same pieces `tickflow replay` drives offline, in the same
 * order (src/replay/replay.ts).
 *
 *   start(): exchangeInfo (REST) ─► instruments at the WIRE scales ─► decoder.addSymbol
 *            ─► one ManagedWs per connection group (≤ maxStreams each; USD-M /public and /market tiers)
 *            ─► SUBSCRIBE in onOpen (every new connection: initial, reconnect, rotation)
 *
 *   per frame (synchronous, in the socket's 'message' callback):
 *     WsFrame ─► decoder.decode ─► ProviderRaw ─┬ DepthUpdate ─► book sync ─► BookDelta (applied diffs),
 *                                               │                            BookInvalidated / BookResynced
 *                                               ├ Trade/AggTrade ─► trade gaps ─► TradeGap? + Trade
 *                                               ├ BookTicker ─► Quote      ├ Kline ─► Bar
 *                                               ├ PartialDepth ─► BookDelta (isSnapshot)
 *                                               ├ Reply / Error ─► that connection's SubscriptionManager
 *                                               └ ServerShutdown ─► managed.requestReconnect('serverShutdown')
 *     decode errors: counted by status, logged sampled, never thrown.
 *
 *   snapshots: book sync ─requestSnapshot(id)─► REST GET depth (weight taken from the
 *              shared WeightBudget by the sync first) ─► decodeSnapshot ─► onSnapshot / onSnapshotFailed
 *
 * Every CanonicalEvent is leased from the engine's CanonicalEvent pool and
 * handed to `sink.onMarketEvent(ev)`, which owns it from then on. Its
 * `tsRecvUs` is the frame's receive time (a snapshot's: when its body
 * arrived).
 *
 * Reconnects (the connection was LOST): the books fed by that connection are
 * invalidated at once (BookInvalidated, reason Reconnect) and resync from the
 * first diff on the new connection; trade ids are checked across the gap, so
 * missed trades are reported as TradeGap. Rotations (24 h lifetime,
 * serverShutdown) are make-before-break: nothing is lost, the overlap is
 * dropped by venue sequence (book `u <= b`, trade id ≤ last).
 *
 * Hot path: no closure, Promise or allocation per frame; one `switch` on the
 * raw type; counters in typed arrays. Frame handlers are bound once per
 * connection group at construction.
 */
import type { ReadonlyOrderBook } from '../../book/order-book.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { ErrorCode, TickflowError, describeError } from '../../core/errors.js'
import { silentLogger, type Logger } from '../../core/logger.js'
import type { BoundedPool } from '../../core/pool.js'
import { BookInvalidReason, CanonicalEvent, EVENT_KIND_COUNT, EVENT_KIND_NAMES, EventKind } from '../../model/events.js'
import { InstrumentStatus, type InstrumentRegistry } from '../../model/instrument.js'
import type { MarketEventSink, MarketSource, MarketSourceStats, MarketTop } from '../../model/market-ports.js'
import { ProviderRaw, RawType } from '../../model/provider-raw.js'
import type { BackoffOptions } from '../../transport/backoff.js'
import { ManagedWs, type ManagedWsStats, type OpenReason } from '../../transport/managed-ws.js'
import type { WsConnection } from '../../transport/ws-connection.js'
import type { WsFrame } from '../../transport/ws-frame.js'
import { WsState, type WsStateChange } from '../../transport/ws-state.js'
import { BinanceBookSync, BookSyncState, type BookSyncListener, type BookSyncStats } from './book-sync.js'
import { BinanceDecoder, DecodeStatus } from './codec/decoder.js'
import { DEFAULT_VENUE_NAMES, defineInstruments, parseExchangeInfo, type BinanceExchangeInfo } from './instruments.js'
import { BinanceNormalizer } from './normalize.js'
import { BinanceRestClient, WeightBudget, depthWeight, type WeightUsage } from './rest.js'
import { SubscriptionManager, splitForConnections, streamName, type StreamSpec, type SubscriptionStats } from './subscriptions.js'
import { TradeCheck, TradeGapTracker, type TradeGapStats } from './trade-gaps.js'
import { combinedStreamUrl, groupByTier, restApiPrefix, type BinanceEndpoints, type BinanceMarket, type UsdmTier } from './urls.js'

/** Which streams to subscribe for every symbol. */
export interface BinanceStreamSelection {
  trade?: boolean
  aggTrade?: boolean
  bookTicker?: boolean
  /**
   * Diff depth with a local book per symbol (default on). `speedMs`: Spot 100
   * (default) or 1000; USD-M 0 (real time `@depth@0ms`), 100 (default), 250, 500.
   */
  depth?: boolean | { speedMs: number }
  /** Partial depth (top N snapshots); default none. */
  partialDepth?: { levels: 5 | 10 | 20; speedMs: number } | null
  /** Kline intervals ('1m', '1h', …); default none. */
  klines?: readonly string[]
}

/** Timers and limits; every field has a default. */
export interface BinanceFeedTimings {
  /** TCP + TLS + upgrade deadline. Default 10000. */
  handshakeTimeoutMs?: number
  /** Our pings (each costs one of the 5 msg/s). 0 = off. Default 30000. */
  pingIntervalMs?: number
  /** Pong deadline for our pings. Default 10000. */
  pongTimeoutMs?: number
  /** No data frame for this long = stale connection, replaced. 0 = off. Default 60000. */
  staleMs?: number
  /** Close handshake deadline before the socket is destroyed. Default 5000. */
  closeTimeoutMs?: number
  /** Planned rotation before Binance's 24 h limit. Default 23 h. 0 = never. */
  lifetimeMs?: number
  /** Reconnect backoff (full jitter). Default 250 ms doubling to 30 s. */
  backoff?: BackoffOptions
  /** A connection open this long resets the backoff. Default 30000. */
  stableAfterMs?: number
  /** Rotation: longest wait for the new connection's first frame. Default 5000. */
  handoverMaxMs?: number
  /** SUBSCRIBE reply deadline. Default 10000. */
  replyTimeoutMs?: number
  /** start() gives up (and closes) after this long. Default 60000. */
  startTimeoutMs?: number
  /** Book sync: snapshot answer deadline (default 10000), retries in a row (5), backoff (250 ms → 30 s), budget retry (1000). */
  snapshotTimeoutMs?: number
  snapshotMaxRetries?: number
  snapshotBackoffBaseMs?: number
  snapshotBackoffMaxMs?: number
  budgetRetryMs?: number
  /** REST request deadline (snapshots, exchangeInfo). Default 10000. */
  restTimeoutMs?: number
}

/**
 * The pools the feed leases from (structurally the runtime's HotPools).
 *
 * `canonicalEvent`: every event handed to the sink (it outlives the frame).
 * `wsFrame`: given to the transport; null (what the engine passes) = each
 * connection delivers with its own frame, whose lifetime is one callback.
 * `providerRaw`: not leased per frame: a frame decodes into the feed's own
 * scratch ProviderRaw, whose lifetime is one handleFrame call (the book sync
 * copies what it keeps); the pool serves only a re-entrant call (a frame
 * handled while another one is being handled). A pool round trip for an object
 * that never outlives the call costs more than resetting one scratch object
 * (node-performance.md §4; docs/benchmarks.md has the figures).
 */
export interface FeedPools {
  wsFrame: BoundedPool<WsFrame> | null
  providerRaw: BoundedPool<ProviderRaw>
  canonicalEvent: BoundedPool<CanonicalEvent>
}

export interface BinanceMarketFeedOptions {
  market: BinanceMarket
  /** Registry venue name. Default 'binance-spot' / 'binance-usdm'. */
  venueName?: string
  /** binanceEndpoints('spot'|'usdm', 'prod'|'testnet') or customEndpoints(...) (simulator, tests). */
  endpoints: BinanceEndpoints
  /** Venue symbols, e.g. ['BTCUSDT']. */
  symbols: readonly string[]
  streams?: BinanceStreamSelection
  registry: InstrumentRegistry
  pools: FeedPools
  sink: MarketEventSink
  /** Shared REST client (the order side may use the same one). Default: one on endpoints.restBase. */
  restClient?: BinanceRestClient | null
  /** Shared request-weight budget when no restClient is given. Default: a new one. */
  weightBudget?: WeightBudget | null
  /** An exchangeInfo body to use instead of fetching it (tests, offline starts). */
  exchangeInfo?: Buffer | null
  logger?: Logger
  /** Time source for snapshot receive times. Default the system clock. */
  clock?: Clock
  /** 'ms' (default) or 'MICROSECOND' (adds timeUnit=MICROSECOND; event times in µs). */
  timeUnit?: 'ms' | 'MICROSECOND'
  timings?: BinanceFeedTimings
  /** REST depth snapshot limit. Spot 1000 (default) or 5000 (any of 1..5000); USD-M 1000. */
  snapshotLimit?: number
  /** Streams per connection. Default Spot 1024, USD-M 200 (binance-protocol.md §8). */
  maxStreamsPerConnection?: number
  /** 'live' (default): SUBSCRIBE on every new connection; 'url': streams in the URL (/stream?streams=…). */
  subscribeMode?: 'live' | 'url'
  /** Outgoing messages per second per connection. Default Spot 5, USD-M 10. */
  messagesPerSecond?: number
  /** Book levels per side (default 10,000). */
  maxBookLevels?: number
  /** Decode errors / sink errors are logged for the 1st and then every N-th. Default 1000. */
  errorLogEvery?: number
  /**
   * The WebSocket client of the market-data connections: 'raw' (default: our
   * RFC 6455 client, src/transport/raw-ws.ts, no Buffer per message) or 'ws'.
   * Text frames are not UTF-8-checked by the transport: the decoder checks
   * them (a bad frame is dropped and counted as invalidUtf8; the connection
   * and the books stay up).
   */
  transport?: 'raw' | 'ws'
}

export const FeedState = { Idle: 0, Starting: 1, Running: 2, Closing: 3, Closed: 4, Failed: 5 } as const
const FEED_STATE_NAMES = ['idle', 'starting', 'running', 'closing', 'closed', 'failed']
const DECODE_STATUS_NAMES = ['ok', 'malformed', 'unknownSymbol', 'badNumber', 'unsupported', 'oversize', 'invalidUtf8']

/** Per-symbol part of `stats()`. */
export interface FeedSymbolStats {
  instrumentId: number
  status: string
  book: BookSyncStats | null
  trades: TradeGapStats
}

/** Per-connection part of `stats()`. */
export interface FeedConnectionStats {
  name: string
  tier: string
  streams: number
  transport: ManagedWsStats
  subscriptions: SubscriptionStats | null
  serverShutdowns: number
  repliesUnmatched: number
}

export interface BinanceFeedStats extends MarketSourceStats {
  market: BinanceMarket
  pauses: number
  /** the transport's connections can pause reading (false: pause() is a no-op) */
  pauseSupported: boolean
  frames: number
  decodeErrors: number
  decodeErrorsByStatus: Record<string, number>
  decoder: { fastPath: number; fallbackPath: number }
  events: Record<string, number>
  /** events dropped because the CanonicalEvent pool was empty, by kind */
  dropped: Record<string, number>
  droppedTotal: number
  /** re-entrant frames (see FeedPools) that found the ProviderRaw pool empty and used a fresh object */
  rawPoolExhausted: number
  tradeDuplicates: number
  sinkErrors: number
  serverShutdowns: number
  reconnects: number
  snapshotRequests: number
  snapshotFailures: number
  snapshotDecodeErrors: number
  connections: FeedConnectionStats[]
  symbols: Record<string, FeedSymbolStats>
  rest: { requests: number; failures: number; budget: WeightUsage }
}

/** One ManagedWs and what it carries (cold-path object; its frame handler is bound once). */
class FeedConnection {
  readonly managed: ManagedWs
  readonly subs: SubscriptionManager | null
  /** instruments whose diff depth arrives on this connection (restarted when it is lost) */
  readonly depthIds: number[]
  readonly onFrame: (frame: WsFrame) => void
  subscribedOnce = false
  serverShutdowns = 0
  repliesUnmatched = 0

  constructor(
    readonly feed: BinanceMarketFeed,
    readonly name: string,
    readonly tier: UsdmTier | null,
    readonly streams: readonly string[],
    depthIds: number[],
    managedFactory: (conn: FeedConnection) => ManagedWs,
    subs: SubscriptionManager | null,
  ) {
    this.depthIds = depthIds
    this.subs = subs
    // One bound handler per connection group, not per frame.
    this.onFrame = (frame: WsFrame): void => feed.handleFrame(frame, this)
    this.managed = managedFactory(this)
  }
}

/** The live Binance market-data adapter of one market (Spot or USD-M). */
export class BinanceMarketFeed implements MarketSource, BookSyncListener {
  readonly market: BinanceMarket
  readonly venueName: string
  readonly venueId: number
  readonly endpoints: BinanceEndpoints
  readonly registry: InstrumentRegistry
  readonly decoder: BinanceDecoder
  private readonly sync: BinanceBookSync
  private readonly trades: TradeGapTracker
  private readonly normalizer: BinanceNormalizer
  private readonly sink: MarketEventSink
  private readonly eventPool: BoundedPool<CanonicalEvent>
  private readonly rawPool: BoundedPool<ProviderRaw>
  private readonly framePool: BoundedPool<WsFrame> | null
  private readonly rest: BinanceRestClient
  private readonly ownsRest: boolean
  private readonly log: Logger
  private readonly clock: Clock
  private readonly options: BinanceMarketFeedOptions
  private readonly timings: Required<Omit<BinanceFeedTimings, 'backoff'>> & { backoff: BackoffOptions }
  private readonly symbols: string[]
  private readonly snapshotLimit: number
  private readonly timeUnitMicros: boolean
  private readonly errorLogEvery: number
  /** the ProviderRaw every frame decodes into (its lifetime is one handleFrame call) */
  private readonly frameRaw = new ProviderRaw()
  /** frameRaw is in use (a re-entrant handleFrame leases from the pool) */
  private frameRawBusy = false
  private readonly snapshotRaw = new ProviderRaw()
  private readonly gapScratch = new CanonicalEvent()
  private readonly requestSnapshotBound: (instrumentId: number) => void
  private readonly abort = new AbortController()

  private state: number = FeedState.Idle
  private startPromise: Promise<void> | null = null
  private preparePromise: Promise<void> | null = null
  private closePromise: Promise<void> | null = null
  private connections: FeedConnection[] = []
  private paused = false
  private pauses = 0
  private pauseWarned = false
  /** instrument id → venue symbol ('' for ids of other venues) */
  private readonly symbolById: string[] = ['']
  private exchangeInfo: BinanceExchangeInfo | null = null
  private startFailure: ((err: unknown) => void) | null = null

  // counters (hot path: plain fields and typed arrays)
  private frames = 0
  private decodeErrors = 0
  private readonly decodeErrorsByStatus = new Float64Array(DECODE_STATUS_NAMES.length)
  private readonly eventsByKind = new Float64Array(EVENT_KIND_COUNT)
  private readonly droppedByKind = new Float64Array(EVENT_KIND_COUNT)
  private droppedTotal = 0
  private rawPoolExhausted = 0
  private tradeDuplicates = 0
  private sinkErrors = 0
  private snapshotRequests = 0
  private snapshotFailures = 0
  private snapshotDecodeErrors = 0

  constructor(options: BinanceMarketFeedOptions) {
    const market = options.market
    if (market !== 'spot' && market !== 'usdm') throw new TypeError(`BinanceMarketFeed: market must be 'spot' or 'usdm', got ${String(market)}`)
    if (options.endpoints === undefined || options.endpoints.market !== market) {
      throw new TypeError(`BinanceMarketFeed: endpoints must be for market ${market}`)
    }
    if (!Array.isArray(options.symbols) || options.symbols.length === 0) throw new TypeError('BinanceMarketFeed: symbols must be a non-empty array')
    if (options.sink === undefined || typeof options.sink.onMarketEvent !== 'function') throw new TypeError('BinanceMarketFeed: sink.onMarketEvent must be a function')
    if (options.pools === undefined || options.pools.providerRaw === undefined || options.pools.canonicalEvent === undefined) {
      throw new TypeError('BinanceMarketFeed: pools.providerRaw and pools.canonicalEvent are required')
    }
    this.options = options
    this.market = market
    this.endpoints = options.endpoints
    this.venueName = options.venueName ?? DEFAULT_VENUE_NAMES[market]
    this.registry = options.registry
    this.venueId = this.registry.venueId(this.venueName)
    this.sink = options.sink
    this.eventPool = options.pools.canonicalEvent
    this.rawPool = options.pools.providerRaw
    this.framePool = options.pools.wsFrame ?? null
    this.log = (options.logger ?? silentLogger).child({ component: 'binance-market-feed', venue: this.venueName })
    this.clock = options.clock ?? systemClock
    this.errorLogEvery = Math.max(1, options.errorLogEvery ?? 1000)
    const seen = new Set<string>()
    this.symbols = []
    for (const s of options.symbols) {
      if (typeof s !== 'string' || !/^[A-Za-z0-9_]+$/.test(s)) throw new RangeError(`BinanceMarketFeed: invalid symbol ${JSON.stringify(s)}`)
      const u = s.toUpperCase()
      if (!seen.has(u)) {
        seen.add(u)
        this.symbols.push(u)
      }
    }
    this.snapshotLimit = options.snapshotLimit ?? 1000
    depthWeight(market, this.snapshotLimit) // RangeError for a limit the venue refuses
    this.timeUnitMicros = options.timeUnit === 'MICROSECOND'
    if (options.timeUnit !== undefined && options.timeUnit !== 'ms' && options.timeUnit !== 'MICROSECOND') {
      throw new RangeError(`BinanceMarketFeed: timeUnit must be 'ms' or 'MICROSECOND', got ${String(options.timeUnit)}`)
    }
    const t = options.timings ?? {}
    this.timings = {
      handshakeTimeoutMs: t.handshakeTimeoutMs ?? 10_000,
      pingIntervalMs: t.pingIntervalMs ?? 30_000,
      pongTimeoutMs: t.pongTimeoutMs ?? 10_000,
      staleMs: t.staleMs ?? 60_000,
      closeTimeoutMs: t.closeTimeoutMs ?? 5000,
      lifetimeMs: t.lifetimeMs ?? 23 * 3600_000,
      backoff: t.backoff ?? {},
      stableAfterMs: t.stableAfterMs ?? 30_000,
      handoverMaxMs: t.handoverMaxMs ?? 5000,
      replyTimeoutMs: t.replyTimeoutMs ?? 10_000,
      startTimeoutMs: t.startTimeoutMs ?? 60_000,
      snapshotTimeoutMs: t.snapshotTimeoutMs ?? 10_000,
      snapshotMaxRetries: t.snapshotMaxRetries ?? 5,
      snapshotBackoffBaseMs: t.snapshotBackoffBaseMs ?? 250,
      snapshotBackoffMaxMs: t.snapshotBackoffMaxMs ?? 30_000,
      budgetRetryMs: t.budgetRetryMs ?? 1000,
      restTimeoutMs: t.restTimeoutMs ?? 10_000,
    }

    if (options.restClient != null) {
      if (options.restClient.market !== market) throw new TypeError(`BinanceMarketFeed: restClient is for ${options.restClient.market}, not ${market}`)
      this.rest = options.restClient
      this.ownsRest = false
    } else {
      const budget = options.weightBudget ?? new WeightBudget({ limitPerMinute: market === 'spot' ? 6000 : 2400 })
      this.rest = new BinanceRestClient({ market, baseUrl: this.endpoints.restBase, budget, timeoutMs: this.timings.restTimeoutMs })
      this.ownsRest = true
    }
    const budget = this.rest.budget
    this.decoder = new BinanceDecoder({
      market,
      venueId: this.venueId,
      registry: this.registry,
      venueName: this.venueName,
      timeUnitUs: this.timeUnitMicros ? 1 : 1000,
    })
    this.requestSnapshotBound = this.requestSnapshot.bind(this)
    this.sync = new BinanceBookSync({
      market,
      venueId: this.venueId,
      requestSnapshot: this.requestSnapshotBound,
      listener: this,
      budget: { tryTake: (w: number) => budget.tryReserve(w) },
      snapshotWeight: depthWeight(market, this.snapshotLimit),
      snapshotTimeoutMs: this.timings.snapshotTimeoutMs,
      maxRetries: this.timings.snapshotMaxRetries,
      backoffBaseMs: this.timings.snapshotBackoffBaseMs,
      backoffMaxMs: this.timings.snapshotBackoffMaxMs,
      budgetRetryMs: this.timings.budgetRetryMs,
      ...(options.maxBookLevels !== undefined ? { maxLevels: options.maxBookLevels } : {}),
    })
    this.trades = new TradeGapTracker(this.venueId)
    this.normalizer = new BinanceNormalizer(this.registry, this.venueId)
  }

  // ------------------------------------------------------------------ lifecycle (cold path)

  /**
   * Loads exchangeInfo, defines the instruments, connects and subscribes.
   * Resolves when every connection is open and subscribed. Rejects (and
   * closes the feed) with CONFIG_INVALID for symbols exchangeInfo does not
   * list, VENUE_SUBSCRIBE_FAILED when the venue refuses a stream, the REST
   * error when exchangeInfo cannot be loaded, or ENGINE_STATE after
   * `startTimeoutMs`. Idempotent.
   */
  start(): Promise<void> {
    if (this.startPromise !== null) return this.startPromise
    if (this.state !== FeedState.Idle) return Promise.reject(new TickflowError(ErrorCode.ENGINE_STATE, `${this.venueName}: feed is ${FEED_STATE_NAMES[this.state]}`))
    this.state = FeedState.Starting
    this.startPromise = this.doStart().then(
      () => {
        if (this.state === FeedState.Starting) this.state = FeedState.Running
      },
      async (err: unknown) => {
        this.log.error({ err: describeError(err) }, 'market feed start failed')
        await this.close()
        this.state = FeedState.Failed
        throw err
      },
    )
    return this.startPromise
  }

  private async doStart(): Promise<void> {
    await this.prepare()
    if (this.state !== FeedState.Starting) throw new TickflowError(ErrorCode.ENGINE_STATE, `${this.venueName}: closed while starting`)
    let timer: NodeJS.Timeout | null = null
    const failure = new Promise<never>((_resolve, reject) => {
      this.startFailure = reject
      timer = setTimeout(
        () => reject(new TickflowError(ErrorCode.ENGINE_STATE, `${this.venueName}: not connected and subscribed within ${this.timings.startTimeoutMs} ms`)),
        this.timings.startTimeoutMs,
      )
      timer.unref()
    })
    try {
      await Promise.race([Promise.all(this.connections.map((c) => c.managed.start(this.abort.signal))), failure])
    } finally {
      if (timer !== null) clearTimeout(timer)
      this.startFailure = null
    }
    this.log.info({ symbols: this.symbols.length, connections: this.connections.length }, 'market feed running')
  }

  /**
   * The cold half of start() without connecting: loads exchangeInfo (REST,
   * or the `exchangeInfo` option), defines the instruments at the wire
   * scales, interns the symbols and plans the connections. start() calls
   * it; call it alone to drive the feed with `ingestFrame` (benchmarks,
   * recorded frames). Idempotent.
   */
  prepare(): Promise<void> {
    if (this.preparePromise === null) this.preparePromise = this.doPrepare()
    return this.preparePromise
  }

  private async doPrepare(): Promise<void> {
    const body = this.options.exchangeInfo ?? (await this.rest.fetchExchangeInfo({ signal: this.abort.signal })).body
    const info = parseExchangeInfo(body, this.market, this.venueName, this.symbols)
    this.exchangeInfo = info
    const defined = defineInstruments(this.registry, info, this.symbols)
    if (defined.missing.length > 0) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `${this.venueName}: unknown symbol(s) ${defined.missing.join(', ')} (not in exchangeInfo)`, {
        details: { venue: this.venueName, symbols: defined.missing },
      })
    }
    for (const sym of this.symbols) {
      const si = info.symbols.get(sym)!
      if (si.spec.status !== InstrumentStatus.Trading) this.log.warn({ symbol: sym, status: si.venueStatus }, 'symbol is not trading')
      const id = this.decoder.addSymbol(sym)
      while (this.symbolById.length <= id) this.symbolById.push('')
      this.symbolById[id] = sym
    }
    this.buildConnections()
  }

  /** The streams of one symbol, by the selection (names from streamName). */
  private streamsOf(symbol: string): { depth: string | null; other: string[] } {
    const sel = this.options.streams ?? {}
    const specs: StreamSpec[] = []
    if (sel.trade === true) specs.push({ kind: 'trade', symbol })
    if (sel.aggTrade === true) specs.push({ kind: 'aggTrade', symbol })
    if (sel.bookTicker === true) specs.push({ kind: 'bookTicker', symbol })
    if (sel.partialDepth != null) specs.push({ kind: 'partialDepth', symbol, levels: sel.partialDepth.levels, speedMs: sel.partialDepth.speedMs })
    for (const i of sel.klines ?? []) specs.push({ kind: 'kline', symbol, interval: i })
    const d = sel.depth ?? true
    let depth: string | null = null
    if (d !== false) depth = streamName(this.market, { kind: 'depth', symbol, speedMs: d === true ? 100 : d.speedMs })
    return { depth, other: specs.map((s) => streamName(this.market, s)) }
  }

  private buildConnections(): void {
    const all: string[] = []
    const depthOwner = new Map<string, number>()
    for (const sym of this.symbols) {
      const id = this.registry.lookup(this.venueName, sym)
      const { depth, other } = this.streamsOf(sym)
      if (depth !== null) {
        all.push(depth)
        depthOwner.set(depth, id)
        this.sync.addInstrument(id, this.registry.priceScales[id]!, this.registry.qtyScales[id]!)
      }
      for (const s of other) all.push(s)
    }
    const max = this.options.maxStreamsPerConnection ?? (this.market === 'spot' ? 1024 : 200)
    if (!Number.isInteger(max) || max < 1 || max > 1024) throw new RangeError(`maxStreamsPerConnection must be 1..1024, got ${max}`)
    const tiers: Array<[UsdmTier | null, string[]]> = []
    if (this.endpoints.routed) {
      const g = groupByTier(all)
      if (g.public.length > 0) tiers.push(['public', g.public])
      if (g.market.length > 0) tiers.push(['market', g.market])
    } else {
      tiers.push([null, all])
    }
    for (const [tier, streams] of tiers) {
      const groups = splitForConnections(streams, max)
      for (let k = 0; k < groups.length; k++) {
        const group = groups[k]!
        const name = `${this.venueName}${tier !== null ? '/' + tier : ''}#${k + 1}`
        const depthIds: number[] = []
        for (const s of group) {
          const id = depthOwner.get(s)
          if (id !== undefined) depthIds.push(id)
        }
        const live = (this.options.subscribeMode ?? 'live') === 'live'
        const subs = live
          ? new SubscriptionManager({
              send: () => Promise.reject(new TickflowError(ErrorCode.WS_NOT_OPEN, `${name}: not connected`)),
              maxStreams: max,
              replyTimeoutMs: this.timings.replyTimeoutMs,
              name,
            })
          : null
        const url = combinedStreamUrl(this.endpoints, live ? [] : group, { tier, timeUnitMicros: this.timeUnitMicros })
        this.connections.push(new FeedConnection(this, name, tier, group, depthIds, (c) => this.createManaged(c, url), subs))
      }
    }
  }

  private createManaged(c: FeedConnection, url: string): ManagedWs {
    const t = this.timings
    return new ManagedWs({
      name: c.name,
      url,
      onFrame: c.onFrame,
      frames: this.framePool,
      onOpen: (conn, reason) => this.onConnectionOpen(c, conn, reason),
      onState: (change) => this.onConnectionState(c, change),
      onError: (err) => this.log.warn({ connection: c.name, err: describeError(err) }, 'market data connection attempt failed'),
      handshakeTimeoutMs: t.handshakeTimeoutMs,
      pingIntervalMs: t.pingIntervalMs,
      pongTimeoutMs: t.pongTimeoutMs,
      staleMs: t.staleMs,
      closeTimeoutMs: t.closeTimeoutMs,
      lifetimeMs: t.lifetimeMs,
      backoff: t.backoff,
      stableAfterMs: t.stableAfterMs,
      handoverMaxMs: t.handoverMaxMs,
      rateLimit: { limit: this.options.messagesPerSecond ?? (this.market === 'spot' ? 5 : 10), intervalMs: 1000 },
      transport: this.options.transport ?? 'raw',
      // The decoder validates UTF-8 itself (fast path: ASCII only; fallback: isUtf8): no second pass in the transport.
      skipUtf8Validation: true,
      onCallbackError: (err) => this.onSinkError(err),
    })
  }

  /**
   * Every new connection (ManagedWs onOpen hook): subscribe its streams.
   * Initial and reconnect: wait for the venue's acknowledgement (the replies
   * arrive through this connection's frame handler). Rotation: the new
   * connection's frames are buffered by ManagedWs until the cutover, so the
   * replies cannot be awaited here; the requests are sent and the replies
   * are matched when the buffer is replayed (a refusal is logged).
   */
  private async onConnectionOpen(c: FeedConnection, conn: WsConnection, reason: OpenReason): Promise<void> {
    if (this.paused) pauseConnection(conn)
    const subs = c.subs
    if (subs === null) return
    const send = (text: string): Promise<void> => conn.write(text)
    try {
      if (reason === 'rotation') {
        subs.resubscribeAll(send).catch((err: unknown) => this.log.error({ connection: c.name, err: describeError(err) }, 'resubscribe after rotation failed'))
        return
      }
      if (!c.subscribedOnce) {
        subs.setSend(send)
        await subs.subscribe(c.streams)
        c.subscribedOnce = true
      } else {
        await subs.resubscribeAll(send)
      }
    } catch (err) {
      // A refused stream will be refused again: fail start() instead of retrying forever.
      if (err instanceof TickflowError && (err.details as { reason?: string } | undefined)?.reason === 'refused' && this.startFailure !== null) {
        this.startFailure(err)
      }
      throw err
    }
  }

  private onConnectionState(c: FeedConnection, change: WsStateChange): void {
    if (change.state === WsState.Reconnecting) {
      // The connection was lost: diffs were missed, so its books are no longer valid.
      for (let i = 0; i < c.depthIds.length; i++) this.sync.restart(c.depthIds[i]!, BookInvalidReason.Reconnect)
      this.log.warn({ connection: c.name, reason: change.reason }, 'market data connection lost; reconnecting')
    } else if (change.state === WsState.Open && change.previous === WsState.Reconnecting) {
      this.log.info({ connection: c.name }, 'market data connection restored')
    }
  }

  /**
   * Unsubscribes (best effort, bounded by closeTimeoutMs), closes every
   * connection with 1000, cancels book timers and snapshot requests, and
   * closes the REST client when the feed created it. Idempotent.
   */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise
    this.closePromise = this.doClose()
    return this.closePromise
  }

  private async doClose(): Promise<void> {
    const wasRunning = this.state === FeedState.Running
    this.state = FeedState.Closing
    if (wasRunning) {
      await Promise.all(
        this.connections.map(async (c) => {
          const subs = c.subs
          if (subs === null || c.managed.connection === null) return
          const active = subs.activeStreams()
          if (active.length === 0) return
          let timer: NodeJS.Timeout | null = null
          try {
            await Promise.race([
              subs.unsubscribe(active),
              new Promise<void>((resolve) => {
                // the reply may queue behind a backlog of data frames: never hold a shutdown for it
                timer = setTimeout(resolve, Math.min(1000, this.timings.closeTimeoutMs))
              }),
            ])
          } catch (err) {
            this.log.debug({ connection: c.name, err: describeError(err) }, 'unsubscribe on close failed')
          } finally {
            if (timer !== null) clearTimeout(timer)
          }
        }),
      )
    }
    this.abort.abort(new TickflowError(ErrorCode.WS_ABORTED, `${this.venueName}: feed closed`))
    await Promise.all(this.connections.map((c) => c.managed.close(1000, 'client closing')))
    for (const c of this.connections) c.subs?.failPending('feed closed')
    this.sync.close()
    if (this.ownsRest) await this.rest.close()
    this.state = FeedState.Closed
  }

  /**
   * Stops reading every socket (dispatcher backpressure): TCP backpressure
   * to the venue; frames already read still arrive. Keep pauses shorter than
   * `staleMs` (a paused connection receives no data) and than the venue's
   * patience (Binance drops a client whose send buffer grows). Connections
   * opened while paused start paused. Needs a transport whose connections
   * can pause in hot-path mode: `stats().pauseSupported` says whether it did.
   */
  pause(): void {
    if (this.paused) return
    this.paused = true
    this.pauses++
    for (const c of this.connections) {
      const conn = c.managed.connection
      if (conn !== null && !pauseConnection(conn) && !this.pauseWarned) {
        this.pauseWarned = true
        this.log.warn({ connection: c.name }, 'the transport cannot pause a hot-path connection: pause() has no effect')
      }
    }
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    for (const c of this.connections) {
      const conn = c.managed.connection
      if (conn !== null) resumeConnection(conn)
    }
  }

  // ------------------------------------------------------------------ hot path

  /**
   * One frame of connection `c` (called from its bound handler). The frame
   * is valid only during the call.
   */
  handleFrame(frame: WsFrame, c: FeedConnection): void {
    const buf = frame.buf
    if (buf === null || this.state >= FeedState.Closed) return
    this.frames++
    // The feed's scratch raw (in its reset state between calls): no pool round trip.
    if (this.frameRawBusy) {
      this.handleFrameReentrant(frame, c)
      return
    }
    const raw = this.frameRaw
    this.frameRawBusy = true
    try {
      raw.recvTsUs = frame.recvTsUs
      const st = this.decoder.decode(buf, frame.start, frame.end, raw, 0)
      if (st !== DecodeStatus.Ok) this.onDecodeError(st, buf.subarray(frame.start, frame.end), c)
      else this.dispatchRaw(raw, c)
    } finally {
      raw.reset()
      this.frameRawBusy = false
    }
  }

  /** A frame handled while another one is (rare): its raw comes from the pool (or is fresh when the pool is empty). */
  private handleFrameReentrant(frame: WsFrame, c: FeedConnection): void {
    const buf = frame.buf!
    let raw = this.rawPool.tryAcquire()
    const pooled = raw !== null
    if (raw === null) {
      this.rawPoolExhausted++
      raw = new ProviderRaw()
    }
    try {
      raw.recvTsUs = frame.recvTsUs
      const st = this.decoder.decode(buf, frame.start, frame.end, raw, 0)
      if (st !== DecodeStatus.Ok) this.onDecodeError(st, buf.subarray(frame.start, frame.end), c)
      else this.dispatchRaw(raw, c)
    } finally {
      if (pooled) this.rawPool.release(raw)
    }
  }

  /**
   * Processes a frame as if the first connection had received it (after
   * `prepare()`): the same synchronous path as live. For benchmarks and for
   * feeding recorded frames; the frame is only read during the call.
   */
  ingestFrame(frame: WsFrame): void {
    const c = this.connections[0]
    if (c === undefined) throw new TickflowError(ErrorCode.ENGINE_STATE, `${this.venueName}: ingestFrame before prepare()`)
    this.handleFrame(frame, c)
  }

  /**
   * A REST depth snapshot body for an instrument, as if the feed had fetched
   * it (the book sync validates it like any other). Returns false when it
   * does not decode.
   */
  ingestSnapshot(instrumentId: number, body: Buffer, recvTsUs: number): boolean {
    const raw = this.snapshotRaw
    raw.reset()
    raw.recvTsUs = recvTsUs
    if (this.decoder.decodeSnapshot(body, 0, body.length, instrumentId, raw) !== DecodeStatus.Ok) {
      this.snapshotDecodeErrors++
      return false
    }
    raw.recvTsUs = recvTsUs
    this.sync.onSnapshot(raw)
    raw.reset()
    return true
  }

  private dispatchRaw(raw: ProviderRaw, c: FeedConnection): void {
    let ev: CanonicalEvent | null
    switch (raw.type) {
      case RawType.DepthUpdate:
        // Applied diffs come back through onDiffApplied (BookDelta); gaps through onStatus.
        this.sync.onDiff(raw)
        return
      case RawType.Trade:
      case RawType.AggTrade: {
        const tc = this.trades.check(raw, this.gapScratch)
        if (tc === TradeCheck.Gap) {
          ev = this.acquireEvent(EventKind.TradeGap)
          if (ev !== null) this.emit(ev.copyFrom(this.gapScratch))
          this.gapScratch.reset()
        } else if (tc === TradeCheck.Duplicate) {
          this.tradeDuplicates++
          return
        }
        ev = this.acquireEvent(EventKind.Trade)
        if (ev !== null) {
          this.normalizer.trade(raw, ev)
          this.emit(ev)
        }
        return
      }
      case RawType.BookTicker:
        ev = this.acquireEvent(EventKind.Quote)
        if (ev !== null) {
          this.normalizer.quote(raw, ev)
          this.emit(ev)
        }
        return
      case RawType.PartialDepth:
        ev = this.acquireEvent(EventKind.BookDelta)
        if (ev !== null) {
          this.normalizer.bookDelta(raw, ev, true)
          this.emit(ev)
        }
        return
      case RawType.Kline:
        ev = this.acquireEvent(EventKind.Bar)
        if (ev !== null) {
          this.normalizer.bar(raw, ev)
          this.emit(ev)
        }
        return
      case RawType.Reply:
      case RawType.Error:
        this.onReply(raw, c)
        return
      case RawType.ServerShutdown:
        c.serverShutdowns++
        this.log.warn({ connection: c.name }, 'serverShutdown received; replacing the connection')
        c.managed.requestReconnect('serverShutdown')
        return
      default:
        return
    }
  }

  /**
   * Market-data exhaustion policy for CanonicalEvent (the sink owns events
   * until it releases them): drop the event and count it per kind. The
   * feed's own state (books, trade ids) is already updated, so only the
   * consumers miss it.
   */
  private acquireEvent(kind: number): CanonicalEvent | null {
    const ev = this.eventPool.tryAcquire()
    if (ev === null) {
      this.droppedByKind[kind] = this.droppedByKind[kind]! + 1
      this.droppedTotal++
    }
    return ev
  }

  /** Hands `ev` to the sink (ownership passes). A throwing sink is counted and logged, never propagated. */
  private emit(ev: CanonicalEvent): void {
    this.eventsByKind[ev.kind] = this.eventsByKind[ev.kind]! + 1
    try {
      this.sink.onMarketEvent(ev)
    } catch (err) {
      this.onSinkError(err)
    }
  }

  // ------------------------------------------------------------------ book sync listener

  onDiffApplied(_book: ReadonlyOrderBook, raw: ProviderRaw): void {
    const ev = this.acquireEvent(EventKind.BookDelta)
    if (ev === null) return
    this.normalizer.bookDelta(raw, ev, false)
    this.emit(ev)
  }

  onSnapshotApplied(_book: ReadonlyOrderBook, raw: ProviderRaw): void {
    const ev = this.acquireEvent(EventKind.BookDelta)
    if (ev === null) return
    this.normalizer.bookDelta(raw, ev, true)
    this.emit(ev)
  }

  onStatus(status: CanonicalEvent): void {
    const ev = this.acquireEvent(status.kind)
    if (ev === null) return
    this.emit(ev.copyFrom(status))
  }

  // ------------------------------------------------------------------ rare paths

  private onDecodeError(status: number, data: Buffer, c: FeedConnection): void {
    this.decodeErrors++
    this.decodeErrorsByStatus[status] = this.decodeErrorsByStatus[status]! + 1
    if (this.decodeErrors === 1 || this.decodeErrors % this.errorLogEvery === 0) {
      this.log.warn(
        {
          connection: c.name,
          code: this.decoder.lastError,
          status: DECODE_STATUS_NAMES[status] ?? String(status),
          count: this.decodeErrors,
          frame: data.subarray(0, 120).toString('utf8'),
        },
        'undecodable market data frame (dropped)',
      )
    }
  }

  private onSinkError(err: unknown): void {
    this.sinkErrors++
    if (this.sinkErrors === 1 || this.sinkErrors % this.errorLogEvery === 0) {
      this.log.error({ err: describeError(err), count: this.sinkErrors }, 'market event sink threw')
    }
  }

  private onReply(raw: ProviderRaw, c: FeedConnection): void {
    const subs = c.subs
    let matched = false
    if (subs !== null) {
      if (raw.type === RawType.Reply) {
        const r = this.decoder.lastReplyResult
        matched = subs.handleReply(raw.replyId, true, 0, '', Array.isArray(r) ? (r as string[]) : null)
      } else {
        matched = subs.handleReply(raw.replyId, false, raw.errorCode, raw.errorMsg)
      }
    }
    if (!matched) c.repliesUnmatched++
    if (raw.type === RawType.Error) this.log.warn({ connection: c.name, id: raw.replyId, code: raw.errorCode, msg: raw.errorMsg }, 'venue error reply')
  }

  /** BookSync requestSnapshot callback (its weight was already taken from the budget). */
  private requestSnapshot(instrumentId: number): void {
    this.snapshotRequests++
    void this.fetchSnapshot(instrumentId)
  }

  private async fetchSnapshot(id: number): Promise<void> {
    const symbol = this.symbolById[id] ?? ''
    try {
      // weight 0: the book sync took the request's weight from the budget before asking.
      const res = await this.rest.get(`${restApiPrefix(this.market)}/depth`, { symbol, limit: this.snapshotLimit }, { weight: 0, signal: this.abort.signal })
      if (this.state >= FeedState.Closing) return
      const raw = this.snapshotRaw
      raw.reset()
      const recv = this.clock.nowUs()
      raw.recvTsUs = recv
      const st = this.decoder.decodeSnapshot(res.body, 0, res.body.length, id, raw)
      if (st !== DecodeStatus.Ok) {
        this.snapshotDecodeErrors++
        this.snapshotFailures++
        this.log.warn({ symbol, code: this.decoder.lastError }, 'undecodable depth snapshot')
        this.sync.onSnapshotFailed(id)
        return
      }
      raw.recvTsUs = recv
      this.sync.onSnapshot(raw)
      raw.reset()
    } catch (err) {
      if (this.state >= FeedState.Closing) return
      this.snapshotFailures++
      this.log.warn({ symbol, err: describeError(err) }, 'depth snapshot request failed')
      this.sync.onSnapshotFailed(id)
    }
  }

  // ------------------------------------------------------------------ queries (cold path)

  /** The instrument id of a venue symbol (0 when not part of this feed). */
  instrumentId(symbol: string): number {
    return this.registry.lookup(this.venueName, symbol.toUpperCase())
  }

  /** The local book of an instrument (read it only while `bookState` is 'synced'), or null. */
  book(instrumentId: number): ReadonlyOrderBook | null {
    return this.sync.book(instrumentId)
  }

  /** 'idle' | 'buffering' | 'awaitingSnapshot' | 'synced' | 'failed' (idle for unknown ids). */
  bookState(instrumentId: number): string {
    return this.sync.stats(instrumentId)?.state ?? 'idle'
  }

  /** True when the instrument's book is in sync. */
  isSynced(instrumentId: number): boolean {
    return this.sync.state(instrumentId) === BookSyncState.Synced
  }

  /** Drops and resyncs one book (e.g. after an external consistency check failed). */
  resync(instrumentId: number): void {
    this.sync.restart(instrumentId, BookInvalidReason.Manual)
  }

  top(instrumentId: number, out: MarketTop): boolean {
    if (this.sync.state(instrumentId) !== BookSyncState.Synced) return false
    const b = this.sync.book(instrumentId)!
    out.bidPxM = b.bidLevels > 0 ? b.bestBidPx() : 0
    out.bidQtyM = b.bidLevels > 0 ? b.bestBidQty() : 0
    out.askPxM = b.askLevels > 0 ? b.bestAskPx() : 0
    out.askQtyM = b.askLevels > 0 ? b.bestAskQty() : 0
    out.priceScale = b.priceScale
    out.qtyScale = b.qtyScale
    return true
  }

  /** The parsed exchangeInfo (after start), e.g. for the order side's filters. */
  get instruments(): BinanceExchangeInfo | null {
    return this.exchangeInfo
  }

  /** The feed's state name. */
  get stateName(): string {
    return FEED_STATE_NAMES[this.state]!
  }

  stats(): BinanceFeedStats {
    const events: Record<string, number> = {}
    const dropped: Record<string, number> = {}
    for (let k = 1; k < EVENT_KIND_COUNT; k++) {
      events[EVENT_KIND_NAMES[k]!] = this.eventsByKind[k]!
      dropped[EVENT_KIND_NAMES[k]!] = this.droppedByKind[k]!
    }
    const decodeErrorsByStatus: Record<string, number> = {}
    for (let k = 1; k < DECODE_STATUS_NAMES.length; k++) decodeErrorsByStatus[DECODE_STATUS_NAMES[k]!] = this.decodeErrorsByStatus[k]!
    const symbols: Record<string, FeedSymbolStats> = {}
    for (const sym of this.symbols) {
      const id = this.registry.lookup(this.venueName, sym)
      if (id === 0) continue
      const si = this.exchangeInfo?.symbols.get(sym)
      symbols[sym] = { instrumentId: id, status: si?.venueStatus ?? '', book: this.sync.stats(id), trades: this.trades.stats(id) }
    }
    let reconnects = 0
    let serverShutdowns = 0
    const connections: FeedConnectionStats[] = []
    for (const c of this.connections) {
      const t = c.managed.stats()
      reconnects += t.reconnects
      serverShutdowns += c.serverShutdowns
      connections.push({
        name: c.name,
        tier: c.tier ?? '',
        streams: c.streams.length,
        transport: t,
        subscriptions: c.subs?.stats() ?? null,
        serverShutdowns: c.serverShutdowns,
        repliesUnmatched: c.repliesUnmatched,
      })
    }
    const d = this.decoder.stats()
    return {
      venueId: this.venueId,
      venueName: this.venueName,
      market: this.market,
      state: FEED_STATE_NAMES[this.state]!,
      paused: this.paused,
      pauses: this.pauses,
      pauseSupported: this.connections.length > 0 && this.connections[0]!.managed.connection !== null ? pausable(this.connections[0]!.managed.connection) !== null : false,
      frames: this.frames,
      decodeErrors: this.decodeErrors,
      decodeErrorsByStatus,
      decoder: { fastPath: d.fastPath, fallbackPath: d.fallbackPath },
      events,
      dropped,
      droppedTotal: this.droppedTotal,
      rawPoolExhausted: this.rawPoolExhausted,
      tradeDuplicates: this.tradeDuplicates,
      sinkErrors: this.sinkErrors,
      serverShutdowns,
      reconnects,
      snapshotRequests: this.snapshotRequests,
      snapshotFailures: this.snapshotFailures,
      snapshotDecodeErrors: this.snapshotDecodeErrors,
      connections,
      symbols,
      rest: this.rest.stats(),
    }
  }
}

/**
 * Receive backpressure on one connection. WsConnection pauses its socket in
 * read() mode only (as of this writing); hot-path pause()/resume() is looked
 * up structurally so the feed uses it as soon as the transport has it.
 */
interface Pausable {
  pause(): void
  resume(): void
}

function pausable(conn: WsConnection): Pausable | null {
  const p = conn as unknown as Partial<Pausable>
  return typeof p.pause === 'function' && typeof p.resume === 'function' ? (p as Pausable) : null
}

/** Pauses reading; false when the connection cannot. */
function pauseConnection(conn: WsConnection): boolean {
  const p = pausable(conn)
  if (p === null) return false
  p.pause()
  return true
}

function resumeConnection(conn: WsConnection): void {
  pausable(conn)?.resume()
}
