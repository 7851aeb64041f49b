/**
 * Replay of recorded captures (../shared/fixtures/binance): the recorded
 * frames come out byte for byte, and REST /depth is consistent with the
 * replayed update ids, so a book built from /depth + diffs matches the
 * recorded bookTickers.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { eventually } from '../../helpers/eventually.js'
import { BINANCE_FIXTURES } from '../../helpers/paths.js'
import { Client, http, signed, type Creds } from './client.js'

const CF = path.join(BINANCE_FIXTURES, 'cryptofeed', 'sample_data', 'BINANCE.ws.1.0')
const HB = path.join(BINANCE_FIXTURES, 'hftbacktest', 'examples', 'spot', 'btcusdt_20240808.gz')
const sims: Simulator[] = []
const clients: Client[] = []
after(async () => {
  for (const c of clients) await c.close()
  for (const s of sims) await s.close()
})

describe('replay', () => {
  test('cryptofeed Spot capture: symbols and filters from its exchangeInfo, recorded frames as recorded', async () => {
    const sim = await startSimulator({ replay: { files: [CF], speed: 0 }, limits: { maxIncomingPerSecond: 0 } })
    sims.push(sim)
    assert.deepEqual([...sim.symbols].sort(), ['BLZETH', 'LRCBTC', 'NKNUSDT', 'RUNEEUR'])
    const info = (await http('GET', `${sim.urls.rest}/api/v3/exchangeInfo?symbol=NKNUSDT`)).body as { symbols: Array<{ filters: Array<{ filterType: string; tickSize?: string }> }> }
    assert.equal(info.symbols[0]!.filters.find((f) => f.filterType === 'PRICE_FILTER')!.tickSize, '0.00010000')
    const d = (await http('GET', `${sim.urls.rest}/api/v3/depth?symbol=NKNUSDT&limit=5`)).body as { lastUpdateId: number }
    assert.ok(d.lastUpdateId >= 499869752, 'the recorded snapshot or later')
  })

  test('hftbacktest BTCUSDT at full speed: snapshot + diffs rebuild the recorded bookTickers', async () => {
    const sim = await startSimulator({ replay: { files: [HB], speed: 50 }, limits: { maxIncomingPerSecond: 0 } })
    sims.push(sim)
    assert.deepEqual(sim.symbols, ['BTCUSDT'])
    const c = await Client.open(`${sim.urls.ws}/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade`)
    clients.push(c)
    await c.find((j) => j.stream === 'btcusdt@depth@100ms', 10000)
    const snap = (await http('GET', `${sim.urls.rest}/api/v3/depth?symbol=BTCUSDT&limit=1000`)).body as { lastUpdateId: number; bids: string[][]; asks: string[][] }
    await eventually(() => c.all().filter((j) => j.stream === 'btcusdt@depth@100ms').length >= 60, 20000)
    const bids = new Map(snap.bids.map(([p, q]) => [p!, q!]))
    const asks = new Map(snap.asks.map(([p, q]) => [p!, q!]))
    let book = snap.lastUpdateId
    let applied = 0
    const tops = new Map<number, string>()
    const best = (m: Map<string, string>, bid: boolean): string => {
      let bp: string | null = null
      for (const p of m.keys()) if (bp === null || (bid ? Number(p) > Number(bp) : Number(p) < Number(bp))) bp = p
      return `${bp}:${m.get(bp!)}`
    }
    for (const j of c.all()) {
      if (j.stream !== 'btcusdt@depth@100ms') continue
      const dd = j.data as { U: number; u: number; b: string[][]; a: string[][] }
      if (dd.u <= book) continue
      assert.ok(dd.U <= book + 1, `gap ${dd.U} > ${book + 1}`)
      for (const [p, q] of dd.b) if (Number(q) === 0) bids.delete(p!); else bids.set(p!, q!)
      for (const [p, q] of dd.a) if (Number(q) === 0) asks.delete(p!); else asks.set(p!, q!)
      book = dd.u
      applied++
      tops.set(dd.u, `${best(bids, true)}|${best(asks, false)}`)
    }
    assert.ok(applied >= 20, `applied ${applied}`)
    let checks = 0
    for (const j of c.all()) {
      if (j.stream !== 'btcusdt@bookTicker') continue
      const t = j.data as { u: number; b: string; B: string; a: string; A: string }
      const top = tops.get(t.u)
      if (top === undefined) continue
      assert.equal(`${t.b}:${t.B}|${t.a}:${t.A}`, top)
      checks++
    }
    assert.ok(checks >= 5, `book checks ${checks}`)
    // recorded trades: contiguous ids, and the frames are the recorded bytes (keys of the 2024 Spot trade)
    const trades = c.all().filter((j) => j.stream === 'btcusdt@trade').map((j) => j.data as Record<string, unknown>)
    assert.ok(trades.length > 10)
    assert.deepEqual(Object.keys(trades[0]!), ['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M'])
    for (let i = 1; i < trades.length; i++) assert.equal(trades[i]!.t, (trades[i - 1]!.t as number) + 1)
  })

  test('a resting order fills when a recorded trade prints through its price', async () => {
    const acc: Creds = { apiKey: 'replayer', secret: 'replay-secret' }
    const sim = await startSimulator({ replay: { files: [HB], speed: 25 }, accounts: [{ apiKey: acc.apiKey, secret: acc.secret!, balances: { USDT: '100000' } }] })
    sims.push(sim)
    await eventually(async () => {
      const d = (await http('GET', `${sim.urls.rest}/api/v3/depth?symbol=BTCUSDT&limit=1`)).body as { bids: string[][] }
      assert.ok(d.bids.length > 0)
    })
    // A buy at the best bid rests, unless the replay moved the ask down to it between the depth
    // read and the order (then it trades at once as taker): cancel what is left and try again.
    let id = 0
    let price = ''
    for (let attempt = 0; attempt < 10 && id === 0; attempt++) {
      const d = (await http('GET', `${sim.urls.rest}/api/v3/depth?symbol=BTCUSDT&limit=1`)).body as { bids: string[][] }
      price = d.bids[0]![0]!
      const placed = await signed(sim.urls.rest, acc, 'POST', '/api/v3/order', [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.001'], ['price', price]])
      assert.equal(placed.status, 200, placed.text)
      const o = placed.body as { orderId: number; status: string }
      if (o.status === 'NEW') id = o.orderId
      else if (o.status === 'PARTIALLY_FILLED') await signed(sim.urls.rest, acc, 'DELETE', '/api/v3/order', [['symbol', 'BTCUSDT'], ['orderId', o.orderId]])
    }
    assert.ok(id > 0, 'an order rested at the best bid')
    await eventually(async () => {
      const q = await signed(sim.urls.rest, acc, 'GET', '/api/v3/order', [['symbol', 'BTCUSDT'], ['orderId', id]])
      assert.equal((q.body as { status: string }).status, 'FILLED')
    }, 20_000)
    const trades = ((await signed(sim.urls.rest, acc, 'GET', '/api/v3/myTrades', [['symbol', 'BTCUSDT']])).body as Array<{ orderId: number; isMaker: boolean; price: string }>).filter(
      (t) => t.orderId === id,
    )
    assert.ok(trades.length >= 1 && trades.every((t) => t.isMaker && t.price === price), JSON.stringify(trades))
  })

  test('a USD-M capture is refused with a clear error', async () => {
    await assert.rejects(startSimulator({ replay: { files: [path.join(BINANCE_FIXTURES, 'hftbacktest', 'examples', 'usdm', 'btcusdt_20240808.gz')] } }), /Spot captures/)
  })
})
