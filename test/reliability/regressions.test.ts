/**
 * Regression tests for the product bugs the reliability suite found (each
 * proven end to end in the suite file named; here at the unit that was fixed).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawnRun, writeConfig } from './support.js'
import { ManualScheduler } from '../../src/book/scheduler.js'
import { ProviderRaw, RawType } from '../../src/model/provider-raw.js'
import { BinanceBookSync, BookSyncState } from '../../src/venues/binance/book-sync.js'

function diff(U: number, u: number): ProviderRaw {
  const r = new ProviderRaw()
  r.type = RawType.DepthUpdate
  r.instrumentId = 1
  r.firstUpdateId = U
  r.updateId = u
  r.pushBid(100, 1)
  return r
}

test('book sync: one corrupt far-ahead diff id no longer makes every later snapshot stale (book failed for good)', () => {
  // bad-input.test.ts: a fuzzed depth frame with a valid but absurd U/u left the live BTCUSDT book
  // `failed` after maxRetries stale snapshots, for the rest of the run.
  const clock = new ManualScheduler()
  const requests: number[] = []
  const sync = new BinanceBookSync({
    market: 'spot',
    venueId: 1,
    scheduler: clock,
    requestSnapshot: (id) => requests.push(id),
    listener: { onDiffApplied: () => undefined, onSnapshotApplied: () => undefined, onStatus: () => undefined },
  })
  sync.addInstrument(1, 2, 3)
  const snap = (L: number): ProviderRaw => {
    const r = new ProviderRaw()
    r.type = RawType.DepthSnapshot
    r.instrumentId = 1
    r.updateId = L
    r.pushBid(100, 1)
    r.pushAsk(200, 1)
    return r
  }
  sync.onDiff(diff(10, 12))
  assert.equal(sync.onSnapshot(snap(11)), true)
  assert.equal(sync.state(1), BookSyncState.Synced)
  // the corrupt diff: a gap (unavoidable: it could be real), buffered first
  sync.onDiff(diff(50_000_000_000, 50_000_000_002))
  assert.equal(sync.state(1), BookSyncState.AwaitingSnapshot)
  // the venue's real sequence goes on
  sync.onDiff(diff(13, 14))
  sync.onDiff(diff(15, 16))
  assert.equal(sync.stats(1)!.sequenceResets, 1)
  assert.equal(sync.onSnapshot(snap(14)), true, 'the snapshot matches the live run, not the corrupt id')
  assert.equal(sync.state(1), BookSyncState.Synced)
  assert.equal(sync.stats(1)!.snapshotsStale, 0)
})

test('book sync: contiguous buffered diffs are never reset', () => {
  const clock = new ManualScheduler()
  const sync = new BinanceBookSync({
    market: 'spot',
    venueId: 1,
    scheduler: clock,
    requestSnapshot: () => undefined,
    listener: { onDiffApplied: () => undefined, onSnapshotApplied: () => undefined, onStatus: () => undefined },
  })
  sync.addInstrument(1, 2, 3)
  for (let i = 0; i < 100; i++) sync.onDiff(diff(10 + 2 * i, 11 + 2 * i))
  assert.equal(sync.stats(1)!.sequenceResets, 0)
  assert.equal(sync.stats(1)!.buffered, 100)
})

test('tickflow run: SIGTERM while the start waits on an unresponsive venue stops at once (no second signal needed)', { timeout: 30_000 }, async () => {
  // security.test.ts: with refused credentials the start retried for ever and the first SIGTERM was ignored.
  const silent = net.createServer(() => undefined) // accepts, never answers
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
  const port = (silent.address() as net.AddressInfo).port
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-regr-'))
  const config = writeConfig(dir, 'hang.yaml', {
    venues: [{ name: 'x', type: 'binance-spot', symbols: ['BTCUSDT'], restUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, trading: false }],
    metrics: { enabled: false },
    logging: { format: 'json' },
  })
  const run = spawnRun(['--config', config], {}, dir)
  try {
    // the start is under way: the feed's exchangeInfo request reached the silent venue
    await new Promise<void>((r) => silent.once('connection', () => r()))
    const t0 = performance.now()
    run.child.kill('SIGTERM')
    const ex = await run.exited
    assert.ok(ex.atMs - t0 < 5000, `exited after ${Math.round(ex.atMs - t0)} ms`)
    assert.notEqual(ex.code, 130, 'not the forced exit of a second signal')
    assert.match(run.out(), /^shutdown: /m)
  } finally {
    run.kill()
    silent.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
