/**
 * `tickflow run --record FILE` records the run (the option overrides
 * `recording.path` from the config), and `tickflow replay FILE --verify`
 * replays it with the recorded interleaving (text report, exit 0).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CLI } from '../../helpers/paths.js'

test('tickflow run --record, then tickflow replay --verify', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-runrec-'))
  try {
    const config = path.join(dir, 'tickflow.yaml')
    writeFileSync(
      config,
      [
        'venues:',
        '  - { name: sim, type: simulator, symbols: [BTCUSDT, ETHUSDT], streams: [trade, bookTicker, depth], trading: false }',
        'metrics: { enabled: false }',
        'logging: { level: warn }',
        'journal: { path: ./journal.sqlite }',
        'recording: { path: ./from-config.tfrec, flushIntervalMs: 50 }',
        '',
      ].join('\n'),
      { mode: 0o600 },
    )
    const rec = path.join(dir, 'cli.tfrec')
    const child = spawn(process.execPath, [CLI, 'run', '--no-status', '--config', config, '--duration', '2', '--record', rec], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (err += b.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    assert.equal(code, 0, `stdout: ${out.slice(-1000)} stderr: ${err.slice(-1000)}`)
    assert.match(out, /^shutdown: clean/m)
    assert.ok(existsSync(rec), '--record file written')
    assert.ok(!existsSync(path.join(dir, 'from-config.tfrec')), '--record overrides recording.path')

    const replay = spawnSync(process.execPath, [CLI, 'replay', rec, '--verify'], { encoding: 'utf8' })
    assert.equal(replay.status, 0, replay.stderr + replay.stdout)
    assert.match(replay.stdout, /run recording v1, arrival order/)
    assert.match(replay.stdout, /^verify {3}OK: \d+ events published, 0 mismatches/m)
    const events = /(\d+) events \(/.exec(replay.stdout)
    assert.ok(events !== null && Number(events[1]) > 0, replay.stdout)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
