/**
 * Binance REST client on undici (binance-protocol.md §3, §4.4, §4.5).
 *
 * - One undici Pool per base URL (keep-alive connections, `connections`
 *   bound). GET helpers return the status, the headers and the body as a
 *   Buffer: parsing is the caller's (the depth snapshot goes to the book's
 *   own decoder).
 * - Request weight: every request reserves its weight in a `WeightBudget`
 *   BEFORE it is sent; the budget is shared by everything that talks to the
 *   same IP (market data snapshots and order entry), and corrected from the
 *   `X-MBX-USED-WEIGHT-1M` header of every response. A request that would
 *   exceed the limit waits for the next minute window (bounded by
 *   `maxWaitMs`, FIFO); past that it is refused with VENUE_RATE_LIMITED.
 * - 429 → VENUE_RATE_LIMITED, 418 → VENUE_BANNED, both with `retryAfterMs`
 *   from `Retry-After`; the budget then refuses every request until that
 *   time (hammering a 429 is what turns it into a ban).
 * - 5xx → VENUE_HTTP with the status (`unknownOutcome`: for orders the
 *   execution status is unknown, §4.4); other 4xx → VENUE_REJECTED with the
 *   venue's {code, msg}; deadline → VENUE_TIMEOUT; the caller's abort rejects
 *   with the signal's reason.
 *
 * Cold path: snapshots and orders, not per frame.
 */
import { Pool } from 'undici'
import { ErrorCode, TickflowError } from '../../core/errors.js'
import { restApiPrefix, type BinanceMarket } from './urls.js'

const MINUTE_MS = 60_000

export interface WeightBudgetOptions {
  /** REQUEST_WEIGHT per minute (exchangeInfo.rateLimits). Spot 6000, USD-M 2400. Default 6000. */
  limitPerMinute?: number
  /** Share of the limit we allow ourselves (room for other processes on the IP). Default 0.9. */
  headroom?: number
  /** Longest wait for room in the budget before refusing. Default 60000 ms. */
  maxWaitMs?: number
  /** Wall clock in ms (tests). Default Date.now. */
  now?: () => number
}

interface BudgetWaiter {
  weight: number
  resolve: () => void
  reject: (err: unknown) => void
  timer: NodeJS.Timeout | null
  signal: AbortSignal | null
  onAbort: (() => void) | null
}

export interface WeightUsage {
  limit: number
  /** weight counted in the current minute (ours + what the venue reported) */
  used: number
  /** ms until the window rolls over */
  resetInMs: number
  /** epoch ms until which every request is refused (429/418), 0 when none */
  blockedUntilMs: number
  banned: boolean
  waiting: number
  refused: number
  /** last value of every X-MBX-USED-WEIGHT-(n)(unit) header seen, by lowercase interval ('1m', '1s' …) */
  reported: Record<string, number>
}

/**
 * The request-weight budget of one IP, shared by every REST user. Fixed
 * one-minute windows aligned to the clock minute (how X-MBX-USED-WEIGHT-1M
 * counts).
 */
export class WeightBudget {
  readonly limit: number
  readonly maxWaitMs: number
  private readonly now: () => number
  private windowStart = 0
  private used = 0
  private blockedUntil = 0
  private banned = false
  private refused = 0
  private readonly reported: Record<string, number> = {}
  private waiters: BudgetWaiter[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(options: WeightBudgetOptions = {}) {
    const limit = options.limitPerMinute ?? 6000
    const headroom = options.headroom ?? 0.9
    if (!(limit > 0) || !(headroom > 0 && headroom <= 1)) throw new RangeError('WeightBudget: limitPerMinute > 0 and 0 < headroom <= 1')
    this.limit = Math.floor(limit * headroom)
    this.maxWaitMs = options.maxWaitMs ?? 60_000
    this.now = options.now ?? Date.now
  }

  private roll(now: number): void {
    const start = now - (now % MINUTE_MS)
    if (start !== this.windowStart) {
      this.windowStart = start
      this.used = 0
    }
  }

  /** Takes `weight` now if it fits (and nothing is blocked or queued ahead). */
  tryReserve(weight: number): boolean {
    const now = this.now()
    this.roll(now)
    if (now < this.blockedUntil || this.waiters.length > 0) return false
    if (this.used + weight > this.limit) return false
    this.used += weight
    return true
  }

  /**
   * Reserves `weight`, waiting (FIFO) for the next window when it does not
   * fit. Rejects with VENUE_RATE_LIMITED / VENUE_BANNED (details.retryAfterMs)
   * while blocked by a 429/418, or when room would not come within maxWaitMs;
   * RangeError for a weight above the limit; the signal's reason on abort.
   */
  reserve(weight: number, signal?: AbortSignal | null, maxWaitMs = this.maxWaitMs): Promise<void> {
    if (!(weight >= 0) || weight > this.limit) return Promise.reject(new RangeError(`request weight ${weight} is outside 0..${this.limit}`))
    const sig = signal ?? null
    if (sig !== null && sig.aborted) return Promise.reject(sig.reason)
    const now = this.now()
    if (now < this.blockedUntil) {
      this.refused++
      return Promise.reject(this.blockedError(now))
    }
    if (this.tryReserve(weight)) return Promise.resolve()
    this.roll(now)
    const waitMs = this.windowStart + MINUTE_MS - now
    if (waitMs > maxWaitMs) {
      this.refused++
      return Promise.reject(
        new TickflowError(ErrorCode.VENUE_RATE_LIMITED, `request weight budget exhausted (${this.used}/${this.limit} this minute)`, {
          details: { retryAfterMs: waitMs, used: this.used, limit: this.limit, weight },
        }),
      )
    }
    return new Promise<void>((resolve, reject) => {
      const w: BudgetWaiter = { weight, resolve, reject, timer: null, signal: sig, onAbort: null }
      w.timer = setTimeout(() => {
        this.removeWaiter(w)
        this.refused++
        reject(
          new TickflowError(ErrorCode.VENUE_RATE_LIMITED, `no room in the request weight budget within ${maxWaitMs} ms`, {
            details: { retryAfterMs: this.windowStart + MINUTE_MS - this.now(), used: this.used, limit: this.limit, weight },
          }),
        )
      }, maxWaitMs)
      if (sig !== null) {
        w.onAbort = () => {
          this.removeWaiter(w)
          reject(sig.reason)
        }
        sig.addEventListener('abort', w.onAbort, { once: true })
      }
      this.waiters.push(w)
      this.schedule()
    })
  }

  private removeWaiter(w: BudgetWaiter): void {
    const i = this.waiters.indexOf(w)
    if (i >= 0) this.waiters.splice(i, 1)
    if (w.timer !== null) clearTimeout(w.timer)
    if (w.signal !== null && w.onAbort !== null) w.signal.removeEventListener('abort', w.onAbort)
  }

  private schedule(): void {
    if (this.timer !== null || this.waiters.length === 0) return
    const now = this.now()
    const at = Math.max(this.windowStart + MINUTE_MS, this.blockedUntil)
    this.timer = setTimeout(() => {
      this.timer = null
      this.admit()
    }, Math.max(1, at - now))
  }

  private admit(): void {
    const now = this.now()
    this.roll(now)
    while (this.waiters.length > 0 && now >= this.blockedUntil) {
      const w = this.waiters[0]!
      if (this.used + w.weight > this.limit) break
      this.used += w.weight
      this.waiters.shift()
      if (w.timer !== null) clearTimeout(w.timer)
      if (w.signal !== null && w.onAbort !== null) w.signal.removeEventListener('abort', w.onAbort)
      w.resolve()
    }
    this.schedule()
  }

  /** Reads X-MBX-USED-WEIGHT-(n)(unit) headers; the 1-minute one corrects our count. */
  observe(headers: Readonly<Record<string, string | string[] | undefined>>): void {
    const now = this.now()
    this.roll(now)
    for (const name in headers) {
      const lower = name.toLowerCase()
      if (!lower.startsWith('x-mbx-used-weight-')) continue
      const raw = headers[name]
      const v = Number.parseInt(Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? ''), 10)
      if (!Number.isFinite(v)) continue
      const interval = lower.slice('x-mbx-used-weight-'.length)
      this.reported[interval] = v
      // Our count includes requests still in flight; the venue's includes other processes on the IP.
      if (interval === '1m' && v > this.used) this.used = v
    }
  }

  /** Refuses every request for `retryAfterMs` (after a 429, or a 418 ban). */
  block(retryAfterMs: number, banned: boolean): void {
    const until = this.now() + retryAfterMs
    if (until > this.blockedUntil) {
      this.blockedUntil = until
      this.banned = banned
    }
  }

  private blockedError(now: number): TickflowError {
    const retryAfterMs = this.blockedUntil - now
    return this.banned
      ? new TickflowError(ErrorCode.VENUE_BANNED, `IP banned by the venue for another ${retryAfterMs} ms`, { details: { retryAfterMs } })
      : new TickflowError(ErrorCode.VENUE_RATE_LIMITED, `rate limited by the venue for another ${retryAfterMs} ms`, { details: { retryAfterMs } })
  }

  usage(): WeightUsage {
    const now = this.now()
    this.roll(now)
    return {
      limit: this.limit,
      used: this.used,
      resetInMs: this.windowStart + MINUTE_MS - now,
      blockedUntilMs: this.blockedUntil > now ? this.blockedUntil : 0,
      banned: this.blockedUntil > now && this.banned,
      waiting: this.waiters.length,
      refused: this.refused,
      reported: { ...this.reported },
    }
  }

  /** Rejects all waiters (shutdown). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    const err = new TickflowError(ErrorCode.VENUE_RATE_LIMITED, 'weight budget closed')
    for (const w of this.waiters.splice(0)) {
      if (w.timer !== null) clearTimeout(w.timer)
      if (w.signal !== null && w.onAbort !== null) w.signal.removeEventListener('abort', w.onAbort)
      w.reject(err)
    }
  }
}

/**
 * Weight of GET depth for `limit` (Spot /api/v3/depth: 1–100 → 5, 101–500 →
 * 25, 501–1000 → 50, 1001–5000 → 250, protocol §3.1; USD-M /fapi/v1/depth:
 * 5/10/20/50 → 2, 100 → 5, 500 → 10, 1000 → 20, Binance USD-M "Order Book"
 * page). RangeError for a limit the venue does not accept.
 */
export function depthWeight(market: BinanceMarket, limit: number): number {
  if (!Number.isInteger(limit)) throw new RangeError(`depth limit must be an integer, got ${limit}`)
  if (market === 'spot') {
    if (limit >= 1 && limit <= 100) return 5
    if (limit <= 500 && limit > 100) return 25
    if (limit <= 1000 && limit > 500) return 50
    if (limit <= 5000 && limit > 1000) return 250
    throw new RangeError(`Spot depth limit must be 1..5000, got ${limit}`)
  }
  switch (limit) {
    case 5:
    case 10:
    case 20:
    case 50:
      return 2
    case 100:
      return 5
    case 500:
      return 10
    case 1000:
      return 20
    default:
      throw new RangeError(`USD-M depth limit must be one of 5, 10, 20, 50, 100, 500, 1000, got ${limit}`)
  }
}

export interface RestResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** the raw body (parse it with the codec / JSON.parse as fits) */
  body: Buffer
  /** X-MBX-USED-WEIGHT-1M of this response, -1 when absent */
  usedWeight1m: number
}

export interface RestClientOptions {
  market: BinanceMarket
  /** REST origin, e.g. https://api.binance.com or http://127.0.0.1:port (simulator). */
  baseUrl: string
  /** Shared budget (pass the same one to every client on the IP). Default: a new one (Spot 6000/min, USD-M 2400/min). */
  budget?: WeightBudget
  /** Per-request deadline. Default 10000 ms (the venue itself gives up after 10 s, §4.4). */
  timeoutMs?: number
  /** undici Pool connections. Default 4. */
  connections?: number
  /** Headers sent with every request (e.g. X-MBX-APIKEY). */
  headers?: Record<string, string>
}

export interface RequestOptions {
  /** Request weight (venue docs). Default 1. */
  weight?: number
  signal?: AbortSignal | null
  timeoutMs?: number
  /** Longest wait for room in the budget. Default the budget's maxWaitMs. */
  maxBudgetWaitMs?: number
}

/** REST client of one Binance market at one base URL. */
export class BinanceRestClient {
  readonly market: BinanceMarket
  readonly baseUrl: string
  readonly budget: WeightBudget
  private readonly pool: Pool
  private readonly timeoutMs: number
  private readonly headers: Record<string, string>
  private requests = 0
  private failures = 0

  constructor(options: RestClientOptions) {
    const u = new URL(options.baseUrl)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`baseUrl must be http(s): ${options.baseUrl}`)
    this.market = options.market
    this.baseUrl = u.origin
    this.budget = options.budget ?? new WeightBudget({ limitPerMinute: options.market === 'spot' ? 6000 : 2400 })
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.headers = { accept: 'application/json', ...options.headers }
    this.pool = new Pool(this.baseUrl, { connections: options.connections ?? 4 })
  }

  /**
   * GET `path` (absolute, e.g. /api/v3/depth) with `query`. Resolves with the
   * body for 2xx; rejects with the coded errors described above.
   */
  async get(path: string, query: Readonly<Record<string, string | number>> = {}, options: RequestOptions = {}): Promise<RestResponse> {
    const weight = options.weight ?? 1
    const signal = options.signal ?? null
    await this.budget.reserve(weight, signal, options.maxBudgetWaitMs)
    const qs = new URLSearchParams()
    for (const k in query) qs.append(k, String(query[k]))
    const fullPath = qs.size > 0 ? `${path}?${qs.toString()}` : path
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    const timeout = AbortSignal.timeout(timeoutMs)
    const combined = signal !== null ? AbortSignal.any([signal, timeout]) : timeout
    this.requests++
    let status = 0
    let headers: Record<string, string | string[] | undefined> = {}
    let body: Buffer
    try {
      const res = await this.pool.request({ path: fullPath, method: 'GET', headers: this.headers, signal: combined })
      status = res.statusCode
      headers = res.headers as Record<string, string | string[] | undefined>
      body = Buffer.from(await res.body.arrayBuffer())
    } catch (err) {
      this.failures++
      if (signal !== null && signal.aborted) throw signal.reason
      if (timeout.aborted) {
        throw new TickflowError(ErrorCode.VENUE_TIMEOUT, `GET ${path}: no response within ${timeoutMs} ms`, {
          details: { path, timeoutMs, unknownOutcome: true },
          cause: err,
        })
      }
      throw new TickflowError(ErrorCode.VENUE_HTTP, `GET ${path} failed: ${(err as Error).message}`, { details: { path, status: 0 }, cause: err })
    }
    this.budget.observe(headers)
    const used = headerInt(headers['x-mbx-used-weight-1m'])
    if (status >= 200 && status < 300) return { status, headers, body, usedWeight1m: used }
    this.failures++
    throw this.httpError(path, status, headers, body)
  }

  private httpError(path: string, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): TickflowError {
    let venueCode = 0
    let venueMsg = ''
    try {
      const j = JSON.parse(body.toString('utf8')) as { code?: unknown; msg?: unknown }
      if (typeof j.code === 'number') venueCode = j.code
      if (typeof j.msg === 'string') venueMsg = j.msg
    } catch {
      venueMsg = body.subarray(0, 200).toString('utf8') // not JSON (a proxy or WAF page): keep the start of it
    }
    const retryAfterS = headerInt(headers['retry-after'])
    if (status === 429 || status === 418) {
      const banned = status === 418
      // Without Retry-After: until the next minute window (429), the minimum ban of 2 minutes (418).
      const retryAfterMs = retryAfterS >= 0 ? retryAfterS * 1000 : banned ? 120_000 : MINUTE_MS - (Date.now() % MINUTE_MS)
      this.budget.block(retryAfterMs, banned)
      return new TickflowError(
        banned ? ErrorCode.VENUE_BANNED : ErrorCode.VENUE_RATE_LIMITED,
        `GET ${path}: HTTP ${status} ${venueCode} ${venueMsg}; retry after ${retryAfterMs} ms`,
        { details: { path, status, venueCode, venueMsg, retryAfterMs } },
      )
    }
    if (status >= 500) {
      return new TickflowError(ErrorCode.VENUE_HTTP, `GET ${path}: HTTP ${status} (outcome unknown)`, {
        details: { path, status, venueCode, venueMsg, unknownOutcome: true },
      })
    }
    return new TickflowError(ErrorCode.VENUE_REJECTED, `GET ${path}: HTTP ${status} ${venueCode} ${venueMsg}`, {
      details: { path, status, venueCode, venueMsg },
    })
  }

  /**
   * GET depth snapshot (`/api/v3/depth` or `/fapi/v1/depth`) with its weight
   * for `limit` reserved first. The body is the raw JSON for the book.
   */
  async fetchDepth(symbol: string, limit: number, options: Omit<RequestOptions, 'weight'> = {}): Promise<RestResponse> {
    const weight = depthWeight(this.market, limit)
    return await this.get(`${restApiPrefix(this.market)}/depth`, { symbol: symbol.toUpperCase(), limit }, { ...options, weight })
  }

  /** GET exchangeInfo (weight 20 Spot, 1 USD-M). */
  fetchExchangeInfo(options: Omit<RequestOptions, 'weight'> = {}): Promise<RestResponse> {
    return this.get(`${restApiPrefix(this.market)}/exchangeInfo`, {}, { ...options, weight: this.market === 'spot' ? 20 : 1 })
  }

  stats(): { requests: number; failures: number; budget: WeightUsage } {
    return { requests: this.requests, failures: this.failures, budget: this.budget.usage() }
  }

  /** Closes the connection pool (waits for requests in flight). */
  close(): Promise<void> {
    return this.pool.close()
  }
}

function headerInt(v: string | string[] | undefined): number {
  const s = Array.isArray(v) ? v[0] : v
  if (s === undefined) return -1
  const n = Number.parseInt(s, 10)
  return Number.isFinite(n) ? n : -1
}
