/**
 * A quick, focused end-to-end run for hot-path work: the simulator process
 * plus the named clients only, burst (or paced: --rate) phase, rotated repeats, medians.
 *
 *   npm run build --silent && node dist/bench/peers/solo.js tickflow ws-count raw-count [--repeats 5] [--count 300000] [--warmup 30000] [--rate 0]
 *
 * PEERS_CLIENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the
 * clients. The report of record is still `npm run bench -- peers`.
 */
import { parseArgs } from 'node:util'
import { CLIENTS, median, rotated } from './benchmark.js'
import { SimProcess, runOne, type PhaseSpec, type RunRecord } from './runner.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    repeats: { type: 'string', default: '5' },
    count: { type: 'string', default: '300000' },
    warmup: { type: 'string', default: '30000' },
    /** frames per second; 0 = burst */
    rate: { type: 'string', default: '0' },
  },
})
const defs = positionals.map((id) => {
  const d = CLIENTS.find((c) => c.id === id)
  if (d === undefined) throw new Error(`unknown client ${id} (one of ${CLIENTS.map((c) => c.id).join(', ')})`)
  return d
})
if (defs.length === 0) throw new Error('name at least one client')
const rate = Number(values.rate)
const phase: PhaseSpec = { name: rate > 0 ? 'paced' : 'burst', rate, count: Number(values.count), warmup: Number(values.warmup), sampleMask: rate > 0 ? 0 : 15 }
const sim = new SimProcess()
await sim.start()
const runs: RunRecord[] = []
try {
  for (let r = 0; r < Number(values.repeats); r++) {
    for (const def of rotated(defs, r)) runs.push(await runOne(sim, def, phase, r, (s) => process.stdout.write(s + '\n')))
  }
} finally {
  await sim.close()
}
const med = new Map(defs.map((d) => [d.id, median(runs.filter((x) => x.client === d.id && x.ok).map((x) => x.cpuUsPerMsg))]))
const base = med.get(defs[defs.length - 1]!.id)!
for (const d of defs) process.stdout.write(`${d.id.padEnd(18)} median ${med.get(d.id)!.toFixed(3)} CPU µs/msg  ${(med.get(d.id)! / base).toFixed(3)}x ${defs[defs.length - 1]!.id}\n`)
