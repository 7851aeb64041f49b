import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connectWs, type WsConnection, type WsCloseInfo } from '../../../src/transport/ws-connection.js'
import { WsFrame } from '../../../src/transport/ws-frame.js'
import { BoundedPool } from '../../../src/core/pool.js'
import { epochUs } from '../../../src/core/clock.js'
import { ErrorCode, TickflowError } from '../../../src/core/errors.js'
import { TRANSPORTS } from './transports.js'
import { eventually } from '../../helpers/eventually.js'
import { startRawServer, startRefusingServer, startWsServer, rawUpgrade } from './servers.js'

function assertCode(err: unknown, code: string): TickflowError {
  assert.ok(err instanceof TickflowError, `expected TickflowError, got ${String(err)}`)
  assert.equal(err.code, code)
  return err
}

for (const transport of TRANSPORTS) {
  test(`[${transport}] frames arrive in order as Buffer views in the connection's pooled WsFrame, returned when it closes`, async () => {
    const N = 2000
    const server = await startWsServer((ws) => {
      for (let i = 0; i < N; i++) ws.send(`{"n":${i}}`)
    })
    const pool = new BoundedPool<WsFrame>({ name: 'WsFrame', capacity: 4, create: () => new WsFrame() })
    const got: string[] = []
    let seqOk = true
    let lastSeq = 0
    let leasedDuring = -1
    const connIds = new Set<number>()
    let recvTsOk = true
    let lastFrame: WsFrame | null = null
    const conn = await connectWs(server.url, { transport,
      frames: pool,
      onFrame: (f) => {
        lastFrame = f
        assert.ok(Buffer.isBuffer(f.data))
        assert.equal(f.isBinary, false)
        if (f.frameSeq !== lastSeq + 1) seqOk = false
        lastSeq = f.frameSeq
        leasedDuring = pool.leased
        connIds.add(f.connId)
        if (Math.abs(f.recvTsUs - epochUs()) > 5_000_000) recvTsOk = false
        got.push(f.data!.toString())
      },
    })
    try {
      await eventually(() => got.length === N)
      for (let i = 0; i < N; i++) assert.equal(got[i], `{"n":${i}}`)
      assert.ok(seqOk)
      assert.ok(recvTsOk, 'recvTsUs is the receive time (epoch µs)')
      assert.equal(leasedDuring, 1)
      assert.equal(lastFrame!.buf, null, "the frame drops the socket's bytes after the callback")
      // the open connection keeps its one frame (no pool round trip per message); close returns it
      assert.equal(pool.leased, 1)
      assert.deepEqual([...connIds], [conn.id])
      const s = conn.stats()
      assert.equal(s.framesReceived, N)
      assert.equal(s.framePoolExhausted, 0)
      assert.equal(s.state, 'open')
      assert.equal(s.transitions.open, 1)
      await conn.close()
      assert.equal(pool.leased, 0, 'the frame went back to the pool when the connection closed')
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] an exhausted WsFrame pool still delivers every frame and counts it`, async () => {
    const server = await startWsServer((ws) => {
      for (let i = 0; i < 10; i++) ws.send(`m${i}`)
    })
    const pool = new BoundedPool<WsFrame>({ name: 'WsFrame', capacity: 1, create: () => new WsFrame() })
    const held = pool.tryAcquire()!
    const got: string[] = []
    const conn = await connectWs(server.url, { transport, frames: pool, onFrame: (f) => got.push(f.data!.toString()) })
    try {
      await eventually(() => got.length === 10)
      assert.equal(got[9], 'm9')
      assert.equal(conn.stats().framePoolExhausted, 10)
    } finally {
      pool.release(held)
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] a throwing onFrame is counted and reading continues`, async () => {
    const server = await startWsServer((ws) => {
      for (let i = 0; i < 5; i++) ws.send(`m${i}`)
    })
    const got: string[] = []
    const errors: unknown[] = []
    const conn = await connectWs(server.url, { transport,
      onFrame: (f) => {
        const s = f.data!.toString()
        if (s === 'm2') throw new Error('boom')
        got.push(s)
      },
      onCallbackError: (e) => errors.push(e),
    })
    try {
      await eventually(() => got.length === 4)
      assert.deepEqual(got, ['m0', 'm1', 'm3', 'm4'])
      assert.equal(errors.length, 1)
      assert.equal(conn.stats().callbackErrors, 1)
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] connect: aborting the handshake rejects WS_ABORTED and closes the socket`, async () => {
    const server = await startRawServer() // accepts TCP, never answers the upgrade
    const ac = new AbortController()
    const p = connectWs(server.url, { transport, signal: ac.signal, handshakeTimeoutMs: 10_000 })
    await eventually(() => server.sockets.length === 1)
    ac.abort(new Error('user abort'))
    await assert.rejects(p, (err) => {
      const e = assertCode(err, ErrorCode.WS_ABORTED)
      assert.equal((e.cause as Error).message, 'user abort')
      return true
    })
    await eventually(() => server.closedSockets === 1)
    await assert.rejects(connectWs(server.url, { transport, signal: AbortSignal.abort() }), (err) => !!assertCode(err, ErrorCode.WS_ABORTED))
    await server.close()
  })

  test(`[${transport}] connect: a server that never answers the upgrade gives WS_HANDSHAKE_TIMEOUT`, async () => {
    const server = await startRawServer()
    const t0 = performance.now()
    await assert.rejects(connectWs(server.url, { transport, handshakeTimeoutMs: 150 }), (err) => !!assertCode(err, ErrorCode.WS_HANDSHAKE_TIMEOUT))
    assert.ok(performance.now() - t0 >= 140)
    await server.close()
  })

  test(`[${transport}] connect: a refused upgrade gives WS_CONNECT_FAILED with the HTTP status; a closed port too`, async () => {
    const server = await startRefusingServer(403)
    await assert.rejects(connectWs(server.url, { transport }), (err) => {
      const e = assertCode(err, ErrorCode.WS_CONNECT_FAILED)
      assert.equal(e.details?.status, 403)
      return true
    })
    await server.close()
    const closed = await startRawServer()
    const url = closed.url
    await closed.close()
    await assert.rejects(connectWs(url, { transport }), (err) => !!assertCode(err, ErrorCode.WS_CONNECT_FAILED))
  })

  test(`[${transport}] read(): bounded queue pauses the socket (server bufferedAmount grows), resume drains in order`, async () => {
    const N = 6000
    const payload = 'x'.repeat(2000)
    const server = await startWsServer((ws) => {
      for (let i = 0; i < N; i++) ws.send(`${i}:${payload}`)
    })
    const conn = await connectWs(server.url, { transport, queueCapacity: 16 })
    try {
      await eventually(() => conn.stats().paused)
      // While paused the server cannot get rid of its data: its send buffer grows.
      await eventually(() => server.clients[0]!.bufferedAmount > 1_000_000, 10_000)
      const depth = conn.stats().queueDepth
      assert.ok(depth >= 16 && depth < 16 + 65536, `queue depth ${depth}`)
      const before = conn.stats().framesReceived
      assert.ok(before < N, 'the client must not have read everything while paused')
      let i = 0
      for await (const m of conn) {
        assert.equal(m.data.toString(), `${i}:${payload}`)
        assert.equal(m.frameSeq, i + 1)
        if (++i === N) break
      }
      assert.equal(i, N)
      assert.ok(conn.stats().pauses >= 1)
      assert.ok(conn.stats().queueHighWater < 16 + 65536)
      await eventually(() => server.clients[0]!.bufferedAmount === 0)
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] read(signal): abort rejects WS_ABORTED and leaves later messages for the next read`, async () => {
    let serverWs: import('ws').WebSocket | null = null
    const server = await startWsServer((ws) => (serverWs = ws))
    const conn = await connectWs(server.url, { transport })
    try {
      const ac = new AbortController()
      const p = conn.read(ac.signal)
      ac.abort()
      await assert.rejects(p, (err) => !!assertCode(err, ErrorCode.WS_ABORTED))
      serverWs!.send('after')
      const m = await conn.read()
      assert.equal(m.data.toString(), 'after')
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] write resolves once flushed, in order; an aborted write is never sent`, async () => {
    const received: string[] = []
    const server = await startWsServer((ws) => ws.on('message', (d) => received.push(String(d))))
    const conn = await connectWs(server.url, { transport, rateLimit: { limit: 2, intervalMs: 300 } })
    try {
      await conn.write('a')
      await conn.write(Buffer.from('b'))
      // the limiter is now exhausted for 300 ms: this one waits in the queue
      const ac = new AbortController()
      const queued = conn.write('never', ac.signal)
      assert.equal(conn.stats().outQueueDepth, 1)
      ac.abort()
      await assert.rejects(queued, (err) => !!assertCode(err, ErrorCode.WS_ABORTED))
      await assert.rejects(conn.write('x', AbortSignal.abort()), (err) => !!assertCode(err, ErrorCode.WS_ABORTED))
      await conn.write('c')
      await eventually(() => received.length === 3)
      assert.deepEqual(received, ['a', 'b', 'c'])
      assert.equal(conn.stats().messagesSent, 3)
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] write waits while bufferedAmount is above the high-water mark`, async () => {
    let count = 0
    let serverWs: import('ws').WebSocket | null = null
    const server = await startWsServer((ws) => {
      serverWs = ws
      ws.pause() // the server does not read: the kernel buffers fill, then ours
      ws.on('message', () => count++)
    })
    const conn = await connectWs(server.url, { transport, writeHighWaterBytes: 256 * 1024 })
    try {
      const big = Buffer.alloc(256 * 1024, 97)
      const writes: Promise<void>[] = []
      for (let i = 0; i < 200; i++) writes.push(conn.write(big))
      // Writes wait in our queue instead of piling into the socket's buffer.
      await eventually(() => conn.stats().outQueueDepth > 0 && conn.bufferedAmount >= 256 * 1024)
      assert.ok(conn.bufferedAmount <= 256 * 1024 + big.length, `bufferedAmount ${conn.bufferedAmount}`)
      serverWs!.resume()
      await Promise.all(writes)
      await eventually(() => count === 200)
      assert.equal(conn.stats().outQueueDepth, 0)
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] close handshake both ways carries code and reason; pending reads reject with the code`, async () => {
    const serverClose: Array<{ code: number; reason: string }> = []
    const server = await startWsServer((ws) => ws.on('close', (code, reason) => serverClose.push({ code, reason: reason.toString() })))
    const a = await connectWs(server.url, { transport })
    const infoA = await a.close(4000, 'bye')
    assert.equal(infoA.code, 4000)
    assert.equal(infoA.wasClean, true)
    await eventually(() => serverClose.length === 1)
    assert.deepEqual(serverClose[0], { code: 4000, reason: 'bye' })

    const b = await connectWs(server.url, { transport })
    const pending = b.read()
    server.clients[1]!.close(4001, 'server says bye')
    await assert.rejects(pending, (err) => {
      const e = assertCode(err, ErrorCode.WS_CLOSED)
      assert.equal(e.details?.code, 4001)
      assert.equal(e.details?.reason, 'server says bye')
      return true
    })
    const infoB = await b.closed()
    assert.equal(infoB.code, 4001)
    assert.equal(infoB.reason, 'server says bye')
    assert.equal(infoB.wasClean, true)
    await assert.rejects(b.write('x'), (err) => !!assertCode(err, ErrorCode.WS_CLOSED))
    await server.close()
  })

  test(`[${transport}] close(): a peer that never answers the close frame is terminated after closeTimeoutMs`, async () => {
    const server = await startRawServer(rawUpgrade(() => {})) // upgrades, then ignores everything
    const conn = await connectWs(server.url, { transport, closeTimeoutMs: 200 })
    const t0 = performance.now()
    const info = await conn.close(1000, 'bye')
    const took = performance.now() - t0
    assert.equal(info.code, 1006)
    assert.equal(info.wasClean, false)
    assert.ok(took >= 190 && took < 3000, `took ${took}`)
    assert.equal(conn.stats().state, 'closed')
    await server.close()
  })

  test(`[${transport}] server ping is answered with a pong carrying the same payload (counted)`, async () => {
    const pongs: string[] = []
    const server = await startWsServer((ws) => {
      ws.on('pong', (d) => pongs.push(d.toString()))
      ws.ping('abc-123')
      ws.ping('second')
    })
    const conn = await connectWs(server.url, { transport, onFrame: () => {} })
    try {
      await eventually(() => pongs.length === 2)
      assert.deepEqual(pongs, ['abc-123', 'second'])
      const s = conn.stats()
      assert.equal(s.pingsReceived, 2)
      assert.equal(s.pongsSent, 2)
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] our ping without a pong ends the connection with WS_PONG_TIMEOUT`, async () => {
    const server = await startWsServer(undefined, { autoPong: false })
    const closed: WsCloseInfo[] = []
    const conn = await connectWs(server.url, { transport, onFrame: () => {}, pingIntervalMs: 40, pongTimeoutMs: 120, onClose: (i) => closed.push(i) })
    const info = await conn.closed()
    assert.equal(info.error?.code, ErrorCode.WS_PONG_TIMEOUT)
    assert.equal(conn.stats().pongTimeouts, 1)
    assert.ok(conn.stats().pingsSent >= 1)
    assert.equal(closed.length, 1)
    await server.close()
  })

  test(`[${transport}] pings answered by the server keep the connection alive`, async () => {
    const server = await startWsServer()
    const conn = await connectWs(server.url, { transport, onFrame: () => {}, pingIntervalMs: 20, pongTimeoutMs: 200 })
    try {
      await eventually(() => conn.stats().pongsReceived >= 5)
      assert.equal(conn.isOpen, true)
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] no data frame for staleMs ends the connection with WS_STALE; steady data does not`, async () => {
    let timer: NodeJS.Timeout | null = null
    const server = await startWsServer((ws, i) => {
      if (i === 1) timer = setInterval(() => ws.send('tick'), 20)
    })
    const stale = await connectWs(server.url, { transport, onFrame: () => {}, staleMs: 150 })
    const info = await stale.closed()
    assert.equal(info.error?.code, ErrorCode.WS_STALE)
    assert.equal(stale.stats().stale, 1)

    const live = await connectWs(server.url, { transport, onFrame: () => {}, staleMs: 150 })
    try {
      await eventually(() => live.stats().framesReceived >= 20)
      assert.equal(live.isOpen, true)
    } finally {
      if (timer !== null) clearInterval(timer)
      await live.close()
      await server.close()
    }
  })

  test(`[${transport}] limiter: at most 5 messages in any 1 s window, pongs included, pongs first`, async () => {
    const arrivals: Array<{ t: number; kind: string }> = []
    let serverWs: import('ws').WebSocket | null = null
    const server = await startWsServer((ws) => {
      serverWs = ws
      ws.on('message', (d) => arrivals.push({ t: performance.now(), kind: `msg:${String(d)}` }))
      ws.on('pong', (d) => arrivals.push({ t: performance.now(), kind: `pong:${String(d)}` }))
    })
    const conn = await connectWs(server.url, { transport, rateLimit: { limit: 5, intervalMs: 1000 } })
    try {
      const writes: Promise<void>[] = []
      for (let i = 0; i < 8; i++) writes.push(conn.write(String(i)))
      await eventually(() => arrivals.length === 5)
      serverWs!.ping('p1') // queued behind the limiter, ahead of data 5..7
      await Promise.all(writes)
      await eventually(() => arrivals.length === 9)
      assert.deepEqual(
        arrivals.map((a) => a.kind),
        ['msg:0', 'msg:1', 'msg:2', 'msg:3', 'msg:4', 'pong:p1', 'msg:5', 'msg:6', 'msg:7'],
      )
      for (let i = 5; i < arrivals.length; i++) {
        // the 6th message in a row must come (almost) a full second after the 1st
        assert.ok(arrivals[i]!.t - arrivals[i - 5]!.t >= 950, `messages ${i - 5}..${i} within ${arrivals[i]!.t - arrivals[i - 5]!.t} ms`)
      }
      assert.ok(conn.stats().limiterWaits >= 1)
    } finally {
      await conn.close()
      await server.close()
    }
  })

  test(`[${transport}] a frame over maxPayload ends the connection; the error says 1009 was sent`, async () => {
    const server = await startWsServer((ws) => ws.send('y'.repeat(2000)))
    const conn: WsConnection = await connectWs(server.url, { transport, maxPayload: 1000, onFrame: () => {} })
    const info = await conn.closed()
    assert.equal(info.error?.code, ErrorCode.WS_CLOSED)
    assert.equal(info.error?.details?.sentCode, 1009)
    assert.equal(info.error?.details?.wsCode, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
    assert.equal(conn.stats().framesReceived, 0)
    await server.close()
  })

  test(`[${transport}] state changes are reported and counted`, async () => {
    const server = await startWsServer()
    const seen: string[] = []
    const conn = await connectWs(server.url, { transport, onState: (c) => seen.push(c.stateName) })
    await conn.close()
    assert.deepEqual(seen, ['connecting', 'open', 'closing', 'closed'])
    const t = conn.stats().transitions
    assert.deepEqual([t.connecting, t.open, t.closing, t.closed], [1, 1, 1, 1])
    await server.close()
  })
}
