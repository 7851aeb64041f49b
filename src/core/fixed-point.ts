/**
 * Exact decimals as fixed-point integers.
 *
 * A decimal is held as an integer `mantissa` (a JS number that is a safe
 * integer, |m| <= 2^53 - 1) at a `scale` (0..18 fractional digits):
 * value = mantissa / 10^scale. Each instrument has its own price and quantity
 * scale (the decimals of its tick and lot size), so "61234.56000000" for a
 * BTCUSDT price at scale 2 is the mantissa 6123456.
 *
 * Why numbers and not BigInt: a safe-integer mantissa fits in a Float64Array
 * slot and in an existing object field without allocating (node-performance.md
 * §1 "hidden boxing"); BigInt allocates on every operation. The hot path
 * (decoders, books) only parses, compares and copies mantissas. Products
 * (notional = price x qty) can exceed 2^53 and are computed with BigInt in the
 * cold order path (`mulDecimals`).
 *
 * Nothing here passes through a float: parsing accumulates digits as integers,
 * and every operation checks the safe range and throws a coded error
 * (DECIMAL_*) instead of rounding silently. Rounding happens only where the
 * caller asks for it, with an explicit mode.
 */
import { ErrorCode, TickflowError } from './errors.js'

/** Largest scale (fractional digits) supported. */
export const MAX_SCALE = 18
/** Largest magnitude of a mantissa: Number.MAX_SAFE_INTEGER. */
export const MAX_MANTISSA = Number.MAX_SAFE_INTEGER

/** Rounding modes. `Exact` throws DECIMAL_PRECISION instead of rounding. */
export const Rounding = {
  Exact: 0,
  /** toward negative infinity */
  Floor: 1,
  /** toward positive infinity */
  Ceil: 2,
  /** to nearest, ties to even (banker's rounding) */
  HalfEven: 3,
  /** toward zero */
  Down: 4,
} as const
export type RoundingMode = (typeof Rounding)[keyof typeof Rounding]

/** 10^0 .. 10^18; all exactly representable as doubles. */
export const POW10: Float64Array = (() => {
  const t = new Float64Array(MAX_SCALE + 1)
  let p = 1
  for (let i = 0; i <= MAX_SCALE; i++) {
    t[i] = p
    p *= 10
  }
  return t
})()

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new TickflowError(ErrorCode.DECIMAL_SCALE, `scale must be an integer in 0..${MAX_SCALE}, got ${scale}`)
  }
}

function checkMantissa(m: number, what: string): number {
  if (!Number.isSafeInteger(m)) {
    throw new TickflowError(ErrorCode.DECIMAL_RANGE, `${what}: result ${m} is outside the safe integer range`)
  }
  return m
}

/**
 * Parses a decimal string ("-12.3400", "7", "0.00000001") to a mantissa at
 * `scale`. Accepted grammar: `-?[0-9]+(\.[0-9]+)?` (a leading `+` is also
 * accepted). Digits beyond `scale` must be zeros, else DECIMAL_PRECISION;
 * exponents, blanks and anything else give DECIMAL_SYNTAX; values past 2^53
 * give DECIMAL_RANGE.
 */
export function parseDecimal(text: string, scale: number): number {
  checkScale(scale)
  const n = text.length
  let i = 0
  let neg = false
  if (n > 0 && (text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43)) {
    neg = text.charCodeAt(0) === 45
    i = 1
  }
  if (i >= n) throw syntax(text)
  let m = 0
  let intDigits = 0
  for (; i < n; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) break
    if (m > (MAX_MANTISSA - c) / 10) throw range(text, scale)
    m = m * 10 + c
    intDigits++
  }
  if (intDigits === 0) throw syntax(text)
  let frac = 0
  if (i < n) {
    if (text.charCodeAt(i) !== 46) throw syntax(text)
    i++
    if (i >= n) throw syntax(text)
    for (; i < n; i++) {
      const c = text.charCodeAt(i) - 48
      if (c < 0 || c > 9) throw syntax(text)
      if (frac < scale) {
        if (m > (MAX_MANTISSA - c) / 10) throw range(text, scale)
        m = m * 10 + c
        frac++
      } else if (c !== 0) {
        throw new TickflowError(
          ErrorCode.DECIMAL_PRECISION,
          `decimal "${text}" has more than ${scale} significant fractional digits`,
        )
      }
    }
  }
  for (; frac < scale; frac++) {
    if (m > MAX_MANTISSA / 10) throw range(text, scale)
    m *= 10
  }
  return neg && m !== 0 ? -m : m
}

function syntax(text: string): TickflowError {
  return new TickflowError(ErrorCode.DECIMAL_SYNTAX, `not a plain decimal: "${text.length > 64 ? text.slice(0, 64) + '…' : text}"`)
}

function range(text: string, scale: number): TickflowError {
  return new TickflowError(ErrorCode.DECIMAL_RANGE, `decimal "${text}" does not fit a safe integer at scale ${scale}`)
}

/** Error code of the last failed `parseDecimalBytes` call (0 = none). */
export const DecimalStatus = { Ok: 0, Syntax: 1, Precision: 2, Range: 3 } as const
const lastStatus = new Int32Array(1)

/** The status of the last `parseDecimalBytes` call (a `DecimalStatus` value). */
export function lastDecimalStatus(): number {
  return lastStatus[0]!
}

/**
 * Hot-path variant of `parseDecimal` over bytes [start, end) of a buffer.
 * Returns the mantissa, or NaN on failure with the reason in
 * `lastDecimalStatus()`. Never throws, never allocates.
 */
export function parseDecimalBytes(buf: Uint8Array, start: number, end: number, scale: number): number {
  let i = start
  let neg = false
  if (i < end && (buf[i] === 45 || buf[i] === 43)) {
    neg = buf[i] === 45
    i++
  }
  let m = 0
  let intDigits = 0
  for (; i < end; i++) {
    const c = buf[i]! - 48
    if (c < 0 || c > 9) break
    if (m > (MAX_MANTISSA - c) / 10) return fail(DecimalStatus.Range)
    m = m * 10 + c
    intDigits++
  }
  if (intDigits === 0) return fail(DecimalStatus.Syntax)
  let frac = 0
  if (i < end) {
    if (buf[i] !== 46 || i + 1 >= end) return fail(DecimalStatus.Syntax)
    i++
    for (; i < end; i++) {
      const c = buf[i]! - 48
      if (c < 0 || c > 9) return fail(DecimalStatus.Syntax)
      if (frac < scale) {
        if (m > (MAX_MANTISSA - c) / 10) return fail(DecimalStatus.Range)
        m = m * 10 + c
        frac++
      } else if (c !== 0) {
        return fail(DecimalStatus.Precision)
      }
    }
  }
  if (frac < scale) {
    const mul = POW10[scale - frac]!
    if (m > MAX_MANTISSA / mul) return fail(DecimalStatus.Range)
    m *= mul
  }
  lastStatus[0] = DecimalStatus.Ok
  return neg ? -m : m
}

function fail(status: number): number {
  lastStatus[0] = status
  return NaN
}

/**
 * Formats a mantissa at `scale` as a plain decimal string. By default all
 * `scale` fractional digits are written ("0.10000000" at scale 8); with
 * `trim` trailing zeros (and a bare '.') are dropped ("0.1"), which is what
 * Binance accepts in order parameters.
 */
export function formatDecimal(mantissa: number, scale: number, trim = false): string {
  checkScale(scale)
  checkMantissa(mantissa, 'formatDecimal')
  const neg = mantissa < 0
  let digits = String(neg ? -mantissa : mantissa)
  if (scale === 0) return neg ? '-' + digits : digits
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits
  const cut = digits.length - scale
  let intPart = digits.slice(0, cut)
  let fracPart = digits.slice(cut)
  if (trim) {
    let e = fracPart.length
    while (e > 0 && fracPart.charCodeAt(e - 1) === 48) e--
    fracPart = fracPart.slice(0, e)
  }
  if (intPart === '') intPart = '0'
  const body = fracPart.length > 0 ? `${intPart}.${fracPart}` : intPart
  return neg ? '-' + body : body
}

/** Number of fractional digits a step like "0.01000000" really needs (2); "1.00000000" needs 0. */
export function stepScale(text: string): number {
  const dot = text.indexOf('.')
  if (dot < 0) return 0
  let e = text.length
  while (e > dot + 1 && text.charCodeAt(e - 1) === 48) e--
  const s = e - dot - 1
  if (s > MAX_SCALE) throw new TickflowError(ErrorCode.DECIMAL_SCALE, `step "${text}" has more than ${MAX_SCALE} decimals`)
  return s
}

/** a + b for mantissas at the same scale; DECIMAL_RANGE on overflow. */
export function addDecimals(a: number, b: number): number {
  return checkMantissa(a + b, 'add')
}

/** a - b for mantissas at the same scale; DECIMAL_RANGE on overflow. */
export function subDecimals(a: number, b: number): number {
  return checkMantissa(a - b, 'sub')
}

/** a × k for an integer k; DECIMAL_RANGE on overflow. */
export function mulInt(a: number, k: number): number {
  if (!Number.isSafeInteger(k)) throw new TickflowError(ErrorCode.DECIMAL_RANGE, `mulInt: ${k} is not a safe integer`)
  const p = a * k
  // a*k is exact when |p| <= 2^53; above that it may be rounded, so reject.
  return checkMantissa(p, 'mulInt')
}

/** -1, 0 or 1. Mantissas must be at the same scale. */
export function compareDecimals(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** True when m is a whole multiple of step (both at the same scale, step > 0). */
export function isOnStep(m: number, step: number): boolean {
  return m % step === 0
}

/**
 * Rounds `m` to a multiple of `step` (same scale, step > 0) with `mode`.
 * `Exact` throws DECIMAL_NOT_ON_STEP when m is not on the step.
 * Exact integer arithmetic: `%` on safe integers is exact in IEEE doubles.
 */
export function roundToStep(m: number, step: number, mode: RoundingMode): number {
  if (!(step > 0) || !Number.isSafeInteger(step)) {
    throw new TickflowError(ErrorCode.DECIMAL_RANGE, `roundToStep: step must be a positive safe integer, got ${step}`)
  }
  const r = m % step // same sign as m (or 0)
  if (r === 0) return m
  const down = m - r // toward zero
  let out: number
  switch (mode) {
    case Rounding.Exact:
      throw new TickflowError(ErrorCode.DECIMAL_NOT_ON_STEP, `value ${m} is not a multiple of step ${step}`)
    case Rounding.Down:
      out = down
      break
    case Rounding.Floor:
      out = m < 0 ? down - step : down
      break
    case Rounding.Ceil:
      out = m > 0 ? down + step : down
      break
    case Rounding.HalfEven: {
      const away = m < 0 ? down - step : down + step
      const twice = 2 * (r < 0 ? -r : r)
      if (twice < step) out = down
      else if (twice > step) out = away
      else out = (down / step) % 2 === 0 ? down : away
      break
    }
    default:
      throw new TickflowError(ErrorCode.DECIMAL_RANGE, `unknown rounding mode ${String(mode)}`)
  }
  return checkMantissa(out, 'roundToStep')
}

/**
 * Converts a mantissa from one scale to another. Scaling up is exact or
 * DECIMAL_RANGE; scaling down rounds with `mode` (Exact: DECIMAL_PRECISION
 * when digits would be lost).
 */
export function rescale(m: number, fromScale: number, toScale: number, mode: RoundingMode = Rounding.Exact): number {
  checkScale(fromScale)
  checkScale(toScale)
  if (toScale === fromScale) return m
  if (toScale > fromScale) {
    const f = POW10[toScale - fromScale]!
    return checkMantissa(m * f, 'rescale')
  }
  const f = POW10[fromScale - toScale]!
  if (mode === Rounding.Exact && m % f !== 0) {
    throw new TickflowError(ErrorCode.DECIMAL_PRECISION, `value ${formatDecimal(m, fromScale)} cannot be held at scale ${toScale}`)
  }
  if (!Number.isSafeInteger(f)) return Number(bigRoundDiv(BigInt(m), fromScale - toScale, mode))
  return roundToStep(m, f, mode === Rounding.Exact ? Rounding.Down : mode) / f
}

const BIG10: bigint[] = []
for (let i = 0, p = 1n; i <= 2 * MAX_SCALE; i++, p *= 10n) BIG10.push(p)

/** Rounds a BigInt `v` divided by 10^drop with `mode`. */
function bigRoundDiv(v: bigint, drop: number, mode: RoundingMode): bigint {
  if (drop === 0) return v
  const d = BIG10[drop]!
  const q = v / d // truncates toward zero
  const r = v % d
  if (r === 0n) return q
  switch (mode) {
    case Rounding.Exact:
      throw new TickflowError(ErrorCode.DECIMAL_PRECISION, `product cannot be held exactly at the requested scale`)
    case Rounding.Down:
      return q
    case Rounding.Floor:
      return v < 0n ? q - 1n : q
    case Rounding.Ceil:
      return v > 0n ? q + 1n : q
    case Rounding.HalfEven: {
      const twice = 2n * (r < 0n ? -r : r)
      const away = v < 0n ? q - 1n : q + 1n
      if (twice < d) return q
      if (twice > d) return away
      return q % 2n === 0n ? q : away
    }
    default:
      throw new TickflowError(ErrorCode.DECIMAL_RANGE, `unknown rounding mode ${String(mode)}`)
  }
}

/**
 * a × b where a is at scale `aScale` and b at `bScale`, returned at `outScale`
 * with `mode`. Computed with BigInt (cold path: notional checks, balances), so
 * the intermediate product never overflows; the result must be a safe integer.
 */
export function mulDecimals(
  a: number,
  aScale: number,
  b: number,
  bScale: number,
  outScale: number,
  mode: RoundingMode = Rounding.Exact,
): number {
  checkScale(outScale)
  const p = BigInt(a) * BigInt(b)
  const pScale = aScale + bScale
  const v = pScale >= outScale ? bigRoundDiv(p, pScale - outScale, mode) : p * BIG10[outScale - pScale]!
  if (v > BigInt(MAX_MANTISSA) || v < -BigInt(MAX_MANTISSA)) {
    throw new TickflowError(ErrorCode.DECIMAL_RANGE, `product does not fit a safe integer at scale ${outScale}`)
  }
  return Number(v)
}

/**
 * Compares a (at aScale) with b (at bScale) exactly, whatever the scales:
 * -1, 0 or 1.
 */
export function compareScaled(a: number, aScale: number, b: number, bScale: number): number {
  if (aScale === bScale) return compareDecimals(a, b)
  const A = aScale < bScale ? BigInt(a) * BIG10[bScale - aScale]! : BigInt(a)
  const B = bScale < aScale ? BigInt(b) * BIG10[aScale - bScale]! : BigInt(b)
  return A < B ? -1 : A > B ? 1 : 0
}

/**
 * A mantissa as a float (mantissa / 10^scale), for analytics only. Correctly
 * rounded, so it equals parseFloat of the decimal string; never feed it back
 * into anything sent to a venue.
 */
export function toFloat(m: number, scale: number): number {
  return m / POW10[scale]!
}

/**
 * An immutable exact decimal for cold-path code (configuration, strategies,
 * risk limits, the simulator's balances). The hot path uses raw mantissas.
 */
export class Decimal {
  readonly mantissa: number
  readonly scale: number

  constructor(mantissa: number, scale: number) {
    checkScale(scale)
    this.mantissa = checkMantissa(mantissa, 'Decimal')
    this.scale = scale
  }

  /** Parses `text`; with no scale, the scale is the number of digits written after the point. */
  static parse(text: string, scale?: number): Decimal {
    if (scale === undefined) {
      const dot = text.indexOf('.')
      scale = dot < 0 ? 0 : text.length - dot - 1
      if (scale > MAX_SCALE) scale = Math.max(stepScale(text), 0)
    }
    return new Decimal(parseDecimal(text, scale), scale)
  }

  static readonly ZERO = new Decimal(0, 0)

  /** This value at `scale` (exact unless a rounding mode is given). */
  rescale(scale: number, mode: RoundingMode = Rounding.Exact): Decimal {
    return scale === this.scale ? this : new Decimal(rescale(this.mantissa, this.scale, scale, mode), scale)
  }

  /** This value at the smallest scale that holds it exactly. */
  normalize(): Decimal {
    let m = this.mantissa
    let s = this.scale
    while (s > 0 && m % 10 === 0) {
      m /= 10
      s--
    }
    return s === this.scale ? this : new Decimal(m, s)
  }

  add(o: Decimal): Decimal {
    const s = Math.max(this.scale, o.scale)
    return new Decimal(addDecimals(rescale(this.mantissa, this.scale, s), rescale(o.mantissa, o.scale, s)), s)
  }

  sub(o: Decimal): Decimal {
    const s = Math.max(this.scale, o.scale)
    return new Decimal(subDecimals(rescale(this.mantissa, this.scale, s), rescale(o.mantissa, o.scale, s)), s)
  }

  mulInt(k: number): Decimal {
    return new Decimal(mulInt(this.mantissa, k), this.scale)
  }

  /** this × o at `scale` (default: the sum of both scales, exact). */
  mul(o: Decimal, scale = this.scale + o.scale, mode: RoundingMode = Rounding.Exact): Decimal {
    return new Decimal(mulDecimals(this.mantissa, this.scale, o.mantissa, o.scale, scale, mode), scale)
  }

  neg(): Decimal {
    return new Decimal(-this.mantissa || 0, this.scale)
  }

  cmp(o: Decimal): number {
    return compareScaled(this.mantissa, this.scale, o.mantissa, o.scale)
  }

  eq(o: Decimal): boolean {
    return this.cmp(o) === 0
  }

  isZero(): boolean {
    return this.mantissa === 0
  }

  isNegative(): boolean {
    return this.mantissa < 0
  }

  /** Rounds to a multiple of `step` (expressed at any scale) with `mode`. */
  roundToStep(step: Decimal, mode: RoundingMode): Decimal {
    const s = Math.max(this.scale, step.scale)
    const m = roundToStep(rescale(this.mantissa, this.scale, s), rescale(step.mantissa, step.scale, s), mode)
    return new Decimal(m, s)
  }

  isOnStep(step: Decimal): boolean {
    const s = Math.max(this.scale, step.scale)
    return isOnStep(rescale(this.mantissa, this.scale, s), rescale(step.mantissa, step.scale, s))
  }

  /** The decimal string at this value's scale ("1.50"), or trimmed ("1.5"). */
  toString(trim = false): string {
    return formatDecimal(this.mantissa, this.scale, trim)
  }

  toJSON(): string {
    return this.toString()
  }

  /** Float approximation, for display and analytics only. */
  toNumber(): number {
    return toFloat(this.mantissa, this.scale)
  }
}
