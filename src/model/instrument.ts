/**
 * Instruments and venues, interned to small integers at subscribe time
 * (house style 2.5 rule 8): the hot path compares and indexes by id, never by
 * string.
 *
 * - venue id: one per venue connection family ("binance-spot", "binance-usdm", "sim", …)
 * - instrument id: one per (venue, venue symbol), e.g. (binance-spot, BTCUSDT)
 * - canonical id: one per cross-venue instrument, e.g. "BTC-USDT", shared by
 *   BTCUSDT on Spot and on USD-M, used by the consolidated BBO.
 *
 * Each instrument has a price scale and a quantity scale (the decimals of its
 * tick and lot size, core/fixed-point.ts); every mantissa of that instrument
 * is at those scales.
 */
import { ErrorCode, TickflowError } from '../core/errors.js'
import { MAX_SCALE } from '../core/fixed-point.js'

/** Trading status, after Binance's symbol status. */
export const InstrumentStatus = { Trading: 0, Halt: 1, Break: 2, CancelOnly: 3, EndOfDay: 4, Unknown: 5 } as const
export type InstrumentStatusValue = (typeof InstrumentStatus)[keyof typeof InstrumentStatus]

/** What an instrument is; mantissas are at the instrument's scales. */
export interface InstrumentSpec {
  venue: string
  symbol: string
  base: string
  quote: string
  priceScale: number
  qtyScale: number
  /** tick size mantissa at priceScale (0 = no tick rule) */
  tickSize: number
  /** lot step mantissa at qtyScale (0 = no step rule) */
  stepSize: number
  /** mantissas at qtyScale (0 = no bound) */
  minQty: number
  maxQty: number
  /** minimum and maximum notional, mantissas at `notionalScale` (0 = no bound) */
  minNotional: number
  maxNotional: number
  notionalScale: number
  status: InstrumentStatusValue
}

/** Default scales when a venue's instrument rules are not known (Spot pads decimals to 8). */
export const DEFAULT_SCALE = 8

export class InstrumentRegistry {
  private readonly venueIdsByName = new Map<string, number>()
  private readonly venueNames: string[] = ['']
  private readonly idsByKey = new Map<string, number>()
  private readonly specs: InstrumentSpec[] = []
  private readonly canonicalIdsByName = new Map<string, number>()
  private readonly canonicalNames: string[] = ['']
  /** instrument id -> canonical id */
  private canonical: Int32Array = new Int32Array(64)
  /** instrument id -> venue id */
  private venueOf: Int32Array = new Int32Array(64)
  /** instrument id -> price scale / qty scale (read on the hot path) */
  priceScales: Uint8Array = new Uint8Array(64)
  qtyScales: Uint8Array = new Uint8Array(64)

  /** Interns a venue name; ids start at 1. */
  venueId(name: string): number {
    let id = this.venueIdsByName.get(name)
    if (id === undefined) {
      id = this.venueNames.length
      this.venueNames.push(name)
      this.venueIdsByName.set(name, id)
    }
    return id
  }

  venueName(id: number): string {
    return this.venueNames[id] ?? ''
  }

  /** Interns a canonical instrument name ("BTC-USDT"); ids start at 1. */
  canonicalId(name: string): number {
    let id = this.canonicalIdsByName.get(name)
    if (id === undefined) {
      id = this.canonicalNames.length
      this.canonicalNames.push(name)
      this.canonicalIdsByName.set(name, id)
    }
    return id
  }

  canonicalName(id: number): string {
    return this.canonicalNames[id] ?? ''
  }

  /**
   * Defines (or redefines) an instrument and returns its id. Ids start at 1 and
   * are stable for the life of the registry.
   */
  define(spec: InstrumentSpec): number {
    for (const s of [spec.priceScale, spec.qtyScale, spec.notionalScale]) {
      if (!Number.isInteger(s) || s < 0 || s > MAX_SCALE) {
        throw new TickflowError(ErrorCode.DECIMAL_SCALE, `instrument ${spec.venue}:${spec.symbol}: scale ${s} out of range`)
      }
    }
    const key = spec.venue + '\u0000' + spec.symbol
    let id = this.idsByKey.get(key)
    if (id === undefined) {
      id = this.specs.length + 1
      this.idsByKey.set(key, id)
      this.specs.push(spec)
      this.ensure(id + 1)
    } else {
      this.specs[id - 1] = spec
    }
    const frozen = Object.freeze({ ...spec })
    this.specs[id - 1] = frozen
    this.venueOf[id] = this.venueId(spec.venue)
    this.canonical[id] = this.canonicalId(`${spec.base}-${spec.quote}`)
    this.priceScales[id] = spec.priceScale
    this.qtyScales[id] = spec.qtyScale
    return id
  }

  /**
   * The id of (venue, symbol), defining it with default scales when unknown
   * (base/quote guessed from common quote assets). Use `define` when the
   * venue's rules are known.
   */
  intern(venue: string, symbol: string): number {
    const id = this.lookup(venue, symbol)
    if (id > 0) return id
    const [base, quote] = splitSymbol(symbol)
    return this.define({
      venue,
      symbol,
      base,
      quote,
      priceScale: DEFAULT_SCALE,
      qtyScale: DEFAULT_SCALE,
      tickSize: 0,
      stepSize: 0,
      minQty: 0,
      maxQty: 0,
      minNotional: 0,
      maxNotional: 0,
      notionalScale: DEFAULT_SCALE,
      status: InstrumentStatus.Trading,
    })
  }

  /** The id of (venue, symbol), or 0 when not defined. */
  lookup(venue: string, symbol: string): number {
    return this.idsByKey.get(venue + '\u0000' + symbol) ?? 0
  }

  spec(id: number): InstrumentSpec {
    const s = this.specs[id - 1]
    if (s === undefined) throw new TickflowError(ErrorCode.INVARIANT, `Invariant: unknown instrument id ${id}`)
    return s
  }

  has(id: number): boolean {
    return id > 0 && id <= this.specs.length
  }

  /** The canonical (cross-venue) id of an instrument. */
  canonicalOf(id: number): number {
    return this.canonical[id]!
  }

  venueOfInstrument(id: number): number {
    return this.venueOf[id]!
  }

  get size(): number {
    return this.specs.length
  }

  /** All instrument ids (1..size). */
  ids(): number[] {
    const out: number[] = []
    for (let i = 1; i <= this.specs.length; i++) out.push(i)
    return out
  }

  private ensure(n: number): void {
    if (this.canonical.length >= n) return
    let len = this.canonical.length * 2
    while (len < n) len *= 2
    const grow32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(len)
      b.set(a)
      return b
    }
    const grow8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(len)
      b.set(a)
      return b
    }
    this.canonical = grow32(this.canonical)
    this.venueOf = grow32(this.venueOf)
    this.priceScales = grow8(this.priceScales)
    this.qtyScales = grow8(this.qtyScales)
  }
}

const QUOTES = ['USDT', 'USDC', 'FDUSD', 'BUSD', 'TUSD', 'USD', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY', 'BRL', 'GBP', 'JPY', 'DAI']

/** Best-effort split of a venue symbol into base and quote ("BTCUSDT" -> BTC, USDT). */
export function splitSymbol(symbol: string): [string, string] {
  const s = symbol.toUpperCase()
  for (const q of QUOTES) {
    if (s.length > q.length && s.endsWith(q)) return [s.slice(0, s.length - q.length), q]
  }
  return [s, '']
}
