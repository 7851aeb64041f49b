/**
 * Benchmark runner: `npm run bench -- [--quick] [--json FILE] [--list] [scenario-name…]`.
 *
 * Scenarios register in bench/scenarios/index.ts. A name selects a scenario
 * exactly or by prefix ("decode" runs every decode.* scenario). Scenarios of a
 * group (e.g. "peers") run only when named. Each scenario measures its subject
 * and its baseline side by side in the same run and reports the ratio.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { SCENARIOS } from './scenarios/index.js'
import { machineInfo, type ScenarioResult } from './harness.js'

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  })
  if (values.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(28)} ${s.group ? `[${s.group}] ` : ''}${s.description}\n`)
    return 0
  }
  const selected = SCENARIOS.filter((s) =>
    positionals.length === 0 ? s.group === undefined : positionals.some((p) => s.name === p || s.name.startsWith(p + '.') || s.group === p),
  )
  const unknown = positionals.filter((p) => !SCENARIOS.some((s) => s.name === p || s.name.startsWith(p + '.') || s.group === p))
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown scenario(s): ${unknown.join(', ')} (see --list)\n`)
    return 2
  }
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    process.stderr.write('bench: run with --expose-gc (npm run bench does) so allocations can be measured\n')
    return 2
  }
  const log = (line: string): void => {
    process.stderr.write(line + '\n')
  }
  const results: ScenarioResult[] = []
  const started = Date.now()
  for (const s of selected) {
    log(`# ${s.name}: ${s.description}`)
    const rows = await s.run({ quick: values.quick === true, log })
    for (const r of rows) {
      results.push(r)
      log(formatRow(r))
    }
  }
  const report = { machine: machineInfo(), date: new Date().toISOString(), quick: values.quick === true, durationMs: Date.now() - started, scenarios: results }
  if (values.json !== undefined) {
    mkdirSync(path.dirname(path.resolve(values.json)), { recursive: true })
    writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n')
    log(`wrote ${values.json}`)
  }
  return 0
}

function formatRow(r: ScenarioResult): string {
  const base = r.baseline ? `  vs ${r.baseline.name}: ${r.baseline.value} ${r.unit} (${r.baseline.bytesPerOp ?? '?'} B/op)  ratio ${r.ratio}` : ''
  const extra = r.extra ? '  ' + Object.entries(r.extra).map(([k, v]) => `${k}=${v}`).join(' ') : ''
  return `  ${r.name.padEnd(34)} ${String(r.value).padStart(10)} ${r.unit} ${r.bytesPerOp !== undefined ? `${r.bytesPerOp} B/op ` : ''}${r.gcCount !== undefined ? `gc=${r.gcCount} ` : ''}${base}${extra}`
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)
