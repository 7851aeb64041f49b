import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { OrderSide } from '../../../src/model/orders.js'
import { JournalReader } from '../../../src/journal/queries.js'
import { eventually } from '../../helpers/eventually.js'
import { tempDir } from '../../unit/orders/fixtures.js'
import { VARIANTS, connectStack, startSim } from './harness.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))

test('engine SIGKILLed mid-burst against the simulator: after restart every acknowledged order and fill is journaled exactly once and positions match the venue', async () => {
  const sk = await startSim()
  const tmp = tempDir()
  const file = path.join(tmp.dir, 'engine.sqlite')
  try {
    const child = spawn(process.execPath, [path.join(HERE, 'engine.child.js')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SIM_REST: sk.sim.urls.rest, SIM_WS: sk.sim.urls.ws, SIM_WSAPI: sk.sim.urls.wsApi, ED_PEM: sk.edPrivatePem, JOURNAL: file },
    })
    const orders = new Set<string>()
    const fills = new Set<string>()
    let buf = ''
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)))
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [kind, id, tradeId] = buf.slice(0, nl).split(' ')
        buf = buf.slice(nl + 1)
        if (kind === 'O') orders.add(id!)
        else if (kind === 'F') fills.add(`${id} ${tradeId}`)
        if (fills.size >= 300 && !child.killed) child.kill('SIGKILL')
      }
    })
    assert.equal(await exited, 'SIGKILL')
    assert.ok(fills.size >= 300)

    // restart: same journal, same account
    const s = await connectStack(sk, VARIANTS[0]!, { file, ownsSim: false, notFoundAfterUs: 300_000 })
    try {
      await eventually(() => assert.ok(s.router.counters.reconciliations >= 1), 10_000)
      await eventually(() => assert.equal(s.router.pendingQueries, 0), 10_000)
      const reader = new JournalReader(file)
      const jOrders = new Map<string, number>()
      for (const o of reader.orders()) jOrders.set(o.clientOrderId, (jOrders.get(o.clientOrderId) ?? 0) + 1)
      for (const id of orders) assert.equal(jOrders.get(id), 1, `order ${id}`)
      const jFills = new Map<string, number>()
      for (const f of reader.fills()) jFills.set(`${f.clientOrderId} ${f.tradeId}`, (jFills.get(`${f.clientOrderId} ${f.tradeId}`) ?? 0) + 1)
      for (const k of fills) assert.equal(jFills.get(k), 1, `fill ${k}`)
      // after reconciliation the journal holds exactly the venue's trades, and positions match
      const trades = await s.gw.myTrades(s.btc, 0, 0)
      assert.deepEqual(
        reader
          .fills()
          .map((f) => f.tradeId)
          .sort((a, b) => a - b),
        trades.map((t) => t.tradeId).sort((a, b) => a - b),
      )
      let net = 0
      for (const t of trades) net += t.side === OrderSide.Buy ? t.qtyM : -t.qtyM
      assert.equal(s.router.position(s.btc), net)
      const journaledPosition = s.journal.recover().positions.find((p) => p.symbol === 'BTCUSDT')?.positionM ?? 0
      assert.equal(journaledPosition, net)
      assert.equal(reader.integrityCheck(), 'ok')
      assert.equal(s.router.workingOrders().length, 0)
      reader.close()
    } finally {
      await s.close()
    }
  } finally {
    await sk.sim.close()
    tmp.cleanup()
  }
})
