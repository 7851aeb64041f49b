/**
 * Connection rules (protocol §2.1) and robustness: pings and pong deadline,
 * the 5 messages/s limit, bounded send buffers, garbage, huge frames and
 * mid-frame disconnects never hurting the server or other clients.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { eventually } from '../../helpers/eventually.js'
import { Client, http } from './client.js'

let sim: Simulator
const clients: Client[] = []
async function open(path: string, opts = {}): Promise<Client> {
  const c = await Client.open(sim.urls.ws + path, opts)
  clients.push(c)
  return c
}

before(async () => {
  sim = await startSimulator({
    seed: 3,
    // pongs count against 5 msgs/s: pings every 250 ms are 4 pongs/s
    timing: { stepMs: 2, pingIntervalMs: 250, pongTimeoutMs: 800 },
    limits: { maxSendBufferBytes: 256 * 1024, maxPayloadBytes: 4096, slowConsumerTimeoutMs: 1000 },
  })
})
after(async () => {
  for (const c of clients) await c.close()
  await sim.close()
})

describe('heartbeats', () => {
  test('the server pings; a client answering with the payload stays, one that does not is dropped', async () => {
    const good = await open('/ws/btcusdt@trade')
    const mute = await open('/ws/btcusdt@trade', { autoPong: false })
    await eventually(() => mute.closed, 5000)
    assert.ok(mute.pings >= 1)
    await eventually(() => good.pings >= 5, 5000)
    assert.equal(good.closed, false)
    assert.ok((sim.stats().ws as { closedPongTimeout: number }).closedPongTimeout >= 1)
  })

  test('stopPings: the selected connection gets no more pings, the others still do', async () => {
    const quiet = await open('/ws')
    const loud = await open('/ws')
    await eventually(() => quiet.pings >= 1 && loud.pings >= 1)
    const id = Math.max(...sim.faults.select().map((c) => c.id)) - 1
    assert.equal(sim.faults.stopPings({ connId: id }), 1)
    const q = quiet.pings
    const l = loud.pings
    await eventually(() => loud.pings >= l + 3, 5000)
    assert.ok(quiet.pings <= q + 1, `${quiet.pings - q} pings after stopPings`)
  })

  test('an unsolicited pong with the wrong payload does not keep a connection alive', async () => {
    const c = await open('/ws', { autoPong: false })
    // 2 unsolicited empty pongs per second is within the message limit
    const t = setInterval(() => {
      if (!c.closed) c.ws.pong()
    }, 450)
    try {
      await eventually(() => c.closed, 5000)
    } finally {
      clearInterval(t)
    }
  })
})

describe('message rate limit', () => {
  test('more than 5 incoming messages in a second disconnects; pings count too', async () => {
    const a = await open('/ws')
    for (let i = 1; i <= 5; i++) a.send({ method: 'LIST_SUBSCRIPTIONS', id: i })
    await a.find((j) => j.id === 5)
    assert.equal(a.closed, false)
    a.send({ method: 'LIST_SUBSCRIPTIONS', id: 6 })
    await eventually(() => a.closed)
    const b = await open('/ws')
    for (let i = 0; i < 6; i++) b.ws.ping()
    await eventually(() => b.closed)
    assert.ok((sim.stats().ws as { closedRateLimit: number }).closedRateLimit >= 2)
  })
})

describe('shutdown', () => {
  test('close() ends every connection with 1001 and releases the port', async () => {
    const s = await startSimulator({ timing: { stepMs: 1_000_000_000 } })
    const a = await Client.open(`${s.urls.ws}/ws/btcusdt@trade`)
    const b = await Client.open(s.urls.wsApi)
    await s.close()
    await eventually(() => a.closed && b.closed)
    assert.deepEqual([a.closeCode, b.closeCode], [1001, 1001])
    await assert.rejects(http('GET', `${s.urls.rest}/api/v3/ping`))
    await s.close() // idempotent
  })
})

describe('robustness', () => {
  test('garbage, binary frames and oversize frames get errors or a close, never a crash', async () => {
    const c = await open('/ws')
    c.ws.send(Buffer.from([0xff, 0x00, 0x13]))
    await c.find((j) => (j.error as { code?: number } | undefined)?.code === 3)
    const big = await open('/ws')
    big.ws.send('x'.repeat(10_000))
    await eventually(() => big.closed)
    assert.equal(big.closeCode, 1009)
    const rest = await http('GET', `${sim.urls.rest}/api/v3/ping`)
    assert.equal(rest.status, 200)
  })

  test('raw TCP garbage, a half-sent frame and an abrupt close leave the server serving', async () => {
    const port = sim.port
    // not HTTP at all
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end('\x16\x03\x01garbage\r\n\r\n'))
      s.on('close', () => resolve())
      s.on('error', () => resolve())
      s.resume()
    })
    // a WebSocket upgrade, then half of a masked frame, then gone
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
      })
      s.once('data', () => {
        s.write(Buffer.from([0x81, 0xfe, 0x01, 0x00, 1, 2, 3, 4, 5, 6]))
        s.destroy()
        resolve()
      })
      s.on('error', () => resolve())
    })
    const c = await open('/ws')
    assert.deepEqual(await c.call({ method: 'LIST_SUBSCRIPTIONS', id: 1 }), { result: [], id: 1 })
  })

  test('a client that does not read is disconnected and does not slow the others', async () => {
    const reader = await open('/ws/btcusdt@trade')
    const slow = await open('/ws/btcusdt@trade')
    // stop reading at the TCP level: the kernel buffers fill, then the server's bounded buffer
    ;(slow.ws as unknown as { _socket: net.Socket })._socket.pause()
    const before = reader.msgs.length
    const res = sim.firehose({ stream: 'btcusdt@trade', count: 200_000 })
    const results = await res
    // cut off as a slow consumer, or earlier by the pong deadline (it reads no pings either)
    const ws = sim.stats().ws as { closedSlowConsumer: number; closedPongTimeout: number }
    assert.ok(ws.closedSlowConsumer + ws.closedPongTimeout >= 1, JSON.stringify(ws))
    const r = results.find((x) => x.connId !== undefined && !x.aborted)
    assert.ok(r !== undefined && r.sent === 200_000, 'the reading client got everything')
    await eventually(() => reader.msgs.length - before >= 200_000, 20000)
    assert.ok(results.some((x) => x.aborted), 'the slow client was cut off')
  })
})
