/**
 * tickflow's per-stage cost on the trade path, in-process (no socket), as a
 * cumulative ladder measured side by side with bench/harness.ts compare()
 * (rotated rounds, medians, allocation per message):
 *
 *   decode     BinanceDecoder.decode: frame bytes → the feed's scratch ProviderRaw (reset after each frame, as in the feed)
 *   normalize  + trade-gap check + BinanceNormalizer.trade into a pooled CanonicalEvent
 *   merge      + Merger.push (global seq, MergedEvent) into a sink that releases
 *   dispatch   + Dispatcher.publish → StrategyHost.onEvent → strategy onTrade, release
 *
 * Each stage's cost is the difference between consecutive rungs. The frames
 * are the simulator firehose's combined-stream trade frames (same bytes as
 * the end-to-end runs), views of one buffer as a socket read's messages
 * are, with trade ids rewritten per pass so that the trade-gap check sees a
 * gap-free stream. A baseline rung ('ids': the loop and the rewrite only) is
 * subtracted from every rung, so decode is the decoder alone. The transport
 * stage (socket → frame) comes from the end-to-end runs.
 */
import { compare, type Measured, type Variant } from '../harness.js'
import { silentLogger } from '../../src/core/logger.js'
import { BoundedPool } from '../../src/core/pool.js'
import { CanonicalEvent, EventKind, MergedEvent } from '../../src/model/events.js'
import { InstrumentRegistry } from '../../src/model/instrument.js'
import { ProviderRaw } from '../../src/model/provider-raw.js'
import { Dispatcher, type MergedSink } from '../../src/pipeline/dispatcher.js'
import { Merger } from '../../src/pipeline/merger.js'
import { StrategyHost } from '../../src/strategy/host.js'
import type { StrategyContext } from '../../src/strategy/strategy.js'
import { BinanceDecoder, DecodeStatus } from '../../src/venues/binance/codec/decoder.js'
import { BinanceNormalizer } from '../../src/venues/binance/normalize.js'
import { TradeCheck, TradeGapTracker } from '../../src/venues/binance/trade-gaps.js'

const DISTINCT = 4096
const ID_DIGITS = 10

/**
 * Firehose-format combined trade frames with a fixed-width trade id at
 * `idOff[i]`, all views of one buffer (as the messages of a socket read are).
 */
function buildFrames(): { frames: Buffer[]; idOff: Int32Array } {
  const parts: Buffer[] = []
  const idOff = new Int32Array(DISTINCT)
  for (let i = 0; i < DISTINCT; i++) {
    const e = 100_000_000_000 + i * 7
    const price = (60000 + (i % 500) / 100).toFixed(2)
    const head = `{"stream":"btcusdt@trade","data":{"e":"trade","E":${e},"s":"BTCUSDT","t":`
    const s = `${head}${String(1_000_000_000 + i).padStart(ID_DIGITS, '0')},"p":"${price}","q":"0.00001","T":${e},"m":true,"M":true,"ts":"${e * 1000}"}}`
    parts.push(Buffer.from(s, 'latin1'))
    idOff[i] = head.length
  }
  const all = Buffer.concat(parts)
  const frames: Buffer[] = []
  let o = 0
  for (const p of parts) {
    frames.push(all.subarray(o, o + p.length))
    o += p.length
  }
  return { frames, idOff }
}

/** Writes `id` (≤ 10 digits) into the frame's fixed-width id field. */
function writeId(buf: Buffer, off: number, id: number): void {
  for (let k = ID_DIGITS - 1; k >= 0; k--) {
    buf[off + k] = 0x30 + (id % 10)
    id = Math.floor(id / 10)
  }
}

type Rung = 'ids' | 'decode' | 'normalize' | 'merge' | 'dispatch'

class CountingStrategy {
  n = 0
  onTrade(): void {
    this.n++
  }
}

function rung(kind: Rung): Variant {
  const { frames, idOff } = buildFrames()
  const registry = new InstrumentRegistry()
  const decoder = new BinanceDecoder({ market: 'spot', venueId: registry.venueId('binance'), registry, venueName: 'binance' })
  decoder.addSymbol('BTCUSDT')
  const venueId = registry.venueId('binance')
  const raw = new ProviderRaw()
  const canonicalPool = new BoundedPool({ name: 'CanonicalEvent', capacity: 1024, create: () => new CanonicalEvent(), preallocate: true })
  const mergedPool = new BoundedPool({ name: 'MergedEvent', capacity: 1024, create: () => new MergedEvent(), preallocate: true })
  const trades = new TradeGapTracker(venueId)
  const normalizer = new BinanceNormalizer(registry, venueId)
  const gap = new CanonicalEvent()
  const releasing: MergedSink = {
    publish(m) {
      const ev = m.event!
      mergedPool.release(m)
      canonicalPool.release(ev)
    },
  }
  const dispatcher = new Dispatcher({ mergedPool, canonicalPool, registry })
  const strategy = new CountingStrategy()
  const ctx = { name: 'bench', log: silentLogger } as unknown as StrategyContext
  const host = new StrategyHost(strategy, ctx)
  dispatcher.subscribeSync({ name: 'bench', kinds: [EventKind.Trade], instruments: 'all', handler: host })
  void host.start()
  const merger = new Merger({ registry, mergedPool, canonicalPool, sink: kind === 'merge' ? releasing : dispatcher })
  const src = merger.addSource('binance')
  let nextId = 1_000_000_000
  let delivered = 0
  const sum = new Float64Array(1)
  return {
    name: kind,
    setup: () => {
      if (kind === 'dispatch' && strategy.n !== delivered) throw new Error(`stages: the strategy saw ${strategy.n} trades, expected ${delivered}`)
    },
    run: (ops) => {
      if (kind === 'dispatch') delivered += ops
      for (let i = 0; i < ops; i++) {
        const k = i & (DISTINCT - 1)
        const buf = frames[k]!
        writeId(buf, idOff[k]!, ++nextId)
        if (kind === 'ids') {
          sum[0] += buf[idOff[k]!]!
          continue
        }
        raw.recvTsUs = 1
        const st = decoder.decode(buf, 0, buf.length, raw, 0)
        if (st === DecodeStatus.Ok && kind !== 'decode') {
          if (trades.check(raw, gap) !== TradeCheck.Duplicate) {
            gap.reset()
            const ev = canonicalPool.tryAcquire()!
            normalizer.trade(raw, ev)
            if (kind === 'normalize') {
              sum[0] += ev.priceM
              canonicalPool.release(ev)
            } else merger.push(src, ev)
          }
        } else sum[0] += raw.priceM
        raw.reset()
      }
      return sum[0]! + strategy.n
    },
  }
}

export interface StageRow {
  stage: string
  nsPerMsg: number
  cumulativeNsPerMsg: number
  bytesPerMsg: number
}

/** Measures the ladder; returns one row per stage (differences of the cumulative rungs). */
export function measureStages(quick: boolean): { rows: StageRow[]; raw: Record<Rung, Measured> } {
  const rungs: Rung[] = ['ids', 'decode', 'normalize', 'merge', 'dispatch']
  const ms = compare(
    rungs.map((r) => rung(r)),
    quick ? 200_000 : 1_000_000,
    quick ? 3 : 5,
  )
  const raw = {} as Record<Rung, Measured>
  rungs.forEach((r, i) => (raw[r] = ms[i]!))
  const rows: StageRow[] = []
  // the 'ids' rung (the loop and the per-pass id rewrite) is the baseline every rung pays
  const base = ms[0]!.nsPerOp
  let prev = base
  for (let i = 1; i < rungs.length; i++) {
    const m = ms[i]!
    rows.push({ stage: rungs[i]!, nsPerMsg: Math.round((m.nsPerOp - prev) * 10) / 10, cumulativeNsPerMsg: Math.round((m.nsPerOp - base) * 10) / 10, bytesPerMsg: Math.round(m.bytesPerOp * 10) / 10 })
    prev = m.nsPerOp
  }
  return { rows, raw }
}
