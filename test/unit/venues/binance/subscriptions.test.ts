import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { WebSocket } from 'ws'
import { SubscriptionManager, splitForConnections, streamName } from '../../../../src/venues/binance/subscriptions.js'
import { connectWs, type WsConnection } from '../../../../src/transport/ws-connection.js'
import { ManagedWs } from '../../../../src/transport/managed-ws.js'
import type { WsFrame } from '../../../../src/transport/ws-frame.js'
import { ErrorCode, TickflowError } from '../../../../src/core/errors.js'
import { eventually } from '../../../helpers/eventually.js'
import { startWsServer } from '../../transport/servers.js'

interface Request {
  method: string
  params?: unknown[]
  id: unknown
  t: number
  conn: number
}

/** A ws server that answers SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS like Binance (§2.2, §2.3). */
async function startBinanceLike(opts: { silent?: boolean } = {}) {
  const requests: Request[] = []
  const subs = new Map<WebSocket, Set<string>>()
  const server = await startWsServer((ws, index) => {
    subs.set(ws, new Set())
    ws.on('message', (d) => {
      const req = JSON.parse(String(d)) as { method: string; params?: unknown[]; id: unknown }
      requests.push({ ...req, t: performance.now(), conn: index })
      if (opts.silent === true) return
      const mine = subs.get(ws)!
      if (typeof req.id !== 'number' || !Number.isInteger(req.id) || req.id < 0) {
        ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }, id: req.id }))
        return
      }
      if (req.method === 'SUBSCRIBE' || req.method === 'UNSUBSCRIBE') {
        const params = req.params as string[]
        if (params.some((p) => p.includes('invalid'))) {
          ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: invalid stream' }, id: req.id }))
          return
        }
        for (const p of params) {
          if (req.method === 'SUBSCRIBE') mine.add(p)
          else mine.delete(p)
        }
        ws.send(JSON.stringify({ result: null, id: req.id }))
      } else if (req.method === 'LIST_SUBSCRIPTIONS') {
        ws.send(JSON.stringify({ result: [...mine], id: req.id }))
      }
    })
  })
  return { server, requests, subs }
}

/** What the adapter's codec does with a reply frame, done here with JSON.parse. */
function routeReply(subsMgr: SubscriptionManager) {
  return (f: WsFrame): void => {
    const j = JSON.parse(f.data!.toString()) as { id: number; result?: string[] | null; error?: { code: number; msg: string } }
    if (j.error !== undefined) subsMgr.handleReply(j.id, false, j.error.code, j.error.msg)
    else subsMgr.handleReply(j.id, true, 0, '', j.result ?? null)
  }
}

async function setup(opts: { silent?: boolean; replyTimeoutMs?: number; maxStreams?: number } = {}) {
  const venue = await startBinanceLike(opts)
  let conn: WsConnection | null = null
  const mgrOpts: ConstructorParameters<typeof SubscriptionManager>[0] = {
    send: (t) => conn!.write(t),
    replyTimeoutMs: opts.replyTimeoutMs ?? 2000,
  }
  if (opts.maxStreams !== undefined) mgrOpts.maxStreams = opts.maxStreams
  const mgr = new SubscriptionManager(mgrOpts)
  conn = await connectWs(venue.server.url, { onFrame: routeReply(mgr), rateLimit: { limit: 5 } })
  return {
    venue,
    mgr,
    conn,
    close: async () => {
      await conn!.close()
      await venue.server.close()
    },
  }
}

test('stream names (Spot and USD-M)', () => {
  assert.equal(streamName('spot', { kind: 'trade', symbol: 'BTCUSDT' }), 'btcusdt@trade')
  assert.equal(streamName('spot', { kind: 'aggTrade', symbol: 'BTCUSDT' }), 'btcusdt@aggTrade')
  assert.equal(streamName('spot', { kind: 'bookTicker', symbol: 'BNBUSDT' }), 'bnbusdt@bookTicker')
  assert.equal(streamName('spot', { kind: 'depth', symbol: 'BTCUSDT', speedMs: 100 }), 'btcusdt@depth@100ms')
  assert.equal(streamName('spot', { kind: 'depth', symbol: 'BTCUSDT', speedMs: 1000 }), 'btcusdt@depth')
  assert.equal(streamName('usdm', { kind: 'depth', symbol: 'BTCUSDT', speedMs: 0 }), 'btcusdt@depth@0ms')
  assert.equal(streamName('usdm', { kind: 'depth', symbol: 'BTCUSDT', speedMs: 250 }), 'btcusdt@depth')
  assert.equal(streamName('usdm', { kind: 'depth', symbol: 'BTCUSDT', speedMs: 500 }), 'btcusdt@depth@500ms')
  assert.equal(streamName('spot', { kind: 'partialDepth', symbol: 'BTCUSDT', levels: 20, speedMs: 100 }), 'btcusdt@depth20@100ms')
  assert.equal(streamName('spot', { kind: 'partialDepth', symbol: 'BTCUSDT', levels: 5, speedMs: 1000 }), 'btcusdt@depth5')
  assert.equal(streamName('usdm', { kind: 'partialDepth', symbol: 'BTCUSDT', levels: 10, speedMs: 500 }), 'btcusdt@depth10@500ms')
  assert.equal(streamName('spot', { kind: 'kline', symbol: 'BTCUSDT', interval: '1m' }), 'btcusdt@kline_1m')
  assert.equal(streamName('spot', { kind: 'kline', symbol: 'BTCUSDT', interval: '1M' }), 'btcusdt@kline_1M')
  assert.throws(() => streamName('spot', { kind: 'depth', symbol: 'BTCUSDT', speedMs: 0 }), RangeError)
  assert.throws(() => streamName('usdm', { kind: 'depth', symbol: 'BTCUSDT', speedMs: 1000 }), RangeError)
  assert.throws(() => streamName('spot', { kind: 'kline', symbol: 'BTCUSDT', interval: '2m' }), RangeError)
  assert.throws(() => streamName('spot', { kind: 'trade', symbol: 'BTC/USDT' }), RangeError)
  assert.deepEqual(splitForConnections(['a', 'b', 'c', 'd', 'e'], 2), [['a', 'b'], ['c', 'd'], ['e']])
})

test('SUBSCRIBE / LIST_SUBSCRIPTIONS / UNSUBSCRIBE with integer ids and reply tracking', async () => {
  const s = await setup()
  try {
    await s.mgr.subscribe(['btcusdt@trade', 'btcusdt@depth@100ms'])
    assert.deepEqual(s.venue.requests[0], { method: 'SUBSCRIBE', params: ['btcusdt@trade', 'btcusdt@depth@100ms'], id: 1, t: s.venue.requests[0]!.t, conn: 0 })
    assert.deepEqual(s.mgr.activeStreams().sort(), ['btcusdt@depth@100ms', 'btcusdt@trade'])
    // already active: nothing is sent again
    await s.mgr.subscribe(['btcusdt@trade'])
    assert.equal(s.venue.requests.length, 1)
    assert.deepEqual((await s.mgr.listSubscriptions()).sort(), ['btcusdt@depth@100ms', 'btcusdt@trade'])
    assert.equal(s.venue.requests[1]!.method, 'LIST_SUBSCRIPTIONS')
    assert.equal(s.venue.requests[1]!.params, undefined)
    await s.mgr.unsubscribe(['btcusdt@trade'])
    assert.deepEqual(s.venue.requests[2]!.params, ['btcusdt@trade'])
    assert.deepEqual(s.mgr.activeStreams(), ['btcusdt@depth@100ms'])
    const ids = s.venue.requests.map((r) => r.id)
    assert.deepEqual(ids, [1, 2, 3])
    assert.equal(s.mgr.handleReply(999, true, 0, ''), false)
    const st = s.mgr.stats()
    assert.equal(st.repliesOk, 3)
    assert.equal(st.unknownReplies, 1)
    assert.equal(st.pendingRequests, 0)
  } finally {
    await s.close()
  }
})

test('an error reply rejects VENUE_SUBSCRIBE_FAILED naming the stream; the stream is not active', async () => {
  const s = await setup()
  try {
    await assert.rejects(s.mgr.subscribe(['btcusdt@invalid']), (err) => {
      assert.ok(err instanceof TickflowError)
      assert.equal(err.code, ErrorCode.VENUE_SUBSCRIBE_FAILED)
      assert.match(err.message, /btcusdt@invalid/)
      assert.deepEqual(err.details?.streams, ['btcusdt@invalid'])
      assert.equal(err.details?.venueCode, 2)
      assert.equal(err.details?.venueMsg, 'Invalid request: invalid stream')
      assert.equal(err.details?.reason, 'refused')
      return true
    })
    assert.deepEqual(s.mgr.activeStreams(), [])
    // a name we can tell is wrong is refused before anything is sent
    const before = s.venue.requests.length
    await assert.rejects(s.mgr.subscribe(['BTCUSDT@trade']), (err) => (err as TickflowError).details?.reason === 'invalid')
    assert.equal(s.venue.requests.length, before)
  } finally {
    await s.close()
  }
})

test('no reply within replyTimeoutMs → VENUE_SUBSCRIBE_FAILED (timeout)', async () => {
  const s = await setup({ silent: true, replyTimeoutMs: 100 })
  try {
    await assert.rejects(s.mgr.subscribe(['ethusdt@trade']), (err) => {
      assert.equal((err as TickflowError).code, ErrorCode.VENUE_SUBSCRIBE_FAILED)
      assert.equal((err as TickflowError).details?.reason, 'timeout')
      return true
    })
    assert.equal(s.mgr.stats().timeouts, 1)
    assert.deepEqual(s.mgr.wantedStreams(), [])
  } finally {
    await s.close()
  }
})

test('more than maxStreams on one connection is refused (limit)', async () => {
  const s = await setup({ maxStreams: 1024 })
  try {
    const many: string[] = []
    for (let i = 0; i < 1024; i++) many.push(`sym${i}@trade`)
    await s.mgr.subscribe(many) // 6 requests of ≤ 200 streams, through the 5/s limiter
    assert.equal(s.mgr.activeStreams().length, 1024)
    assert.equal(s.venue.requests.length, 6)
    await assert.rejects(s.mgr.subscribe(['one@trade']), (err) => (err as TickflowError).details?.reason === 'limit')
  } finally {
    await s.close()
  }
})

test('reconnect: resubscribeAll re-sends every stream on the new connection through its limiter', async () => {
  const venue = await startBinanceLike()
  const mgr = new SubscriptionManager({ send: () => {}, maxStreamsPerRequest: 2, replyTimeoutMs: 3000 })
  const m = new ManagedWs({
    url: venue.server.url,
    onFrame: routeReply(mgr),
    rateLimit: { limit: 5, intervalMs: 1000 },
    onOpen: (conn) => mgr.resubscribeAll((t) => conn.write(t)),
    backoff: { initialMs: 10, maxMs: 20 },
  })
  try {
    await m.start()
    const streams: string[] = []
    for (let i = 0; i < 12; i++) streams.push(`s${i}usdt@aggTrade`)
    await mgr.subscribe(streams)
    assert.equal(venue.requests.length, 6)
    venue.server.clients[0]!.terminate()
    await eventually(() => venue.requests.filter((r) => r.conn === 1).length === 6 && mgr.activeStreams().length === 12, 10_000)
    const again = venue.requests.filter((r) => r.conn === 1)
    assert.deepEqual(again.flatMap((r) => r.params as string[]).sort(), [...streams].sort())
    assert.ok(again[5]!.t - again[0]!.t >= 950, 'the 6th request waited for the limiter')
    assert.deepEqual([...venue.subs.get(venue.server.clients[1]!)!].sort(), [...streams].sort())
    assert.equal(mgr.stats().resubscribes, 1)
  } finally {
    await m.close()
    await venue.server.close()
  }
})
