/**
 * Binance endpoints and stream URLs (binance-protocol.md §1.1, §7, §8).
 *
 * - Spot streams: `<ws>/ws/<stream>` (raw payloads) or
 *   `<ws>/stream?streams=a/b` (combined: `{"stream":…,"data":…}`).
 * - USD-M streams are ROUTED since 2026-04-23: `/public` carries depth and
 *   bookTicker, `/market` aggTrade, kline, markPrice, ticker, forceOrder …;
 *   an unrouted URL only gets the /public tier (§8). Where `@trade` lives is
 *   not settled (one third-party source says /public); it is routed to
 *   /public here and can be overridden per stream kind with `tierOverrides`.
 * - Testnet / demo bases from §7; a custom base (the simulator) takes any
 *   ws:// and http:// origin and says whether it is routed.
 */

export type BinanceMarket = 'spot' | 'usdm'
export type BinanceEnvironment = 'prod' | 'testnet' | 'demo'
/** USD-M routing tier. */
export type UsdmTier = 'public' | 'market'

export interface BinanceEndpoints {
  market: BinanceMarket
  /** WebSocket stream origin, no trailing slash (e.g. wss://stream.binance.com:9443). */
  wsBase: string
  /** REST origin, no trailing slash (e.g. https://api.binance.com). */
  restBase: string
  /** USD-M /public and /market routing applies (prod USD-M: true). */
  routed: boolean
}

const BASES: Record<BinanceMarket, Partial<Record<BinanceEnvironment, Omit<BinanceEndpoints, 'market'>>>> = {
  spot: {
    prod: { wsBase: 'wss://stream.binance.com:9443', restBase: 'https://api.binance.com', routed: false },
    testnet: { wsBase: 'wss://stream.testnet.binance.vision', restBase: 'https://testnet.binance.vision', routed: false },
    demo: { wsBase: 'wss://demo-stream.binance.com', restBase: 'https://demo-api.binance.com', routed: false },
  },
  usdm: {
    prod: { wsBase: 'wss://fstream.binance.com', restBase: 'https://fapi.binance.com', routed: true },
    // §7: third-party constants, not checked against official docs; routing on testnet is unknown.
    testnet: { wsBase: 'wss://fstream.binancefuture.com', restBase: 'https://testnet.binancefuture.com', routed: false },
    // demo: streams wss://demo-fstream.binance.com are known (§7) but no REST base is: use customEndpoints().
  },
}

/** The market-data-only REST base for Spot (no user data, §1.1 [MDO]). */
export const SPOT_MARKET_DATA_REST = 'https://data-api.binance.vision'

/** Endpoints of a Binance environment. */
export function binanceEndpoints(market: BinanceMarket, env: BinanceEnvironment = 'prod'): BinanceEndpoints {
  const b = BASES[market]?.[env]
  if (b === undefined) throw new RangeError(`unknown Binance market/environment ${market}/${env}`)
  return { market, ...b }
}

/** Endpoints at a custom origin (the simulator): `ws://127.0.0.1:port`, `http://127.0.0.1:port`. */
export function customEndpoints(market: BinanceMarket, wsBase: string, restBase: string, routed = false): BinanceEndpoints {
  for (const [name, v, schemes] of [
    ['wsBase', wsBase, ['ws:', 'wss:']],
    ['restBase', restBase, ['http:', 'https:']],
  ] as const) {
    let u: URL
    try {
      u = new URL(v)
    } catch {
      throw new TypeError(`${name} is not a URL: ${v}`)
    }
    if (!(schemes as readonly string[]).includes(u.protocol)) throw new TypeError(`${name} must use ${schemes.join(' or ')}: ${v}`)
  }
  return { market, wsBase: trimSlash(wsBase), restBase: trimSlash(restBase), routed }
}

function trimSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s
}

/** Stream kinds carried by USD-M /market (everything else, incl. depth and bookTicker, is /public). */
const USDM_MARKET_KINDS = new Set(['aggTrade', 'markPrice', 'kline', 'continuousKline', 'indexPriceKline', 'markPriceKline', 'ticker', 'miniTicker', 'forceOrder', 'compositeIndex', 'contractInfo', 'assetIndex'])

/** The kind of a stream name: `btcusdt@kline_1m` → 'kline', `!markPrice@arr@1s` → 'markPrice'. */
export function streamKind(stream: string): string {
  const at = stream.indexOf('@')
  if (stream.startsWith('!')) {
    const end = at < 0 ? stream.length : at
    return stream.slice(1, end)
  }
  if (at < 0) return ''
  let rest = stream.slice(at + 1)
  const at2 = rest.indexOf('@')
  if (at2 >= 0) rest = rest.slice(0, at2)
  const us = rest.indexOf('_')
  if (us >= 0) rest = rest.slice(0, us)
  // depth5 / depth10 / depth20 are partial depth, still 'depth' for routing
  if (rest.startsWith('depth')) return 'depth'
  return rest
}

/** The USD-M tier of a stream (`tierOverrides` maps a kind to a tier). */
export function usdmTier(stream: string, tierOverrides?: Readonly<Record<string, UsdmTier>>): UsdmTier {
  const kind = streamKind(stream)
  const o = tierOverrides?.[kind]
  if (o !== undefined) return o
  return USDM_MARKET_KINDS.has(kind) ? 'market' : 'public'
}

export interface StreamUrlOptions {
  /** USD-M tier; required on routed endpoints, ignored elsewhere. */
  tier?: UsdmTier | null
  tierOverrides?: Readonly<Record<string, UsdmTier>>
  /** Adds timeUnit=MICROSECOND (event times in µs). */
  timeUnitMicros?: boolean
}

function prefix(ep: BinanceEndpoints, tier: UsdmTier | null): string {
  return ep.routed && tier !== null ? `${ep.wsBase}/${tier}` : ep.wsBase
}

/**
 * Combined-stream URL (`/stream?streams=a/b`; payloads wrapped as
 * {"stream","data"}). With no streams: `/stream`, for live SUBSCRIBE.
 * On routed USD-M, every stream must belong to `tier`.
 */
export function combinedStreamUrl(ep: BinanceEndpoints, streams: readonly string[], options: StreamUrlOptions = {}): string {
  const tier = options.tier ?? null
  checkTier(ep, streams, tier, options.tierOverrides)
  const q: string[] = []
  if (streams.length > 0) q.push(`streams=${streams.join('/')}`)
  if (options.timeUnitMicros === true) q.push('timeUnit=MICROSECOND')
  return `${prefix(ep, tier)}/stream${q.length > 0 ? '?' + q.join('&') : ''}`
}

/** Raw-stream URL (`/ws/<stream>`; bare payloads). With no stream: `/ws`, for live SUBSCRIBE. */
export function rawStreamUrl(ep: BinanceEndpoints, stream: string | null, options: StreamUrlOptions = {}): string {
  const tier = options.tier ?? null
  if (stream !== null) checkTier(ep, [stream], tier, options.tierOverrides)
  return `${prefix(ep, tier)}/ws${stream !== null ? '/' + stream : ''}`
}

function checkTier(ep: BinanceEndpoints, streams: readonly string[], tier: UsdmTier | null, overrides?: Readonly<Record<string, UsdmTier>>): void {
  if (!ep.routed) return
  if (tier === null) throw new TypeError('routed USD-M endpoints need a tier (public or market); see usdmTier()')
  for (const s of streams) {
    const t = usdmTier(s, overrides)
    if (t !== tier) throw new RangeError(`stream ${s} belongs to /${t}, not /${tier}`)
  }
}

/** Groups streams by USD-M tier (one connection per tier on routed endpoints). */
export function groupByTier(streams: readonly string[], tierOverrides?: Readonly<Record<string, UsdmTier>>): Record<UsdmTier, string[]> {
  const out: Record<UsdmTier, string[]> = { public: [], market: [] }
  for (const s of streams) out[usdmTier(s, tierOverrides)].push(s)
  return out
}

/** REST path prefix: Spot `/api/v3`, USD-M `/fapi/v1`. */
export function restApiPrefix(market: BinanceMarket): string {
  return market === 'spot' ? '/api/v3' : '/fapi/v1'
}
