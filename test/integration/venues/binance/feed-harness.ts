/**
 * Shared set-up for the BinanceMarketFeed integration tests: a replay server
 * with a fixture capture, a feed on real pools pointed at it, and a sink that
 * counts events, keeps copies of the rare ones, runs the book checks (the
 * same BookChecker as `tickflow replay --verify`) and releases every event.
 */
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { BookChecker } from '../../../../src/replay/book-checker.js'
import { CanonicalEvent, EventKind, EVENT_KIND_COUNT } from '../../../../src/model/events.js'
import { InstrumentRegistry } from '../../../../src/model/instrument.js'
import type { MarketEventSink } from '../../../../src/model/market-ports.js'
import { ProviderRaw } from '../../../../src/model/provider-raw.js'
import { createHotPools, type HotPools } from '../../../../src/runtime/pools.js'
import { BinanceMarketFeed, type BinanceMarketFeedOptions } from '../../../../src/venues/binance/market-feed.js'
import { customEndpoints } from '../../../../src/venues/binance/urls.js'
import { BINANCE_FIXTURES } from '../../../helpers/paths.js'
import { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../../../helpers/replay-server.js'

const CF = path.join(BINANCE_FIXTURES, 'cryptofeed', 'sample_data')
const HFT = path.join(BINANCE_FIXTURES, 'hftbacktest', 'examples')

export const FIXTURES = {
  spotCryptofeed: [path.join(CF, 'BINANCE.ws.1.0')],
  usdmCryptofeed: [path.join(CF, 'BINANCE_FUTURES.ws.1.0')],
  spotHft: [path.join(HFT, 'spot', 'btcusdt_20240808.gz')],
  spotHftBoth: [path.join(HFT, 'spot', 'btcusdt_20240808.gz'), path.join(HFT, 'spot', 'btcusdt_20240809.gz')],
  usdmHft: [path.join(HFT, 'usdm', 'btcusdt_20240808.gz')],
  /** exchangeInfo bodies (line 1 of cryptofeed's `.0` files, after "url -> ts: ") */
  spotExchangeInfo: (): Buffer => exchangeInfoBody(path.join(CF, 'BINANCE.0')),
  usdmExchangeInfo: (): Buffer => exchangeInfoBody(path.join(CF, 'BINANCE_FUTURES.0')),
}

export function exchangeInfoBody(file: string): Buffer {
  const buf = readFileSync(file)
  const nl = buf.indexOf(10)
  const line = buf.subarray(0, nl < 0 ? buf.length : nl)
  return line.subarray(line.indexOf(': ') + 2)
}

/** A status or gap event, copied (the pooled one is released). */
export interface SeenStatus {
  kind: number
  instrumentId: number
  reason: number
  gapFrom: number
  gapTo: number
}

export class TestSink implements MarketEventSink {
  feed: BinanceMarketFeed | null = null
  readonly counts = new Float64Array(EVENT_KIND_COUNT)
  readonly statuses: SeenStatus[] = []
  readonly checker = new BookChecker()
  /** BookDelta events per instrument (applied diffs, not snapshots) */
  readonly diffs = new Map<number, number>()
  readonly quotes = new Map<number, number>()
  readonly trades = new Map<number, number>()
  /** tsRecvUs of every event was > 0 */
  badRecvTs = 0
  crossedAfterDiff = 0
  private readonly tickerRaw = new ProviderRaw()

  constructor(private readonly pools: HotPools) {}

  onMarketEvent(ev: CanonicalEvent): void {
    this.counts[ev.kind]!++
    if (ev.tsRecvUs <= 0) this.badRecvTs++
    const id = ev.instrumentId
    switch (ev.kind) {
      case EventKind.BookDelta:
        if (!ev.isSnapshot) {
          this.diffs.set(id, (this.diffs.get(id) ?? 0) + 1)
          const book = this.feed!.book(id)!
          this.checker.onDiffApplied(book, ev.venueSeq)
          if (book.bidLevels > 0 && book.askLevels > 0 && book.bestBidPx() >= book.bestAskPx()) this.crossedAfterDiff++
        }
        break
      case EventKind.Quote: {
        this.quotes.set(id, (this.quotes.get(id) ?? 0) + 1)
        const r = this.tickerRaw
        r.instrumentId = id
        r.updateId = ev.venueSeq
        r.bidPxM = ev.bidPxM
        r.bidQtyM = ev.bidQtyM
        r.askPxM = ev.askPxM
        r.askQtyM = ev.askQtyM
        // Ticks received while the book is not synced cannot be checked (replay counts them as unmatched too).
        if (this.feed!.isSynced(id)) this.checker.onTicker(r)
        break
      }
      case EventKind.Trade:
        this.trades.set(id, (this.trades.get(id) ?? 0) + 1)
        break
      case EventKind.BookInvalidated:
      case EventKind.BookResynced:
      case EventKind.TradeGap:
        this.statuses.push({ kind: ev.kind, instrumentId: id, reason: ev.reason, gapFrom: ev.gapFrom, gapTo: ev.gapTo })
        break
      default:
        break
    }
    this.pools.canonicalEvent.release(ev)
  }

  statusesOf(kind: number, instrumentId = 0): SeenStatus[] {
    return this.statuses.filter((s) => s.kind === kind && (instrumentId === 0 || s.instrumentId === instrumentId))
  }

  checks(id: number): { checks: number; mismatches: number } {
    const s = this.checker.stats(id)
    return { checks: s.checks, mismatches: s.mismatches }
  }
}

export interface Harness {
  server: ReplayServer
  feed: BinanceMarketFeed
  sink: TestSink
  pools: HotPools
  registry: InstrumentRegistry
  ids: Map<string, number>
  close(): Promise<void>
}

/** Fast timers for tests (the production defaults are in BinanceFeedTimings). */
export const FAST_TIMINGS = {
  handshakeTimeoutMs: 2000,
  pingIntervalMs: 0,
  staleMs: 0,
  closeTimeoutMs: 1000,
  backoff: { initialMs: 20, maxMs: 200 },
  replyTimeoutMs: 2000,
  startTimeoutMs: 10_000,
  snapshotTimeoutMs: 2000,
  snapshotBackoffBaseMs: 20,
  snapshotBackoffMaxMs: 200,
  budgetRetryMs: 50,
  restTimeoutMs: 2000,
}

export async function startHarness(
  serverOptions: ReplayServerOptions,
  feedOptions: Partial<BinanceMarketFeedOptions> & Pick<BinanceMarketFeedOptions, 'streams'>,
  routed = false,
  poolDebug = true,
): Promise<Harness> {
  const server = await startReplayServer(serverOptions)
  // Debug pools record a stack per acquire (leak reports): on for the small captures, off for volume.
  const pools = createHotPools({}, { debug: poolDebug })
  const registry = new InstrumentRegistry()
  const sink = new TestSink(pools)
  const market = server.market
  const feed = new BinanceMarketFeed({
    market,
    endpoints: customEndpoints(market, server.url, server.restUrl, routed),
    symbols: server.symbols(),
    registry,
    pools,
    sink,
    ...feedOptions,
    timings: { ...FAST_TIMINGS, ...feedOptions.timings },
  })
  sink.feed = feed
  let closed = false
  const h: Harness = {
    server,
    feed,
    sink,
    pools,
    registry,
    ids: new Map(),
    async close() {
      if (closed) return
      closed = true
      await feed.close()
      await server.close()
    },
  }
  try {
    await feed.start()
  } catch (err) {
    await h.close()
    throw err
  }
  for (const s of server.symbols()) h.ids.set(s, feed.instrumentId(s))
  return h
}

/** Leased objects of the three market-data pools (0 when nothing leaked). */
export function leased(pools: HotPools): { frames: number; raws: number; events: number } {
  return {
    frames: pools.wsFrame.stats().leased,
    raws: pools.providerRaw.stats().leased,
    events: pools.canonicalEvent.stats().leased,
  }
}
