/**
 * peers (group "peers", run only when named): tickflow end to end against a
 * bare ws floor, ws + JSON.parse and the established Node clients (binance
 * SDK, ccxt pro, tardis-dev), each in its own process against tickflow's
 * simulator in another process; plus tickflow's pooled-vs-unpooled runs and
 * its in-process stage ladder. See bench/peers/benchmark.ts and
 * docs/benchmarks.md.
 *
 *   npm run bench -- peers [--quick] --json out.json
 *
 * Besides the rows below (one per client and phase, CPU µs/msg with the ws
 * count-only floor as baseline), it writes the full report to
 * bench/results/<date>-<cpus>cpu-<model>[-quick].{json,md,svg}
 * (PEERS_RESULTS_DIR overrides the directory).
 */
import path from 'node:path'
import { round, type Scenario, type ScenarioResult } from '../harness.js'
import { runPeersBenchmark } from '../peers/benchmark.js'
import { REPO_ROOT } from '../peers/runner.js'
import { writeReportFiles } from '../report/render.js'

export const peersScenario: Scenario = {
  name: 'peers',
  group: 'peers',
  description: 'tickflow engine vs ws floors, binance SDK, ccxt, tardis-dev: separate processes, burst + paced, CPU µs/msg and latency',
  async run(ctx) {
    const report = await runPeersBenchmark(ctx.quick, ctx.log)
    const files = writeReportFiles(report, process.env.PEERS_RESULTS_DIR ?? path.join(REPO_ROOT, 'bench', 'results'))
    ctx.log(`  wrote ${files.json}, ${files.md}, ${files.svg}`)
    for (const t of report.targets) ctx.log(`  target ${t.pass ? 'pass' : 'MISS'}: ${t.name}: ${t.ratio} (${t.detail})`)
    const rows: ScenarioResult[] = []
    for (const s of report.summary) {
      if (s.notRunnable !== undefined) continue
      const floor = report.summary.find((x) => x.client === 'ws-count' && x.phase === s.phase)!
      rows.push({
        name: `peers.${s.phase}.${s.client}`,
        unit: 'CPU µs/msg',
        value: s.cpuUsPerMsg,
        baseline: { name: 'bare ws counting frames', value: floor.cpuUsPerMsg },
        ratio: round(s.cpuUsPerMsg / floor.cpuUsPerMsg, 3),
        extra: {
          allReceived: s.allReceived,
          msgsPerSec: s.msgsPerSec,
          rssMiB: s.rssMiB,
          bytesPerMsg: s.bytesPerMsg,
          p50Us: s.p50,
          p90Us: s.p90,
          p99Us: s.p99,
          p999Us: s.p999,
          noisyRuns: s.noisyRuns,
          report: path.relative(REPO_ROOT, files.json),
        },
      })
    }
    return rows
  },
}
