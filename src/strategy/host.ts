/**
 * StrategyHost: runs one strategy as a synchronous dispatcher subscriber
 * (`onEvent`) and exec-report subscriber (`onExecReport`), with error
 * isolation.
 *
 * - Method resolution once, at construction: each hook is a function or null;
 *   `kinds` lists the event kinds the strategy has a method for, so the engine
 *   subscribes it to exactly those (no callback for a kind it ignores).
 * - Dispatch is one `switch` on the small-integer kind and a `.call` with
 *   fixed arity `(ev, ctx, merged)`.
 * - Isolation: a throw (or a rejected Promise returned by a callback) is
 *   caught, counted as STRATEGY_THREW, logged for the 1st and then every
 *   `logEvery`-th time, and the engine keeps running. After `maxThrows`
 *   throws (0 = never) the host stops the strategy: no further callbacks,
 *   `onStop` is called (guarded), and `onStopped` tells the engine (which
 *   cancels or keeps the strategy's orders per config).
 */
import { ErrorCode, TickflowError, describeError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { EventKind, type ReadonlyMergedEvent } from '../model/events.js'
import type { ExecReport } from '../model/orders.js'
import type { MarketCallback, ReadonlyExecReport, Strategy, StrategyContext } from './strategy.js'

type ExecCallback = (report: ReadonlyExecReport, ctx: StrategyContext) => unknown
type LifecycleCallback = (ctx: StrategyContext) => unknown

export interface StrategyHostOptions {
  /** stop the strategy after this many throws (default 100; 0 = never stop) */
  maxThrows?: number
  /** log the 1st throw and then every N-th (default 1000) */
  logEvery?: number
  /** told once when the host stopped the strategy (too many throws, or stop()) */
  onStopped?: (host: StrategyHost, reason: string) => void
}

/** hook name per EventKind value (for error reports) */
const HOOK_BY_KIND: readonly string[] = ['', 'onTrade', 'onQuote', 'onBook', 'onBar', 'onStatus', 'onStatus', 'onStatus', 'onBbo']

export const HostState = { Created: 0, Running: 1, Stopping: 2, Stopped: 3 } as const

function fn<T>(s: Strategy, name: keyof Strategy): T | null {
  const f = (s as Record<string, unknown>)[name]
  return typeof f === 'function' ? (f as T) : null
}

export class StrategyHost {
  readonly strategy: Strategy
  readonly ctx: StrategyContext
  readonly name: string
  /** event kinds this strategy has a method for (subscribe to these) */
  readonly kinds: readonly number[]
  /** true when the strategy has onExecReport */
  readonly wantsExecReports: boolean
  private readonly fTrade: MarketCallback | null
  private readonly fQuote: MarketCallback | null
  private readonly fBook: MarketCallback | null
  private readonly fBar: MarketCallback | null
  private readonly fBbo: MarketCallback | null
  private readonly fStatus: MarketCallback | null
  private readonly fExec: ExecCallback | null
  private readonly fStart: LifecycleCallback | null
  private readonly fStop: LifecycleCallback | null
  private readonly log: Logger
  private readonly maxThrows: number
  private readonly logEvery: number
  private readonly onStopped: ((host: StrategyHost, reason: string) => void) | null
  private readonly onRejected: (err: unknown) => void
  private stopPromise: Promise<void> | null = null

  state: number = HostState.Created
  /** market events delivered to a strategy method */
  events = 0
  execReports = 0
  /** callbacks that threw (STRATEGY_THREW) */
  throws = 0
  lastError = ''
  stopReason = ''

  constructor(strategy: Strategy, ctx: StrategyContext, options: StrategyHostOptions = {}) {
    this.strategy = strategy
    this.ctx = ctx
    this.name = ctx.name
    this.log = ctx.log
    this.fTrade = fn(strategy, 'onTrade')
    this.fQuote = fn(strategy, 'onQuote')
    this.fBook = fn(strategy, 'onBook')
    this.fBar = fn(strategy, 'onBar')
    this.fBbo = fn(strategy, 'onBbo')
    this.fStatus = fn(strategy, 'onStatus')
    this.fExec = fn(strategy, 'onExecReport')
    this.fStart = fn(strategy, 'onStart')
    this.fStop = fn(strategy, 'onStop')
    const kinds: number[] = []
    if (this.fTrade !== null) kinds.push(EventKind.Trade)
    if (this.fQuote !== null) kinds.push(EventKind.Quote)
    if (this.fBook !== null) kinds.push(EventKind.BookDelta)
    if (this.fBar !== null) kinds.push(EventKind.Bar)
    if (this.fStatus !== null) kinds.push(EventKind.BookInvalidated, EventKind.BookResynced, EventKind.TradeGap)
    if (this.fBbo !== null) kinds.push(EventKind.Bbo)
    this.kinds = kinds
    this.wantsExecReports = this.fExec !== null
    this.maxThrows = options.maxThrows ?? 100
    this.logEvery = Math.max(1, options.logEvery ?? 1000)
    this.onStopped = options.onStopped ?? null
    this.onRejected = (err: unknown) => this.threw(err, 'async')
  }

  get running(): boolean {
    return this.state === HostState.Running
  }

  /** Calls onStart (awaited). Rejects with STRATEGY_THREW when it throws; the strategy is then stopped. */
  async start(): Promise<void> {
    if (this.state !== HostState.Created) throw new TickflowError(ErrorCode.ENGINE_STATE, `strategy ${this.name} was already started`)
    this.state = HostState.Running
    if (this.fStart === null) return
    try {
      await this.fStart.call(this.strategy, this.ctx)
    } catch (err) {
      this.throws++
      this.lastError = describeError(err)
      this.state = HostState.Stopped
      this.stopReason = 'onStart threw'
      throw new TickflowError(ErrorCode.STRATEGY_THREW, `strategy ${this.name}: onStart threw: ${this.lastError}`, { cause: err })
    }
  }

  /**
   * Stops delivering, then calls onStop (awaited; a throw is logged, not
   * rethrown). Idempotent. Never rejects.
   */
  stop(reason = 'engine stop'): Promise<void> {
    if (this.stopPromise !== null) return this.stopPromise
    const wasRunning = this.state === HostState.Running
    this.state = HostState.Stopping
    this.stopReason = reason
    this.stopPromise = (async () => {
      if (wasRunning && this.fStop !== null) {
        try {
          await this.fStop.call(this.strategy, this.ctx)
        } catch (err) {
          this.throws++
          this.lastError = describeError(err)
          this.log.error({ strategy: this.name, code: ErrorCode.STRATEGY_THREW, err: this.lastError }, 'strategy onStop threw')
        }
      }
      this.state = HostState.Stopped
      if (this.onStopped !== null) this.onStopped(this, reason)
    })()
    return this.stopPromise
  }

  /** Sync dispatcher subscriber entry point. The event is valid during the call only. */
  onEvent(m: ReadonlyMergedEvent): void {
    if (this.state !== HostState.Running) return
    const ev = m.event
    if (ev === null) return
    let f: MarketCallback | null
    switch (m.kind) {
      case EventKind.Trade:
        f = this.fTrade
        break
      case EventKind.Quote:
        f = this.fQuote
        break
      case EventKind.BookDelta:
        f = this.fBook
        break
      case EventKind.Bar:
        f = this.fBar
        break
      case EventKind.Bbo:
        f = this.fBbo
        break
      case EventKind.BookInvalidated:
      case EventKind.BookResynced:
      case EventKind.TradeGap:
        f = this.fStatus
        break
      default:
        f = null
    }
    if (f === null) return
    this.events++
    try {
      const r = f.call(this.strategy, ev, this.ctx, m)
      if (r !== undefined) this.watch(r)
    } catch (err) {
      this.threw(err, HOOK_BY_KIND[m.kind] ?? 'market callback')
    }
  }

  /** Sync exec-report subscriber entry point. The report is valid during the call only. */
  onExecReport(report: Readonly<ExecReport>): void {
    if (this.fExec === null || this.state !== HostState.Running) return
    this.execReports++
    try {
      const r = this.fExec.call(this.strategy, report, this.ctx)
      if (r !== undefined) this.watch(r)
    } catch (err) {
      this.threw(err, 'onExecReport')
    }
  }

  /** A callback returned something: if it is a thenable, catch its rejection (never an unhandled rejection). */
  private watch(r: unknown): void {
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      ;(r as PromiseLike<unknown>).then(undefined, this.onRejected)
    }
  }

  private threw(err: unknown, where: string): void {
    const n = ++this.throws
    this.lastError = describeError(err)
    if (n === 1 || n % this.logEvery === 0) {
      this.log.error({ strategy: this.name, code: ErrorCode.STRATEGY_THREW, throws: n, where, err: this.lastError }, 'strategy threw; the engine keeps running')
    }
    if (this.maxThrows > 0 && n >= this.maxThrows && this.state === HostState.Running) {
      this.log.error({ strategy: this.name, code: ErrorCode.STRATEGY_THREW, throws: n }, `strategy stopped after ${n} throws`)
      void this.stop(`threw ${n} times`)
    }
  }

  stats(): { name: string; state: string; events: number; execReports: number; throws: number; lastError: string; stopReason: string } {
    return {
      name: this.name,
      state: ['created', 'running', 'stopping', 'stopped'][this.state]!,
      events: this.events,
      execReports: this.execReports,
      throws: this.throws,
      lastError: this.lastError,
      stopReason: this.stopReason,
    }
  }
}
