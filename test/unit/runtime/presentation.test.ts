/** The human-facing pieces of tickflow run: pretty logs, secret redaction, the status line, display PnL. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger, formatPretty } from '../../../src/runtime/logging.js'
import { StatusLine } from '../../../src/runtime/status-line.js'
import { PnlTracker } from '../../../src/runtime/pnl.js'
import { ExecReport, ExecType, OrderSide } from '../../../src/model/orders.js'
import { formatShutdown } from '../../../src/runtime/commands/run.js'

class Sink extends Writable {
  text = ''
  isTTY = false
  columns = 200
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString()
    cb()
  }
}

test('pretty log lines carry time, level, message and fields', () => {
  const line = formatPretty(JSON.stringify({ level: 40, time: Date.UTC(2026, 10, 29, 12, 0, 1, 234), msg: 'quote rejected', reason: 'RISK_RATE_LIMIT', n: 3 }), false)
  assert.equal(line, '12:00:01.234 WARN  quote rejected  reason=RISK_RATE_LIMIT n=3\n')
  assert.equal(formatPretty('not json', false), 'not json')
})

test('configured secrets are redacted from every log line', async () => {
  const out = new Sink()
  const log = createLogger({ level: 'info', format: 'json', stream: out as unknown as NodeJS.WriteStream, secrets: ['s3cr3tValue', 'abc'] })
  log.info({ url: 'wss://x?key=s3cr3tValue' }, 'connecting with s3cr3tValue')
  await new Promise((r) => setImmediate(r))
  assert.ok(!out.text.includes('s3cr3tValue'), out.text)
  assert.match(out.text, /\[redacted\]/)
})

test('the status line shows rates, latency, pools, orders and PnL, cut to the terminal width', () => {
  const out = new Sink()
  const line = new StatusLine(() => ({ events: 0, p50Us: 0, p99Us: 0, poolInFlight: 0, poolCapacity: 0, openOrders: 0, fills: 0, position: '', pnl: '0.00', drops: 0, resyncs: 0 }), out as unknown as NodeJS.WriteStream)
  assert.equal(line.enabled, false, 'off when not a terminal')
  const text = line.render({ events: 0, p50Us: 74, p99Us: 1460, poolInFlight: 3, poolCapacity: 30720, openOrders: 2, fills: 7, position: 'BTCUSDT +0.01', pnl: '1.25', drops: 4, resyncs: 1 }, 12345.6)
  assert.equal(text, 'ev/s 12,346  p50 74µs p99 1.5ms  pools 3/30720  open 2  fills 7  pos BTCUSDT +0.01  pnl 1.25  drops 4  resyncs 1')
  out.columns = 40
  assert.ok(line.render({ events: 0, p50Us: 1, p99Us: 1, poolInFlight: 0, poolCapacity: 1, openOrders: 0, fills: 0, position: '', pnl: '0', drops: 0, resyncs: 0 }, 1).length <= 39)
})

test('display PnL: cash flows of fills marked at a price', () => {
  const p = new PnlTracker()
  const fill = (side: number, px: number, qty: number): ExecReport => {
    const r = new ExecReport()
    r.execType = ExecType.Trade
    r.instrumentId = 1
    r.side = side
    r.priceScale = 2
    r.qtyScale = 3
    r.lastPxM = px
    r.lastQtyM = qty
    return r
  }
  p.onReport(fill(OrderSide.Buy, 10000, 2000)) // buy 2 @ 100
  p.onReport(fill(OrderSide.Sell, 10100, 1000)) // sell 1 @ 101
  const ignored = fill(OrderSide.Sell, 1, 1)
  ignored.execType = ExecType.New
  p.onReport(ignored)
  assert.equal(p.fills, 2)
  assert.equal(p.position(1), 1)
  assert.equal(p.pnl(1, 102), -200 + 101 + 102)
})

test('the shutdown report line says clean, or what stayed unreturned', () => {
  assert.equal(formatShutdown({ clean: true, pools: { clean: true, unreturned: {}, waitedMs: 0 }, ordersLeftWorking: [], errors: [], durationMs: 12 }), 'shutdown: clean (12 ms)')
  assert.equal(
    formatShutdown({ clean: false, pools: { clean: false, unreturned: { CanonicalEvent: 2 }, waitedMs: 5000 }, ordersLeftWorking: ['tf-1'], errors: ['close feeds: timed out'], durationMs: 5100 }),
    'shutdown: not clean (5100 ms): unreturned CanonicalEvent=2; orders still working tf-1; errors: close feeds: timed out',
  )
})
