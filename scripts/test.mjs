// Runs every compiled test file (dist/test/**/*.test.js) with node:test.
// The spec reporter's summary ("ℹ tests … ℹ pass … ℹ fail …") is the last thing printed.
// Usage: node scripts/test.mjs [substring…]   (only files whose path contains one of them)
import { spawn } from 'node:child_process'
import { readdirSync, statSync, existsSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const dir = path.join(root, 'dist', 'test')
if (!existsSync(dir)) {
  console.error('test: dist/test does not exist; run `npm run build` first')
  process.exit(1)
}
const files = []
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const p = path.join(d, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.js')) files.push(p)
  }
}
walk(dir)
const filters = process.argv.slice(2)
const selected = filters.length > 0 ? files.filter((f) => filters.some((s) => f.includes(s))) : files
if (selected.length === 0) {
  console.error('test: no test files matched')
  process.exit(1)
}
const child = spawn(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...selected.map((f) => path.relative(root, f))],
  { stdio: 'inherit', cwd: root, env: { ...process.env, TICKFLOW_POOL_DEBUG: process.env.TICKFLOW_POOL_DEBUG ?? '1' } },
)
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
