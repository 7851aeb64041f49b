/**
 * Trade-id continuity per symbol (binance-protocol.md §1.2: trade ids `t` are
 * contiguous per symbol; 19,904 consecutive ids in the 2024 Spot capture).
 *
 *   trade     t == previous t + 1
 *   aggTrade  f == previous l + 1    (f/l: first and last trade id it covers)
 *
 * A jump forward is a gap [previous + 1, first − 1], reported as a TradeGap
 * event and then accepted (the feed continues from the new id). A message
 * whose last id is not above the previous one is a duplicate or a replay
 * (after a reconnect the venue may resend): counted and dropped — unless it
 * falls inside the most recent gap, in order: then it is a trade that was
 * reported missing and arrives late, and it is delivered (counted as a gap
 * fill). This also keeps one corrupt far-ahead id (a frame that parsed but
 * lied) from turning every later real trade into a "duplicate". The last id
 * survives reconnects, so a gap across a reconnect is reported too; `reset()`
 * forgets a symbol deliberately.
 *
 * trade and aggTrade streams of one symbol are tracked separately (each is
 * contiguous on its own). Hot path: indexed Float64Array reads, no allocation
 * (arrays grow only when a new instrument id appears).
 */
import { CanonicalEvent, EventKind } from '../../model/events.js'
import { ProviderRaw, RawType } from '../../model/provider-raw.js'

/** Result of `TradeGapTracker.check`. */
export const TradeCheck = {
  /** contiguous with the previous message (or the first one seen) */
  Ok: 0,
  /** ids were skipped: the gap event was filled; the message itself is valid */
  Gap: 1,
  /** already seen (last id ≤ previous): drop it */
  Duplicate: 2,
  /** not a trade message */
  NotTrade: 3,
} as const

export interface TradeGapStats {
  instrumentId: number
  trades: number
  aggTrades: number
  gaps: number
  missingIds: number
  duplicates: number
  /** messages delivered late inside a reported gap */
  gapFills: number
  /** -1 when none */
  lastTradeId: number
  lastAggLastId: number
}

function grow(a: Float64Array, n: number): Float64Array {
  if (a.length > n) return a
  let len = a.length * 2
  while (len <= n) len *= 2
  const b = new Float64Array(len)
  b.set(a)
  return b
}

export class TradeGapTracker {
  /** instrument id -> last trade id seen on the trade stream + 1 (0 = none) */
  private nextTrade: Float64Array = new Float64Array(64)
  /** instrument id -> last `l` seen on the aggTrade stream + 1 (0 = none) */
  private nextAgg: Float64Array = new Float64Array(64)
  private trades: Float64Array = new Float64Array(64)
  private aggTrades: Float64Array = new Float64Array(64)
  private gapCount: Float64Array = new Float64Array(64)
  private missing: Float64Array = new Float64Array(64)
  private dups: Float64Array = new Float64Array(64)
  /** instrument id -> the next id expected inside the latest gap (0 = no open gap), per stream */
  private holeNextTrade: Float64Array = new Float64Array(64)
  private holeNextAgg: Float64Array = new Float64Array(64)
  /** instrument id -> the first id after the latest gap (its exclusive end), per stream */
  private holeEndTrade: Float64Array = new Float64Array(64)
  private holeEndAgg: Float64Array = new Float64Array(64)
  private fills: Float64Array = new Float64Array(64)
  /** totals over every instrument */
  gaps = 0
  missingIds = 0
  duplicates = 0
  /** messages delivered late inside a reported gap */
  gapFills = 0

  constructor(readonly venueId = 0) {}

  /**
   * Checks a Trade or AggTrade raw. On a gap, fills `gapOut` (when given) as
   * a TradeGap event with the missing range [gapFrom, gapTo].
   */
  check(raw: ProviderRaw, gapOut: CanonicalEvent | null): number {
    const id = raw.instrumentId
    const isAgg = raw.type === RawType.AggTrade
    if (!isAgg && raw.type !== RawType.Trade) return TradeCheck.NotTrade
    if (id >= this.nextTrade.length) this.ensure(id)
    const first = isAgg ? raw.firstTradeId : raw.tradeId
    const last = isAgg ? raw.lastTradeId : raw.tradeId
    // Stored as the next expected id (last + 1) so that 0 can mean "none yet"
    // even for a trade id 0.
    const next = isAgg ? this.nextAgg[id]! : this.nextTrade[id]!
    if (isAgg) this.aggTrades[id]!++
    else this.trades[id]!++
    if (next !== 0 && last < next) {
      const holeNext = isAgg ? this.holeNextAgg[id]! : this.holeNextTrade[id]!
      const holeEnd = isAgg ? this.holeEndAgg[id]! : this.holeEndTrade[id]!
      if (holeNext !== 0 && first >= holeNext && last < holeEnd) {
        // reported missing, arrives late and in order: deliver it
        const after = last + 1 >= holeEnd ? 0 : last + 1
        if (isAgg) this.holeNextAgg[id] = after
        else this.holeNextTrade[id] = after
        this.fills[id]!++
        this.gapFills++
        return TradeCheck.Ok
      }
      this.dups[id]!++
      this.duplicates++
      return TradeCheck.Duplicate
    }
    if (isAgg) this.nextAgg[id] = last + 1
    else this.nextTrade[id] = last + 1
    if (next === 0 || first <= next) return TradeCheck.Ok
    const from = next
    const to = first - 1
    if (isAgg) {
      this.holeNextAgg[id] = from
      this.holeEndAgg[id] = first
    } else {
      this.holeNextTrade[id] = from
      this.holeEndTrade[id] = first
    }
    this.gapCount[id]!++
    this.missing[id]! += to - from + 1
    this.gaps++
    this.missingIds += to - from + 1
    if (gapOut !== null) {
      gapOut.kind = EventKind.TradeGap
      gapOut.venueId = raw.venueId !== 0 ? raw.venueId : this.venueId
      gapOut.instrumentId = id
      gapOut.tsEventUs = raw.eventTime * raw.timeUnitUs
      gapOut.tsTradeUs = raw.tradeTime * raw.timeUnitUs
      gapOut.tsRecvUs = raw.recvTsUs
      gapOut.venueSeq = first
      gapOut.gapFrom = from
      gapOut.gapTo = to
    }
    return TradeCheck.Gap
  }

  /** Forgets the last ids of an instrument (the next trade starts a new chain). */
  reset(instrumentId: number): void {
    if (instrumentId < this.nextTrade.length) {
      this.nextTrade[instrumentId] = 0
      this.nextAgg[instrumentId] = 0
      this.holeNextTrade[instrumentId] = 0
      this.holeNextAgg[instrumentId] = 0
    }
  }

  stats(instrumentId: number): TradeGapStats {
    const i = instrumentId
    const inRange = i < this.nextTrade.length
    return {
      instrumentId,
      trades: inRange ? this.trades[i]! : 0,
      aggTrades: inRange ? this.aggTrades[i]! : 0,
      gaps: inRange ? this.gapCount[i]! : 0,
      missingIds: inRange ? this.missing[i]! : 0,
      duplicates: inRange ? this.dups[i]! : 0,
      gapFills: inRange ? this.fills[i]! : 0,
      lastTradeId: inRange && this.nextTrade[i]! > 0 ? this.nextTrade[i]! - 1 : -1,
      lastAggLastId: inRange && this.nextAgg[i]! > 0 ? this.nextAgg[i]! - 1 : -1,
    }
  }

  private ensure(id: number): void {
    this.nextTrade = grow(this.nextTrade, id)
    this.nextAgg = grow(this.nextAgg, id)
    this.trades = grow(this.trades, id)
    this.aggTrades = grow(this.aggTrades, id)
    this.gapCount = grow(this.gapCount, id)
    this.missing = grow(this.missing, id)
    this.dups = grow(this.dups, id)
    this.holeNextTrade = grow(this.holeNextTrade, id)
    this.holeNextAgg = grow(this.holeNextAgg, id)
    this.holeEndTrade = grow(this.holeEndTrade, id)
    this.holeEndAgg = grow(this.holeEndAgg, id)
    this.fills = grow(this.fills, id)
  }
}
