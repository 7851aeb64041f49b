/**
 * Binance exchangeInfo → InstrumentSpec (binance-protocol.md §6, §8; codec.md
 * "Choosing scales").
 *
 * Scales hold the WIRE's decimals, not the order-entry tick: market data
 * carries more decimals than the filters suggest. Spot pads every price and
 * quantity to 8 places (book quantities like "25.42618900" for a 0.00001
 * lot) and books keep levels at an older, finer tick (2021 NKNUSDT: tick
 * 0.0001, level 0.25974); USD-M prints `pricePrecision` / `quantityPrecision`
 * decimals. So
 *
 *   priceScale = max(decimals of tickSize, wire price decimals)
 *   qtyScale   = max(decimals of stepSize, wire qty decimals)
 *
 * with the wire decimals = USD-M `pricePrecision`/`quantityPrecision`, Spot
 * `quoteAssetPrecision`/`baseAssetPrecision` (8), else 8. The default 8/8 of
 * `registry.intern` would overflow 2^53 on low-priced USD-M symbols
 * (AKROUSDT quantity "167600008" × 10^8), which is why USD-M needs this.
 *
 * Filters (every value is a JSON string on the wire, parsed exactly):
 *   PRICE_FILTER  tickSize (+ minPrice/maxPrice in BinanceSymbolInfo)
 *   LOT_SIZE      stepSize, minQty, maxQty   (MARKET_LOT_SIZE kept aside)
 *   NOTIONAL      minNotional, maxNotional   (modern Spot)
 *   MIN_NOTIONAL  minNotional (Spot 2021 format) or `notional` (USD-M)
 * A bound that does not fit a safe-integer mantissa at its scale is wider
 * than any representable value, so it is stored as 0 ("no bound").
 *
 * Cold path (startup, once per exchangeInfo): JSON.parse and strings are fine.
 */
import { ErrorCode, TickflowError } from '../../core/errors.js'
import { MAX_SCALE, parseDecimal, stepScale } from '../../core/fixed-point.js'
import { InstrumentStatus, splitSymbol, type InstrumentRegistry, type InstrumentSpec, type InstrumentStatusValue } from '../../model/instrument.js'
import type { BinanceMarket } from './urls.js'

/** Venue registry names used by default for the two markets. */
export const DEFAULT_VENUE_NAMES: Readonly<Record<BinanceMarket, string>> = Object.freeze({ spot: 'binance-spot', usdm: 'binance-usdm' })

/** What one exchangeInfo symbol says, beyond the InstrumentSpec. Mantissas at the spec's scales. */
export interface BinanceSymbolInfo {
  spec: InstrumentSpec
  /** the venue's status string (TRADING, BREAK, HALT, CANCEL_ONLY, END_OF_DAY, PENDING_TRADING, SETTLING …) */
  venueStatus: string
  /** PRICE_FILTER bounds (0 = none) */
  minPrice: number
  maxPrice: number
  /** MARKET_LOT_SIZE (0 = none / same as LOT_SIZE) */
  marketMinQty: number
  marketMaxQty: number
  marketStepSize: number
  /** which filter gave minNotional: 'NOTIONAL', 'MIN_NOTIONAL' or '' */
  notionalFilter: string
  /** USD-M contract type (PERPETUAL, CURRENT_QUARTER …), '' on Spot */
  contractType: string
}

/** The parts of an exchangeInfo response the engine uses. */
export interface BinanceExchangeInfo {
  market: BinanceMarket
  serverTimeMs: number
  /** REQUEST_WEIGHT per minute from `rateLimits`, 0 when absent */
  requestWeightPerMinute: number
  /** venue symbol → info */
  symbols: Map<string, BinanceSymbolInfo>
}

type Json = Record<string, unknown>

const STATUS: Readonly<Record<string, InstrumentStatusValue>> = {
  TRADING: InstrumentStatus.Trading,
  HALT: InstrumentStatus.Halt,
  BREAK: InstrumentStatus.Break,
  CANCEL_ONLY: InstrumentStatus.CancelOnly,
  END_OF_DAY: InstrumentStatus.EndOfDay,
}

/** Binance symbol status string → InstrumentStatus (unknown strings → Unknown). */
export function instrumentStatus(venueStatus: string): InstrumentStatusValue {
  return STATUS[venueStatus] ?? InstrumentStatus.Unknown
}

const nonNegInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

function filter(s: Json, type: string): Json | null {
  const filters = s['filters']
  if (!Array.isArray(filters)) return null
  for (const f of filters as unknown[]) {
    if (f !== null && typeof f === 'object' && (f as Json)['filterType'] === type) return f as Json
  }
  return null
}

/** Decimals prices carry on the wire: USD-M `pricePrecision`; Spot pads to the quote asset precision (8). */
function wirePriceDecimals(s: Json): number {
  return nonNegInt(s['pricePrecision']) ?? nonNegInt(s['quoteAssetPrecision']) ?? nonNegInt(s['quotePrecision']) ?? 8
}

/** Decimals quantities carry on the wire: USD-M `quantityPrecision`; Spot pads to the base asset precision (8). */
function wireQtyDecimals(s: Json): number {
  return nonNegInt(s['quantityPrecision']) ?? nonNegInt(s['baseAssetPrecision']) ?? 8
}

/**
 * A filter bound as a mantissa at `scale`; 0 when absent, zero, or wider
 * than the safe-integer range ("no bound"). Throws TickflowError on a value
 * with more decimals than `scale` or bad syntax (the venue's data is wrong).
 */
function bound(text: string | null, scale: number, what: string): number {
  if (text === null) return 0
  try {
    return parseDecimal(text, scale)
  } catch (err) {
    if (err instanceof TickflowError && err.code === ErrorCode.DECIMAL_RANGE) return 0
    throw new TickflowError(ErrorCode.CONFIG_INVALID, `exchangeInfo ${what} "${text}" does not fit scale ${scale}`, { cause: err })
  }
}

function clampScale(n: number): number {
  return Math.min(MAX_SCALE, Math.max(0, n))
}

/**
 * The InstrumentSpec (and extra filter values) of one exchangeInfo symbol
 * object, or null when it lacks PRICE_FILTER/LOT_SIZE (not tradable as a
 * book: e.g. a delisted symbol stub).
 */
export function symbolInfoFromJson(s: Json, market: BinanceMarket, venueName: string): BinanceSymbolInfo | null {
  const symbol = str(s['symbol'])
  if (symbol === null || symbol === '') return null
  const pf = filter(s, 'PRICE_FILTER')
  const lot = filter(s, 'LOT_SIZE')
  const tick = pf === null ? null : str(pf['tickSize'])
  const step = lot === null ? null : str(lot['stepSize'])
  if (tick === null || step === null) return null
  const priceScale = clampScale(Math.max(stepScale(tick), wirePriceDecimals(s)))
  const qtyScale = clampScale(Math.max(stepScale(step), wireQtyDecimals(s)))
  const notionalFilter = filter(s, 'NOTIONAL')
  const minNotionalFilter = filter(s, 'MIN_NOTIONAL')
  let minNotionalText: string | null = null
  let maxNotionalText: string | null = null
  let notionalName = ''
  if (notionalFilter !== null) {
    minNotionalText = str(notionalFilter['minNotional'])
    maxNotionalText = str(notionalFilter['maxNotional'])
    notionalName = 'NOTIONAL'
  } else if (minNotionalFilter !== null) {
    // Spot 2021 format: minNotional; USD-M: notional (binance-protocol.md §8).
    minNotionalText = str(minNotionalFilter['minNotional']) ?? str(minNotionalFilter['notional'])
    notionalName = 'MIN_NOTIONAL'
  }
  // Quote amounts: the quote asset's precision, widened to hold the notional filters exactly.
  let notionalScale = nonNegInt(s['quoteAssetPrecision']) ?? nonNegInt(s['quotePrecision']) ?? 8
  if (minNotionalText !== null) notionalScale = Math.max(notionalScale, stepScale(minNotionalText))
  notionalScale = clampScale(notionalScale)
  const [base, quote] = splitSymbol(symbol)
  const venueStatus = str(s['status']) ?? ''
  const spec: InstrumentSpec = {
    venue: venueName,
    symbol,
    base: str(s['baseAsset']) ?? base,
    quote: str(s['quoteAsset']) ?? quote,
    priceScale,
    qtyScale,
    tickSize: bound(tick, priceScale, `${symbol} tickSize`),
    stepSize: bound(step, qtyScale, `${symbol} stepSize`),
    minQty: bound(str(lot!['minQty']), qtyScale, `${symbol} minQty`),
    maxQty: bound(str(lot!['maxQty']), qtyScale, `${symbol} maxQty`),
    minNotional: bound(minNotionalText, notionalScale, `${symbol} minNotional`),
    maxNotional: bound(maxNotionalText, notionalScale, `${symbol} maxNotional`),
    notionalScale,
    status: instrumentStatus(venueStatus),
  }
  const mlot = filter(s, 'MARKET_LOT_SIZE')
  return {
    spec,
    venueStatus,
    minPrice: bound(str(pf!['minPrice']), priceScale, `${symbol} minPrice`),
    maxPrice: bound(str(pf!['maxPrice']), priceScale, `${symbol} maxPrice`),
    marketMinQty: mlot === null ? 0 : bound(str(mlot['minQty']), qtyScale, `${symbol} market minQty`),
    marketMaxQty: mlot === null ? 0 : bound(str(mlot['maxQty']), qtyScale, `${symbol} market maxQty`),
    marketStepSize: mlot === null ? 0 : bound(str(mlot['stepSize']), qtyScale, `${symbol} market stepSize`),
    notionalFilter: notionalName,
    contractType: market === 'usdm' ? (str(s['contractType']) ?? '') : '',
  }
}

/**
 * Parses an exchangeInfo body (`GET /api/v3/exchangeInfo` or
 * `/fapi/v1/exchangeInfo`). `only` limits the symbols parsed (the rest are
 * skipped unread). Throws TickflowError(CONFIG_INVALID) on a body that is not
 * an exchangeInfo object.
 */
export function parseExchangeInfo(body: Buffer | string, market: BinanceMarket, venueName: string = DEFAULT_VENUE_NAMES[market], only?: Iterable<string>): BinanceExchangeInfo {
  let info: unknown
  try {
    info = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'))
  } catch (err) {
    throw new TickflowError(ErrorCode.CONFIG_INVALID, `${venueName}: exchangeInfo is not JSON`, { cause: err })
  }
  if (info === null || typeof info !== 'object' || !Array.isArray((info as Json)['symbols'])) {
    throw new TickflowError(ErrorCode.CONFIG_INVALID, `${venueName}: exchangeInfo has no symbols array`)
  }
  const root = info as Json
  const wanted = only === undefined ? null : new Set(only)
  const symbols = new Map<string, BinanceSymbolInfo>()
  for (const s of root['symbols'] as unknown[]) {
    if (s === null || typeof s !== 'object') continue
    const name = str((s as Json)['symbol'])
    if (name === null || (wanted !== null && !wanted.has(name))) continue
    const si = symbolInfoFromJson(s as Json, market, venueName)
    if (si !== null) symbols.set(name, si)
  }
  let requestWeightPerMinute = 0
  const limits = root['rateLimits']
  if (Array.isArray(limits)) {
    for (const l of limits as unknown[]) {
      if (l === null || typeof l !== 'object') continue
      const r = l as Json
      if (r['rateLimitType'] !== 'REQUEST_WEIGHT') continue
      const n = nonNegInt(r['intervalNum']) ?? 1
      const limit = nonNegInt(r['limit']) ?? 0
      const perMinute = r['interval'] === 'MINUTE' ? limit / n : r['interval'] === 'SECOND' ? limit * (60 / n) : 0
      if (perMinute > 0 && (requestWeightPerMinute === 0 || perMinute < requestWeightPerMinute)) requestWeightPerMinute = Math.floor(perMinute)
    }
  }
  return { market, serverTimeMs: nonNegInt(root['serverTime']) ?? 0, requestWeightPerMinute, symbols }
}

/** Result of `defineInstruments`. */
export interface DefinedInstruments {
  /** symbol → instrument id, in the order asked */
  ids: Map<string, number>
  /** symbols asked for that exchangeInfo does not list (or lists without PRICE_FILTER/LOT_SIZE) */
  missing: string[]
}

/**
 * Defines `symbols` in the registry from a parsed exchangeInfo (venue =
 * the info's venue name). Symbols it does not know are reported in
 * `missing` and left alone.
 */
export function defineInstruments(registry: InstrumentRegistry, info: BinanceExchangeInfo, symbols: readonly string[]): DefinedInstruments {
  const ids = new Map<string, number>()
  const missing: string[] = []
  for (const sym of symbols) {
    const si = info.symbols.get(sym)
    if (si === undefined) {
      missing.push(sym)
      continue
    }
    ids.set(sym, registry.define(si.spec))
  }
  return { ids, missing }
}

