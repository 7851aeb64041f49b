/**
 * `tickflow sim`: runs the Binance-compatible simulator on its own, prints its
 * URLs and credentials, serves until SIGINT/SIGTERM, then closes every
 * socket and exits 0. A configured secret is never printed, only where it
 * came from; the demo account's generated (or environment) credentials are
 * printed so that a client can use them.
 */
import { isTickflowError } from '../../core/errors.js'
import { loadConfigFile, startSimulator, type SimulatorOptions } from '../../sim/index.js'

export default async function sim(opts: Record<string, unknown>): Promise<number> {
  let options: Record<string, unknown> = {}
  try {
    if (typeof opts.config === 'string') options = loadConfigFile(opts.config)
  } catch (err) {
    process.stderr.write(`tickflow sim: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
  // Command-line flags win over the file.
  if (typeof opts.port === 'number') options.port = opts.port
  if (typeof opts.host === 'string') options.host = opts.host
  if (typeof opts.seed === 'number') options.seed = opts.seed
  if (Array.isArray(opts.replay) && opts.replay.length > 0) {
    const prev = (options.replay ?? {}) as Record<string, unknown>
    options.replay = { ...prev, files: opts.replay as string[], speed: typeof opts.speed === 'number' ? opts.speed : (prev.speed ?? 1) }
  } else if (options.replay !== undefined && typeof opts.speed === 'number' && opts.speed !== 1) {
    options.replay = { ...(options.replay as Record<string, unknown>), speed: opts.speed }
  }
  let s
  try {
    s = await startSimulator(options as SimulatorOptions)
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    process.stderr.write(`tickflow sim: ${isTickflowError(err) ? `${err.code}: ${msg}` : msg}\n`)
    return 1
  }
  const out: string[] = []
  out.push(`tickflow sim: ${s.replaying ? `replaying ${(options.replay as { files: string[] }).files.join(', ')}` : `synthetic market (seed ${String(options.seed ?? 1)})`}`)
  out.push(`  symbols      ${s.symbols.join(', ')}`)
  out.push(`  REST         ${s.urls.rest}/api/v3/...`)
  out.push(`  streams      ${s.urls.ws}/ws/<stream>   ${s.urls.ws}/stream?streams=<a>/<b>`)
  out.push(`  WS-API       ${s.urls.wsApi}`)
  if (s.demo !== null) {
    out.push(`  demo account apiKey ${s.demo.apiKey}`)
    if (s.demo.source === 'generated') out.push(`               secret ${s.demo.secret}   (generated; set TICKFLOW_SIM_API_KEY / TICKFLOW_SIM_API_SECRET to fix them)`)
    else out.push(`               secret from ${s.demo.source} (not printed)`)
  } else {
    for (const a of s.accounts) out.push(`  account      apiKey ${a.apiKey} (${a.keyType}; key from ${a.secretSource})`)
  }
  out.push(`  faults       POST ${s.urls.rest}/__sim/fault (loopback only)`)
  out.push('Press Ctrl-C to stop.')

  const sim = s
  // Signal handlers go in before the URLs are printed: whoever reads them may
  // signal at once, and without a listener the default action kills the process.
  return await new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) {
        process.stderr.write(`tickflow sim: second ${signal}, exiting now\n`)
        resolve(1)
        return
      }
      stopping = true
      process.stdout.write(`tickflow sim: ${signal}, closing\n`)
      sim.close().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`tickflow sim: close failed: ${err instanceof Error ? err.message : String(err)}\n`)
          resolve(1)
        },
      )
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.stdout.write(out.join('\n') + '\n')
  })
}
