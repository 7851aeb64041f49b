/**
 * Fault injection for reliability tests (issue 9). The same operations are
 * reachable programmatically (`sim.faults`) and, from loopback addresses
 * only, over HTTP: `POST /__sim/fault` with a JSON body `{"type": …}`.
 *
 * | type                 | effect |
 * |----------------------|--------|
 * | disconnectMidFrame   | writes half of a frame to the selected connections, then drops them |
 * | stall / unstall      | stops (resumes) sending anything, pings included, socket kept open |
 * | stopPings            | no more server pings to the selected connections |
 * | stopPongs / resumePongs | the server stops (resumes) answering client pings |
 * | serverShutdown       | sends the `serverShutdown` event to every market-data connection |
 * | skipDepthDiff        | drops the next diff of `symbol` on @depth@100ms and @depth (sequence gap) |
 * | restFailure          | the next `count` requests to `path` (default /api/v3/depth) fail with `status` 500/429/418/503, `retryAfterSec` |
 * | swallowOrders        | the next `count` order requests are executed but never answered |
 * | duplicateReports     | the next `count` executionReports are sent twice |
 * | reorderReports       | the next `count` executionReports are held and sent after the following one |
 * | expireUserStream     | expires listenKeys (listenKeyExpired) and ends WS-API subscriptions (eventStreamTerminated) |
 * | rotateConnections    | closes the selected connections as the 24 h lifetime does |
 * | deposit              | credits `amount` of `asset` (balanceUpdate + outboundAccountPosition) |
 * | marketTrade          | a simulated taker trade (`symbol`, `side`, `qty`, optional `limitPrice`) that fills resting orders in its way |
 *
 * Connection selectors (all optional; none = every connection): `connId`,
 * `path` (prefix of the URL path, e.g. "/ws-api"), `stream` (subscribed to).
 */
import type { WsConn, WsServer } from '../transport/ws-server.js'
import { encodeTextFrame, WsCloseReason } from '../transport/ws-server.js'
import type { Account } from './accounts.js'
import type { Exchange } from './exchange.js'
import type { StreamSession } from './hub.js'
import type { Execution, Market } from './market.js'
import type { RestRouter } from './rest.js'
import type { StreamEndpoint } from './streams.js'
import type { ListenKeys } from './user-data.js'
import type { WsApiEndpoint } from './ws-api.js'
import { parseParamDecimal } from './wire.js'

export interface ConnSelector {
  connId?: number
  path?: string
  stream?: string
}

export interface FaultCounters {
  disconnectMidFrame: number
  stall: number
  stopPings: number
  stopPongs: number
  serverShutdown: number
  skipDepthDiff: number
  restFailure: number
  swallowOrders: number
  duplicateReports: number
  reorderReports: number
  expireUserStream: number
  rotateConnections: number
}

export interface FaultDeps {
  ws: WsServer
  streams: StreamEndpoint
  wsApi: WsApiEndpoint
  market: Market
  router: RestRouter
  exchange: Exchange
  listenKeys: ListenKeys
  nowMs: () => number
}

export class Faults {
  readonly counters: FaultCounters = {
    disconnectMidFrame: 0,
    stall: 0,
    stopPings: 0,
    stopPongs: 0,
    serverShutdown: 0,
    skipDepthDiff: 0,
    restFailure: 0,
    swallowOrders: 0,
    duplicateReports: 0,
    reorderReports: 0,
    expireUserStream: 0,
    rotateConnections: 0,
  }
  private readonly d: FaultDeps

  constructor(d: FaultDeps) {
    this.d = d
  }

  /** Connections matching `sel`. */
  select(sel: ConnSelector = {}): WsConn[] {
    return this.d.ws.connections().filter((c) => {
      if (sel.connId !== undefined && c.id !== sel.connId) return false
      if (sel.path !== undefined && !c.pathname.startsWith(sel.path)) return false
      if (sel.stream !== undefined) {
        const st = c.state as StreamSession | null
        if (st === null || !(st.topics instanceof Map) || !st.topics.has(sel.stream)) return false
      }
      return true
    })
  }

  /** Drops the selected connections in the middle of a frame. Returns how many. */
  disconnectMidFrame(sel: ConnSelector = {}): number {
    const frame = encodeTextFrame(`{"e":"trade","E":${this.d.nowMs()},"s":"BTCUSDT","t":0,"p":"0.00000000","q":"0.00000000","T":0,"m":true,"M":true,"pad":"${'x'.repeat(200)}"}`)
    const conns = this.select(sel)
    for (const c of conns) c.disconnectMidFrame(frame)
    this.counters.disconnectMidFrame += conns.length
    return conns.length
  }

  /** Silent stall: nothing more is sent (pings included); the socket stays open. */
  stall(sel: ConnSelector = {}, on = true): number {
    const conns = this.select(sel)
    for (const c of conns) c.stalled = on
    if (on) this.counters.stall += conns.length
    return conns.length
  }

  stopPings(sel: ConnSelector = {}): number {
    const conns = this.select(sel)
    for (const c of conns) c.pingsEnabled = false
    this.counters.stopPings += conns.length
    return conns.length
  }

  /** The server stops (or resumes) answering client pings with pongs. */
  stopPongs(on = true): void {
    this.d.ws.answerPings = !on
    if (on) this.counters.stopPongs++
  }

  /** Sends `serverShutdown` to every market-data connection. */
  serverShutdown(): number {
    this.d.streams.broadcast(`{"e":"serverShutdown","E":${this.d.nowMs()}}`)
    this.counters.serverShutdown++
    return this.d.streams.sessions.size
  }

  /** The next diff of `symbol` (both speeds) is dropped: a sequence gap. */
  skipDepthDiff(symbol: string, count = 1): void {
    const sm = this.d.market.get(symbol)
    if (sm === undefined) throw new Error(`unknown symbol ${symbol}`)
    sm.skipDiffs += count
    sm.skipDiffs1000 += count
    this.counters.skipDepthDiff++
  }

  restFailure(status: 500 | 429 | 418 | 503, count = 1, path = '/api/v3/depth', retryAfterSec = 1): void {
    this.d.router.faults.push({ path, status, count, retryAfterSec })
    this.counters.restFailure++
  }

  private accountsOf(apiKey?: string): Account[] {
    if (apiKey === undefined) return this.d.exchange.accounts
    const a = this.d.exchange.byKey.get(apiKey)
    if (a === undefined) throw new Error(`unknown apiKey`)
    return [a]
  }

  swallowOrders(count = 1, apiKey?: string): void {
    for (const a of this.accountsOf(apiKey)) a.swallowOrders += count
    this.counters.swallowOrders++
  }

  duplicateReports(count = 1, apiKey?: string): void {
    for (const a of this.accountsOf(apiKey)) a.dupReports += count
    this.counters.duplicateReports++
  }

  reorderReports(count = 1, apiKey?: string): void {
    for (const a of this.accountsOf(apiKey)) a.reorderReports += count
    this.counters.reorderReports++
  }

  /** Expires the user data streams of an account (all when omitted). Returns how many ended. */
  expireUserStream(apiKey?: string): number {
    let n = 0
    for (const a of this.accountsOf(apiKey)) {
      for (const lk of [...this.d.listenKeys.byKey.values()]) {
        if (lk.account !== a) continue
        this.d.listenKeys.expire(lk)
        n++
      }
      n += this.d.wsApi.terminateSubscriptions(a)
    }
    this.counters.expireUserStream++
    return n
  }

  /** Closes the selected connections as the lifetime limit does (1000, after a close frame). */
  rotateConnections(sel: ConnSelector = {}): number {
    const conns = this.select(sel)
    for (const c of conns) c.close(1000, 'connection lifetime', WsCloseReason.Lifetime)
    this.counters.rotateConnections += conns.length
    return conns.length
  }

  /**
   * A simulated taker trade on the public market (not an account): `side`
   * BUY lifts asks, SELL hits bids, up to `qty` and, when given, not past
   * `limitPrice`. Users' resting orders in the way are filled. Returns the
   * quantity traded (scale-8 mantissa).
   */
  marketTrade(symbol: string, side: 'BUY' | 'SELL', qty: string, limitPrice?: string): number {
    const sm = this.d.market.get(symbol)
    if (sm === undefined) throw new Error(`unknown symbol ${symbol}`)
    const q = parseParamDecimal('qty', qty)
    const limit = limitPrice === undefined ? 0 : parseParamDecimal('limitPrice', limitPrice)
    const out: Execution[] = []
    this.d.market.execute(sm, side === 'BUY', limit, q, 0, out)
    let total = 0
    for (const e of out) total += e.qty
    return total
  }

  deposit(apiKey: string, asset: string, amount: string): void {
    const acc = this.accountsOf(apiKey)[0]!
    const neg = amount.startsWith('-')
    const m = parseParamDecimal('amount', neg ? amount.slice(1) : amount)
    this.d.exchange.deposit(acc, asset, neg ? -m : m)
  }

  /** Applies one fault described as JSON (the HTTP control endpoint). */
  apply(body: Record<string, unknown>): Record<string, unknown> {
    const sel: ConnSelector = {}
    if (typeof body.connId === 'number') sel.connId = body.connId
    if (typeof body.path === 'string') sel.path = body.path
    if (typeof body.stream === 'string') sel.stream = body.stream
    const count = typeof body.count === 'number' && body.count > 0 ? Math.floor(body.count) : 1
    const apiKey = typeof body.apiKey === 'string' ? body.apiKey : undefined
    switch (body.type) {
      case 'disconnectMidFrame':
        return { connections: this.disconnectMidFrame(sel) }
      case 'stall':
        return { connections: this.stall(sel, true) }
      case 'unstall':
        return { connections: this.stall(sel, false) }
      case 'stopPings':
        return { connections: this.stopPings(sel) }
      case 'stopPongs':
        this.stopPongs(true)
        return {}
      case 'resumePongs':
        this.stopPongs(false)
        return {}
      case 'serverShutdown':
        return { connections: this.serverShutdown() }
      case 'skipDepthDiff':
        if (typeof body.symbol !== 'string') throw new Error('skipDepthDiff: symbol required')
        this.skipDepthDiff(body.symbol, count)
        return {}
      case 'restFailure': {
        const status = body.status
        if (status !== 500 && status !== 429 && status !== 418 && status !== 503) throw new Error('restFailure: status must be 500, 429, 418 or 503')
        const retry = typeof body.retryAfterSec === 'number' ? body.retryAfterSec : 1
        this.restFailure(status, count, typeof body.restPath === 'string' ? body.restPath : '/api/v3/depth', retry)
        return {}
      }
      case 'swallowOrders':
        this.swallowOrders(count, apiKey)
        return {}
      case 'duplicateReports':
        this.duplicateReports(count, apiKey)
        return {}
      case 'reorderReports':
        this.reorderReports(count, apiKey)
        return {}
      case 'expireUserStream':
        return { streams: this.expireUserStream(apiKey) }
      case 'rotateConnections':
        return { connections: this.rotateConnections(sel) }
      case 'marketTrade':
        if (typeof body.symbol !== 'string' || (body.side !== 'BUY' && body.side !== 'SELL') || typeof body.qty !== 'string') throw new Error('marketTrade: symbol, side (BUY|SELL) and qty (string) required')
        return { traded: this.marketTrade(body.symbol, body.side, body.qty, typeof body.limitPrice === 'string' ? body.limitPrice : undefined) }
      case 'deposit':
        if (apiKey === undefined || typeof body.asset !== 'string' || typeof body.amount !== 'string') throw new Error('deposit: apiKey, asset and amount (string) required')
        this.deposit(apiKey, body.asset, body.amount)
        return {}
      default:
        throw new Error(`unknown fault type ${JSON.stringify(body.type)}`)
    }
  }
}
