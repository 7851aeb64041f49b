/**
 * The WebSocket API on /ws-api/v3 (protocol §4.3): one JSON request per text
 * frame, `{"id","method","params"}`, answered with
 * `{"id","status","result"|"error","rateLimits"}`.
 *
 * Methods: ping, time, exchangeInfo (symbols only), session.logon (Ed25519),
 * session.status, session.logout, order.place, order.test, order.cancel,
 * order.status, openOrders.status, openOrders.cancelAll, account.status,
 * myTrades, userDataStream.subscribe (after logon),
 * userDataStream.subscribe.signature, userDataStream.unsubscribe,
 * session.subscriptions. A `v3/` prefix on the method is accepted.
 *
 * Signed requests: params sorted by name except `signature`, `k=v&…`, not
 * encoded, apiKey included (wsApiPayload). After session.logon, requests may
 * omit apiKey and signature but still need `timestamp`.
 */
import { checkTiming, KeyKind, paramText, verifySignature, wsApiPayload, type ReplayGuard } from './auth.js'
import type { Account, UserDataSink } from './accounts.js'
import type { Exchange } from './exchange.js'
import type { RestRouter } from './rest.js'
import { BinanceError, Err } from './wire.js'
import type { WsConn, WsHandler } from '../transport/ws-server.js'
import { apiKeyAccount } from './rest-trade.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

class Subscription implements UserDataSink {
  readonly id: number
  readonly session: WsApiSession
  active = true
  constructor(id: number, session: WsApiSession) {
    this.id = id
    this.session = session
  }
  deliver(payload: string): void {
    this.session.conn.send(`{"subscriptionId":${this.id},"event":${payload}}`)
  }
  alive(): boolean {
    return this.active && this.session.conn.open
  }
}

export class WsApiSession {
  readonly conn: WsConn
  readonly connectedSinceMs: number
  account: Account | null = null
  authorizedSinceMs = 0
  returnRateLimits: boolean
  readonly subs: Subscription[] = []
  nextSubId = 0
  constructor(conn: WsConn, now: number, returnRateLimits: boolean) {
    this.conn = conn
    this.connectedSinceMs = now
    this.returnRateLimits = returnRateLimits
  }
}

export interface WsApiOptions {
  exchange: Exchange
  router: RestRouter
  replayGuard: ReplayGuard
  aheadToleranceMs: number
  nowMs: () => number
  weightLimit: number
  exchangeInfoSymbols: () => unknown[]
}

const WEIGHTS: Record<string, number> = {
  ping: 1,
  time: 1,
  exchangeInfo: 20,
  'session.logon': 2,
  'session.status': 2,
  'session.logout': 2,
  'session.subscriptions': 2,
  'order.place': 0,
  'order.test': 1,
  'order.cancel': 0,
  'order.status': 4,
  'openOrders.status': 6,
  'openOrders.cancelAll': 0,
  'account.status': 20,
  myTrades: 20,
  'userDataStream.subscribe': 2,
  'userDataStream.subscribe.signature': 2,
  'userDataStream.unsubscribe': 2,
}

export class WsApiEndpoint implements WsHandler {
  readonly stats = { requests: 0, errors: 0, sessionsOpen: 0 }
  readonly sessions = new Set<WsApiSession>()
  readonly maxIncomingPerSecond: number
  private readonly o: WsApiOptions

  constructor(o: WsApiOptions, maxIncomingPerSecond: number) {
    this.o = o
    this.maxIncomingPerSecond = maxIncomingPerSecond
  }

  onOpen(conn: WsConn): void {
    const rl = conn.query.get('returnRateLimits')
    const s = new WsApiSession(conn, this.o.nowMs(), rl !== 'false')
    conn.state = s
    this.sessions.add(s)
    this.stats.sessionsOpen++
  }

  onClose(conn: WsConn): void {
    const s = conn.state as WsApiSession
    for (const sub of s.subs) sub.active = false
    this.sessions.delete(s)
    this.stats.sessionsOpen--
  }

  onMessage(conn: WsConn, data: Buffer, isBinary: boolean): void {
    this.stats.requests++
    const s = conn.state as WsApiSession
    let req: unknown
    try {
      req = isBinary ? undefined : JSON.parse(data.toString('utf8'))
    } catch {
      req = undefined
    }
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      this.stats.errors++
      conn.send(JSON.stringify({ id: null, status: 400, error: { code: -1000, msg: 'Malformed request: expected a JSON object with id, method and params.' } }))
      return
    }
    const r = req as Record<string, Json>
    const id: Json = r.id === undefined ? null : r.id
    if (id !== null && typeof id !== 'number' && typeof id !== 'string') {
      this.sendError(s, id, Err.illegalChars('id'), false)
      return
    }
    let method = typeof r.method === 'string' ? r.method : ''
    if (method.startsWith('v3/')) method = method.slice(3)
    const params = r.params === undefined ? {} : r.params
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      this.sendError(s, id, Err.illegalChars('params'), false)
      return
    }
    const p = params as Record<string, Json>
    const returnRl = p.returnRateLimits === false ? false : s.returnRateLimits
    const weight = WEIGHTS[method]
    if (weight === undefined) {
      this.sendError(s, id, new BinanceError(400, -1020, 'This operation is not supported.'), returnRl)
      return
    }
    const charged = this.o.router.charge(conn.remoteAddress, weight)
    if (charged !== null) {
      this.sendError(s, id, charged, returnRl)
      return
    }
    try {
      const result = this.dispatch(s, method, p)
      if (result === undefined) return // swallowed (fault): never answered
      this.sendResult(s, id, result, returnRl, method)
    } catch (err) {
      this.o.router.charge(conn.remoteAddress, weight === 0 ? 1 : 0)
      this.sendError(s, id, err instanceof BinanceError ? err : Err.unknown(), returnRl)
    }
  }

  private rateLimits(s: WsApiSession, orders: boolean): Json[] {
    const used = this.o.router.usedWeight(s.conn.remoteAddress)
    const out: Json[] = []
    if (orders && s.account !== null) {
      const [c10, cDay] = s.account.orderCounts(this.o.nowMs())
      out.push({ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.o.exchange.ordersPer10s, count: c10 })
      out.push({ rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: this.o.exchange.ordersPerDay, count: cDay })
    }
    out.push({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.o.weightLimit, count: used })
    return out
  }

  private sendResult(s: WsApiSession, id: Json, result: unknown, returnRl: boolean, method: string): void {
    const body: Record<string, unknown> = { id, status: 200, result }
    if (returnRl) body.rateLimits = this.rateLimits(s, method === 'order.place')
    s.conn.send(JSON.stringify(body))
  }

  private sendError(s: WsApiSession, id: Json, err: BinanceError, returnRl: boolean): void {
    this.stats.errors++
    const error: Record<string, unknown> = { code: err.code, msg: err.message }
    if (err.status === 429 || err.status === 418) error.data = { serverTime: this.o.nowMs(), retryAfter: this.o.nowMs() + err.retryAfterSec * 1000 }
    const body: Record<string, unknown> = { id, status: err.status, error }
    if (returnRl) body.rateLimits = this.rateLimits(s, false)
    s.conn.send(JSON.stringify(body))
  }

  /** Authenticates a signed request (or the logged-on session). */
  private auth(s: WsApiSession, method: string, p: Record<string, Json>, allowSession = true): Account {
    const now = this.o.nowMs()
    const ts = p.timestamp === undefined ? null : paramText(p.timestamp)
    const rw = p.recvWindow === undefined ? null : paramText(p.recvWindow)
    if (allowSession && s.account !== null && p.signature === undefined && (p.apiKey === undefined || p.apiKey === s.account.apiKey)) {
      checkTiming(ts, rw, now, this.o.aheadToleranceMs)
      return s.account
    }
    const acc = apiKeyAccount(this.o.exchange, typeof p.apiKey === 'string' ? p.apiKey : null)
    if (typeof p.signature !== 'string' || p.signature === '') throw Err.mandatory('signature')
    checkTiming(ts, rw, now, this.o.aheadToleranceMs)
    if (!verifySignature(acc.key, wsApiPayload(p), p.signature)) throw Err.badSignature()
    if (!this.o.replayGuard.check(`ws ${method} ${p.signature}`, now)) throw Err.timestampOutside()
    return acc
  }

  private toParams(p: Record<string, Json>): Map<string, string> {
    const m = new Map<string, string>()
    for (const [k, v] of Object.entries(p)) {
      if (k === 'apiKey' || k === 'signature') continue
      if (v === null) continue
      if (typeof v === 'object') throw Err.illegalChars(k)
      m.set(k, paramText(v))
    }
    return m
  }

  /** Returns the result, or undefined when the request is swallowed (fault). */
  private dispatch(s: WsApiSession, method: string, p: Record<string, Json>): unknown {
    const ex = this.o.exchange
    const now = this.o.nowMs()
    switch (method) {
      case 'ping':
        return {}
      case 'time':
        return { serverTime: now }
      case 'exchangeInfo':
        return { timezone: 'UTC', serverTime: now, rateLimits: [], exchangeFilters: [], symbols: this.o.exchangeInfoSymbols() }
      case 'session.logon': {
        const acc = apiKeyAccount(ex, typeof p.apiKey === 'string' ? p.apiKey : null)
        if (acc.key.kind !== KeyKind.Ed25519) throw new BinanceError(400, -4056, 'HMAC_SHA256 API key is not supported.')
        if (typeof p.signature !== 'string') throw Err.mandatory('signature')
        checkTiming(p.timestamp === undefined ? null : paramText(p.timestamp), p.recvWindow === undefined ? null : paramText(p.recvWindow), now, this.o.aheadToleranceMs)
        if (!verifySignature(acc.key, wsApiPayload(p), p.signature)) throw Err.badSignature()
        if (!this.o.replayGuard.check(`ws ${method} ${p.signature}`, now)) throw Err.timestampOutside()
        s.account = acc
        s.authorizedSinceMs = now
        return this.sessionStatus(s, now)
      }
      case 'session.status':
        return this.sessionStatus(s, now)
      case 'session.logout':
        s.account = null
        s.authorizedSinceMs = 0
        return this.sessionStatus(s, now)
      case 'session.subscriptions':
        return s.subs.filter((x) => x.active).map((x) => ({ subscriptionId: x.id }))
      case 'order.place':
      case 'order.test': {
        const acc = this.auth(s, method, p)
        const r = ex.place(acc, this.toParams(p), method === 'order.test')
        if (r.body === null) return undefined
        return r.body
      }
      case 'order.cancel':
        return ex.cancel(this.auth(s, method, p), this.toParams(p))
      case 'order.status':
        return ex.status(this.auth(s, method, p), this.toParams(p))
      case 'openOrders.status':
        return ex.openOrders(this.auth(s, method, p), this.toParams(p))
      case 'openOrders.cancelAll':
        return ex.cancelAll(this.auth(s, method, p), this.toParams(p))
      case 'account.status': {
        const q = this.toParams(p)
        return ex.accountJson(this.auth(s, method, p), q.get('omitZeroBalances') === 'true')
      }
      case 'myTrades':
        return ex.myTrades(this.auth(s, method, p), this.toParams(p))
      case 'userDataStream.subscribe': {
        if (s.account === null) throw Err.unauthorizedLogon()
        return { subscriptionId: this.subscribe(s, s.account) }
      }
      case 'userDataStream.subscribe.signature': {
        const acc = this.auth(s, method, p, false)
        return { subscriptionId: this.subscribe(s, acc) }
      }
      case 'userDataStream.unsubscribe': {
        const want = p.subscriptionId
        let any = false
        for (const sub of s.subs) {
          if (!sub.active || (want !== undefined && want !== sub.id)) continue
          sub.deliver(`{"e":"eventStreamTerminated","E":${now}}`)
          sub.active = false
          any = true
        }
        if (!any) throw Err.subscriptionInactive()
        return {}
      }
      default:
        throw new BinanceError(400, -1020, 'This operation is not supported.')
    }
  }

  private subscribe(s: WsApiSession, acc: Account): number {
    if (s.subs.filter((x) => x.active).length >= 1000) throw new BinanceError(400, -2039, 'Too many subscriptions on this session.')
    const sub = new Subscription(s.nextSubId++, s)
    s.subs.push(sub)
    acc.sinks.push(sub)
    return sub.id
  }

  private sessionStatus(s: WsApiSession, now: number): Record<string, unknown> {
    return {
      apiKey: s.account === null ? null : s.account.apiKey,
      authorizedSince: s.account === null ? null : s.authorizedSinceMs,
      connectedSince: s.connectedSinceMs,
      returnRateLimits: s.returnRateLimits,
      serverTime: now,
      userDataStream: s.subs.some((x) => x.active),
    }
  }

  /** Fault: terminates every WS-API user-data subscription (eventStreamTerminated). */
  terminateSubscriptions(acc: Account | null): number {
    let n = 0
    const now = this.o.nowMs()
    for (const s of this.sessions) {
      for (const sub of s.subs) {
        if (!sub.active) continue
        if (acc !== null && !acc.sinks.includes(sub)) continue
        sub.deliver(`{"e":"eventStreamTerminated","E":${now}}`)
        sub.active = false
        n++
      }
    }
    return n
  }
}
