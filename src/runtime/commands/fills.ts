/** `tickflow fills`: the journal's fills, newest first, as a table or JSON (--json). */
import type { FillRow } from '../../journal/queries.js'
import { isoUs, renderTable, runListing } from './journal-listing.js'

export default function fills(opts: Record<string, unknown>): Promise<number> {
  return Promise.resolve(
    runListing(opts, (reader, filter) => {
      const rows: FillRow[] = reader.fills(filter)
      const table =
        rows.length === 0
          ? 'no fills\n'
          : renderTable(
              ['time', 'client order id', 'trade id', 'strategy', 'symbol', 'side', 'price', 'qty', 'commission', 'maker'],
              rows.map((r) => [
                isoUs(r.recvUs),
                r.clientOrderId,
                String(r.tradeId),
                r.strategy || String(r.strategyId),
                r.symbol,
                r.side,
                r.price,
                r.qty,
                r.commission === '0' ? '0' : `${r.commission} ${r.commissionAsset}`,
                r.maker ? 'yes' : 'no',
              ]),
            )
      return { json: rows, table }
    }),
  )
}
