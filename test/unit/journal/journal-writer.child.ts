/**
 * Child process for the SIGKILL test: writes orders, acks and fills through
 * the journal as fast as it can, printing one line per committed event
 * ("O <id>" after an order, "F <id> <tradeId>" after a fill). stdout is a
 * pipe, which Node writes synchronously on Linux, so a printed line means the
 * transaction had committed. Runs until killed.
 * Usage: node journal-writer.child.js <journal file>
 */
import { SqliteJournal } from '../../../src/journal/journal.js'
import { ExecReport, ExecType, OrderRequest, OrderSide, OrderStatus } from '../../../src/model/orders.js'
import { btcRegistry } from '../orders/fixtures.js'

const file = process.argv[2]!
const { registry, btc } = btcRegistry()
const journal = new SqliteJournal(file, { registry })
const epoch = journal.reserveIdEpoch(Math.floor(Date.now() / 1000))
const req = new OrderRequest()
const rep = new ExecReport()
let tradeId = 1
for (let i = 1; ; i++) {
  const id = `tf-${epoch.toString(36)}-${i.toString(36)}`
  req.reset()
  req.clientOrderId = id
  req.strategyId = 1
  req.instrumentId = btc
  req.side = i % 2 === 0 ? OrderSide.Sell : OrderSide.Buy
  req.priceM = 5000000
  req.qtyM = 200
  journal.recordOrder(req, OrderStatus.PendingNew, '')
  process.stdout.write(`O ${id}\n`)
  rep.reset()
  rep.execType = ExecType.New
  rep.status = OrderStatus.New
  rep.clientOrderId = id
  rep.venueOrderId = i
  rep.strategyId = 1
  rep.instrumentId = btc
  rep.side = req.side
  rep.priceScale = 2
  rep.qtyScale = 5
  journal.recordReport(rep, OrderStatus.PendingNew, OrderStatus.New, false)
  for (let k = 0; k < 2; k++) {
    rep.execType = ExecType.Trade
    rep.status = k === 0 ? OrderStatus.PartiallyFilled : OrderStatus.Filled
    rep.tradeId = tradeId++
    rep.lastQtyM = 100
    rep.lastPxM = 5000000
    rep.cumQtyM = 100 * (k + 1)
    journal.recordReport(rep, k === 0 ? OrderStatus.New : OrderStatus.PartiallyFilled, rep.status, true)
    process.stdout.write(`F ${id} ${rep.tradeId}\n`)
    // a duplicate delivery must not be journaled twice
    if (journal.recordReport(rep, rep.status, rep.status, true)) throw new Error('duplicate fill journaled')
  }
}
