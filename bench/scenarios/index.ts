/** Every benchmark scenario, in the order `npm run bench` runs them. */
import type { Scenario } from '../harness.js'
import { bookScenario } from './book.js'
import { clockScenario } from './clock.js'
import { decimalScenario } from './decimal.js'
import { dispatchScenario } from './dispatch.js'
import { feedScenario } from './feed.js'
import { mergeScenario } from './merge.js'
import { decodeScenarios } from './decode.js'
import { poolScenario } from './pool.js'
import { simFirehoseScenario } from './sim-firehose.js'
import { ordersRoundTripScenario, ordersSignScenario } from './orders.js'
import { transportScenario } from './transport.js'
import { peersScenario } from './peers.js'
import { recorderScenario } from './recorder.js'

export const SCENARIOS: Scenario[] = [clockScenario, decimalScenario, poolScenario, ...decodeScenarios, bookScenario, feedScenario, mergeScenario, dispatchScenario, transportScenario, ordersSignScenario, ordersRoundTripScenario, simFirehoseScenario, recorderScenario, peersScenario]
