/**
 * Reliability: bad input. Each kind gets a coded outcome and a counter, and
 * the engine keeps running:
 *
 * - ≥ 100,000 fuzzed frames (mutations of REAL recorded Binance frames, and
 *   random bytes) through the live feed path of a running engine
 *   (`BinanceMarketFeed.ingestFrame`: decoder → book sync → normalizer →
 *   merger → dispatcher → strategies), interleaved with its live socket; every
 *   frame the reference decoder (JSON.parse mapping) refuses is counted by
 *   status, exactly; then a socket-level sample: fuzzed frames sent by a real
 *   WebSocket server (the replay server) to an engine's feed;
 * - invalid UTF-8 on the socket (the transport closes with 1007 and
 *   reconnects), oversize frames (> the decoder's 1 MiB: counted and dropped;
 *   > the transport's 4 MiB maxPayload: closed with 1009 and reconnected);
 * - malformed config files: `tickflow run --config` exits 2 naming the key;
 * - invalid orders from a strategy: coded REJECTED reports, the next valid
 *   order goes through; a strategy that throws: counted, stopped after its
 *   limit, the other strategies and the engine keep running.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { readCapture, RecordKind } from '../../src/capture/reader.js'
import { ProviderRaw } from '../../src/model/provider-raw.js'
import { OrderSide, OrderStatus } from '../../src/model/orders.js'
import { createEngine, type Engine } from '../../src/runtime/engine.js'
import type { ReadonlyExecReport, StrategyContext } from '../../src/strategy/strategy.js'
import { WsFrame } from '../../src/transport/ws-frame.js'
import { DecodeStatus } from '../../src/venues/binance/codec/decoder.js'
import { decodeWithJson } from '../../src/venues/binance/codec/fallback.js'
import { eventually } from '../helpers/eventually.js'
import { CLI } from '../helpers/paths.js'
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js'
import { FIXTURES } from '../integration/venues/binance/feed-harness.js'
import { Probe } from './probe.js'
import { Results } from './results.js'
import { writeConfig } from './support.js'

const results = new Results('bad-input', 'Bad input', 4)
const STATUS_NAMES = ['ok', 'malformed', 'unknownSymbol', 'badNumber', 'unsupported', 'oversize', 'invalidUtf8']
const FUZZ_FRAMES = 100_000
const SOCKET_FRAMES = 10_000

/** mulberry32: deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TOKENS = ['"', '\\', ',', ':', '{', '}', '[', ']', '-', '.', 'e9', '1e400', 'null', 'true', '99999999999999999999', '"e":"trade",', '"u":1,', '"b":[["1","2"]],', '"result":null,"id":1', '"stream":"btcusdt@depth@100ms","data":', '[[[[[[[[']
const BAD_UTF8 = [[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]]

function mutate(src: Buffer, rand: () => number): Buffer {
  const n = src.length
  const pos = Math.floor(rand() * (n + 1))
  switch (Math.floor(rand() * 9)) {
    case 0: {
      const b = Buffer.from(src)
      if (n > 0) b[Math.min(pos, n - 1)] = Math.floor(rand() * 256)
      return b
    }
    case 1:
      return src.subarray(0, pos)
    case 2:
      return Buffer.concat([src.subarray(0, pos), Buffer.from(TOKENS[Math.floor(rand() * TOKENS.length)]!), src.subarray(pos)])
    case 3: {
      const s = src.toString('latin1')
      const i = s.slice(pos).search(/[0-9]/)
      if (i < 0) return src
      return Buffer.concat([src.subarray(0, pos + i), Buffer.from('9'.repeat(1 + Math.floor(rand() * 22))), src.subarray(pos + i)])
    }
    case 4:
      return Buffer.concat([src.subarray(0, pos), Buffer.from(BAD_UTF8[Math.floor(rand() * BAD_UTF8.length)]!), src.subarray(pos)])
    case 5:
      return Buffer.concat([src.subarray(0, pos), src.subarray(Math.min(n, pos + 1 + Math.floor(rand() * 8)))])
    case 6: {
      // a value of another type where a field was: "p":"1.0" → "p":1.0 / "p":null / "p":{}
      const s = src.toString('latin1')
      const m = /"([a-zA-Z])":("[^"]*"|-?[0-9]+|true|false)/g
      m.lastIndex = pos
      const hit = m.exec(s)
      if (hit === null) return src
      const alts = ['null', '{}', '[]', '"x"', '-1', '1.5', '"-0.0"', '"1e5"', 'true']
      return Buffer.from(s.slice(0, hit.index) + `"${hit[1]}":` + alts[Math.floor(rand() * alts.length)] + s.slice(hit.index + hit[0].length), 'latin1')
    }
    case 7: {
      const b = Buffer.alloc(Math.floor(rand() * 96))
      const alphabet = '{}[]":,0123456789.-eEtrufalsn \\abdpqsuBAT'
      const jsonish = rand() < 0.7
      for (let i = 0; i < b.length; i++) b[i] = jsonish ? alphabet.charCodeAt(Math.floor(rand() * alphabet.length)) : Math.floor(rand() * 256)
      return b
    }
    default: {
      const b = Buffer.from(src)
      if (n > 1) {
        const i = Math.min(pos, n - 1)
        const j = Math.floor(rand() * n)
        const t = b[i]!
        b[i] = b[j]!
        b[j] = t
      }
      return b
    }
  }
}

/** Real recorded frames: Spot BTCUSDT (hftbacktest) and the cryptofeed Spot session, raw and combined. */
function realFrames(rand: () => number, count: number): Buffer[] {
  const out: Buffer[] = []
  for (const files of [FIXTURES.spotHft, FIXTURES.spotCryptofeed]) {
    const ws = readCapture(files).records.filter((r) => r.kind === RecordKind.WsFrame)
    for (let i = 0; i < count; i++) {
      const data = ws[Math.floor(rand() * ws.length)]!.data
      if (rand() < 0.5) {
        const text = data.toString('latin1')
        const at = text.indexOf(',"data":')
        out.push(Buffer.from(data.subarray(at + 8, data.length - 1)))
      } else out.push(Buffer.from(data))
    }
  }
  return out
}

/** A strategy that throws on every trade. */
class Thrower {
  readonly name = 'thrower'
  calls = 0
  onTrade(): void {
    this.calls++
    throw new Error('strategy bug: thrown on purpose')
  }
}

/** Keeps its context; records reports. */
class Hands {
  readonly name = 'hands'
  ctx!: StrategyContext
  readonly reports: Array<{ id: string; status: number; reason: string }> = []
  onStart(ctx: StrategyContext): void {
    this.ctx = ctx
  }
  onExecReport(r: ReadonlyExecReport): void {
    this.reports.push({ id: r.clientOrderId, status: r.status, reason: r.reasonCode })
  }
  last(id: string): { id: string; status: number; reason: string } | undefined {
    return this.reports.filter((r) => r.id === id).at(-1)
  }
}

let dir: string
let engine: Engine
let probe: Probe
let hands: Hands
let thrower: Thrower
let btc = 0

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-bad-input-'))
  probe = new Probe()
  hands = new Hands()
  thrower = new Thrower()
  engine = createEngine(
    {
      venues: [{ name: 'sim', type: 'simulator', symbols: ['BTCUSDT', 'ETHUSDT'], streams: ['trade', 'bookTicker', 'depth'] }],
      risk: { ordersPerSecond: 100, maxOrderNotional: '100000', maxPosition: { BTCUSDT: '5' } },
      journal: { path: path.join(dir, 'journal.sqlite') },
      metrics: { enabled: false },
    },
    {
      strategies: [
        { name: 'probe', strategy: probe },
        { name: 'hands', strategy: hands },
        { name: 'thrower', strategy: thrower },
      ],
      poolDebug: false,
    },
  )
  await engine.start()
  btc = engine.registry.lookup('sim', 'BTCUSDT')
  await eventually(() => assert.ok(engine.book(btc) !== null && engine.router!.counters.reconciliations >= 1), 10_000)
})

after(async () => {
  try {
    if (engine !== undefined) {
      const r = await engine.close()
      assert.deepEqual(r.pools.unreturned, {})
      assert.equal(r.clean, true, r.errors.join('; '))
    }
    results.write()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** The engine is alive: both books in sync and quotes reaching the probe. */
async function alive(e: Engine, p: Probe, symbols = ['BTCUSDT', 'ETHUSDT'], venue = 'sim'): Promise<void> {
  const q0 = p.events
  await eventually(() => {
    for (const s of symbols) assert.equal(e.venues[0]!.feed.bookState(e.registry.lookup(venue, s)), 'synced', `${s} synced`)
    assert.ok(p.events > q0 + 10, 'events flowing')
  }, 15_000)
}

test('a strategy that throws: counted, stopped at its limit; the others and the engine keep running', { timeout: 30_000 }, async () => {
  await eventually(() => assert.equal(engine.stats().strategies instanceof Array && (engine.stats().strategies as Array<{ name: string; state: string }>).find((s) => s.name === 'thrower')!.state, 'stopped'), 15_000)
  const st = (engine.stats().strategies as Array<{ name: string; throws: number; stopReason: string; state: string }>).find((s) => s.name === 'thrower')!
  assert.ok(st.throws >= 100, `throws ${st.throws}`)
  const errs = (engine.dispatcher.stats() as unknown as { subscriberErrors: number }).subscriberErrors
  await alive(engine, probe)
  results.add({
    case: 'a strategy that throws on every event',
    outcome: `STRATEGY_THREW counted; stopped (${st.stopReason}); others kept running`,
    figures: { 'throws counted': st.throws, 'subscriber errors (dispatcher)': errs, 'thrower calls': thrower.calls },
    lost: 0,
  })
})

test('invalid orders from a strategy: coded rejections, the engine keeps trading', { timeout: 30_000 }, async () => {
  const spec = engine.registry.spec(btc)
  const b = engine.book(btc)!
  const bid = b.bestBidPx()
  const ok = 100 * spec.stepSize
  const cases: Array<[string, Record<string, number>, string]> = [
    ['price off the tick', { priceM: bid - 1000 * spec.tickSize + 1, qtyM: ok }, 'RISK_PRICE_TICK'],
    ['quantity off the step', { priceM: bid - 1000 * spec.tickSize, qtyM: ok + 1 }, 'RISK_QTY_STEP'],
    ['zero quantity', { priceM: bid - 1000 * spec.tickSize, qtyM: 0 }, 'RISK_INVALID_QTY'],
    ['negative price', { priceM: -bid, qtyM: ok }, 'RISK_INVALID_PRICE'],
    ['below min notional', { priceM: bid - 1000 * spec.tickSize, qtyM: spec.stepSize }, 'RISK_MIN_NOTIONAL'],
    ['above max notional', { priceM: bid - 1000 * spec.tickSize, qtyM: 2 * 10 ** spec.qtyScale }, 'RISK_MAX_NOTIONAL'],
    ['unknown instrument', { instrumentId: 9999, priceM: bid, qtyM: ok }, 'RISK_UNKNOWN_INSTRUMENT'],
  ]
  const d0 = engine.router!.counters.denied
  const codes: string[] = []
  for (const [, o, want] of cases) {
    const r = hands.ctx.submit({ instrumentId: btc, side: OrderSide.Buy, priceM: 0, qtyM: 0, ...o } as never)
    if (typeof r !== 'string') {
      codes.push(r.code)
      continue
    }
    await eventually(() => assert.equal(hands.last(r)?.status, OrderStatus.Rejected), 5000)
    codes.push(hands.last(r)!.reason)
    assert.equal(hands.last(r)!.reason, want)
  }
  const invalidSide = hands.ctx.submit({ instrumentId: btc, side: 7 as never, priceM: bid, qtyM: ok })
  codes.push(typeof invalidSide === 'string' ? (hands.last(invalidSide)?.reason ?? '') : invalidSide.code)
  const good = hands.ctx.submit({ instrumentId: btc, side: OrderSide.Buy, priceM: bid - 1000 * spec.tickSize, qtyM: ok })
  assert.equal(typeof good, 'string')
  await eventually(() => assert.equal(hands.last(good as string)?.status, OrderStatus.New), 5000)
  results.add({
    case: 'invalid orders from a strategy (8 kinds)',
    outcome: 'each a coded REJECTED report; the next valid order accepted',
    figures: { 'denied by risk': engine.router!.counters.denied - d0, codes: [...new Set(codes)].join(' ') },
    lost: 0,
  })
})

test(`${FUZZ_FRAMES.toLocaleString('en')} fuzzed frames through a running engine's feed: exact error counts by status, engine keeps running`, { timeout: 60_000 }, async () => {
  const rand = prng(0x5eed9)
  const sources = realFrames(rand, 400)
  const feed = engine.venues[0]!.feed
  const ref = new ProviderRaw()
  const frame = new WsFrame()
  const expected = new Array<number>(STATUS_NAMES.length).fill(0)
  const f0 = feed.stats()
  let tried = 0
  while (tried < FUZZ_FRAMES) {
    // a batch, then back to the event loop: the live socket's frames interleave with the fuzz
    for (let k = 0; k < 2000 && tried < FUZZ_FRAMES; k++, tried++) {
      const src = sources[Math.floor(rand() * sources.length)]!
      let buf = mutate(src, rand)
      if (rand() < 0.3) buf = mutate(buf, rand)
      expected[decodeWithJson(feed.decoder, buf, 0, buf.length, ref.reset() ?? ref, 0)]!++
      frame.data = buf
      frame.recvTsUs = Date.now() * 1000
      feed.ingestFrame(frame)
    }
    await new Promise<void>((r) => setImmediate(r))
  }
  const f1 = feed.stats()
  const byStatus: Record<string, number> = {}
  for (let s = 1; s < STATUS_NAMES.length; s++) {
    const name = STATUS_NAMES[s]!
    byStatus[name] = f1.decodeErrorsByStatus[name]! - f0.decodeErrorsByStatus[name]!
    assert.equal(byStatus[name], expected[s], `${name}: counted ${byStatus[name]}, reference ${expected[s]}`)
  }
  const invalid = expected.reduce((a, b) => a + b, 0) - expected[DecodeStatus.Ok]!
  assert.equal(f1.decodeErrors - f0.decodeErrors, invalid)
  assert.ok(f1.frames - f0.frames >= FUZZ_FRAMES)
  assert.ok(expected[DecodeStatus.Ok]! > 1000 && invalid > 10_000, `ok ${expected[DecodeStatus.Ok]} invalid ${invalid}`)
  assert.equal(f1.sinkErrors, 0)
  await alive(engine, probe)
  results.add({
    case: 'fuzzed frames through the live feed path (in process)',
    outcome: 'every refused frame counted by status (= reference decoder); engine kept running',
    figures: { 'frames tried': tried, 'decoded ok': expected[DecodeStatus.Ok]!, refused: invalid, ...Object.fromEntries(Object.entries(byStatus).map(([k, v]) => [`refused: ${k}`, v])) },
    lost: 0,
  })
})

test('over a real socket: fuzzed frames, invalid UTF-8 and oversize frames (decoder 1 MiB; transport 4 MiB → 1009)', { timeout: 60_000 }, async () => {
  const server: ReplayServer = await startReplayServer({ files: FIXTURES.spotHft, exchangeInfo: FIXTURES.spotExchangeInfo(), autoStart: false })
  const p = new Probe()
  const e = createEngine(
    {
      venues: [{ name: 'rs', type: 'binance-spot', symbols: ['BTCUSDT'], streams: ['trade', 'bookTicker', 'depth'], restUrl: server.restUrl, wsUrl: server.url, trading: false }],
      metrics: { enabled: false },
    },
    { strategies: [{ name: 'probe', strategy: p }], feedTimings: { backoff: { initialMs: 20, maxMs: 200 } } },
  )
  try {
    await e.start()
    const feed = e.venues[0]!.feed
    await eventually(() => assert.equal(server.clientCount, 1))
    const rand = prng(0xface)
    const sources = realFrames(rand, 200)
    const f0 = feed.stats()
    let sent = 0
    let refused = 0
    const ref = new ProviderRaw()
    while (sent < SOCKET_FRAMES) {
      for (let k = 0; k < 500; k++) {
        let buf = mutate(sources[Math.floor(rand() * sources.length)]!, rand)
        // invalid UTF-8 ends the connection (below); here: frames a text frame can carry
        if (!Buffer.from(buf.toString('utf8'), 'utf8').equals(buf)) buf = Buffer.from(buf.toString('utf8'), 'utf8')
        if (decodeWithJson(feed.decoder, buf, 0, buf.length, ref.reset() ?? ref, 0) !== DecodeStatus.Ok) refused++
        server.inject(buf)
        sent++
      }
      await eventually(() => assert.equal(feed.stats().frames - f0.frames, sent), 10_000, 2)
    }
    assert.equal(feed.stats().decodeErrors - f0.decodeErrors, refused, 'every refused frame counted')
    assert.equal(feed.stats().reconnects, 0)

    // decoder limit: 2 MiB (under the transport's 4 MiB) is read, refused as oversize, and counted
    const over = feed.stats().decodeErrorsByStatus.oversize!
    server.inject(Buffer.from(`{"e":"trade","pad":"${'x'.repeat(2 * 1024 * 1024)}"}`))
    await eventually(() => assert.equal(feed.stats().decodeErrorsByStatus.oversize, over + 1))
    assert.equal(feed.stats().reconnects, 0)

    // invalid UTF-8 in a text frame: refused either by the transport (close 1007, reconnect) or, when
    // the transport leaves validation to the decoder, by the decoder (counted as invalidUtf8)
    const bad0 = feed.stats().decodeErrorsByStatus.invalidUtf8!
    server.inject(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))
    await eventually(() => assert.ok(feed.stats().reconnects === 1 || feed.stats().decodeErrorsByStatus.invalidUtf8 === bad0 + 1), 10_000)
    await eventually(() => assert.equal(server.clientCount, 1), 10_000)
    const utf8ByTransport = feed.stats().reconnects === 1
    if (utf8ByTransport) assert.equal(server.closeCodes.at(-1), 1007)
    const reconnectsBefore = feed.stats().reconnects

    // transport limit: 5 MiB > maxPayload 4 MiB: closed with 1009, reconnected
    server.inject(Buffer.from(`{"e":"trade","pad":"${'x'.repeat(5 * 1024 * 1024)}"}`))
    await eventually(() => assert.equal(feed.stats().reconnects, reconnectsBefore + 1), 10_000)
    await eventually(() => assert.equal(server.clientCount, 1), 10_000)
    const sizeClose = server.closeCodes.at(-1)
    assert.equal(sizeClose, 1009)

    // still working: the tape plays, the book syncs, events flow (trades too: a fuzzed trade id far
    // ahead of the tape leaves a gap that later real trades fill, see TradeGapTracker).
    server.start()
    const ev0 = p.events
    await eventually(() => {
      assert.equal(feed.bookState(e.registry.lookup('rs', 'BTCUSDT')), 'synced')
      assert.ok(p.events > ev0 + 100)
    }, 15_000)
    assert.equal(p.totals().bookMismatches, 0)
    results.add({
      case: 'fuzzed frames over a real WebSocket (replay server → engine feed)',
      outcome: 'every frame read, every refused one counted; connection kept',
      figures: { 'frames sent': sent, refused, reconnects: 0, 'later real trades dropped as duplicates': feed.stats().tradeDuplicates },
      lost: 0,
    })
    results.add({
      case: 'oversize frames',
      outcome: '2 MiB: refused by the decoder (1 MiB limit), counted; 5 MiB: closed 1009 by the transport (4 MiB maxPayload), reconnected',
      figures: { 'oversize counted': 1, 'close code': sizeClose ?? 0, reconnects: 1 },
      lost: 0,
    })
    results.add({
      case: 'invalid UTF-8 in a text frame (socket)',
      outcome: utf8ByTransport ? 'closed 1007 by the transport, reconnected, resynced' : 'refused by the decoder, counted as invalidUtf8; connection kept',
      figures: utf8ByTransport ? { 'close code': 1007, reconnects: 1 } : { 'invalidUtf8 counted': 1, reconnects: 0 },
      lost: 0,
    })
  } finally {
    const r = await e.close()
    await server.close()
    assert.equal(r.clean, true, r.errors.join('; '))
  }
})

test('malformed config files: tickflow run exits 2 with an error naming the key', { timeout: 60_000 }, async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['YAML syntax error', 'venues:\n  - name: sim\n    symbols: [BTCUSDT\n', /not valid YAML/],
    ['wrong type', 'venues:\n  - symbols: BTCUSDT\n', /venues\[0\]\.symbols: expected a list of symbols/],
    ['unknown key', 'venues:\n  - name: sim\nrisk:\n  maxOrdersPerSec: 5\n', /risk\.maxOrdersPerSec: unknown key/],
    ['out of range', 'metrics:\n  port: 70000\n', /metrics\.port/],
    ['bad enum', 'venues:\n  - type: kraken\n', /venues\[0\]\.type/],
    ['not a mapping', '- just\n- a list\n', /configuration/],
    ['missing file', '', /config file not found/],
  ]
  const outcomes = await Promise.all(
    cases.map(async ([name, text], i) => {
      const file = path.join(dir, `bad-${i}.yaml`)
      if (name !== 'missing file') writeFileSync(file, text, { mode: 0o600 })
      const child = spawn(process.execPath, [CLI, 'run', '--no-status', '--config', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      let err = ''
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
      return { code, err }
    }),
  )
  cases.forEach(([name, , re], i) => {
    assert.equal(outcomes[i]!.code, 2, `${name}: exit status (stderr ${outcomes[i]!.err})`)
    assert.match(outcomes[i]!.err, re, name)
  })
  results.add({
    case: 'malformed config files (7 kinds)',
    outcome: 'exit status 2, CONFIG_INVALID / CONFIG_NOT_FOUND message naming the key',
    figures: { 'files tried': cases.length, 'exit 2': outcomes.filter((o) => o.code === 2).length },
    lost: 0,
  })
  void writeConfig
})
