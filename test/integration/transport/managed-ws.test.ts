/**
 * ManagedWs against real ws servers on 127.0.0.1: reconnect with backoff and
 * resubscribe, rotation without loss, shutdown notice, stale / pong timeout
 * replacement.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { WebSocket } from 'ws'
import { ManagedWs, type OpenReason } from '../../../src/transport/managed-ws.js'
import type { WsConnection } from '../../../src/transport/ws-connection.js'
import type { WsStateChange } from '../../../src/transport/ws-state.js'
import { ErrorCode } from '../../../src/core/errors.js'
import { eventually } from '../../helpers/eventually.js'
import { startWsServer } from '../../unit/transport/servers.js'
import { TRANSPORTS } from '../../unit/transport/transports.js'

/**
 * A "venue": one global sequence broadcast every `periodMs` to every client
 * that has sent "sub" (like a market data stream after SUBSCRIBE).
 */
async function startVenue(periodMs = 2) {
  const subscribed = new Set<WebSocket>()
  let seq = 0
  const server = await startWsServer((ws) => {
    ws.on('message', (d) => {
      if (String(d) === 'sub') {
        subscribed.add(ws)
        ws.send('subscribed')
      }
    })
    ws.on('close', () => subscribed.delete(ws))
  })
  const timer = setInterval(() => {
    seq++
    for (const ws of subscribed) ws.send(String(seq))
  }, periodMs)
  return {
    server,
    subscribed,
    close: async () => {
      clearInterval(timer)
      await server.close()
    },
  }
}

/** Collects the sequence numbers, dropping what was already seen (the consumer's dedupe rule). */
function sequenceCollector() {
  const seqs: number[] = []
  let last = 0
  let duplicates = 0
  let gaps = 0
  return {
    seqs,
    get duplicates() {
      return duplicates
    },
    get gaps() {
      return gaps
    },
    onText(text: string) {
      if (text === 'subscribed') return
      const n = Number.parseInt(text, 10)
      if (n <= last) {
        duplicates++
        return
      }
      if (last !== 0 && n !== last + 1) gaps++
      last = n
      seqs.push(n)
    },
  }
}

const subscribe = async (conn: WsConnection): Promise<void> => {
  await conn.write('sub')
}

for (const transport of TRANSPORTS) {
  test(`[${transport}] server disconnect mid-stream: reconnect with backoff, onOpen called again, states observed`, async () => {
    const venue = await startVenue()
    const opens: OpenReason[] = []
    const states: WsStateChange[] = []
    const frames: string[] = []
    const m = new ManagedWs({ transport,
      url: venue.server.url,
      name: 'test',
      onFrame: (f) => frames.push(f.data!.toString()),
      onOpen: async (conn, reason) => {
        opens.push(reason)
        await subscribe(conn)
      },
      onState: (c) => states.push(c),
      backoff: { initialMs: 50, maxMs: 200, random: () => 0.5 },
    })
    try {
      await m.start()
      await eventually(() => frames.length > 20)
      venue.server.clients[0]!.terminate() // the server drops us mid-stream
      await eventually(() => opens.length === 2 && m.stateName === 'open')
      const n = frames.length
      await eventually(() => frames.length > n + 20)
      assert.deepEqual(opens, ['initial', 'reconnect'])
      assert.deepEqual(
        states.map((s) => s.stateName),
        ['connecting', 'open', 'reconnecting', 'open'],
      )
      const st = m.stats()
      assert.equal(st.reconnects, 1)
      assert.equal(st.transitions.reconnecting, 1)
      assert.equal(st.lastCloseCode, 1006)
      assert.ok(st.framesReceived >= frames.length - 1)
    } finally {
      await m.close()
      await venue.close()
    }
    assert.equal(m.stateName, 'closed')
  })

  test(`[${transport}] connection refused: start() keeps retrying with backoff; close() rejects it with WS_ABORTED`, async () => {
    const venue = await startVenue()
    const url = venue.server.url
    await venue.close()
    const m = new ManagedWs({ transport, url, onFrame: () => {}, backoff: { initialMs: 20, maxMs: 40 } })
    const started = m.start()
    await eventually(() => m.stats().connectFailures >= 2)
    await m.close()
    await assert.rejects(started, (err: unknown) => (err as { code?: string }).code === ErrorCode.WS_ABORTED)
  })

  test(`[${transport}] rotation (lifetime): make-before-break, no sequence lost, old connection closed with 1000`, async () => {
    const venue = await startVenue(1)
    const col = sequenceCollector()
    const opens: OpenReason[] = []
    const serverCloses: number[] = []
    venue.server.wss.on('connection', (ws) => ws.on('close', (code) => serverCloses.push(code)))
    const m = new ManagedWs({ transport,
      url: venue.server.url,
      onFrame: (f) => col.onText(f.data!.toString()),
      onOpen: async (conn, reason) => {
        opens.push(reason)
        await subscribe(conn)
      },
      lifetimeMs: 150,
      backoff: { initialMs: 20, maxMs: 50 },
    })
    try {
      await m.start()
      await eventually(() => m.stats().rotations >= 3, 10_000)
      const n = col.seqs.length
      await eventually(() => col.seqs.length > n + 20)
      assert.equal(col.gaps, 0, 'no sequence number may be lost across rotations')
      assert.ok(opens.filter((r) => r === 'rotation').length >= 3)
      assert.equal(m.stats().reconnects, 0)
      await eventually(() => serverCloses.filter((c) => c === 1000).length >= 3)
    } finally {
      await m.close()
      await venue.close()
    }
  })

  test("requestReconnect('serverShutdown') replaces the connection at once, without loss", async () => {
    const venue = await startVenue(1)
    const col = sequenceCollector()
    const m = new ManagedWs({ transport, url: venue.server.url, onFrame: (f) => col.onText(f.data!.toString()), onOpen: subscribe })
    try {
      await m.start()
      await eventually(() => col.seqs.length > 20)
      const firstId = m.connection!.id
      m.requestReconnect('serverShutdown')
      await eventually(() => m.stats().rotations === 1)
      assert.notEqual(m.connection!.id, firstId)
      const n = col.seqs.length
      await eventually(() => col.seqs.length > n + 20)
      assert.equal(col.gaps, 0)
      await eventually(() => venue.server.clients[0]!.readyState === 3)
    } finally {
      await m.close()
      await venue.close()
    }
  })

  test(`[${transport}] a stale connection and a pong timeout are each replaced`, async () => {
    // Connection 0 receives nothing (stale); later connections get data.
    let timer: NodeJS.Timeout | null = null
    const server = await startWsServer((ws, i) => {
      if (i > 0) timer = setInterval(() => ws.send('x'), 10)
    })
    const m = new ManagedWs({ transport, url: server.url, onFrame: () => {}, staleMs: 100, backoff: { initialMs: 10, maxMs: 20 } })
    try {
      await m.start()
      await eventually(() => m.stats().stale === 1 && m.stateName === 'open' && server.clients.length === 2)
      assert.equal(m.stats().reconnects, 1)
      assert.match(m.stats().lastError, /WS_STALE/)
    } finally {
      if (timer !== null) clearInterval(timer)
      await m.close()
      await server.close()
    }

    const silent = await startWsServer(undefined, { autoPong: false })
    const m2 = new ManagedWs({ transport, url: silent.url, onFrame: () => {}, pingIntervalMs: 30, pongTimeoutMs: 60, backoff: { initialMs: 10, maxMs: 20 } })
    try {
      await m2.start()
      await eventually(() => m2.stats().pongTimeouts >= 1 && m2.stats().reconnects >= 1)
      assert.match(m2.stats().lastError, /WS_PONG_TIMEOUT/)
    } finally {
      await m2.close()
      await silent.close()
    }
  })

  test(`[${transport}] send() goes through the active connection; WS_NOT_OPEN when none`, async () => {
    const got: string[] = []
    const server = await startWsServer((ws) => ws.on('message', (d) => got.push(String(d))))
    const m = new ManagedWs({ transport, url: server.url, onFrame: () => {}, rateLimit: { limit: 5 } })
    await assert.rejects(m.send('early'), (err: unknown) => (err as { code?: string }).code === ErrorCode.WS_NOT_OPEN)
    try {
      await m.start()
      await m.send('hello')
      await eventually(() => got.length === 1)
      assert.equal(got[0], 'hello')
    } finally {
      await m.close()
      await server.close()
    }
  })
}
