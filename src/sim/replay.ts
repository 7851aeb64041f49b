/**
 * The replay source: plays a recorded Spot capture (src/capture/reader.ts
 * formats) as the venue's market data, at the original pace, accelerated, or
 * as fast as possible.
 *
 * - Every recorded combined-stream frame `{"stream":S,"data":D}` is published
 *   on topic S with D as recorded (byte for byte), so subscribers get the
 *   exact recorded payloads, raw or wrapped per their connection.
 * - A mirror book per symbol starts from the capture's first REST snapshot of
 *   that symbol and applies the recorded diffs (Spot rule: skip u <= L, then
 *   contiguous), so REST /depth answers a book whose lastUpdateId is
 *   consistent with the replayed update ids. Before the replay reaches the
 *   snapshot, /depth answers the snapshot itself (a lastUpdateId ahead of the
 *   stream, which the documented procedure handles by waiting).
 * - Recorded trades feed /trades, /aggTrades, tickers and the symbol's trade
 *   id. Users' orders match against the mirror book when they arrive; a
 *   resting order fills when a recorded trade prints at a worse price than
 *   it (the order would have been ahead of what the recording matched).
 *
 * Deterministic: the same capture gives the same frames in the same order.
 */
import { readCapture, RecordKind, type CaptureSession } from '../capture/reader.js'
import { ErrorCode, TickflowError } from '../core/errors.js'
import { parseDecimal } from '../core/fixed-point.js'
import type { Hub } from './hub.js'
import type { Market, SymbolMarket } from './market.js'
import type { SymbolSpec } from './symbols.js'
import { resolveSymbol, DEFAULT_SYMBOLS } from './symbols.js'

const d8 = (s: string): number => parseDecimal(s, 8)

interface FilterJson {
  filterType: string
  [k: string]: unknown
}
interface SymbolJson {
  symbol: string
  baseAsset: string
  quoteAsset: string
  filters: FilterJson[]
}

/** Symbols of a capture (from its stream names), with specs from its exchangeInfo when present. */
export function captureSymbols(cap: CaptureSession): { specs: SymbolSpec[]; exchangeInfo: SymbolJson[] | null } {
  const names = [...new Set(cap.streams.map((s) => s.split('@')[0]!.toUpperCase()))]
  let info: SymbolJson[] | null = null
  if (cap.exchangeInfo !== null) {
    const all = (JSON.parse(cap.exchangeInfo.toString('utf8')) as { symbols: SymbolJson[] }).symbols
    info = all.filter((s) => names.includes(s.symbol))
  }
  const specs: SymbolSpec[] = names.map((sym) => {
    const j = info?.find((s) => s.symbol === sym)
    if (j === undefined) {
      const dflt = DEFAULT_SYMBOLS.find((s) => s.symbol === sym)
      if (dflt !== undefined) return resolveSymbol(dflt)
      return resolveSymbol({ symbol: sym, baseAsset: sym.slice(0, -4), quoteAsset: sym.slice(-4), tickSize: '0.00000001', stepSize: '0.00000001', startPrice: '1' })
    }
    const f = (t: string): FilterJson | undefined => j.filters.find((x) => x.filterType === t)
    const pf = f('PRICE_FILTER')
    const ls = f('LOT_SIZE')
    const mn = f('NOTIONAL') ?? f('MIN_NOTIONAL')
    const str = (x: FilterJson | undefined, k: string, dflt: string): string => (x !== undefined && typeof x[k] === 'string' ? (x[k] as string) : dflt)
    const tick = d8(str(pf, 'tickSize', '0.00000001'))
    return {
      symbol: sym,
      baseAsset: j.baseAsset,
      quoteAsset: j.quoteAsset,
      tickSize: tick > 0 ? tick : 1,
      minPrice: d8(str(pf, 'minPrice', '0')),
      maxPrice: d8(str(pf, 'maxPrice', '1000000')) || 100_000_000_000_000,
      stepSize: d8(str(ls, 'stepSize', '0.00000001')) || 1,
      minQty: d8(str(ls, 'minQty', '0')),
      maxQty: d8(str(ls, 'maxQty', '9000000')),
      minNotional: d8(str(mn, 'minNotional', '0')),
      maxNotional: 9_000_000 * 100_000_000,
      startPrice: tick * 20,
      levelQty: 100_000_000,
    }
  })
  return { specs, exchangeInfo: info }
}

export interface ReplayStats {
  framesPublished: number
  diffsApplied: number
  diffsSkipped: number
  snapshots: number
  finished: boolean
  loops: number
}

interface Snapshot {
  lastUpdateId: number
  body: string
}

export class ReplaySource {
  readonly cap: CaptureSession
  readonly stats: ReplayStats = { framesPublished: 0, diffsApplied: 0, diffsSkipped: 0, snapshots: 0, finished: false, loops: 0 }
  private readonly market: Market
  private readonly hub: Hub
  private readonly speed: number
  private readonly loop: boolean
  private idx = 0
  private t0Us = 0
  private startMs = 0
  private timer: NodeJS.Timeout | null = null
  private immediate: NodeJS.Immediate | null = null
  private closed = false
  /** the first recorded snapshot per symbol (served until the book has it) */
  private readonly firstSnapshot = new Map<string, Snapshot>()
  private readonly synced = new Set<string>()
  private readonly soleSymbol: string | null

  constructor(market: Market, hub: Hub, cap: CaptureSession, speed: number, loop: boolean) {
    this.market = market
    this.hub = hub
    this.cap = cap
    this.speed = speed
    this.loop = loop
    for (const sm of market.list) sm.replay = true
    this.soleSymbol = market.list.length === 1 ? market.list[0]!.sym : null
    for (const r of cap.records) {
      if (r.kind !== RecordKind.DepthSnapshot) continue
      const sym = this.snapshotSymbol(r.url)
      if (sym === null || this.firstSnapshot.has(sym)) continue
      const body = r.data.toString('utf8')
      const m = /"lastUpdateId":(\d+)/.exec(body)
      if (m === null) continue
      this.firstSnapshot.set(sym, { lastUpdateId: Number.parseInt(m[1]!, 10), body })
      this.loadSnapshot(sym, body)
    }
  }

  static open(files: string[]): CaptureSession {
    const cap = readCapture(files)
    if (cap.market !== 'spot') throw new TickflowError(ErrorCode.CONFIG_INVALID, `replay: ${files[0]} is a ${cap.market} capture; the simulator replays Spot captures`)
    return cap
  }

  private snapshotSymbol(url: string): string | null {
    const m = /[?&]symbol=([A-Z0-9]+)/.exec(url)
    return m !== null ? m[1]! : this.soleSymbol
  }

  private loadSnapshot(sym: string, body: string): void {
    const sm = this.market.get(sym)
    if (sm === undefined) return
    const j = JSON.parse(body) as { lastUpdateId: number; bids: string[][]; asks: string[][] }
    for (const side of [sm.book.bids, sm.book.asks]) for (const p of [...side.prices]) side.setAnon(p, 0)
    for (const [p, q] of j.bids) sm.book.bids.setAnon(d8(p!), d8(q!))
    for (const [p, q] of j.asks) sm.book.asks.setAnon(d8(p!), d8(q!))
    sm.updateId = j.lastUpdateId
    sm.committedChanges = sm.book.bids.changes + sm.book.asks.changes
    this.synced.add(sym)
    this.stats.snapshots++
  }

  /** REST /depth body in replay mode. */
  depthBody(sm: SymbolMarket, limit: number): string {
    return this.market.depthSnapshot(sm, limit)
  }

  start(): void {
    this.idx = 0
    this.t0Us = this.cap.records.length > 0 ? this.cap.records[0]!.recvTsUs : 0
    this.startMs = Date.now()
    this.schedule()
  }

  private schedule(): void {
    if (this.closed) return
    if (this.speed === 0) this.immediate = setImmediate(() => this.pump())
    else this.timer = setTimeout(() => this.pump(), 1)
  }

  private pump(): void {
    this.timer = null
    this.immediate = null
    if (this.closed) return
    const recs = this.cap.records
    const dueUs = this.speed === 0 ? Number.MAX_SAFE_INTEGER : this.t0Us + (Date.now() - this.startMs) * 1000 * this.speed
    let n = 0
    while (this.idx < recs.length && recs[this.idx]!.recvTsUs <= dueUs && n < 2000) {
      this.play(recs[this.idx]!.kind, recs[this.idx]!.data)
      this.idx++
      n++
    }
    if (this.idx >= recs.length) {
      if (!this.loop) {
        this.stats.finished = true
        return
      }
      this.stats.loops++
      this.start()
      return
    }
    if (this.speed > 0 && n === 0) {
      const waitMs = Math.max(1, Math.min(50, Math.floor((recs[this.idx]!.recvTsUs - dueUs) / 1000 / this.speed)))
      this.timer = setTimeout(() => this.pump(), waitMs)
      return
    }
    this.schedule()
  }

  private play(kind: number, data: Buffer): void {
    if (kind !== RecordKind.WsFrame) return
    // {"stream":"<name>","data":<payload>}
    const head = data.subarray(0, 120).toString('latin1')
    const m = /^\{"stream":"([^"]+)","data":/.exec(head)
    if (m === null) return
    const stream = m[1]!
    const payload = data.subarray(m[0].length, data.length - 1)
    const at = stream.indexOf('@')
    const sym = stream.slice(0, at).toUpperCase()
    const kindName = stream.slice(at + 1)
    const sm = this.market.get(sym)
    if (sm !== undefined) {
      if (kindName.startsWith('depth') && !/^depth\d/.test(kindName)) this.applyDiff(sm, payload)
      else if (kindName === 'trade') this.recordTrade(sm, payload)
    }
    // 100 ms diffs are also what a @depth@100ms subscriber wants; @depth subscribers get them too
    // when only the 100 ms stream was recorded (pace differs, content is the same kind of diff).
    const names = [stream]
    if (stream.endsWith('@depth@100ms')) names.push(stream.slice(0, -6))
    for (const name of names) {
      const t = this.hub.live(name)
      if (t === null) continue
      t.publish(payload, null)
      this.stats.framesPublished++
    }
  }

  private applyDiff(sm: SymbolMarket, payload: Buffer): void {
    if (!this.synced.has(sm.sym)) return
    const j = JSON.parse(payload.toString('utf8')) as { U: number; u: number; b: string[][]; a: string[][] }
    if (j.u <= sm.updateId) {
      this.stats.diffsSkipped++
      return
    }
    if (j.U > sm.updateId + 1) {
      // a gap in the recording: keep going from here (counts as skipped)
      this.stats.diffsSkipped++
    }
    for (const [p, q] of j.b) sm.book.bids.setAnon(d8(p!), d8(q!))
    for (const [p, q] of j.a) sm.book.asks.setAnon(d8(p!), d8(q!))
    sm.updateId = j.u
    sm.committedChanges = sm.book.bids.changes + sm.book.asks.changes
    this.stats.diffsApplied++
  }

  private recordTrade(sm: SymbolMarket, payload: Buffer): void {
    const j = JSON.parse(payload.toString('utf8')) as { t: number; p: string; q: string; T: number; m: boolean }
    const price = d8(j.p)
    const qty = d8(j.q)
    sm.tradeId = j.t
    if (sm.trades.length >= 1000) sm.trades.shift()
    sm.trades.push({ id: j.t, aggId: j.t, price, qty, timeUs: j.T * 1000, buyerIsMaker: j.m })
    const s = sm.stats
    if (s.firstId < 0) {
      s.firstId = j.t
      s.open = price
      s.high = price
      s.low = price
    }
    s.lastId = j.t
    s.last = price
    s.lastQty = qty
    if (price > s.high) s.high = price
    if (price < s.low) s.low = price
    s.volume += qty
    s.count++
    // users' resting orders priced better than a recorded trade are filled by it
    this.market.replayTrade(sm, !j.m, price, qty, j.t, j.T * 1000)
  }

  close(): void {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.immediate !== null) clearImmediate(this.immediate)
  }
}
