/**
 * Binance raw → canonical: fills a pooled CanonicalEvent from a decoded
 * ProviderRaw. The caller acquires `out` (in its reset state) and releases it
 * after dispatch; nothing here allocates (level arrays grow only when an event
 * carries more levels than any before it).
 *
 * Field rules (docs/market-data.md "Normalization"):
 *   trade / aggTrade -> Trade   aggressor = Sell when the buyer was the maker (`m`), else Buy;
 *                               venueSeq = trade id (`t`, or `a` for aggTrade);
 *                               firstTradeId/lastTradeId = t,t or f,l
 *   bookTicker       -> Quote   venueSeq = `u`; Spot sends no E: tsEventUs = 0
 *   depthUpdate      -> BookDelta (incremental) venueSeq = `u`, firstUpdateId = `U`, prevUpdateId = `pu` (0 on Spot)
 *   partial depth    -> BookDelta isSnapshot = true, venueSeq = lastUpdateId
 *   REST snapshot    -> BookDelta isSnapshot = true (emitted when a book sync loads it)
 *   kline            -> Bar     barStartUs = `k.t`, barEndUs = `k.T` (the venue's inclusive close time)
 * Times: venue units × timeUnitUs = epoch µs; tsRecvUs = the frame's local receive time.
 * Prices/quantities stay mantissas at the instrument's scales (from the registry).
 *
 * Depth diffs reach users through the book sync (only applied diffs become
 * BookDelta events); `normalize()` maps any raw, whichever path calls it.
 */
import { CanonicalEvent, EventKind, Side } from '../../model/events.js'
import type { InstrumentRegistry } from '../../model/instrument.js'
import { ProviderRaw, RawType } from '../../model/provider-raw.js'

export class BinanceNormalizer {
  constructor(
    readonly registry: InstrumentRegistry,
    readonly venueId: number,
  ) {}

  /**
   * Fills `out` from `raw`. Returns false (out untouched) for raw types with
   * no canonical event (replies, errors, shutdown notices, unknown).
   */
  normalize(raw: ProviderRaw, out: CanonicalEvent): boolean {
    switch (raw.type) {
      case RawType.Trade:
      case RawType.AggTrade:
        this.trade(raw, out)
        return true
      case RawType.BookTicker:
        this.quote(raw, out)
        return true
      case RawType.DepthUpdate:
        this.bookDelta(raw, out, false)
        return true
      case RawType.PartialDepth:
      case RawType.DepthSnapshot:
        this.bookDelta(raw, out, true)
        return true
      case RawType.Kline:
        this.bar(raw, out)
        return true
      default:
        return false
    }
  }

  trade(raw: ProviderRaw, out: CanonicalEvent): void {
    this.header(raw, out, EventKind.Trade)
    out.venueSeq = raw.tradeId
    out.priceM = raw.priceM
    out.qtyM = raw.qtyM
    out.aggressor = raw.buyerIsMaker ? Side.Sell : Side.Buy
    if (raw.type === RawType.AggTrade) {
      out.firstTradeId = raw.firstTradeId
      out.lastTradeId = raw.lastTradeId
    } else {
      out.firstTradeId = raw.tradeId
      out.lastTradeId = raw.tradeId
    }
  }

  quote(raw: ProviderRaw, out: CanonicalEvent): void {
    this.header(raw, out, EventKind.Quote)
    out.venueSeq = raw.updateId
    out.bidPxM = raw.bidPxM
    out.bidQtyM = raw.bidQtyM
    out.askPxM = raw.askPxM
    out.askQtyM = raw.askQtyM
  }

  /** Depth levels (diff, partial depth or REST snapshot) as a BookDelta. */
  bookDelta(raw: ProviderRaw, out: CanonicalEvent, isSnapshot: boolean): void {
    this.header(raw, out, EventKind.BookDelta)
    out.venueSeq = raw.updateId
    out.firstUpdateId = isSnapshot ? 0 : raw.firstUpdateId
    out.prevUpdateId = isSnapshot ? 0 : raw.prevUpdateId
    out.isSnapshot = isSnapshot
    const nb = raw.bidCount
    const na = raw.askCount
    out.reserveBids(nb)
    out.reserveAsks(na)
    const obp = out.bidPxs
    const obq = out.bidQtys
    const oap = out.askPxs
    const oaq = out.askQtys
    const rbp = raw.bidPxs
    const rbq = raw.bidQtys
    const rap = raw.askPxs
    const raq = raw.askQtys
    for (let i = 0; i < nb; i++) {
      obp[i] = rbp[i]!
      obq[i] = rbq[i]!
    }
    for (let i = 0; i < na; i++) {
      oap[i] = rap[i]!
      oaq[i] = raq[i]!
    }
    // Clear what a previous, longer use left behind (out is normally reset).
    if (out.bidCount > nb) {
      obp.fill(0, nb, out.bidCount)
      obq.fill(0, nb, out.bidCount)
    }
    if (out.askCount > na) {
      oap.fill(0, na, out.askCount)
      oaq.fill(0, na, out.askCount)
    }
    out.bidCount = nb
    out.askCount = na
  }

  bar(raw: ProviderRaw, out: CanonicalEvent): void {
    this.header(raw, out, EventKind.Bar)
    const unit = raw.timeUnitUs
    out.barStartUs = raw.klineStart * unit
    out.barEndUs = raw.klineClose * unit
    out.barIntervalSec = raw.klineIntervalSec
    out.openM = raw.openM
    out.highM = raw.highM
    out.lowM = raw.lowM
    out.closeM = raw.closeM
    out.volumeM = raw.volumeM
    out.quoteVolumeM = raw.quoteVolumeM
    out.quoteScale = this.registry.spec(raw.instrumentId).notionalScale
    out.barTrades = raw.klineTrades
    out.barClosed = raw.klineClosed
  }

  private header(raw: ProviderRaw, out: CanonicalEvent, kind: number): void {
    const id = raw.instrumentId
    const unit = raw.timeUnitUs
    out.kind = kind
    out.venueId = raw.venueId !== 0 ? raw.venueId : this.venueId
    out.instrumentId = id
    out.tsEventUs = raw.eventTime * unit
    out.tsTradeUs = raw.tradeTime * unit
    out.tsRecvUs = raw.recvTsUs
    out.priceScale = this.registry.priceScales[id]!
    out.qtyScale = this.registry.qtyScales[id]!
  }
}
