/**
 * Instrument scales for a replay, from the exchangeInfo a capture carries
 * (cryptofeed's `<name>.0`).
 *
 * Market data needs the WIRE precision, not the order-entry tick: the 2021
 * NKNUSDT snapshot holds resting levels like 0.25974 × 11979.3 although the
 * tick is 0.0001 and the lot 1 (orders placed before a filter change). So a
 * scale is max(tick/step decimals, the decimals the venue prints): USD-M's
 * `pricePrecision`/`quantityPrecision`, Spot's 8-decimal padding
 * (quoteAssetPrecision/baseAssetPrecision). Without one, symbols get the registry's default
 * scales (8 and 8: Spot pads every decimal to 8 places), which is exact for
 * Spot and for futures symbols whose quantities stay below ~9e7 units; a
 * futures capture of a low-priced symbol (quantities in the millions, e.g.
 * AKROUSDT) needs its exchangeInfo, or its quantities overflow the mantissa
 * range and decode as BadNumber.
 *
 * Cold path (once per replay): JSON.parse is fine here.
 */
import { parseDecimal, stepScale } from '../core/fixed-point.js'
import { InstrumentStatus, splitSymbol, type InstrumentRegistry } from '../model/instrument.js'

interface ExchangeInfoSymbol {
  symbol?: unknown
  baseAsset?: unknown
  quoteAsset?: unknown
  quotePrecision?: unknown
  quoteAssetPrecision?: unknown
  baseAssetPrecision?: unknown
  /** USD-M only: decimals of prices / quantities on the wire */
  pricePrecision?: unknown
  quantityPrecision?: unknown
  filters?: unknown
}

function filterValue(filters: unknown, type: string, key: string): string | null {
  if (!Array.isArray(filters)) return null
  for (const f of filters as Array<Record<string, unknown>>) {
    if (f !== null && typeof f === 'object' && f['filterType'] === type && typeof f[key] === 'string') return f[key]
  }
  return null
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null)

/** Decimals prices carry on the wire: USD-M `pricePrecision`; Spot pads to the quote asset precision (8). */
function wirePriceDecimals(s: ExchangeInfoSymbol): number {
  return num(s.pricePrecision) ?? num(s.quoteAssetPrecision) ?? num(s.quotePrecision) ?? 8
}

/** Decimals quantities carry on the wire: USD-M `quantityPrecision`; Spot pads to the base asset precision (8). */
function wireQtyDecimals(s: ExchangeInfoSymbol): number {
  return num(s.quantityPrecision) ?? num(s.baseAssetPrecision) ?? 8
}

/**
 * Defines `symbols` in the registry (venue `venueName`) with the tick and lot
 * scales of the exchangeInfo body. Symbols it does not list are left alone.
 * Returns the symbols defined. Throws on a body that is not JSON.
 */
export function defineFromExchangeInfo(registry: InstrumentRegistry, venueName: string, body: Buffer, symbols: readonly string[]): string[] {
  const info = JSON.parse(body.toString('utf8')) as { symbols?: unknown }
  const list = Array.isArray(info.symbols) ? (info.symbols as ExchangeInfoSymbol[]) : []
  const wanted = new Set(symbols)
  const defined: string[] = []
  for (const s of list) {
    if (typeof s.symbol !== 'string' || !wanted.has(s.symbol)) continue
    const tick = filterValue(s.filters, 'PRICE_FILTER', 'tickSize')
    const step = filterValue(s.filters, 'LOT_SIZE', 'stepSize')
    if (tick === null || step === null) continue
    const [base, quote] = splitSymbol(s.symbol)
    const priceScale = Math.min(18, Math.max(stepScale(tick), wirePriceDecimals(s)))
    const qtyScale = Math.min(18, Math.max(stepScale(step), wireQtyDecimals(s)))
    const notional = typeof s.quoteAssetPrecision === 'number' ? s.quoteAssetPrecision : typeof s.quotePrecision === 'number' ? s.quotePrecision : 8
    registry.define({
      venue: venueName,
      symbol: s.symbol,
      base: typeof s.baseAsset === 'string' ? s.baseAsset : base,
      quote: typeof s.quoteAsset === 'string' ? s.quoteAsset : quote,
      priceScale,
      qtyScale,
      tickSize: parseDecimal(tick, priceScale),
      stepSize: parseDecimal(step, qtyScale),
      minQty: 0,
      maxQty: 0,
      minNotional: 0,
      maxNotional: 0,
      notionalScale: Math.min(Math.max(notional, 0), 18),
      status: InstrumentStatus.Trading,
    })
    defined.push(s.symbol)
  }
  return defined
}
