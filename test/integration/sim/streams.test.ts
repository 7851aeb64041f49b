/**
 * Market-data WebSocket streams of the simulator, driven with the plain `ws`
 * client from the protocol document (§1, §2, §3).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { eventually } from '../../helpers/eventually.js'
import { Client, http } from './client.js'

let sim: Simulator
const clients: Client[] = []
async function open(path: string): Promise<Client> {
  const c = await Client.open(sim.urls.ws + path)
  clients.push(c)
  return c
}

before(async () => {
  sim = await startSimulator({ seed: 7, timing: { stepMs: 2 }, limits: { maxIncomingPerSecond: 0 } })
})
after(async () => {
  for (const c of clients) await c.close()
  await sim.close()
})

describe('control methods (protocol §2.2, §2.3)', () => {
  test('SUBSCRIBE, LIST_SUBSCRIPTIONS, UNSUBSCRIBE reply as Binance does', async () => {
    const c = await open('/ws')
    assert.deepEqual(await c.call({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'btcusdt@depth'], id: 1 }), { result: null, id: 1 })
    assert.deepEqual(await c.call({ method: 'LIST_SUBSCRIPTIONS', id: 3 }), { result: ['btcusdt@aggTrade', 'btcusdt@depth'], id: 3 })
    assert.deepEqual(await c.call({ method: 'UNSUBSCRIBE', params: ['btcusdt@depth'], id: 312 }), { result: null, id: 312 })
    assert.deepEqual(await c.call({ method: 'LIST_SUBSCRIPTIONS', id: 4 }), { result: ['btcusdt@aggTrade'], id: 4 })
  })

  test('SET_PROPERTY / GET_PROPERTY combined', async () => {
    const c = await open('/ws')
    assert.deepEqual(await c.call({ method: 'GET_PROPERTY', params: ['combined'], id: 2 }), { result: false, id: 2 })
    assert.deepEqual(await c.call({ method: 'SET_PROPERTY', params: ['combined', true], id: 5 }), { result: null, id: 5 })
    assert.deepEqual(await c.call({ method: 'GET_PROPERTY', params: ['combined'], id: 6 }), { result: true, id: 6 })
    const s = await open('/stream?streams=btcusdt@trade')
    assert.deepEqual(await s.call({ method: 'GET_PROPERTY', params: ['combined'], id: 1 }), { result: true, id: 1 })
  })

  test('every error reply has Binance code and message, wrapped with the id', async () => {
    const c = await open('/ws')
    const cases: Array<[unknown, number, RegExp | string]> = [
      [{ method: 'SUBSCRIBE', params: ['btcusdt@nonsense'], id: 10 }, 2, 'Invalid request: invalid stream'],
      [{ method: 'SUBSCRIBE', params: ['nosuchsym@trade'], id: 11 }, 2, 'Invalid request: invalid stream'],
      [{ method: 'FROB', id: 12 }, 2, /^Invalid request: unknown variant `FROB`, expected one of `SUBSCRIBE`/],
      [{ params: [], id: 13 }, 2, /^Invalid request: missing field `method`/],
      [{ method: 'SET_PROPERTY', params: ['combined', true, 1], id: 14 }, 2, 'Invalid request: too many parameters'],
      [{ method: 'SET_PROPERTY', params: [1, true], id: 15 }, 2, 'Invalid request: property name must be a string'],
      [{ method: 'SET_PROPERTY', params: ['colour', true], id: 16 }, 0, 'Unknown property'],
      [{ method: 'SET_PROPERTY', params: ['combined', 'yes'], id: 17 }, 1, 'Invalid value type: expected Boolean'],
      [{ method: 'GET_PROPERTY', params: ['colour'], id: 18 }, 0, 'Unknown property'],
    ]
    for (const [req, code, msg] of cases) {
      const r = await c.call<{ error: { code: number; msg: string }; id: number }>(req as Record<string, unknown>)
      assert.equal(r.error.code, code, JSON.stringify(req))
      if (typeof msg === 'string') assert.equal(r.error.msg, msg)
      else assert.match(r.error.msg, msg)
    }
    c.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 'abc' })
    const idErr = await c.find<{ error: { code: number; msg: string } }>((j) => (j.error as { msg?: string } | undefined)?.msg === 'Invalid request: request ID must be an unsigned integer')
    assert.equal(idErr.error.code, 2)
    c.send('{not json')
    const jsonErr = await c.find<{ error: { code: number; msg: string }; id: null }>((j) => (j.error as { code?: number } | undefined)?.code === 3)
    assert.match(jsonErr.error.msg, /^Invalid JSON: expected value at line \d+ column \d+$/)
    assert.equal(jsonErr.id, null)
    // still serving after all that
    assert.deepEqual(await c.call({ method: 'LIST_SUBSCRIPTIONS', id: 99 }), { result: [], id: 99 })
  })

  test('1024-stream limit: SUBSCRIBE beyond it is refused, a URL beyond it is refused', async () => {
    const c = await open('/ws')
    const names: string[] = []
    const syms = ['btcusdt', 'ethusdt', 'solusdt']
    const kinds = ['trade', 'aggTrade', 'bookTicker', 'depth', 'depth@100ms', 'depth5', 'depth10', 'depth20', 'depth5@100ms', 'depth10@100ms', 'depth20@100ms', 'miniTicker', 'ticker']
    for (const s of syms) for (const k of kinds) names.push(`${s}@${k}`)
    assert.deepEqual(await c.call({ method: 'SUBSCRIBE', params: names, id: 1 }), { result: null, id: 1 })
    // More than 1024 distinct valid names need more symbols: a simulator with 40 of them.
    {
      const many = await startSimulator({
        timing: { stepMs: 100000 },
        limits: { maxIncomingPerSecond: 0 },
        symbols: Array.from({ length: 40 }, (_, i) => ({ symbol: `S${i}USDT`, baseAsset: `S${i}`, quoteAsset: 'USDT', tickSize: '0.01', stepSize: '0.01', startPrice: '10' })),
      })
      try {
        const all: string[] = []
        for (let i = 0; i < 40; i++) for (const k of [...kinds, 'kline_1m', 'kline_1s', 'kline_5m', 'kline_1h', 'kline_1d', 'kline_3m', 'kline_15m', 'kline_30m', 'kline_2h', 'kline_4h', 'kline_6h', 'kline_8h', 'kline_12h']) all.push(`s${i}usdt@${k}`)
        assert.ok(all.length > 1024)
        const cm = await Client.open(many.urls.ws + '/ws')
        clients.push(cm)
        assert.deepEqual(await cm.call({ method: 'SUBSCRIBE', params: all.slice(0, 1024), id: 1 }), { result: null, id: 1 })
        const over = await cm.call<{ error: { code: number } }>({ method: 'SUBSCRIBE', params: [all[1024]], id: 2 })
        assert.equal(over.error.code, 2)
        const list = await cm.call<{ result: string[] }>({ method: 'LIST_SUBSCRIPTIONS', id: 3 })
        assert.equal(list.result.length, 1024)
        // refused (404 by the simulator, or 400 when the URL is over Node's header size)
        await assert.rejects(Client.open(`${many.urls.ws}/stream?streams=${all.slice(0, 1025).join('/')}`), /HTTP 4\d\d/)
        await assert.rejects(Client.open(`${many.urls.ws}/stream?streams=${all.slice(0, 600).join('/')}/s0usdt@bogus`), /HTTP 404/)
      } finally {
        await many.close()
      }
    }
  })
})

describe('payloads and envelopes (protocol §1.1, §1.2)', () => {
  test('raw /ws delivers bare events; /stream wraps them; SET_PROPERTY combined flips a /ws connection', async () => {
    const raw = await open('/ws/btcusdt@bookTicker')
    const comb = await open('/stream?streams=btcusdt@bookTicker/ethusdt@trade')
    const bt = await raw.next((j) => 'u' in j && 'b' in j)
    assert.deepEqual(Object.keys(bt), ['u', 's', 'b', 'B', 'a', 'A'])
    assert.equal(bt.s, 'BTCUSDT')
    assert.match(bt.b as string, /^\d+\.\d{8}$/)
    const w = await comb.next((j) => j.stream === 'btcusdt@bookTicker')
    assert.deepEqual(Object.keys(w), ['stream', 'data'])
    assert.deepEqual(Object.keys(w.data as object), ['u', 's', 'b', 'B', 'a', 'A'])
    const t = await comb.next<{ stream: string; data: Record<string, unknown> }>((j) => j.stream === 'ethusdt@trade')
    assert.deepEqual(Object.keys(t.data), ['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M'])
    assert.equal(typeof t.data.t, 'number')
    assert.equal(typeof t.data.p, 'string')
    await raw.call({ method: 'SET_PROPERTY', params: ['combined', true], id: 1 })
    const after = await raw.next((j) => j.stream === 'btcusdt@bookTicker')
    assert.equal((after.data as { s: string }).s, 'BTCUSDT')
  })

  test('trade ids are contiguous, aggTrade f..l ranges chain, and timeUnit=MICROSECOND gives µs times', async () => {
    const c = await open('/stream?streams=btcusdt@trade/btcusdt@aggTrade&timeUnit=MICROSECOND')
    await eventually(() => c.all().filter((j) => j.stream === 'btcusdt@trade').length >= 30, 10000)
    const trades = c.all().filter((j) => j.stream === 'btcusdt@trade').map((j) => j.data as { t: number; T: number; E: number })
    for (let i = 1; i < trades.length; i++) assert.equal(trades[i]!.t, trades[i - 1]!.t + 1)
    assert.ok(String(trades[0]!.T).length === 16 && String(trades[0]!.E).length === 16, 'µs times')
    const aggs = c.all().filter((j) => j.stream === 'btcusdt@aggTrade').map((j) => j.data as { a: number; f: number; l: number })
    assert.ok(aggs.length > 2)
    for (let i = 1; i < aggs.length; i++) {
      assert.equal(aggs[i]!.a, aggs[i - 1]!.a + 1)
      assert.equal(aggs[i]!.f, aggs[i - 1]!.l + 1)
    }
  })

  test('partial depth, kline, miniTicker and 24hrTicker shapes', async () => {
    const c = await open('/stream?streams=btcusdt@depth5@100ms/btcusdt@kline_1s/btcusdt@miniTicker/btcusdt@ticker/btcusdt@depth10')
    const p = await c.find<{ data: Record<string, unknown> }>((j) => j.stream === 'btcusdt@depth5@100ms')
    assert.deepEqual(Object.keys(p.data), ['lastUpdateId', 'bids', 'asks'])
    assert.equal((p.data.bids as unknown[]).length, 5)
    const k = await c.find<{ data: { e: string; k: Record<string, unknown> } }>((j) => j.stream === 'btcusdt@kline_1s', 5000)
    assert.equal(k.data.e, 'kline')
    assert.deepEqual(Object.keys(k.data.k), ['t', 'T', 's', 'i', 'f', 'L', 'o', 'c', 'h', 'l', 'v', 'n', 'x', 'q', 'V', 'Q', 'B'])
    assert.equal(k.data.k.i, '1s')
    assert.equal((k.data.k.T as number) - (k.data.k.t as number), 999)
    const mt = await c.find<{ data: Record<string, unknown> }>((j) => j.stream === 'btcusdt@miniTicker', 5000)
    assert.deepEqual(Object.keys(mt.data), ['e', 'E', 's', 'c', 'o', 'h', 'l', 'v', 'q'])
    const tk = await c.find<{ data: Record<string, unknown> }>((j) => j.stream === 'btcusdt@ticker', 5000)
    assert.equal(tk.data.e, '24hrTicker')
    const d10 = await c.find<{ data: Record<string, unknown> }>((j) => j.stream === 'btcusdt@depth10', 5000)
    assert.equal((d10.data.asks as unknown[]).length, 10)
  })
})

describe('order book consistency (protocol §3.1)', () => {
  test('REST snapshot + diffs rebuild exactly the book bookTicker shows, with contiguous U/u', async () => {
    const c = await open('/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker')
    await c.find((j) => j.stream === 'btcusdt@depth@100ms')
    const snap = (await http('GET', `${sim.urls.rest}/api/v3/depth?symbol=BTCUSDT&limit=1000`)).body as { lastUpdateId: number; bids: string[][]; asks: string[][] }
    const bids = new Map<string, string>(snap.bids.map(([p, q]) => [p!, q!]))
    const asks = new Map<string, string>(snap.asks.map(([p, q]) => [p!, q!]))
    await eventually(() => c.all().filter((j) => j.stream === 'btcusdt@depth@100ms').length >= 20, 10000)
    let book = snap.lastUpdateId
    let applied = 0
    let prevU = -1
    const appliedU = new Map<number, [string, string, string, string]>()
    const best = (m: Map<string, string>, bid: boolean): [string, string] => {
      let bp: string | null = null
      for (const p of m.keys()) if (bp === null || (bid ? m8(p) > m8(bp) : m8(p) < m8(bp))) bp = p
      return [bp!, m.get(bp!)!]
    }
    for (const j of c.all()) {
      if (j.stream !== 'btcusdt@depth@100ms') continue
      const d = j.data as { U: number; u: number; b: string[][]; a: string[][] }
      if (d.u <= book) continue
      if (applied === 0) assert.ok(d.U <= book + 1 && d.u >= book + 1, `first event ${d.U}..${d.u} vs ${book}`)
      else assert.equal(d.U, prevU + 1, 'contiguous')
      for (const [p, q] of d.b) if (m8(q!) === 0n) bids.delete(p!); else bids.set(p!, q!)
      for (const [p, q] of d.a) if (m8(q!) === 0n) asks.delete(p!); else asks.set(p!, q!)
      book = d.u
      prevU = d.u
      applied++
      const [bp, bq] = best(bids, true)
      const [ap, aq] = best(asks, false)
      assert.ok(m8(bp) < m8(ap), 'book not crossed')
      appliedU.set(d.u, [bp, bq, ap, aq])
    }
    assert.ok(applied >= 10)
    let checks = 0
    for (const j of c.all()) {
      if (j.stream !== 'btcusdt@bookTicker') continue
      const t = j.data as { u: number; b: string; B: string; a: string; A: string }
      const at = appliedU.get(t.u)
      if (at === undefined) continue
      assert.deepEqual([t.b, t.B, t.a, t.A], at, `bookTicker u=${t.u}`)
      checks++
    }
    assert.ok(checks >= 3, `only ${checks} book checks`)
  })
})

function m8(s: string): bigint {
  const [i, f = ''] = s.split('.')
  return BigInt(i! + (f + '00000000').slice(0, 8))
}
