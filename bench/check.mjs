#!/usr/bin/env node
// bench:check — not a test: exits non-zero when tickflow misses its issue-8 targets.
//
//   npm run bench:check                      fresh full peers run (≈ 5 min), then the check
//   npm run bench:check -- --quick           fresh --quick run (≈ 2 min)
//   npm run bench:check -- results.json      check a saved peers report (no run)
//
// Targets (burst phase, CPU µs/msg medians of the client process):
//   tickflow ≤ 1.35x bare ws count-only; ≥ 2x faster than ws + JSON.parse;
//   ≥ 2.5x faster than the binance SDK (its cheaper mode); ≥ 10x faster than ccxt;
//   tickflow received every message in every run.
// Exit: 0 all targets met, 1 a target missed, 2 the run or the file failed.
// A fresh run writes its report to a temporary directory (bench/results/ is left alone).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const file = args.find((a) => !a.startsWith('--'))

let reportPath = file
let tmp = null
if (reportPath === undefined) {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tickflow-bench-check-'))
  const run = spawnSync(process.execPath, ['--expose-gc', path.join(ROOT, 'dist', 'bench', 'run.js'), 'peers', ...(quick ? ['--quick'] : []), '--json', path.join(tmp, 'rows.json')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PEERS_RESULTS_DIR: tmp },
  })
  if (run.status !== 0) {
    process.stderr.write(`bench:check: the peers run failed (exit ${run.status}); did you build? (npm run build)\n`)
    process.exit(2)
  }
  const found = readdirSync(tmp).filter((f) => f.endsWith('.json') && f !== 'rows.json')
  if (found.length !== 1) {
    process.stderr.write(`bench:check: expected one report in ${tmp}, found ${found.length}\n`)
    process.exit(2)
  }
  reportPath = path.join(tmp, found[0])
}

let report
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'))
  if (report.kind !== 'tickflow-peers-benchmark') throw new Error('not a peers report (kind)')
} catch (err) {
  process.stderr.write(`bench:check: cannot read ${reportPath}: ${err.message}\n`)
  process.exit(2)
}
// Recompute from the medians (never trust a stored verdict).
const { evaluateTargets } = await import(path.join(ROOT, 'dist', 'bench', 'peers', 'benchmark.js'))
const targets = evaluateTargets(report.summary)
const m = report.machine
process.stdout.write(`bench:check on ${m.cpus} × ${m.model}, Node ${m.node}, ${report.date}${report.config.quick ? ' (quick)' : ''}\n`)
let failed = 0
for (const t of targets) {
  if (!t.pass) failed++
  const cmp = t.kind === 'max' ? '≤' : '≥'
  process.stdout.write(`  ${t.pass ? 'pass' : 'MISS'}  ${t.name}: ${t.ratio} (limit ${cmp} ${t.limit}; ${t.detail})\n`)
}
const noisy = report.runs.filter((r) => !r.load.quiet).length
if (noisy > 0) process.stdout.write(`  note: ${noisy} of ${report.runs.length} measured windows were not quiet (other load on the machine)\n`)
if (tmp !== null) process.stdout.write(`  report: ${reportPath}\n`)
process.stdout.write(failed === 0 ? 'bench:check: all targets met\n' : `bench:check: ${failed} target(s) missed\n`)
process.exit(failed === 0 ? 0 : 1)
