/**
 * Child process of the engine SIGKILL test: the order stack (journal, router,
 * Binance gateway over the WS-API with Ed25519) trading a burst of crossing
 * orders against a simulator run by the parent. Prints one line per report
 * the strategy receives — which happens only after the journal committed it:
 *   "O <id>" when an order is acknowledged, "F <id> <tradeId>" per fill.
 * Runs until killed. Env: SIM_REST, SIM_WS, SIM_WSAPI, ED_PEM, JOURNAL.
 */
import type { ExecReport } from '../../../src/model/orders.js'
import { ExecType, OrderSide, OrderStatus } from '../../../src/model/orders.js'
import type { Simulator } from '../../../src/sim/index.js'
import { VARIANTS, connectStack } from './harness.js'

const env = process.env
const sim = { urls: { rest: env.SIM_REST!, ws: env.SIM_WS!, wsApi: env.SIM_WSAPI! } } as unknown as Simulator
const s = await connectStack({ sim, edPrivatePem: env.ED_PEM! }, VARIANTS[0]!, { file: env.JOURNAL!, ownsSim: false })
let n = 0
const acked = new Set<string>()
const next = (): void => {
  n++
  const buy = n % 2 === 1
  s.router.submit(1, { instrumentId: s.btc, side: buy ? OrderSide.Buy : OrderSide.Sell, priceM: buy ? 6_001_000 : 5_999_000, qtyM: 10 })
}
s.strat.onExecReport = (r: Readonly<ExecReport>): void => {
  if (!acked.has(r.clientOrderId) && r.status !== OrderStatus.Rejected && r.status !== OrderStatus.Unknown) {
    acked.add(r.clientOrderId)
    process.stdout.write(`O ${r.clientOrderId}\n`)
  }
  if (r.execType === ExecType.Trade) process.stdout.write(`F ${r.clientOrderId} ${r.tradeId}\n`)
  if (r.status === OrderStatus.Filled || r.status === OrderStatus.Rejected || r.status === OrderStatus.Canceled || r.status === OrderStatus.Expired) {
    if (r.status === OrderStatus.Filled && r.execType !== ExecType.Trade) return // the fill report comes too; replace once
    next()
  }
}
for (let i = 0; i < 16; i++) next()
