/**
 * Signed REST trading against the simulator (protocol §4.1, §4.2, §4.4, §5):
 * signatures and timing, filters and balances, response types, and the
 * issue-5 scenario: place, fill, partially fill and cancel orders and check
 * every executionReport and the balances on the listenKey user data stream.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { eventually } from '../../helpers/eventually.js'
import { Client, http, m8, qs, restSignature, signed, type Creds, type HttpResult } from './client.js'

const HMAC: Creds = { apiKey: 'traderA', secret: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j' }
const ed = generateKeyPairSync('ed25519')
const ED: Creds = { apiKey: 'traderB', privateKey: ed.privateKey }
const POOR: Creds = { apiKey: 'poor', secret: 'poorsecret' }

let sim: Simulator
let base: string
const clients: Client[] = []

before(async () => {
  sim = await startSimulator({
    seed: 5,
    timing: { stepMs: 1_000_000_000 }, // a quiet market: the book moves only through our orders and injected trades
    accounts: [
      { apiKey: HMAC.apiKey, secret: HMAC.secret!, balances: { USDT: '100000', BTC: '2' } },
      { apiKey: ED.apiKey, ed25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), balances: { USDT: '1000' } },
      { apiKey: POOR.apiKey, secret: POOR.secret!, balances: { USDT: '1' } },
    ],
    fees: { maker: '0.001', taker: '0.002' },
  })
  base = sim.urls.rest
})
after(async () => {
  for (const c of clients) await c.close()
  await sim.close()
})

const order = (c: Creds, params: Array<[string, string | number]>, opts: { timestamp?: number; inBody?: boolean } = {}): Promise<HttpResult> => signed(base, c, 'POST', '/api/v3/order', params, opts)
const err = (r: HttpResult): { code: number; msg: string } => r.body as { code: number; msg: string }

async function depth(): Promise<{ bids: string[][]; asks: string[][] }> {
  return (await http('GET', `${base}/api/v3/depth?symbol=BTCUSDT&limit=20`)).body as { bids: string[][]; asks: string[][] }
}
async function balances(c: Creds): Promise<Map<string, [bigint, bigint]>> {
  const r = await signed(base, c, 'GET', '/api/v3/account', [])
  assert.equal(r.status, 200, r.text)
  const b = (r.body as { balances: Array<{ asset: string; free: string; locked: string }> }).balances
  return new Map(b.map((x) => [x.asset, [m8(x.free), m8(x.locked)]]))
}
const fmt8 = (v: bigint): string => {
  const neg = v < 0n
  const s = (neg ? -v : v).toString().padStart(9, '0')
  return `${neg ? '-' : ''}${s.slice(0, -8)}.${s.slice(-8)}`
}

describe('authentication (protocol §4.2)', () => {
  test('a good HMAC signature passes; tampered, missing and foreign ones fail with Binance codes', async () => {
    assert.equal((await signed(base, HMAC, 'GET', '/api/v3/account', [])).status, 200)
    const ts = Date.now()
    const payload = qs([['timestamp', ts]])
    const good = restSignature(HMAC, payload)
    const bad = await http('GET', `${base}/api/v3/account?${payload}&signature=${good.replace(/^./, good[0] === 'a' ? 'b' : 'a')}`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.deepEqual([bad.status, err(bad)], [400, { code: -1022, msg: 'Signature for this request is not valid.' }])
    const none = await http('GET', `${base}/api/v3/account?${payload}`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.equal(err(none).code, -1102)
    const nokey = await http('GET', `${base}/api/v3/account?${payload}&signature=${good}`)
    assert.equal(err(nokey).code, -2015)
    const wrongKey = await http('GET', `${base}/api/v3/account?${payload}&signature=${good}`, { headers: { 'X-MBX-APIKEY': 'someoneElse' } })
    assert.equal(err(wrongKey).code, -2015)
    // the same request again is a replay
    const replay = await http('GET', `${base}/api/v3/account?${payload}&signature=${good}`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.equal(replay.status, 200)
    const again = await http('GET', `${base}/api/v3/account?${payload}&signature=${good}`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.equal(err(again).code, -1021)
  })

  test('HMAC signatures are not case-sensitive; the signature may sit in the body', async () => {
    const payload = qs([['timestamp', Date.now()]])
    const sig = restSignature(HMAC, payload).toUpperCase()
    const r = await http('GET', `${base}/api/v3/account?${payload}&signature=${sig}`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.equal(r.status, 200)
    const tooSmall = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.00001'], ['price', '1000']], { inBody: true })
    assert.deepEqual(err(tooSmall), { code: -1013, msg: 'Filter failure: NOTIONAL' }, 'signature over the body accepted, then the filter fails')
  })

  test('Ed25519: base64 signature, percent-encoded', async () => {
    const r = await signed(base, ED, 'GET', '/api/v3/account', [['omitZeroBalances', 'true']])
    assert.equal(r.status, 200, r.text)
    assert.deepEqual((r.body as { balances: unknown[] }).balances, [{ asset: 'USDT', free: '1000.00000000', locked: '0.00000000' }])
  })

  test('-1021 both ways, recvWindow bounds', async () => {
    const ahead = await signed(base, HMAC, 'GET', '/api/v3/account', [], { timestamp: Date.now() + 3000 })
    assert.deepEqual(err(ahead), { code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." })
    const old = await signed(base, HMAC, 'GET', '/api/v3/account', [], { timestamp: Date.now() - 6000 })
    assert.deepEqual(err(old), { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' })
    const wide = await signed(base, HMAC, 'GET', '/api/v3/account', [['recvWindow', 10000]], { timestamp: Date.now() - 6000 })
    assert.equal(wide.status, 200)
    const tooWide = await signed(base, HMAC, 'GET', '/api/v3/account', [['recvWindow', 70000]])
    assert.equal(err(tooWide).code, -1131)
    const noTs = await http('GET', `${base}/api/v3/account?signature=abc`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.deepEqual(err(noTs), { code: -1102, msg: "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed." })
  })
})

describe('order validation (protocol §4.1, §4.4, §6)', () => {
  const L = (extra: Array<[string, string]>): Array<[string, string]> => [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ...extra]
  test('filters, precision, mandatory and superfluous parameters', async () => {
    const cases: Array<[Array<[string, string]>, number, string]> = [
      [L([['quantity', '0.001'], ['price', '50000.001']]), -1013, 'Filter failure: PRICE_FILTER'],
      [L([['quantity', '0.000015'], ['price', '50000']]), -1013, 'Filter failure: LOT_SIZE'],
      [L([['quantity', '0.00001'], ['price', '50000']]), -1013, 'Filter failure: NOTIONAL'],
      [L([['quantity', '0.000000001'], ['price', '50000']]), -1111, "Parameter 'quantity' has too much precision."],
      [L([['quantity', '0.001']]), -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."],
      [[['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['quantity', '0.001'], ['price', '50000']], -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."],
      [[['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'MARKET'], ['timeInForce', 'GTC'], ['quantity', '0.001']], -1106, "Parameter 'timeInForce' sent when not required."],
      [[['symbol', 'NOPE'], ['side', 'BUY'], ['type', 'MARKET'], ['quantity', '0.001']], -1121, 'Invalid symbol.'],
      [L([['quantity', '3'], ['price', '50000']]), -2010, 'Account has insufficient balance for requested action.'],
    ]
    for (const [params, code, msg] of cases) {
      const r = await order(HMAC, params)
      assert.equal(r.status, 400, JSON.stringify(params))
      assert.deepEqual(err(r), { code, msg }, JSON.stringify(params))
    }
    const poor = await order(POOR, L([['quantity', '0.001'], ['price', '50000']]))
    assert.deepEqual(err(poor), { code: -2010, msg: 'Account has insufficient balance for requested action.' })
    const d = await depth()
    const maker = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT_MAKER'], ['quantity', '0.001'], ['price', d.asks[0]![0]!]])
    assert.deepEqual(err(maker), { code: -2010, msg: 'Order would immediately match and take.' })
    const unknown = await signed(base, HMAC, 'DELETE', '/api/v3/order', [['symbol', 'BTCUSDT'], ['orderId', 999999]])
    assert.deepEqual(err(unknown), { code: -2011, msg: 'Unknown order sent.' })
    const q = await signed(base, HMAC, 'GET', '/api/v3/order', [['symbol', 'BTCUSDT'], ['orderId', 999999]])
    assert.deepEqual(err(q), { code: -2013, msg: 'Order does not exist.' })
  })

  test('newOrderRespType: FULL default for LIMIT/MARKET, ACK default for LIMIT_MAKER; RESULT on request; order-count headers', async () => {
    const d = await depth()
    const low = d.bids[5]![0]!
    const full = await order(HMAC, L([['quantity', '0.001'], ['price', low]]))
    assert.equal(full.status, 200, full.text)
    assert.deepEqual(Object.keys(full.body as object), [
      'symbol', 'orderId', 'orderListId', 'clientOrderId', 'transactTime', 'price', 'origQty', 'executedQty', 'origQuoteOrderQty',
      'cummulativeQuoteQty', 'status', 'timeInForce', 'type', 'side', 'workingTime', 'selfTradePreventionMode', 'fills',
    ])
    assert.ok(Number(full.headers['x-mbx-order-count-10s']) >= 1)
    assert.ok(Number(full.headers['x-mbx-order-count-1d']) >= 1)
    const ack = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT_MAKER'], ['quantity', '0.001'], ['price', low]])
    assert.deepEqual(Object.keys(ack.body as object), ['symbol', 'orderId', 'orderListId', 'clientOrderId', 'transactTime'])
    const result = await order(HMAC, L([['quantity', '0.001'], ['price', low], ['newOrderRespType', 'RESULT']]))
    assert.ok(!('fills' in (result.body as object)) && 'status' in (result.body as object))
    const open = await signed(base, HMAC, 'GET', '/api/v3/openOrders', [['symbol', 'BTCUSDT']])
    assert.equal((open.body as unknown[]).length, 3)
    const all = await signed(base, HMAC, 'DELETE', '/api/v3/openOrders', [['symbol', 'BTCUSDT']])
    assert.equal((all.body as Array<{ status: string }>).filter((o) => o.status === 'CANCELED').length, 3)
  })
})

describe('order rate limit', () => {
  test('ORDERS per 10 s: -1015 with HTTP 429 past the limit', async () => {
    const s = await startSimulator({ timing: { stepMs: 1_000_000_000 }, limits: { ordersPer10s: 2 }, accounts: [{ apiKey: 'rl', secret: 'rl', balances: { USDT: '10000' } }] })
    try {
      const c: Creds = { apiKey: 'rl', secret: 'rl' }
      const place = (): Promise<HttpResult> => signed(s.urls.rest, c, 'POST', '/api/v3/order', [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.001'], ['price', '30000'], ['newClientOrderId', `o${Math.random().toString(36).slice(2)}`]])
      const a = await place()
      const b = await place()
      assert.deepEqual([a.status, b.status, b.headers['x-mbx-order-count-10s']], [200, 200, '2'])
      const over = await place()
      assert.equal(over.status, 429)
      assert.deepEqual(err(over), { code: -1015, msg: 'Too many new orders; current limit is 2 orders per 10 SECOND.' })
    } finally {
      await s.close()
    }
  })
})

describe('issue 5: place, fill, partially fill, cancel — reports and balances on the listenKey stream', () => {
  test('executionReports carry every field; balances move exactly', async () => {
    const lk = (await http('POST', `${base}/api/v3/userDataStream`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })).body as { listenKey: string }
    assert.match(lk.listenKey, /^[A-Za-z0-9]{60,64}$/)
    const uds = await Client.open(`${sim.urls.ws}/ws/${lk.listenKey}`)
    clients.push(uds)
    const start = await balances(HMAC)
    const usdt0 = start.get('USDT')!
    const btc0 = start.get('BTC')!
    let usdt = usdt0[0]
    let btc = btc0[0]
    const d = await depth()
    const bestBid = m8(d.bids[0]![0]!)
    const bestAsk = m8(d.asks[0]![0]!)
    assert.ok(bestAsk - bestBid > 1_000_000n, 'a spread of more than one tick to rest inside')
    const inside = fmt8(bestBid + 1_000_000n)

    // 1. a resting LIMIT BUY inside the spread
    const placed = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.01'], ['price', inside], ['newClientOrderId', 'myBuy1']])
    assert.equal(placed.status, 200, placed.text)
    const p = placed.body as Record<string, unknown>
    assert.equal(p.status, 'NEW')
    assert.deepEqual(p.fills, [])
    const orderId = p.orderId as number
    const erNew = await uds.next((j) => j.e === 'executionReport' && j.i === orderId && j.x === 'NEW')
    assert.deepEqual(Object.keys(erNew), ['e', 'E', 's', 'c', 'S', 'o', 'f', 'q', 'p', 'P', 'F', 'g', 'C', 'x', 'X', 'r', 'i', 'l', 'z', 'L', 'n', 'N', 'T', 't', 'I', 'w', 'm', 'M', 'O', 'Z', 'Y', 'Q', 'W', 'V'])
    assert.deepEqual(
      { s: erNew.s, c: erNew.c, S: erNew.S, o: erNew.o, f: erNew.f, q: erNew.q, p: erNew.p, g: erNew.g, C: erNew.C, X: erNew.X, r: erNew.r, l: erNew.l, z: erNew.z, n: erNew.n, N: erNew.N, t: erNew.t, w: erNew.w, m: erNew.m },
      { s: 'BTCUSDT', c: 'myBuy1', S: 'BUY', o: 'LIMIT', f: 'GTC', q: '0.01000000', p: inside, g: -1, C: '', X: 'NEW', r: 'NONE', l: '0.00000000', z: '0.00000000', n: '0', N: null, t: -1, w: true, m: false },
    )
    const lock = (m8(inside) * 1_000_000n) / 100_000_000n
    const pos1 = await uds.next<{ B: Array<{ a: string; f: string; l: string }> }>((j) => j.e === 'outboundAccountPosition')
    assert.deepEqual(pos1.B, [{ a: 'USDT', f: fmt8(usdt - lock), l: fmt8(usdt0[1] + lock) }])

    // 2. the market trades through it partly: a maker fill of 0.004
    const traded = await http('POST', `${base}/__sim/fault`, { body: JSON.stringify({ type: 'marketTrade', symbol: 'BTCUSDT', side: 'SELL', qty: '0.004', limitPrice: inside }) })
    assert.deepEqual(traded.body, { traded: 400000 })
    const erPart = await uds.next((j) => j.e === 'executionReport' && j.i === orderId && j.x === 'TRADE')
    const makerFee = (400_000n * 100_000n) / 100_000_000n // 0.004 BTC × 0.001
    assert.deepEqual(
      { X: erPart.X, l: erPart.l, z: erPart.z, L: erPart.L, n: erPart.n, N: erPart.N, m: erPart.m, w: erPart.w, c: erPart.c, C: erPart.C, Y: erPart.Y, Z: erPart.Z },
      { X: 'PARTIALLY_FILLED', l: '0.00400000', z: '0.00400000', L: inside, n: fmt8(makerFee), N: 'BTC', m: true, w: true, c: 'myBuy1', C: '', Y: fmt8((m8(inside) * 400_000n) / 100_000_000n), Z: fmt8((m8(inside) * 400_000n) / 100_000_000n) },
    )
    assert.equal(typeof erPart.t, 'number')
    assert.ok((erPart.t as number) > 0)
    const cost = (m8(inside) * 400_000n) / 100_000_000n
    usdt -= cost
    btc += 400_000n - makerFee
    const posFill = await uds.next<{ B: Array<{ a: string; f: string; l: string }> }>((j) => j.e === 'outboundAccountPosition')
    const byAsset = new Map(posFill.B.map((x) => [x.a, x]))
    assert.equal(byAsset.get('BTC')!.f, fmt8(btc))
    assert.equal(byAsset.get('USDT')!.l, fmt8(usdt0[1] + lock - cost))

    // 3. cancel it with our own cancel id: c = the cancel's id, C = the order's
    const cancel = await signed(base, HMAC, 'DELETE', '/api/v3/order', [['symbol', 'BTCUSDT'], ['origClientOrderId', 'myBuy1'], ['newClientOrderId', 'myCancel1']])
    assert.equal(cancel.status, 200, cancel.text)
    const cb = cancel.body as Record<string, unknown>
    assert.deepEqual({ origClientOrderId: cb.origClientOrderId, clientOrderId: cb.clientOrderId, status: cb.status, executedQty: cb.executedQty }, { origClientOrderId: 'myBuy1', clientOrderId: 'myCancel1', status: 'CANCELED', executedQty: '0.00400000' })
    const erCancel = await uds.next((j) => j.e === 'executionReport' && j.i === orderId && j.x === 'CANCELED')
    assert.deepEqual({ c: erCancel.c, C: erCancel.C, X: erCancel.X, z: erCancel.z, w: erCancel.w, t: erCancel.t }, { c: 'myCancel1', C: 'myBuy1', X: 'CANCELED', z: '0.00400000', w: false, t: -1 })
    const posCancel = await uds.next<{ B: Array<{ a: string; f: string; l: string }> }>((j) => j.e === 'outboundAccountPosition')
    assert.deepEqual(posCancel.B, [{ a: 'USDT', f: fmt8(usdt), l: fmt8(usdt0[1]) }])

    // 4. a taker LIMIT BUY through the best ask, larger than that level: partial fill, the rest rests
    const d2 = await depth()
    const askP = d2.asks[0]![0]!
    const askQ = m8(d2.asks[0]![1]!)
    const want = askQ + 100_000n // one more than the level holds (0.001 more)
    const taker = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', fmt8(want)], ['price', askP]])
    assert.equal(taker.status, 200, taker.text)
    const tb = taker.body as { orderId: number; status: string; executedQty: string; fills: Array<{ price: string; qty: string; commission: string; commissionAsset: string; tradeId: number }> }
    assert.equal(tb.status, 'PARTIALLY_FILLED')
    assert.equal(tb.executedQty, fmt8(askQ))
    const takerFee = (askQ * 200_000n) / 100_000_000n
    assert.deepEqual(tb.fills.map((f) => [f.price, f.qty, f.commission, f.commissionAsset]), [[askP, fmt8(askQ), fmt8(takerFee), 'BTC']])
    const tNew = await uds.next((j) => j.e === 'executionReport' && j.i === tb.orderId && j.x === 'NEW')
    assert.equal(tNew.X, 'NEW')
    const tTrade = await uds.next((j) => j.e === 'executionReport' && j.i === tb.orderId && j.x === 'TRADE')
    assert.deepEqual({ X: tTrade.X, m: tTrade.m, l: tTrade.l, n: tTrade.n, N: tTrade.N, t: tTrade.t, w: tTrade.w }, { X: 'PARTIALLY_FILLED', m: false, l: fmt8(askQ), n: fmt8(takerFee), N: 'BTC', t: tb.fills[0]!.tradeId, w: true })
    usdt -= (m8(askP) * want) / 100_000_000n // locked at the limit price for the whole quantity …
    const spent = (m8(askP) * askQ) / 100_000_000n
    btc += askQ - takerFee

    // 5. it fills completely when the market sells into it
    await http('POST', `${base}/__sim/fault`, { body: JSON.stringify({ type: 'marketTrade', symbol: 'BTCUSDT', side: 'SELL', qty: '0.001', limitPrice: askP }) })
    const tFill = await uds.next((j) => j.e === 'executionReport' && j.i === tb.orderId && j.x === 'TRADE')
    assert.deepEqual({ X: tFill.X, z: tFill.z, m: tFill.m, w: tFill.w }, { X: 'FILLED', z: fmt8(want), m: true, w: false })
    btc += 100_000n - (100_000n * 100_000n) / 100_000_000n
    void spent

    // 6. MARKET SELL by quantity: FILLED, commission in USDT
    const ms = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'SELL'], ['type', 'MARKET'], ['quantity', '0.002']])
    assert.equal(ms.status, 200, ms.text)
    const msb = ms.body as { status: string; fills: Array<{ price: string; qty: string; commission: string; commissionAsset: string }>; cummulativeQuoteQty: string }
    assert.equal(msb.status, 'FILLED')
    let proceeds = 0n
    let fees = 0n
    for (const f of msb.fills) {
      const q = (m8(f.price) * m8(f.qty)) / 100_000_000n
      proceeds += q
      assert.equal(f.commissionAsset, 'USDT')
      assert.equal(m8(f.commission), (q * 200_000n + 50_000_000n) / 100_000_000n - (((q * 200_000n) % 100_000_000n === 50_000_000n && ((q * 200_000n) / 100_000_000n) % 2n === 0n) ? 1n : 0n))
      fees += m8(f.commission)
    }
    assert.equal(msb.cummulativeQuoteQty, fmt8(proceeds))
    btc -= 200_000n

    // 7. MARKET BUY by quoteOrderQty
    const mb = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'MARKET'], ['quoteOrderQty', '100']])
    assert.equal(mb.status, 200, mb.text)
    const mbb = mb.body as { status: string; executedQty: string; cummulativeQuoteQty: string; origQty: string; fills: Array<{ commission: string }> }
    assert.equal(mbb.status, 'FILLED')
    assert.ok(m8(mbb.cummulativeQuoteQty) <= 100n * 100_000_000n)
    assert.equal(mbb.origQty, mbb.executedQty)
    let buyFees = 0n
    for (const f of mbb.fills) buyFees += m8(f.commission)

    // Balances: the account endpoint agrees with our own bookkeeping, to the last satoshi.
    const fin = await balances(HMAC)
    const expectUsdt = usdt0[0] - cost - spent - (m8(askP) * 100_000n) / 100_000_000n + proceeds - fees - m8(mbb.cummulativeQuoteQty)
    const expectBtc = btc + m8(mbb.executedQty) - buyFees
    assert.deepEqual(fin.get('USDT'), [expectUsdt, 0n])
    assert.deepEqual(fin.get('BTC'), [expectBtc, 0n])
    // … and the last outboundAccountPosition says the same
    await eventually(() => {
      const last = uds.all().filter((j) => j.e === 'outboundAccountPosition').pop() as { B: Array<{ a: string; f: string; l: string }> }
      const m = new Map(last.B.map((x) => [x.a, x]))
      assert.equal(m.get('USDT')!.f, fmt8(expectUsdt))
      assert.equal(m.get('BTC')!.f, fmt8(expectBtc))
    })
    void usdt
    // myTrades lists every fill of the account
    const mt = await signed(base, HMAC, 'GET', '/api/v3/myTrades', [['symbol', 'BTCUSDT']])
    assert.equal((mt.body as unknown[]).length, 1 + 1 + 1 + msb.fills.length + mbb.fills.length)
  })

  test('IOC and FOK expire what they cannot fill, with eR', async () => {
    const lk = (await http('POST', `${base}/api/v3/userDataStream`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })).body as { listenKey: string }
    const uds = await Client.open(`${sim.urls.ws}/stream?streams=${lk.listenKey}`)
    clients.push(uds)
    const d = await depth()
    const askP = d.asks[0]![0]!
    const askQ = m8(d.asks[0]![1]!)
    const fok = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'FOK'], ['quantity', fmt8(askQ + 100_000n)], ['price', askP]])
    assert.equal((fok.body as { status: string }).status, 'EXPIRED')
    assert.deepEqual((fok.body as { fills: unknown[] }).fills, [])
    const ioc = await order(HMAC, [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'IOC'], ['quantity', fmt8(askQ + 100_000n)], ['price', askP]])
    const ib = ioc.body as { status: string; executedQty: string; orderId: number }
    assert.equal(ib.status, 'EXPIRED')
    assert.equal(ib.executedQty, fmt8(askQ))
    const exp = await uds.next<{ stream: string; data: Record<string, unknown> }>((j) => j.stream === lk.listenKey && (j.data as { x?: string; i?: number }).x === 'EXPIRED' && (j.data as { i: number }).i === ib.orderId)
    assert.equal(exp.data.eR, 'UNFILLED_IOC_QUANTITY_EXPIRED')
    assert.equal(exp.data.X, 'EXPIRED')
  })

  test('listenKey keepalive, delete, unknown key', async () => {
    const h = { 'X-MBX-APIKEY': ED.apiKey }
    const lk = ((await http('POST', `${base}/api/v3/userDataStream`, { headers: h })).body as { listenKey: string }).listenKey
    assert.deepEqual((await http('PUT', `${base}/api/v3/userDataStream?listenKey=${lk}`, { headers: h })).body, {})
    assert.deepEqual((await http('DELETE', `${base}/api/v3/userDataStream?listenKey=${lk}`, { headers: h })).body, {})
    const gone = await http('PUT', `${base}/api/v3/userDataStream?listenKey=${lk}`, { headers: h })
    assert.deepEqual(gone.body, { code: -1125, msg: 'This listenKey does not exist.' })
  })
})
