/**
 * clock: what one timestamp costs on the hot path. Subject: core/clock.ts
 * epochUs() kept in an existing object field (what the transport does once per
 * frame). Baseline: process.hrtime.bigint() kept the same way.
 * A regression here is paid on every frame.
 */
import { compare, sideBySide, type Scenario } from '../harness.js'
import { epochUs } from '../../src/core/clock.js'

class Stamp {
  us = 0
  ns = 0n
}

export const clockScenario: Scenario = {
  name: 'clock',
  description: 'epochUs() vs process.hrtime.bigint(), value kept in a field',
  run(ctx) {
    const ops = ctx.quick ? 1_000_000 : 5_000_000
    const s = new Stamp()
    const [sub, base] = compare(
      [
        {
          name: 'epochUs',
          run: (n) => {
            for (let i = 0; i < n; i++) s.us = epochUs()
            return s.us
          },
        },
        {
          name: 'hrtime.bigint',
          run: (n) => {
            for (let i = 0; i < n; i++) s.ns = process.hrtime.bigint()
            return s.ns
          },
        },
      ],
      ops,
      ctx.quick ? 3 : 5,
    )
    return [sideBySide('clock.epochUs', sub!, 'process.hrtime.bigint()', base!)]
  },
}
