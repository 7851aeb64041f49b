/**
 * Shared helpers of the Binance codec tests: decoders set up for the fixture
 * captures, a field-by-field ProviderRaw comparison, and the reference
 * (JSON.parse) decode of a frame for differential checks.
 */
import { BinanceDecoder, type BinanceMarket } from '../../../../../src/venues/binance/codec/decoder.js'
import { decodeSnapshotWithJson, decodeWithJson } from '../../../../../src/venues/binance/codec/fallback.js'
import { InstrumentRegistry, InstrumentStatus } from '../../../../../src/model/instrument.js'
import { ProviderRaw } from '../../../../../src/model/provider-raw.js'

/** ProviderRaw fields compared (everything but the pool bookkeeping and the level arrays, compared separately). */
const SKIP = new Set(['poolId', 'poolSlot', 'poolGen', 'bidPxs', 'bidQtys', 'askPxs', 'askQtys'])
export const RAW_FIELDS: string[] = Object.keys(new ProviderRaw()).filter((k) => !SKIP.has(k))

/** '' when a and b hold the same decoded message, else the first difference. */
export function diffRaw(a: ProviderRaw, b: ProviderRaw): string {
  const ra = a as unknown as Record<string, unknown>
  const rb = b as unknown as Record<string, unknown>
  for (let i = 0; i < RAW_FIELDS.length; i++) {
    const k = RAW_FIELDS[i]!
    if (!Object.is(ra[k], rb[k])) return `${k}: ${String(ra[k])} != ${String(rb[k])}`
  }
  for (let i = 0; i < a.bidCount; i++) {
    if (!Object.is(a.bidPxs[i], b.bidPxs[i]) || !Object.is(a.bidQtys[i], b.bidQtys[i])) return `bid level ${i}`
  }
  for (let i = 0; i < a.askCount; i++) {
    if (!Object.is(a.askPxs[i], b.askPxs[i]) || !Object.is(a.askQtys[i], b.askQtys[i])) return `ask level ${i}`
  }
  return ''
}

export interface ScaleSpec {
  symbol: string
  priceScale: number
  qtyScale: number
  notionalScale?: number
}

export function venueName(market: BinanceMarket): string {
  return market === 'spot' ? 'binance-spot' : 'binance-usdm'
}

/** A registry + decoder with the given symbols defined at the given scales (default 8/8). */
export function makeDecoder(
  market: BinanceMarket,
  symbols: Array<string | ScaleSpec>,
  options: { timeUnitUs?: number; maxFrameBytes?: number } = {},
): { decoder: BinanceDecoder; registry: InstrumentRegistry; ids: Map<string, number> } {
  const registry = new InstrumentRegistry()
  const venue = venueName(market)
  const decoder = new BinanceDecoder({ market, venueId: registry.venueId(venue), registry, venueName: venue, ...options })
  const ids = new Map<string, number>()
  for (const s of symbols) {
    if (typeof s !== 'string') {
      registry.define({
        venue,
        symbol: s.symbol,
        base: s.symbol,
        quote: '',
        priceScale: s.priceScale,
        qtyScale: s.qtyScale,
        tickSize: 0,
        stepSize: 0,
        minQty: 0,
        maxQty: 0,
        minNotional: 0,
        maxNotional: 0,
        notionalScale: s.notionalScale ?? 8,
        status: InstrumentStatus.Trading,
      })
    }
    const name = typeof s === 'string' ? s : s.symbol
    ids.set(name, decoder.addSymbol(name))
  }
  return { decoder, registry, ids }
}

/** Decodes with the reference mapping only (a fresh ProviderRaw). */
export function referenceDecode(decoder: BinanceDecoder, buf: Uint8Array, out: ProviderRaw, streamInstrumentId = 0): number {
  out.reset()
  return decodeWithJson(decoder, buf, 0, buf.length, out, streamInstrumentId)
}

export function referenceSnapshot(decoder: BinanceDecoder, buf: Uint8Array, instrumentId: number, out: ProviderRaw): number {
  out.reset()
  return decodeSnapshotWithJson(decoder, buf, 0, buf.length, instrumentId, out)
}

/**
 * Real scales for the hftbacktest BTCUSDT captures. Prices at the tick size's
 * decimals (Spot 0.01, USD-M 0.10). Quantities: USD-M at the lot step's (0.001);
 * Spot at 8, the wire's padding, because Spot book quantities carry more
 * decimals than the lot step 0.00001 ("25.42618900" in the 2024 capture).
 */
export const HFT_SCALES: Record<BinanceMarket, ScaleSpec> = {
  spot: { symbol: 'BTCUSDT', priceScale: 2, qtyScale: 8 },
  usdm: { symbol: 'BTCUSDT', priceScale: 1, qtyScale: 3 },
}

/**
 * Scales from a capture's exchangeInfo (cold, JSON.parse is fine here). Not
 * the tick and lot decimals: real books hold levels at a finer, older tick
 * (CTKUSDT tick 0.001 with levels at "0.50579"; NKNUSDT tick 0.0001 with
 * "0.25974000"), so market data needs the wire's precision: Spot pads every
 * decimal to 8; USD-M gives `pricePrecision` / `quantityPrecision` per symbol.
 */
export function scalesFromExchangeInfo(info: Buffer, symbols: string[], market: BinanceMarket): ScaleSpec[] {
  type Info = { symbols: Array<{ symbol: string; pricePrecision?: number; quantityPrecision?: number }> }
  const parsed = JSON.parse(info.toString()) as Info
  return symbols.map((symbol) => {
    const s = parsed.symbols.find((x) => x.symbol === symbol)
    if (s === undefined) throw new Error(`exchangeInfo lacks ${symbol}`)
    if (market === 'spot') return { symbol, priceScale: 8, qtyScale: 8 }
    return { symbol, priceScale: s.pricePrecision!, qtyScale: s.quantityPrecision! }
  })
}

/** Venue symbols named by a capture's stream list ("btcusdt@trade" -> "BTCUSDT"). */
export function symbolsOfStreams(streams: string[]): string[] {
  const out = new Set<string>()
  for (const s of streams) {
    const at = s.indexOf('@')
    if (at > 0) out.add(s.slice(0, at).toUpperCase())
  }
  return [...out]
}
