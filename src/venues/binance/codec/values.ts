/**
 * The value primitives of the fast path (codec/fast.ts). Each reads one JSON
 * value at b[p] (before `end`) and returns the position after it, or -1 when
 * the value is not one the fast path accepts (the caller falls back). A
 * parsed value is left in VAL[0]. Module functions with the position in and
 * out: no object state on the per-digit loops. The `*Wide` variants read
 * eight digits as two words through a DataView of b's ArrayBuffer (`base` =
 * b's offset in it) and accept and refuse exactly what their digit-by-digit
 * twins do (test/unit/venues/binance/codec/layouts.test.ts).
 */
import { POW10 } from '../../../core/fixed-point.js'

const MAX_SAFE = 9007199254740991
/** A mantissa at or above this may not take one more digit exactly (9e14 * 10 + 9 < 2^53). */
const DIGIT_LIMIT = 9e14
/** Integers of at most 15 digits are exact in a double. */
const MAX_INT_DIGITS = 15

const QUOTE = 34
const DOT = 46
const BACKSLASH = 92
const CH_e = 101
const CH_E = 69

/** The value the last primitive parsed. */
export const VAL = new Float64Array(1)

/** A JSON non-negative integer of at most 15 digits (no leading zero, no fraction or exponent). */
export function intAt(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1
  let c = b[p]! - 48
  if (c < 0 || c > 9) return -1
  let m = c
  p++
  if (c === 0) {
    if (p < end && isDigit(b[p]!)) return -1 // leading zero: not JSON
  } else {
    const limit = p + MAX_INT_DIGITS - 1
    while (p < end) {
      c = b[p]! - 48
      if (c < 0 || c > 9) break
      if (p >= limit) return -1
      m = m * 10 + c
      p++
    }
  }
  if (p < end) {
    const n = b[p]!
    if (n === DOT || n === CH_e || n === CH_E) return -1
  }
  VAL[0] = m
  return p
}

/**
 * intAt, reading the first eight digits as two words (SWAR: all eight
 * checked to be digits at once, combined in four multiply-adds) when the
 * bytes allow, then the rest digit by digit exactly as intAt does. `dv` is a
 * view of b's ArrayBuffer and `base` b's offset in it.
 */
export function intAtWide(dv: DataView, base: number, b: Uint8Array, p: number, end: number): number {
  if (p + 8 > end) return intAt(b, p, end)
  const lo = dv.getInt32(base + p, true)
  const hi = dv.getInt32(base + p + 4, true)
  // every byte 0x30-0x3f, and none above 0x39 (no carry can cross a byte: each is at most 0x3f + 6)
  if (
    (lo & 0xf0f0f0f0) !== 0x30303030 ||
    ((lo + 0x06060606) & 0xf0f0f0f0) !== 0x30303030 ||
    (hi & 0xf0f0f0f0) !== 0x30303030 ||
    ((hi + 0x06060606) & 0xf0f0f0f0) !== 0x30303030 ||
    (lo & 0xff) === 0x30
  ) {
    return intAt(b, p, end)
  }
  // four digits d0..d3 (d0 in the low byte) -> d0d1 and d2d3 in bytes 0 and 2 -> d0d1d2d3
  let a = lo & 0x0f0f0f0f
  a = (a * 10 + (a >>> 8)) & 0x00ff00ff
  a = (a & 0xff) * 100 + (a >>> 16)
  let h = hi & 0x0f0f0f0f
  h = (h * 10 + (h >>> 8)) & 0x00ff00ff
  h = (h & 0xff) * 100 + (h >>> 16)
  let m = a * 10000 + h
  p += 8
  const limit = p + MAX_INT_DIGITS - 8
  while (p < end) {
    const c = b[p]! - 48
    if (c < 0 || c > 9) break
    if (p >= limit) return -1
    m = m * 10 + c
    p++
  }
  if (p < end) {
    const n = b[p]!
    if (n === DOT || n === CH_e || n === CH_E) return -1
  }
  VAL[0] = m
  return p
}

/**
 * A decimal string at `scale`: `"[0-9]+(.[0-9]+)?"`, digits past `scale`
 * must be zeros, the mantissa must be a safe integer. Anything else (sign,
 * exponent, escape, too many digits) is refused.
 */
export function decimalAt(b: Uint8Array, p: number, end: number, scale: number): number {
  if (p >= end || b[p] !== QUOTE) return -1
  p++
  const s = p
  let m = 0
  let c = 0
  while (p < end) {
    c = b[p]! - 48
    if (c < 0 || c > 9) break
    if (m >= DIGIT_LIMIT) return -1
    m = m * 10 + c
    p++
  }
  if (p === s || p >= end) return -1
  let frac = 0
  if (b[p] === DOT) {
    p++
    const f = p
    while (p < end) {
      c = b[p]! - 48
      if (c < 0 || c > 9) break
      if (frac < scale) {
        if (m >= DIGIT_LIMIT) return -1
        m = m * 10 + c
        frac++
      } else if (c !== 0) {
        return -1
      }
      p++
    }
    if (p === f || p >= end) return -1
  }
  if (b[p] !== QUOTE) return -1
  if (frac < scale) {
    m *= POW10[scale - frac]!
    if (m > MAX_SAFE) return -1
  }
  VAL[0] = m
  return p + 1
}

/** `true` (VAL 1) or `false` (VAL 0). */
export function boolAt(b: Uint8Array, p: number, end: number): number {
  if (p + 4 <= end && b[p] === 116 && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101) {
    VAL[0] = 1
    return p + 4
  }
  if (p + 5 <= end && b[p] === 102 && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101) {
    VAL[0] = 0
    return p + 5
  }
  return -1
}

/** A value the message kind does not use: a plain string (no escape, ASCII), number, true, false or null. */
export function skipAt(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1
  const c = b[p]!
  if (c === QUOTE) {
    p++
    for (;;) {
      if (p >= end) return -1
      const d = b[p]!
      if (d === QUOTE) break
      if (d === BACKSLASH || d < 0x20 || d >= 0x80) return -1
      p++
    }
    return p + 1
  }
  if (c === 116 /* t */) return literalWordAt(b, p, end, 0x74727565, 4)
  if (c === 102 /* f */) return literalWordAt(b, p, end, 0x66616c73, 5)
  if (c === 110 /* n */) return literalWordAt(b, p, end, 0x6e756c6c, 4)
  // number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  if (c === 45 /* - */) p++
  if (p >= end || !isDigit(b[p]!)) return -1
  if (b[p] === 48) p++
  else while (p < end && isDigit(b[p]!)) p++
  if (p < end && b[p] === DOT) {
    p++
    if (p >= end || !isDigit(b[p]!)) return -1
    while (p < end && isDigit(b[p]!)) p++
  }
  if (p < end && (b[p] === CH_e || b[p] === CH_E)) {
    p++
    if (p < end && (b[p] === 43 || b[p] === 45)) p++
    if (p >= end || !isDigit(b[p]!)) return -1
    while (p < end && isDigit(b[p]!)) p++
  }
  return p
}

/** true/null (first four bytes packed in `word`) or false (`len` 5: "fals" + "e"): the position after it, or -1. */
function literalWordAt(b: Uint8Array, p: number, end: number, word: number, len: number): number {
  if (p + len > end) return -1
  if (((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) !== word) return -1
  if (len === 5 && b[p + 4] !== CH_e) return -1
  return p + len
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}
