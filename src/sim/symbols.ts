/**
 * Symbol specifications of the simulated venue: assets, filters and the
 * synthetic market's starting price. Every amount is a scale-8 mantissa.
 */
import { ONE, fmt } from './wire.js'
import { parseDecimal } from '../core/fixed-point.js'

export interface SymbolSpec {
  symbol: string
  baseAsset: string
  quoteAsset: string
  /** PRICE_FILTER */
  tickSize: number
  minPrice: number
  maxPrice: number
  /** LOT_SIZE */
  stepSize: number
  minQty: number
  maxQty: number
  /** NOTIONAL (and MIN_NOTIONAL, same minimum) */
  minNotional: number
  maxNotional: number
  /** synthetic market starting mid price */
  startPrice: number
  /** typical resting size per level in the synthetic book */
  levelQty: number
}

/** Input form of a symbol in configuration: decimals as strings. */
export interface SymbolConfig {
  symbol: string
  baseAsset: string
  quoteAsset: string
  tickSize: string
  stepSize: string
  minQty?: string
  maxQty?: string
  minPrice?: string
  maxPrice?: string
  minNotional?: string
  maxNotional?: string
  startPrice: string
  levelQty?: string
}

const d = (s: string): number => parseDecimal(s, 8)

export const DEFAULT_SYMBOLS: SymbolConfig[] = [
  { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', maxQty: '9000', minNotional: '5', startPrice: '60000', levelQty: '0.5' },
  { symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT', tickSize: '0.01', stepSize: '0.0001', minQty: '0.0001', maxQty: '9000', minNotional: '5', startPrice: '3000', levelQty: '5' },
  { symbol: 'SOLUSDT', baseAsset: 'SOL', quoteAsset: 'USDT', tickSize: '0.01', stepSize: '0.001', minQty: '0.001', maxQty: '90000', minNotional: '5', startPrice: '150', levelQty: '50' },
]

/** Resolves a configured symbol to a spec (throws on a bad decimal, naming the field). */
export function resolveSymbol(c: SymbolConfig): SymbolSpec {
  const field = (name: keyof SymbolConfig, v: string | undefined, dflt: string): number => {
    try {
      return d(v ?? dflt)
    } catch (err) {
      throw new Error(`symbols[${c.symbol}].${name}: ${(err as Error).message}`)
    }
  }
  const tick = field('tickSize', c.tickSize, '0.01')
  const step = field('stepSize', c.stepSize, '0.001')
  const spec: SymbolSpec = {
    symbol: c.symbol,
    baseAsset: c.baseAsset,
    quoteAsset: c.quoteAsset,
    tickSize: tick,
    minPrice: field('minPrice', c.minPrice, fmt(tick)),
    maxPrice: field('maxPrice', c.maxPrice, '1000000'),
    stepSize: step,
    minQty: field('minQty', c.minQty, fmt(step)),
    maxQty: field('maxQty', c.maxQty, '9000'),
    minNotional: field('minNotional', c.minNotional, '5'),
    maxNotional: field('maxNotional', c.maxNotional, '9000000'),
    startPrice: field('startPrice', c.startPrice, '100'),
    levelQty: field('levelQty', c.levelQty, '1'),
  }
  if (spec.tickSize <= 0 || spec.stepSize <= 0) throw new Error(`symbols[${c.symbol}]: tickSize and stepSize must be > 0`)
  if (spec.startPrice % spec.tickSize !== 0) throw new Error(`symbols[${c.symbol}].startPrice: not a multiple of tickSize`)
  if (spec.startPrice < 20 * spec.tickSize) throw new Error(`symbols[${c.symbol}].startPrice: must be at least 20 ticks`)
  if (spec.levelQty < spec.stepSize) throw new Error(`symbols[${c.symbol}].levelQty: smaller than stepSize`)
  return spec
}

/** The exchangeInfo `symbols[]` entry for a spec, in Binance's current format. */
export function exchangeInfoSymbol(s: SymbolSpec): Record<string, unknown> {
  return {
    symbol: s.symbol,
    status: 'TRADING',
    baseAsset: s.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: s.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
    icebergAllowed: false,
    ocoAllowed: false,
    otoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: false,
    amendAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: fmt(s.minPrice), maxPrice: fmt(s.maxPrice), tickSize: fmt(s.tickSize) },
      { filterType: 'LOT_SIZE', minQty: fmt(s.minQty), maxQty: fmt(s.maxQty), stepSize: fmt(s.stepSize) },
      { filterType: 'MIN_NOTIONAL', minNotional: fmt(s.minNotional), applyToMarket: true, avgPriceMins: 5 },
      {
        filterType: 'NOTIONAL',
        minNotional: fmt(s.minNotional),
        applyMinToMarket: true,
        maxNotional: fmt(s.maxNotional),
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
      { filterType: 'MARKET_LOT_SIZE', minQty: fmt(0), maxQty: fmt(s.maxQty), stepSize: fmt(0) },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'NONE',
    allowedSelfTradePreventionModes: ['NONE'],
  }
}

export { ONE }
