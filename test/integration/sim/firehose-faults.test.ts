/**
 * The firehose (contiguous ids, "ts" stamps, rate) and the fault hooks for
 * issue 9, driven programmatically and through POST /__sim/fault.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { eventually } from '../../helpers/eventually.js'
import { Client, http, signed, type Creds } from './client.js'

const ACC: Creds = { apiKey: 'faultee', secret: 'fault-secret' }
let sim: Simulator
const clients: Client[] = []
async function open(path: string, opts = {}): Promise<Client> {
  const c = await Client.open(path.startsWith('ws') ? path : sim.urls.ws + path, opts)
  clients.push(c)
  return c
}
const fault = (body: Record<string, unknown>): ReturnType<typeof http> => http('POST', `${sim.urls.rest}/__sim/fault`, { body: JSON.stringify(body) })

before(async () => {
  sim = await startSimulator({
    seed: 2,
    timing: { stepMs: 2 },
    limits: { maxIncomingPerSecond: 0 },
    accounts: [{ apiKey: ACC.apiKey, secret: ACC.secret!, balances: { USDT: '100000', BTC: '10' } }],
  })
})
after(async () => {
  for (const c of clients) await c.close()
  await sim.close()
})

describe('firehose', () => {
  test('N trade frames with contiguous ids and a monotonic "ts", raw and combined, at well over 200k msgs/s', async () => {
    const raw = await open('/ws/solusdt@trade')
    const comb = await open('/stream?streams=solusdt@trade')
    const N = 300_000
    const t0 = process.hrtime.bigint()
    const res = await sim.firehose({ stream: 'solusdt@trade', count: N })
    await eventually(() => raw.msgs.length >= N && comb.msgs.length >= N, 20000)
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    assert.deepEqual(res.map((r) => [r.sent, r.aborted]), [[N, false], [N, false]])
    // synthetic trades may interleave on the same stream; ids stay contiguous across all of them
    const ids = raw.msgs.map((m) => (m.json as { t: number }).t)
    for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1]! + 1)
    const fh = raw.msgs.map((m) => m.json as Record<string, unknown>).filter((j) => 'ts' in j)
    assert.equal(fh.length, N)
    assert.deepEqual(Object.keys(fh[0]!), ['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M', 'ts'])
    let prev = 0n
    for (let i = 0; i < fh.length; i += 997) {
      const ts = BigInt(fh[i]!.ts as string)
      assert.ok(ts >= prev)
      prev = ts
    }
    const w = comb.msgs.map((m) => m.json as { stream: string; data: { ts?: string } }).filter((j) => j.data.ts !== undefined)
    assert.equal(w.length, N)
    assert.equal(w[0]!.stream, 'solusdt@trade')
    // two clients in this process, JSON-parsing every frame: a lower bound of the server's rate
    assert.ok((2 * N) / secs > 200_000, `${Math.round((2 * N) / secs)} msgs/s`)
  })

  test('paced firehose respects the rate; the control endpoint starts it', async () => {
    const c = await open('/ws/ethusdt@trade')
    const r = await http('POST', `${sim.urls.rest}/__sim/firehose`, { body: JSON.stringify({ stream: 'ethusdt@trade', count: 2000, rate: 10_000, wait: true }) })
    const out = r.body as Array<{ sent: number; elapsedMs: number }>
    assert.equal(out[0]!.sent, 2000)
    assert.ok(out[0]!.elapsedMs >= 150, `2000 at 10k/s took ${out[0]!.elapsedMs} ms`)
    await eventually(() => c.msgs.filter((m) => (m.json as { ts?: string }).ts !== undefined).length === 2000)
    const bad = await http('POST', `${sim.urls.rest}/__sim/firehose`, { body: JSON.stringify({ stream: 'ethusdt@depth', count: 1 }) })
    assert.equal(bad.status, 400)
  })
})

describe('faults', () => {
  test('disconnect mid-frame', async () => {
    const c = await open('/ws/btcusdt@trade')
    const other = await open('/ws/btcusdt@trade')
    const r = await fault({ type: 'disconnectMidFrame', connId: lastConnId() - 1 })
    assert.deepEqual(r.body, { connections: 1 })
    await eventually(() => c.closed)
    assert.equal(c.closeCode, 1006, 'abnormal closure: no close frame')
    assert.equal(other.closed, false)
  })

  test('silent stall keeps the socket open and sends nothing, including pings', async () => {
    const c = await open('/ws/btcusdt@bookTicker')
    await c.next((j) => 'u' in j)
    assert.equal(sim.faults.stall({ connId: lastConnId() }), 1)
    const n = c.msgs.length
    await new Promise((r) => setTimeout(r, 300))
    assert.ok(c.msgs.length <= n + 1)
    assert.equal(c.closed, false)
    sim.faults.stall({ connId: lastConnId() }, false)
    await eventually(() => c.msgs.length > n + 1)
  })

  test('serverShutdown event, raw and combined', async () => {
    const raw = await open('/ws')
    const comb = await open('/stream?streams=btcusdt@trade')
    await fault({ type: 'serverShutdown' })
    const e = await raw.find((j) => j.e === 'serverShutdown')
    assert.equal(typeof e.E, 'number')
    const w = await comb.find((j) => j.stream === '!serverShutdown')
    assert.equal((w.data as { e: string }).e, 'serverShutdown')
  })

  test('skip one depth diff: a gap in U/u for that symbol only', async () => {
    const c = await open('/stream?streams=ethusdt@depth@100ms/solusdt@depth@100ms')
    await c.next((j) => j.stream === 'ethusdt@depth@100ms')
    await fault({ type: 'skipDepthDiff', symbol: 'ETHUSDT' })
    await eventually(() => c.all().filter((j) => j.stream === 'ethusdt@depth@100ms').length >= 5, 5000)
    const chain = (name: string): number => {
      const ds = c.all().filter((j) => j.stream === name).map((j) => j.data as { U: number; u: number })
      let gaps = 0
      for (let i = 1; i < ds.length; i++) if (ds[i]!.U !== ds[i - 1]!.u + 1) gaps++
      return gaps
    }
    assert.equal(chain('ethusdt@depth@100ms'), 1)
    assert.equal(chain('solusdt@depth@100ms'), 0)
  })

  test('/depth answers 500, 429 and 418 with Retry-After for the next N requests', async () => {
    await fault({ type: 'restFailure', status: 500, count: 1 })
    await fault({ type: 'restFailure', status: 429, count: 1, retryAfterSec: 7 })
    await fault({ type: 'restFailure', status: 418, count: 1, retryAfterSec: 120 })
    const url = `${sim.urls.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`
    const a = await http('GET', url)
    const b = await http('GET', url)
    const cc = await http('GET', url)
    const d = await http('GET', url)
    assert.deepEqual([a.status, b.status, cc.status, d.status], [500, 429, 418, 200])
    assert.equal(b.headers['retry-after'], '7')
    assert.equal(cc.headers['retry-after'], '120')
    assert.equal((b.body as { code: number }).code, -1003)
  })

  test('an order accepted but never answered, then visible by query (unknown outcome)', async () => {
    await fault({ type: 'swallowOrders', apiKey: ACC.apiKey })
    const pending = signed(sim.urls.rest, ACC, 'POST', '/api/v3/order', [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.001'], ['price', '30000'], ['newClientOrderId', 'lost1']])
    const outcome = await Promise.race([pending.then(() => 'answered'), new Promise((r) => setTimeout(() => r('timeout'), 400))])
    assert.equal(outcome, 'timeout')
    const q = await signed(sim.urls.rest, ACC, 'GET', '/api/v3/order', [['symbol', 'BTCUSDT'], ['origClientOrderId', 'lost1']])
    assert.equal((q.body as { status: string }).status, 'NEW')
    pending.catch(() => undefined)
  })

  test('duplicated and reordered executionReports; expired user data stream', async () => {
    const lk = ((await http('POST', `${sim.urls.rest}/api/v3/userDataStream`, { headers: { 'X-MBX-APIKEY': ACC.apiKey } })).body as { listenKey: string }).listenKey
    const uds = await open(`/ws/${lk}`)
    await fault({ type: 'duplicateReports', apiKey: ACC.apiKey, count: 1 })
    const o1 = await signed(sim.urls.rest, ACC, 'POST', '/api/v3/order', [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.001'], ['price', '30000'], ['newClientOrderId', 'dup1']])
    assert.equal(o1.status, 200)
    await eventually(() => uds.all().filter((j) => j.e === 'executionReport' && j.c === 'dup1').length === 2)
    const [x, y] = uds.all().filter((j) => j.c === 'dup1')
    assert.deepEqual(x, y)
    // reorder: the NEW of the cancel batch arrives after the next report
    await fault({ type: 'reorderReports', apiKey: ACC.apiKey, count: 1 })
    await signed(sim.urls.rest, ACC, 'POST', '/api/v3/order', [['symbol', 'BTCUSDT'], ['side', 'SELL'], ['type', 'MARKET'], ['quantity', '0.001'], ['newClientOrderId', 'ro1']])
    await eventually(() => uds.all().some((j) => j.c === 'ro1' && j.x === 'NEW') && uds.all().some((j) => j.c === 'ro1' && j.x === 'TRADE'))
    const seq = uds.all().filter((j) => j.c === 'ro1').map((j) => j.x)
    assert.equal(seq[0], 'TRADE', `order of reports: ${seq.join(',')}`)
    assert.ok(seq.includes('NEW'))
    // expire now
    const r = await fault({ type: 'expireUserStream', apiKey: ACC.apiKey })
    assert.ok((r.body as { streams: number }).streams >= 1)
    const e = await uds.find((j) => j.e === 'listenKeyExpired')
    assert.equal(e.listenKey, lk)
    const gone = await http('PUT', `${sim.urls.rest}/api/v3/userDataStream?listenKey=${lk}`, { headers: { 'X-MBX-APIKEY': ACC.apiKey } })
    assert.equal((gone.body as { code: number }).code, -1125)
  })

  test('stop answering pings; connection rotation; stats count every fault', async () => {
    const c = await open('/ws')
    sim.faults.stopPongs(true)
    let pong = false
    c.ws.on('pong', () => (pong = true))
    c.ws.ping('x')
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(pong, false)
    sim.faults.stopPongs(false)
    c.ws.ping('y')
    await eventually(() => pong)
    assert.ok(sim.faults.rotateConnections({ connId: lastConnId() }) === 1)
    await eventually(() => c.closed)
    assert.equal(c.closeCode, 1000)
    const f = (sim.stats().faults as Record<string, number>)
    for (const k of ['disconnectMidFrame', 'stall', 'serverShutdown', 'skipDepthDiff', 'restFailure', 'swallowOrders', 'duplicateReports', 'reorderReports', 'expireUserStream', 'rotateConnections', 'stopPongs']) assert.ok(f[k]! >= 1, k)
  })

  test('the control endpoint rejects bad requests and serves stats', async () => {
    const bad = await fault({ type: 'nonsense' })
    assert.equal(bad.status, 400)
    const notJson = await http('POST', `${sim.urls.rest}/__sim/fault`, { body: '{' })
    assert.equal(notJson.status, 400)
    const stats = await http('GET', `${sim.urls.rest}/__sim/stats`)
    assert.equal(stats.status, 200)
    assert.equal(typeof (stats.body as { ws: { connectionsOpened: number } }).ws.connectionsOpened, 'number')
  })
})

function lastConnId(): number {
  return Math.max(...sim.faults.select().map((c) => c.id))
}
