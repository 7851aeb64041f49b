/**
 * REST plumbing of the simulator: request parsing (query string and
 * form body, the query winning on duplicates, as Binance does), a route
 * table, request-weight accounting per IP with `X-MBX-USED-WEIGHT-1M`, 429
 * with `Retry-After` when the limit is exceeded and 418 (banned) for a client
 * that keeps going, and Binance's `{"code","msg"}` error bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BinanceError, Err } from './wire.js'

export interface RestRequest {
  method: string
  path: string
  /** the raw query string as sent (without '?') */
  rawQuery: string
  /** the raw body as sent */
  rawBody: string
  /** parameters, query string winning over the body */
  params: Map<string, string>
  /** names present in both or twice */
  duplicate: string | null
  ip: string
  apiKey: string | null
  /** server receive time, epoch ms */
  nowMs: number
}

export interface RestResult {
  status: number
  body: string
  headers?: Record<string, string>
}

export type RestHandler = (req: RestRequest) => RestResult | Promise<RestResult> | null
export type WeightFn = (req: RestRequest) => number

interface Route {
  weight: WeightFn
  handler: RestHandler
}

/** Per-IP weight window. */
class IpWeight {
  windowStartMs = 0
  used = 0
  over = 0
  bannedUntilMs = 0
}

export interface RestStats {
  requests: number
  errors: number
  rateLimited: number
  banned: number
  notFound: number
  faultsInjected: number
}

/** A pending injected REST fault: the next `count` requests to `path` fail with `status`. */
export interface RestFault {
  path: string
  status: 500 | 429 | 418 | 503
  count: number
  retryAfterSec: number
}

export const MAX_BODY_BYTES = 64 * 1024

export class RestRouter {
  readonly stats: RestStats = { requests: 0, errors: 0, rateLimited: 0, banned: 0, notFound: 0, faultsInjected: 0 }
  readonly weightLimit: number
  /** requests over the limit after which an IP is banned, and for how long */
  readonly banAfter = 20
  readonly banMs = 120_000
  readonly faults: RestFault[] = []
  private readonly routes = new Map<string, Route>()
  private readonly ips = new Map<string, IpWeight>()
  private readonly nowMs: () => number

  constructor(weightLimit: number, nowMs: () => number) {
    this.weightLimit = weightLimit
    this.nowMs = nowMs
  }

  add(method: string, path: string, weight: number | WeightFn, handler: RestHandler): void {
    this.routes.set(`${method} ${path}`, { weight: typeof weight === 'number' ? () => weight : weight, handler })
  }

  has(method: string, path: string): boolean {
    return this.routes.has(`${method} ${path}`)
  }

  usedWeight(ip: string): number {
    const w = this.ips.get(ip)
    if (w === undefined) return 0
    return this.nowMs() - w.windowStartMs >= 60_000 ? 0 : w.used
  }

  /**
   * Charges `weight` to `ip` outside HTTP (the WebSocket API shares the IP's
   * weight). Returns the error to send when the IP is over its limit or banned.
   */
  charge(ip: string, weight: number): BinanceError | null {
    const now = this.nowMs()
    const w = this.window(ip, now)
    if (w.bannedUntilMs > now) return Err.banned(w.bannedUntilMs, Math.ceil((w.bannedUntilMs - now) / 1000))
    if (w.used + weight > this.weightLimit) {
      this.stats.rateLimited++
      return Err.tooManyWeight(this.weightLimit, Math.max(1, Math.ceil((w.windowStartMs + 60_000 - now) / 1000)))
    }
    w.used += weight
    return null
  }

  /** Forgets all weight counters (tests). */
  resetWeights(): void {
    this.ips.clear()
  }

  /** Serves one HTTP request (the caller has read the body). */
  async serve(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
    this.stats.requests++
    const now = this.nowMs()
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const rawQuery = q < 0 ? '' : url.slice(q + 1)
    const method = req.method ?? 'GET'
    const ip = req.socket.remoteAddress ?? ''
    const route = this.routes.get(`${method} ${path}`)
    if (route === undefined) {
      this.stats.notFound++
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${path}`))
      send(res, known ? 405 : 404, known ? '{"code":-1000,"msg":"Method not allowed."}' : '', {})
      return
    }
    const apiKeyHeader = req.headers['x-mbx-apikey']
    const rr: RestRequest = {
      method,
      path,
      rawQuery,
      rawBody,
      params: new Map(),
      duplicate: null,
      ip,
      apiKey: typeof apiKeyHeader === 'string' ? apiKeyHeader : null,
      nowMs: now,
    }
    const ctype = req.headers['content-type'] ?? ''
    const bodyParams = rawBody !== '' && (ctype === '' || ctype.startsWith('application/x-www-form-urlencoded')) ? rawBody : ''
    try {
      parseParams(rr, bodyParams, false)
      parseParams(rr, rawQuery, true)
    } catch (err) {
      this.reply(res, ip, err instanceof BinanceError ? err : Err.unknown(), 0)
      return
    }
    const w = this.window(ip, now)
    if (w.bannedUntilMs > now) {
      this.stats.banned++
      this.reply(res, ip, Err.banned(w.bannedUntilMs, Math.ceil((w.bannedUntilMs - now) / 1000)), 0)
      return
    }
    let weight = 1
    try {
      weight = route.weight(rr)
    } catch {
      weight = 1
    }
    if (w.used + weight > this.weightLimit) {
      w.over++
      if (w.over > this.banAfter) {
        w.bannedUntilMs = now + this.banMs
        this.stats.banned++
        this.reply(res, ip, Err.banned(w.bannedUntilMs, Math.ceil(this.banMs / 1000)), 0)
        return
      }
      this.stats.rateLimited++
      this.reply(res, ip, Err.tooManyWeight(this.weightLimit, Math.max(1, Math.ceil((w.windowStartMs + 60_000 - now) / 1000))), 0)
      return
    }
    w.used += weight
    const fault = this.takeFault(path)
    if (fault !== null) {
      this.stats.faultsInjected++
      const e =
        fault.status === 429
          ? Err.tooManyWeight(this.weightLimit, fault.retryAfterSec)
          : fault.status === 418
            ? Err.banned(now + fault.retryAfterSec * 1000, fault.retryAfterSec)
            : fault.status === 503
              ? Err.timeout()
              : Err.unknown('Internal error; unable to process your request. Please try again.')
      this.reply(res, ip, e, 0)
      return
    }
    let result: RestResult | null
    try {
      result = await route.handler(rr)
    } catch (err) {
      // Failed requests to weight-0 endpoints (orders) are charged 1, as Binance does.
      this.reply(res, ip, err instanceof BinanceError ? err : Err.unknown(), weight === 0 ? 1 : 0)
      return
    }
    if (result === null) return // a fault: never answered (the socket is left to time out)
    if (result.status >= 400) this.stats.errors++
    send(res, result.status, result.body, { 'X-MBX-USED-WEIGHT-1M': String(this.usedWeight(ip)), ...(result.headers ?? {}) })
  }

  private takeFault(path: string): RestFault | null {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i]!
      if (f.path === path || f.path === '*') {
        if (--f.count <= 0) this.faults.splice(i, 1)
        return f
      }
    }
    return null
  }

  private window(ip: string, now: number): IpWeight {
    let w = this.ips.get(ip)
    if (w === undefined) {
      w = new IpWeight()
      this.ips.set(ip, w)
    }
    if (now - w.windowStartMs >= 60_000) {
      w.windowStartMs = now - (now % 60_000)
      w.used = 0
      w.over = 0
    }
    return w
  }

  /** Sends a Binance error (charging `weight` extra to the IP). */
  reply(res: ServerResponse, ip: string, err: BinanceError, weight: number): void {
    this.stats.errors++
    if (weight > 0) this.window(ip, this.nowMs()).used += weight
    const headers: Record<string, string> = { 'X-MBX-USED-WEIGHT-1M': String(this.usedWeight(ip)) }
    if (err.retryAfterSec > 0) headers['Retry-After'] = String(err.retryAfterSec)
    send(res, err.status, err.body(), headers)
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

/** Adds the parameters of a urlencoded string; `wins` overrides earlier values (the query string). */
function parseParams(rr: RestRequest, text: string, wins: boolean): void {
  if (text === '') return
  const seen = new Set<string>()
  for (const part of text.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    let k: string
    let v: string
    try {
      k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '))
      v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '))
    } catch {
      throw Err.illegalChars(eq < 0 ? part : part.slice(0, eq))
    }
    if (seen.has(k)) throw Err.duplicateParam()
    seen.add(k)
    if (rr.params.has(k) && !wins) continue
    rr.params.set(k, v)
  }
}

/** A parameter, or throws -1102 when missing or empty. */
export function required(rr: RestRequest | Map<string, string>, name: string): string {
  const p = rr instanceof Map ? rr : rr.params
  const v = p.get(name)
  if (v === undefined || v === '') throw Err.mandatory(name)
  return v
}

/** A parameter or null. */
export function optional(rr: RestRequest | Map<string, string>, name: string): string | null {
  const p = rr instanceof Map ? rr : rr.params
  const v = p.get(name)
  return v === undefined || v === '' ? null : v
}

export function ok(body: unknown, headers?: Record<string, string>): RestResult {
  return headers === undefined ? { status: 200, body: typeof body === 'string' ? body : JSON.stringify(body) } : { status: 200, body: typeof body === 'string' ? body : JSON.stringify(body), headers }
}
