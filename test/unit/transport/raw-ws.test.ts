/**
 * The WebSocket protocol at the byte level, against a hand-written RFC 6455
 * server (raw net / tls sockets, our own frames), for both transports where
 * the behaviour is the protocol's (ws and raw must agree): fragmentation with
 * interleaved control frames, protocol errors closing with 1002 / 1007 /
 * 1009, the close handshake with codes and reasons, the upgrade checks, TLS
 * with SNI, frames that arrive with the 101 response, and hot-path pause().
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import { connectWs, type WsConnection } from '../../../src/transport/ws-connection.js'
import { ErrorCode, TickflowError } from '../../../src/core/errors.js'
import { eventually } from '../../helpers/eventually.js'
import { REPO_ROOT } from '../../helpers/paths.js'
import { rawUpgrade, serverFrame, startRawServer } from './servers.js'
import { TRANSPORTS } from './transports.js'

const TLS_DIR = path.join(REPO_ROOT, 'test', 'unit', 'transport', 'tls')

/** A server frame with explicit FIN / RSV / mask bits (serverFrame() makes only FIN frames). */
function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; rsv?: number; mask?: boolean; len?: number } = {}): Buffer {
  const fin = opts.fin ?? true
  const n = opts.len ?? payload.length
  const b0 = (fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode
  const maskBit = opts.mask === true ? 0x80 : 0
  let header: Buffer
  if (n < 126) header = Buffer.from([b0, maskBit | n])
  else {
    header = Buffer.alloc(4)
    header[0] = b0
    header[1] = maskBit | 126
    header.writeUInt16BE(n, 2)
  }
  if (opts.mask === true) {
    const key = Buffer.from([1, 2, 3, 4])
    const masked = Buffer.from(payload)
    for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i & 3]!
    return Buffer.concat([header, key, masked])
  }
  return Buffer.concat([header, payload])
}

function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason))
  b.writeUInt16BE(code, 0)
  b.write(reason, 2)
  return b
}

interface ClientFrame {
  opcode: number
  payload: Buffer
}

/** Reads the client's (masked) frames on a server socket; every client frame must be masked. */
function readClientFrames(socket: net.Socket, out: ClientFrame[]): void {
  let buf = Buffer.alloc(0)
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d])
    for (;;) {
      if (buf.length < 2) return
      assert.equal(buf[1]! & 0x80, 0x80, 'client frames must be masked')
      let n = buf[1]! & 0x7f
      let off = 2
      if (n === 126) {
        if (buf.length < 4) return
        n = buf.readUInt16BE(2)
        off = 4
      } else if (n === 127) {
        if (buf.length < 10) return
        n = Number(buf.readBigUInt64BE(2))
        off = 10
      }
      if (buf.length < off + 4 + n) return
      const key = buf.subarray(off, off + 4)
      const payload = Buffer.alloc(n)
      for (let i = 0; i < n; i++) payload[i] = buf[off + 4 + i]! ^ key[i & 3]!
      out.push({ opcode: buf[0]! & 0x0f, payload })
      buf = buf.subarray(off + 4 + n)
    }
  })
}

/** A raw server whose connections are handed to the test (with the client's frames collected). */
async function startHandServer() {
  const sockets: net.Socket[] = []
  const received: ClientFrame[][] = []
  const server = await startRawServer(
    rawUpgrade((s) => {
      const frames: ClientFrame[] = []
      readClientFrames(s, frames)
      sockets.push(s)
      received.push(frames)
    }),
  )
  return { server, sockets, received }
}

function closeCodeOf(frames: ClientFrame[]): number {
  const c = frames.find((f) => f.opcode === 8)
  return c === undefined ? 0 : c.payload.length >= 2 ? c.payload.readUInt16BE(0) : 1005
}

for (const transport of TRANSPORTS) {
  test(`[${transport}] a fragmented message with a ping between its fragments is delivered whole; the ping is answered in between`, async () => {
    const hs = await startHandServer()
    const got: Array<{ text: string; binary: boolean }> = []
    const conn = await connectWs(hs.server.url, { transport, onFrame: (f) => got.push({ text: f.data!.toString(), binary: f.isBinary }) })
    try {
      await eventually(() => hs.sockets.length === 1)
      const s = hs.sockets[0]!
      s.write(frame(1, Buffer.from('hel'), { fin: false }))
      s.write(frame(9, Buffer.from('ping-1')))
      s.write(frame(0, Buffer.from('lo '), { fin: false }))
      s.write(frame(10, Buffer.from('unsolicited pong')))
      s.write(frame(0, Buffer.from('world')))
      s.write(frame(2, Buffer.from([1, 2]), { fin: false }))
      s.write(frame(0, Buffer.from([3])))
      await eventually(() => got.length === 2)
      assert.deepEqual(got[0], { text: 'hello world', binary: false })
      assert.equal(got[1]!.binary, true)
      assert.equal(got[1]!.text, Buffer.from([1, 2, 3]).toString())
      await eventually(() => hs.received[0]!.some((f) => f.opcode === 10))
      const pong = hs.received[0]!.find((f) => f.opcode === 10)!
      assert.equal(pong.payload.toString(), 'ping-1')
      assert.equal(conn.stats().pongsReceived, 1)
    } finally {
      conn.terminate()
      await hs.server.close()
    }
  })

  const violations: Array<[string, () => Buffer[], number, string]> = [
    ['a reserved bit set', () => [frame(1, Buffer.from('x'), { rsv: 4 })], 1002, 'WS_ERR_UNEXPECTED_RSV_1'],
    ['an unknown opcode (3)', () => [frame(3, Buffer.from('x'))], 1002, 'WS_ERR_INVALID_OPCODE'],
    ['an unknown control opcode (0xB)', () => [frame(11, Buffer.alloc(0))], 1002, 'WS_ERR_INVALID_OPCODE'],
    ['a masked server frame', () => [frame(1, Buffer.from('x'), { mask: true })], 1002, 'WS_ERR_UNEXPECTED_MASK'],
    ['a control frame over 125 bytes', () => [frame(9, Buffer.alloc(126))], 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
    ['a fragmented ping', () => [frame(9, Buffer.from('p'), { fin: false })], 1002, 'WS_ERR_EXPECTED_FIN'],
    ['a continuation without a message', () => [frame(0, Buffer.from('x'))], 1002, 'WS_ERR_INVALID_OPCODE'],
    ['a new message inside a fragmented one', () => [frame(1, Buffer.from('a'), { fin: false }), frame(1, Buffer.from('b'))], 1002, 'WS_ERR_INVALID_OPCODE'],
    ['a close frame with code 1005', () => [frame(8, closePayload(1005))], 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
    ['a close frame with code 999', () => [frame(8, closePayload(999))], 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
    ['a close frame of 1 byte', () => [frame(8, Buffer.from([3]))], 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
    ['invalid UTF-8 in a text message', () => [frame(1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))], 1007, 'WS_ERR_INVALID_UTF8'],
    ['invalid UTF-8 across fragments', () => [frame(1, Buffer.from([0x61, 0xe2]), { fin: false }), frame(0, Buffer.from([0x28, 0xa1]))], 1007, 'WS_ERR_INVALID_UTF8'],
    ['fragments adding up to more than maxPayload', () => [frame(1, Buffer.alloc(60, 97), { fin: false }), frame(0, Buffer.alloc(60, 97))], 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
  ]
  for (const [what, frames, code, wsCode] of violations) {
    test(`[${transport}] protocol violation: ${what} closes with ${code}`, async () => {
      const hs = await startHandServer()
      const got: string[] = []
      const conn = await connectWs(hs.server.url, { transport, maxPayload: 100, onFrame: (f) => got.push(f.data!.toString()) })
      try {
        await eventually(() => hs.sockets.length === 1)
        hs.sockets[0]!.write(Buffer.concat([serverFrame(1, Buffer.from('before')), ...frames()]))
        const info = await conn.closed()
        assert.deepEqual(got, ['before'], 'the frame before the violation is delivered, nothing after')
        assert.equal(info.error?.code, ErrorCode.WS_CLOSED)
        assert.equal(info.error?.details?.sentCode, code)
        assert.equal(info.error?.details?.wsCode, wsCode)
        await eventually(() => closeCodeOf(hs.received[0]!) === code)
      } finally {
        conn.terminate()
        await hs.server.close()
      }
    })
  }

  test(`[${transport}] invalid UTF-8 is delivered when skipUtf8Validation is set`, async () => {
    const hs = await startHandServer()
    const got: Buffer[] = []
    const conn = await connectWs(hs.server.url, { transport, skipUtf8Validation: true, onFrame: (f) => got.push(Buffer.from(f.data!)) })
    try {
      await eventually(() => hs.sockets.length === 1)
      hs.sockets[0]!.write(frame(1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d])))
      await eventually(() => got.length === 1)
      assert.deepEqual([...got[0]!], [0x7b, 0xc3, 0x28, 0x7d])
      assert.equal(conn.isOpen, true)
    } finally {
      conn.terminate()
      await hs.server.close()
    }
  })

  test(`[${transport}] server-initiated close: our close frame echoes the code, then the server ends TCP; code and reason reported`, async () => {
    const hs = await startHandServer()
    const conn = await connectWs(hs.server.url, { transport, onFrame: () => {} })
    try {
      await eventually(() => hs.sockets.length === 1)
      const s = hs.sockets[0]!
      s.write(frame(8, closePayload(4321, 'going away, ünïcode')))
      await eventually(() => closeCodeOf(hs.received[0]!) === 4321)
      s.end()
      const info = await conn.closed()
      assert.equal(info.code, 4321)
      assert.equal(info.reason, 'going away, ünïcode')
      assert.equal(info.wasClean, true)
      assert.equal(info.error, null)
    } finally {
      await hs.server.close()
    }
  })

  test(`[${transport}] an empty close frame is reported as 1005 and echoed empty`, async () => {
    const hs = await startHandServer()
    const conn = await connectWs(hs.server.url, { transport, onFrame: () => {} })
    try {
      await eventually(() => hs.sockets.length === 1)
      hs.sockets[0]!.write(frame(8, Buffer.alloc(0)))
      await eventually(() => hs.received[0]!.some((f) => f.opcode === 8))
      assert.equal(hs.received[0]!.find((f) => f.opcode === 8)!.payload.length, 0)
      hs.sockets[0]!.end()
      const info = await conn.closed()
      assert.equal(info.code, 1005)
    } finally {
      await hs.server.close()
    }
  })

  test(`[${transport}] client-initiated close: the close frame carries code and reason; the server's echo completes it`, async () => {
    const hs = await startHandServer()
    const conn = await connectWs(hs.server.url, { transport, onFrame: () => {} })
    try {
      await eventually(() => hs.sockets.length === 1)
      const p = conn.close(4000, 'bye')
      await eventually(() => closeCodeOf(hs.received[0]!) === 4000)
      const sent = hs.received[0]!.find((f) => f.opcode === 8)!
      assert.equal(sent.payload.subarray(2).toString(), 'bye')
      hs.sockets[0]!.write(frame(8, closePayload(4000)))
      hs.sockets[0]!.end()
      const info = await p
      assert.equal(info.code, 4000)
      assert.equal(info.wasClean, true)
    } finally {
      await hs.server.close()
    }
  })

  test(`[${transport}] pause() in hot-path mode stops reading (the server's buffer grows); resume() delivers the rest in order`, async () => {
    const hs = await startHandServer()
    const N = 20_000
    const payload = 'y'.repeat(1000)
    let n = 0
    let ordered = true
    const conn: WsConnection = await connectWs(hs.server.url, {
      transport,
      onFrame: (f) => {
        if (f.data!.toString() !== `${n}:${payload}`) ordered = false
        n++
      },
    })
    try {
      await eventually(() => hs.sockets.length === 1)
      conn.pause()
      const s = hs.sockets[0]!
      for (let i = 0; i < N; i++) s.write(serverFrame(1, Buffer.from(`${i}:${payload}`)))
      // loopback socket buffers hold a few MB; past them the server's own buffer grows
      await eventually(() => s.writableLength > 1_000_000, 10_000)
      const seen = n
      assert.ok(seen < N, 'nothing near all of it read while paused')
      conn.resume()
      await eventually(() => n === N, 10_000)
      assert.ok(ordered, 'in order')
    } finally {
      conn.terminate()
      await hs.server.close()
    }
  })
}

test('[raw] pause() inside onFrame stops at that frame: the rest of the read waits (copied out of the reused buffer) and resume() delivers it in order, later', async () => {
  const hs = await startHandServer()
  const N = 200
  const got: string[] = []
  let pausedAt = -1
  let deliveredWhilePaused = 0
  let paused = false
  const conn: WsConnection = await connectWs(hs.server.url, {
    transport: 'raw',
    onFrame: (f) => {
      if (paused) deliveredWhilePaused++
      got.push(f.data!.toString())
      if (got.length === 10) {
        conn.pause()
        paused = true
        pausedAt = got.length
      }
    },
  })
  try {
    await eventually(() => hs.sockets.length === 1)
    // one write: the frames arrive in one read (a few KiB), the pause comes in the middle of it
    hs.sockets[0]!.write(Buffer.concat(Array.from({ length: N }, (_, i) => serverFrame(1, Buffer.from(`m${i}`)))))
    await eventually(() => got.length >= 10)
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(got.length, 10, 'nothing after the pausing frame is delivered while paused')
    assert.equal(deliveredWhilePaused, 0)
    assert.equal(pausedAt, 10)
    paused = false
    conn.resume()
    assert.equal(got.length, 10, 'resume() delivers later, not inside the call')
    await eventually(() => got.length === N)
    assert.deepEqual(got, Array.from({ length: N }, (_, i) => `m${i}`))
  } finally {
    conn.terminate()
    await hs.server.close()
  }
})

// ---------------------------------------------------------------- the raw client's own upgrade and TLS

/** A server answering the upgrade with `head` (a function of the client's key). */
async function startUpgradeServer(head: (accept: string) => string, after?: Buffer) {
  return startRawServer((socket) => {
    let text = ''
    socket.on('data', (d: Buffer) => {
      if (text.includes('\r\n\r\n')) return
      text += d.toString('latin1')
      if (!text.includes('\r\n\r\n')) return
      const key = /sec-websocket-key:\s*(\S+)/i.exec(text)?.[1] ?? ''
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
      socket.write(after === undefined ? head(accept) : Buffer.concat([Buffer.from(head(accept), 'latin1'), after]))
    })
  })
}

const OK_HEAD = (accept: string): string => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`

test('[raw] a reused read buffer smaller than the messages: every size, split at random offsets across reads, arrives intact and in order; a ping in between is answered with its own payload', async () => {
  const hs = await startHandServer()
  // deterministic sizes: 7-bit, 16-bit and 64-bit lengths, many larger than the 1 KiB read buffer
  const sizes = [0, 1, 125, 126, 127, 1000, 1023, 1024, 1025, 3000, 65535, 65536, 70000]
  for (let i = 0; i < 60; i++) sizes.push((i * 7919) % 5000)
  const payloads = sizes.map((n, i) => Buffer.from(Array.from({ length: n }, (_, k) => 97 + ((i + k) % 26))))
  const got: Buffer[] = []
  let viewsValidDuringCall = true
  const conn = await connectWs(hs.server.url, {
    transport: 'raw',
    readBufferBytes: 1024,
    maxPayload: 1 << 20,
    onFrame: (f) => {
      const copy = Buffer.from(f.data!)
      if (!copy.equals(f.data!)) viewsValidDuringCall = false
      got.push(copy)
    },
  })
  try {
    await eventually(() => hs.sockets.length === 1)
    const s = hs.sockets[0]!
    const wire = Buffer.concat([
      ...payloads.slice(0, 20).map((p) => serverFrame(1, p)),
      frame(9, Buffer.from('ping-in-between')),
      ...payloads.slice(20).map((p) => serverFrame(1, p)),
    ])
    // write in pieces of 1..700 bytes, yielding between them so that they arrive as separate reads
    let seed = 7
    for (let o = 0; o < wire.length; ) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      const n = 1 + (seed % 700)
      s.write(wire.subarray(o, Math.min(wire.length, o + n)))
      o += n
      if ((seed & 7) === 0) await new Promise((r) => setImmediate(r))
    }
    await eventually(() => got.length === payloads.length, 10_000)
    assert.ok(viewsValidDuringCall)
    for (let i = 0; i < payloads.length; i++) assert.ok(got[i]!.equals(payloads[i]!), `message ${i} (${payloads[i]!.length} B) intact`)
    await eventually(() => hs.received[0]!.some((f) => f.opcode === 10))
    assert.equal(hs.received[0]!.find((f) => f.opcode === 10)!.payload.toString(), 'ping-in-between')
  } finally {
    conn.terminate()
    await hs.server.close()
  }
})

test('[raw] upgrade: a wrong Sec-WebSocket-Accept, a missing Upgrade header, a forced extension or subprotocol fail the connect', async () => {
  const heads: Array<[string, (a: string) => string]> = [
    ['wrong accept', () => OK_HEAD('AAAAAAAAAAAAAAAAAAAAAAAAAAA=')],
    ['no Upgrade header', (a) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`],
    ['no Connection: upgrade', (a) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`],
    ['an extension not offered', (a) => OK_HEAD(a).replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n')],
    ['a subprotocol not offered', (a) => OK_HEAD(a).replace('\r\n\r\n', '\r\nSec-WebSocket-Protocol: chat\r\n\r\n')],
    ['not HTTP', () => 'SSH-2.0-OpenSSH\r\n\r\n'],
  ]
  for (const [what, head] of heads) {
    const server = await startUpgradeServer(head)
    await assert.rejects(
      connectWs(server.url, { transport: 'raw' }),
      (err) => {
        assert.ok(err instanceof TickflowError, what)
        assert.equal(err.code, ErrorCode.WS_CONNECT_FAILED, what)
        return true
      },
      what,
    )
    await server.close()
  }
})

test('[raw] the request carries our headers and the Host; frames sent with the 101 response are delivered', async () => {
  let request = ''
  const first = Buffer.concat([serverFrame(1, Buffer.from('right after the head')), serverFrame(1, Buffer.from('second'))])
  const server = await startUpgradeServer((a) => OK_HEAD(a), first)
  const got: string[] = []
  // a server that only records the request (and never answers it)
  const capture = await startRawServer((s) => s.on('data', (d: Buffer) => (request += d.toString('latin1'))))
  const pending = connectWs(`${capture.url}/stream?streams=a@trade`, { transport: 'raw', headers: { 'X-Test': 'yes' }, handshakeTimeoutMs: 300 })
  await eventually(() => request.includes('\r\n\r\n'))
  assert.match(request, /^GET \/stream\?streams=a@trade HTTP\/1\.1\r\n/)
  assert.match(request, new RegExp(`\\r\\nHost: 127\\.0\\.0\\.1:${capture.port}\\r\\n`))
  assert.match(request, /\r\nUpgrade: websocket\r\n/i)
  assert.match(request, /\r\nSec-WebSocket-Version: 13\r\n/)
  assert.match(request, /\r\nX-Test: yes\r\n/)
  await assert.rejects(pending, (err) => err instanceof TickflowError && err.code === ErrorCode.WS_HANDSHAKE_TIMEOUT)
  await capture.close()
  const conn = await connectWs(server.url, { transport: 'raw', onFrame: (f) => got.push(f.data!.toString()) })
  try {
    await eventually(() => got.length === 2)
    assert.deepEqual(got, ['right after the head', 'second'])
  } finally {
    conn.terminate()
    await server.close()
  }
})

async function startTlsWsServer(payloads: Buffer[] = Array.from({ length: 50 }, (_, i) => Buffer.from(`tls ${i}`))) {
  const servernames: Array<string | false | null> = []
  const sockets: tls.TLSSocket[] = []
  const server = tls.createServer({ key: readFileSync(path.join(TLS_DIR, 'key.pem')), cert: readFileSync(path.join(TLS_DIR, 'cert.pem')) }, (s) => {
    sockets.push(s)
    servernames.push(s.servername)
    s.on('error', () => s.destroy())
    rawUpgrade((ws) => {
      for (const p of payloads) ws.write(serverFrame(1, p))
    })(s as unknown as net.Socket)
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `wss://127.0.0.1:${port}`,
    servernames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

for (const transport of TRANSPORTS) {
  test(`[${transport}] wss: TLS with SNI and a verified certificate; an unknown CA fails the connect`, async () => {
    const server = await startTlsWsServer()
    const got: string[] = []
    const ca = readFileSync(path.join(TLS_DIR, 'cert.pem'))
    const conn = await connectWs(server.url, { transport, tls: { ca, servername: 'tickflow-test.local' }, onFrame: (f) => got.push(f.data!.toString()) })
    try {
      await eventually(() => got.length === 50)
      assert.equal(got[49], 'tls 49')
      assert.equal(server.servernames[0], 'tickflow-test.local')
    } finally {
      conn.terminate() // (this hand-made server never answers a close frame)
    }
    await assert.rejects(connectWs(server.url, { transport, tls: { servername: 'tickflow-test.local' } }), (err) => err instanceof TickflowError && err.code === ErrorCode.WS_CONNECT_FAILED)
    await server.close()
  })
}

test('[raw] wss with a reused read buffer smaller than the messages: TLS records split across reads, every message intact', async () => {
  const payloads = Array.from({ length: 40 }, (_, i) => Buffer.from(`${i}:`.padEnd(3000, String.fromCharCode(97 + (i % 26)))))
  const server = await startTlsWsServer(payloads)
  const got: Buffer[] = []
  const ca = readFileSync(path.join(TLS_DIR, 'cert.pem'))
  const conn = await connectWs(server.url, { transport: 'raw', readBufferBytes: 1024, tls: { ca, servername: 'tickflow-test.local' }, onFrame: (f) => got.push(Buffer.from(f.data!)) })
  try {
    await eventually(() => got.length === payloads.length)
    for (let i = 0; i < payloads.length; i++) assert.ok(got[i]!.equals(payloads[i]!), `message ${i} intact`)
  } finally {
    conn.terminate()
    await server.close()
  }
})
