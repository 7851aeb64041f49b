/**
 * A thin server-side WebSocket layer over `ws` (the only place server code
 * touches `ws`, like the client side in this folder).
 *
 * What it adds to `ws`:
 * - attaches to an existing node:http server (REST and WebSocket share one
 *   port) and routes upgrades by path through one `route()` callback;
 * - a BOUNDED per-connection send buffer: when what is queued for a client
 *   exceeds `maxSendBufferBytes`, the client is disconnected (what Binance
 *   does to a client that does not read), so one slow reader never grows the
 *   server's memory or slows the others;
 * - heartbeats: a ping every `pingIntervalMs`, terminate when no pong (with
 *   the ping's payload) arrives within `pongTimeoutMs`; one coarse timer for
 *   all connections (house style 2.5 rule 14);
 * - an incoming-message rate limit (text/binary messages, pings and pongs all
 *   count, as on Binance) and a connection lifetime;
 * - pre-framed sends: `encodeTextFrame()` builds the complete RFC 6455 frame
 *   (header + payload) once, and `sendFrame()` writes those bytes straight to
 *   the socket for every subscriber. Fan-out of one event to N connections
 *   costs N `socket.write`s of the same Buffer, no per-connection framing or
 *   copy. This is safe because permessage-deflate is disabled, so `ws`'s
 *   Sender writes whole frames synchronously and never queues behind us.
 * - fault hooks: silent stall, no pings, no automatic pongs, a write of part
 *   of a frame followed by a hard close.
 *
 * Hot path: `sendFrame()` / `send()` per message per connection; no closures
 * or allocations in them. Everything else is per connection.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { WebSocketServer, type WebSocket, type RawData } from 'ws'

/** Reasons a connection was closed by the server, for counters. */
export const WsCloseReason = {
  None: 0,
  SendBufferOverflow: 1,
  PongTimeout: 2,
  RateLimit: 3,
  Lifetime: 4,
  ServerClose: 5,
  Handler: 6,
  ClientClosed: 7,
  Fault: 8,
} as const
export type WsCloseReasonValue = (typeof WsCloseReason)[keyof typeof WsCloseReason]

export interface WsServerOptions {
  /** Largest incoming message; bigger ones close the connection with 1009 (ws). Default 1 MiB. */
  maxPayloadBytes?: number
  /** Bytes that may be queued for one client before it is disconnected. Default 4 MiB. */
  maxSendBufferBytes?: number
  /** Server ping period; 0 disables pings. Default 20000. */
  pingIntervalMs?: number
  /** Disconnect when no pong arrives this long after a ping. Default 60000. */
  pongTimeoutMs?: number
  /** Incoming messages (incl. ping/pong frames) allowed per second; 0 = unlimited. Default 5. */
  maxIncomingPerSecond?: number
  /** Connection lifetime; 0 = unlimited. Default 24 h. */
  lifetimeMs?: number
  /**
   * A client whose queued bytes stay above half of `maxSendBufferBytes` this
   * long is disconnected as a slow consumer (it reads, but too slowly, or not
   * at all while the sender respects backpressure). 0 = never. Default 10000.
   */
  slowConsumerMs?: number
  /** Granularity of the housekeeping timer. Default min(1000, pingIntervalMs/4, pongTimeoutMs/4) >= 10. */
  tickMs?: number
}

/** What a route returns for an accepted upgrade. */
export interface WsHandler {
  onOpen(conn: WsConn): void
  /** One text/binary message; `data` is valid during the call only. */
  onMessage(conn: WsConn, data: Buffer, isBinary: boolean): void
  onClose(conn: WsConn, code: number, reason: WsCloseReasonValue): void
  /** Called when a connection's send buffer drained below half of its bound after `send*` returned false. */
  onDrain?(conn: WsConn): void
  /** Incoming messages per second for this handler's connections (default: the server's). */
  readonly maxIncomingPerSecond?: number
}

/** Decides what serves an upgrade request; null refuses it with HTTP 404. */
export type WsRoute = (pathname: string, query: URLSearchParams, req: IncomingMessage) => WsHandler | null

export interface WsServerStats {
  connectionsOpened: number
  connectionsOpen: number
  upgradesRefused: number
  messagesReceived: number
  framesSent: number
  bytesSent: number
  pingsSent: number
  pongsReceived: number
  closedSendBufferOverflow: number
  closedSlowConsumer: number
  closedPongTimeout: number
  closedRateLimit: number
  closedLifetime: number
  closedFault: number
  oversizeMessages: number
  sendsDropped: number
}

const FRAME_TEXT = 0x81

/** Builds an unmasked server text frame (FIN + opcode 1) holding `payload`. */
export function encodeTextFrame(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  const n = body.length
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10
  const out = Buffer.allocUnsafe(head + n)
  out[0] = FRAME_TEXT
  if (n < 126) {
    out[1] = n
  } else if (n < 65536) {
    out[1] = 126
    out.writeUInt16BE(n, 2)
  } else {
    out[1] = 127
    out.writeUInt32BE(Math.floor(n / 0x100000000), 2)
    out.writeUInt32BE(n >>> 0, 6)
  }
  body.copy(out, head)
  return out
}

/** One server-side connection. */
export class WsConn {
  /** Integer id, unique per server. */
  readonly id: number
  readonly pathname: string
  readonly query: URLSearchParams
  /** Remote address (for loopback checks). */
  readonly remoteAddress: string
  readonly openedAtMs: number
  /** Handler-owned state (the simulator keeps its session here). */
  state: unknown = null
  /** true while open. */
  open = true
  /** Fault: drop every outgoing frame but keep the socket open. */
  stalled = false
  /** Fault: do not send pings to this connection. */
  pingsEnabled = true
  /** true once a send returned false, until onDrain. */
  wantsDrain = false
  /** when wantsDrain last became true */
  backloggedSinceMs = 0
  lastPingAtMs = 0
  /** time of the oldest ping not answered yet (its deadline runs from there) */
  unansweredSinceMs = 0
  awaitingPong = false
  lastPongAtMs = 0
  incomingInWindow = 0
  windowStartMs = 0
  /** incoming messages allowed per second (0 = unlimited) */
  maxIncomingPerSecond = 0
  framesSent = 0
  bytesSent = 0
  readonly ws: WebSocket
  readonly socket: Socket
  readonly server: WsServer
  closeReason: WsCloseReasonValue = WsCloseReason.None
  lastPingPayload: Buffer

  constructor(server: WsServer, id: number, ws: WebSocket, socket: Socket, pathname: string, query: URLSearchParams, nowMs: number) {
    this.server = server
    this.id = id
    this.ws = ws
    this.socket = socket
    this.pathname = pathname
    this.query = query
    this.remoteAddress = socket.remoteAddress ?? ''
    this.openedAtMs = nowMs
    this.windowStartMs = nowMs
    this.lastPingPayload = Buffer.alloc(0)
  }

  /** Bytes queued and not yet handed to the kernel. */
  bufferedAmount(): number {
    return this.open ? this.ws.bufferedAmount : 0
  }

  /**
   * Sends one pre-built frame (from `encodeTextFrame`). Returns false when the
   * connection is closed, stalled, or its send buffer is over half full (the
   * caller should wait for `onDrain`); disconnects the client when the bound
   * is exceeded.
   */
  sendFrame(frame: Buffer): boolean {
    if (!this.open) return false
    if (this.stalled) {
      this.server.stats.sendsDropped++
      return false
    }
    const s = this.server
    const queued = this.socket.writableLength
    if (queued + frame.length > s.maxSendBufferBytes) {
      s.stats.closedSendBufferOverflow++
      this.kill(WsCloseReason.SendBufferOverflow)
      return false
    }
    this.socket.write(frame)
    this.framesSent++
    this.bytesSent += frame.length
    s.stats.framesSent++
    s.stats.bytesSent += frame.length
    if (queued + frame.length > s.drainThresholdBytes) {
      if (!this.wantsDrain) {
        this.wantsDrain = true
        this.backloggedSinceMs = s.nowMs()
      }
      return false
    }
    return true
  }

  /** Frames `text` and sends it (cold paths: replies, errors). */
  send(text: string | Buffer): boolean {
    return this.sendFrame(encodeTextFrame(text))
  }

  /** Writes raw bytes to the socket, bypassing framing (fault injection only). */
  writeRaw(bytes: Buffer): void {
    if (this.open) this.socket.write(bytes)
  }

  /** Sends a ping with `payload` (the server's heartbeat or a test). */
  ping(payload: Buffer): void {
    if (!this.open || this.stalled) return
    this.lastPingPayload = payload
    this.ws.ping(payload)
  }

  /** Closing handshake with `code`; terminates after 2 s if the client does not answer. */
  close(code: number, reason = '', why: WsCloseReasonValue = WsCloseReason.Handler): void {
    if (!this.open) return
    if (this.closeReason === WsCloseReason.None) this.closeReason = why
    this.ws.close(code, reason)
    this.server.scheduleTerminate(this)
  }

  /** Drops the TCP connection now, no close frame. */
  kill(why: WsCloseReasonValue): void {
    if (this.closeReason === WsCloseReason.None) this.closeReason = why
    this.ws.terminate()
  }

  /**
   * Fault: writes the first half of `frame`, then destroys the socket, so the
   * client sees a connection dropped in the middle of a frame.
   */
  disconnectMidFrame(frame: Buffer): void {
    if (!this.open) return
    this.closeReason = WsCloseReason.Fault
    this.server.stats.closedFault++
    const half = Math.max(1, frame.length >> 1)
    this.socket.write(frame.subarray(0, half), () => this.socket.destroy())
  }
}

/** The server: attach to an HTTP server, route upgrades, run heartbeats. */
export class WsServer {
  readonly stats: WsServerStats = {
    connectionsOpened: 0,
    connectionsOpen: 0,
    upgradesRefused: 0,
    messagesReceived: 0,
    framesSent: 0,
    bytesSent: 0,
    pingsSent: 0,
    pongsReceived: 0,
    closedSendBufferOverflow: 0,
    closedSlowConsumer: 0,
    closedPongTimeout: 0,
    closedRateLimit: 0,
    closedLifetime: 0,
    closedFault: 0,
    oversizeMessages: 0,
    sendsDropped: 0,
  }
  readonly maxSendBufferBytes: number
  readonly drainThresholdBytes: number
  pingIntervalMs: number
  pongTimeoutMs: number
  maxIncomingPerSecond: number
  lifetimeMs: number
  slowConsumerMs: number
  /** Fault: when false, the server answers no client ping (ws autoPong off, done by hand). */
  answerPings = true
  /** Server clock; replaceable for compressed-time tests. */
  nowMs: () => number = Date.now
  private readonly wss: WebSocketServer
  private readonly conns = new Map<number, WsConn>()
  private readonly terminateTimers = new Set<NodeJS.Timeout>()
  private nextId = 1
  private timer: NodeJS.Timeout | null = null
  private readonly tickMs: number
  private http: HttpServer | null = null
  private readonly onUpgradeBound: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  private route: WsRoute

  constructor(route: WsRoute, options: WsServerOptions = {}) {
    this.route = route
    this.maxSendBufferBytes = options.maxSendBufferBytes ?? 4 * 1024 * 1024
    this.drainThresholdBytes = this.maxSendBufferBytes >> 1
    this.pingIntervalMs = options.pingIntervalMs ?? 20_000
    this.pongTimeoutMs = options.pongTimeoutMs ?? 60_000
    this.maxIncomingPerSecond = options.maxIncomingPerSecond ?? 5
    this.lifetimeMs = options.lifetimeMs ?? 24 * 3600_000
    this.slowConsumerMs = options.slowConsumerMs ?? 10_000
    const candidates = [1000]
    if (this.pingIntervalMs > 0) candidates.push(this.pingIntervalMs / 4)
    if (this.pongTimeoutMs > 0) candidates.push(this.pongTimeoutMs / 4)
    if (this.lifetimeMs > 0) candidates.push(this.lifetimeMs / 4)
    if (this.slowConsumerMs > 0) candidates.push(this.slowConsumerMs / 4)
    this.tickMs = options.tickMs ?? Math.max(10, Math.floor(Math.min(...candidates)))
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
      perMessageDeflate: false,
      autoPong: false,
      clientTracking: false,
    })
    this.onUpgradeBound = (req, socket, head) => this.onUpgrade(req, socket, head)
  }

  /** Serves upgrades of `http` and starts the housekeeping timer. */
  attach(http: HttpServer): void {
    this.http = http
    http.on('upgrade', this.onUpgradeBound)
    this.timer = setInterval(() => this.housekeeping(), this.tickMs)
    this.timer.unref()
  }

  /** Open connections (a snapshot array). */
  connections(): WsConn[] {
    return [...this.conns.values()]
  }

  get(id: number): WsConn | undefined {
    return this.conns.get(id)
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      this.refuse(socket, 400)
      return
    }
    let handler: WsHandler | null
    try {
      handler = this.route(url.pathname, url.searchParams, req)
    } catch {
      handler = null
    }
    if (handler === null) {
      this.refuse(socket, 404)
      return
    }
    const h = handler
    socket.on('error', noop)
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket as Socket, url, h))
  }

  private refuse(socket: Duplex, status: number): void {
    this.stats.upgradesRefused++
    const text = status === 404 ? 'Not Found' : 'Bad Request'
    socket.on('error', noop)
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  }

  private accept(ws: WebSocket, socket: Socket, url: URL, handler: WsHandler): void {
    const now = this.nowMs()
    const conn = new WsConn(this, this.nextId++, ws, socket, url.pathname, url.searchParams, now)
    conn.maxIncomingPerSecond = handler.maxIncomingPerSecond ?? this.maxIncomingPerSecond
    socket.setNoDelay(true)
    this.conns.set(conn.id, conn)
    this.stats.connectionsOpened++
    this.stats.connectionsOpen++
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!this.countIncoming(conn)) return
      this.stats.messagesReceived++
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
      try {
        handler.onMessage(conn, buf, isBinary)
      } catch {
        conn.close(1011, 'internal error', WsCloseReason.Handler)
      }
    })
    ws.on('ping', (data: Buffer) => {
      if (!this.countIncoming(conn)) return
      if (this.answerPings && conn.open) ws.pong(data)
    })
    ws.on('pong', (data: Buffer) => {
      if (!this.countIncoming(conn)) return
      this.stats.pongsReceived++
      // Only a pong echoing one of our pings' payloads (sent since the oldest
      // unanswered one) clears the deadline (Binance rule); an empty or foreign
      // unsolicited pong does not.
      if (conn.awaitingPong && pongMatches(conn, data)) {
        conn.awaitingPong = false
        conn.lastPongAtMs = this.nowMs()
      }
    })
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.stats.oversizeMessages++
    })
    socket.on('drain', () => {
      if (conn.wantsDrain && conn.open) {
        conn.wantsDrain = false
        if (handler.onDrain !== undefined) handler.onDrain(conn)
      }
    })
    ws.on('close', (code: number) => {
      if (!conn.open) return
      conn.open = false
      this.conns.delete(conn.id)
      this.stats.connectionsOpen--
      if (conn.closeReason === WsCloseReason.None) conn.closeReason = WsCloseReason.ClientClosed
      try {
        handler.onClose(conn, code, conn.closeReason)
      } catch {
        // A handler failing on close must not take the server down; nothing is left to clean up here.
      }
    })
    try {
      handler.onOpen(conn)
    } catch {
      conn.close(1011, 'internal error', WsCloseReason.Handler)
    }
  }

  /** Counts one incoming message; over the limit, disconnects and returns false. */
  private countIncoming(conn: WsConn): boolean {
    if (!conn.open || conn.closeReason !== WsCloseReason.None) return false
    const limit = conn.maxIncomingPerSecond
    if (limit <= 0) return true
    const now = this.nowMs()
    if (now - conn.windowStartMs >= 1000) {
      conn.windowStartMs = now
      conn.incomingInWindow = 0
    }
    if (++conn.incomingInWindow > limit) {
      this.stats.closedRateLimit++
      conn.close(1008, 'Too many requests', WsCloseReason.RateLimit)
      return false
    }
    return true
  }

  /** Pings, pong deadlines and lifetimes; runs every tickMs. */
  housekeeping(): void {
    const now = this.nowMs()
    for (const conn of this.conns.values()) {
      if (!conn.open) continue
      if (this.lifetimeMs > 0 && now - conn.openedAtMs >= this.lifetimeMs) {
        this.stats.closedLifetime++
        conn.close(1000, 'connection lifetime', WsCloseReason.Lifetime)
        continue
      }
      if (this.slowConsumerMs > 0 && conn.wantsDrain && now - conn.backloggedSinceMs >= this.slowConsumerMs && conn.socket.writableLength > this.drainThresholdBytes) {
        this.stats.closedSlowConsumer++
        conn.kill(WsCloseReason.SendBufferOverflow)
        continue
      }
      if (this.pongTimeoutMs > 0 && conn.awaitingPong && now - conn.unansweredSinceMs >= this.pongTimeoutMs) {
        this.stats.closedPongTimeout++
        conn.kill(WsCloseReason.PongTimeout)
        continue
      }
      if (this.pingIntervalMs > 0 && conn.pingsEnabled && !conn.stalled && now - conn.lastPingAtMs >= this.pingIntervalMs) {
        const payload = Buffer.from(String(now))
        conn.ping(payload)
        conn.lastPingAtMs = now
        if (!conn.awaitingPong) {
          conn.awaitingPong = true
          conn.unansweredSinceMs = now
        }
        this.stats.pingsSent++
      }
    }
  }

  /** @internal terminate a connection that did not complete its closing handshake. */
  scheduleTerminate(conn: WsConn): void {
    const t = setTimeout(() => {
      this.terminateTimers.delete(t)
      if (conn.open) conn.ws.terminate()
    }, 2000)
    t.unref()
    this.terminateTimers.add(t)
  }

  /** Closes every connection with `code` and stops the timer. Does not close the HTTP server. */
  async close(code = 1001, reason = 'server closing'): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    if (this.http !== null) this.http.off('upgrade', this.onUpgradeBound)
    const pending: Promise<void>[] = []
    for (const conn of this.conns.values()) {
      if (!conn.open) continue
      pending.push(
        new Promise<void>((resolve) => {
          conn.ws.once('close', () => resolve())
          conn.close(code, reason, WsCloseReason.ServerClose)
        }),
      )
    }
    // Give clients a moment for the closing handshake, then drop the rest.
    const deadline = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 500)
      t.unref()
    })
    await Promise.race([Promise.all(pending), deadline])
    for (const conn of this.conns.values()) conn.ws.terminate()
    for (const t of this.terminateTimers) clearTimeout(t)
    this.terminateTimers.clear()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }
}

function noop(): void {}

/** Ping payloads are the decimal send time; a pong matches when it echoes one sent since the oldest unanswered ping. */
function pongMatches(conn: WsConn, data: Buffer): boolean {
  if (data.length === 0 || data.length > 16) return false
  for (let i = 0; i < data.length; i++) if (data[i]! < 48 || data[i]! > 57) return false
  const t = Number.parseInt(data.toString('latin1'), 10)
  return t >= conn.unansweredSinceMs && t <= conn.lastPingAtMs
}
