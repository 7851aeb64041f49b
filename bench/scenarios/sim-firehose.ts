/**
 * sim.firehose: how fast the simulator's firehose feeds one local WebSocket
 * client (the load generator of every network benchmark), server and client
 * in separate processes.
 *
 * Subject: `tickflow sim` firehose (pre-framed batches written straight to the
 * socket, backpressure by 'drain'). Baseline: the straightforward server, a
 * `ws` WebSocketServer doing JSON.stringify + ws.send() per message with the
 * same backpressure rule. The client (this process) only counts messages.
 * Also reports one-way latency from the frames' "ts" (CLOCK_MONOTONIC ns)
 * at a paced 50k msgs/s. A regression here lowers the ceiling of every
 * end-to-end benchmark.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import WebSocket, { WebSocketServer } from 'ws'
import { round, type Scenario, type ScenarioResult } from '../harness.js'

const SELF = fileURLToPath(import.meta.url)

interface Ready {
  port: number
}

function startChild(mode: 'sim' | 'naive'): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(SELF, ['serve', mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('message', (m: Ready) => resolve({ child, port: m.port }))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`firehose server exited ${code}`)))
  })
}

/** Connects, asks the server for `count` frames at `rate` (0 = max), counts them. */
async function drive(port: number, path: string, count: number, rate: number, latency: boolean, viaControl: boolean): Promise<{ msgsPerSec: number; p50Us: number; p99Us: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { skipUTF8Validation: true })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let n = 0
  const lat: number[] = []
  const t0 = process.hrtime.bigint()
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      n++
      if (latency && (n & 15) === 0) {
        const i = data.lastIndexOf('"ts":"')
        if (i > 0) {
          const end = data.indexOf(34, i + 6)
          lat.push(Number(process.hrtime.bigint() - BigInt(data.toString('latin1', i + 6, end))) / 1000)
        }
      }
      if (n === count) resolve()
    })
  })
  if (viaControl) {
    // the simulator's loopback control endpoint starts the firehose on this connection's stream
    const res = await fetch(`http://127.0.0.1:${port}/__sim/firehose`, { method: 'POST', body: JSON.stringify({ stream: 'btcusdt@trade', count, rate }) })
    await res.text()
  } else {
    ws.send(JSON.stringify({ go: count, rate }))
  }
  await done
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  ws.close()
  lat.sort((a, b) => a - b)
  return { msgsPerSec: count / secs, p50Us: lat.length > 0 ? lat[lat.length >> 1]! : NaN, p99Us: lat.length > 0 ? lat[Math.floor(lat.length * 0.99)]! : NaN }
}

export const simFirehoseScenario: Scenario = {
  name: 'sim.firehose',
  description: 'simulator firehose vs a plain ws server (JSON.stringify + send per message), separate processes, msgs/s to one client',
  async run(ctx) {
    const count = ctx.quick ? 300_000 : 2_000_000
    const rounds = ctx.quick ? 3 : 5
    const sim = await startChild('sim')
    const naive = await startChild('naive')
    try {
      const subj: number[] = []
      const base: number[] = []
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? ['sim', 'naive'] : ['naive', 'sim']
        for (const which of order) {
          if (which === 'sim') subj.push((await drive(sim.port, '/ws/btcusdt@trade', count, 0, false, true)).msgsPerSec)
          else base.push((await drive(naive.port, '/', count, 0, false, false)).msgsPerSec)
        }
      }
      const paced = await drive(sim.port, '/ws/btcusdt@trade', ctx.quick ? 100_000 : 500_000, 50_000, true, true)
      const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
      const s = med(subj)
      const b = med(base)
      const row: ScenarioResult = {
        name: 'sim.firehose.msgsPerSec',
        unit: 'msg/s',
        value: Math.round(s),
        baseline: { name: 'ws server, JSON.stringify+send per msg', value: Math.round(b) },
        ratio: round(s / b, 3),
        extra: { pacedRate: 50_000, latencyP50Us: round(paced.p50Us, 1), latencyP99Us: round(paced.p99Us, 1) },
      }
      ctx.log(`  firehose: ${Math.round(s)} msg/s vs naive ${Math.round(b)} msg/s; paced 50k/s one-way p50 ${round(paced.p50Us, 1)} µs p99 ${round(paced.p99Us, 1)} µs`)
      return [row]
    } finally {
      sim.child.kill()
      naive.child.kill()
    }
  },
}

/** Child-process servers. */
async function serve(mode: string): Promise<void> {
  if (mode === 'sim') {
    const { startSimulator } = await import('../../src/sim/index.js')
    const sim = await startSimulator({ timing: { stepMs: 1_000_000_000, pingIntervalMs: 0 }, limits: { maxIncomingPerSecond: 0, maxSendBufferBytes: 16 * 1024 * 1024 } })
    process.on('disconnect', () => {
      void sim.close().then(() => process.exit(0))
    })
    process.send!({ port: sim.port })
    return
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  let tradeId = 0
  wss.on('connection', (ws) => {
    ws.on('message', (m: Buffer) => {
      const { go } = JSON.parse(m.toString()) as { go: number }
      let sent = 0
      const sock = (ws as unknown as { _socket: import('node:net').Socket })._socket
      const pump = (): void => {
        while (sent < go) {
          const t = { e: 'trade', E: Date.now(), s: 'BTCUSDT', t: ++tradeId, p: '60000.00000000', q: '0.00001000', T: Date.now(), m: true, M: true, ts: String(process.hrtime.bigint()) }
          ws.send(JSON.stringify(t))
          sent++
          if (sock.writableLength > 8 * 1024 * 1024) {
            sock.once('drain', pump)
            return
          }
          if ((sent & 1023) === 0) {
            setImmediate(pump)
            return
          }
        }
      }
      pump()
    })
  })
  process.send!({ port: (wss.address() as { port: number }).port })
  process.on('disconnect', () => process.exit(0))
}

if (process.argv[1] === SELF && process.argv[2] === 'serve') {
  void serve(process.argv[3]!)
}
