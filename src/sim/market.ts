/**
 * The simulated market of every symbol: its book, update-id sequence, trades,
 * statistics and candles, and the publication of every market-data stream.
 *
 * Consistency rules (protocol §1.2, §3):
 * - each batch of book changes (one synthetic action, one user order, one
 *   taker execution) consumes exactly one update id, so diffs are contiguous:
 *   a diff covers [U; u] with U = previous u + 1;
 * - bookTicker carries the update id of the batch that changed the top;
 * - REST /depth answers the current book with lastUpdateId = the last id, so
 *   snapshot + later diffs rebuild exactly the book bookTicker shows;
 * - trade ids and aggregate ids are contiguous per symbol.
 *
 * Sources drive it: the synthetic generator (synthetic.ts) or the replay
 * (replay.ts, which publishes recorded frames and only mirrors the book).
 */
import { BookSide, SimBook, type BookFill, type RestingOrder, quoteOf } from './book.js'
import {
  Candle,
  KLINE_INTERVALS,
  TickerStats,
  aggTradePayload,
  bookTickerPayload,
  depthUpdatePayload,
  klinePayload,
  levelsJson,
  miniTickerPayload,
  partialDepthPayload,
  tickerPayload,
  tradePayload,
} from './encode.js'
import type { Hub } from './hub.js'
import type { SymbolSpec } from './symbols.js'

/** A public trade kept for REST /trades and /aggTrades. */
export interface PublicTrade {
  id: number
  aggId: number
  price: number
  qty: number
  timeUs: number
  buyerIsMaker: boolean
}

/** One execution of a taker against the book, with its public trade id. */
export interface Execution {
  price: number
  qty: number
  tradeId: number
  maker: RestingOrder | null
}

export const RECENT_TRADES = 1000

export class SymbolMarket {
  readonly spec: SymbolSpec
  readonly sym: string
  readonly lower: string
  readonly book = new SimBook()
  updateId = 1_000_000
  first100 = 0
  first1000 = 0
  tradeId = 0
  aggId = 0
  /** last published bookTicker (to publish only changes) */
  btBidP = -1
  btBidQ = -1
  btAskP = -1
  btAskQ = -1
  readonly stats = new TickerStats()
  readonly candles: Candle[] = []
  readonly closedCandles: Candle[][] = []
  readonly trades: PublicTrade[] = []
  /** fault: drop the next 100 ms / 1000 ms diff (creates a sequence gap) */
  skipDiffs = 0
  skipDiffs1000 = 0
  /** book change count at the last commit */
  committedChanges = 0
  /** replay mode: the book is mirrored from the recording and streams are recorded frames */
  replay = false
  readonly names: {
    trade: string
    aggTrade: string
    bookTicker: string
    depth: string
    depth100: string
    depthN: string[]
    depthN100: string[]
    kline: string[]
    miniTicker: string
    ticker: string
  }

  constructor(spec: SymbolSpec, nowUs: number) {
    this.spec = spec
    this.sym = spec.symbol
    const l = spec.symbol.toLowerCase()
    this.lower = l
    this.names = {
      trade: `${l}@trade`,
      aggTrade: `${l}@aggTrade`,
      bookTicker: `${l}@bookTicker`,
      depth: `${l}@depth`,
      depth100: `${l}@depth@100ms`,
      depthN: [5, 10, 20].map((n) => `${l}@depth${n}`),
      depthN100: [5, 10, 20].map((n) => `${l}@depth${n}@100ms`),
      kline: KLINE_INTERVALS.map(([iv]) => `${l}@kline_${iv}`),
      miniTicker: `${l}@miniTicker`,
      ticker: `${l}@ticker`,
    }
    this.stats.openUs = nowUs
    this.stats.open = spec.startPrice
    this.stats.high = spec.startPrice
    this.stats.low = spec.startPrice
    this.stats.last = spec.startPrice
    for (let i = 0; i < KLINE_INTERVALS.length; i++) {
      const ms = KLINE_INTERVALS[i]![1]
      const c = new Candle()
      startCandle(c, nowUs, ms, spec.startPrice)
      this.candles.push(c)
      this.closedCandles.push([])
    }
  }

  /** The side a taker of `takerIsBuy` matches against. */
  makerSide(takerIsBuy: boolean): BookSide {
    return takerIsBuy ? this.book.asks : this.book.bids
  }
}

function startCandle(c: Candle, nowUs: number, intervalMs: number, price: number): void {
  const ivUs = intervalMs * 1000
  c.openUs = Math.floor(nowUs / ivUs) * ivUs
  c.closeUs = c.openUs + ivUs - 1000
  c.firstId = -1
  c.lastId = -1
  c.open = price
  c.high = price
  c.low = price
  c.close = price
  c.volume = 0
  c.quoteVolume = 0
  c.count = 0
  c.takerBuyVolume = 0
  c.takerBuyQuote = 0
}

/** Called for every fill of a user's resting order (maker side). */
export type MakerFillHook = (sm: SymbolMarket, order: RestingOrder, price: number, qty: number, tradeId: number, timeUs: number) => void

export class Market {
  readonly symbols = new Map<string, SymbolMarket>()
  readonly list: SymbolMarket[] = []
  readonly hub: Hub
  readonly nowUs: () => number
  onMakerFill: MakerFillHook | null = null
  /** counters */
  readonly counters = { updates: 0, trades: 0, diffsPublished: 0, diffsSkipped: 0, bookTickers: 0 }
  private tick = 0
  private readonly fills: BookFill[] = []

  constructor(hub: Hub, specs: SymbolSpec[], nowUs: () => number) {
    this.hub = hub
    this.nowUs = nowUs
    const now = nowUs()
    for (const s of specs) {
      const sm = new SymbolMarket(s, now)
      this.symbols.set(s.symbol, sm)
      this.list.push(sm)
    }
  }

  get(symbol: string): SymbolMarket | undefined {
    return this.symbols.get(symbol)
  }

  /**
   * Ends a batch of book changes: consumes one update id when anything
   * changed, and publishes bookTicker when the top changed.
   */
  commit(sm: SymbolMarket): void {
    const b = sm.book
    const changes = b.bids.changes + b.asks.changes
    if (changes === sm.committedChanges) return
    sm.committedChanges = changes
    // Replay: update ids belong to the recording; users' orders do not consume them.
    if (sm.replay) return
    sm.updateId++
    this.counters.updates++
    if (sm.first100 === 0) sm.first100 = sm.updateId
    if (sm.first1000 === 0) sm.first1000 = sm.updateId
    this.publishBookTicker(sm)
  }

  private publishBookTicker(sm: SymbolMarket): void {
    const bb = sm.book.bids.best()
    const ba = sm.book.asks.best()
    const bp = bb === undefined ? 0 : bb.price
    const bq = bb === undefined ? 0 : bb.total()
    const ap = ba === undefined ? 0 : ba.price
    const aq = ba === undefined ? 0 : ba.total()
    if (bp === sm.btBidP && bq === sm.btBidQ && ap === sm.btAskP && aq === sm.btAskQ) return
    sm.btBidP = bp
    sm.btBidQ = bq
    sm.btAskP = ap
    sm.btAskQ = aq
    if (sm.replay) return
    const t = this.hub.live(sm.names.bookTicker)
    if (t === null) return
    this.counters.bookTickers++
    t.publish(Buffer.from(bookTickerPayload(sm.sym, sm.updateId, bp, bq, ap, aq)), null)
  }

  /**
   * Matches a taker against the book (see BookSide.take), assigns contiguous
   * trade ids, publishes trade/aggTrade, updates statistics and candles,
   * reports user maker fills through `onMakerFill`, and commits the batch.
   */
  execute(sm: SymbolMarket, takerIsBuy: boolean, limit: number, maxQty: number, maxQuote: number, out: Execution[]): void {
    const fills = this.fills
    fills.length = 0
    sm.makerSide(takerIsBuy).take(limit, maxQty, maxQuote, sm.spec.stepSize, fills)
    if (fills.length === 0) return
    const now = this.nowUs()
    const buyerIsMaker = !takerIsBuy
    const tTrade = sm.replay ? null : this.hub.live(sm.names.trade)
    const tAgg = sm.replay ? null : this.hub.live(sm.names.aggTrade)
    let aggFirst = sm.tradeId + 1
    let aggQty = 0
    let aggPrice = fills[0]!.price
    for (let i = 0; i < fills.length; i++) {
      const f = fills[i]!
      const id = ++sm.tradeId
      this.counters.trades++
      this.recordTrade(sm, id, f.price, f.qty, now, buyerIsMaker, takerIsBuy)
      out.push({ price: f.price, qty: f.qty, tradeId: id, maker: f.maker })
      if (tTrade !== null) {
        tTrade.publish(
          Buffer.from(tradePayload(sm.sym, id, f.price, f.qty, buyerIsMaker, now, now, false)),
          tTrade.usSubs > 0 ? Buffer.from(tradePayload(sm.sym, id, f.price, f.qty, buyerIsMaker, now, now, true)) : null,
        )
      }
      if (f.price !== aggPrice) {
        this.emitAgg(sm, tAgg, aggPrice, aggQty, aggFirst, id - 1, buyerIsMaker, now)
        aggFirst = id
        aggQty = 0
        aggPrice = f.price
      }
      aggQty += f.qty
    }
    this.emitAgg(sm, tAgg, aggPrice, aggQty, aggFirst, sm.tradeId, buyerIsMaker, now)
    this.commit(sm)
    if (this.onMakerFill !== null) {
      for (let i = 0; i < out.length; i++) {
        const e = out[i]!
        if (e.maker !== null) this.onMakerFill(sm, e.maker, e.price, e.qty, e.tradeId, now)
      }
    }
  }

  private emitAgg(sm: SymbolMarket, t: ReturnType<Hub['live']>, price: number, qty: number, first: number, last: number, bm: boolean, now: number): void {
    const a = ++sm.aggId
    for (let i = sm.trades.length - 1; i >= 0 && sm.trades[i]!.id >= first; i--) sm.trades[i]!.aggId = a
    if (t === null) return
    t.publish(
      Buffer.from(aggTradePayload(sm.sym, a, price, qty, first, last, bm, now, now, false)),
      t.usSubs > 0 ? Buffer.from(aggTradePayload(sm.sym, a, price, qty, first, last, bm, now, now, true)) : null,
    )
  }

  private recordTrade(sm: SymbolMarket, id: number, price: number, qty: number, now: number, buyerIsMaker: boolean, takerIsBuy: boolean): void {
    const tr = sm.trades
    if (tr.length >= RECENT_TRADES) tr.shift()
    tr.push({ id, aggId: 0, price, qty, timeUs: now, buyerIsMaker })
    const quote = quoteOf(price, qty)
    const s = sm.stats
    if (s.firstId < 0) s.firstId = id
    s.lastId = id
    s.last = price
    s.lastQty = qty
    if (price > s.high) s.high = price
    if (price < s.low) s.low = price
    s.volume += qty
    s.quoteVolume += quote
    s.count++
    for (let i = 0; i < sm.candles.length; i++) {
      const c = sm.candles[i]!
      if (now > c.closeUs + 999) this.rollCandle(sm, i, now)
      if (c.firstId < 0) c.firstId = id
      c.lastId = id
      if (c.count === 0) {
        c.open = price
        c.high = price
        c.low = price
      }
      c.close = price
      if (price > c.high) c.high = price
      if (price < c.low) c.low = price
      c.volume += qty
      c.quoteVolume += quote
      c.count++
      if (takerIsBuy) {
        c.takerBuyVolume += qty
        c.takerBuyQuote += quote
      }
    }
  }

  /** Closes candle `i` (publishing its final x=true update) and opens the one containing `now`. */
  private rollCandle(sm: SymbolMarket, i: number, now: number): void {
    const c = sm.candles[i]!
    const [iv, ms] = KLINE_INTERVALS[i]!
    if (!sm.replay) {
      const t = this.hub.live(sm.names.kline[i]!)
      if (t !== null) {
        t.publish(Buffer.from(klinePayload(sm.sym, iv, c, true, now, false)), t.usSubs > 0 ? Buffer.from(klinePayload(sm.sym, iv, c, true, now, true)) : null)
      }
    }
    const closed = sm.closedCandles[i]!
    const copy = new Candle()
    Object.assign(copy, c)
    if (closed.length >= 1000) closed.shift()
    closed.push(copy)
    startCandle(c, now, ms, c.close)
  }

  /**
   * Replay: a recorded trade (taker side `takerIsBuy`) fills users' resting
   * orders priced strictly better than it (BookSide.fillUsersThrough); each
   * fill is reported through `onMakerFill` with the recorded trade id.
   */
  replayTrade(sm: SymbolMarket, takerIsBuy: boolean, price: number, qty: number, tradeId: number, timeUs: number): void {
    const fills = this.fills
    fills.length = 0
    sm.makerSide(takerIsBuy).fillUsersThrough(price, qty, fills)
    if (fills.length === 0) return
    this.commit(sm)
    if (this.onMakerFill === null) return
    const copy = fills.slice()
    for (let i = 0; i < copy.length; i++) this.onMakerFill(sm, copy[i]!.maker!, copy[i]!.price, copy[i]!.qty, tradeId, timeUs)
  }

  /** Places a user's order on the book (no matching) and commits. */
  rest(sm: SymbolMarket, isBuy: boolean, o: RestingOrder): void {
    sm.book.side(isBuy).addOrder(o)
    this.commit(sm)
  }

  /** Removes a user's resting order and commits. */
  unrest(sm: SymbolMarket, isBuy: boolean, o: RestingOrder): boolean {
    const ok = sm.book.side(isBuy).removeOrder(o)
    if (ok) this.commit(sm)
    return ok
  }

  /** The 100 ms tick: diffs @100ms and partial depth @100ms; every 10th tick the 1000 ms streams. */
  onTick100(): void {
    this.tick++
    const now = this.nowUs()
    const second = this.tick % 10 === 0
    for (let i = 0; i < this.list.length; i++) {
      const sm = this.list[i]!
      if (sm.replay) {
        sm.book.drainDirty(0)
        sm.book.drainDirty(1)
        continue
      }
      this.publishDiff(sm, 0, now)
      this.publishPartials(sm, sm.names.depthN100)
      if (second) {
        this.publishDiff(sm, 1, now)
        this.publishPartials(sm, sm.names.depthN)
        this.publishTickers(sm, now)
        this.publishKlines(sm, now, this.tick % 20 === 0)
      }
    }
  }

  private publishDiff(sm: SymbolMarket, k: 0 | 1, now: number): void {
    const first = k === 0 ? sm.first100 : sm.first1000
    if (first === 0) return
    const { bids, asks } = sm.book.drainDirty(k)
    if (k === 0) sm.first100 = 0
    else sm.first1000 = 0
    const t = this.hub.live(k === 0 ? sm.names.depth100 : sm.names.depth)
    if (t === null) return
    if (k === 0 ? sm.skipDiffs > 0 : sm.skipDiffs1000 > 0) {
      if (k === 0) sm.skipDiffs--
      else sm.skipDiffs1000--
      this.counters.diffsSkipped++
      return
    }
    this.counters.diffsPublished++
    const b = levelsJson(bids)
    const a = levelsJson(asks)
    t.publish(
      Buffer.from(depthUpdatePayload(sm.sym, first, sm.updateId, b, a, now, false)),
      t.usSubs > 0 ? Buffer.from(depthUpdatePayload(sm.sym, first, sm.updateId, b, a, now, true)) : null,
    )
  }

  private publishPartials(sm: SymbolMarket, names: string[]): void {
    const ns = [5, 10, 20]
    for (let i = 0; i < names.length; i++) {
      const t = this.hub.live(names[i]!)
      if (t === null) continue
      const n = ns[i]!
      t.publish(Buffer.from(partialDepthPayload(sm.updateId, levelsJson(sm.book.bids.top(n)), levelsJson(sm.book.asks.top(n)))), null)
    }
  }

  private publishTickers(sm: SymbolMarket, now: number): void {
    const m = this.hub.live(sm.names.miniTicker)
    if (m !== null) m.publish(Buffer.from(miniTickerPayload(sm.sym, sm.stats, now, false)), m.usSubs > 0 ? Buffer.from(miniTickerPayload(sm.sym, sm.stats, now, true)) : null)
    const t = this.hub.live(sm.names.ticker)
    if (t !== null) {
      const bp = sm.btBidP < 0 ? 0 : sm.btBidP
      const bq = sm.btBidQ < 0 ? 0 : sm.btBidQ
      const ap = sm.btAskP < 0 ? 0 : sm.btAskP
      const aq = sm.btAskQ < 0 ? 0 : sm.btAskQ
      t.publish(
        Buffer.from(tickerPayload(sm.sym, sm.stats, bp, bq, ap, aq, now, false)),
        t.usSubs > 0 ? Buffer.from(tickerPayload(sm.sym, sm.stats, bp, bq, ap, aq, now, true)) : null,
      )
    }
  }

  private publishKlines(sm: SymbolMarket, now: number, everyTwo: boolean): void {
    for (let i = 0; i < sm.candles.length; i++) {
      const c = sm.candles[i]!
      if (now > c.closeUs + 999) this.rollCandle(sm, i, now)
      if (i > 0 && !everyTwo) continue
      const t = this.hub.live(sm.names.kline[i]!)
      if (t === null) continue
      const iv = KLINE_INTERVALS[i]![0]
      t.publish(Buffer.from(klinePayload(sm.sym, iv, c, false, now, false)), t.usSubs > 0 ? Buffer.from(klinePayload(sm.sym, iv, c, false, now, true)) : null)
    }
  }

  /** REST /depth body for `limit` levels. */
  depthSnapshot(sm: SymbolMarket, limit: number): string {
    return partialDepthPayload(sm.updateId, levelsJson(sm.book.bids.top(limit)), levelsJson(sm.book.asks.top(limit)))
  }
}
