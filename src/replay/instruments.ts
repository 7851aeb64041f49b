/**
 * Instrument scales for a replay, from the exchangeInfo a capture carries
 * (cryptofeed's `<name>.0`), by the same rule as live
 * (src/venues/binance/instruments.ts): scales hold the WIRE precision
 * (USD-M `pricePrecision`/`quantityPrecision`, Spot's 8-decimal padding),
 * not the order-entry tick — the 2021 NKNUSDT snapshot holds resting levels
 * like 0.25974 × 11979.3 although the tick is 0.0001 and the lot 1.
 *
 * Without exchangeInfo (hftbacktest), symbols get the registry's default
 * scales (8 and 8: Spot pads every decimal to 8 places), which is exact for
 * Spot and for futures symbols whose quantities stay below ~9e7 units; a
 * futures capture of a low-priced symbol (quantities in the millions, e.g.
 * AKROUSDT) needs its exchangeInfo, or its quantities overflow the mantissa
 * range and decode as BadNumber.
 *
 * Cold path (once per replay).
 */
import type { InstrumentRegistry } from '../model/instrument.js'
import { defineInstruments, parseExchangeInfo } from '../venues/binance/instruments.js'

/**
 * Defines `symbols` in the registry (venue `venueName`) from the
 * exchangeInfo body. Symbols it does not list are left alone. Returns the
 * symbols defined. Throws TickflowError on a body that is not exchangeInfo.
 */
export function defineFromExchangeInfo(registry: InstrumentRegistry, venueName: string, body: Buffer, symbols: readonly string[], market: 'spot' | 'usdm' = 'spot'): string[] {
  const info = parseExchangeInfo(body, market, venueName, symbols)
  return [...defineInstruments(registry, info, symbols).ids.keys()]
}
