/**
 * The order journal on SQLite (better-sqlite3 12, synchronous API).
 *
 * Every order, every state transition and every fill is written in one
 * transaction per event, before the router tells the strategy (the router
 * calls these methods synchronously and only then delivers).
 *
 * Crash safety
 * - WAL mode. A transaction is committed when its commit record is written to
 *   the -wal file; with `synchronous=NORMAL` the WAL is not fsynced per
 *   commit, but the write() has completed, so the data is in the OS page
 *   cache. Killing the process (SIGKILL, a crash, OOM kill) therefore loses
 *   nothing that was committed: the next open replays the WAL. Only an OS
 *   crash or power loss can lose the last commits (never corrupt the file).
 * - `synchronous: 'FULL'` fsyncs the WAL on every commit and survives power
 *   loss too, at a cost of one fsync per event (measure on your disk). The
 *   default is NORMAL because the venue remains the source of truth: after a
 *   power loss, start-up reconciliation restores order states from the
 *   venue's open orders and missed fills from its trade history.
 * - `recover()` reloads working orders (with their journaled trade ids),
 *   positions, balances and the last trade id per instrument.
 *
 * Instrument ids are per process; the journal stores (venue, symbol) and the
 * instrument's scales instead.
 */
import Database from 'better-sqlite3'
import { ErrorCode, TickflowError } from '../core/errors.js'
import { formatDecimal } from '../core/fixed-point.js'
import { systemClock, type Clock } from '../core/clock.js'
import type { InstrumentRegistry } from '../model/instrument.js'
import { OrderSide, OrderStatus, type ExecReport, type OrderRequest } from '../model/orders.js'
import type { JournalRecovery, JournaledBalance, JournaledOrder, JournaledPosition, OrderJournal } from '../model/ports.js'
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js'

export interface JournalOptions {
  /** instrument ids -> (venue, symbol) */
  registry: InstrumentRegistry
  /** 'NORMAL' (default: survives process kills) or 'FULL' (also survives power loss; one fsync per event) */
  synchronous?: 'NORMAL' | 'FULL'
  clock?: Clock
}

/** Order states that are still working (restored by `recover`). */
const WORKING = [OrderStatus.PendingNew, OrderStatus.New, OrderStatus.PartiallyFilled, OrderStatus.PendingCancel, OrderStatus.Unknown]

type Stmt = Database.Statement<unknown[], unknown>

export class SqliteJournal implements OrderJournal {
  readonly path: string
  private readonly db: Database.Database
  private readonly registry: InstrumentRegistry
  private readonly clock: Clock
  private readonly insOrder: Stmt
  private readonly insTransition: Stmt
  private readonly insFill: Stmt
  private readonly updOrder: Stmt
  private readonly upsertPosition: Stmt
  private readonly upsertBalance: Stmt
  private readonly upsertStrategy: Stmt
  private readonly txOrder: (req: OrderRequest, status: number, reason: string) => void
  private readonly txReport: (r: ExecReport, from: number, to: number, isNewFill: boolean) => boolean
  private readonly txEpoch: (now: number) => number
  /** counters */
  writes = 0
  duplicateFills = 0

  constructor(path: string, opts: JournalOptions) {
    this.path = path
    this.registry = opts.registry
    this.clock = opts.clock ?? systemClock
    try {
      this.db = new Database(path)
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`)
      this.db.pragma('busy_timeout = 5000')
      const version = this.db.pragma('user_version', { simple: true }) as number
      if (version > SCHEMA_VERSION) {
        throw new TickflowError(ErrorCode.JOURNAL, `journal ${path} has schema version ${version}, newer than this tickflow (${SCHEMA_VERSION})`)
      }
      this.db.exec(SCHEMA_SQL)
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`)
    } catch (err) {
      if (err instanceof TickflowError) throw err
      throw new TickflowError(ErrorCode.JOURNAL, `cannot open journal ${path}: ${(err as Error).message}`, { cause: err })
    }
    const db = this.db
    this.insOrder = db.prepare(
      `INSERT INTO orders (client_order_id, venue, symbol, strategy_id, side, type, time_in_force, price_scale, qty_scale,
        price_m, qty_m, quote_qty_m, price, qty, reduce_only, tag, status, reason_code, created_us, updated_us)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.insTransition = db.prepare(
      `INSERT INTO transitions (client_order_id, exec_type, from_status, to_status, venue_order_id, cum_qty_m, last_qty_m,
        last_px_m, trade_id, reason_code, reason_text, ts_event_us, ts_recv_us)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.insFill = db.prepare(
      `INSERT OR IGNORE INTO fills (client_order_id, trade_id, venue, symbol, strategy_id, venue_order_id, side, price_scale,
        qty_scale, px_m, qty_m, price, qty, commission, commission_asset, is_maker, ts_event_us, ts_recv_us)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.updOrder = db.prepare(
      `UPDATE orders SET status = ?, venue_order_id = CASE WHEN ? <> 0 THEN ? ELSE venue_order_id END,
        cum_qty_m = MAX(cum_qty_m, ?), fill_qty_m = fill_qty_m + ?,
        reason_code = CASE WHEN ? <> '' THEN ? ELSE reason_code END, updated_us = ?
       WHERE client_order_id = ?`,
    )
    this.upsertPosition = db.prepare(
      `INSERT INTO positions (strategy_id, venue, symbol, qty_scale, position_m, updated_us) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (strategy_id, venue, symbol) DO UPDATE SET position_m = position_m + excluded.position_m, updated_us = excluded.updated_us`,
    )
    this.upsertBalance = db.prepare(
      `INSERT INTO balances (venue, asset, free, locked, updated_us) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (venue, asset) DO UPDATE SET free = excluded.free, locked = excluded.locked, updated_us = excluded.updated_us`,
    )
    this.upsertStrategy = db.prepare(`INSERT INTO strategies (strategy_id, name) VALUES (?, ?) ON CONFLICT (strategy_id) DO UPDATE SET name = excluded.name`)
    const getMeta = db.prepare<[string], { value: string }>(`SELECT value FROM meta WHERE key = ?`)
    const setMeta = db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)

    this.txOrder = db.transaction((req: OrderRequest, status: number, reason: string) => {
      // a denial may name an instrument that does not exist (RISK_UNKNOWN_INSTRUMENT): journal it anyway
      const known = this.registry.has(req.instrumentId)
      const spec = known ? this.registry.spec(req.instrumentId) : null
      const priceScale = spec?.priceScale ?? req.priceScale
      const qtyScale = spec?.qtyScale ?? req.qtyScale
      const now = this.clock.nowUs()
      this.insOrder.run(
        req.clientOrderId,
        spec?.venue ?? '',
        spec?.symbol ?? `#${req.instrumentId}`,
        req.strategyId,
        req.side,
        req.type,
        req.timeInForce,
        priceScale,
        qtyScale,
        req.priceM,
        req.qtyM,
        req.quoteQtyM,
        Number.isSafeInteger(req.priceM) ? formatDecimal(req.priceM, priceScale, true) : String(req.priceM),
        Number.isSafeInteger(req.qtyM) ? formatDecimal(req.qtyM, qtyScale, true) : String(req.qtyM),
        req.reduceOnly ? 1 : 0,
        req.tag,
        status,
        reason,
        req.tsCreatedUs === 0 ? now : req.tsCreatedUs,
        now,
      )
      this.insTransition.run(req.clientOrderId, 0, OrderStatus.None, status, 0, 0, 0, 0, -1, reason, '', req.tsCreatedUs, now)
    })
    this.txReport = db.transaction((r: ExecReport, from: number, to: number, isNewFill: boolean): boolean => {
      const now = this.clock.nowUs()
      let inserted = false
      if (isNewFill) {
        const spec = this.registry.spec(r.instrumentId)
        const info = this.insFill.run(
          r.clientOrderId,
          r.tradeId,
          spec.venue,
          spec.symbol,
          r.strategyId,
          r.venueOrderId,
          r.side,
          r.priceScale,
          r.qtyScale,
          r.lastPxM,
          r.lastQtyM,
          formatDecimal(r.lastPxM, r.priceScale, true),
          formatDecimal(r.lastQtyM, r.qtyScale, true),
          formatDecimal(r.commissionM, r.commissionScale, true),
          r.commissionAsset,
          r.isMaker ? 1 : 0,
          r.tsEventUs,
          r.tsRecvUs === 0 ? now : r.tsRecvUs,
        )
        inserted = info.changes === 1
        if (inserted) {
          const d = r.side === OrderSide.Buy ? r.lastQtyM : -r.lastQtyM
          this.upsertPosition.run(r.strategyId, spec.venue, spec.symbol, r.qtyScale, d, now)
        } else this.duplicateFills++
      }
      const fillQty = inserted ? r.lastQtyM : 0
      this.updOrder.run(to, r.venueOrderId, r.venueOrderId, r.cumQtyM, fillQty, r.reasonCode, r.reasonCode, now, r.clientOrderId)
      this.insTransition.run(
        r.clientOrderId,
        r.execType,
        from,
        to,
        r.venueOrderId,
        r.cumQtyM,
        r.lastQtyM,
        r.lastPxM,
        r.tradeId,
        r.reasonCode,
        r.reasonText,
        r.tsEventUs,
        r.tsRecvUs === 0 ? now : r.tsRecvUs,
      )
      return isNewFill ? inserted : true
    })
    this.txEpoch = db.transaction((now: number): number => {
      const row = getMeta.get('id_epoch')
      const last = row === undefined ? -1 : Number.parseInt(row.value, 10)
      const epoch = Math.max(now, last + 1)
      setMeta.run('id_epoch', String(epoch))
      return epoch
    })
  }

  recordStrategy(strategyId: number, name: string): void {
    this.upsertStrategy.run(strategyId, name)
  }

  recordOrder(req: OrderRequest, status: number, reasonCode: string): void {
    try {
      this.txOrder(req, status, reasonCode)
    } catch (err) {
      throw journalError(err)
    }
    this.writes++
  }

  recordReport(report: ExecReport, fromStatus: number, toStatus: number, isNewFill: boolean): boolean {
    let r: boolean
    try {
      r = this.txReport(report, fromStatus, toStatus, isNewFill)
    } catch (err) {
      throw journalError(err)
    }
    this.writes++
    return r
  }

  recordBalance(venueId: number, asset: string, free: string, locked: string, tsUs: number): void {
    try {
      this.upsertBalance.run(this.registry.venueName(venueId), asset, free, locked, tsUs === 0 ? this.clock.nowUs() : tsUs)
    } catch (err) {
      throw journalError(err)
    }
    this.writes++
  }

  reserveIdEpoch(nowEpoch: number): number {
    try {
      return this.txEpoch(nowEpoch)
    } catch (err) {
      throw journalError(err)
    }
  }

  recover(): JournalRecovery {
    const db = this.db
    const placeholders = WORKING.map(() => '?').join(',')
    const rows = db
      .prepare(
        `SELECT client_order_id, venue_order_id, strategy_id, venue, symbol, side, type, time_in_force, price_scale, qty_scale,
           price_m, qty_m, cum_qty_m, fill_qty_m, status, reduce_only, tag, created_us, updated_us
         FROM orders WHERE status IN (${placeholders}) ORDER BY created_us`,
      )
      .all(...WORKING) as Array<Record<string, number | string>>
    const tradesOf = db.prepare<[string], { trade_id: number }>(`SELECT trade_id FROM fills WHERE client_order_id = ? ORDER BY trade_id`)
    const openOrders: JournaledOrder[] = rows.map((x) => ({
      clientOrderId: x.client_order_id as string,
      venueOrderId: x.venue_order_id as number,
      strategyId: x.strategy_id as number,
      venue: x.venue as string,
      symbol: x.symbol as string,
      side: x.side as number,
      type: x.type as number,
      timeInForce: x.time_in_force as number,
      priceScale: x.price_scale as number,
      qtyScale: x.qty_scale as number,
      priceM: x.price_m as number,
      qtyM: x.qty_m as number,
      cumQtyM: x.cum_qty_m as number,
      fillQtyM: x.fill_qty_m as number,
      status: x.status as number,
      reduceOnly: x.reduce_only === 1,
      tag: x.tag as string,
      tsCreatedUs: x.created_us as number,
      tsUpdatedUs: x.updated_us as number,
      tradeIds: tradesOf.all(x.client_order_id as string).map((t) => t.trade_id),
    }))
    const positions: JournaledPosition[] = (
      db.prepare(`SELECT strategy_id, venue, symbol, qty_scale, position_m FROM positions`).all() as Array<Record<string, number | string>>
    ).map((x) => ({
      strategyId: x.strategy_id as number,
      venue: x.venue as string,
      symbol: x.symbol as string,
      qtyScale: x.qty_scale as number,
      positionM: x.position_m as number,
    }))
    const balances: JournaledBalance[] = (
      db.prepare(`SELECT venue, asset, free, locked, updated_us FROM balances`).all() as Array<Record<string, number | string>>
    ).map((x) => ({ venue: x.venue as string, asset: x.asset as string, free: x.free as string, locked: x.locked as string, tsUpdatedUs: x.updated_us as number }))
    const lastTradeIds = new Map<string, number>()
    for (const x of db.prepare(`SELECT venue, symbol, MAX(trade_id) AS t FROM fills GROUP BY venue, symbol`).all() as Array<{ venue: string; symbol: string; t: number }>) {
      lastTradeIds.set(x.venue + '\u0000' + x.symbol, x.t)
    }
    return { openOrders, positions, balances, lastTradeIds }
  }

  /** PRAGMA integrity_check: 'ok' when the file is sound. */
  integrityCheck(): string {
    return (this.db.pragma('integrity_check', { simple: true }) as string) ?? ''
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

function journalError(err: unknown): TickflowError {
  if (err instanceof TickflowError) return err
  return new TickflowError(ErrorCode.JOURNAL, `journal write failed: ${(err as Error).message}`, { cause: err })
}
