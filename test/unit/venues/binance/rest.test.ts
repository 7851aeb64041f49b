import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { BinanceRestClient, WeightBudget, depthWeight } from '../../../../src/venues/binance/rest.js'
import { ErrorCode, TickflowError } from '../../../../src/core/errors.js'

interface Seen {
  url: string
  headers: http.IncomingHttpHeaders
}

/** A local HTTP server; `handler` answers each request (or not). */
async function startHttp(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void) {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    handler(req, res, seen.length)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function code(err: unknown, c: string): TickflowError {
  assert.ok(err instanceof TickflowError, String(err))
  assert.equal(err.code, c)
  return err
}

const DEPTH = '{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}'

test('depthWeight follows the venue tables (Spot §3.1, USD-M)', () => {
  const spot: Array<[number, number]> = [[1, 5], [100, 5], [101, 25], [500, 25], [501, 50], [1000, 50], [1001, 250], [5000, 250]]
  for (const [limit, w] of spot) assert.equal(depthWeight('spot', limit), w, `spot ${limit}`)
  const usdm: Array<[number, number]> = [[5, 2], [10, 2], [20, 2], [50, 2], [100, 5], [500, 10], [1000, 20]]
  for (const [limit, w] of usdm) assert.equal(depthWeight('usdm', limit), w, `usdm ${limit}`)
  assert.throws(() => depthWeight('spot', 0), RangeError)
  assert.throws(() => depthWeight('spot', 5001), RangeError)
  assert.throws(() => depthWeight('usdm', 200), RangeError)
})

test('fetchDepth: Spot path and query, raw body, weight reserved and corrected from X-MBX-USED-WEIGHT-1M', async () => {
  const srv = await startHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': '777', 'x-mbx-used-weight-1s': '3' })
    res.end(DEPTH)
  })
  const budget = new WeightBudget({ limitPerMinute: 6000, headroom: 1 })
  const client = new BinanceRestClient({ market: 'spot', baseUrl: srv.url, budget, headers: { 'x-mbx-apikey': 'k' } })
  try {
    const res = await client.fetchDepth('btcusdt', 1000)
    assert.equal(srv.seen[0]!.url, '/api/v3/depth?symbol=BTCUSDT&limit=1000')
    assert.equal(srv.seen[0]!.headers['x-mbx-apikey'], 'k')
    assert.ok(Buffer.isBuffer(res.body))
    assert.equal(res.body.toString(), DEPTH)
    assert.equal(res.status, 200)
    assert.equal(res.usedWeight1m, 777)
    const u = budget.usage()
    assert.equal(u.used, 777)
    assert.equal(u.reported['1m'], 777)
    assert.equal(u.reported['1s'], 3)
  } finally {
    await client.close()
    await srv.close()
  }
})

test('USD-M uses /fapi/v1 and its own weights; a budget is shared between clients', async () => {
  const srv = await startHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(DEPTH)
  })
  const budget = new WeightBudget({ limitPerMinute: 2400, headroom: 1 })
  const fut = new BinanceRestClient({ market: 'usdm', baseUrl: srv.url, budget })
  const spot = new BinanceRestClient({ market: 'spot', baseUrl: srv.url, budget })
  try {
    await fut.fetchDepth('BTCUSDT', 500)
    assert.equal(srv.seen[0]!.url, '/fapi/v1/depth?symbol=BTCUSDT&limit=500')
    await spot.fetchDepth('BTCUSDT', 100)
    assert.equal(budget.usage().used, 10 + 5)
    await assert.rejects(fut.fetchDepth('BTCUSDT', 200), RangeError)
    assert.equal(srv.seen.length, 2)
  } finally {
    await fut.close()
    await spot.close()
    await srv.close()
  }
})

test('429 with Retry-After → VENUE_RATE_LIMITED, and later requests are refused without reaching the venue', async () => {
  const srv = await startHttp((_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' })
    res.end('{"code":-1003,"msg":"Too much request weight used; current limit is 6000 request weight per 1 MINUTE."}')
  })
  const client = new BinanceRestClient({ market: 'spot', baseUrl: srv.url })
  try {
    await assert.rejects(client.fetchDepth('BTCUSDT', 100), (err) => {
      const e = code(err, ErrorCode.VENUE_RATE_LIMITED)
      assert.equal(e.details?.retryAfterMs, 3000)
      assert.equal(e.details?.venueCode, -1003)
      assert.equal(e.details?.status, 429)
      return true
    })
    await assert.rejects(client.fetchDepth('BTCUSDT', 100), (err) => {
      const e = code(err, ErrorCode.VENUE_RATE_LIMITED)
      assert.ok((e.details?.retryAfterMs as number) > 2000)
      return true
    })
    assert.equal(srv.seen.length, 1)
  } finally {
    await client.close()
    await srv.close()
  }
})

test('418 → VENUE_BANNED with retryAfterMs; the ban holds for the next request', async () => {
  const srv = await startHttp((_req, res) => {
    res.writeHead(418, { 'retry-after': '120' })
    res.end('{"code":-1003,"msg":"Way too much request weight used; IP banned until 1700000000000."}')
  })
  const client = new BinanceRestClient({ market: 'spot', baseUrl: srv.url })
  try {
    await assert.rejects(client.get('/api/v3/time'), (err) => code(err, ErrorCode.VENUE_BANNED).details?.retryAfterMs === 120_000)
    await assert.rejects(client.get('/api/v3/time'), (err) => !!code(err, ErrorCode.VENUE_BANNED))
    assert.equal(client.budget.usage().banned, true)
    assert.equal(srv.seen.length, 1)
  } finally {
    await client.close()
    await srv.close()
  }
})

test('5xx → VENUE_HTTP with status (outcome unknown); 4xx → VENUE_REJECTED with the venue code', async () => {
  const srv = await startHttp((req, res) => {
    if (req.url!.includes('BAD')) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end('{"code":-1121,"msg":"Invalid symbol."}')
    } else {
      res.writeHead(503)
      res.end('Service Unavailable')
    }
  })
  const client = new BinanceRestClient({ market: 'spot', baseUrl: srv.url })
  try {
    await assert.rejects(client.fetchDepth('BTCUSDT', 5), (err) => {
      const e = code(err, ErrorCode.VENUE_HTTP)
      assert.equal(e.details?.status, 503)
      assert.equal(e.details?.unknownOutcome, true)
      return true
    })
    await assert.rejects(client.fetchDepth('BAD', 5), (err) => {
      const e = code(err, ErrorCode.VENUE_REJECTED)
      assert.equal(e.details?.status, 400)
      assert.equal(e.details?.venueCode, -1121)
      assert.equal(e.details?.venueMsg, 'Invalid symbol.')
      return true
    })
  } finally {
    await client.close()
    await srv.close()
  }
})

test('a venue that does not answer → VENUE_TIMEOUT; the caller abort rejects with its reason', async () => {
  const srv = await startHttp(() => {}) // never answers
  const client = new BinanceRestClient({ market: 'spot', baseUrl: srv.url })
  try {
    await assert.rejects(client.fetchDepth('BTCUSDT', 5, { timeoutMs: 100 }), (err) => !!code(err, ErrorCode.VENUE_TIMEOUT))
    const ac = new AbortController()
    const p = client.fetchDepth('BTCUSDT', 5, { signal: ac.signal })
    const reason = new Error('stop')
    setImmediate(() => ac.abort(reason))
    await assert.rejects(p, (err) => err === reason)
  } finally {
    await srv.close()
    await client.close()
  }
})

test('WeightBudget: a request that does not fit waits for the next minute window (FIFO) or is refused past maxWaitMs', async () => {
  // A clock 150 ms before a minute boundary (real time passes, so the window really rolls).
  const real = Date.now()
  const offset = 60_000 - (real % 60_000) - 150
  const now = (): number => Date.now() + offset
  const budget = new WeightBudget({ limitPerMinute: 100, headroom: 1, now })
  await budget.reserve(60)
  assert.equal(budget.tryReserve(50), false)
  await assert.rejects(budget.reserve(50, null, 10), (err) => {
    const e = code(err, ErrorCode.VENUE_RATE_LIMITED)
    assert.ok((e.details?.retryAfterMs as number) > 0)
    return true
  })
  const order: number[] = []
  const t0 = now()
  const a = budget.reserve(50).then(() => order.push(1))
  const b = budget.reserve(40).then(() => order.push(2))
  assert.equal(budget.usage().waiting, 2)
  await Promise.all([a, b])
  assert.deepEqual(order, [1, 2])
  assert.ok(now() - t0 >= 100, 'waited for the window to roll')
  assert.equal(budget.usage().used, 90)
  // the venue says more was used (another process on the IP): that counts
  budget.observe({ 'X-MBX-USED-WEIGHT-1M': '99' })
  assert.equal(budget.tryReserve(2), false)
  await assert.rejects(budget.reserve(101), RangeError)
  budget.close()
})
