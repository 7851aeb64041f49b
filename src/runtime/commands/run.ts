/**
 * `tickflow run [--config FILE] [--duration S] [--no-status] [--record FILE]`: the main job.
 *
 * With no config: the embedded Binance-compatible simulator (synthetic
 * market, BTCUSDT and ETHUSDT), reached through the same Binance adapters as
 * real Binance, and the example market maker trading on it over the
 * WebSocket API. With a config: the venues, symbols, streams and strategies
 * named there.
 *
 * --record FILE (or `recording.path` in the config) records every merged event
 * to FILE (docs/recording.md); `tickflow replay FILE --verify` replays it.
 *
 * SIGINT/SIGTERM: graceful shutdown (a second signal stops at once); the
 * report ends with `shutdown: clean` (exit 0) or what stayed unreturned
 * (exit 1).
 */
import path from 'node:path'
import { existsSync } from 'node:fs'
import { describeError, isTickflowError, ErrorCode } from '../../core/errors.js'
import { loadEngineConfig, parseEngineConfig, permissionWarning, type EngineConfig } from '../config.js'
import { createEngine, EXAMPLES_DIR, type Engine, type EngineShutdownResult } from '../engine.js'
import { registerEngineMetrics } from '../engine-metrics.js'
import { createLogger } from '../logging.js'
import { Metrics } from '../metrics.js'
import { StatusLine, type StatusSnapshot } from '../status-line.js'

/** The configuration `tickflow run` uses when no --config is given. */
export function defaultRunConfig(): Readonly<EngineConfig> {
  const example = (name: string): string => {
    const js = path.join(EXAMPLES_DIR, `${name}.js`)
    return existsSync(js) ? js : path.join(EXAMPLES_DIR, `${name}.ts`)
  }
  return parseEngineConfig(
    {
      venues: [{ name: 'sim', type: 'simulator', symbols: ['BTCUSDT', 'ETHUSDT'], streams: ['trade', 'bookTicker', 'depth'] }],
      strategies: [
        { name: 'mm', path: example('market-maker'), params: { venue: 'sim', symbol: 'BTCUSDT', size: '0.01', maxInventory: '0.05' } },
        { name: 'printer', path: example('printer'), params: { everyMs: 10_000 }, cancelOnExit: false },
      ],
      risk: { maxPosition: { BTCUSDT: '0.1' }, maxOrderNotional: '50000', ordersPerSecond: 50 },
    },
    'the built-in default configuration',
  )
}

function secretsFromEnv(config: Readonly<EngineConfig>): string[] {
  const out: string[] = []
  for (const v of config.venues) {
    const c = v.credentials
    for (const name of [c.apiKeyEnv, c.apiSecretEnv, c.privateKeyEnv]) {
      const value = name === undefined ? undefined : process.env[name]
      if (value !== undefined && value !== '') out.push(value)
    }
  }
  for (const name of ['TICKFLOW_SIM_API_SECRET']) {
    const value = process.env[name]
    if (value !== undefined && value !== '') out.push(value)
  }
  return out
}

function statusSample(engine: Engine): StatusSnapshot {
  const h = engine.latency.status.frameToSubscriber
  const p50 = h.count > 0 ? h.percentile(50) : 0
  const p99 = h.count > 0 ? h.percentile(99) : 0
  h.reset()
  let inFlight = 0
  let capacity = 0
  for (const p of engine.pools.manager.stats()) {
    inFlight += p.leased
    capacity += p.capacity
  }
  const positions: string[] = []
  let pnl = 0
  for (const id of engine.pnl.instruments()) {
    const spec = engine.registry.spec(id)
    const book = engine.book(id)
    let mark = 0
    if (book !== null && book.bestBidPx() > 0 && book.bestAskPx() > 0) mark = (book.bestBidPx() + book.bestAskPx()) / 2 / 10 ** spec.priceScale
    positions.push(`${spec.symbol} ${engine.pnl.position(id) >= 0 ? '+' : ''}${engine.pnl.position(id).toFixed(spec.qtyScale > 6 ? 6 : spec.qtyScale)}`)
    if (mark > 0) pnl += engine.pnl.pnl(id, mark)
  }
  const st = engine.stats()
  let resyncs = 0
  let drops = 0
  for (const v of engine.venues) {
    const fs = v.feed.stats()
    drops += fs.droppedTotal
    for (const sym of Object.values(fs.symbols)) resyncs += sym.book?.resyncs ?? 0
  }
  drops += (st.merger as { dropped: number }).dropped
  return {
    events: engine.eventsReceived,
    p50Us: p50,
    p99Us: p99,
    poolInFlight: inFlight,
    poolCapacity: capacity,
    openOrders: engine.router?.exposure.totalOpenOrders ?? 0,
    fills: engine.pnl.fills,
    position: positions.join(' '),
    pnl: pnl.toFixed(2),
    drops,
    resyncs,
  }
}

export function formatShutdown(r: EngineShutdownResult): string {
  if (r.clean) return `shutdown: clean (${r.durationMs} ms)`
  const parts: string[] = []
  const unreturned = Object.entries(r.pools.unreturned)
  if (unreturned.length > 0) parts.push(`unreturned ${unreturned.map(([k, n]) => `${k}=${n}`).join(' ')}`)
  if (r.ordersLeftWorking.length > 0) parts.push(`orders still working ${r.ordersLeftWorking.join(',')}`)
  if (r.errors.length > 0) parts.push(`errors: ${r.errors.join('; ')}`)
  return `shutdown: not clean (${r.durationMs} ms): ${parts.join('; ')}`
}

export default async function run(opts: Record<string, unknown>): Promise<number> {
  const configFile = typeof opts.config === 'string' ? path.resolve(opts.config) : null
  let config: Readonly<EngineConfig>
  try {
    config = configFile === null ? defaultRunConfig() : loadEngineConfig(configFile)
  } catch (err) {
    process.stderr.write(`tickflow run: ${isTickflowError(err) ? err.message : describeError(err)}\n`)
    return isTickflowError(err, ErrorCode.CONFIG_INVALID) || isTickflowError(err, ErrorCode.CONFIG_NOT_FOUND) ? 2 : 1
  }
  const log = createLogger({ level: config.logging.level, format: config.logging.format, secrets: secretsFromEnv(config) })
  if (configFile !== null) {
    const warning = permissionWarning(configFile)
    if (warning !== null) log.warn(warning)
  }
  const engine = createEngine(config, {
    logger: log,
    baseDir: configFile === null ? process.cwd() : path.dirname(configFile),
    poolDebug: process.env.TICKFLOW_POOL_DEBUG === '1',
    ...(typeof opts.record === 'string' ? { recordPath: path.resolve(opts.record) } : {}),
  })
  let stopRequested: ((why: string) => void) | null = null
  const stopped = new Promise<string>((resolve) => {
    stopRequested = resolve
  })
  let signals = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++
    if (signals === 1) {
      log.info({ signal: sig }, 'shutting down (send the signal again to stop at once)')
      stopRequested?.(sig)
    } else {
      process.stderr.write(`\nshutdown: forced by a second ${sig}\n`)
      process.exit(130)
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let metrics: Metrics | null = null
  let status: StatusLine | null = null
  let durationTimer: NodeJS.Timeout | null = null
  try {
    // Bind the metrics endpoint before connecting anywhere: a port in use is a
    // start-up error, not a half-started engine.
    if (config.metrics.enabled) {
      metrics = new Metrics()
      try {
        const port = await metrics.listen({ host: config.metrics.host, port: config.metrics.port })
        log.info({ url: `http://${config.metrics.host}:${port}/metrics` }, 'metrics')
      } catch (err) {
        process.stderr.write(
          `tickflow run: metrics: cannot listen on ${config.metrics.host}:${config.metrics.port} (${describeError(err)}); set metrics.port, or metrics.enabled: false\n`,
        )
        return 1
      }
      metrics.startProcessMonitors()
      registerEngineMetrics(metrics, engine)
    }
    // A signal while starting (a venue that does not answer, a start that retries) stops the start:
    // what was started is closed and reported, instead of waiting for a second signal.
    let startError: unknown = null
    const started = engine.start().then(
      () => true,
      (err: unknown) => {
        startError = err
        return false
      },
    )
    const startOutcome = await Promise.race([started, stopped.then(() => null)])
    if (startOutcome === false) {
      process.stderr.write(`tickflow run: ${describeError(startError)}\n`)
      return isTickflowError(startError, ErrorCode.CONFIG_INVALID) ? 2 : 1
    }
    if (startOutcome === null) {
      log.warn('stop requested while starting: closing what was started')
      const result = await engine.close()
      process.stdout.write(formatShutdown(result) + '\n')
      return result.clean ? 0 : 1
    }
    if (signals === 0) {
      if (opts.status !== false) {
        status = new StatusLine(() => statusSample(engine))
        status.start()
      }
      if (typeof opts.duration === 'number') {
        durationTimer = setTimeout(() => stopRequested?.('duration'), opts.duration * 1000)
      }
      await stopped
    }
    const result = await engine.close()
    status?.stop()
    process.stdout.write(formatShutdown(result) + '\n')
    return result.clean ? 0 : 1
  } finally {
    if (durationTimer !== null) clearTimeout(durationTimer)
    status?.stop()
    await metrics?.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
