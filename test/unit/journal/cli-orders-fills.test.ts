import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { ManualClock } from '../../../src/core/clock.js'
import { SqliteJournal } from '../../../src/journal/journal.js'
import { ExecReport, ExecType, OrderRequest, OrderSide, OrderStatus } from '../../../src/model/orders.js'
import { CLI } from '../../helpers/paths.js'
import { btcRegistry, tempDir } from '../orders/fixtures.js'

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 })

function makeJournal(file: string): void {
  const { registry, btc } = btcRegistry()
  const j = new SqliteJournal(file, { registry, clock: new ManualClock(1_764_000_000_000_000) })
  j.recordStrategy(1, 'mm')
  const req = new OrderRequest()
  req.clientOrderId = 'tf.abc.1'
  req.strategyId = 1
  req.instrumentId = btc
  req.side = OrderSide.Buy
  req.priceM = 5000012
  req.qtyM = 150
  req.tsCreatedUs = 1_764_000_000_000_000
  j.recordOrder(req, OrderStatus.PendingNew, '')
  const r = new ExecReport()
  r.execType = ExecType.Trade
  r.status = OrderStatus.Filled
  r.clientOrderId = 'tf.abc.1'
  r.strategyId = 1
  r.instrumentId = btc
  r.side = OrderSide.Buy
  r.priceScale = 2
  r.qtyScale = 5
  r.tradeId = 123
  r.lastQtyM = 150
  r.lastPxM = 5000012
  r.cumQtyM = 150
  r.tsRecvUs = 1_764_000_000_500_000
  j.recordReport(r, OrderStatus.PendingNew, OrderStatus.Filled, true)
  j.close()
}

test('tickflow orders / fills print the journal as JSON and as a table, with filters', () => {
  const tmp = tempDir()
  try {
    const file = path.join(tmp.dir, 'j.sqlite')
    makeJournal(file)
    const o = run('orders', '--journal', file, '--json')
    assert.equal(o.status, 0, o.stderr)
    const rows = JSON.parse(o.stdout) as Array<Record<string, unknown>>
    assert.equal(rows.length, 1)
    assert.equal(rows[0]!.clientOrderId, 'tf.abc.1')
    assert.equal(rows[0]!.price, '50000.12')
    assert.equal(rows[0]!.qty, '0.0015')
    assert.equal(rows[0]!.status, 'filled')
    assert.equal(rows[0]!.strategy, 'mm')
    const f = run('fills', '--journal', file, '--json', '--instrument', 'btcusdt', '--strategy', 'mm')
    assert.equal(f.status, 0, f.stderr)
    const fills = JSON.parse(f.stdout) as Array<Record<string, unknown>>
    assert.equal(fills.length, 1)
    assert.equal(fills[0]!.tradeId, 123)
    const none = run('fills', '--journal', file, '--json', '--since', '2030-01-01T00:00:00Z')
    assert.deepEqual(JSON.parse(none.stdout), [])
    const table = run('orders', '--journal', file)
    assert.equal(table.status, 0)
    assert.match(table.stdout, /client order id/)
    assert.match(table.stdout, /tf\.abc\.1 +mm +BTCUSDT +buy +limit +50000\.12 +0\.0015 +0\.0015 +filled/)
  } finally {
    tmp.cleanup()
  }
})

test('a missing journal fails with JOURNAL_NOT_FOUND (exit 1); a bad time is a usage error (exit 2)', () => {
  const tmp = tempDir()
  try {
    const r = run('orders', '--journal', path.join(tmp.dir, 'none.sqlite'))
    assert.equal(r.status, 1)
    assert.match(r.stderr, /JOURNAL_NOT_FOUND/)
    const file = path.join(tmp.dir, 'j.sqlite')
    makeJournal(file)
    const bad = run('fills', '--journal', file, '--since', 'yesterday-ish')
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /--since/)
  } finally {
    tmp.cleanup()
  }
})
