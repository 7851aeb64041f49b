/** Every benchmark scenario, in the order `npm run bench` runs them. */
import type { Scenario } from '../harness.js'
import { clockScenario } from './clock.js'
import { decimalScenario } from './decimal.js'
import { poolScenario } from './pool.js'

export const SCENARIOS: Scenario[] = [clockScenario, decimalScenario, poolScenario]
