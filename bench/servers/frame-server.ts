/**
 * Frame server for the transport benchmark, run in its OWN process (forked
 * by bench/scenarios/transport.ts) so that only the client is measured
 * (node-performance.md §1).
 *
 * A minimal RFC 6455 server on net: it answers the upgrade by hand,
 * pre-frames 10,000 distinct Binance combined-stream trade messages
 * (~165 B each) once, and on a client text message "go N" writes N of them
 * in ~1.7 MB batches, waiting for 'drain' (backpressure). So the server
 * costs little and the client is the bottleneck. The parent learns the port
 * over IPC: {port}.
 */
import net from 'node:net'
import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'

const DISTINCT = 10_000

function tradeMessage(i: number): string {
  const price = (60000 + (i % 5000) / 100).toFixed(2)
  const qty = (0.001 + (i % 997) / 10000).toFixed(5)
  const t = 3_000_000_000 + i
  const ts = 1_700_000_000_000 + i
  return `{"stream":"btcusdt@trade","data":{"e":"trade","E":${ts},"s":"BTCUSDT","t":${t},"p":"${price}","q":"${qty}","T":${ts},"m":${i % 2 === 0},"M":true}}`
}

function frame(payload: Buffer): Buffer {
  const n = payload.length
  const header = n < 126 ? Buffer.from([0x81, n]) : Buffer.from([0x81, 126, n >> 8, n & 0xff])
  return Buffer.concat([header, payload])
}

const frames: Buffer[] = []
let totalBytes = 0
for (let i = 0; i < DISTINCT; i++) {
  const f = frame(Buffer.from(tradeMessage(i)))
  frames.push(f)
  totalBytes += f.length - 2
}
/** Batches of ~1.7 MB, built once. */
const BATCH_FRAMES = Math.max(1, Math.floor(1_700_000 / (totalBytes / DISTINCT + 2)))
const batches: Buffer[] = []
const batchCounts: number[] = []
for (let i = 0; i < DISTINCT; i += BATCH_FRAMES) {
  const part = frames.slice(i, i + BATCH_FRAMES)
  batches.push(Buffer.concat(part))
  batchCounts.push(part.length)
}

function send(socket: net.Socket, n: number): void {
  let left = n
  let bi = 0
  let fi = 0 // frame index for the final partial batch
  const pump = (): void => {
    while (left > 0) {
      let ok: boolean
      if (left >= batchCounts[bi]!) {
        ok = socket.write(batches[bi]!)
        left -= batchCounts[bi]!
        bi = (bi + 1) % batches.length
        fi = bi * BATCH_FRAMES
      } else {
        ok = socket.write(Buffer.concat(frames.slice(fi, fi + left)))
        left = 0
      }
      if (!ok) {
        socket.once('drain', pump)
        return
      }
    }
  }
  pump()
}

/** Reads masked client frames; calls `onText` for text frames. */
function clientReader(onText: (s: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0)
  return (chunk) => {
    buf = Buffer.concat([buf, chunk])
    for (;;) {
      if (buf.length < 2) return
      const opcode = buf[0]! & 0x0f
      let len = buf[1]! & 0x7f
      let off = 2
      if (len === 126) {
        if (buf.length < 4) return
        len = buf.readUInt16BE(2)
        off = 4
      } else if (len === 127) {
        if (buf.length < 10) return
        len = Number(buf.readBigUInt64BE(2))
        off = 10
      }
      const masked = (buf[1]! & 0x80) !== 0
      const maskOff = off
      if (masked) off += 4
      if (buf.length < off + len) return
      const payload = Buffer.from(buf.subarray(off, off + len))
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= buf[maskOff + (i & 3)]!
      buf = buf.subarray(off + len)
      if (opcode === 1) onText(payload.toString())
    }
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  socket.on('error', () => socket.destroy())
  let head = ''
  const onHead = (chunk: Buffer): void => {
    head += chunk.toString('latin1')
    const end = head.indexOf('\r\n\r\n')
    if (end < 0) return
    socket.off('data', onHead)
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? ''
    const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    socket.on(
      'data',
      clientReader((text) => {
        const m = /^go (\d+)$/.exec(text)
        if (m !== null) send(socket, Number.parseInt(m[1]!, 10))
      }),
    )
  }
  socket.on('data', onHead)
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.send?.({ port })
})
process.on('disconnect', () => {
  server.close()
  process.exit(0)
})
