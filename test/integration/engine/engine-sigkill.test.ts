/**
 * The whole engine (`tickflow run`, a real process) SIGKILLed in the middle of
 * a burst of orders and fills against a simulator running in this test
 * process, then restarted on the same journal: every acknowledged order and
 * every fill is in the journal exactly once, the journal holds exactly the
 * venue's trades, and positions match the venue's.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { OrderSide } from '../../../src/model/orders.js'
import { Decimal } from '../../../src/core/fixed-point.js'
import { JournalReader } from '../../../src/journal/queries.js'
import { CLI } from '../../helpers/paths.js'
import { eventually } from '../../helpers/eventually.js'
import { tempDir } from '../../unit/orders/fixtures.js'
import { ED_KEY, VARIANTS, connectStack, startSim } from '../orders/harness.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))

function engineConfig(urls: { rest: string; ws: string; wsApi: string }, journal: string, keyFile: string, inFlight: number): unknown {
  return {
    venues: [
      {
        name: 'bn',
        type: 'binance-spot',
        symbols: ['BTCUSDT'],
        streams: ['trade'],
        restUrl: urls.rest,
        wsUrl: urls.ws,
        wsApiUrl: urls.wsApi,
        orderEntry: 'ws-api',
        credentials: { apiKeyEnv: 'TF_TEST_API_KEY', privateKeyFile: keyFile },
      },
    ],
    strategies: [
      { name: 'burst', path: path.join(HERE, 'fixtures', 'burst-strategy.js'), params: { venue: 'bn', symbol: 'BTCUSDT', inFlight, qty: '0.001' }, cancelOnExit: false },
    ],
    // a still simulated market: no freshness bound, no order-rate bound that would slow the burst
    risk: { staleMarketDataMs: 0, ordersPerSecond: 100000, maxOpenOrders: 1000, maxPosition: { BTCUSDT: '1000' } },
    journal: { path: journal },
    metrics: { enabled: false },
    logging: { level: 'warn', format: 'json' },
  }
}

function runEngine(configFile: string, onLine: (line: string) => void): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile, '--no-status'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TF_TEST_API_KEY: ED_KEY },
  })
  let buf = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl))
      buf = buf.slice(nl + 1)
    }
  })
  let err = ''
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code !== null && code !== 0) process.stderr.write(err.slice(-4000))
      resolve({ code, signal })
    }),
  )
  return { child, exited }
}

test('tickflow run SIGKILLed mid-burst, restarted: every acknowledged order and fill journaled exactly once, positions match the venue', { timeout: 120_000 }, async () => {
  const sk = await startSim()
  const tmp = tempDir()
  const journal = path.join(tmp.dir, 'engine.sqlite')
  const keyFile = path.join(tmp.dir, 'ed25519.pem')
  writeFileSync(keyFile, sk.edPrivatePem, { mode: 0o600 })
  try {
    // 1. burst, then SIGKILL mid-flight
    const burstCfg = path.join(tmp.dir, 'burst.yaml')
    writeFileSync(burstCfg, stringify(engineConfig(sk.sim.urls, journal, keyFile, 16)), { mode: 0o600 })
    const orders = new Set<string>()
    const fills = new Set<string>()
    const first = runEngine(burstCfg, (line) => {
      const [kind, id, tradeId] = line.split(' ')
      if (kind === 'O') orders.add(id!)
      else if (kind === 'F') fills.add(`${id} ${tradeId}`)
      if (fills.size >= 200 && first.child.exitCode === null && !first.child.killed) first.child.kill('SIGKILL')
    })
    const r1 = await first.exited
    assert.equal(r1.signal, 'SIGKILL', `the engine ended with ${JSON.stringify(r1)} before the kill`)
    assert.ok(fills.size >= 200)

    // 2. restart on the same journal, sending nothing: it reconciles with the venue
    const quietCfg = path.join(tmp.dir, 'quiet.yaml')
    writeFileSync(quietCfg, stringify(engineConfig(sk.sim.urls, journal, keyFile, 0)), { mode: 0o600 })
    const check = await connectStack(sk, VARIANTS[0]!, { file: path.join(tmp.dir, 'checker.sqlite'), ownsSim: false })
    const venueTrades = await check.gw.myTrades(check.btc, 0, 0)
    const qtyScale = check.registry.spec(check.btc).qtyScale
    await check.close()
    let out = ''
    const second = runEngine(quietCfg, (line) => (out += line + '\n'))
    try {
      await eventually(() => {
        const reader = new JournalReader(journal)
        try {
          assert.equal(reader.fills().length, venueTrades.length, 'journal caught up with the venue')
        } finally {
          reader.close()
        }
      }, 30_000, 100)
    } finally {
      second.child.kill('SIGINT')
    }
    const r2 = await second.exited
    assert.equal(r2.code, 0, out)

    // 3. exactly once, and the same as the venue
    const reader = new JournalReader(journal)
    try {
      const jOrders = new Map<string, number>()
      for (const o of reader.orders()) jOrders.set(o.clientOrderId, (jOrders.get(o.clientOrderId) ?? 0) + 1)
      for (const id of orders) assert.equal(jOrders.get(id), 1, `order ${id}`)
      const jFills = new Map<string, number>()
      for (const f of reader.fills()) jFills.set(`${f.clientOrderId} ${f.tradeId}`, (jFills.get(`${f.clientOrderId} ${f.tradeId}`) ?? 0) + 1)
      for (const k of fills) assert.equal(jFills.get(k), 1, `fill ${k}`)
      assert.deepEqual(
        reader
          .fills()
          .map((f) => f.tradeId)
          .sort((a, b) => a - b),
        venueTrades.map((t) => t.tradeId).sort((a, b) => a - b),
      )
      let net = 0
      for (const t of venueTrades) net += t.side === OrderSide.Buy ? t.qtyM : -t.qtyM
      const pos = reader.positions().find((p) => p.symbol === 'BTCUSDT')
      assert.ok(pos !== undefined)
      assert.equal(Decimal.parse(pos.position).eq(new Decimal(net, qtyScale)), true, `journal ${pos.position} vs venue ${new Decimal(net, qtyScale).toString(true)}`)
      assert.equal(reader.integrityCheck(), 'ok')
    } finally {
      reader.close()
    }
  } finally {
    await sk.sim.close()
    tmp.cleanup()
  }
})
