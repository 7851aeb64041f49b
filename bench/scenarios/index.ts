/** Every benchmark scenario, in the order `npm run bench` runs them. */
import type { Scenario } from '../harness.js'
import { bookScenario } from './book.js'
import { clockScenario } from './clock.js'
import { decimalScenario } from './decimal.js'
import { dispatchScenario } from './dispatch.js'
import { mergeScenario } from './merge.js'
import { decodeScenarios } from './decode.js'
import { poolScenario } from './pool.js'
import { transportScenario } from './transport.js'

export const SCENARIOS: Scenario[] = [clockScenario, decimalScenario, poolScenario, ...decodeScenarios, bookScenario, mergeScenario, dispatchScenario, transportScenario]
