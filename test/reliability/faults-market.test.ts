/**
 * Reliability: market-data faults injected by the simulator, through the
 * ENGINE (createEngine with the default venue, an embedded simulator) — the
 * feed, book sync, merger, dispatcher and a strategy — one fault at a time:
 * disconnect mid-frame, a silent stall, pings without pongs, no pings at all,
 * a server-side close (rotation), serverShutdown, a sequence gap in one
 * symbol, snapshot requests answered 500 / 429 / 418 with Retry-After, and
 * the 24 h connection limit in compressed time. For each: the engine
 * recovers (connected, books in sync, data flowing), the fault is counted in
 * the feed's stats, and nothing is lost silently (the Probe strategy: every
 * trade id delivered or reported in a TradeGap; every synced book top equal
 * to the venue's bookTicker at the same update id).
 *
 * The per-connection versions of several of these run against the replay
 * server in test/integration/venues/binance/market-feed-resilience.test.ts;
 * here they run through the whole engine against the simulator.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { BookInvalidReason } from '../../src/model/events.js'
import { createEngine, type Engine } from '../../src/runtime/engine.js'
import type { Simulator } from '../../src/sim/index.js'
import type { BinanceFeedStats } from '../../src/venues/binance/market-feed.js'
import { eventually } from '../helpers/eventually.js'
import { Probe } from './probe.js'
import { Results } from './results.js'

const results = new Results('faults-market', 'Venue faults: market data (engine + simulator)', 2)
const SYMBOLS = ['BTCUSDT', 'ETHUSDT']
let dir: string
let engine: Engine
let probe: Probe
let sim: Simulator
let btc = 0
let eth = 0

const FEED_TIMINGS = {
  staleMs: 1000,
  pingIntervalMs: 500,
  pongTimeoutMs: 600,
  backoff: { initialMs: 50, maxMs: 400 },
  stableAfterMs: 500,
  snapshotBackoffBaseMs: 100,
  snapshotBackoffMaxMs: 400,
  budgetRetryMs: 200,
}

function startMarketEngine(p: Probe, simulator: Record<string, unknown>, feedTimings: Record<string, unknown>, name: string): Engine {
  return createEngine(
    {
      venues: [{ name: 'sim', type: 'simulator', symbols: SYMBOLS, streams: ['trade', 'bookTicker', 'depth'], trading: false }],
      journal: { path: path.join(dir, `${name}.sqlite`) },
      metrics: { enabled: false },
    },
    { strategies: [{ name: 'probe', strategy: p }], poolDebug: true, simulator, feedTimings },
  )
}

const feed = (): BinanceFeedStats => engine.venues[0]!.feed.stats()
const conn = (): BinanceFeedStats['connections'][number]['transport'] => feed().connections[0]!.transport

/** Both books in sync, trades flowing past `trades` for each symbol. */
async function healthy(e: Engine, p: Probe, timeoutMs = 10_000): Promise<void> {
  const before = SYMBOLS.map((s) => p.of(e.registry.lookup('sim', s)).trades)
  await eventually(() => {
    SYMBOLS.forEach((s, i) => {
      const id = e.registry.lookup('sim', s)
      assert.equal(e.venues[0]!.feed.bookState(id), 'synced', `${s} synced`)
      assert.ok(p.of(id).trades > before[i]! + 5, `${s} trades flowing`)
      assert.ok(p.of(id).bookChecks > 0, `${s} book checked against the venue`)
    })
  }, timeoutMs)
}

function nothingLost(p: Probe): { lost: number; reportedMissing: number; bookMismatches: number; bookChecks: number } {
  const t = p.totals()
  const detail = [...p.by.values()].map((a) => a.lastMismatch).filter((x) => x !== '').join('; ')
  assert.equal(t.lost, 0, 'no trade id lost without a TradeGap')
  assert.equal(t.duplicates, 0, 'no trade delivered twice')
  assert.equal(t.bookMismatches, 0, `engine books equal the venue's tops: ${detail}`)
  return t
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-faults-md-'))
  probe = new Probe()
  engine = startMarketEngine(probe, { timing: { pingIntervalMs: 1000, pongTimeoutMs: 60_000 } }, FEED_TIMINGS, 'md')
  await engine.start()
  sim = engine.venues[0]!.sim!
  btc = engine.registry.lookup('sim', 'BTCUSDT')
  eth = engine.registry.lookup('sim', 'ETHUSDT')
  await healthy(engine, probe)
})

after(async () => {
  try {
    if (engine !== undefined) {
      const r = await engine.close()
      assert.deepEqual(r.pools.unreturned, {}, JSON.stringify(r.pools.sites ?? {}))
      assert.equal(r.clean, true, r.errors.join('; '))
    }
    results.write()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('disconnect mid-frame: reconnect, resubscribe, both books resync; missed trades reported, none lost', { timeout: 30_000 }, async () => {
  const r0 = feed().reconnects
  const inv0 = [probe.of(btc).invalidated.length, probe.of(eth).invalidated.length]
  const missing0 = probe.totals().reportedMissing
  assert.equal(sim.faults.disconnectMidFrame({ stream: 'btcusdt@trade' }), 1)
  await eventually(() => assert.ok(feed().reconnects > r0), 5000)
  await healthy(engine, probe)
  const reasons = [...probe.of(btc).invalidated.slice(inv0[0]), ...probe.of(eth).invalidated.slice(inv0[1])]
  assert.deepEqual(reasons, [BookInvalidReason.Reconnect, BookInvalidReason.Reconnect], 'both books invalidated once, reason reconnect')
  const t = nothingLost(probe)
  results.add({
    case: 'disconnect mid-frame',
    outcome: 'reconnected, resubscribed, books resynced',
    figures: { reconnects: feed().reconnects - r0, 'books invalidated (reconnect)': reasons.length, 'missed trade ids reported (TradeGap)': t.reportedMissing - missing0, 'book checks vs venue (whole file)': t.bookChecks },
    lost: t.lost,
  })
})

test('silent stall: the connection is declared stale, replaced, and the books resync', { timeout: 30_000 }, async () => {
  const stale0 = conn().stale
  const r0 = feed().reconnects
  assert.equal(sim.faults.stall({ stream: 'btcusdt@trade' }), 1)
  await eventually(() => assert.ok(conn().stale > stale0), 5000)
  await healthy(engine, probe)
  const t = nothingLost(probe)
  results.add({
    case: 'silent stall (socket open, nothing sent)',
    outcome: `stale after ${FEED_TIMINGS.staleMs} ms without data, replaced`,
    figures: { 'stale detections': conn().stale - stale0, reconnects: feed().reconnects - r0 },
    lost: t.lost,
  })
})

test('pings without pongs: our ping times out, the connection is replaced', { timeout: 30_000 }, async () => {
  const pt0 = conn().pongTimeouts
  const r0 = feed().reconnects
  sim.faults.stopPongs(true)
  try {
    await eventually(() => assert.ok(conn().pongTimeouts > pt0), 5000)
  } finally {
    sim.faults.stopPongs(false)
  }
  await healthy(engine, probe)
  const t = nothingLost(probe)
  results.add({
    case: 'pings without pongs (venue stops answering)',
    outcome: `pong timeout after ${FEED_TIMINGS.pongTimeoutMs} ms, replaced`,
    figures: { 'pong timeouts': conn().pongTimeouts - pt0, reconnects: feed().reconnects - r0 },
    lost: t.lost,
  })
})

test('no pings from the venue: nothing to do, the connection stays (our own pings keep it checked)', { timeout: 30_000 }, async () => {
  const st = () => conn().connection!
  await eventually(() => assert.ok(st().pongsSent > 0, 'we answer the venue pings'), 5000)
  const r0 = feed().reconnects
  const connId = st().connId
  assert.equal(sim.faults.stopPings({ stream: 'btcusdt@trade' }), 1)
  // a venue ping already on the wire is still answered: start counting two of our rounds later
  const ours0 = st().pongsReceived
  await eventually(() => assert.ok(st().pongsReceived >= ours0 + 2), 5000)
  const pongs = st().pongsSent
  const ours = st().pongsReceived
  // three of the venue's ping intervals (six of our ping rounds) go by
  await eventually(() => assert.ok(st().pongsReceived >= ours + 6), 10_000)
  assert.equal(st().pongsSent, pongs, 'no venue pings arrived, none answered')
  assert.equal(st().connId, connId, 'same connection')
  assert.equal(feed().reconnects, r0)
  await healthy(engine, probe)
  const t = nothingLost(probe)
  results.add({
    case: 'no pings from the venue',
    outcome: 'connection kept; our pings answered',
    figures: { 'our pongs received meanwhile': st().pongsReceived - ours, reconnects: 0 },
    lost: t.lost,
  })
})

test('serverShutdown: make-before-break replacement, no book invalidated, no trade gap', { timeout: 30_000 }, async () => {
  const s0 = feed().serverShutdowns
  const rot0 = conn().rotations
  const r0 = feed().reconnects
  const inv0 = probe.of(btc).invalidated.length + probe.of(eth).invalidated.length
  const gap0 = probe.totals().reportedMissing
  assert.ok(sim.faults.serverShutdown() >= 1)
  await eventually(() => assert.ok(conn().rotations > rot0), 5000)
  await healthy(engine, probe)
  assert.equal(feed().serverShutdowns, s0 + 1)
  assert.equal(feed().reconnects, r0, 'a rotation, not a reconnect')
  assert.equal(probe.of(btc).invalidated.length + probe.of(eth).invalidated.length, inv0, 'no book invalidated')
  assert.equal(probe.totals().reportedMissing, gap0, 'no trade missed')
  const t = nothingLost(probe)
  results.add({
    case: 'serverShutdown',
    outcome: 'replaced make-before-break: lossless',
    figures: { serverShutdowns: 1, rotations: conn().rotations - rot0, 'handover frames replayed': conn().handoverFrames, 'books invalidated': 0, 'trade ids missed': 0 },
    lost: t.lost,
  })
})

test('a server-side close (1000, as at the 24 h limit): reconnect, resync, missed trades reported', { timeout: 30_000 }, async () => {
  const r0 = feed().reconnects
  assert.equal(sim.faults.rotateConnections({ stream: 'btcusdt@trade' }), 1)
  await eventually(() => assert.ok(feed().reconnects > r0), 5000)
  await healthy(engine, probe)
  const t = nothingLost(probe)
  results.add({
    case: 'venue closes the connection (1000)',
    outcome: 'reconnected, books resynced',
    figures: { reconnects: feed().reconnects - r0, 'close code seen': conn().lastCloseCode },
    lost: t.lost,
  })
})

test('a sequence gap in one symbol: only that book resyncs', { timeout: 30_000 }, async () => {
  const gapsBtc = () => feed().symbols['BTCUSDT']!.book!.gaps
  const gapsEth = () => feed().symbols['ETHUSDT']!.book!.gaps
  const b0 = gapsBtc()
  const e0 = gapsEth()
  const invEth0 = probe.of(eth).invalidated.length
  const invBtc0 = probe.of(btc).invalidated.length
  const r0 = feed().reconnects
  sim.faults.skipDepthDiff('BTCUSDT')
  await eventually(() => assert.equal(gapsBtc(), b0 + 1), 5000)
  await healthy(engine, probe)
  assert.equal(gapsEth(), e0, 'ETHUSDT saw no gap')
  assert.deepEqual(probe.of(btc).invalidated.slice(invBtc0), [BookInvalidReason.SequenceGap])
  assert.equal(probe.of(eth).invalidated.length, invEth0, 'ETHUSDT book never invalidated')
  assert.equal(feed().reconnects, r0, 'no reconnect for a gap')
  const t = nothingLost(probe)
  results.add({
    case: 'sequence gap in one symbol (BTCUSDT)',
    outcome: 'BTCUSDT resynced from a snapshot; ETHUSDT untouched',
    figures: { 'BTCUSDT gaps': 1, 'ETHUSDT gaps': 0, 'ETHUSDT invalidations': 0, reconnects: 0 },
    lost: t.lost,
  })
})

test('snapshot requests answered 500, 429 and 418 with Retry-After: retried within the budget, then in sync', { timeout: 30_000 }, async () => {
  const f0 = feed().snapshotFailures
  const rest0 = (sim.stats().rest as { injectedFaults?: number; faults?: number })
  sim.faults.restFailure(500, 1, '/api/v3/depth', 1)
  sim.faults.restFailure(429, 1, '/api/v3/depth', 1)
  sim.faults.restFailure(418, 1, '/api/v3/depth', 1)
  engine.venues[0]!.feed.resync(eth)
  await eventually(() => assert.equal(feed().snapshotFailures, f0 + 3), 10_000)
  await healthy(engine, probe, 15_000)
  const eb = feed().symbols['ETHUSDT']!.book!
  assert.ok(eb.snapshotFailures >= 3)
  const t = nothingLost(probe)
  void rest0
  results.add({
    case: 'snapshot answered HTTP 500, 429, 418 (Retry-After 1 s)',
    outcome: 'backed off, retried, book in sync',
    figures: { 'snapshot failures counted': feed().snapshotFailures - f0, 'REST failures': feed().rest.failures, 'snapshots applied (ETHUSDT)': eb.snapshotsApplied },
    lost: t.lost,
  })
})

test('the 24 h connection limit in compressed time: planned make-before-break rotations, lossless', { timeout: 40_000 }, async () => {
  // 24 h = 3 s (timeAcceleration 28800); the feed rotates at "23 h" = 2875 ms, before the venue's limit.
  const p = new Probe()
  const accel = 28_800
  const e = startMarketEngine(p, { timing: { timeAcceleration: accel } }, { ...FEED_TIMINGS, staleMs: 0, lifetimeMs: Math.round((23 * 3600_000) / accel) }, 'rot')
  try {
    await e.start()
    const fs = (): BinanceFeedStats => e.venues[0]!.feed.stats()
    await eventually(() => assert.ok(fs().connections[0]!.transport.rotations >= 2), 15_000)
    await healthy(e, p)
    const st = fs()
    assert.equal(st.reconnects, 0, 'the venue never had to cut us off')
    const lifetimeCloses = ((e.venues[0]!.sim!.stats().ws as { closes?: Record<string, number> }).closes ?? {}) as Record<string, number>
    for (const id of [e.registry.lookup('sim', 'BTCUSDT'), e.registry.lookup('sim', 'ETHUSDT')]) assert.deepEqual(p.of(id).invalidated, [], 'no book invalidated')
    assert.equal(p.totals().reportedMissing, 0, 'no trade missed')
    const t = nothingLost(p)
    results.add({
      case: '24 h connection limit (compressed: 24 h = 3 s)',
      outcome: 'rotated make-before-break at 23 h: lossless',
      figures: { rotations: st.connections[0]!.transport.rotations, reconnects: 0, 'books invalidated': 0, 'trade ids missed': 0, 'book checks vs venue': t.bookChecks },
      lost: t.lost,
    })
    void lifetimeCloses
  } finally {
    const r = await e.close()
    assert.equal(r.clean, true, r.errors.join('; '))
  }
})
