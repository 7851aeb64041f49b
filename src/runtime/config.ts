/**
 * EngineConfig: the schema of tickflow.yaml, its defaults (in exactly one
 * place: here), validation with errors naming the key, and loading. Secrets
 * never live in the file: credentials name environment variables, read here
 * and nowhere else (house style 2.9).
 */
import { readFileSync, statSync, existsSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { ErrorCode, TickflowError } from '../core/errors.js'
import { DEFAULT_POOLS, POOLED_TYPES, type PoolsConfig } from './pools.js'
import {
  bool,
  decimalText,
  deepFreeze,
  Issues,
  list,
  num,
  object,
  oneOf,
  optional,
  record,
  required,
  section,
  str,
  validate,
  withDefault,
  type Check,
  type Out,
} from './schema.js'

const SYMBOL = /^[A-Z0-9]{2,20}$/
const STREAMS = ['trade', 'aggTrade', 'bookTicker', 'depth', 'kline_1m', 'kline_1s'] as const

const credentials = object({
  /** environment variable holding the API key */
  apiKeyEnv: optional(str('an environment variable name', /^[A-Za-z_][A-Za-z0-9_]*$/)),
  /** environment variable holding the HMAC secret */
  apiSecretEnv: optional(str('an environment variable name', /^[A-Za-z_][A-Za-z0-9_]*$/)),
  /** environment variable holding an Ed25519 private key (PEM), or the path of a PEM file */
  privateKeyEnv: optional(str('an environment variable name', /^[A-Za-z_][A-Za-z0-9_]*$/)),
  privateKeyFile: optional(str('a file path')),
})

const venue = object({
  /** venue name used in logs, metrics and the journal (unique) */
  name: withDefault(str('a venue name', /^[a-z][a-z0-9-]{0,31}$/), ''),
  type: withDefault(oneOf(['simulator', 'binance-spot', 'binance-usdm'] as const), 'simulator'),
  /** venue symbols to subscribe, e.g. [BTCUSDT, ETHUSDT] */
  symbols: withDefault(list(str('a symbol like BTCUSDT', SYMBOL), 'a list of symbols', { min: 1 }), ['BTCUSDT', 'ETHUSDT']),
  streams: withDefault(list(oneOf(STREAMS), 'a list of streams'), ['trade', 'bookTicker', 'depth']),
  /** use Binance's testnet URLs (binance types only) */
  testnet: withDefault(bool, false),
  /** URL overrides (e.g. a simulator started elsewhere) */
  restUrl: optional(str('an http(s) URL', /^https?:\/\//)),
  wsUrl: optional(str('a ws(s) URL', /^wss?:\/\//)),
  wsApiUrl: optional(str('a ws(s) URL', /^wss?:\/\//)),
  /** order entry: the WebSocket API (preferred) or REST */
  orderEntry: withDefault(oneOf(['ws-api', 'rest'] as const), 'ws-api'),
  /** market-data WebSocket client: tickflow's RFC 6455 client (default) or the `ws` package */
  transport: withDefault(oneOf(['raw', 'ws'] as const), 'raw'),
  /** trading enabled on this venue (needs credentials, except on the embedded simulator) */
  trading: withDefault(bool, true),
  credentials: section(credentials),
})

/** One validated venue entry. */
export type VenueConfig = NonNullable<ReturnType<typeof venue>>

const strategy = object({
  name: required(str('a strategy name', /^[A-Za-z][A-Za-z0-9_-]{0,31}$/)),
  /** module path (.js, .mjs or .ts), relative to the config file */
  path: required(str('a module path')),
  /** free parameters handed to the strategy */
  params: withDefault(record((v: unknown) => v, 'a mapping of parameters'), {}),
  /** cancel the strategy's resting orders on exit */
  cancelOnExit: withDefault(bool, true),
  /** venues whose data the strategy receives (default: all) */
  venues: optional(list(str('a venue name'), 'a list of venue names')),
})

const risk = object({
  maxOrderNotional: optional(decimalText('a quote amount')),
  maxPosition: withDefault(record(decimalText('a base quantity'), 'a mapping of symbol to quantity'), {}),
  maxOpenOrders: withDefault(num('a positive integer', { min: 1, integer: true }), 50),
  ordersPerSecond: withDefault(num('a positive number', { min: 0.001 }), 20),
  staleMarketDataMs: withDefault(num('milliseconds ≥ 0', { min: 0 }), 5000),
  killSwitch: withDefault(oneOf(['off', 'halt', 'reduce-only'] as const), 'off'),
})

const poolType = object({
  pooled: withDefault(bool, true),
  capacity: withDefault(num('a capacity in 1..16777216', { min: 1, max: 2 ** 24, integer: true }), 1024),
})

const pools: Check<PoolsConfig> = (v, path, issues) => {
  const shape: Record<string, ReturnType<typeof withDefault>> = {}
  for (const t of POOLED_TYPES) shape[t] = withDefault(poolType, { ...DEFAULT_POOLS[t] })
  return object(shape)(v, path, issues) as PoolsConfig | undefined
}

export const engineConfigSchema = object({
  venues: withDefault(list(venue, 'a list of venues', { min: 1 }), (): VenueConfig[] => [venue({ name: 'sim' }, 'venues[0]', new Issues())!]),
  strategies: withDefault(list(strategy, 'a list of strategies'), []),
  merger: section(
    object({
      ordering: withDefault(oneOf(['arrival', 'event-time'] as const), 'arrival'),
      watermarkUs: withDefault(num('microseconds ≥ 0', { min: 0 }), 2000),
    })),
  risk: section(risk),
  pools: withDefault(pools, () => structuredClone(DEFAULT_POOLS) as PoolsConfig),
  journal: section(object({ path: withDefault(str('a file path'), './tickflow-journal.sqlite') })),
  /** record every merged event to a .tfrec file (docs/recording.md); absent = no recording */
  recording: optional(
    object({
      /** the recording file, relative to the config file (created or truncated at start) */
      path: required(str('a file path')),
      /** size of each of the two block buffers, KiB */
      blockKiB: withDefault(num('KiB in 4..65536', { min: 4, max: 65536, integer: true }), 256),
      /** flush a partly filled block after this many ms */
      flushIntervalMs: withDefault(num('milliseconds in 10..60000', { min: 10, max: 60000 }), 1000),
    })),
  metrics: section(
    object({
      enabled: withDefault(bool, true),
      host: withDefault(str('an address'), '127.0.0.1'),
      port: withDefault(num('a port in 0..65535', { min: 0, max: 65535, integer: true }), 9464),
    })),
  logging: section(
    object({
      level: withDefault(oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const), 'info'),
      format: withDefault(oneOf(['auto', 'json', 'pretty'] as const), 'auto'),
    })),
  simulator: section(
    object({
      seed: withDefault(num('an integer', { integer: true }), 1),
      port: withDefault(num('a port in 0..65535', { min: 0, max: 65535, integer: true }), 0),
    })),
  shutdown: section(
    object({
      deadlineMs: withDefault(num('milliseconds ≥ 100', { min: 100 }), 5000),
    })),
})

export type EngineConfig = NonNullable<Out<{ c: { check: typeof engineConfigSchema } }>['c']>

/** Validates a parsed config object; throws CONFIG_INVALID naming every bad key. */
export function parseEngineConfig(raw: unknown, source = 'configuration'): Readonly<EngineConfig> {
  const cfg = validate(engineConfigSchema, raw, source) as EngineConfig
  const names = new Set<string>()
  cfg.venues.forEach((v, i) => {
    if (v.name === '') v.name = v.type === 'simulator' ? 'sim' : v.type
    if (names.has(v.name)) {
      throw new TickflowError(ErrorCode.CONFIG_INVALID, `invalid configuration in ${source}:\n  venues[${i}].name: duplicate venue name "${v.name}"`)
    }
    names.add(v.name)
  })
  return deepFreeze(cfg)
}

/** A warning to show when a file that may hold secrets is readable by others. */
export function permissionWarning(file: string): string | null {
  try {
    const mode = statSync(file).mode
    if ((mode & 0o044) !== 0) return `${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); it should not hold secrets (chmod 600)`
  } catch {
    // stat failures are reported by the read that follows
    return null
  }
  return null
}

/** Reads and validates a YAML (or JSON) config file. */
export function loadEngineConfig(file: string): Readonly<EngineConfig> {
  if (!existsSync(file)) throw new TickflowError(ErrorCode.CONFIG_NOT_FOUND, `config file not found: ${file}`)
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new TickflowError(ErrorCode.CONFIG_INVALID, `invalid configuration in ${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    })
  }
  return parseEngineConfig(raw ?? {}, file)
}
