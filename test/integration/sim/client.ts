/**
 * Plain clients for simulator tests, written from the protocol document
 * (../shared/docs/binance-protocol.md), independent of tickflow's own client
 * code: `ws` for WebSockets, undici for REST, node:crypto for signatures.
 */
import { createHmac, sign, type KeyObject } from 'node:crypto'
import { request } from 'undici'
import WebSocket from 'ws'
import { eventually } from '../../helpers/eventually.js'

export interface Msg {
  text: string
  json: unknown
}

/** A `ws` client that records every message. */
export class Client {
  readonly ws: WebSocket
  readonly msgs: Msg[] = []
  closed = false
  closeCode = 0
  pings = 0
  private cursor = 0

  constructor(url: string, opts: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, opts)
    this.ws.on('message', (d: Buffer) => {
      const text = d.toString('utf8')
      let json: unknown = null
      try {
        json = JSON.parse(text)
      } catch {
        json = null
      }
      this.msgs.push({ text, json })
    })
    this.ws.on('ping', () => this.pings++)
    this.ws.on('close', (code) => {
      this.closed = true
      this.closeCode = code
    })
    this.ws.on('error', () => undefined)
  }

  static async open(url: string, opts: WebSocket.ClientOptions = {}): Promise<Client> {
    const c = new Client(url, opts)
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve())
      c.ws.once('error', reject)
      c.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    })
    return c
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj))
  }

  /** Waits for the first message (from the start) matching `pred`. */
  async find<T = Record<string, unknown>>(pred: (j: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<T> {
    let hit: unknown = undefined
    await eventually(() => {
      for (const m of this.msgs) {
        if (m.json !== null && typeof m.json === 'object' && pred(m.json as Record<string, unknown>)) {
          hit = m.json
          return true
        }
      }
      return false
    }, timeoutMs)
    return hit as T
  }

  /** Waits for the next not-yet-consumed message matching `pred` and consumes up to it. */
  async next<T = Record<string, unknown>>(pred: (j: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<T> {
    let hit: unknown = undefined
    await eventually(() => {
      for (let i = this.cursor; i < this.msgs.length; i++) {
        const j = this.msgs[i]!.json
        if (j !== null && typeof j === 'object' && pred(j as Record<string, unknown>)) {
          this.cursor = i + 1
          hit = j
          return true
        }
      }
      return false
    }, timeoutMs)
    return hit as T
  }

  /** Sends a request and waits for the reply with the same id. */
  async call<T = Record<string, unknown>>(obj: Record<string, unknown>, timeoutMs = 5000): Promise<T> {
    this.send(obj)
    return this.find<T>((j) => j.id === obj.id && ('result' in j || 'error' in j || 'status' in j), timeoutMs)
  }

  all(): Array<Record<string, unknown>> {
    return this.msgs.map((m) => m.json as Record<string, unknown>).filter((j) => j !== null && typeof j === 'object')
  }

  async close(): Promise<void> {
    if (this.closed) return
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve())
      this.ws.terminate()
    })
  }
}

export interface HttpResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
  text: string
}

export async function http(method: string, url: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  const res = await request(url, { method: method as 'GET', headers: opts.headers, body: opts.body })
  const text = await res.body.text()
  let body: unknown = null
  try {
    body = JSON.parse(text)
  } catch {
    body = null
  }
  return { status: res.statusCode, headers: res.headers, body, text }
}

export function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex')
}

/** Query string from ordered pairs, percent-encoded as a client sends it. */
export function qs(params: Array<[string, string | number]>): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')
}

export interface Creds {
  apiKey: string
  secret?: string
  privateKey?: KeyObject
}

/** Signs a REST payload: HMAC hex, or Ed25519 base64 percent-encoded. */
export function restSignature(c: Creds, payload: string): string {
  if (c.secret !== undefined) return hmacHex(c.secret, payload)
  return encodeURIComponent(sign(null, Buffer.from(payload), c.privateKey!).toString('base64'))
}

/** A signed REST request with the signature in the query string (timestamp = now unless given). */
export async function signed(base: string, c: Creds, method: string, path: string, params: Array<[string, string | number]>, opts: { timestamp?: number; inBody?: boolean } = {}): Promise<HttpResult> {
  const all = [...params]
  if (!all.some(([k]) => k === 'timestamp')) all.push(['timestamp', opts.timestamp ?? Date.now()])
  const payload = qs(all)
  const sig = restSignature(c, payload)
  if (opts.inBody === true) {
    return http(method, `${base}${path}`, {
      headers: { 'X-MBX-APIKEY': c.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: `${payload}&signature=${sig}`,
    })
  }
  return http(method, `${base}${path}?${payload}&signature=${sig}`, { headers: { 'X-MBX-APIKEY': c.apiKey } })
}

/** WS-API params signed: sorted by name, not encoded, apiKey included (protocol §4.3). */
export function wsApiSign(c: Creds, params: Record<string, string | number | boolean>): Record<string, string | number | boolean> {
  const p: Record<string, string | number | boolean> = { ...params, apiKey: c.apiKey }
  if (p.timestamp === undefined) p.timestamp = Date.now()
  const payload = Object.keys(p)
    .sort()
    .map((k) => `${k}=${String(p[k])}`)
    .join('&')
  p.signature = c.secret !== undefined ? hmacHex(c.secret, payload) : sign(null, Buffer.from(payload), c.privateKey!).toString('base64')
  return p
}

/** Mantissa at scale 8 of a decimal string (test-side, independent of src/core). */
export function m8(s: string): bigint {
  const neg = s.startsWith('-')
  const t = neg ? s.slice(1) : s
  const [i, f = ''] = t.split('.')
  const v = BigInt(i! + (f + '00000000').slice(0, 8))
  return neg ? -v : v
}
