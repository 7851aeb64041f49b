/**
 * Simulator options: defaults (in this one place), validation with errors
 * naming the key, unknown keys rejected, and the config-file loader (YAML or
 * JSON).
 */
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { ErrorCode, TickflowError } from '../core/errors.js'
import type { SymbolConfig } from './symbols.js'

export interface AccountConfig {
  /** the API key clients send (X-MBX-APIKEY / apiKey) */
  apiKey: string
  /** HMAC-SHA256 secret; exactly one of secret / ed25519PublicKey */
  secret?: string
  /** Ed25519 public key, PEM (SPKI) */
  ed25519PublicKey?: string
  /** starting balances, asset -> decimal string */
  balances?: Record<string, string>
  /** maker/taker commission rates, decimals ("0.001"); default from `fees` */
  makerFee?: string
  takerFee?: string
}

export interface TimingOptions {
  /** server ping period (default 20000) */
  pingIntervalMs?: number
  /** disconnect without pong after (default 60000) */
  pongTimeoutMs?: number
  /** connection lifetime (default 24 h) */
  connectionLifetimeMs?: number
  /** listenKey validity without keepalive (default 60 min) */
  listenKeyValidityMs?: number
  /** compresses the connection lifetime and the listenKey validity by this factor (default 1); pings and rate limits keep real time */
  timeAcceleration?: number
  /** synthetic market step period (default 20) */
  stepMs?: number
}

export interface LimitOptions {
  /** incoming WebSocket messages per second per connection (default 5; 0 = off) */
  maxIncomingPerSecond?: number
  /** bytes queued to a client before it is disconnected (default 4 MiB) */
  maxSendBufferBytes?: number
  /** a client whose send buffer stays over half full this long is disconnected (default 10000; 0 = never) */
  slowConsumerTimeoutMs?: number
  /** largest incoming WebSocket message (default 64 KiB) */
  maxPayloadBytes?: number
  requestWeightPerMinute?: number
  ordersPer10s?: number
  ordersPerDay?: number
  /** WS-API incoming messages per second per connection (default 0 = off; Binance counts request weight instead) */
  wsApiMaxIncomingPerSecond?: number
}

export interface ReplayOptions {
  /** capture files of ONE session, in order */
  files: string[]
  /** 1 = original pace, 2 = twice as fast, 0 = as fast as possible */
  speed?: number
  /** start over at the end (default false) */
  loop?: boolean
}

export interface SimulatorOptions {
  port?: number
  host?: string
  seed?: number
  symbols?: SymbolConfig[]
  accounts?: AccountConfig[]
  replay?: ReplayOptions
  timing?: TimingOptions
  limits?: LimitOptions
  fees?: { maker?: string; taker?: string }
  /** demo account credentials when `accounts` is empty (default: env or generated) */
  demo?: { apiKey?: string; secret?: string }
  /** serve the loopback-only fault control endpoint POST /__sim/fault (default true) */
  faultEndpoint?: boolean
  /** accepted ahead-of-server-time tolerance for `timestamp`, ms (default 1000) */
  aheadToleranceMs?: number
}

export interface ResolvedOptions {
  port: number
  host: string
  seed: number
  symbols: SymbolConfig[] | null
  accounts: AccountConfig[]
  replay: Required<ReplayOptions> | null
  timing: Required<TimingOptions>
  limits: Required<LimitOptions>
  fees: { maker: string; taker: string }
  demo: { apiKey?: string; secret?: string }
  faultEndpoint: boolean
  aheadToleranceMs: number
}

const TOP_KEYS = ['port', 'host', 'seed', 'symbols', 'accounts', 'replay', 'timing', 'limits', 'fees', 'demo', 'faultEndpoint', 'aheadToleranceMs']
const TIMING_KEYS = ['pingIntervalMs', 'pongTimeoutMs', 'connectionLifetimeMs', 'listenKeyValidityMs', 'timeAcceleration', 'stepMs']
const LIMIT_KEYS = ['maxIncomingPerSecond', 'maxSendBufferBytes', 'slowConsumerTimeoutMs', 'maxPayloadBytes', 'requestWeightPerMinute', 'ordersPer10s', 'ordersPerDay', 'wsApiMaxIncomingPerSecond']
const ACCOUNT_KEYS = ['apiKey', 'secret', 'ed25519PublicKey', 'balances', 'makerFee', 'takerFee']
const SYMBOL_KEYS = ['symbol', 'baseAsset', 'quoteAsset', 'tickSize', 'stepSize', 'minQty', 'maxQty', 'minPrice', 'maxPrice', 'minNotional', 'maxNotional', 'startPrice', 'levelQty']
const REPLAY_KEYS = ['files', 'speed', 'loop']
const DECIMAL_RE = /^\d+(\.\d+)?$/

function invalid(key: string, what: string): TickflowError {
  return new TickflowError(ErrorCode.CONFIG_INVALID, `simulator config: ${key}: ${what}`)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function checkKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw invalid(where === '' ? k : `${where}.${k}`, 'unknown key')
}

function num(v: unknown, key: string, min: number, integer = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw invalid(key, `expected ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(v)}`)
  }
  return v
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string' || v === '') throw invalid(key, 'expected a non-empty string')
  return v
}

function decimal(v: unknown, key: string): string {
  const s = typeof v === 'number' ? String(v) : v
  if (typeof s !== 'string' || !DECIMAL_RE.test(s)) throw invalid(key, `expected a decimal string, got ${JSON.stringify(v)}`)
  return s
}

/** Validates options (from code or a config file) and applies defaults. */
export function resolveOptions(input: SimulatorOptions | Record<string, unknown>): ResolvedOptions {
  const o = input as Record<string, unknown>
  if (!isObject(o)) throw invalid('(root)', 'expected an object')
  checkKeys(o, TOP_KEYS, '')
  const timing = (o.timing ?? {}) as Record<string, unknown>
  const limits = (o.limits ?? {}) as Record<string, unknown>
  if (!isObject(timing)) throw invalid('timing', 'expected an object')
  if (!isObject(limits)) throw invalid('limits', 'expected an object')
  checkKeys(timing, TIMING_KEYS, 'timing')
  checkKeys(limits, LIMIT_KEYS, 'limits')
  const opt = (obj: Record<string, unknown>, k: string, where: string, dflt: number, min: number, integer = true): number =>
    obj[k] === undefined ? dflt : num(obj[k], `${where}.${k}`, min, integer)

  let symbols: SymbolConfig[] | null = null
  if (o.symbols !== undefined) {
    if (!Array.isArray(o.symbols) || o.symbols.length === 0) throw invalid('symbols', 'expected a non-empty list')
    symbols = o.symbols.map((s: unknown, i: number) => {
      if (!isObject(s)) throw invalid(`symbols[${i}]`, 'expected an object')
      checkKeys(s, SYMBOL_KEYS, `symbols[${i}]`)
      const sym = str(s.symbol, `symbols[${i}].symbol`)
      if (!/^[A-Z0-9]{2,20}$/.test(sym)) throw invalid(`symbols[${i}].symbol`, 'expected uppercase letters and digits')
      const out: Record<string, string> = { symbol: sym, baseAsset: str(s.baseAsset, `symbols[${i}].baseAsset`), quoteAsset: str(s.quoteAsset, `symbols[${i}].quoteAsset`) }
      for (const k of SYMBOL_KEYS.slice(3)) if (s[k] !== undefined) out[k] = decimal(s[k], `symbols[${i}].${k}`)
      for (const k of ['tickSize', 'stepSize', 'startPrice']) if (out[k] === undefined) throw invalid(`symbols[${i}].${k}`, 'required')
      return out as unknown as SymbolConfig
    })
  }

  const accounts: AccountConfig[] = []
  if (o.accounts !== undefined) {
    if (!Array.isArray(o.accounts)) throw invalid('accounts', 'expected a list')
    o.accounts.forEach((a: unknown, i: number) => {
      const w = `accounts[${i}]`
      if (!isObject(a)) throw invalid(w, 'expected an object')
      checkKeys(a, ACCOUNT_KEYS, w)
      const acc: AccountConfig = { apiKey: str(a.apiKey, `${w}.apiKey`) }
      if (!/^[A-Za-z0-9]{1,128}$/.test(acc.apiKey)) throw invalid(`${w}.apiKey`, 'expected 1-128 letters and digits')
      if ((a.secret === undefined) === (a.ed25519PublicKey === undefined)) throw invalid(w, 'exactly one of secret or ed25519PublicKey is required')
      if (a.secret !== undefined) acc.secret = str(a.secret, `${w}.secret`)
      if (a.ed25519PublicKey !== undefined) {
        acc.ed25519PublicKey = str(a.ed25519PublicKey, `${w}.ed25519PublicKey`)
        if (!acc.ed25519PublicKey.includes('BEGIN PUBLIC KEY')) throw invalid(`${w}.ed25519PublicKey`, 'expected a PEM public key')
      }
      if (a.balances !== undefined) {
        if (!isObject(a.balances)) throw invalid(`${w}.balances`, 'expected a map asset -> amount')
        acc.balances = {}
        for (const [asset, amt] of Object.entries(a.balances)) {
          if (!/^[A-Z0-9]{1,20}$/.test(asset)) throw invalid(`${w}.balances.${asset}`, 'expected an uppercase asset name')
          acc.balances[asset] = decimal(amt, `${w}.balances.${asset}`)
        }
      }
      if (a.makerFee !== undefined) acc.makerFee = decimal(a.makerFee, `${w}.makerFee`)
      if (a.takerFee !== undefined) acc.takerFee = decimal(a.takerFee, `${w}.takerFee`)
      if (accounts.some((x) => x.apiKey === acc.apiKey)) throw invalid(`${w}.apiKey`, 'duplicate apiKey')
      accounts.push(acc)
    })
  }

  let replay: Required<ReplayOptions> | null = null
  if (o.replay !== undefined) {
    const r = o.replay as Record<string, unknown>
    if (!isObject(r)) throw invalid('replay', 'expected an object')
    checkKeys(r, REPLAY_KEYS, 'replay')
    if (!Array.isArray(r.files) || r.files.length === 0 || r.files.some((f) => typeof f !== 'string')) throw invalid('replay.files', 'expected a non-empty list of paths')
    replay = { files: r.files as string[], speed: opt(r, 'speed', 'replay', 1, 0, false), loop: r.loop === undefined ? false : r.loop === true }
  }

  const fees = (o.fees ?? {}) as Record<string, unknown>
  if (!isObject(fees)) throw invalid('fees', 'expected an object')
  checkKeys(fees, ['maker', 'taker'], 'fees')
  const demo = (o.demo ?? {}) as Record<string, unknown>
  if (!isObject(demo)) throw invalid('demo', 'expected an object')
  checkKeys(demo, ['apiKey', 'secret'], 'demo')

  const port = o.port === undefined ? 0 : num(o.port, 'port', 0)
  if (port > 65535) throw invalid('port', 'expected 0..65535')
  return {
    port,
    host: o.host === undefined ? '127.0.0.1' : str(o.host, 'host'),
    seed: o.seed === undefined ? 1 : num(o.seed, 'seed', 0),
    symbols,
    accounts,
    replay,
    timing: {
      pingIntervalMs: opt(timing, 'pingIntervalMs', 'timing', 20_000, 0),
      pongTimeoutMs: opt(timing, 'pongTimeoutMs', 'timing', 60_000, 0),
      connectionLifetimeMs: opt(timing, 'connectionLifetimeMs', 'timing', 24 * 3600_000, 0),
      listenKeyValidityMs: opt(timing, 'listenKeyValidityMs', 'timing', 3600_000, 1),
      timeAcceleration: opt(timing, 'timeAcceleration', 'timing', 1, 0.001, false),
      stepMs: opt(timing, 'stepMs', 'timing', 20, 1),
    },
    limits: {
      maxIncomingPerSecond: opt(limits, 'maxIncomingPerSecond', 'limits', 5, 0),
      maxSendBufferBytes: opt(limits, 'maxSendBufferBytes', 'limits', 4 * 1024 * 1024, 1024),
      slowConsumerTimeoutMs: opt(limits, 'slowConsumerTimeoutMs', 'limits', 10_000, 0),
      maxPayloadBytes: opt(limits, 'maxPayloadBytes', 'limits', 64 * 1024, 128),
      requestWeightPerMinute: opt(limits, 'requestWeightPerMinute', 'limits', 6000, 1),
      ordersPer10s: opt(limits, 'ordersPer10s', 'limits', 50, 1),
      ordersPerDay: opt(limits, 'ordersPerDay', 'limits', 160_000, 1),
      wsApiMaxIncomingPerSecond: opt(limits, 'wsApiMaxIncomingPerSecond', 'limits', 0, 0),
    },
    fees: { maker: fees.maker === undefined ? '0.001' : decimal(fees.maker, 'fees.maker'), taker: fees.taker === undefined ? '0.001' : decimal(fees.taker, 'fees.taker') },
    demo: { apiKey: demo.apiKey === undefined ? undefined : str(demo.apiKey, 'demo.apiKey'), secret: demo.secret === undefined ? undefined : str(demo.secret, 'demo.secret') },
    faultEndpoint: o.faultEndpoint === undefined ? true : o.faultEndpoint === true,
    aheadToleranceMs: o.aheadToleranceMs === undefined ? 1000 : num(o.aheadToleranceMs, 'aheadToleranceMs', 0),
  }
}

/** Reads a YAML or JSON config file (by extension; YAML otherwise). */
export function loadConfigFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new TickflowError(ErrorCode.CONFIG_NOT_FOUND, `simulator config: cannot read ${file}: ${(err as Error).message}`)
  }
  let v: unknown
  try {
    v = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new TickflowError(ErrorCode.CONFIG_INVALID, `simulator config: ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`)
  }
  if (v === null || v === undefined) return {}
  if (!isObject(v)) throw invalid('(root)', `${file} must hold a mapping`)
  return v
}
