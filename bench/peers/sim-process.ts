/**
 * The peers benchmark's source: tickflow's own simulator in its OWN process
 * (forked by bench/peers/runner.ts with an IPC channel), so that only the
 * client process is measured (node-performance.md §1).
 *
 * It starts the simulator on 127.0.0.1:0 with the synthetic market stopped
 * (no trade but the firehose's reaches the clients, so every client can count
 * exactly), tells the parent its URLs, and runs firehoses on command:
 *
 *   parent → { cmd: 'firehose', id, count, rate }   rate 0 = as fast as the client drains
 *   child  → { id, results: FirehoseResult[] }      one entry per subscribed connection
 *   parent → { cmd: 'cpu', id }                     → { id, cpuUs }   (this process's CPU so far)
 *   parent → { cmd: 'close' }                        (or disconnect) → the process exits
 *
 * Every firehose stamps E and T with the server's CLOCK_MONOTONIC µs just
 * before the batch write (`monotonicTimes`), so each client reads the stamp
 * from the parsed trade it hands to user code.
 */
import { startSimulator, type FirehoseResult } from '../../src/sim/index.js'

const SYMBOL_STREAM = 'btcusdt@trade'

interface FirehoseCmd {
  cmd: 'firehose'
  id: number
  count: number
  rate: number
}
interface CloseCmd {
  cmd: 'close'
}
interface CpuCmd {
  cmd: 'cpu'
  id: number
}

async function main(): Promise<void> {
  const sim = await startSimulator({
    host: '127.0.0.1',
    port: 0,
    seed: 1,
    // The synthetic market steps every stepMs; a step far beyond the run keeps the trade stream silent.
    timing: { stepMs: 2_000_000_000 },
    // Peer SDKs send a few control messages (SUBSCRIBE, pings); no incoming rate limit in a benchmark.
    limits: { maxIncomingPerSecond: 0 },
    faultEndpoint: false,
  })
  const send = (m: unknown): void => {
    process.send?.(m)
  }
  send({ type: 'listening', urls: sim.urls, stream: SYMBOL_STREAM })
  process.on('message', (m: FirehoseCmd | CpuCmd | CloseCmd) => {
    if (m.cmd === 'firehose') {
      sim.firehose({ stream: SYMBOL_STREAM, count: m.count, rate: m.rate, monotonicTimes: true }).then(
        (results: FirehoseResult[]) => send({ id: m.id, results }),
        (err: unknown) => send({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
      )
    } else if (m.cmd === 'cpu') {
      const c = process.cpuUsage()
      send({ id: m.id, cpuUs: c.user + c.system })
    } else if (m.cmd === 'close') {
      void sim.close().finally(() => process.exit(0))
    }
  })
  process.on('disconnect', () => {
    void sim.close().finally(() => process.exit(0))
  })
}

main().catch((err: unknown) => {
  process.stderr.write(`sim-process: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
