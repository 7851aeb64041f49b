/**
 * The WebSocket API (protocol §4.3) and its user data subscription (§5.1),
 * with the plain `ws` client: session.logon (Ed25519), signed requests
 * (HMAC), order.place / cancel / status, the issue-5 scenario over the
 * WS-API, and the `{"subscriptionId","event"}` envelope.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { Client, http, m8, wsApiSign, type Creds } from './client.js'

const ed = generateKeyPairSync('ed25519')
const ED: Creds = { apiKey: 'edTrader', privateKey: ed.privateKey }
const HM: Creds = { apiKey: 'hmTrader', secret: 'hmac-secret-for-tests' }

let sim: Simulator
const clients: Client[] = []
let seq = 1
async function open(): Promise<Client> {
  const c = await Client.open(sim.urls.wsApi)
  clients.push(c)
  return c
}
type Resp = { id: number; status: number; result?: Record<string, unknown>; error?: { code: number; msg: string }; rateLimits?: Array<Record<string, unknown>> }
const call = (c: Client, method: string, params: Record<string, unknown> = {}): Promise<Resp> => c.call<Resp>({ id: seq++, method, params })
const fmt8 = (v: bigint): string => {
  const s = v.toString().padStart(9, '0')
  return `${s.slice(0, -8)}.${s.slice(-8)}`
}

before(async () => {
  sim = await startSimulator({
    seed: 9,
    timing: { stepMs: 1_000_000_000 },
    accounts: [
      { apiKey: ED.apiKey, ed25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), balances: { USDT: '50000', BTC: '1' } },
      { apiKey: HM.apiKey, secret: HM.secret!, balances: { USDT: '50000' } },
    ],
  })
})
after(async () => {
  for (const c of clients) await c.close()
  await sim.close()
})

describe('WebSocket API basics', () => {
  test('ping, time, rateLimits, errors and an unknown method', async () => {
    const c = await open()
    const p = await call(c, 'ping')
    assert.equal(p.status, 200)
    assert.deepEqual(p.result, {})
    assert.equal(p.rateLimits![0]!.rateLimitType, 'REQUEST_WEIGHT')
    const t = await call(c, 'time', { returnRateLimits: false })
    assert.equal(typeof (t.result as unknown as { serverTime: number }).serverTime, 'number')
    assert.equal(t.rateLimits, undefined)
    const u = await call(c, 'order.frobnicate')
    assert.equal(u.status, 400)
    assert.equal(typeof u.error!.code, 'number')
    const prefixed = await call(c, 'v3/ping')
    assert.equal(prefixed.status, 200)
    c.send('{{{')
    const bad = await c.find<Resp>((j) => j.id === null && j.status === 400)
    assert.ok(bad.error !== undefined)
  })

  test('signed requests: HMAC ok, tampered -1022, unknown key -2015 (401), old timestamp -1021', async () => {
    const c = await open()
    const ok = await call(c, 'account.status', wsApiSign(HM, {}))
    assert.equal(ok.status, 200, JSON.stringify(ok))
    assert.equal((ok.result as unknown as { accountType: string }).accountType, 'SPOT')
    const tampered = wsApiSign(HM, { omitZeroBalances: true })
    tampered.omitZeroBalances = false
    const bad = await call(c, 'account.status', tampered)
    assert.deepEqual([bad.status, bad.error], [400, { code: -1022, msg: 'Signature for this request is not valid.' }])
    const foreign = await call(c, 'account.status', wsApiSign({ apiKey: 'nobody', secret: 'x' }, {}))
    assert.deepEqual([foreign.status, foreign.error!.code], [401, -2015])
    const old = await call(c, 'account.status', wsApiSign(HM, { timestamp: Date.now() - 60_000 }))
    assert.equal(old.error!.code, -1021)
    const hmLogon = await call(c, 'session.logon', wsApiSign(HM, {}))
    assert.equal(hmLogon.status, 400, 'session.logon is Ed25519 only')
    const sub = await call(c, 'userDataStream.subscribe')
    assert.equal(sub.status, 401, 'subscribe needs a logged-on session')
  })
})

describe('issue 5 over the WebSocket API', () => {
  test('logon, subscribe, place, partial fill, cancel, taker fill: responses, reports and balances', async () => {
    const c = await open()
    const logon = await call(c, 'session.logon', wsApiSign(ED, {}))
    assert.equal(logon.status, 200, JSON.stringify(logon))
    assert.deepEqual(Object.keys(logon.result!), ['apiKey', 'authorizedSince', 'connectedSince', 'returnRateLimits', 'serverTime', 'userDataStream'])
    assert.equal((logon.result as unknown as { apiKey: string }).apiKey, ED.apiKey)
    const sub = await call(c, 'userDataStream.subscribe')
    assert.deepEqual(sub.result, { subscriptionId: 0 })
    const ev = (pred: (e: Record<string, unknown>) => boolean): Promise<{ subscriptionId: number; event: Record<string, unknown> }> =>
      c.next((j) => 'event' in j && pred(j.event as Record<string, unknown>))

    const acc0 = await call(c, 'account.status', { timestamp: Date.now() })
    assert.equal(acc0.status, 200, JSON.stringify(acc0))
    const bal = (r: Resp, a: string): [bigint, bigint] => {
      const b = (r.result as unknown as { balances: Array<{ asset: string; free: string; locked: string }> }).balances.find((x) => x.asset === a)!
      return [m8(b.free), m8(b.locked)]
    }
    const d = (await http('GET', `${sim.urls.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`)).body as { bids: string[][]; asks: string[][] }
    const inside = fmt8(m8(d.bids[0]![0]!) + 1_000_000n)

    // place a resting SELL? no: a resting BUY inside the spread, RESULT response
    const placed = await call(c, 'order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02', price: inside, newClientOrderId: 'wsBuy', newOrderRespType: 'RESULT', timestamp: Date.now() })
    assert.equal(placed.status, 200, JSON.stringify(placed))
    const pr = placed.result as unknown as Record<string, unknown>
    assert.equal(pr.status, 'NEW')
    assert.ok(placed.rateLimits!.some((r) => r.rateLimitType === 'ORDERS' && r.interval === 'SECOND' && (r.count as number) >= 1))
    const eNew = await ev((e) => e.e === 'executionReport' && e.c === 'wsBuy' && e.x === 'NEW')
    assert.equal(eNew.subscriptionId, 0)
    assert.equal(eNew.event.w, true)

    // partial fill by the market
    await http('POST', `${sim.urls.rest}/__sim/fault`, { body: JSON.stringify({ type: 'marketTrade', symbol: 'BTCUSDT', side: 'SELL', qty: '0.005', limitPrice: inside }) })
    const eTrade = await ev((e) => e.e === 'executionReport' && e.i === pr.orderId && e.x === 'TRADE')
    assert.deepEqual({ X: eTrade.event.X, l: eTrade.event.l, z: eTrade.event.z, m: eTrade.event.m, N: eTrade.event.N }, { X: 'PARTIALLY_FILLED', l: '0.00500000', z: '0.00500000', m: true, N: 'BTC' })
    const pos = await ev((e) => e.e === 'outboundAccountPosition')
    assert.ok(Array.isArray(pos.event.B))

    const st = await call(c, 'order.status', { symbol: 'BTCUSDT', orderId: pr.orderId as number, timestamp: Date.now() })
    assert.deepEqual({ status: (st.result as unknown as Record<string, unknown>).status, executedQty: (st.result as unknown as Record<string, unknown>).executedQty }, { status: 'PARTIALLY_FILLED', executedQty: '0.00500000' })
    const oo = await call(c, 'openOrders.status', { symbol: 'BTCUSDT', timestamp: Date.now() })
    assert.equal((oo.result as unknown as unknown[]).length, 1)

    // cancel: c = the cancel's id, C = the order's
    const cancel = await call(c, 'order.cancel', { symbol: 'BTCUSDT', origClientOrderId: 'wsBuy', newClientOrderId: 'wsCancel', timestamp: Date.now() })
    assert.equal(cancel.status, 200, JSON.stringify(cancel))
    assert.deepEqual({ o: (cancel.result as unknown as Record<string, unknown>).origClientOrderId, c: (cancel.result as unknown as Record<string, unknown>).clientOrderId }, { o: 'wsBuy', c: 'wsCancel' })
    const eCancel = await ev((e) => e.e === 'executionReport' && e.x === 'CANCELED')
    assert.deepEqual({ c: eCancel.event.c, C: eCancel.event.C, X: eCancel.event.X }, { c: 'wsCancel', C: 'wsBuy', X: 'CANCELED' })
    const again = await call(c, 'order.cancel', { symbol: 'BTCUSDT', origClientOrderId: 'wsBuy', timestamp: Date.now() })
    assert.equal(again.error!.code, -2011)

    // a taker MARKET BUY, FULL by default
    const mk = await call(c, 'order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', timestamp: Date.now() })
    assert.equal(mk.status, 200, JSON.stringify(mk))
    const mr = mk.result as unknown as { status: string; fills: Array<{ price: string; qty: string; commission: string }>; cummulativeQuoteQty: string }
    assert.equal(mr.status, 'FILLED')
    let quote = 0n
    let fee = 0n
    for (const f of mr.fills) {
      quote += (m8(f.price) * m8(f.qty)) / 100_000_000n
      fee += m8(f.commission)
    }
    const eFilled = await ev((e) => e.e === 'executionReport' && e.X === 'FILLED' && e.o === 'MARKET')
    assert.equal(eFilled.event.z, '0.01000000')

    // balances: exact
    const acc1 = await call(c, 'account.status', { timestamp: Date.now() })
    const [u0] = bal(acc0, 'USDT')
    const [b0] = bal(acc0, 'BTC')
    const partialCost = (m8(inside) * 500_000n) / 100_000_000n
    const makerFee = (500_000n * 100_000n) / 100_000_000n
    assert.deepEqual(bal(acc1, 'USDT'), [u0 - partialCost - quote, 0n])
    assert.deepEqual(bal(acc1, 'BTC'), [b0 + 500_000n - makerFee + 1_000_000n - fee, 0n])
  })

  test('userDataStream.subscribe.signature works for an HMAC key on any session', async () => {
    const c = await open()
    const sub = await call(c, 'userDataStream.subscribe.signature', wsApiSign(HM, {}))
    assert.equal(sub.status, 200, JSON.stringify(sub))
    const id = (sub.result as unknown as { subscriptionId: number }).subscriptionId
    const placed = await call(c, 'order.place', wsApiSign(HM, { symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000', newOrderRespType: 'ACK' }))
    assert.deepEqual(Object.keys(placed.result!), ['symbol', 'orderId', 'orderListId', 'clientOrderId', 'transactTime'])
    const ev = await c.next<{ subscriptionId: number; event: Record<string, unknown> }>((j) => 'event' in j && (j.event as { e: string }).e === 'executionReport')
    assert.equal(ev.subscriptionId, id)
    assert.equal(ev.event.s, 'ETHUSDT')
    const subs = await call(c, 'session.subscriptions')
    assert.deepEqual(subs.result, [{ subscriptionId: id }])
    const un = await call(c, 'userDataStream.unsubscribe', { subscriptionId: id })
    assert.deepEqual(un.result, {})
    await c.next((j) => 'event' in j && (j.event as { e: string }).e === 'eventStreamTerminated')
  })
})
