import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import Big from 'big.js'
import {
  Decimal,
  DecimalStatus,
  MAX_MANTISSA,
  Rounding,
  addDecimals,
  compareScaled,
  formatDecimal,
  lastDecimalStatus,
  mulDecimals,
  mulInt,
  parseDecimal,
  parseDecimalBytes,
  rescale,
  roundToStep,
  stepScale,
  subDecimals,
  toFloat,
} from '../../../src/core/fixed-point.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'

const code = (c: string) => (err: unknown) => isTickflowError(err) && err.code === c

test('parses Binance wire decimals exactly at the instrument scale', () => {
  assert.equal(parseDecimal('0.35130000', 8), 35130000)
  assert.equal(parseDecimal('0.35130000', 4), 3513)
  assert.equal(parseDecimal('61234.56000000', 2), 6123456)
  assert.equal(parseDecimal('7.6110', 3), 7611)
  assert.equal(parseDecimal('297', 0), 297)
  assert.equal(parseDecimal('0.00000000', 8), 0)
  assert.equal(parseDecimal('-100.5', 2), -10050)
  assert.equal(parseDecimal('1', 8), 100000000)
})

test('rejects what cannot be held exactly, with a coded error', () => {
  assert.throws(() => parseDecimal('0.35135', 4), code(ErrorCode.DECIMAL_PRECISION))
  assert.throws(() => parseDecimal('1e5', 2), code(ErrorCode.DECIMAL_SYNTAX))
  assert.throws(() => parseDecimal('', 2), code(ErrorCode.DECIMAL_SYNTAX))
  assert.throws(() => parseDecimal('.5', 2), code(ErrorCode.DECIMAL_SYNTAX))
  assert.throws(() => parseDecimal('5.', 2), code(ErrorCode.DECIMAL_SYNTAX))
  assert.throws(() => parseDecimal('1 ', 2), code(ErrorCode.DECIMAL_SYNTAX))
  assert.throws(() => parseDecimal('NaN', 2), code(ErrorCode.DECIMAL_SYNTAX))
  assert.throws(() => parseDecimal('99999999999.00000000', 8), code(ErrorCode.DECIMAL_RANGE))
  assert.throws(() => parseDecimal('9007199254740992', 0), code(ErrorCode.DECIMAL_RANGE))
  assert.equal(parseDecimal('9007199254740991', 0), MAX_MANTISSA)
  assert.throws(() => parseDecimal('1', 19), code(ErrorCode.DECIMAL_SCALE))
})

test('parseDecimalBytes agrees with parseDecimal and reports failures without throwing', () => {
  const cases: Array<[string, number]> = [
    ['0.35130000', 8],
    ['61234.56000000', 2],
    ['-3.25', 2],
    ['0', 0],
  ]
  for (const [s, scale] of cases) {
    const buf = Buffer.from(`"${s}"`)
    assert.equal(parseDecimalBytes(buf, 1, buf.length - 1, scale), parseDecimal(s, scale))
    assert.equal(lastDecimalStatus(), DecimalStatus.Ok)
  }
  const bad = (s: string, scale: number, status: number) => {
    const buf = Buffer.from(s)
    assert.ok(Number.isNaN(parseDecimalBytes(buf, 0, buf.length, scale)), s)
    assert.equal(lastDecimalStatus(), status, s)
  }
  bad('1.23', 1, DecimalStatus.Precision)
  bad('1e3', 1, DecimalStatus.Syntax)
  bad('', 1, DecimalStatus.Syntax)
  bad('12345678901234567', 0, DecimalStatus.Range)
  bad('99999999999', 8, DecimalStatus.Range)
})

test('formats back to the string a venue expects', () => {
  assert.equal(formatDecimal(35130000, 8), '0.35130000')
  assert.equal(formatDecimal(35130000, 8, true), '0.3513')
  assert.equal(formatDecimal(6123456, 2), '61234.56')
  assert.equal(formatDecimal(-5, 3), '-0.005')
  assert.equal(formatDecimal(100000000, 8, true), '1')
  assert.equal(formatDecimal(0, 8), '0.00000000')
  assert.equal(formatDecimal(42, 0), '42')
})

test('stepScale reads the real decimals of a tick or lot size', () => {
  assert.equal(stepScale('0.01000000'), 2)
  assert.equal(stepScale('1.00000000'), 0)
  assert.equal(stepScale('0.00000100'), 6)
  assert.equal(stepScale('10'), 0)
})

test('rounding to tick and lot: floor, ceil, half-even, exact', () => {
  assert.equal(roundToStep(12345, 100, Rounding.Floor), 12300)
  assert.equal(roundToStep(12345, 100, Rounding.Ceil), 12400)
  assert.equal(roundToStep(-12345, 100, Rounding.Floor), -12400)
  assert.equal(roundToStep(-12345, 100, Rounding.Ceil), -12300)
  assert.equal(roundToStep(12350, 100, Rounding.HalfEven), 12400)
  assert.equal(roundToStep(12250, 100, Rounding.HalfEven), 12200)
  assert.equal(roundToStep(12251, 100, Rounding.HalfEven), 12300)
  assert.equal(roundToStep(12300, 100, Rounding.Exact), 12300)
  assert.throws(() => roundToStep(12301, 100, Rounding.Exact), code(ErrorCode.DECIMAL_NOT_ON_STEP))
  assert.throws(() => roundToStep(1, 0, Rounding.Floor), code(ErrorCode.DECIMAL_RANGE))
})

test('arithmetic refuses to leave the safe range', () => {
  assert.throws(() => addDecimals(MAX_MANTISSA, 1), code(ErrorCode.DECIMAL_RANGE))
  assert.throws(() => subDecimals(-MAX_MANTISSA, 1), code(ErrorCode.DECIMAL_RANGE))
  assert.throws(() => mulInt(MAX_MANTISSA, 2), code(ErrorCode.DECIMAL_RANGE))
  assert.throws(() => rescale(MAX_MANTISSA, 0, 1), code(ErrorCode.DECIMAL_RANGE))
  assert.throws(() => rescale(12345, 3, 1), code(ErrorCode.DECIMAL_PRECISION))
  assert.equal(rescale(12345, 3, 1, Rounding.HalfEven), 123)
  assert.throws(() => rescale(5, 0, 18), code(ErrorCode.DECIMAL_RANGE))
})

test('rescale across more than 15 digits rounds with BigInt, not floats', () => {
  assert.equal(rescale(7, 18, 0, Rounding.Ceil), 1)
  assert.equal(rescale(7, 18, 0, Rounding.Floor), 0)
  assert.equal(rescale(-7, 18, 0, Rounding.Floor), -1)
  assert.throws(() => rescale(7, 18, 0), code(ErrorCode.DECIMAL_PRECISION))
})

test('notional with BigInt products: 61234.56 x 0.00123 at scale 8', () => {
  const px = parseDecimal('61234.56', 2)
  const qty = parseDecimal('0.00123', 5)
  assert.equal(mulDecimals(px, 2, qty, 5, 7), 753185088) // 75.3185088
  assert.throws(() => mulDecimals(px, 2, qty, 5, 2), code(ErrorCode.DECIMAL_PRECISION))
  assert.equal(mulDecimals(px, 2, qty, 5, 2, Rounding.Floor), 7531)
  assert.equal(compareScaled(1, 0, 100, 2), 0)
  assert.equal(compareScaled(1, 0, 101, 2), -1)
})

test('toFloat equals parseFloat of the same decimal', () => {
  for (const s of ['0.35130000', '61234.56', '7.6110', '0.00000001']) {
    const scale = s.length - s.indexOf('.') - 1
    assert.equal(toFloat(parseDecimal(s, scale), scale), Number.parseFloat(s))
  }
})

// ---- property tests against a big-decimal reference (big.js) ----------------------------

const scaleArb = fc.integer({ min: 0, max: 12 })
/** A mantissa that keeps |m| well inside the safe range. */
const mantissaArb = fc.integer({ min: -(2 ** 50), max: 2 ** 50 })

function refString(m: number, scale: number): string {
  return new Big(m).div(new Big(10).pow(scale)).toFixed(scale)
}

test('property: format -> parse round trip is the identity, and matches big.js', () => {
  fc.assert(
    fc.property(mantissaArb, scaleArb, fc.boolean(), (m, scale, trim) => {
      const s = formatDecimal(m, scale, trim)
      assert.equal(new Big(s).eq(new Big(refString(m, scale))), true)
      assert.equal(parseDecimal(s, scale), m)
    }),
    { numRuns: 3000 },
  )
})

test('property: parse of any decimal string equals big.js scaled, or fails with a code', () => {
  const digits = fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), minLength: 1, maxLength: 18 })
  fc.assert(
    fc.property(fc.boolean(), digits, fc.option(digits, { nil: undefined }), scaleArb, (neg, ip, fp, scale) => {
      const s = (neg ? '-' : '') + ip + (fp === undefined ? '' : '.' + fp)
      const ref = new Big(s).times(new Big(10).pow(scale))
      let got: number
      try {
        got = parseDecimal(s, scale)
      } catch (err) {
        assert.ok(isTickflowError(err))
        if (err.code === ErrorCode.DECIMAL_PRECISION) assert.equal(ref.round(0, 0).eq(ref), false)
        else {
          assert.equal(err.code, ErrorCode.DECIMAL_RANGE)
          assert.equal(ref.abs().gt(MAX_MANTISSA), true)
        }
        return
      }
      assert.equal(ref.eq(got), true, `${s} @${scale} -> ${got}`)
    }),
    { numRuns: 5000 },
  )
})

test('property: add, sub and mulInt are exact against big.js', () => {
  fc.assert(
    fc.property(mantissaArb, mantissaArb, fc.integer({ min: -1000, max: 1000 }), (a, b, k) => {
      assert.equal(new Big(a).plus(b).eq(addDecimals(a, b)), true)
      assert.equal(new Big(a).minus(b).eq(subDecimals(a, b)), true)
      const p = new Big(a).times(k)
      if (p.abs().lte(MAX_MANTISSA)) assert.equal(p.eq(mulInt(a, k)), true)
      else assert.throws(() => mulInt(a, k), code(ErrorCode.DECIMAL_RANGE))
    }),
    { numRuns: 3000 },
  )
})

test('property: roundToStep matches big.js rounding for every mode', () => {
  // big.js rounding modes: 0 down (toward zero), 2 half-even, 3 up (away from zero)
  fc.assert(
    fc.property(mantissaArb, fc.integer({ min: 1, max: 10 ** 9 }), (m, step) => {
      const q = new Big(m).div(step)
      const floorRef = m >= 0 ? q.round(0, 0) : q.round(0, 0).eq(q) ? q : q.round(0, 0).minus(1)
      const ceilRef = m <= 0 ? q.round(0, 0) : q.round(0, 0).eq(q) ? q : q.round(0, 0).plus(1)
      assert.equal(floorRef.times(step).eq(roundToStep(m, step, Rounding.Floor)), true, 'floor')
      assert.equal(ceilRef.times(step).eq(roundToStep(m, step, Rounding.Ceil)), true, 'ceil')
      assert.equal(q.round(0, 2).times(step).eq(roundToStep(m, step, Rounding.HalfEven)), true, 'half-even')
      assert.equal(q.round(0, 0).times(step).eq(roundToStep(m, step, Rounding.Down)), true, 'down')
    }),
    { numRuns: 5000 },
  )
})

test('property: mulDecimals with half-even equals big.js', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(10 ** 12), max: 10 ** 12 }),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: -(10 ** 9), max: 10 ** 9 }),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 0, max: 8 }),
      (a, as, b, bs, out) => {
        const ref = new Big(a).div(new Big(10).pow(as)).times(new Big(b).div(new Big(10).pow(bs))).round(out, 2).times(new Big(10).pow(out))
        if (ref.abs().gt(MAX_MANTISSA)) {
          assert.throws(() => mulDecimals(a, as, b, bs, out, Rounding.HalfEven), code(ErrorCode.DECIMAL_RANGE))
          return
        }
        assert.equal(ref.eq(mulDecimals(a, as, b, bs, out, Rounding.HalfEven)), true)
      },
    ),
    { numRuns: 3000 },
  )
})

test('property: compare and rescale agree with big.js', () => {
  fc.assert(
    fc.property(mantissaArb, scaleArb, mantissaArb, scaleArb, (a, as, b, bs) => {
      const A = new Big(a).div(new Big(10).pow(as))
      const B = new Big(b).div(new Big(10).pow(bs))
      assert.equal(compareScaled(a, as, b, bs), A.cmp(B))
      const down = rescale(a, as, Math.max(0, as - 3), Rounding.HalfEven)
      assert.equal(A.round(Math.max(0, as - 3), 2).times(new Big(10).pow(Math.max(0, as - 3))).eq(down), true)
    }),
    { numRuns: 3000 },
  )
})

test('Decimal: ergonomic exact values for cold paths', () => {
  const a = Decimal.parse('0.1')
  const b = Decimal.parse('0.2')
  assert.equal(a.add(b).toString(), '0.3')
  assert.equal(a.add(b).eq(Decimal.parse('0.30000')), true)
  assert.equal(Decimal.parse('61234.56').mul(Decimal.parse('0.00123')).toString(true), '75.3185088')
  assert.equal(Decimal.parse('1.2345').roundToStep(Decimal.parse('0.01'), Rounding.Floor).toString(true), '1.23')
  assert.equal(Decimal.parse('1.2300').isOnStep(Decimal.parse('0.01')), true)
  assert.equal(Decimal.parse('10.00').normalize().toString(), '10')
  assert.equal(JSON.stringify({ p: Decimal.parse('1.50') }), '{"p":"1.50"}')
})
