/**
 * Signed REST calls for the order gateway (undici Pool, one per base URL):
 * order entry, cancels, queries, trade history, listenKey, server time.
 *
 * Outcomes are classified, never thrown for venue answers (protocol §4.4):
 *   ok          2xx, JSON body
 *   rejected    4xx with a Binance code (the request did nothing)
 *   rateLimited 429 / 418 (with Retry-After), also a rejection
 *   unknown     5xx, -1007, 409, timeout or a network error: the request may
 *               or may not have been executed
 * Weight is shared with the market-data side through rest.ts's `WeightBudget`
 * (one per IP): queries reserve their weight before they go (and wait or are
 * refused like any other request); order entry does not wait for weight
 * (successful orders cost 0 weight since 2026-04-02, protocol §4.5) but is
 * refused while the budget is blocked by a 429/418. Every response's
 * `X-MBX-USED-WEIGHT-*` headers and every Retry-After update the budget.
 */
import { Pool } from 'undici'
import { epochMs } from '../../../core/clock.js'
import type { WeightBudget } from '../rest.js'
import { restPayload, type Param, type Signer } from './signing.js'
import type { ServerTime } from './time-sync.js'

/** How a request ended. */
export const Outcome = { Ok: 0, Rejected: 1, RateLimited: 2, Banned: 3, Unknown: 4 } as const
export type OutcomeValue = (typeof Outcome)[keyof typeof Outcome]

export interface RestResult {
  outcome: OutcomeValue
  status: number
  /** parsed JSON body (ok), or null */
  body: unknown
  /** Binance error code (0 when none) and message */
  code: number
  msg: string
  /** epoch ms until which requests must not be sent (429/418), else 0 */
  retryUntilMs: number
}

export interface RestClientOptions {
  baseUrl: string
  apiKey: string
  signer: Signer | null
  time: ServerTime
  recvWindowMs: number
  timeoutMs: number
  /** the per-IP request-weight budget shared with market data (rest.ts) */
  budget: WeightBudget
}

/** Classifies an HTTP status + Binance code (protocol §4.4 HTTP semantics). */
export function classify(status: number, code: number): OutcomeValue {
  if (status >= 200 && status < 300) return Outcome.Ok
  if (status === 429) return Outcome.RateLimited
  if (status === 418) return Outcome.Banned
  if (status >= 500 || status === 409 || code === -1007) return Outcome.Unknown
  return Outcome.Rejected
}

export class BinanceRestClient {
  private readonly pool: Pool
  private readonly o: RestClientOptions
  requests = 0
  failures = 0

  constructor(o: RestClientOptions) {
    this.o = o
    this.pool = new Pool(o.baseUrl, { connections: 4, pipelining: 1, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs, keepAliveTimeout: 30_000 })
  }

  /** Samples GET /api/v3/time `n` times and sets the server-time offset. */
  async syncTime(n = 3): Promise<void> {
    for (let i = 0; i < n; i++) {
      const t0 = epochMs()
      await this.o.budget.reserve(1)
      const r = await this.call('GET', '/api/v3/time', [], false, false)
      const t1 = epochMs()
      if (r.outcome !== Outcome.Ok) throw new Error(`GET /api/v3/time failed: ${r.status} ${r.msg}`)
      this.o.time.addSample(t0, t1, (r.body as { serverTime: number }).serverTime, i === 0)
    }
  }

  /** A SIGNED request: params + recvWindow + timestamp, signed, in the query string. */
  async signed(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, params: Param[], weight = 0): Promise<RestResult> {
    if (weight > 0) await this.o.budget.reserve(weight)
    params.push(['recvWindow', String(this.o.recvWindowMs)], ['timestamp', String(this.o.time.timestamp())])
    return this.call(method, path, params, true, true)
  }

  /** An API-key-only request (listenKey endpoints, weight 2). */
  async keyed(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, params: Param[]): Promise<RestResult> {
    await this.o.budget.reserve(2)
    return this.call(method, path, params, true, false)
  }

  /** epoch ms until which the venue told us to stay away (429/418), 0 when free. */
  blockedUntilMs(): number {
    return this.o.budget.usage().blockedUntilMs
  }

  private async call(method: string, path: string, params: Param[], withKey: boolean, sign: boolean): Promise<RestResult> {
    this.requests++
    let query = restPayload(params)
    if (sign) {
      if (this.o.signer === null) throw new Error('no signing key configured')
      query += `${query === '' ? '' : '&'}signature=${this.o.signer.signForRest(query)}`
    }
    const headers: Record<string, string> = withKey ? { 'X-MBX-APIKEY': this.o.apiKey } : {}
    try {
      const res = await this.pool.request({ method: method as 'GET', path: query === '' ? path : `${path}?${query}`, headers, signal: AbortSignal.timeout(this.o.timeoutMs) })
      const text = await res.body.text()
      this.o.budget.observe(res.headers)
      let body: unknown = null
      try {
        body = text === '' ? null : JSON.parse(text)
      } catch {
        body = null // a non-JSON body (proxy error page): classified by status below
      }
      const err = body !== null && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'number' ? (body as { code: number; msg?: string }) : null
      const outcome = classify(res.statusCode, err?.code ?? 0)
      let retryUntilMs = 0
      if (outcome === Outcome.RateLimited || outcome === Outcome.Banned) {
        const ra = res.headers['retry-after']
        const sec = typeof ra === 'string' ? Number.parseInt(ra, 10) : NaN
        const waitMs = Number.isFinite(sec) ? sec * 1000 : 60_000
        retryUntilMs = epochMs() + waitMs
        this.o.budget.block(waitMs, outcome === Outcome.Banned)
      }
      if (outcome !== Outcome.Ok) this.failures++
      return { outcome, status: res.statusCode, body: outcome === Outcome.Ok ? body : null, code: err?.code ?? 0, msg: err?.msg ?? (outcome === Outcome.Ok ? '' : text.slice(0, 200)), retryUntilMs }
    } catch (e) {
      this.failures++
      // timeout, connection reset, DNS …: the request may have reached the venue
      return { outcome: Outcome.Unknown, status: 0, body: null, code: 0, msg: (e as Error).message ?? String(e), retryUntilMs: 0 }
    }
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}
