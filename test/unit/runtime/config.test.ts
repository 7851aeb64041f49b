import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadEngineConfig, parseEngineConfig, permissionWarning } from '../../../src/runtime/config.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'
import { REPO_ROOT } from '../../helpers/paths.js'

const invalid = (pattern: RegExp) => (err: unknown) => isTickflowError(err, ErrorCode.CONFIG_INVALID) && pattern.test(err.message)

test('an empty config means the embedded simulator with defaults, frozen', () => {
  const c = parseEngineConfig({})
  assert.equal(c.venues.length, 1)
  assert.equal(c.venues[0]!.type, 'simulator')
  assert.equal(c.metrics.host, '127.0.0.1')
  assert.equal(c.metrics.port, 9464)
  assert.equal(c.shutdown.deadlineMs, 5000)
  assert.equal(c.pools.CanonicalEvent.pooled, true)
  assert.equal(c.venues[0]!.transport, 'raw')
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.venues[0]))
})

test('errors name the key and the problem, all at once', () => {
  assert.throws(
    () => parseEngineConfig({ venues: [{ symbols: 'BTCUSDT' }], risk: { killSwitch: 'maybe' }, bogus: 1 }, 'tickflow.yaml'),
    (err: unknown) =>
      invalid(/^  venues\[0\]\.symbols: expected a list of symbols, got "BTCUSDT"$/m)(err) &&
      invalid(/^  risk\.killSwitch: expected one of off, halt, reduce-only, got "maybe"$/m)(err) &&
      invalid(/^  bogus: unknown key/m)(err),
  )
  assert.throws(() => parseEngineConfig({ venues: [{ symbols: ['btc-usdt'] }] }), invalid(/venues\[0\]\.symbols\[0\]: expected a symbol like BTCUSDT/))
  assert.throws(() => parseEngineConfig({ venues: [{ transport: 'undici' }] }), invalid(/venues\[0\]\.transport: expected one of raw, ws, got "undici"/))
  assert.equal(parseEngineConfig({ venues: [{ transport: 'ws' }] }).venues[0]!.transport, 'ws')
  assert.throws(() => parseEngineConfig({ pools: { CanonicalEvent: { capacity: 0 } } }), invalid(/pools\.CanonicalEvent\.capacity/))
  assert.throws(() => parseEngineConfig({ strategies: [{ name: 'x' }] }), invalid(/strategies\[0\]\.path: is required/))
  assert.throws(
    () => parseEngineConfig({ venues: [{ name: 'a' }, { name: 'a' }] }),
    invalid(/venues\[1\]\.name: duplicate venue name "a"/),
  )
})

test('secrets are referenced by environment variable name, never accepted inline', () => {
  assert.throws(() => parseEngineConfig({ venues: [{ type: 'binance-spot', credentials: { apiSecret: 'abc' } }] }), invalid(/credentials\.apiSecret: unknown key/))
})

test('the commented example config is valid', () => {
  const c = loadEngineConfig(path.join(REPO_ROOT, 'tickflow.example.yaml'))
  assert.equal(c.venues[0]!.name, 'sim')
  assert.equal(c.strategies[0]!.name, 'mm')
})

test('malformed YAML, a missing file and a world-readable secret file are reported', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-config-'))
  try {
    const bad = path.join(dir, 'bad.yaml')
    writeFileSync(bad, 'venues: [\n')
    assert.throws(() => loadEngineConfig(bad), invalid(/not valid YAML/))
    assert.throws(() => loadEngineConfig(path.join(dir, 'none.yaml')), (e: unknown) => isTickflowError(e, ErrorCode.CONFIG_NOT_FOUND))
    const open = path.join(dir, 'open.yaml')
    writeFileSync(open, '{}\n')
    chmodSync(open, 0o644)
    assert.match(permissionWarning(open) ?? '', /readable by other users/)
    chmodSync(open, 0o600)
    assert.equal(permissionWarning(open), null)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
