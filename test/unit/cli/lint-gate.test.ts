/**
 * Proves the lint gate: a file outside the transport layer that imports `ws`
 * fails lint with exactly `path:line:col: import 'ws' is not allowed: Use … instead (rule)`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../helpers/paths.js'

const lint = (virtualPath: string, source: string) =>
  spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'lint.mjs'), '--stdin-filename', virtualPath], {
    cwd: REPO_ROOT,
    input: source,
    encoding: 'utf8',
    timeout: 60_000,
  })

const fixture = readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'lint', 'imports-ws.ts.txt'), 'utf8')

test('importing ws outside src/transport fails lint with the gate message', () => {
  const r = lint('src/pipeline/imports-ws.ts', fixture)
  assert.equal(r.status, 1, r.stdout + r.stderr)
  const first = r.stdout.split('\n')[0]
  assert.equal(
    first,
    "src/pipeline/imports-ws.ts:3:1: import 'ws' is not allowed: Use tickflow's connection API (src/transport: connectWs, WsServer) instead (tickflow/banned-imports)",
  )
})

test('the same import inside src/transport passes', () => {
  const r = lint('src/transport/imports-ws.ts', fixture)
  assert.equal(r.status, 0, r.stdout + r.stderr)
})

test('layer rules: pipeline may not import a venue; decode paths may not parseFloat', () => {
  const layer = lint('src/pipeline/x.ts', "import { a } from '../venues/binance/a.js'\nexport const b = a\n")
  assert.equal(layer.status, 1)
  assert.match(layer.stdout, /^src\/pipeline\/x\.ts:1:1: import '\.\.\/venues\/binance\/a\.js' is not allowed: Use .* instead \(tickflow\/layer-imports\)$/m)
  const float = lint('src/orders/x.ts', "export const p = parseFloat('1.5')\n")
  assert.equal(float.status, 1)
  assert.match(float.stdout, /'parseFloat' is not allowed: Use parseDecimal/)
  const global = lint('src/strategy/x.ts', "export const w = new WebSocket('ws://127.0.0.1')\n")
  assert.equal(global.status, 1)
  assert.match(global.stdout, /global 'WebSocket' is not allowed/)
})
