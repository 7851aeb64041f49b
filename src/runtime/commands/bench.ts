/**
 * `tickflow bench`: runs the benchmark runner (bench/run.ts, compiled to
 * dist/bench/run.js) in a child process with --expose-gc, which the
 * allocation measurement needs. Available in a source checkout (benchmarks are
 * not part of the published package).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export default function bench(opts: Record<string, unknown>, scenarios: string[]): Promise<number> {
  const runner = fileURLToPath(new URL('../../../bench/run.js', import.meta.url))
  if (!existsSync(runner)) {
    process.stderr.write('tickflow bench: the benchmark runner is not built (run it from a source checkout: npm run bench)\n')
    return Promise.resolve(1)
  }
  const args = ['--expose-gc', runner]
  if (opts.quick === true) args.push('--quick')
  if (opts.list === true) args.push('--list')
  if (typeof opts.json === 'string') args.push('--json', opts.json)
  args.push(...scenarios)
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' })
    child.on('exit', (code) => resolve(code ?? 1))
  })
}
