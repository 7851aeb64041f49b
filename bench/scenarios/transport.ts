/**
 * transport: receiving N small frames (Binance combined-stream trade
 * messages, ~165 B) from a server in ANOTHER process (bench/servers/
 * frame-server.ts), client CPU per message (process.cpuUsage: user + system)
 * and messages per second, for
 *   (a) tickflow's connectWs with the synchronous per-frame callback and
 *       pooled WsFrame (the hot-path mode the adapters use), and
 *   (b) a bare `ws` client that only counts frames (the floor of ws), and
 *   (c) (a) with `frames: null` (the connection's own frame, no pool), to
 *       show what the pool's acquire/release costs per frame.
 * Both handlers touch only `data.length`. Variants alternate, the order
 * rotates every round, medians over ≥ 3 rounds (after one warm-up round).
 * A regression shows as a CPU ratio above the target 1.2x: something per
 * frame (a closure, a Promise, an allocation, a clock read too many) was
 * added to WsConnection.deliver.
 */
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import WebSocket from 'ws'
import { round, type Scenario, type ScenarioResult } from '../harness.js'
import { BoundedPool } from '../../src/core/pool.js'
import { WsFrame } from '../../src/transport/ws-frame.js'
import { connectWs } from '../../src/transport/ws-connection.js'

interface RunResult {
  cpuNsPerMsg: number
  msgsPerSec: number
  /** heap bytes allocated per message in the client process (ws's Buffer views included) */
  bytesPerMsg: number
}

interface GcStat {
  beforeGC: { heapStatistics: { usedHeapSize: number } }
  afterGC: { heapStatistics: { usedHeapSize: number } }
}

/** Allocation meter as in bench/harness.ts (node-performance.md §1): Σ(before GC − after previous GC) + tail. */
class AllocMeter {
  private used0 = 0
  private prof: v8.GCProfiler | null = null
  start(): void {
    ;(globalThis as { gc?: () => void }).gc?.()
    this.used0 = v8.getHeapStatistics().used_heap_size
    this.prof = new v8.GCProfiler()
    this.prof.start()
  }
  stop(): number {
    const data = this.prof!.stop() as unknown as { statistics: GcStat[] }
    const usedEnd = v8.getHeapStatistics().used_heap_size
    let allocated = 0
    let prevAfter = this.used0
    for (const st of data.statistics) {
      allocated += Math.max(0, st.beforeGC.heapStatistics.usedHeapSize - prevAfter)
      prevAfter = st.afterGC.heapStatistics.usedHeapSize
    }
    return allocated + Math.max(0, usedEnd - prevAfter)
  }
}

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'servers', 'frame-server.js')

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(SERVER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    child.once('error', reject)
    child.once('message', (m) => resolve({ child, url: `ws://127.0.0.1:${(m as { port: number }).port}` }))
  })
}

let sink = 0

async function runTickflow(url: string, n: number, pool: BoundedPool<WsFrame> | null): Promise<RunResult> {
  let count = 0
  let done: (() => void) | null = null
  const finished = new Promise<void>((r) => (done = r))
  const conn = await connectWs(url, {
    frames: pool,
    onFrame: (f) => {
      sink += f.data!.length
      if (++count === n) done!()
    },
  })
  const meter = new AllocMeter()
  meter.start()
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await conn.write(`go ${n}`)
  await finished
  const t1 = process.hrtime.bigint()
  const cpu = process.cpuUsage(cpu0)
  const bytes = meter.stop()
  conn.terminate()
  await conn.closed()
  return result(n, cpu, t1 - t0, bytes)
}

async function runBareWs(url: string, n: number): Promise<RunResult> {
  let count = 0
  let done: (() => void) | null = null
  const finished = new Promise<void>((r) => (done = r))
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  ws.on('message', (data: Buffer) => {
    sink += data.length
    if (++count === n) done!()
  })
  const meter = new AllocMeter()
  meter.start()
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  ws.send(`go ${n}`)
  await finished
  const t1 = process.hrtime.bigint()
  const cpu = process.cpuUsage(cpu0)
  const bytes = meter.stop()
  ws.terminate()
  await new Promise<void>((r) => ws.once('close', () => r()))
  return result(n, cpu, t1 - t0, bytes)
}

function result(n: number, cpu: NodeJS.CpuUsage, wallNs: bigint, bytes: number): RunResult {
  return { cpuNsPerMsg: ((cpu.user + cpu.system) * 1000) / n, msgsPerSec: n / (Number(wallNs) / 1e9), bytesPerMsg: bytes / n }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const k = s.length >> 1
  return s.length % 2 === 1 ? s[k]! : (s[k - 1]! + s[k]!) / 2
}

export const transportScenario: Scenario = {
  name: 'transport',
  description: 'receive 1M small frames from another process: connectWs (pooled WsFrame callback) vs bare ws counting frames',
  async run(ctx) {
    const n = ctx.quick ? 200_000 : 1_000_000
    const rounds = ctx.quick ? 3 : 5
    const { child, url } = await startServer()
    const pool = new BoundedPool<WsFrame>({ name: 'WsFrame', capacity: 1024, create: () => new WsFrame(), preallocate: true })
    const variants = [
      { name: 'tickflow', run: () => runTickflow(url, n, pool) },
      { name: 'ws', run: () => runBareWs(url, n) },
      { name: 'tickflow-no-pool', run: () => runTickflow(url, n, null) },
    ]
    const results: RunResult[][] = [[], [], []]
    try {
      for (let r = -1; r < rounds; r++) {
        for (let k = 0; k < variants.length; k++) {
          const i = (k + Math.max(r, 0)) % variants.length
          const res = await variants[i]!.run()
          if (r >= 0) results[i]!.push(res)
          ctx.log(
            `  round ${r < 0 ? 'warm-up' : r + 1} ${variants[i]!.name}: ${round(res.cpuNsPerMsg)} CPU ns/msg, ${Math.round(res.msgsPerSec / 1000)}k msg/s, ${round(res.bytesPerMsg)} B/msg`,
          )
        }
      }
    } finally {
      child.disconnect()
    }
    const cpu = results.map((rs) => median(rs.map((x) => x.cpuNsPerMsg)))
    const rate = results.map((rs) => median(rs.map((x) => x.msgsPerSec)))
    const bytes = results.map((rs) => median(rs.map((x) => x.bytesPerMsg)))
    const row: ScenarioResult = {
      name: 'transport.receive',
      unit: 'CPU ns/msg',
      value: round(cpu[0]!),
      bytesPerOp: round(bytes[0]!),
      baseline: { name: 'bare ws counting frames', value: round(cpu[1]!), bytesPerOp: round(bytes[1]!) },
      ratio: round(cpu[0]! / cpu[1]!, 3),
      extra: {
        messages: n,
        rounds,
        tickflowKMsgsPerSec: round(rate[0]! / 1000, 1),
        wsKMsgsPerSec: round(rate[1]! / 1000, 1),
        rateRatio: round(rate[0]! / rate[1]!, 3),
        framePoolExhausted: pool.stats().exhausted,
        noPoolCpuNsPerMsg: round(cpu[2]!),
        noPoolRatio: round(cpu[2]! / cpu[1]!, 3),
        sink: sink > 0,
      },
    }
    return [row]
  },
}
