/**
 * decimal.parse: exact decimal parsing from the frame bytes (core/fixed-point
 * parseDecimalBytes, what the codec does per price and quantity) against
 * parseFloat of a string (what a JSON.parse-based client does, after the
 * string has been made). A regression costs every price level decoded.
 */
import { compare, sideBySide, type Scenario } from '../harness.js'
import { parseDecimalBytes } from '../../src/core/fixed-point.js'

const SAMPLES = ['61234.56000000', '0.00123000', '0.35130000', '7.6110', '100.00000000', '2450.01000000', '0.00000001', '12.5']

export const decimalScenario: Scenario = {
  name: 'decimal.parse',
  description: 'parseDecimalBytes(buffer) vs parseFloat(string)',
  run(ctx) {
    const ops = ctx.quick ? 1_000_000 : 4_000_000
    const bufs = SAMPLES.map((s) => Buffer.from(s))
    const strs = SAMPLES.map((s) => String(s))
    const out = new Float64Array(1)
    const [sub, base] = compare(
      [
        {
          name: 'parseDecimalBytes',
          run: (n) => {
            for (let i = 0; i < n; i++) {
              const b = bufs[i & 7]!
              out[0] = parseDecimalBytes(b, 0, b.length, 8)
            }
            return out[0]
          },
        },
        {
          name: 'parseFloat',
          run: (n) => {
            for (let i = 0; i < n; i++) out[0] = Number.parseFloat(strs[i & 7]!)
            return out[0]
          },
        },
      ],
      ops,
      ctx.quick ? 3 : 5,
    )
    return [sideBySide('decimal.parse', sub!, 'parseFloat(string)', base!)]
  },
}
