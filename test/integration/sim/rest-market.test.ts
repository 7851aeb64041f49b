/**
 * Public REST endpoints (protocol §3.1, §4.4, §4.5, §6) with plain HTTP:
 * shapes, weights and X-MBX-USED-WEIGHT-1M, 429 with Retry-After, 418 ban.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { http } from './client.js'

let sim: Simulator
before(async () => {
  sim = await startSimulator({ seed: 11, timing: { stepMs: 2 } })
})
after(() => sim.close())

const get = (path: string): ReturnType<typeof http> => http('GET', sim.urls.rest + path)

describe('market data REST', () => {
  test('ping, time, exchangeInfo with filters and rate limits', async () => {
    assert.deepEqual((await get('/api/v3/ping')).body, {})
    const t = (await get('/api/v3/time')).body as { serverTime: number }
    assert.ok(Math.abs(t.serverTime - Date.now()) < 5000)
    const r = await get('/api/v3/exchangeInfo')
    assert.equal(r.status, 200)
    assert.equal(r.headers['x-mbx-used-weight-1m'], '22')
    const info = r.body as { rateLimits: Array<Record<string, unknown>>; symbols: Array<{ symbol: string; filters: Array<Record<string, unknown>>; permissionSets: string[][] }> }
    assert.deepEqual(info.rateLimits[0], { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 })
    assert.deepEqual(info.symbols.map((s) => s.symbol), ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'])
    const btc = info.symbols[0]!
    const f = (t: string): Record<string, unknown> => btc.filters.find((x) => x.filterType === t)!
    assert.deepEqual(f('PRICE_FILTER'), { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' })
    assert.equal(f('LOT_SIZE').stepSize, '0.00001000')
    assert.equal(f('NOTIONAL').minNotional, '5.00000000')
    assert.equal(f('MIN_NOTIONAL').minNotional, '5.00000000')
    assert.deepEqual(btc.permissionSets, [['SPOT']])
    const one = (await get('/api/v3/exchangeInfo?symbol=ETHUSDT')).body as { symbols: Array<{ symbol: string }> }
    assert.deepEqual(one.symbols.map((s) => s.symbol), ['ETHUSDT'])
    const some = (await get(`/api/v3/exchangeInfo?symbols=${encodeURIComponent('["SOLUSDT","BTCUSDT"]')}`)).body as { symbols: Array<{ symbol: string }> }
    assert.equal(some.symbols.length, 2)
  })

  test('depth: limits, weights and errors', async () => {
    const before = Number((await get('/api/v3/ping')).headers['x-mbx-used-weight-1m'])
    const d = await get('/api/v3/depth?symbol=BTCUSDT&limit=5')
    assert.equal(Number(d.headers['x-mbx-used-weight-1m']), before + 5)
    const body = d.body as { lastUpdateId: number; bids: string[][]; asks: string[][] }
    assert.deepEqual(Object.keys(body), ['lastUpdateId', 'bids', 'asks'])
    assert.equal(body.bids.length, 5)
    assert.ok(BigInt(body.bids[0]![0]!.replace('.', '')) < BigInt(body.asks[0]![0]!.replace('.', '')))
    const d2 = await get('/api/v3/depth?symbol=BTCUSDT&limit=1000')
    assert.equal(Number(d2.headers['x-mbx-used-weight-1m']), before + 5 + 50)
    assert.deepEqual((await get('/api/v3/depth?symbol=NOPE')).body, { code: -1121, msg: 'Invalid symbol.' })
    const missing = await get('/api/v3/depth')
    assert.equal(missing.status, 400)
    assert.deepEqual(missing.body, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." })
    assert.equal((await get('/api/v3/nothing')).status, 404)
    assert.deepEqual((await get('/api/v3/depth?symbol=BTCUSDT&symbol=ETHUSDT')).body, { code: -1101, msg: 'Duplicate values for a parameter detected.' })
  })

  test('trades, aggTrades, klines, bookTicker, 24hr, avgPrice', async () => {
    const trades = (await get('/api/v3/trades?symbol=BTCUSDT&limit=10')).body as Array<Record<string, unknown>>
    assert.ok(trades.length > 0)
    assert.deepEqual(Object.keys(trades[0]!), ['id', 'price', 'qty', 'quoteQty', 'time', 'isBuyerMaker', 'isBestMatch'])
    for (let i = 1; i < trades.length; i++) assert.equal(trades[i]!.id, (trades[i - 1]!.id as number) + 1)
    const aggs = (await get('/api/v3/aggTrades?symbol=BTCUSDT&limit=5')).body as Array<Record<string, unknown>>
    assert.deepEqual(Object.keys(aggs[0]!), ['a', 'p', 'q', 'f', 'l', 'T', 'm', 'M'])
    const kl = (await get('/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2')).body as unknown[][]
    assert.equal(kl[0]!.length, 12)
    assert.equal((await get('/api/v3/klines?symbol=BTCUSDT&interval=7m')).status, 400)
    const bt = (await get('/api/v3/ticker/bookTicker?symbol=BTCUSDT')).body as Record<string, unknown>
    assert.deepEqual(Object.keys(bt), ['symbol', 'bidPrice', 'bidQty', 'askPrice', 'askQty'])
    const all = (await get('/api/v3/ticker/bookTicker')).body as unknown[]
    assert.equal(all.length, 3)
    const t24 = (await get('/api/v3/ticker/24hr?symbol=ETHUSDT')).body as Record<string, unknown>
    assert.equal(t24.symbol, 'ETHUSDT')
    assert.equal(typeof t24.count, 'number')
    const avg = (await get('/api/v3/avgPrice?symbol=SOLUSDT')).body as Record<string, unknown>
    assert.equal(avg.mins, 5)
  })
})

describe('request weight limits', () => {
  test('over the limit: 429 with Retry-After; keep going: 418 banned', async () => {
    const s = await startSimulator({ timing: { stepMs: 1_000_000_000 }, limits: { requestWeightPerMinute: 30 } })
    try {
      const url = `${s.urls.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`
      for (let i = 0; i < 6; i++) assert.equal((await http('GET', url)).status, 200)
      const limited = await http('GET', url)
      assert.equal(limited.status, 429)
      assert.equal((limited.body as { code: number }).code, -1003)
      assert.ok(Number(limited.headers['retry-after']) >= 1)
      let last = limited
      for (let i = 0; i < 25 && last.status !== 418; i++) last = await http('GET', url)
      assert.equal(last.status, 418)
      assert.match((last.body as { msg: string }).msg, /IP banned until \d+/)
      assert.ok(Number(last.headers['retry-after']) >= 60)
    } finally {
      await s.close()
    }
  })
})
