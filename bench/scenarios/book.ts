/**
 * book.*: the local order book and the replay path.
 *
 * book.apply — every level of every diff of the real hftbacktest Spot BTCUSDT
 *   session (0808+0809: 6,493 diffs after the 1000×1000 snapshot) applied to
 *   a book, with a best bid/ask read after each diff, as the book sync and a
 *   strategy do. ns per level. Subject: OrderBook (typed arrays, best level
 *   at the END of each side). Baselines, side by side: the same typed arrays
 *   with the best level FIRST (what the module note argues against: every
 *   insert/delete near the top moves the whole side), and a sorted JS array
 *   of {px, qty} objects with binary search + splice (the usual JS book).
 *   A regression here is paid on every level of every depth message.
 *
 * book.replay — `tickflow replay --verify` on the same capture (99,573
 *   frames: decode, book sync, normalizer, book checks), frames/s, with the
 *   decoder (fast path) vs the JSON.parse reference mapping only.
 */
import path from 'node:path'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { blackhole, compare, round, sideBySide, type Scenario, type ScenarioResult } from '../harness.js'
import { BookSide, OrderBook } from '../../src/book/order-book.js'
import { readCapture, RecordKind, type CaptureSession } from '../../src/capture/reader.js'
import { InstrumentRegistry } from '../../src/model/instrument.js'
import { ProviderRaw, RawType } from '../../src/model/provider-raw.js'
import { replaySession } from '../../src/replay/replay.js'
import { BinanceDecoder, DecodeStatus } from '../../src/venues/binance/codec/decoder.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const FIXTURES = path.join(process.env.TICKFLOW_SHARED ?? path.resolve(REPO_ROOT, '..', 'shared'), 'fixtures', 'binance')
const SPOT_FILES = ['btcusdt_20240808.gz', 'btcusdt_20240809.gz'].map((f) => path.join(FIXTURES, 'hftbacktest', 'examples', 'spot', f))

/** The snapshot and the diffs applied after it, flattened: one entry per level. */
interface DiffTape {
  snapBid: Array<[number, number]>
  snapAsk: Array<[number, number]>
  /** per level: 1 = bid, 0 = ask */
  isBid: Uint8Array
  px: Float64Array
  qty: Float64Array
  /** per diff: index of its first level; diffStart[n] = total */
  diffStart: Int32Array
  diffs: number
  levels: number
}

function buildTape(session: CaptureSession): DiffTape {
  const registry = new InstrumentRegistry()
  const dec = new BinanceDecoder({ market: 'spot', venueId: 1, registry, venueName: 'binance-spot' })
  const id = dec.addSymbol('BTCUSDT')
  const raw = new ProviderRaw()
  let L = -1
  const snapBid: Array<[number, number]> = []
  const snapAsk: Array<[number, number]> = []
  for (const r of session.records) {
    if (r.kind !== RecordKind.DepthSnapshot) continue
    raw.reset()
    if (dec.decodeSnapshot(r.data, 0, r.data.length, id, raw) !== DecodeStatus.Ok) throw new Error('snapshot decode failed')
    L = raw.updateId
    for (let i = 0; i < raw.bidCount; i++) snapBid.push([raw.bidPxs[i]!, raw.bidQtys[i]!])
    for (let i = 0; i < raw.askCount; i++) snapAsk.push([raw.askPxs[i]!, raw.askQtys[i]!])
    break
  }
  const isBid: number[] = []
  const px: number[] = []
  const qty: number[] = []
  const diffStart: number[] = []
  for (const r of session.records) {
    raw.reset()
    if (r.kind !== RecordKind.WsFrame) continue
    if (dec.decode(r.data, 0, r.data.length, raw) !== DecodeStatus.Ok || raw.type !== RawType.DepthUpdate || raw.updateId <= L) continue
    diffStart.push(px.length)
    for (let i = 0; i < raw.bidCount; i++) {
      isBid.push(1)
      px.push(raw.bidPxs[i]!)
      qty.push(raw.bidQtys[i]!)
    }
    for (let i = 0; i < raw.askCount; i++) {
      isBid.push(0)
      px.push(raw.askPxs[i]!)
      qty.push(raw.askQtys[i]!)
    }
  }
  diffStart.push(px.length)
  return {
    snapBid,
    snapAsk,
    isBid: Uint8Array.from(isBid),
    px: Float64Array.from(px),
    qty: Float64Array.from(qty),
    diffStart: Int32Array.from(diffStart),
    diffs: diffStart.length - 1,
    levels: px.length,
  }
}

/** Baseline 1: the same typed arrays, best level first (bids: key −px ascending = px descending). */
class BestFirstBook {
  readonly bids = new BookSide(-1, 10_000)
  readonly asks = new BookSide(1, 10_000)
  load(t: DiffTape): void {
    this.bids.clear()
    this.asks.clear()
    for (const [p, q] of t.snapBid) this.bids.set(p, q)
    for (const [p, q] of t.snapAsk) this.asks.set(p, q)
  }
  bestBid(): number {
    return this.bids.count > 0 ? -this.bids.keys[0]! : 0
  }
  bestAsk(): number {
    return this.asks.count > 0 ? this.asks.keys[0]! : 0
  }
}

interface Lvl {
  px: number
  qty: number
}

/** Baseline 2: sorted arrays of level objects, binary search + splice. */
class ObjectArrayBook {
  bids: Lvl[] = []
  asks: Lvl[] = []
  load(t: DiffTape): void {
    this.bids = t.snapBid.map(([px, qty]) => ({ px, qty }))
    this.asks = t.snapAsk.map(([px, qty]) => ({ px, qty }))
  }
  private static set(side: Lvl[], desc: boolean, px: number, qty: number): void {
    let lo = 0
    let hi = side.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const p = side[mid]!.px
      if (desc ? p > px : p < px) lo = mid + 1
      else hi = mid
    }
    if (lo < side.length && side[lo]!.px === px) {
      if (qty === 0) side.splice(lo, 1)
      else side[lo]!.qty = qty
    } else if (qty !== 0) side.splice(lo, 0, { px, qty })
  }
  apply(isBid: boolean, px: number, qty: number): void {
    if (isBid) ObjectArrayBook.set(this.bids, true, px, qty)
    else ObjectArrayBook.set(this.asks, false, px, qty)
  }
}

function loadOrderBook(book: OrderBook, t: DiffTape): void {
  const bp = Float64Array.from(t.snapBid.map((l) => l[0]))
  const bq = Float64Array.from(t.snapBid.map((l) => l[1]))
  const ap = Float64Array.from(t.snapAsk.map((l) => l[0]))
  const aq = Float64Array.from(t.snapAsk.map((l) => l[1]))
  book.loadSnapshot(bp, bq, bp.length, ap, aq, ap.length, 1)
}

function applyScenario(quick: boolean, log: (l: string) => void): ScenarioResult[] {
  const t = buildTape(readCapture(SPOT_FILES))
  log(`  book.apply: ${t.diffs} diffs, ${t.levels} levels (${round(t.levels / t.diffs, 1)} per diff), snapshot ${t.snapBid.length}x${t.snapAsk.length}`)
  const book = new OrderBook({ maxLevels: 10_000 })
  const bf = new BestFirstBook()
  const oa = new ObjectArrayBook()
  // Each run replays the whole tape from the snapshot (loaded in setup, untimed);
  // `ops` is the level count, so ns/op = ns per level.
  const [sub, best1, objs] = compare(
    [
      {
        name: 'OrderBook',
        setup: () => loadOrderBook(book, t),
        run: () => {
          let acc = 0
          const { isBid, px, qty, diffStart } = t
          for (let d = 0; d < t.diffs; d++) {
            for (let i = diffStart[d]!; i < diffStart[d + 1]!; i++) {
              if (isBid[i] === 1) book.bids.applyAt(px, i, qty, i)
              else book.asks.applyAt(px, i, qty, i)
            }
            acc += book.bestBidPx() - book.bestAskPx()
          }
          return acc
        },
      },
      {
        name: 'typed arrays, best first',
        setup: () => bf.load(t),
        run: () => {
          let acc = 0
          const { isBid, px, qty, diffStart } = t
          for (let d = 0; d < t.diffs; d++) {
            for (let i = diffStart[d]!; i < diffStart[d + 1]!; i++) {
              if (isBid[i] === 1) bf.bids.applyAt(px, i, qty, i)
              else bf.asks.applyAt(px, i, qty, i)
            }
            acc += bf.bestBid() - bf.bestAsk()
          }
          return acc
        },
      },
      {
        name: 'sorted object arrays + splice',
        setup: () => oa.load(t),
        run: () => {
          let acc = 0
          const { isBid, px, qty, diffStart } = t
          for (let d = 0; d < t.diffs; d++) {
            for (let i = diffStart[d]!; i < diffStart[d + 1]!; i++) oa.apply(isBid[i] === 1, px[i]!, qty[i]!)
            acc += (oa.bids[0]?.px ?? 0) - (oa.asks[0]?.px ?? 0)
          }
          return acc
        },
      },
    ],
    t.levels,
    quick ? 3 : 7,
  )
  blackhole(book.bidLevels + bf.bids.count + oa.bids.length)
  const row = sideBySide('book.apply', sub!, 'sorted object arrays + splice', objs!, {
      levels: t.levels,
      diffs: t.diffs,
      bestFirstNs: round(best1!.nsPerOp),
      bestFirstRatio: round(sub!.nsPerOp / best1!.nsPerOp, 3),
    })
  row.unit = 'ns/level'
  return [row]
}

function replayScenario(quick: boolean, log: (l: string) => void): ScenarioResult[] {
  const session = readCapture(SPOT_FILES)
  let frames = 0
  const [fast, json] = compare(
    [
      {
        name: 'decoder',
        run: () => {
          const r = replaySession(session, { verify: true })
          if (!r.ok) throw new Error(`replay failed: ${r.failures.join('; ')}`)
          frames = r.frames
          return r.bookChecks
        },
      },
      {
        name: 'JSON.parse fallback',
        run: () => {
          const r = replaySession(session, { verify: true, decodePath: 'fallback' })
          if (!r.ok) throw new Error(`replay failed: ${r.failures.join('; ')}`)
          return r.bookChecks
        },
      },
    ],
    1,
    quick ? 2 : 5,
  )
  // ops = 1 replay; convert to per-frame figures.
  const perFrame = (ns: number): number => ns / frames
  const row = sideBySide('book.replay', { ...fast!, nsPerOp: perFrame(fast!.nsPerOp), bytesPerOp: fast!.bytesPerOp / frames }, 'JSON.parse fallback', {
    ...json!,
    nsPerOp: perFrame(json!.nsPerOp),
    bytesPerOp: json!.bytesPerOp / frames,
  }, {
    frames,
    framesPerSec: Math.round(1e9 / perFrame(fast!.nsPerOp)),
    fallbackFramesPerSec: Math.round(1e9 / perFrame(json!.nsPerOp)),
  })
  row.unit = 'ns/frame'
  log(`  book.replay: ${frames} frames, ${row.extra!['framesPerSec']} frames/s (decoder) vs ${row.extra!['fallbackFramesPerSec']} (JSON.parse)`)
  return [row]
}

export const bookScenario: Scenario = {
  name: 'book',
  description: 'order book: real diffs applied (ns/level) vs best-first typed arrays and object arrays; replay frames/s, decoder vs JSON.parse',
  run(ctx) {
    if (!SPOT_FILES.every((f) => existsSync(f))) {
      ctx.log(`  book: fixtures not found under ${FIXTURES}; skipped`)
      return []
    }
    return [...applyScenario(ctx.quick, ctx.log), ...replayScenario(ctx.quick, ctx.log)]
  },
}
