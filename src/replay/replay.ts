/**
 * Replay of recorded Binance captures through the live market-data path:
 * the same BinanceDecoder, BinanceBookSync, TradeGapTracker and
 * BinanceNormalizer a live connection uses, fed from capture records in
 * receive order instead of a socket.
 *
 *   capture records ──► decoder ──► raw ──┬─ depthUpdate ─► book sync ─► BookDelta (applied), BookInvalidated/Resynced
 *   (readCapture)                         ├─ bookTicker ──► Quote (+ book checker)
 *                                         ├─ trade/aggTrade ─► trade gaps ─► Trade (+ TradeGap)
 *                                         └─ kline / partial depth ─► Bar / BookDelta
 *   REST snapshot records ─► decoder.decodeSnapshot ─► book sync.onSnapshot
 *
 * Snapshot records answer the book sync's snapshot requests in capture order.
 * A snapshot record that arrives with no request pending is still offered
 * (the recorder asked for it after the first diff, as the sync would).
 * cryptofeed snapshots name their symbol in the URL; hftbacktest ones do
 * not, and go to the oldest pending request (or the session's only symbol).
 * Time is virtual (ManualScheduler moved to each record's receive time), so
 * backoff timers behave as they would have live; snapshot timeouts are off
 * (the capture holds every answer there will ever be).
 *
 * A tool, not the hot path: clarity first, but it runs the ~200k fixture
 * frames in a few seconds (bench/scenarios/book.ts measures frames/s).
 */
import { ManualScheduler } from '../book/scheduler.js'
import type { ReadonlyOrderBook } from '../book/order-book.js'
import { readCapture, RecordKind, type CaptureRecord, type CaptureSession } from '../capture/reader.js'
import { ErrorCode, TickflowError } from '../core/errors.js'
import { formatDecimal } from '../core/fixed-point.js'
import { CanonicalEvent, EventKind, EVENT_KIND_COUNT, EVENT_KIND_NAMES } from '../model/events.js'
import { InstrumentRegistry } from '../model/instrument.js'
import { ProviderRaw, RawType } from '../model/provider-raw.js'
import { BinanceBookSync, BOOK_INVALID_REASON_NAMES, BookSyncState, type BookSyncListener } from '../venues/binance/book-sync.js'
import { BinanceDecoder, DecodeStatus } from '../venues/binance/codec/decoder.js'
import { decodeWithJson } from '../venues/binance/codec/fallback.js'
import { BinanceNormalizer } from '../venues/binance/normalize.js'
import { TradeCheck, TradeGapTracker } from '../venues/binance/trade-gaps.js'
import { BookChecker, type BookCheckMismatch } from './book-checker.js'
import { defineFromExchangeInfo } from './instruments.js'

export interface ReplayOptions {
  /** run the book checker (bookTicker vs local book) */
  verify?: boolean
  /** 'auto' = the decoder (fast path, JSON.parse fallback for what it does not know); 'fallback' = JSON.parse mapping only (benchmarks) */
  decodePath?: 'auto' | 'fallback'
  /** keep a record (true) or drop it (false): simulates lost frames in tests */
  filter?: (record: CaptureRecord, index: number) => boolean
  /** every canonical event produced, valid only during the call */
  onEvent?: (ev: CanonicalEvent) => void
}

export interface ReplaySymbolReport {
  instrumentId: number
  state: string
  diffs: number
  diffsApplied: number
  diffsDiscarded: number
  gaps: number
  resyncs: number
  snapshotRequests: number
  snapshotsApplied: number
  snapshotsStale: number
  crossedBooks: number
  bookChecks: number
  bookMismatches: number
  bookTickers: number
  tickersUnmatched: number
  tickersHeldDropped: number
  mismatchSamples: BookCheckMismatch[]
  trades: number
  aggTrades: number
  tradeGaps: number
  tradeMissingIds: number
  tradeDuplicates: number
  updateId: number
  bidLevels: number
  askLevels: number
  bestBid: string | null
  bestAsk: string | null
  invalidations: Array<{ reason: string; gapFrom: number; gapTo: number; updateId: number }>
}

export interface ReplayReport {
  captures: string[]
  market: 'spot' | 'usdm'
  verified: boolean
  /** true when verification passed (always true without --verify unless decoding failed) */
  ok: boolean
  failures: string[]
  frames: number
  snapshotRecords: number
  otherRecords: number
  droppedRecords: number
  events: Record<string, number>
  decodeErrors: number
  decodeErrorsByStatus: Record<string, number>
  decoder: { fastPath: number; fallbackPath: number }
  /** book sequence gaps + trade-id gaps */
  gaps: number
  bookGaps: number
  tradeGaps: number
  tradeDuplicates: number
  resyncs: number
  bookChecks: number
  bookMismatches: number
  crossedBooks: number
  diffsApplied: number
  diffsDiscarded: number
  snapshotsUnrouted: number
  unsyncedSymbols: string[]
  symbols: Record<string, ReplaySymbolReport>
  elapsedMs: number
  framesPerSec: number
}

const DECODE_STATUS_NAMES = ['ok', 'malformed', 'unknownSymbol', 'badNumber', 'unsupported', 'oversize', 'invalidUtf8']
const SYMBOL_IN_URL = /[?&]symbol=([A-Za-z0-9_]+)/

/** Venue symbols named by stream names ("nknusdt@depth@100ms") and snapshot URLs. */
export function sessionSymbols(session: CaptureSession): string[] {
  const out: string[] = []
  const add = (s: string): void => {
    const u = s.toUpperCase()
    if (u !== '' && !out.includes(u)) out.push(u)
  }
  for (const st of session.streams) {
    const at = st.indexOf('@')
    if (at > 0) add(st.slice(0, at))
  }
  for (const r of session.records) {
    if (r.kind !== RecordKind.DepthSnapshot) continue
    const m = SYMBOL_IN_URL.exec(r.url)
    if (m !== null) add(m[1]!)
  }
  return out
}

/** Replays capture files (one session, in order). Throws TickflowError on unreadable input. */
export function replayFiles(files: string[], options: ReplayOptions = {}): ReplayReport {
  return replaySession(readCapture(files), options)
}

/** Replays an already-read capture session. */
export function replaySession(session: CaptureSession, options: ReplayOptions = {}): ReplayReport {
  if (session.market !== 'spot' && session.market !== 'usdm') {
    throw new TickflowError(ErrorCode.REPLAY_FORMAT, `cannot tell the market (spot or usdm) of ${session.files.join(', ')}`)
  }
  return new ReplayRun(session, session.market, options).run()
}

class ReplayRun implements BookSyncListener {
  private readonly registry = new InstrumentRegistry()
  private readonly venueName: string
  private readonly venueId: number
  private readonly decoder: BinanceDecoder
  private readonly sync: BinanceBookSync
  private readonly trades: TradeGapTracker
  private readonly normalizer: BinanceNormalizer
  private readonly checker = new BookChecker()
  private readonly scheduler = new ManualScheduler()
  private readonly raw = new ProviderRaw()
  private readonly ev = new CanonicalEvent()
  private readonly symbols: string[]
  private readonly ids: number[] = []
  /** instruments whose snapshot was requested and not yet answered, oldest first */
  private readonly pending: number[] = []
  private readonly eventsByKind = new Float64Array(EVENT_KIND_COUNT)
  private readonly decodeErrorsByStatus = new Float64Array(DECODE_STATUS_NAMES.length)
  private readonly diffsById: number[] = []
  private readonly invalidations = new Map<number, ReplaySymbolReport['invalidations']>()
  private readonly verify: boolean
  private readonly fallbackOnly: boolean
  private fallbackCount = 0
  private frames = 0
  private snapshotRecords = 0
  private otherRecords = 0
  private droppedRecords = 0
  private decodeErrors = 0
  private snapshotsUnrouted = 0

  constructor(
    private readonly session: CaptureSession,
    private readonly market: 'spot' | 'usdm',
    private readonly options: ReplayOptions,
  ) {
    this.venueName = market === 'spot' ? 'binance-spot' : 'binance-usdm'
    this.venueId = this.registry.venueId(this.venueName)
    this.verify = options.verify === true
    this.fallbackOnly = options.decodePath === 'fallback'
    this.decoder = new BinanceDecoder({ market, venueId: this.venueId, registry: this.registry, venueName: this.venueName })
    this.sync = new BinanceBookSync({
      market,
      venueId: this.venueId,
      requestSnapshot: (id) => {
        if (!this.pending.includes(id)) this.pending.push(id)
      },
      listener: this,
      scheduler: this.scheduler,
      snapshotTimeoutMs: 0,
    })
    this.trades = new TradeGapTracker(this.venueId)
    this.normalizer = new BinanceNormalizer(this.registry, this.venueId)
    this.symbols = sessionSymbols(session)
    if (session.exchangeInfo !== null) defineFromExchangeInfo(this.registry, this.venueName, session.exchangeInfo, this.symbols, market)
    for (const s of this.symbols) {
      const id = this.decoder.addSymbol(s)
      this.ids.push(id)
      this.sync.addInstrument(id, this.registry.priceScales[id]!, this.registry.qtyScales[id]!)
      while (this.diffsById.length <= id) this.diffsById.push(0)
    }
  }

  run(): ReplayReport {
    const t0 = performance.now()
    const records = this.session.records
    const filter = this.options.filter
    let startMs = -1
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      if (r.kind === RecordKind.Rest) {
        this.otherRecords++
        continue
      }
      if (filter !== undefined && !filter(r, i)) {
        this.droppedRecords++
        continue
      }
      const ms = r.recvTsUs / 1000
      if (startMs < 0) startMs = ms
      this.scheduler.advanceTo(ms - startMs)
      if (r.kind === RecordKind.WsFrame) this.onFrame(r)
      else this.onSnapshotRecord(r)
    }
    this.sync.close()
    return this.report(performance.now() - t0)
  }

  private onFrame(r: CaptureRecord): void {
    this.frames++
    const raw = this.raw
    raw.reset()
    raw.recvTsUs = r.recvTsUs
    const data = r.data
    let st: number
    if (this.fallbackOnly) {
      this.fallbackCount++
      st = decodeWithJson(this.decoder, data, 0, data.length, raw, 0)
    } else {
      st = this.decoder.decode(data, 0, data.length, raw, 0)
    }
    if (st !== DecodeStatus.Ok) {
      this.decodeErrors++
      this.decodeErrorsByStatus[st] = this.decodeErrorsByStatus[st]! + 1
      return
    }
    raw.recvTsUs = r.recvTsUs
    const ev = this.ev
    switch (raw.type) {
      case RawType.DepthUpdate:
        this.diffsById[raw.instrumentId]!++
        this.sync.onDiff(raw)
        return
      case RawType.BookTicker:
        if (this.verify) this.checker.onTicker(raw)
        break
      case RawType.Trade:
      case RawType.AggTrade: {
        ev.reset()
        const tc = this.trades.check(raw, ev)
        if (tc === TradeCheck.Gap) this.emit(ev)
        if (tc === TradeCheck.Duplicate) return
        break
      }
      default:
        break
    }
    ev.reset()
    if (this.normalizer.normalize(raw, ev)) this.emit(ev)
  }

  private onSnapshotRecord(r: CaptureRecord): void {
    this.snapshotRecords++
    let id = 0
    const m = SYMBOL_IN_URL.exec(r.url)
    if (m !== null) id = this.registry.lookup(this.venueName, m[1]!.toUpperCase())
    else if (this.pending.length > 0) id = this.pending[0]!
    else if (this.ids.length === 1) id = this.ids[0]!
    if (id === 0) {
      this.snapshotsUnrouted++
      return
    }
    const at = this.pending.indexOf(id)
    if (at >= 0) this.pending.splice(at, 1)
    const raw = this.raw
    raw.reset()
    raw.recvTsUs = r.recvTsUs
    const st = this.decoder.decodeSnapshot(r.data, 0, r.data.length, id, raw)
    if (st !== DecodeStatus.Ok) {
      this.decodeErrors++
      this.decodeErrorsByStatus[st] = this.decodeErrorsByStatus[st]! + 1
      this.sync.onSnapshotFailed(id)
      return
    }
    raw.recvTsUs = r.recvTsUs
    this.sync.onSnapshot(raw)
  }

  onDiffApplied(book: ReadonlyOrderBook, raw: ProviderRaw): void {
    if (this.verify) this.checker.onDiffApplied(book, raw.updateId)
    const ev = this.ev
    ev.reset()
    this.normalizer.bookDelta(raw, ev, false)
    this.emit(ev)
  }

  onSnapshotApplied(_book: ReadonlyOrderBook, raw: ProviderRaw): void {
    const ev = this.ev
    ev.reset()
    this.normalizer.bookDelta(raw, ev, true)
    this.emit(ev)
  }

  onStatus(ev: CanonicalEvent): void {
    if (ev.kind === EventKind.BookInvalidated) {
      let list = this.invalidations.get(ev.instrumentId)
      if (list === undefined) {
        list = []
        this.invalidations.set(ev.instrumentId, list)
      }
      if (list.length < 20) list.push({ reason: BOOK_INVALID_REASON_NAMES[ev.reason] ?? String(ev.reason), gapFrom: ev.gapFrom, gapTo: ev.gapTo, updateId: ev.venueSeq })
    }
    this.emit(ev)
  }

  private emit(ev: CanonicalEvent): void {
    this.eventsByKind[ev.kind] = this.eventsByKind[ev.kind]! + 1
    if (this.options.onEvent !== undefined) this.options.onEvent(ev)
  }

  private report(elapsedMs: number): ReplayReport {
    const symbols: Record<string, ReplaySymbolReport> = {}
    const unsynced: string[] = []
    let bookGaps = 0
    let resyncs = 0
    let checks = 0
    let mismatches = 0
    let crossed = 0
    let applied = 0
    let discarded = 0
    for (let k = 0; k < this.symbols.length; k++) {
      const name = this.symbols[k]!
      const id = this.ids[k]!
      const s = this.sync.stats(id)!
      const c = this.checker.stats(id)
      const t = this.trades.stats(id)
      const book = this.sync.book(id)!
      const synced = this.sync.state(id) === BookSyncState.Synced
      const diffs = this.diffsById[id]!
      if (diffs > 0 && !synced) unsynced.push(name)
      bookGaps += s.gaps
      resyncs += s.resyncs
      checks += c.checks
      mismatches += c.mismatches
      crossed += s.crossed
      applied += s.applied
      discarded += s.discarded
      symbols[name] = {
        instrumentId: id,
        state: s.state,
        diffs,
        diffsApplied: s.applied,
        diffsDiscarded: s.discarded,
        gaps: s.gaps,
        resyncs: s.resyncs,
        snapshotRequests: s.snapshotRequests,
        snapshotsApplied: s.snapshotsApplied,
        snapshotsStale: s.snapshotsStale,
        crossedBooks: s.crossed,
        bookChecks: c.checks,
        bookMismatches: c.mismatches,
        bookTickers: c.tickers,
        tickersUnmatched: c.unmatched,
        tickersHeldDropped: c.heldDropped,
        mismatchSamples: c.samples,
        trades: t.trades,
        aggTrades: t.aggTrades,
        tradeGaps: t.gaps,
        tradeMissingIds: t.missingIds,
        tradeDuplicates: t.duplicates,
        updateId: s.updateId,
        bidLevels: s.bidLevels,
        askLevels: s.askLevels,
        bestBid: synced && book.bidLevels > 0 ? `${formatDecimal(book.bestBidQty(), book.qtyScale, true)} @ ${formatDecimal(book.bestBidPx(), book.priceScale, true)}` : null,
        bestAsk: synced && book.askLevels > 0 ? `${formatDecimal(book.bestAskQty(), book.qtyScale, true)} @ ${formatDecimal(book.bestAskPx(), book.priceScale, true)}` : null,
        invalidations: this.invalidations.get(id) ?? [],
      }
    }
    const events: Record<string, number> = {}
    for (let k = 1; k < EVENT_KIND_COUNT; k++) events[EVENT_KIND_NAMES[k]!] = this.eventsByKind[k]!
    const decodeErrorsByStatus: Record<string, number> = {}
    for (let k = 1; k < DECODE_STATUS_NAMES.length; k++) if (this.decodeErrorsByStatus[k]! > 0) decodeErrorsByStatus[DECODE_STATUS_NAMES[k]!] = this.decodeErrorsByStatus[k]!
    const dstats = this.decoder.stats()
    const tradeGaps = this.trades.gaps
    const gaps = bookGaps + tradeGaps
    const failures: string[] = []
    if (this.decodeErrors > 0) failures.push(`${this.decodeErrors} decode errors`)
    if (this.verify) {
      if (gaps > 0) failures.push(`${gaps} sequence gaps (book ${bookGaps}, trades ${tradeGaps})`)
      if (resyncs > 0) failures.push(`${resyncs} book resyncs`)
      if (mismatches > 0) failures.push(`${mismatches} book mismatches`)
      if (crossed > 0) failures.push(`${crossed} crossed books`)
      if (unsynced.length > 0) failures.push(`books never in sync at the end: ${unsynced.join(', ')}`)
      if (this.snapshotsUnrouted > 0) failures.push(`${this.snapshotsUnrouted} snapshots for no known symbol`)
    }
    return {
      captures: this.session.files,
      market: this.market,
      verified: this.verify,
      ok: failures.length === 0,
      failures,
      frames: this.frames,
      snapshotRecords: this.snapshotRecords,
      otherRecords: this.otherRecords,
      droppedRecords: this.droppedRecords,
      events,
      decodeErrors: this.decodeErrors,
      decodeErrorsByStatus,
      decoder: { fastPath: dstats.fastPath, fallbackPath: dstats.fallbackPath + this.fallbackCount },
      gaps,
      bookGaps,
      tradeGaps,
      tradeDuplicates: this.trades.duplicates,
      resyncs,
      bookChecks: checks,
      bookMismatches: mismatches,
      crossedBooks: crossed,
      diffsApplied: applied,
      diffsDiscarded: discarded,
      snapshotsUnrouted: this.snapshotsUnrouted,
      unsyncedSymbols: unsynced,
      symbols,
      elapsedMs: Math.round(elapsedMs * 10) / 10,
      framesPerSec: elapsedMs > 0 ? Math.round((this.frames / elapsedMs) * 1000) : 0,
    }
  }
}
