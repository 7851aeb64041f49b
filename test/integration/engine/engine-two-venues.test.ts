/**
 * The engine end to end: two embedded simulator venues listing BTCUSDT, the
 * example market maker trading on one of them over the WebSocket API, and a
 * slow queued subscriber of every overflow policy. Checks the counters of each
 * policy, that backpressure pauses and resumes the venue sockets, that the
 * consolidated BBO takes its sides from both venues, that no execution report
 * is dropped on the way to a slow exec-report consumer, and a clean shutdown.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createEngine } from '../../../src/runtime/engine.js'
import { EventKind, type MergedEvent } from '../../../src/model/events.js'
import { ExecType } from '../../../src/model/orders.js'
import MarketMaker from '../../../examples/market-maker.js'
import { eventually } from '../../helpers/eventually.js'

test('two venues, a trading strategy and a slow subscriber of each policy', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-engine-'))
  let strategyReports = 0
  const mm = new MarketMaker({ venue: 'a', symbol: 'BTCUSDT', size: '0.01', maxInventory: '0.05', minRequoteMs: 200, requoteTicks: 1 })
  const onExec = mm.onExecReport.bind(mm)
  mm.onExecReport = (r, ctx) => {
    strategyReports++
    onExec(r, ctx)
  }
  const engine = createEngine(
    {
      venues: [
        { name: 'a', type: 'simulator', symbols: ['BTCUSDT'], streams: ['trade', 'bookTicker', 'depth'] },
        { name: 'b', type: 'simulator', symbols: ['BTCUSDT', 'ETHUSDT'], streams: ['trade', 'bookTicker', 'depth'], trading: false },
      ],
      risk: { ordersPerSecond: 50, maxOrderNotional: '100000', maxPosition: { BTCUSDT: '1' } },
      journal: { path: path.join(dir, 'journal.sqlite') },
      metrics: { enabled: false },
    },
    { strategies: [{ name: 'mm', strategy: mm }], poolDebug: true },
  )
  try {
    await engine.start()
    const d = engine.dispatcher
    const all = 'all' as const
    const block = d.subscribeQueued({ name: 'slow-block', kinds: [EventKind.Trade, EventKind.Quote], instruments: all, policy: 'block', capacity: 256 })
    const dropOldest = d.subscribeQueued({ name: 'slow-drop', kinds: [EventKind.Trade, EventKind.Quote], instruments: all, policy: 'drop-oldest', capacity: 32 })
    const conflate = d.subscribeQueued({ name: 'slow-conflate', kinds: [EventKind.Quote, EventKind.Bbo], instruments: all, policy: 'conflate', capacity: 8 })
    const disconnect = d.subscribeQueued({ name: 'slow-disconnect', kinds: [EventKind.Trade, EventKind.Quote], instruments: all, policy: 'disconnect', capacity: 32 })
    const execQueue = engine.subscribeExecReports('slow-exec', 4)
    const bboVenues = new Set<string>()
    d.subscribeSync({
      name: 'bbo-watch',
      kinds: [EventKind.Bbo],
      instruments: all,
      handler: {
        onEvent(m: MergedEvent) {
          const ev = m.event!
          bboVenues.add(`bid:${engine.registry.venueName(ev.bidVenueId)}`)
          bboVenues.add(`ask:${engine.registry.venueName(ev.askVenueId)}`)
        },
      },
    })

    // Nobody drains: every policy reaches its bound (the blocking queue is the largest, so the
    // others overflow before it pauses the sockets).
    await eventually(() => {
      const s = new Map(d.stats().subscribers.map((x) => [x.name, x]))
      assert.ok(s.get('slow-drop')!.dropped > 0, 'drop-oldest dropped')
      assert.ok(s.get('slow-conflate')!.conflated > 0, 'conflate conflated')
      assert.equal(s.get('slow-disconnect')!.disconnected, true, 'disconnect disconnected')
      assert.equal(d.stats().paused, true, 'block paused upstream')
    }, 30_000)
    const st = new Map(d.stats().subscribers.map((x) => [x.name, x]))
    assert.equal(st.get('slow-drop')!.depth, 32, 'drop-oldest holds its bound')
    assert.ok(st.get('slow-conflate')!.depth <= 8)
    assert.ok(st.get('slow-block')!.depth <= 256, 'block holds its bound')
    for (const v of engine.venues) assert.ok(v.feed.stats().pauses >= 1, `venue ${v.config.name} paused`)

    // Draining the blocking subscriber resumes the sockets.
    const framesAtPause = engine.venues.map((v) => v.feed.stats().frames)
    block.drain(() => undefined, 1_000_000)
    dropOldest.drain(() => undefined, 1_000_000)
    await eventually(() => {
      block.drain(() => undefined, 1_000_000)
      assert.equal(d.stats().paused, false)
      engine.venues.forEach((v, i) => assert.ok(v.feed.stats().frames > framesAtPause[i]!, `venue ${v.config.name} reads again`))
    }, 20_000)

    // The market maker trades; its reports reach a slow exec consumer without loss.
    await eventually(() => {
      block.drain(() => undefined, 1_000_000)
      assert.ok(engine.pnl.fills >= 2, `fills ${engine.pnl.fills}`)
    }, 45_000)
    let execSeen = 0
    let fillsSeen = 0
    await eventually(() => {
      block.drain(() => undefined, 1_000_000)
      execQueue.drain((r) => {
        execSeen++
        if (r.execType === ExecType.Trade) fillsSeen++
      }, 1_000_000)
      assert.equal(engine.execBacklogSize, 0)
      assert.equal(execSeen, strategyReports, 'every report the strategy saw reached the slow exec consumer')
    }, 10_000)
    assert.ok(fillsSeen >= 2)
    assert.equal(execQueue.stats().delivered, execSeen)

    // Consolidated BBO: sides came from both venues.
    assert.ok(engine.merger.stats().bboEmitted > 0)
    assert.ok([...bboVenues].some((x) => x.endsWith(':a')) && [...bboVenues].some((x) => x.endsWith(':b')), [...bboVenues].join(','))
    void conflate
    void disconnect
  } finally {
    const result = await engine.close()
    rmSync(dir, { recursive: true, force: true })
    assert.deepEqual(result.pools.unreturned, {}, JSON.stringify(result.pools.sites ?? {}))
    assert.equal(result.clean, true, result.errors.join('; '))
  }
})
