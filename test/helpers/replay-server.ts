/**
 * A Binance-like market-data venue on 127.0.0.1 that replays REAL fixture
 * captures (../shared/fixtures/binance) frame by frame, for tests of the live
 * adapters against real sockets. It is a venue, not a mock of tickflow: its
 * own parsing (JSON.parse), its own mirror books (Maps of decimal strings),
 * and `ws`/node:http on the wire.
 *
 *   one "tape" (the capture's records in receive order), advanced by a timer:
 *     every tick sends the next `framesPerTick` frames to each client
 *     subscribed to the frame's stream (combined clients get the recorded
 *     bytes, /ws clients the `data` part); every client sees the same tape
 *     position, like a live venue; a disconnected client misses what passes.
 *
 * WebSocket: `/stream?streams=a/b` (combined), `/stream`, `/ws/<stream>`,
 * `/ws` (raw); SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS answered like
 * Binance (`{"result":null,"id":N}`, errors `{"error":{"code":2,"msg":…},"id":N}`).
 * The tape starts at the first subscription (`autoStart`).
 *
 * REST: `/api/v3/exchangeInfo`, `/fapi/v1/exchangeInfo` (the captured body
 * or the one given); `/api/v3/depth`, `/fapi/v1/depth`: a snapshot of the
 * mirror book at the CURRENT tape position. The mirror starts from the
 * capture's own REST snapshot when the tape passes it and applies every
 * later diff (dropped frames too: the venue's book does not care what a
 * client lost). Before that point the captured snapshot itself is served (a
 * lastUpdateId ahead of the stream, which the documented procedure handles).
 *
 * Faults: `dropWhere(pred)` (frames not sent to anyone), `disconnectAll()`
 * (terminate sockets mid-stream), `accepting = false` (upgrades refused: 503), `ignorePings` (never answer the client's
 * pings), `stallClients()` (current connections get no more data: stale),
 * `sendServerShutdown()`, `inject(text)` (garbage frames), `failDepth(n)`
 * (next n snapshot requests answer HTTP 500), `refuseStreams`.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { readCapture, RecordKind, type CaptureSession } from '../../src/capture/reader.js'

export interface TapeFrame {
  /** index in the tape (0-based over frames and snapshot records) */
  index: number
  stream: string
  /** upper-case symbol of the stream */
  symbol: string
  /** 'depth' | 'bookTicker' | 'trade' | 'aggTrade' | 'kline' | 'partialDepth' | other */
  kind: string
  /** the parsed `data` payload */
  payload: Record<string, unknown>
  /** recorded frame text (combined envelope) */
  combined: string
  /** the `data` part, byte for byte */
  raw: string
}

export interface ReplayServerOptions {
  /** capture files (one session, in order) */
  files: string[]
  /** exchangeInfo body to serve (default: the capture's; hftbacktest has none) */
  exchangeInfo?: Buffer | null
  framesPerTick?: number
  tickMs?: number
  /** start the tape at the first subscription (default true) */
  autoStart?: boolean
  /** server pings every N ms to every client (0 = off, default) */
  pingIntervalMs?: number
  /** stream names SUBSCRIBE refuses with code 2 */
  refuseStreams?: string[]
}

interface Client {
  id: number
  ws: WebSocket
  combined: boolean
  streams: Set<string>
  stalled: boolean
  path: string
}

interface MirrorBook {
  /** captured snapshot body (served before the tape reaches it) */
  captured: string | null
  started: boolean
  lastU: number
  lastE: number
  lastT: number
  bids: Map<string, string>
  asks: Map<string, string>
}

type Json = Record<string, unknown>

const ZERO = /^0*(\.0*)?$/

function kindOf(stream: string): string {
  const at = stream.indexOf('@')
  const rest = at < 0 ? '' : stream.slice(at + 1)
  if (rest.startsWith('depth@') || rest === 'depth') return 'depth'
  if (/^depth\d+/.test(rest)) return 'partialDepth'
  if (rest.startsWith('kline_')) return 'kline'
  const at2 = rest.indexOf('@')
  return at2 < 0 ? rest : rest.slice(0, at2)
}

export class ReplayServer {
  readonly session: CaptureSession
  readonly market: 'spot' | 'usdm'
  /** tape: frames (TapeFrame) and snapshot records ({snapshot, symbol, body}) in receive order */
  readonly tape: Array<TapeFrame | { snapshot: true; symbol: string; body: string }> = []
  readonly frameCount: number
  url = ''
  restUrl = ''
  /** the tape position (next record to play) */
  position = 0
  framesPerTick: number
  readonly tickMs: number
  readonly autoStart: boolean
  ignorePings = false
  /** false: WebSocket upgrades are refused with HTTP 503 (the venue is unreachable) */
  accepting = true
  refusedUpgrades = 0
  /** counters */
  framesSent = 0
  framesDropped = 0
  connections = 0
  readonly closeCodes: number[] = []
  readonly requests: string[] = []
  depthRequests = 0
  pingsSent = 0
  /** pongs that echoed our ping payload / that did not */
  pongsMatched = 0
  pongsMismatched = 0
  clientPings = 0
  subscribeRequests = 0

  private readonly http: http.Server
  private readonly wss: WebSocketServer
  private readonly clients = new Set<Client>()
  private nextClientId = 1
  private timer: NodeJS.Timeout | null = null
  private pingTimer: NodeJS.Timeout | null = null
  private dropPred: ((f: TapeFrame) => boolean) | null = null
  private depthFailures = 0
  private readonly books = new Map<string, MirrorBook>()
  private readonly exchangeInfo: Buffer | null
  private readonly refuse: Set<string>
  private readonly pingPayloads = new Set<string>()
  private pingSeq = 0

  constructor(options: ReplayServerOptions) {
    this.session = readCapture(options.files)
    if (this.session.market !== 'spot' && this.session.market !== 'usdm') throw new Error('replay server: unknown market')
    this.market = this.session.market
    this.exchangeInfo = options.exchangeInfo !== undefined ? options.exchangeInfo : this.session.exchangeInfo
    this.framesPerTick = options.framesPerTick ?? 4
    this.tickMs = options.tickMs ?? 1
    this.autoStart = options.autoStart !== false
    this.refuse = new Set(options.refuseStreams ?? [])
    let frames = 0
    const symbols = new Set<string>()
    for (const r of this.session.records) {
      if (r.kind === RecordKind.WsFrame) {
        const text = r.data.toString('utf8')
        const j = JSON.parse(text) as { stream: string; data: Json }
        const start = text.indexOf('"data":') + 7
        const end = text.lastIndexOf('}')
        const symbol = j.stream.slice(0, j.stream.indexOf('@')).toUpperCase()
        symbols.add(symbol)
        this.tape.push({ index: this.tape.length, stream: j.stream, symbol, kind: kindOf(j.stream), payload: j.data, combined: text, raw: text.slice(start, end) })
        frames++
      } else if (r.kind === RecordKind.DepthSnapshot) {
        const m = /[?&]symbol=([A-Za-z0-9_]+)/.exec(r.url)
        const symbol = m !== null ? m[1]!.toUpperCase() : symbols.size === 1 ? [...symbols][0]! : ''
        this.tape.push({ snapshot: true, symbol, body: r.data.toString('utf8') })
      }
    }
    this.frameCount = frames
    for (const t of this.tape) {
      if ('snapshot' in t && t.symbol !== '' && !this.books.has(t.symbol)) this.books.set(t.symbol, this.newBook(t.body))
    }
    this.http = http.createServer((req, res) => this.onRequest(req, res))
    this.wss = new WebSocketServer({ noServer: true, autoPong: false })
    this.http.on('upgrade', (req, socket, head) => {
      if (!this.accepting) {
        this.refusedUpgrades++
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n')
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req.url ?? '/'))
    })
    if ((options.pingIntervalMs ?? 0) > 0) {
      this.pingTimer = setInterval(() => this.pingAll(), options.pingIntervalMs)
      this.pingTimer.unref()
    }
  }

  /** Listens on 127.0.0.1:0. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', () => resolve()))
    const port = (this.http.address() as AddressInfo).port
    this.url = `ws://127.0.0.1:${port}`
    this.restUrl = `http://127.0.0.1:${port}`
    return this
  }

  /** Symbols that appear in the capture's frames. */
  symbols(): string[] {
    const out: string[] = []
    for (const t of this.tape) if (!('snapshot' in t) && !out.includes(t.symbol)) out.push(t.symbol)
    return out
  }

  get finished(): boolean {
    return this.position >= this.tape.length
  }

  get running(): boolean {
    return this.timer !== null
  }

  /** Starts (or resumes) the tape. */
  start(): void {
    if (this.timer !== null || this.finished) return
    this.timer = setInterval(() => this.tick(), this.tickMs)
  }

  /** Stops the tape where it is. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Frames matching `pred` are not sent to anyone (the mirror books still apply them). */
  dropWhere(pred: ((f: TapeFrame) => boolean) | null): void {
    this.dropPred = pred
  }

  /** Terminates every client socket (no close frame: the client sees 1006). */
  disconnectAll(): void {
    for (const c of this.clients) c.ws.terminate()
  }

  /** Current clients receive no more data frames (they stay connected and answer pings). */
  stallClients(): void {
    for (const c of this.clients) c.stalled = true
  }

  /** Sends the serverShutdown notice to every client. */
  sendServerShutdown(): void {
    const data = `{"e":"serverShutdown","E":${Date.now()}}`
    for (const c of this.clients) c.ws.send(c.combined ? `{"stream":"!serverShutdown","data":${data}}` : data)
  }

  /** Sends `text` as a text frame to every client (garbage, replies, …). */
  inject(text: string | Buffer): void {
    for (const c of this.clients) c.ws.send(text, { binary: false })
  }

  /** The next `n` depth snapshot requests answer HTTP 500. */
  failDepth(n: number): void {
    this.depthFailures = n
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.clients.size
  }

  /** Streams each connected client is subscribed to. */
  clientStreams(): string[][] {
    return [...this.clients].map((c) => [...c.streams])
  }

  async close(): Promise<void> {
    this.stop()
    if (this.pingTimer !== null) clearInterval(this.pingTimer)
    for (const c of this.clients) c.ws.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
    this.http.closeAllConnections()
    await new Promise<void>((resolve) => this.http.close(() => resolve()))
  }

  private tick(): void {
    let sent = 0
    while (sent < this.framesPerTick && this.position < this.tape.length) {
      const t = this.tape[this.position++]!
      if ('snapshot' in t) {
        const b = this.books.get(t.symbol)
        if (b !== undefined && !b.started) this.startBook(b, t.body)
        continue
      }
      this.mirror(t)
      sent++
      if (this.dropPred !== null && this.dropPred(t)) {
        this.framesDropped++
        continue
      }
      for (const c of this.clients) {
        if (c.stalled || !c.streams.has(t.stream)) continue
        c.ws.send(c.combined ? t.combined : t.raw)
        this.framesSent++
      }
    }
    if (this.position >= this.tape.length) this.stop()
  }

  private newBook(captured: string): MirrorBook {
    return { captured, started: false, lastU: 0, lastE: 0, lastT: 0, bids: new Map(), asks: new Map() }
  }

  private startBook(b: MirrorBook, body: string): void {
    const j = JSON.parse(body) as { lastUpdateId: number; bids: string[][]; asks: string[][]; E?: number; T?: number }
    b.started = true
    b.lastU = j.lastUpdateId
    b.lastE = j.E ?? 0
    b.lastT = j.T ?? 0
    for (const [p, q] of j.bids) if (!ZERO.test(q!)) b.bids.set(p!, q!)
    for (const [p, q] of j.asks) if (!ZERO.test(q!)) b.asks.set(p!, q!)
  }

  private mirror(t: TapeFrame): void {
    if (t.kind !== 'depth') return
    const b = this.books.get(t.symbol)
    if (b === undefined || !b.started) return
    const d = t.payload as { u: number; E: number; T?: number; b: string[][]; a: string[][] }
    if (d.u <= b.lastU) return
    for (const [p, q] of d.b) {
      if (ZERO.test(q!)) b.bids.delete(p!)
      else b.bids.set(p!, q!)
    }
    for (const [p, q] of d.a) {
      if (ZERO.test(q!)) b.asks.delete(p!)
      else b.asks.set(p!, q!)
    }
    b.lastU = d.u
    b.lastE = d.E
    b.lastT = d.T ?? 0
  }

  private snapshotBody(symbol: string, limit: number): string | null {
    const b = this.books.get(symbol)
    if (b === undefined) return null
    if (!b.started) return b.captured
    const side = (m: Map<string, string>, desc: boolean): string => {
      const levels = [...m.entries()].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0]))).slice(0, limit)
      return '[' + levels.map(([p, q]) => `["${p}","${q}"]`).join(',') + ']'
    }
    const head = this.market === 'usdm' ? `{"lastUpdateId":${b.lastU},"E":${b.lastE},"T":${b.lastT},` : `{"lastUpdateId":${b.lastU},`
    return `${head}"bids":${side(b.bids, true)},"asks":${side(b.asks, false)}}`
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1')
    this.requests.push(u.pathname + u.search)
    const send = (status: number, body: string | Buffer): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': String(this.requests.length) })
      res.end(body)
    }
    if (u.pathname === '/api/v3/exchangeInfo' || u.pathname === '/fapi/v1/exchangeInfo') {
      if (this.exchangeInfo === null) send(404, '{"code":-1,"msg":"no exchangeInfo"}')
      else send(200, this.exchangeInfo)
      return
    }
    if (u.pathname === '/api/v3/depth' || u.pathname === '/fapi/v1/depth') {
      this.depthRequests++
      if (this.depthFailures > 0) {
        this.depthFailures--
        send(500, '{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}')
        return
      }
      const symbol = (u.searchParams.get('symbol') ?? '').toUpperCase()
      const limit = Number.parseInt(u.searchParams.get('limit') ?? '100', 10)
      const body = this.snapshotBody(symbol, limit)
      if (body === null) send(400, '{"code":-1121,"msg":"Invalid symbol."}')
      else send(200, body)
      return
    }
    send(404, '{"code":-1,"msg":"not found"}')
  }

  private onConnection(ws: WebSocket, url: string): void {
    const u = new URL(url, 'http://127.0.0.1')
    const c: Client = { id: this.nextClientId++, ws, combined: true, streams: new Set(), stalled: false, path: u.pathname }
    if (u.pathname.startsWith('/ws')) {
      c.combined = false
      const s = u.pathname.slice(4)
      if (s !== '') c.streams.add(s)
    } else {
      for (const s of (u.searchParams.get('streams') ?? '').split('/')) if (s !== '') c.streams.add(s)
    }
    this.clients.add(c)
    this.connections++
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onControl(c, data.toString())
    })
    ws.on('ping', (data) => {
      this.clientPings++
      if (!this.ignorePings) ws.pong(data)
    })
    ws.on('pong', (data) => {
      if (this.pingPayloads.delete(data.toString('hex'))) this.pongsMatched++
      else this.pongsMismatched++
    })
    ws.on('close', (code) => {
      this.closeCodes.push(code)
      this.clients.delete(c)
    })
    ws.on('error', () => this.clients.delete(c))
    if (c.streams.size > 0 && this.autoStart) this.start()
  }

  private onControl(c: Client, text: string): void {
    let req: { method?: unknown; params?: unknown; id?: unknown }
    try {
      req = JSON.parse(text) as typeof req
    } catch {
      c.ws.send(`{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}`)
      return
    }
    const id = typeof req.id === 'number' ? req.id : null
    const params = Array.isArray(req.params) ? (req.params as unknown[]) : []
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        this.subscribeRequests++
        for (const p of params) {
          if (typeof p !== 'string' || !/^[a-z0-9_]+@[A-Za-z0-9_@]+$/.test(p) || this.refuse.has(p)) {
            c.ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: invalid stream' }, id }))
            return
          }
        }
        for (const p of params as string[]) {
          if (req.method === 'SUBSCRIBE') c.streams.add(p)
          else c.streams.delete(p)
        }
        c.ws.send(JSON.stringify({ result: null, id }))
        if (req.method === 'SUBSCRIBE' && this.autoStart) this.start()
        return
      }
      case 'LIST_SUBSCRIPTIONS':
        c.ws.send(JSON.stringify({ result: [...c.streams], id }))
        return
      default:
        c.ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: unknown variant' }, id }))
    }
  }

  private pingAll(): void {
    for (const c of this.clients) {
      const payload = Buffer.from(`p${++this.pingSeq}`)
      this.pingPayloads.add(payload.toString('hex'))
      c.ws.ping(payload)
      this.pingsSent++
    }
  }
}

/** Creates and starts a replay server. */
export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  return await new ReplayServer(options).listen()
}
