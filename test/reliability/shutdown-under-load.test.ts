/**
 * Reliability: SIGTERM under load. The real `tickflow run` process trades
 * against the simulator (a binance-spot venue pointed at its URLs, HMAC
 * credentials from environment variables) with the order-flow strategy —
 * orders in flight and resting all the time — while the simulator's firehose
 * pushes trade frames on btcusdt@trade as fast as the engine reads them.
 * SIGTERM mid-firehose must end in exit 0 within 6 s with `shutdown: clean`
 * (every pooled object returned; TICKFLOW_POOL_DEBUG=1 lists leaks), and the
 * journal must hold exactly what the venue says happened: every order the
 * venue accepted, every trade of myTrades once, nothing still open.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startSimulator, type Simulator } from '../../src/sim/index.js'
import { JournalReader } from '../../src/journal/queries.js'
import { eventually } from '../helpers/eventually.js'
import type { Creds } from '../integration/sim/client.js'
import { Results } from './results.js'
import { ORDER_FLOW, assertAlive, metricsUrl, scrape, spawnRun, venueOpenOrders, venueTrades, writeConfig } from './support.js'

const CREDS: Creds = { apiKey: 'RELxLOADxKEYx4d1f8e2a9c', secret: 'RELxLOADxSECRETx7b3e5f0d2a8c6e4b1f9d7a5c3e' }
const results = new Results('shutdown-under-load', 'Shutdown under load', 1)
let sim: Simulator
let dir: string

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-shutdown-'))
  sim = await startSimulator({
    port: 0,
    seed: 31,
    accounts: [{ apiKey: CREDS.apiKey, secret: CREDS.secret!, balances: { USDT: '10000000', BTC: '1000' } }],
    limits: { ordersPer10s: 1_000_000, ordersPerDay: 100_000_000, requestWeightPerMinute: 1_000_000 },
  })
})

after(async () => {
  results.write()
  await sim?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

test('SIGTERM while 200k+ msgs/s flow and orders are in flight: exit 0 in time, pools clean, journal = venue', { timeout: 60_000 }, async () => {
  const journal = path.join(dir, 'journal.sqlite')
  const config = writeConfig(dir, 'tickflow.yaml', {
    venues: [
      {
        name: 'sim',
        type: 'binance-spot',
        symbols: ['BTCUSDT', 'ETHUSDT'],
        streams: ['trade', 'bookTicker', 'depth'],
        restUrl: sim.urls.rest,
        wsUrl: sim.urls.ws,
        wsApiUrl: sim.urls.wsApi,
        credentials: { apiKeyEnv: 'TF_REL_API_KEY', apiSecretEnv: 'TF_REL_API_SECRET' },
      },
    ],
    strategies: [{ name: 'flow', path: ORDER_FLOW, params: { venue: 'sim', symbol: 'BTCUSDT', everyMs: 20, restingMax: 10 } }],
    risk: { ordersPerSecond: 200, maxOpenOrders: 100, maxOrderNotional: '1000000', maxPosition: { BTCUSDT: '100' } },
    journal: { path: journal },
    metrics: { port: 0 },
    logging: { format: 'json' },
    shutdown: { deadlineMs: 5000 },
  })
  // Pool debug mode records a stack per acquire (~100x slower ingest); the shutdown report counts
  // unreturned objects per pool without it.
  const env = { TF_REL_API_KEY: CREDS.apiKey, TF_REL_API_SECRET: CREDS.secret!, TICKFLOW_POOL_DEBUG: '0' }
  const run = spawnRun(['--config', config], env, dir)
  let firehose: Promise<Array<{ sent: number; aborted: boolean }>> | null = null
  try {
    const url = await metricsUrl(run)
    // the strategy trades: fills at the venue
    await eventually(() => {
      assertAlive(run)
      assert.ok((sim.stats().exchange as { fills: number }).fills >= 20)
    }, 20_000)

    // the firehose: as fast as the engine drains its socket
    const fh = sim.firehose({ stream: 'btcusdt@trade', count: 50_000_000 })
    firehose = fh
    await eventually(async () => assert.ok((await scrape(url, 'tickflow_events_total', { venue: 'sim', kind: 'trade' })) > 200_000), 10_000)
    const t0 = performance.now()
    const e0 = await scrape(url, 'tickflow_events_total', { venue: 'sim', kind: 'trade' })
    const f0 = (sim.stats().exchange as { fills: number }).fills
    await new Promise((r) => setTimeout(r, 2000)) // the measurement window (not a wait for a condition)
    const e1 = await scrape(url, 'tickflow_events_total', { venue: 'sim', kind: 'trade' })
    const rate = ((e1 - e0) * 1000) / (performance.now() - t0)
    const fillsDuringLoad = (sim.stats().exchange as { fills: number }).fills - f0
    const restingAtSigterm = (await venueOpenOrders(sim.urls.rest, CREDS, 'BTCUSDT')).length

    const tStop = performance.now()
    run.child.kill('SIGTERM')
    const ex = await run.exited
    const shutdownMs = ex.atMs - tStop
    const fhResult = await fh
    assert.equal(ex.code, 0, `exit code; stdout tail: ${run.out().slice(-1500)}; stderr: ${run.err().slice(-1500)}`)
    assert.match(run.out(), /^shutdown: clean/m)
    const closed = run.out().split('\n').find((l) => l.includes('"msg":"engine closed"'))
    assert.ok(closed !== undefined, 'the engine logged its shutdown report')
    const unreturned = Object.values((JSON.parse(closed) as { unreturned: Record<string, number> }).unreturned).reduce((a, b) => a + b, 0)
    assert.equal(unreturned, 0)
    assert.ok(shutdownMs < 6000, `shutdown took ${Math.round(shutdownMs)} ms`)
    assert.ok(rate >= 200_000, `engine ingest during the firehose: ${Math.round(rate)} msgs/s`)
    assert.ok(fillsDuringLoad >= 10, `orders kept filling under load: ${fillsDuringLoad}`)
    assert.ok(restingAtSigterm >= 1, 'orders were resting at SIGTERM')
    assert.equal(fhResult[0]!.aborted, true, 'the firehose was still running at SIGTERM')

    // The venue's truth against the journal.
    const trades = await venueTrades(sim.urls.rest, CREDS, 'BTCUSDT')
    const open = await venueOpenOrders(sim.urls.rest, CREDS, 'BTCUSDT')
    assert.deepEqual(open, [], 'cancel-on-exit left nothing resting')
    const reader = new JournalReader(journal)
    try {
      const orders = reader.orders()
      const fills = reader.fills()
      const placed = (sim.stats().exchange as { ordersPlaced: number }).ordersPlaced
      const acked = orders.filter((o) => o.venueOrderId > 0)
      assert.equal(acked.length, placed, 'every order the venue accepted is in the journal')
      const journalVenueIds = new Set(acked.map((o) => o.venueOrderId))
      assert.deepEqual(trades.filter((t) => !journalVenueIds.has(t.orderId)).map((t) => t.orderId), [], 'every traded order is in the journal')
      assert.equal(new Set(orders.map((o) => o.clientOrderId)).size, orders.length)
      const working = orders.filter((o) => ['pending-new', 'unknown', 'new', 'partially-filled', 'pending-cancel'].includes(o.status))
      assert.deepEqual(working.map((o) => `${o.clientOrderId} ${o.status}`), [], 'no order left working or unresolved')
      const venueKeys = trades.map((t) => `${t.orderId}:${t.id}`).sort()
      const journalKeys = fills.map((f) => `${f.venueOrderId}:${f.tradeId}`).sort()
      assert.equal(new Set(journalKeys).size, journalKeys.length, 'no fill twice')
      const missing = venueKeys.filter((k) => !journalKeys.includes(k))
      const invented = journalKeys.filter((k) => !venueKeys.includes(k))
      assert.deepEqual({ missing, invented }, { missing: [], invented: [] })
      assert.equal(reader.integrityCheck(), 'ok')
      results.add({
        case: 'SIGTERM mid-firehose, orders in flight (real `tickflow run` process)',
        outcome: `exit 0, shutdown: clean in ${Math.round(shutdownMs)} ms; journal = venue`,
        figures: {
          'engine ingest msgs/s': Math.round(rate),
          'firehose frames sent': fhResult[0]!.sent,
          'shutdown ms': Math.round(shutdownMs),
          'orders resting at SIGTERM': restingAtSigterm,
          'orders accepted by venue': placed,
          'orders in journal': orders.length,
          'venue trades': trades.length,
          'journal fills': fills.length,
          'unreturned pool objects': unreturned,
        },
        lost: missing.length,
      })
    } finally {
      reader.close()
    }
  } finally {
    run.kill()
    await firehose?.catch(() => undefined)
  }
})
