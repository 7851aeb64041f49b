/**
 * Read-only queries over a journal file, for `tickflow orders` / `tickflow
 * fills` and for tests. Opens the database read-only; never writes.
 */
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { ErrorCode, TickflowError } from '../core/errors.js'
import { formatDecimal } from '../core/fixed-point.js'
import { EXEC_TYPE_NAMES, ORDER_STATUS_NAMES } from '../model/orders.js'

export interface JournalFilter {
  /** strategy id (digits) or name */
  strategy?: string
  /** venue symbol, case-insensitive */
  instrument?: string
  /** epoch µs, inclusive */
  sinceUs?: number
  /** epoch µs, inclusive */
  untilUs?: number
  /** most rows (newest first) */
  limit?: number
}

export interface OrderRow {
  clientOrderId: string
  venueOrderId: number
  strategyId: number
  strategy: string
  venue: string
  symbol: string
  side: string
  type: string
  timeInForce: string
  price: string
  qty: string
  filledQty: string
  status: string
  reasonCode: string
  tag: string
  createdUs: number
  updatedUs: number
}

export interface FillRow {
  clientOrderId: string
  tradeId: number
  venueOrderId: number
  strategyId: number
  strategy: string
  venue: string
  symbol: string
  side: string
  price: string
  qty: string
  commission: string
  commissionAsset: string
  maker: boolean
  eventUs: number
  recvUs: number
}

export interface TransitionRow {
  seq: number
  execType: string
  from: string
  to: string
  cumQtyM: number
  lastQtyM: number
  tradeId: number
  reasonCode: string
  recvUs: number
}

const SIDE_NAMES = ['', 'buy', 'sell']
const TYPE_NAMES = ['', 'limit', 'market', 'limit-maker']
const TIF_NAMES = ['', 'GTC', 'IOC', 'FOK']

/** Opens a journal for reading. Throws JOURNAL_NOT_FOUND when the file does not exist, JOURNAL when it is not a journal. */
export class JournalReader {
  private readonly db: Database.Database

  constructor(readonly path: string) {
    if (!existsSync(path)) throw new TickflowError(ErrorCode.JOURNAL_NOT_FOUND, `no journal at ${path}`, { details: { path } })
    try {
      this.db = new Database(path, { readonly: true, fileMustExist: true })
      this.db.pragma('busy_timeout = 5000')
      this.db.prepare(`SELECT 1 FROM orders LIMIT 1`).get()
    } catch (err) {
      throw new TickflowError(ErrorCode.JOURNAL, `${path} is not a tickflow journal: ${(err as Error).message}`, { cause: err, details: { path } })
    }
  }

  private where(f: JournalFilter, timeCol: string, alias: string): { sql: string; args: Array<string | number> } {
    const parts: string[] = []
    const args: Array<string | number> = []
    if (f.strategy !== undefined && f.strategy !== '') {
      if (/^\d+$/.test(f.strategy)) {
        parts.push(`${alias}.strategy_id = ?`)
        args.push(Number.parseInt(f.strategy, 10))
      } else {
        parts.push(`s.name = ?`)
        args.push(f.strategy)
      }
    }
    if (f.instrument !== undefined && f.instrument !== '') {
      parts.push(`UPPER(${alias}.symbol) = ?`)
      args.push(f.instrument.toUpperCase())
    }
    if (f.sinceUs !== undefined) {
      parts.push(`${alias}.${timeCol} >= ?`)
      args.push(f.sinceUs)
    }
    if (f.untilUs !== undefined) {
      parts.push(`${alias}.${timeCol} <= ?`)
      args.push(f.untilUs)
    }
    return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', args }
  }

  orders(f: JournalFilter = {}): OrderRow[] {
    const w = this.where(f, 'created_us', 'o')
    const limit = f.limit !== undefined ? `LIMIT ${Math.floor(f.limit)}` : ''
    const rows = this.db
      .prepare(
        `SELECT o.*, COALESCE(s.name, '') AS strategy_name FROM orders o LEFT JOIN strategies s ON s.strategy_id = o.strategy_id
         ${w.sql} ORDER BY o.created_us DESC, o.rowid DESC ${limit}`,
      )
      .all(...w.args) as Array<Record<string, number | string>>
    return rows.map((x) => ({
      clientOrderId: x.client_order_id as string,
      venueOrderId: x.venue_order_id as number,
      strategyId: x.strategy_id as number,
      strategy: x.strategy_name as string,
      venue: x.venue as string,
      symbol: x.symbol as string,
      side: SIDE_NAMES[x.side as number] ?? String(x.side),
      type: TYPE_NAMES[x.type as number] ?? String(x.type),
      timeInForce: TIF_NAMES[x.time_in_force as number] ?? String(x.time_in_force),
      price: x.price as string,
      qty: x.qty as string,
      filledQty: formatMantissa(x.cum_qty_m as number, x.qty_scale as number),
      status: ORDER_STATUS_NAMES[x.status as number] ?? String(x.status),
      reasonCode: x.reason_code as string,
      tag: x.tag as string,
      createdUs: x.created_us as number,
      updatedUs: x.updated_us as number,
    }))
  }

  fills(f: JournalFilter = {}): FillRow[] {
    const w = this.where(f, 'ts_recv_us', 'f')
    const limit = f.limit !== undefined ? `LIMIT ${Math.floor(f.limit)}` : ''
    const rows = this.db
      .prepare(
        `SELECT f.*, COALESCE(s.name, '') AS strategy_name FROM fills f LEFT JOIN strategies s ON s.strategy_id = f.strategy_id
         ${w.sql} ORDER BY f.ts_recv_us DESC, f.seq DESC ${limit}`,
      )
      .all(...w.args) as Array<Record<string, number | string>>
    return rows.map((x) => ({
      clientOrderId: x.client_order_id as string,
      tradeId: x.trade_id as number,
      venueOrderId: x.venue_order_id as number,
      strategyId: x.strategy_id as number,
      strategy: x.strategy_name as string,
      venue: x.venue as string,
      symbol: x.symbol as string,
      side: SIDE_NAMES[x.side as number] ?? String(x.side),
      price: x.price as string,
      qty: x.qty as string,
      commission: x.commission as string,
      commissionAsset: x.commission_asset as string,
      maker: x.is_maker === 1,
      eventUs: x.ts_event_us as number,
      recvUs: x.ts_recv_us as number,
    }))
  }

  /** Every journaled transition of one order, oldest first. */
  transitions(clientOrderId: string): TransitionRow[] {
    const rows = this.db.prepare(`SELECT * FROM transitions WHERE client_order_id = ? ORDER BY seq`).all(clientOrderId) as Array<Record<string, number | string>>
    return rows.map((x) => ({
      seq: x.seq as number,
      execType: EXEC_TYPE_NAMES[x.exec_type as number] ?? String(x.exec_type),
      from: ORDER_STATUS_NAMES[x.from_status as number] ?? String(x.from_status),
      to: ORDER_STATUS_NAMES[x.to_status as number] ?? String(x.to_status),
      cumQtyM: x.cum_qty_m as number,
      lastQtyM: x.last_qty_m as number,
      tradeId: x.trade_id as number,
      reasonCode: x.reason_code as string,
      recvUs: x.ts_recv_us as number,
    }))
  }

  /** Net positions per (strategy, venue, symbol), as decimal strings. */
  positions(): Array<{ strategyId: number; venue: string; symbol: string; position: string }> {
    const rows = this.db.prepare(`SELECT * FROM positions ORDER BY strategy_id, venue, symbol`).all() as Array<Record<string, number | string>>
    return rows.map((x) => ({
      strategyId: x.strategy_id as number,
      venue: x.venue as string,
      symbol: x.symbol as string,
      position: formatMantissa(x.position_m as number, x.qty_scale as number),
    }))
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

function formatMantissa(m: number, scale: number): string {
  return formatDecimal(m, scale, true)
}
