/** Real servers on 127.0.0.1 for the transport tests (ws's WebSocketServer, raw net/http servers). */
import http from 'node:http'
import net from 'node:net'
import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket, type ServerOptions } from 'ws'

export interface TestWsServer {
  url: string
  wss: WebSocketServer
  /** server-side sockets, in connection order */
  clients: WebSocket[]
  close(): Promise<void>
}

/** A ws server on 127.0.0.1:0. `onConnection` runs for each client. */
export async function startWsServer(onConnection?: (ws: WebSocket, index: number) => void, options: ServerOptions = {}): Promise<TestWsServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const clients: WebSocket[] = []
  wss.on('connection', (ws) => {
    clients.push(ws)
    onConnection?.(ws, clients.length - 1)
  })
  const port = (wss.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${port}`,
    wss,
    clients,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
}

export interface RawServer {
  url: string
  port: number
  sockets: net.Socket[]
  /** sockets the client side has closed or that were destroyed */
  readonly closedSockets: number
  close(): Promise<void>
}

/** A plain TCP server; `onSocket` decides what to do with each connection (nothing = hang). */
export async function startRawServer(onSocket?: (socket: net.Socket) => void): Promise<RawServer> {
  const sockets: net.Socket[] = []
  let closedSockets = 0
  const server = net.createServer((s) => {
    sockets.push(s)
    s.on('error', () => s.destroy())
    s.on('close', () => closedSockets++)
    if (onSocket !== undefined) onSocket(s)
    else s.resume() // read and ignore (so that the end of the connection is seen)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    sockets,
    get closedSockets() {
      return closedSockets
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * Answers the HTTP upgrade by hand (RFC 6455 §4.2.2) and then calls `onOpen`
 * with the raw socket: the test writes frames byte by byte.
 */
export function rawUpgrade(onOpen: (socket: net.Socket) => void): (socket: net.Socket) => void {
  return (socket) => {
    let head = ''
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? ''
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
      socket.setNoDelay(true)
      onOpen(socket)
    }
    socket.on('data', onData)
  }
}

/** An unmasked server frame (FIN set). */
export function serverFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length
  let header: Buffer
  if (n < 126) {
    header = Buffer.from([0x80 | opcode, n])
  } else if (n < 65536) {
    header = Buffer.alloc(4)
    header[0] = 0x80 | opcode
    header[1] = 126
    header.writeUInt16BE(n, 2)
  } else {
    header = Buffer.alloc(10)
    header[0] = 0x80 | opcode
    header[1] = 127
    header.writeBigUInt64BE(BigInt(n), 2)
  }
  return Buffer.concat([header, payload])
}

/** An HTTP server that refuses every upgrade with `status`. */
export async function startRefusingServer(status: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' })
    res.end('no')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
