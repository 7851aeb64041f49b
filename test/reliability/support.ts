/**
 * Shared parts of the reliability suite: a `tickflow run` child process with
 * its output captured, config files, the venue's truth over plain signed HTTP
 * (test/integration/sim/client.ts: written from the protocol document,
 * independent of tickflow's own clients), and metric scrapes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { stringify } from 'yaml'
import { CLI, REPO_ROOT } from '../helpers/paths.js'
import { eventually } from '../helpers/eventually.js'
import { http, signed, type Creds } from '../integration/sim/client.js'

/** The compiled order-flow strategy (a .js module the engine loads by path). */
export const ORDER_FLOW = path.join(REPO_ROOT, 'dist', 'test', 'reliability', 'strategies', 'order-flow.js')

export interface RunChild {
  child: ChildProcessWithoutNullStreams
  /** stdout and stderr so far */
  out(): string
  err(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>
  /** kills the process if it still runs (finally blocks) */
  kill(): void
}

/** Starts `tickflow run --no-status [args]` with `env` added to the environment. */
export function spawnRun(args: string[], env: Record<string, string>, cwd: string): RunChild {
  const child = spawn(process.execPath, [CLI, 'run', '--no-status', ...args], {
    cwd,
    env: { ...process.env, TICKFLOW_POOL_DEBUG: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (s: string) => (out += s))
  child.stderr.on('data', (s: string) => (err += s))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })),
  )
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** Writes `config` as YAML with the given file mode; returns its path. */
export function writeConfig(dir: string, name: string, config: unknown, mode = 0o600): string {
  const file = path.join(dir, name)
  writeFileSync(file, stringify(config))
  chmodSync(file, mode)
  return file
}

/** The metrics URL a `tickflow run` logged (JSON logs), once it did. */
export async function metricsUrl(run: RunChild, timeoutMs = 20_000): Promise<string> {
  let url = ''
  await eventually(() => {
    const m = /"url":"(http:\/\/[^"]+\/metrics)"/.exec(run.out())
    if (m === null) throw new Error(`no metrics url yet; stderr: ${run.err().slice(-500)}`)
    url = m[1]!
  }, timeoutMs)
  return url
}

/** Sum of a Prometheus metric's samples whose labels contain every `labels` pair. */
export async function scrape(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await http('GET', url)).text
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (rest[0] !== '{' && rest[0] !== ' ') continue
    if (!Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue
    sum += Number(rest.slice(rest.lastIndexOf(' ') + 1))
  }
  return sum
}

export interface VenueTrade {
  id: number
  orderId: number
  qty: string
  isBuyer: boolean
}

/** Every trade of the account on `symbol`, from the venue (GET /api/v3/myTrades, paged by fromId). */
export async function venueTrades(restUrl: string, creds: Creds, symbol: string): Promise<VenueTrade[]> {
  const out: VenueTrade[] = []
  let fromId = 0
  for (;;) {
    const r = await signed(restUrl, creds, 'GET', '/api/v3/myTrades', [
      ['symbol', symbol],
      ['fromId', fromId],
      ['limit', 1000],
    ])
    if (r.status !== 200) throw new Error(`myTrades: HTTP ${r.status} ${r.text}`)
    const page = r.body as VenueTrade[]
    out.push(...page)
    if (page.length < 1000) return out
    fromId = page[page.length - 1]!.id + 1
  }
}

/** The account's open orders at the venue (GET /api/v3/openOrders). */
export async function venueOpenOrders(restUrl: string, creds: Creds, symbol: string): Promise<Array<{ orderId: number; clientOrderId: string }>> {
  const r = await signed(restUrl, creds, 'GET', '/api/v3/openOrders', [['symbol', symbol]])
  if (r.status !== 200) throw new Error(`openOrders: HTTP ${r.status} ${r.text}`)
  return r.body as Array<{ orderId: number; clientOrderId: string }>
}

/** Fails with the child's output when it exits early (use inside eventually). */
export function assertAlive(run: RunChild): void {
  if (run.child.exitCode !== null) throw new Error(`tickflow run exited ${run.child.exitCode}: ${run.err().slice(-2000)} ${run.out().slice(-2000)}`)
}
