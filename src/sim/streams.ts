/**
 * Market-data WebSocket endpoints: `/ws/<stream>`, `/stream?streams=a/b`,
 * user data on `/ws/<listenKey>`, and the live control methods SUBSCRIBE,
 * UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY and GET_PROPERTY with
 * Binance's replies and error objects (protocol §1.1, §2).
 *
 * Stream names: `<symbol>@trade|aggTrade|bookTicker|depth[@100ms|@1000ms]|
 * depth<5|10|20>[@100ms|@1000ms]|kline_<interval>|miniTicker|ticker`, with a
 * lowercase symbol of the simulator. `@1000ms` is an alias of the default
 * speed and is normalised away (LIST_SUBSCRIPTIONS shows the canonical name).
 */
import type { WsConn, WsHandler } from '../transport/ws-server.js'
import { WsCloseReason } from '../transport/ws-server.js'
import { Hub, StreamSession } from './hub.js'
import { KLINE_INTERVALS } from './encode.js'

/** Binance's per-connection stream limit. */
export const MAX_STREAMS = 1024

const INTERVALS = KLINE_INTERVALS.map(([iv]) => iv).join('|')
const STREAM_RE = new RegExp(
  `^([a-z0-9]{2,20})@(trade|aggTrade|bookTicker|depth(?:@100ms|@1000ms)?|depth(?:5|10|20)(?:@100ms|@1000ms)?|kline_(?:${INTERVALS})|miniTicker|ticker)$`,
)

export interface StreamStats {
  controlMessages: number
  controlErrors: number
  sessionsOpen: number
}

/** Resolves stream names; the simulator answers whether a symbol / listenKey exists. */
export interface StreamDirectory {
  hasSymbol(upper: string): boolean
  isListenKey(name: string): boolean
}

/** Canonical stream name, or null when invalid. */
export function canonicalStream(name: string, dir: StreamDirectory): string | null {
  if (dir.isListenKey(name)) return name
  const m = STREAM_RE.exec(name)
  if (m === null) return null
  if (!dir.hasSymbol(m[1]!.toUpperCase())) return null
  return name.endsWith('@1000ms') ? name.slice(0, -7) : name
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function reply(conn: WsConn, body: string): void {
  conn.send(body)
}

function errorReply(conn: WsConn, stats: StreamStats, code: number, msg: string, id: Json): void {
  stats.controlErrors++
  reply(conn, JSON.stringify({ error: { code, msg }, id: id === undefined ? null : id }))
}

/** Column of the first character of `key` in the raw text (1-based), for serde-style messages. */
function columnAfter(text: string): number {
  return text.length
}

export class StreamEndpoint implements WsHandler {
  readonly stats: StreamStats = { controlMessages: 0, controlErrors: 0, sessionsOpen: 0 }
  private readonly hub: Hub
  private readonly dir: StreamDirectory
  /** called when a session opens/closes (listenKey bookkeeping) */
  onSessionOpen: ((s: StreamSession) => void) | null = null
  onSessionClose: ((s: StreamSession) => void) | null = null
  readonly sessions = new Set<StreamSession>()

  constructor(hub: Hub, dir: StreamDirectory) {
    this.hub = hub
    this.dir = dir
  }

  /**
   * Validates the URL of an upgrade: returns the initial streams, or null to
   * refuse it (unknown path, invalid stream, too many streams).
   */
  initialStreams(pathname: string, query: URLSearchParams): { streams: string[]; combined: boolean } | null {
    let names: string[]
    let combined: boolean
    if (pathname === '/ws' || pathname === '/ws/') {
      names = []
      combined = false
    } else if (pathname.startsWith('/ws/')) {
      names = pathname.slice(4).split('/').filter((s) => s !== '')
      combined = false
    } else if (pathname === '/stream' || pathname === '/stream/') {
      const q = query.get('streams')
      names = q === null ? [] : q.split('/').filter((s) => s !== '')
      combined = true
    } else {
      return null
    }
    if (names.length > MAX_STREAMS) return null
    const out: string[] = []
    for (const n of names) {
      const c = canonicalStream(n, this.dir)
      if (c === null) return null
      if (!out.includes(c)) out.push(c)
    }
    return { streams: out, combined }
  }

  onOpen(conn: WsConn): void {
    const init = this.initialStreams(conn.pathname, conn.query)
    const tu = conn.query.get('timeUnit')
    const micro = tu !== null && tu.toLowerCase() === 'microsecond'
    const s = new StreamSession(conn, init === null ? false : init.combined, micro)
    conn.state = s
    this.sessions.add(s)
    this.stats.sessionsOpen++
    if (init === null) {
      // valid at the upgrade, not any more (a listenKey expired in between)
      conn.close(1008, 'invalid stream', WsCloseReason.Handler)
      return
    }
    for (const n of init.streams) this.hub.subscribe(s, n)
    if (this.onSessionOpen !== null) this.onSessionOpen(s)
  }

  onClose(conn: WsConn): void {
    const s = conn.state as StreamSession
    this.hub.dropSession(s)
    this.sessions.delete(s)
    this.stats.sessionsOpen--
    if (s.onClosed !== null) s.onClosed()
    if (this.onSessionClose !== null) this.onSessionClose(s)
  }

  onDrain(conn: WsConn): void {
    const s = conn.state as StreamSession
    if (s.onDrain !== null) s.onDrain()
  }

  onMessage(conn: WsConn, data: Buffer, isBinary: boolean): void {
    this.stats.controlMessages++
    const s = conn.state as StreamSession
    const text = isBinary ? '' : data.toString('utf8')
    let msg: unknown
    try {
      msg = JSON.parse(text)
    } catch {
      errorReply(conn, this.stats, 3, `Invalid JSON: expected value at line 1 column 1`, null)
      return
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      errorReply(conn, this.stats, 3, `Invalid JSON: expected value at line 1 column 1`, null)
      return
    }
    const req = msg as Record<string, Json>
    const id = req.id === undefined ? null : req.id
    if (id !== null && !(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) {
      errorReply(conn, this.stats, 2, 'Invalid request: request ID must be an unsigned integer', null)
      return
    }
    const method = req.method
    if (method === undefined) {
      errorReply(conn, this.stats, 2, `Invalid request: missing field \`method\` at line 1 column ${columnAfter(text)}`, id)
      return
    }
    const params = req.params
    switch (method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || params.some((p) => typeof p !== 'string')) {
          errorReply(conn, this.stats, 2, 'Invalid request: invalid stream', id)
          return
        }
        const names: string[] = []
        for (const p of params as string[]) {
          const c = canonicalStream(p, this.dir)
          if (c === null) {
            errorReply(conn, this.stats, 2, 'Invalid request: invalid stream', id)
            return
          }
          names.push(c)
        }
        if (method === 'SUBSCRIBE') {
          let total = s.topics.size
          for (const n of names) if (!s.topics.has(n)) total++
          if (total > MAX_STREAMS) {
            errorReply(conn, this.stats, 2, `Invalid request: too many streams, limit is ${MAX_STREAMS}`, id)
            return
          }
          for (const n of names) this.hub.subscribe(s, n)
        } else {
          for (const n of names) this.hub.unsubscribe(s, n)
        }
        reply(conn, JSON.stringify({ result: null, id }))
        return
      }
      case 'LIST_SUBSCRIPTIONS':
        reply(conn, JSON.stringify({ result: [...s.topics.keys()], id }))
        return
      case 'SET_PROPERTY': {
        if (!this.propertyParams(conn, params, 2, id)) return
        if (typeof params[1] !== 'boolean') {
          errorReply(conn, this.stats, 1, 'Invalid value type: expected Boolean', id)
          return
        }
        this.setCombined(s, params[1])
        reply(conn, JSON.stringify({ result: null, id }))
        return
      }
      case 'GET_PROPERTY': {
        if (!this.propertyParams(conn, params, 1, id)) return
        reply(conn, JSON.stringify({ result: s.combined, id }))
        return
      }
      default:
        errorReply(
          conn,
          this.stats,
          2,
          `Invalid request: unknown variant \`${typeof method === 'string' ? method : JSON.stringify(method)}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\` at line 1 column 28`,
          id,
        )
    }
  }

  /** Flips the envelope of a session; its topic counts stay valid (they count time units, not envelopes). */
  /**
   * SET_PROPERTY / GET_PROPERTY parameter checks, in Binance's order: count,
   * name type, known name. Replies with the error and returns false when one fails.
   */
  private propertyParams(conn: WsConn, params: unknown, arity: number, id: Json): params is unknown[] {
    if (!Array.isArray(params) || params.length < arity) {
      errorReply(conn, this.stats, 2, 'Invalid request: too few parameters', id)
      return false
    }
    if (params.length > arity) {
      errorReply(conn, this.stats, 2, 'Invalid request: too many parameters', id)
      return false
    }
    if (typeof params[0] !== 'string') {
      errorReply(conn, this.stats, 2, 'Invalid request: property name must be a string', id)
      return false
    }
    if (params[0] !== 'combined') {
      errorReply(conn, this.stats, 0, 'Unknown property', id)
      return false
    }
    return true
  }

  private setCombined(s: StreamSession, on: boolean): void {
    s.combined = on
  }

  /** Sends a pre-encoded event to every session (serverShutdown). */
  broadcast(raw: string): void {
    for (const s of this.sessions) {
      s.conn.send(s.combined ? `{"stream":"!serverShutdown","data":${raw}}` : raw)
    }
  }
}
