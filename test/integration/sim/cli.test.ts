/** `tickflow sim`: prints URLs and credentials, serves, exits 0 on SIGINT; config files validated. */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CLI } from '../../helpers/paths.js'
import { eventually } from '../../helpers/eventually.js'
import { http } from './client.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'tickflow-sim-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function run(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'sim', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, out: () => out, err: () => err, exit }
}

test('serves until SIGINT, then exits 0; demo credentials from the environment are not printed', async () => {
  const p = run(['--port', '0', '--seed', '4'], { TICKFLOW_SIM_API_KEY: 'envKey123', TICKFLOW_SIM_API_SECRET: 'envSecretXYZ' })
  await eventually(() => /REST\s+http:\/\/127\.0\.0\.1:\d+/.test(p.out()), 10000)
  const rest = /REST\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(p.out())![1]!
  assert.match(p.out(), /WS-API\s+ws:\/\/127\.0\.0\.1:\d+\/ws-api\/v3/)
  assert.match(p.out(), /apiKey envKey123/)
  assert.ok(!p.out().includes('envSecretXYZ'), 'a secret from the environment is never printed')
  assert.match(p.out(), /TICKFLOW_SIM_API_SECRET/)
  assert.equal((await http('GET', `${rest}/api/v3/ping`)).status, 200)
  p.child.kill('SIGINT')
  assert.equal(await p.exit, 0)
})

test('a generated demo secret is printed so clients can use it', async () => {
  const p = run(['--port', '0'], { TICKFLOW_SIM_API_KEY: '', TICKFLOW_SIM_API_SECRET: '' })
  await eventually(() => /secret [0-9a-f]{64}/.test(p.out()), 10000)
  p.child.kill('SIGTERM')
  assert.equal(await p.exit, 0)
})

test('config file: accounts are listed without secrets; bad keys are named; CLI flags win', async () => {
  const good = path.join(dir, 'sim.yaml')
  writeFileSync(good, ['port: 1', 'seed: 9', 'accounts:', '  - apiKey: cfgKey', '    secret: topSecretValue', '    balances: { USDT: "1000" }', ''].join('\n'))
  const p = run(['--config', good, '--port', '0'])
  await eventually(() => /account\s+apiKey cfgKey/.test(p.out()), 10000)
  assert.ok(!p.out().includes('topSecretValue'))
  p.child.kill('SIGINT')
  assert.equal(await p.exit, 0)

  const bad = path.join(dir, 'bad.yaml')
  writeFileSync(bad, 'timing:\n  pingIntervalMs: 20000\n  pongTimeout: 5\n')
  const b = run(['--config', bad, '--port', '0'])
  assert.equal(await b.exit, 1)
  assert.match(b.err(), /timing\.pongTimeout: unknown key/)

  const badJson = path.join(dir, 'bad.json')
  writeFileSync(badJson, '{"accounts":[{"apiKey":"k"}]}')
  const j = run(['--config', badJson, '--port', '0'])
  assert.equal(await j.exit, 1)
  assert.match(j.err(), /accounts\[0\]: exactly one of secret or ed25519PublicKey/)
})
