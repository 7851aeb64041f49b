/**
 * Signed REST endpoints (protocol §4.1, §4.2, §4.5): orders, open orders,
 * account, myTrades, and the listenKey endpoints (API key only).
 *
 * Checks, in order: API key (-2014 / -2015), signature present (-1102),
 * timestamp and recvWindow (-1102 / -1131 / -1021 both ways), signature valid
 * (-1022), not a replay (-1021). Order responses carry
 * X-MBX-ORDER-COUNT-10S / -1D; successful orders and cancels cost 0 weight
 * (since 2026-04-02), failed ones are charged 1.
 */
import { checkTiming, restPayload, verifySignature, type ReplayGuard } from './auth.js'
import type { Account } from './accounts.js'
import type { Exchange } from './exchange.js'
import type { ListenKeys } from './user-data.js'
import { ok, optional, required, type RestRequest, type RestResult, type RestRouter } from './rest.js'
import { Err } from './wire.js'

export interface TradeRestOptions {
  exchange: Exchange
  listenKeys: ListenKeys
  replayGuard: ReplayGuard
  aheadToleranceMs: number
  nowMs: () => number
}

export function apiKeyAccount(ex: Exchange, apiKey: string | null): Account {
  if (apiKey === null || apiKey === '') throw Err.rejectedKey()
  if (!/^[A-Za-z0-9]{1,128}$/.test(apiKey)) throw Err.badApiKeyFormat()
  const acc = ex.byKey.get(apiKey)
  if (acc === undefined) throw Err.rejectedKey()
  return acc
}

/** Authenticates a SIGNED REST request; returns its account. */
export function authenticate(o: TradeRestOptions, rr: RestRequest): Account {
  const acc = apiKeyAccount(o.exchange, rr.apiKey)
  const sig = rr.params.get('signature')
  if (sig === undefined || sig === '') throw Err.mandatory('signature')
  checkTiming(optional(rr, 'timestamp'), optional(rr, 'recvWindow'), o.nowMs(), o.aheadToleranceMs)
  if (!verifySignature(acc.key, restPayload(rr.rawQuery, rr.rawBody), sig)) throw Err.badSignature()
  if (!o.replayGuard.check(`${rr.method} ${rr.path} ${sig}`, o.nowMs())) throw Err.timestampOutside()
  return acc
}

function counts(acc: Account, nowMs: number): Record<string, string> {
  const [c10, cDay] = acc.orderCounts(nowMs)
  return { 'X-MBX-ORDER-COUNT-10S': String(c10), 'X-MBX-ORDER-COUNT-1D': String(cDay) }
}

/** Weight of order endpoints: 0 when they succeed; failures are charged by the router's error path. */
const ORDER_WEIGHT = 0

export function registerTradeRoutes(router: RestRouter, o: TradeRestOptions): void {
  const ex = o.exchange
  const placeHandler = (testOnly: boolean) => (rr: RestRequest): RestResult | null => {
    const acc = authenticate(o, rr)
    const r = ex.place(acc, rr.params, testOnly)
    if (r.body === null) return null
    return ok(r.body, testOnly ? undefined : counts(acc, o.nowMs()))
  }
  router.add('POST', '/api/v3/order', ORDER_WEIGHT, placeHandler(false))
  router.add('POST', '/api/v3/order/test', 1, placeHandler(true))
  router.add('DELETE', '/api/v3/order', ORDER_WEIGHT, (rr) => {
    const acc = authenticate(o, rr)
    return ok(ex.cancel(acc, rr.params))
  })
  router.add('GET', '/api/v3/order', 4, (rr) => {
    const acc = authenticate(o, rr)
    return ok(ex.status(acc, rr.params))
  })
  router.add(
    'GET',
    '/api/v3/openOrders',
    (rr) => (rr.params.has('symbol') ? 6 : 80),
    (rr) => {
      const acc = authenticate(o, rr)
      return ok(ex.openOrders(acc, rr.params))
    },
  )
  router.add('DELETE', '/api/v3/openOrders', ORDER_WEIGHT, (rr) => {
    const acc = authenticate(o, rr)
    required(rr, 'symbol')
    return ok(ex.cancelAll(acc, rr.params))
  })
  router.add('GET', '/api/v3/account', 20, (rr) => {
    const acc = authenticate(o, rr)
    return ok(ex.accountJson(acc, optional(rr, 'omitZeroBalances') === 'true'))
  })
  router.add('GET', '/api/v3/myTrades', 20, (rr) => {
    const acc = authenticate(o, rr)
    return ok(ex.myTrades(acc, rr.params))
  })
  // listenKey (USER_STREAM: API key, no signature)
  router.add('POST', '/api/v3/userDataStream', 2, (rr) => {
    const acc = apiKeyAccount(ex, rr.apiKey)
    return ok({ listenKey: o.listenKeys.create(acc).key })
  })
  router.add('PUT', '/api/v3/userDataStream', 2, (rr) => {
    const acc = apiKeyAccount(ex, rr.apiKey)
    const lk = o.listenKeys.get(required(rr, 'listenKey'), acc)
    if (lk === null) throw Err.invalidListenKey()
    o.listenKeys.keepalive(lk)
    return ok('{}')
  })
  router.add('DELETE', '/api/v3/userDataStream', 2, (rr) => {
    const acc = apiKeyAccount(ex, rr.apiKey)
    const lk = o.listenKeys.get(required(rr, 'listenKey'), acc)
    if (lk === null) throw Err.invalidListenKey()
    o.listenKeys.delete(lk)
    return ok('{}')
  })
}
