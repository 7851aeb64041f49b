import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { CLI, REPO_ROOT } from '../../helpers/paths.js'

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 })

test('tickflow --help lists every command', () => {
  const r = run('--help')
  assert.equal(r.status, 0)
  for (const c of ['run', 'sim', 'replay', 'bench', 'orders', 'fills']) assert.match(r.stdout, new RegExp(`^\\s+${c}\\b`, 'm'))
})

test('tickflow --version prints the package version', () => {
  const r = run('--version')
  assert.equal(r.status, 0)
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
  assert.equal(r.stdout.trim(), pkg.version)
})

test('an unknown command exits 2 with a one-line error and the usage', () => {
  const r = run('nonsense')
  assert.equal(r.status, 2)
  const lines = r.stderr.trim().split('\n')
  assert.match(lines[0]!, /^error: unknown command 'nonsense'$/)
  assert.match(lines[1]!, /^Usage: tickflow /)
})

test('an unknown option or a bad value exits 2 with the command usage', () => {
  const r = run('run', '--bogus')
  assert.equal(r.status, 2)
  assert.match(r.stderr, /^error: unknown option '--bogus'\nUsage: tickflow run /)
  const p = run('sim', '--port', 'abc')
  assert.equal(p.status, 2)
  assert.match(p.stderr, /argument 'abc' is invalid/)
})
