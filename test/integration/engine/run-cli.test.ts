/**
 * `tickflow run` with no configuration, as `npm start` runs it: the embedded
 * simulator, market data flowing, the example market maker quoting and
 * filling over the WebSocket API, metrics on 127.0.0.1:9464, and SIGINT
 * ending in `shutdown: clean` with exit 0 within 6 s. Then `tickflow orders`
 * and `tickflow fills` list what the market maker did from the journal.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CLI } from '../../helpers/paths.js'
import { eventually } from '../../helpers/eventually.js'

test('tickflow run: default engine on the simulator, metrics, SIGINT → shutdown: clean', { timeout: 120_000 }, async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'tickflow-run-'))
  const child = spawn(process.execPath, [CLI, 'run', '--no-status'], { cwd, env: { ...process.env, TICKFLOW_POOL_DEBUG: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr.on('data', (b: Buffer) => (err += b.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    await eventually(() => assert.match(out, /"msg":"engine running"/), 30_000)
    // market data flows and the market maker fills (JSON logs: not a terminal)
    await eventually(async () => {
      const res = await fetch('http://127.0.0.1:9464/metrics')
      assert.equal(res.status, 200)
      const text = await res.text()
      const events = /tickflow_events_total\{venue="sim",kind="trade"\} (\d+)/.exec(text)
      assert.ok(events !== null && Number(events[1]) > 0, 'trades flowing')
      const fills = /^tickflow_fills_total (\d+)/m.exec(text)
      assert.ok(fills !== null && Number(fills[1]) >= 1, 'market maker filled')
      assert.match(text, /tickflow_pipeline_latency_seconds\{stage="frame_to_subscriber",quantile="0.99"\}/)
      assert.match(text, /tickflow_pool_leased\{pool="CanonicalEvent"\}/)
      assert.match(text, /tickflow_gc_pause_seconds_count/)
    }, 60_000, 250)
    const t0 = Date.now()
    child.kill('SIGINT')
    const code = await exited
    const took = Date.now() - t0
    assert.equal(code, 0, `exit code (stderr: ${err.slice(-2000)})`)
    assert.ok(took < 6000, `shutdown took ${took} ms`)
    assert.match(out, /^shutdown: clean/m)

    const journal = path.join(cwd, 'tickflow-journal.sqlite')
    const orders = spawnSync(process.execPath, [CLI, 'orders', '--journal', journal, '--json'], { encoding: 'utf8' })
    assert.equal(orders.status, 0, orders.stderr)
    const rows = JSON.parse(orders.stdout) as Array<Record<string, unknown>>
    assert.ok(rows.length >= 2, `orders in the journal: ${rows.length}`)
    assert.ok(rows.every((r) => r.strategy === 'mm' || r.strategyId === 1 || r.strategyName === 'mm'), JSON.stringify(rows[0]))
    const fills = spawnSync(process.execPath, [CLI, 'fills', '--journal', journal, '--json', '--instrument', 'BTCUSDT'], { encoding: 'utf8' })
    assert.equal(fills.status, 0, fills.stderr)
    assert.ok((JSON.parse(fills.stdout) as unknown[]).length >= 1)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(cwd, { recursive: true, force: true })
  }
})
