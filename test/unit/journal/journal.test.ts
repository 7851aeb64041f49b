import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ManualClock } from '../../../src/core/clock.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'
import { SqliteJournal } from '../../../src/journal/journal.js'
import { JournalReader } from '../../../src/journal/queries.js'
import { ExecReport, ExecType, OrderRequest, OrderSide, OrderStatus } from '../../../src/model/orders.js'
import { btcRegistry, tempDir } from '../orders/fixtures.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))

function order(id: string, instrumentId: number, side: number, strategyId = 1): OrderRequest {
  const r = new OrderRequest()
  r.clientOrderId = id
  r.instrumentId = instrumentId
  r.strategyId = strategyId
  r.side = side
  r.priceM = 5000000
  r.qtyM = 1000
  r.tsCreatedUs = 1_000_000
  return r
}

function fill(id: string, instrumentId: number, side: number, tradeId: number, qtyM: number, strategyId = 1): ExecReport {
  const r = new ExecReport()
  r.execType = ExecType.Trade
  r.status = OrderStatus.PartiallyFilled
  r.clientOrderId = id
  r.instrumentId = instrumentId
  r.strategyId = strategyId
  r.side = side
  r.tradeId = tradeId
  r.lastQtyM = qtyM
  r.lastPxM = 5000000
  r.cumQtyM = qtyM
  r.priceScale = 2
  r.qtyScale = 5
  r.commissionM = 12
  r.commissionScale = 8
  r.commissionAsset = 'BNB'
  r.tsRecvUs = 2_000_000
  return r
}

test('fills are journaled exactly once per (order, trade id); positions follow; a self-trade keeps both sides', () => {
  const tmp = tempDir()
  const { registry, btc } = btcRegistry()
  const j = new SqliteJournal(path.join(tmp.dir, 'j.sqlite'), { registry, clock: new ManualClock(5_000_000) })
  try {
    j.recordStrategy(1, 'mm')
    j.recordOrder(order('a', btc, OrderSide.Buy), OrderStatus.PendingNew, '')
    j.recordOrder(order('b', btc, OrderSide.Sell), OrderStatus.PendingNew, '')
    assert.equal(j.recordReport(fill('a', btc, OrderSide.Buy, 99, 300), OrderStatus.New, OrderStatus.PartiallyFilled, true), true)
    assert.equal(j.recordReport(fill('a', btc, OrderSide.Buy, 99, 300), OrderStatus.PartiallyFilled, OrderStatus.PartiallyFilled, true), false)
    // self-trade: our sell order got the same venue trade id
    assert.equal(j.recordReport(fill('b', btc, OrderSide.Sell, 99, 100), OrderStatus.New, OrderStatus.PartiallyFilled, true), true)
    assert.equal(j.duplicateFills, 1)
    const rec = j.recover()
    assert.equal(rec.openOrders.length, 2)
    const a = rec.openOrders.find((o) => o.clientOrderId === 'a')!
    assert.deepEqual(a.tradeIds, [99])
    assert.equal(a.fillQtyM, 300)
    assert.equal(a.status, OrderStatus.PartiallyFilled)
    assert.deepEqual(rec.positions, [{ strategyId: 1, venue: 'sim', symbol: 'BTCUSDT', qtyScale: 5, positionM: 200 }])
    assert.equal(rec.lastTradeIds.get('sim\u0000BTCUSDT'), 99)
    j.recordBalance(registry.venueId('sim'), 'USDT', '1000.50000000', '0.00000000', 7)
    j.recordBalance(registry.venueId('sim'), 'USDT', '900.5', '100', 8)
    assert.deepEqual(j.recover().balances, [{ venue: 'sim', asset: 'USDT', free: '900.5', locked: '100', tsUpdatedUs: 8 }])
    const reader = new JournalReader(path.join(tmp.dir, 'j.sqlite'))
    const fills = reader.fills()
    assert.equal(fills.length, 2)
    assert.equal(fills.find((f) => f.clientOrderId === 'a')!.commission, '0.00000012')
    assert.equal(fills[0]!.strategy, 'mm')
    reader.close()
  } finally {
    j.close()
    tmp.cleanup()
  }
})

test('reserveIdEpoch is strictly increasing across reopen, even when the clock goes back', () => {
  const tmp = tempDir()
  const { registry } = btcRegistry()
  const file = path.join(tmp.dir, 'j.sqlite')
  try {
    const j1 = new SqliteJournal(file, { registry })
    assert.equal(j1.reserveIdEpoch(1000), 1000)
    assert.equal(j1.reserveIdEpoch(1000), 1001)
    j1.close()
    const j2 = new SqliteJournal(file, { registry })
    assert.equal(j2.reserveIdEpoch(900), 1002)
    assert.equal(j2.reserveIdEpoch(5000), 5000)
    j2.close()
  } finally {
    tmp.cleanup()
  }
})

test('CLI queries filter by strategy (id or name), instrument, time range and limit', () => {
  const tmp = tempDir()
  const { registry, btc, eth } = btcRegistry()
  const file = path.join(tmp.dir, 'j.sqlite')
  const clock = new ManualClock(0)
  const j = new SqliteJournal(file, { registry, clock })
  try {
    j.recordStrategy(1, 'mm')
    j.recordStrategy(2, 'arb')
    for (let i = 0; i < 6; i++) {
      const r = order(`o${i}`, i % 2 === 0 ? btc : eth, OrderSide.Buy, (i % 3) + 1)
      r.tsCreatedUs = (i + 1) * 1_000_000
      j.recordOrder(r, OrderStatus.PendingNew, '')
    }
    j.close()
    const reader = new JournalReader(file)
    assert.deepEqual(reader.orders().map((o) => o.clientOrderId), ['o5', 'o4', 'o3', 'o2', 'o1', 'o0'])
    assert.deepEqual(reader.orders({ strategy: '1' }).map((o) => o.clientOrderId), ['o3', 'o0'])
    assert.deepEqual(reader.orders({ strategy: 'arb' }).map((o) => o.clientOrderId), ['o4', 'o1'])
    assert.deepEqual(reader.orders({ instrument: 'ethusdt' }).map((o) => o.clientOrderId), ['o5', 'o3', 'o1'])
    assert.deepEqual(reader.orders({ sinceUs: 2_000_000, untilUs: 4_000_000 }).map((o) => o.clientOrderId), ['o3', 'o2', 'o1'])
    assert.deepEqual(reader.orders({ limit: 2 }).map((o) => o.clientOrderId), ['o5', 'o4'])
    assert.equal(reader.orders()[0]!.price, '50000')
    assert.equal(reader.orders({ instrument: 'BTCUSDT' })[0]!.qty, '0.01')
    reader.close()
  } finally {
    tmp.cleanup()
  }
})

test('a missing journal is a coded error (JOURNAL_NOT_FOUND); a non-journal file is JOURNAL', () => {
  const tmp = tempDir()
  try {
    assert.throws(() => new JournalReader(path.join(tmp.dir, 'nope.sqlite')), (e) => isTickflowError(e, ErrorCode.JOURNAL_NOT_FOUND))
    const { registry } = btcRegistry()
    assert.throws(() => new SqliteJournal(path.join(tmp.dir, 'no-such-dir', 'x.sqlite'), { registry }), (e) => isTickflowError(e, ErrorCode.JOURNAL))
  } finally {
    tmp.cleanup()
  }
})

test('SIGKILL mid-burst: every acknowledged order and fill is in the journal exactly once; integrity ok', async () => {
  const tmp = tempDir()
  const file = path.join(tmp.dir, 'burst.sqlite')
  try {
    const child = spawn(process.execPath, [path.join(HERE, 'journal-writer.child.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] })
    const orders = new Set<string>()
    const fills = new Set<string>()
    let buf = ''
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        const [kind, id, tradeId] = line.split(' ')
        if (kind === 'O') orders.add(id!)
        else if (kind === 'F') fills.add(`${id} ${tradeId}`)
        if (fills.size === 3000 && !child.killed) child.kill('SIGKILL')
      }
    })
    const { signal } = await exited
    assert.equal(signal, 'SIGKILL')
    assert.ok(fills.size >= 3000)
    const { registry } = btcRegistry()
    // reopening for writing replays the WAL
    const j = new SqliteJournal(file, { registry })
    assert.equal(j.integrityCheck(), 'ok')
    const rec = j.recover()
    j.close()
    const reader = new JournalReader(file)
    const rowsO = reader.orders()
    const idsO = new Map<string, number>()
    for (const o of rowsO) idsO.set(o.clientOrderId, (idsO.get(o.clientOrderId) ?? 0) + 1)
    for (const id of orders) assert.equal(idsO.get(id), 1, `order ${id} acknowledged but not journaled exactly once`)
    const rowsF = reader.fills()
    const idsF = new Map<string, number>()
    for (const f of rowsF) idsF.set(`${f.clientOrderId} ${f.tradeId}`, (idsF.get(`${f.clientOrderId} ${f.tradeId}`) ?? 0) + 1)
    for (const k of fills) assert.equal(idsF.get(k), 1, `fill ${k} acknowledged but not journaled exactly once`)
    // positions were written in the same transactions as the fills
    let net = 0
    for (const f of rowsF) net += (f.side === 'buy' ? 1 : -1) * 100
    const pos = rec.positions.find((p) => p.symbol === 'BTCUSDT')?.positionM ?? 0
    assert.equal(pos, net)
    assert.equal(reader.integrityCheck(), 'ok')
    reader.close()
  } finally {
    tmp.cleanup()
  }
})
