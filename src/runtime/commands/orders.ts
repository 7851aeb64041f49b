/** `tickflow orders`: the journal's orders, newest first, as a table or JSON (--json). */
import type { OrderRow } from '../../journal/queries.js'
import { isoUs, renderTable, runListing } from './journal-listing.js'

export default function orders(opts: Record<string, unknown>): Promise<number> {
  return Promise.resolve(
    runListing(opts, (reader, filter) => {
      const rows: OrderRow[] = reader.orders(filter)
      const table =
        rows.length === 0
          ? 'no orders\n'
          : renderTable(
              ['created', 'client order id', 'strategy', 'symbol', 'side', 'type', 'price', 'qty', 'filled', 'status', 'reason'],
              rows.map((r) => [isoUs(r.createdUs), r.clientOrderId, r.strategy || String(r.strategyId), r.symbol, r.side, r.type, r.price, r.qty, r.filledQty, r.status, r.reasonCode]),
            )
      return { json: rows, table }
    }),
  )
}
