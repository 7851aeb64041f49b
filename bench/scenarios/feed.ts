/**
 * feed.path: the live adapter's per-frame path, in process (no socket).
 *
 * Subject: BinanceMarketFeed.ingestFrame for every frame of the real
 *   hftbacktest Spot BTCUSDT capture (0808: 41k frames: depth@100ms,
 *   bookTicker, trade), its snapshot ingested where it was recorded: decode
 *   into a POOLED ProviderRaw, book sync, trade-gap check, normalize into a
 *   POOLED CanonicalEvent, hand it to a sink that releases it (what the
 *   merger does after dispatch).
 * Baseline: the same pieces wired bare, as the replay tool does (one scratch
 *   raw and one scratch event, no pools, no sink call).
 * The ratio is the cost of the feed's ownership model (pool acquire/release,
 * sink call, try/finally, counters). A regression here is paid on every frame.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import { compare, sideBySide, type Scenario, type ScenarioResult } from '../harness.js'
import { readCapture, RecordKind, type CaptureSession } from '../../src/capture/reader.js'
import { CanonicalEvent } from '../../src/model/events.js'
import { InstrumentRegistry } from '../../src/model/instrument.js'
import { ProviderRaw, RawType } from '../../src/model/provider-raw.js'
import { createHotPools, type HotPools } from '../../src/runtime/pools.js'
import { WsFrame } from '../../src/transport/ws-frame.js'
import { BinanceBookSync, type BookSyncListener } from '../../src/venues/binance/book-sync.js'
import { BinanceDecoder, DecodeStatus } from '../../src/venues/binance/codec/decoder.js'
import { defineInstruments, parseExchangeInfo } from '../../src/venues/binance/instruments.js'
import { BinanceMarketFeed } from '../../src/venues/binance/market-feed.js'
import { BinanceNormalizer } from '../../src/venues/binance/normalize.js'
import { TradeCheck, TradeGapTracker } from '../../src/venues/binance/trade-gaps.js'
import { customEndpoints } from '../../src/venues/binance/urls.js'
import { ManualScheduler } from '../../src/book/scheduler.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const FIXTURES = path.join(process.env.TICKFLOW_SHARED ?? path.resolve(REPO_ROOT, '..', 'shared'), 'fixtures', 'binance')
const SPOT_FILE = path.join(FIXTURES, 'hftbacktest', 'examples', 'spot', 'btcusdt_20240808.gz')
const EXCHANGE_INFO = path.join(FIXTURES, 'cryptofeed', 'sample_data', 'BINANCE.0')

function exchangeInfo(): Buffer {
  const buf = readFileSync(EXCHANGE_INFO)
  const line = buf.subarray(0, buf.indexOf(10))
  return line.subarray(line.indexOf(': ') + 2)
}

class ReleasingSink {
  events = 0
  constructor(private readonly pools: HotPools) {}
  onMarketEvent(ev: CanonicalEvent): void {
    this.events++
    this.pools.canonicalEvent.release(ev)
  }
}

async function makeFeed(info: Buffer): Promise<BinanceMarketFeed> {
  const pools = createHotPools()
  const feed = new BinanceMarketFeed({
    market: 'spot',
    endpoints: customEndpoints('spot', 'ws://127.0.0.1:9', 'http://127.0.0.1:9'),
    symbols: ['BTCUSDT'],
    streams: { trade: true, bookTicker: true, depth: true },
    registry: new InstrumentRegistry(),
    pools,
    sink: new ReleasingSink(pools),
    exchangeInfo: info,
    // The sync's one snapshot request goes to a closed port and fails after the loop (ignored:
    // the capture's own snapshot is ingested synchronously where it was recorded).
    timings: { snapshotTimeoutMs: 0 },
  })
  await feed.prepare()
  return feed
}

/** The bare pieces (baseline), wired like src/replay/replay.ts. */
class BarePath implements BookSyncListener {
  readonly registry = new InstrumentRegistry()
  readonly decoder: BinanceDecoder
  readonly sync: BinanceBookSync
  readonly trades = new TradeGapTracker(1)
  readonly normalizer: BinanceNormalizer
  readonly raw = new ProviderRaw()
  readonly ev = new CanonicalEvent()
  readonly id: number
  events = 0
  constructor(info: Buffer) {
    defineInstruments(this.registry, parseExchangeInfo(info, 'spot', 'binance-spot', ['BTCUSDT']), ['BTCUSDT'])
    const venueId = this.registry.venueId('binance-spot')
    this.decoder = new BinanceDecoder({ market: 'spot', venueId, registry: this.registry, venueName: 'binance-spot' })
    this.id = this.decoder.addSymbol('BTCUSDT')
    this.sync = new BinanceBookSync({ market: 'spot', venueId, requestSnapshot: () => {}, listener: this, scheduler: new ManualScheduler(), snapshotTimeoutMs: 0 })
    this.sync.addInstrument(this.id, this.registry.priceScales[this.id]!, this.registry.qtyScales[this.id]!)
    this.normalizer = new BinanceNormalizer(this.registry, venueId)
  }
  frame(data: Buffer, recv: number): void {
    const raw = this.raw
    raw.reset()
    raw.recvTsUs = recv
    if (this.decoder.decode(data, 0, data.length, raw, 0) !== DecodeStatus.Ok) return
    raw.recvTsUs = recv
    const ev = this.ev
    ev.reset()
    if (raw.type === RawType.DepthUpdate) {
      this.sync.onDiff(raw)
      return
    }
    if (raw.type === RawType.Trade && this.trades.check(raw, ev) === TradeCheck.Duplicate) return
    ev.reset()
    if (this.normalizer.normalize(raw, ev)) this.events++
  }
  snapshot(data: Buffer, recv: number): void {
    const raw = this.raw
    raw.reset()
    raw.recvTsUs = recv
    if (this.decoder.decodeSnapshot(data, 0, data.length, this.id, raw) === DecodeStatus.Ok) this.sync.onSnapshot(raw)
  }
  onDiffApplied(_b: unknown, raw: ProviderRaw): void {
    this.ev.reset()
    this.normalizer.bookDelta(raw, this.ev, false)
    this.events++
  }
  onSnapshotApplied(_b: unknown, raw: ProviderRaw): void {
    this.ev.reset()
    this.normalizer.bookDelta(raw, this.ev, true)
    this.events++
  }
  onStatus(): void {
    this.events++
  }
}

async function pathScenario(quick: boolean, log: (l: string) => void): Promise<ScenarioResult[]> {
  const session: CaptureSession = readCapture([SPOT_FILE])
  const records = session.records.filter((r) => r.kind !== RecordKind.Rest)
  const frames = records.filter((r) => r.kind === RecordKind.WsFrame).length
  const info = exchangeInfo()
  const rounds = quick ? 3 : 7
  // One fresh feed / bare path per measured round (+1 warm-up): trade ids and books start over.
  const feeds: BinanceMarketFeed[] = []
  for (let i = 0; i <= rounds; i++) feeds.push(await makeFeed(info))
  const bares: BarePath[] = []
  for (let i = 0; i <= rounds; i++) bares.push(new BarePath(info))
  let feed = feeds[0]!
  let bare = bares[0]!
  let fi = 0
  let bi = 0
  const frame = new WsFrame()
  const [sub, base] = compare(
    [
      {
        name: 'BinanceMarketFeed.ingestFrame (pooled raw + event, sink)',
        setup: () => {
          feed = feeds[fi++ % feeds.length]!
        },
        run: () => {
          const id = feed.instrumentId('BTCUSDT')
          for (let i = 0; i < records.length; i++) {
            const r = records[i]!
            if (r.kind === RecordKind.DepthSnapshot) {
              feed.ingestSnapshot(id, r.data, r.recvTsUs)
              continue
            }
            frame.data = r.data
            frame.recvTsUs = r.recvTsUs
            feed.ingestFrame(frame)
          }
          return feed
        },
      },
      {
        name: 'bare decoder + book sync + trade gaps + normalizer (scratch objects)',
        setup: () => {
          bare = bares[bi++ % bares.length]!
        },
        run: () => {
          for (let i = 0; i < records.length; i++) {
            const r = records[i]!
            if (r.kind === RecordKind.DepthSnapshot) bare.snapshot(r.data, r.recvTsUs)
            else bare.frame(r.data, r.recvTsUs)
          }
          return bare
        },
      },
    ],
    records.length,
    rounds,
  )
  const st = feeds[1]!.stats()
  log(`feed.path: ${frames} frames; feed events ${JSON.stringify(st.events)}; decode errors ${st.decodeErrors}; dropped ${st.droppedTotal}`)
  for (const f of feeds) await f.close()
  return [
    sideBySide('feed.path', sub!, 'bare pieces (replay wiring)', base!, { frames, synced: feeds[1]!.bookState(feeds[1]!.instrumentId('BTCUSDT')) }),
  ]
}

export const feedScenario: Scenario = {
  name: 'feed',
  description: 'BinanceMarketFeed per-frame path (pooled raw/event, sink) vs the bare decoder+sync+normalizer wiring, real Spot frames',
  run: (ctx) => pathScenario(ctx.quick, ctx.log),
}
