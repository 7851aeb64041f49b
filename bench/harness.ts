/**
 * Benchmark harness: side-by-side measurement of a subject and its baseline in
 * one process, alternating rounds (order rotated every round), medians.
 *
 * Allocation per operation uses v8.GCProfiler as in
 * ../shared/docs/node-performance.md §1 (Node 20 has no allocation counter):
 *   allocated = Σ over GCs (used before this GC − used after the previous GC)
 *             + (used at the end − used after the last GC)
 * which is right whatever the number of GCs in the window. Requires
 * --expose-gc (npm run bench passes it).
 */
import v8 from 'node:v8'
import os from 'node:os'

export interface Measured {
  /** nanoseconds per operation (median over rounds) */
  nsPerOp: number
  /** heap bytes allocated per operation (median) */
  bytesPerOp: number
  /** garbage collections during a round (median) */
  gcCount: number
  /** total GC pause per round in ms (median) */
  gcMs: number
}

export interface Variant {
  name: string
  /** Runs `ops` operations; the returned value is sunk so that nothing is optimized away. */
  run: (ops: number) => unknown
  /** Optional per-round setup outside the timed region. */
  setup?: () => void
}

let sink: unknown = null
/** Keeps a value alive so the optimizer cannot drop the work that produced it. */
export function blackhole(v: unknown): void {
  sink = v
}
export function sinkValue(): unknown {
  return sink
}

const gcFn: (() => void) | undefined = (globalThis as { gc?: () => void }).gc

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return NaN
  return n % 2 === 1 ? s[(n - 1) >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
}

interface GcStat {
  gcType: string
  cost: number
  beforeGC: { heapStatistics: { usedHeapSize: number } }
  afterGC: { heapStatistics: { usedHeapSize: number } }
}

function measureOnce(v: Variant, ops: number): Measured {
  v.setup?.()
  gcFn?.()
  const used0 = v8.getHeapStatistics().used_heap_size
  const prof = new v8.GCProfiler()
  prof.start()
  const t0 = process.hrtime.bigint()
  blackhole(v.run(ops))
  const t1 = process.hrtime.bigint()
  const data = prof.stop() as unknown as { statistics: GcStat[] }
  const usedEnd = v8.getHeapStatistics().used_heap_size
  let allocated = 0
  let prevAfter = used0
  let gcUs = 0
  for (const s of data.statistics) {
    allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - prevAfter)
    prevAfter = s.afterGC.heapStatistics.usedHeapSize
    gcUs += s.cost
  }
  allocated += Math.max(0, usedEnd - prevAfter)
  return {
    nsPerOp: Number(t1 - t0) / ops,
    bytesPerOp: allocated / ops,
    gcCount: data.statistics.length,
    gcMs: gcUs / 1000,
  }
}

/**
 * Measures every variant `rounds` times, alternating and rotating their order,
 * after one warm-up round that is dropped. Returns medians per variant.
 */
export function compare(variants: Variant[], ops: number, rounds: number): Measured[] {
  const results: Measured[][] = variants.map(() => [])
  for (let r = -1; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + Math.max(r, 0)) % variants.length
      const m = measureOnce(variants[i]!, ops)
      if (r >= 0) results[i]!.push(m)
    }
  }
  return results.map((rs) => ({
    nsPerOp: median(rs.map((m) => m.nsPerOp)),
    bytesPerOp: median(rs.map((m) => m.bytesPerOp)),
    gcCount: median(rs.map((m) => m.gcCount)),
    gcMs: median(rs.map((m) => m.gcMs)),
  }))
}

/** One result row in the JSON report (the shape issue #2 specifies). */
export interface ScenarioResult {
  name: string
  unit: string
  value: number
  bytesPerOp?: number
  gcCount?: number
  gcMs?: number
  baseline?: { name: string; value: number; bytesPerOp?: number; gcCount?: number; gcMs?: number }
  /** value / baseline.value */
  ratio?: number
  /** anything else worth reporting (percentiles, rates, notes) */
  extra?: Record<string, number | string | boolean>
}

export interface BenchContext {
  quick: boolean
  /** informational output (goes to stderr so --json stdout stays clean) */
  log: (line: string) => void
}

export interface Scenario {
  name: string
  description: string
  /** scenarios in the "peers" group etc. are only run when named */
  group?: string
  run: (ctx: BenchContext) => Promise<ScenarioResult[]> | ScenarioResult[]
}

/** Builds a result row from a subject and its baseline measurement. */
export function sideBySide(name: string, subject: Measured, baselineName: string, baseline: Measured, extra?: ScenarioResult['extra']): ScenarioResult {
  const row: ScenarioResult = {
    name,
    unit: 'ns/op',
    value: round(subject.nsPerOp),
    bytesPerOp: round(subject.bytesPerOp),
    gcCount: subject.gcCount,
    gcMs: round(subject.gcMs),
    baseline: {
      name: baselineName,
      value: round(baseline.nsPerOp),
      bytesPerOp: round(baseline.bytesPerOp),
      gcCount: baseline.gcCount,
      gcMs: round(baseline.gcMs),
    },
    ratio: round(subject.nsPerOp / baseline.nsPerOp, 3),
  }
  if (extra !== undefined) row.extra = extra
  return row
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export function machineInfo(): { node: string; cpus: number; model: string; platform: string; memGiB: number; loadavg: number[] } {
  const cpus = os.cpus()
  return {
    node: process.version,
    cpus: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.release()}`,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadavg: os.loadavg().map((x) => round(x)),
  }
}
