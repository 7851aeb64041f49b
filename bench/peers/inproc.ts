/**
 * The tickflow peer client's path in ONE process, without the kernel: the
 * same engine as bench/peers/clients/tickflow.ts (createEngine, a
 * `binance-spot` venue on the simulator, trade stream, one sync strategy),
 * connected for real, then fed prebuilt socket chunks straight into its
 * RawWebSocket (the bytes the simulator's firehose writes: header +
 * combined-stream trade payload with a `ts` field, split into 64 KiB reads
 * so frames straddle reads as on a real socket). Trade ids are rewritten
 * before each round (untimed) so the stream stays gap-free.
 *
 *   npm run build --silent && node --expose-gc dist/bench/peers/inproc.js [--rounds 9] [--frames 200000]
 *
 * Prints CPU ns per message (median of rounds) and allocation per round. A
 * development aid for hot-path work (A/B in one process, no socket noise);
 * the figures of record are the peers benchmark's.
 */
import { parseArgs } from 'node:util'
import { epochUs } from '../../src/core/clock.js'
import type { ReadonlyCanonicalEvent } from '../../src/model/events.js'
import { createEngine } from '../../src/runtime/engine.js'
import { startSimulator } from '../../src/sim/index.js'
import type { Strategy } from '../../src/strategy/strategy.js'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '9' }, frames: { type: 'string', default: '200000' }, stage: { type: 'string', default: 'full' } },
})
/**
 * How far each frame goes: 'transport' (RawWebSocket parsing only: its
 * onMessage counts), 'feed' (+ WsConnection delivery, decode, trade check,
 * normalize; the feed's sink releases the event), 'direct' (the feed's sink
 * calls the strategy itself: the floor of any pipeline), 'full' (+ engine
 * sink, merger, dispatcher, strategy host).
 */
const STAGE = values.stage!
if (!['transport', 'feed', 'direct', 'merger', 'merger-only', 'full'].includes(STAGE)) throw new Error(`--stage: transport, feed or full, got ${STAGE}`)
const ROUNDS = Number(values.rounds)
const FRAMES = Number(values.frames)
const READ = 65536
const ID_DIGITS = 10

class Counting implements Strategy {
  name = 'bench'
  trades = 0
  lastRecv = 0
  onTrade(ev: ReadonlyCanonicalEvent): void {
    this.trades++
    this.lastRecv = ev.tsRecvUs
  }
}

/** FRAMES server frames (unmasked text, 126-length header), with the offset of each trade id. */
function buildStream(): { bytes: Buffer; idOffsets: Int32Array } {
  const parts: Buffer[] = []
  const idOffsets = new Int32Array(FRAMES)
  let off = 0
  for (let i = 0; i < FRAMES; i++) {
    const e = 2_345_678_901 + i * 7
    const price = (60000 + (i % 500) / 100).toFixed(2)
    const head = `{"stream":"btcusdt@trade","data":{"e":"trade","E":${e},"s":"BTCUSDT","t":`
    const payload = Buffer.from(`${head}${'0'.repeat(ID_DIGITS)},"p":"${price}","q":"0.00001","T":${e},"m":true,"M":true,"ts":"${e * 1000 + 123}"}}`, 'latin1')
    const hdr = Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff])
    parts.push(hdr, payload)
    idOffsets[i] = off + 4 + head.length
    off += 4 + payload.length
  }
  return { bytes: Buffer.concat(parts), idOffsets }
}

function writeIds(bytes: Buffer, idOffsets: Int32Array, first: number): void {
  for (let i = 0; i < idOffsets.length; i++) {
    let id = first + i
    const o = idOffsets[i]!
    for (let k = ID_DIGITS - 1; k >= 0; k--) {
      bytes[o + k] = 0x30 + (id % 10)
      id = Math.floor(id / 10)
    }
  }
}

const sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 1, timing: { stepMs: 2_000_000_000 }, limits: { maxIncomingPerSecond: 0 }, faultEndpoint: false })
const strategy = new Counting()
const engine = createEngine(
  { venues: [{ name: 'binance', type: 'binance-spot', wsUrl: sim.urls.ws, restUrl: sim.urls.rest, symbols: ['BTCUSDT'], streams: ['trade'], trading: false }] },
  { strategies: [{ name: 'bench', strategy }] },
)
await engine.start()
// engine → venue → feed → connection → WsConnection → RawWebSocket (private fields: a development aid)
/* eslint-disable @typescript-eslint/no-explicit-any */
const feed = (engine.venues[0] as any).feed
const conn = feed.connections[0].managed.connection
const raw = conn.ws as { onData(chunk: Buffer): void; onMessage: unknown }
let counted = 0
if (STAGE === 'transport') {
  raw.onMessage = (): void => {
    counted++
  }
} else if (STAGE === 'feed') {
  const pool = engine.pools.canonicalEvent
  feed.sink = {
    onMarketEvent(ev: any): void {
      counted++
      pool.release(ev)
    },
  }
} else if (STAGE === 'merger' || STAGE === 'merger-only') {
  // engine sink + merger; the merger's sink releases (no dispatcher)
  const merged = engine.pools.mergedEvent
  const canonical = engine.pools.canonicalEvent
  ;(engine.merger as any).sink = {
    publish(m: any): void {
      counted++
      const ev = m.event
      merged.release(m)
      canonical.release(ev)
    },
  }
  if (STAGE === 'merger-only') {
    // the feed hands events straight to merger.push (no engine sink)
    const merger = engine.merger
    feed.sink = {
      onMarketEvent(ev: any): void {
        merger.push(1, ev)
      },
    }
  }
} else if (STAGE === 'direct') {
  // the floor of the pipeline: the strategy called straight from the feed's sink
  const pool = engine.pools.canonicalEvent
  feed.sink = {
    onMarketEvent(ev: any): void {
      strategy.onTrade(ev)
      pool.release(ev)
    },
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
const { bytes, idOffsets } = buildStream()
const chunks: Buffer[] = []
for (let o = 0; o < bytes.length; o += READ) chunks.push(bytes.subarray(o, Math.min(bytes.length, o + READ)))
// the firehose continues after the symbol's last trade id; start well beyond it and stay contiguous
let nextId = 1_000_000_000
const perMsg: number[] = []
const gc = (globalThis as { gc?: () => void }).gc
for (let r = 0; r < ROUNDS; r++) {
  writeIds(bytes, idOffsets, nextId)
  nextId += FRAMES
  gc?.()
  const before = strategy.trades + counted
  const c0 = process.cpuUsage()
  for (let i = 0; i < chunks.length; i++) raw.onData(chunks[i]!)
  const c = process.cpuUsage(c0)
  const got = strategy.trades + counted - before
  if (got !== FRAMES && r > 0) { console.log(JSON.stringify(feed.stats()).slice(0, 1500)); throw new Error(`round ${r}: the strategy saw ${got} of ${FRAMES} trades`) }
  perMsg.push(((c.user + c.system) * 1000) / FRAMES)
}
const warm = perMsg.slice(1).sort((a, b) => a - b)
const med = warm[warm.length >> 1]!
process.stdout.write(`inproc ${STAGE}: ${med.toFixed(1)} ns/msg CPU (median of ${warm.length} rounds of ${FRAMES}; min ${warm[0]!.toFixed(1)}, max ${warm[warm.length - 1]!.toFixed(1)}); last recv ${strategy.lastRecv > 0 && strategy.lastRecv <= epochUs()}\n`)
await engine.close()
await sim.close()
