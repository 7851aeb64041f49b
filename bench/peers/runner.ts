/**
 * The peers benchmark runner (issue 8): tickflow's simulator in its own
 * process, then ONE client process at a time, each given the same warm-up
 * and the same message count, in two phases:
 *
 *   burst  the firehose sends as fast as the client drains (the simulator
 *          honours socket backpressure)
 *   paced  20,000 msg/s
 *
 * Repeats rotate the client order (repeat r starts at client r), figures are
 * medians over the repeats, and every window records the machine's other
 * load (load.ts) so that noisy windows are flagged, not hidden.
 *
 * One run of a client (runOne):
 *   fork client ─ 'ready' ─► prime: 1-frame firehoses until the simulator has
 *   a subscriber and the client got it ─► warm-up firehose (W, burst) ─►
 *   'start' (client opens its window) ─► measured firehose (N, phase rate)
 *   ─► the client reports when it has N (or the runner stops it once the
 *   firehose is done and the client's count stopped growing) ─► 'exit'.
 */
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientResult } from './client-protocol.js'
import { readProcStat, windowLoad, type WindowLoad } from './load.js'

const HERE = path.dirname(fileURLToPath(import.meta.url)) // dist/bench/peers
export const REPO_ROOT = path.resolve(HERE, '..', '..', '..')
const SIM_SCRIPT = path.join(HERE, 'sim-process.js')

export type PhaseName = 'burst' | 'paced'

export interface PhaseSpec {
  name: PhaseName
  /** frames per second; 0 = as fast as the client drains */
  rate: number
  count: number
  warmup: number
  /** latency sampled when (n & mask) === 0 */
  sampleMask: number
}

export interface ClientDef {
  /** stable id used in the JSON and the check */
  id: string
  label: string
  /** absolute path of the script (compiled .js in dist/ or a peer .mjs under bench/peers/clients) */
  script: string
  args?: string[]
  env?: Record<string, string>
  /** not runnable here (the reason is reported instead of figures) */
  notRunnable?: string
}

export interface RunRecord {
  client: string
  phase: PhaseName
  repeat: number
  ok: boolean
  error?: string
  expected: number
  received: number
  msgsPerSec: number
  cpuUsPerMsg: number
  /** of cpuUsPerMsg: user and system (kernel) time */
  userUsPerMsg: number
  sysUsPerMsg: number
  rssMiB: number
  maxRssMiB: number
  bytesPerMsg: number
  gcCount: number
  gcMs: number
  latencyUs: ClientResult['latency']
  /** the simulator's CPU per message in the window (is the source the bottleneck?) */
  simCpuUsPerMsg: number
  load: WindowLoad
  extra: Record<string, number | string | boolean>
}

interface SimReply {
  id: number
  results?: Array<{ connId: number; sent: number; elapsedMs: number; aborted: boolean }>
  cpuUs?: number
  error?: string
}

export class SimProcess {
  private child: ChildProcess | null = null
  private nextId = 1
  private readonly waiting = new Map<number, (r: SimReply) => void>()
  wsUrl = ''
  restUrl = ''

  async start(): Promise<void> {
    const child = fork(SIM_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child = child
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('simulator process did not start within 30 s')), 30_000)
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`simulator process exited (${code})`)))
      child.on('message', (m: { type?: string; urls?: { ws: string; rest: string } } & SimReply) => {
        if (m.type === 'listening') {
          clearTimeout(t)
          this.wsUrl = m.urls!.ws
          this.restUrl = m.urls!.rest
          resolve()
          return
        }
        const w = this.waiting.get(m.id)
        if (w !== undefined) {
          this.waiting.delete(m.id)
          w(m)
        }
      })
    })
  }

  private request(msg: Record<string, unknown>): Promise<SimReply> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      this.child!.send({ ...msg, id })
    })
  }

  async firehose(count: number, rate: number): Promise<SimReply> {
    return this.request({ cmd: 'firehose', count, rate })
  }

  async cpuUs(): Promise<number> {
    return (await this.request({ cmd: 'cpu' })).cpuUs ?? 0
  }

  async close(): Promise<void> {
    const child = this.child
    if (child === null) return
    this.child = null
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL')
        resolve()
      }, 5000)
      child.once('exit', () => {
        clearTimeout(t)
        resolve()
      })
      child.send({ cmd: 'close' })
    })
  }
}

/** A forked client with a small message inbox (IPC replies are awaited by type; several waits may be pending). */
class ClientProcess {
  readonly child: ChildProcess
  private readonly inbox: Array<Record<string, unknown>> = []
  private readonly waiters: Array<{ type: string; resolve: (m: Record<string, unknown>) => void }> = []
  exited = false
  stderrTail = ''

  constructor(def: ClientDef, sim: SimProcess) {
    this.child = fork(def.script, def.args ?? [], {
      cwd: REPO_ROOT,
      // PEERS_CLIENT_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the clients.
      execArgv: ['--expose-gc', ...(process.env.PEERS_CLIENT_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')],
      env: { ...process.env, ...def.env, SIM_WS: sim.wsUrl, SIM_REST: sim.restUrl },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    this.child.stderr!.on('data', (c: Buffer) => {
      this.stderrTail = (this.stderrTail + c.toString()).slice(-2000)
    })
    this.child.on('message', (m: Record<string, unknown>) => {
      const i = this.waiters.findIndex((w) => w.type === m.type)
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m)
      else this.inbox.push(m)
    })
    this.child.once('exit', () => {
      this.exited = true
      for (const w of this.waiters.splice(0)) w.resolve({ type: 'exit' })
    })
  }

  send(m: Record<string, unknown>): void {
    if (!this.exited) this.child.send(m)
  }

  /** Next message of `type` (or { type: 'exit' } / { type: 'timeout' }). */
  next(type: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const i = this.inbox.findIndex((m) => m.type === type)
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!)
    if (this.exited) return Promise.resolve({ type: 'exit' })
    return new Promise((resolve) => {
      const w = {
        type,
        resolve: (m: Record<string, unknown>) => {
          clearTimeout(t)
          resolve(m)
        },
      }
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w)
        if (i >= 0) this.waiters.splice(i, 1)
        resolve({ type: 'timeout' })
      }, timeoutMs)
      this.waiters.push(w)
    })
  }

  async exit(): Promise<void> {
    if (this.exited) return
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.child.kill('SIGKILL')
      }, 5000)
      this.child.once('exit', () => {
        clearTimeout(t)
        resolve()
      })
      this.send({ cmd: 'exit' })
    })
  }
}

function failed(def: ClientDef, phase: PhaseSpec, repeat: number, error: string, received = 0): RunRecord {
  return {
    client: def.id,
    phase: phase.name,
    repeat,
    ok: false,
    error,
    expected: phase.count,
    received,
    msgsPerSec: NaN,
    cpuUsPerMsg: NaN,
    userUsPerMsg: NaN,
    sysUsPerMsg: NaN,
    rssMiB: NaN,
    maxRssMiB: NaN,
    bytesPerMsg: NaN,
    gcCount: NaN,
    gcMs: NaN,
    latencyUs: { samples: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN },
    simCpuUsPerMsg: NaN,
    load: { wallS: 0, hostBusyCores: NaN, otherCores: NaN, stealPct: NaN, loadavg1: NaN, quiet: true },
    extra: {},
  }
}

/** One client process through one phase. Never throws: failures are records with ok=false. */
export async function runOne(sim: SimProcess, def: ClientDef, phase: PhaseSpec, repeat: number, log: (s: string) => void): Promise<RunRecord> {
  const rec = await runOneInner(sim, def, phase, repeat, log)
  if (rec.error !== undefined && !Number.isFinite(rec.cpuUsPerMsg)) log(`  ${phase.name.padEnd(5)} r${repeat} ${def.id.padEnd(18)} FAILED: ${rec.error}`)
  return rec
}

async function runOneInner(sim: SimProcess, def: ClientDef, phase: PhaseSpec, repeat: number, log: (s: string) => void): Promise<RunRecord> {
  const c = new ClientProcess(def, sim)
  try {
    const ready = await c.next('ready', 60_000)
    if (ready.type !== 'ready') return failed(def, phase, repeat, `no 'ready' (${ready.type}): ${c.stderrTail.trim()}`)
    // Prime until the simulator has the subscription (SUBSCRIBE replies and URL streams alike).
    let primes = 0
    for (let i = 0; i < 200; i++) {
      const r = await sim.firehose(1, 0)
      if ((r.results?.length ?? 0) > 0) {
        primes++
        break
      }
      await new Promise((res) => setTimeout(res, 50))
    }
    if (primes === 0) return failed(def, phase, repeat, 'never subscribed to the trade stream')
    c.send({ cmd: 'await', total: primes, timeoutMs: 10_000 })
    const primed = await c.next('reached', 15_000)
    if (primed.type !== 'reached' || (primed.received as number) < primes) return failed(def, phase, repeat, `did not receive the priming frame: ${c.stderrTail.trim()}`)
    // Warm-up (burst, same for every client).
    await sim.firehose(phase.warmup, 0)
    c.send({ cmd: 'await', total: primes + phase.warmup, timeoutMs: 60_000 })
    const warmed = await c.next('reached', 70_000)
    const warmedN = (warmed.received as number | undefined) ?? 0
    if (warmedN < primes + phase.warmup) return failed(def, phase, repeat, `missed warm-up frames (${warmedN - primes}/${phase.warmup})`, warmedN - primes)
    // Measured window.
    const simCpu0 = await sim.cpuUs()
    const own0 = process.cpuUsage()
    const stat0 = readProcStat()
    c.send({ cmd: 'start', endAt: primes + phase.warmup + phase.count, sampleMask: phase.sampleMask })
    const started = await c.next('started', 10_000)
    if (started.type !== 'started') return failed(def, phase, repeat, `no 'started' (${started.type})`)
    const resultP = c.next('result', 600_000)
    let settled = false
    void resultP.then(() => (settled = true))
    await sim.firehose(phase.count, phase.rate)
    // The firehose is done (all written to the socket); wait while the client keeps making progress.
    let last = -1
    let still = 0
    while (!settled && !c.exited) {
      await Promise.race([resultP, new Promise((res) => setTimeout(res, 1000))])
      if (settled) break
      c.send({ cmd: 'progress' })
      const p = await c.next('progress', 5000)
      const n = (p.received as number | undefined) ?? -1
      if (n === last) {
        if (++still >= 2) {
          c.send({ cmd: 'stop' })
          break
        }
      } else still = 0
      last = n
    }
    const res = (await Promise.race([resultP, new Promise((res) => setTimeout(() => res({ type: 'timeout' }), 10_000))])) as unknown as ClientResult | { type: string }
    const stat1 = readProcStat()
    const own = process.cpuUsage(own0)
    const simCpuUs = (await sim.cpuUs()) - simCpu0
    if (res.type !== 'result') return failed(def, phase, repeat, `no result (${res.type}): ${c.stderrTail.trim()}`)
    const r = res as ClientResult
    const n = Math.max(1, r.received)
    const load = windowLoad(stat0, stat1, (r.cpuUs + simCpuUs + own.user + own.system) / 1e6)
    const rec: RunRecord = {
      client: def.id,
      phase: phase.name,
      repeat,
      ok: r.received === r.expected,
      expected: r.expected,
      received: r.received,
      msgsPerSec: r.received / (r.wallMs / 1000),
      cpuUsPerMsg: r.cpuUs / n,
      userUsPerMsg: r.userUs / n,
      sysUsPerMsg: r.sysUs / n,
      rssMiB: r.rssMiB,
      maxRssMiB: r.maxRssMiB,
      bytesPerMsg: r.allocBytes / n,
      gcCount: r.gcCount,
      gcMs: r.gcMs,
      latencyUs: r.latency,
      simCpuUsPerMsg: simCpuUs / n,
      load,
      extra: r.extra,
    }
    if (!rec.ok) rec.error = `received ${r.received} of ${r.expected}`
    log(
      `  ${phase.name.padEnd(5)} r${repeat} ${def.id.padEnd(18)} ${rec.ok ? '' : 'MISSED '}${r.received}/${r.expected} ` +
        `${(rec.msgsPerSec / 1000).toFixed(1)}k msg/s  ${rec.cpuUsPerMsg.toFixed(3)} CPU µs/msg (user ${rec.userUsPerMsg.toFixed(3)} sys ${rec.sysUsPerMsg.toFixed(3)})  ` +
        `p50/p99/p99.9 ${r.latency.p50}/${r.latency.p99}/${r.latency.p999} µs  rss ${r.rssMiB.toFixed(0)} MiB  ` +
        `${rec.bytesPerMsg.toFixed(0)} B/msg gc ${r.gcCount}  other load ${load.otherCores} cores${load.quiet ? '' : ' (NOT QUIET)'}`,
    )
    return rec
  } catch (err) {
    return failed(def, phase, repeat, err instanceof Error ? err.message : String(err))
  } finally {
    await c.exit()
  }
}
