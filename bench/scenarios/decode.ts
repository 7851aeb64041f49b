/**
 * decode.<message>: the Binance fast decoder (frame bytes -> ProviderRaw) side
 * by side with the JSON.parse path on the same real fixture frames (cycled):
 *
 * - subject: BinanceDecoder.decode (the fast path; these frames never fall back),
 * - baseline: the reference mapping, codec/fallback.ts decodeWithJson: UTF-8
 *   check + JSON.parse(buf.toString()) + the same mapping into ProviderRaw,
 * - extra: bare JSON.parse(buf.toString()) with no mapping at all (a lower
 *   bound for any JSON.parse-based decoder), and the ratio against it.
 *
 * Every variant resets the ProviderRaw per frame (as the pool's release does).
 * Target (issue 4): ratio <= 0.25 and 0 B/msg for the subject.
 */
import path from 'node:path'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { blackhole, compare, round, sideBySide, type Scenario, type ScenarioResult } from '../harness.js'
import { listFixtureSessions, readCapture, RecordKind } from '../../src/capture/reader.js'
import { InstrumentRegistry } from '../../src/model/instrument.js'
import { ProviderRaw } from '../../src/model/provider-raw.js'
import { BinanceDecoder, DecodeStatus, type BinanceMarket } from '../../src/venues/binance/codec/decoder.js'
import { decodeWithJson } from '../../src/venues/binance/codec/fallback.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const FIXTURES = path.join(process.env.TICKFLOW_SHARED ?? path.resolve(REPO_ROOT, '..', 'shared'), 'fixtures', 'binance')
const MAX_FRAMES = 10_000

interface Case {
  name: string
  description: string
  session: string
  /** selects frames of the capture by their bytes */
  match: (text: string) => boolean
  /** strip the combined-stream envelope (a raw /ws connection's payload) */
  raw?: boolean
}

const streamIs = (suffix: string) => (t: string) => t.startsWith('{"stream":"') && t.slice(11, t.indexOf('"', 11)).includes(suffix)

const CASES: Case[] = [
  { name: 'decode.trade', description: 'Spot trade (hftbacktest 2024)', session: 'hftbacktest-spot', match: streamIs('@trade') },
  { name: 'decode.trade.usdm', description: 'USD-M trade (hftbacktest 2024)', session: 'hftbacktest-usdm', match: streamIs('@trade') },
  { name: 'decode.trade.raw', description: 'Spot trade, raw /ws payload (no envelope)', session: 'hftbacktest-spot', match: streamIs('@trade'), raw: true },
  { name: 'decode.aggTrade', description: 'USD-M aggTrade (cryptofeed 2021)', session: 'cryptofeed-usdm', match: streamIs('@aggTrade') },
  { name: 'decode.bookTicker', description: 'Spot bookTicker (no e/E)', session: 'hftbacktest-spot', match: streamIs('@bookTicker') },
  { name: 'decode.bookTicker.usdm', description: 'USD-M bookTicker', session: 'hftbacktest-usdm', match: streamIs('@bookTicker') },
  { name: 'decode.depthUpdate', description: 'Spot diff depth @100ms', session: 'hftbacktest-spot', match: streamIs('@depth') },
  { name: 'decode.depthUpdate.usdm', description: 'USD-M diff depth @0ms (with pu)', session: 'hftbacktest-usdm', match: streamIs('@depth') },
  { name: 'decode.kline', description: 'USD-M kline_1m (cryptofeed 2021)', session: 'cryptofeed-usdm', match: streamIs('@kline') },
  { name: 'decode.envelope', description: 'every combined-stream frame of the Spot capture, in order (the real mix)', session: 'hftbacktest-spot', match: () => true },
]

interface Loaded {
  market: BinanceMarket
  frames: Buffer[]
  decoder: BinanceDecoder
}

const sessionCache = new Map<string, ReturnType<typeof readCapture>>()

function load(c: Case): Loaded | null {
  const s = listFixtureSessions(FIXTURES).find((x) => x.name === c.session)
  if (s === undefined || !s.files.every((f) => existsSync(f))) return null
  let capture = sessionCache.get(c.session)
  if (capture === undefined) {
    capture = readCapture(s.files)
    sessionCache.set(c.session, capture)
  }
  const market: BinanceMarket = s.market === 'usdm' ? 'usdm' : 'spot'
  const registry = new InstrumentRegistry()
  const venueName = market === 'spot' ? 'binance-spot' : 'binance-usdm'
  const decoder = new BinanceDecoder({ market, venueId: registry.venueId(venueName), registry, venueName })
  for (const stream of capture.streams) decoder.addSymbol(stream.slice(0, stream.indexOf('@')).toUpperCase())
  const frames: Buffer[] = []
  for (const r of capture.records) {
    if (r.kind !== RecordKind.WsFrame) continue
    const text = r.data.toString('latin1')
    if (!c.match(text)) continue
    let data = Buffer.from(r.data) // own copy: contiguous, like a ws frame
    if (c.raw === true) {
      const i = text.indexOf(',"data":')
      data = Buffer.from(r.data.subarray(i + 8, r.data.length - 1))
    }
    frames.push(data)
    if (frames.length >= MAX_FRAMES) break
  }
  return frames.length > 0 ? { market, frames, decoder } : null
}

function runCase(c: Case, quick: boolean, log: (line: string) => void): ScenarioResult[] {
  const loaded = load(c)
  if (loaded === null) {
    log(`  ${c.name}: fixtures not found under ${FIXTURES}; skipped`)
    return []
  }
  const { frames, decoder } = loaded
  const n = frames.length
  let bytes = 0
  for (const f of frames) bytes += f.length
  const avgBytes = bytes / n
  // size the run by bytes so that large depth frames do not take minutes
  const ops = Math.max(5_000, Math.round((quick ? 20e6 : 100e6) / avgBytes))
  const rounds = quick ? 3 : 5
  const out = new ProviderRaw()
  // sanity: every frame decodes on the fast path
  let levels = 0
  for (const f of frames) {
    out.reset()
    if (decoder.decode(f, 0, f.length, out) !== DecodeStatus.Ok) throw new Error(`${c.name}: a fixture frame failed to decode`)
    levels += out.bidCount + out.askCount
  }
  const fallbackBefore = decoder.stats().fallbackPath
  const results = compare(
    [
      {
        name: 'fast',
        run: (k) => {
          let okCount = 0
          for (let i = 0, j = 0; i < k; i++, j = j + 1 === n ? 0 : j + 1) {
            const f = frames[j]!
            out.reset()
            okCount += decoder.decode(f, 0, f.length, out) === 0 ? 1 : 0
          }
          return okCount
        },
      },
      {
        name: 'JSON.parse+mapping',
        run: (k) => {
          let okCount = 0
          for (let i = 0, j = 0; i < k; i++, j = j + 1 === n ? 0 : j + 1) {
            const f = frames[j]!
            out.reset()
            okCount += decodeWithJson(decoder, f, 0, f.length, out, 0) === 0 ? 1 : 0
          }
          return okCount
        },
      },
      {
        name: 'JSON.parse',
        run: (k) => {
          let last: unknown = null
          for (let i = 0, j = 0; i < k; i++, j = j + 1 === n ? 0 : j + 1) {
            out.reset()
            last = JSON.parse(frames[j]!.toString())
          }
          blackhole(last)
          return last
        },
      },
    ],
    ops,
    rounds,
  )
  const [fast, mapped, bare] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]]
  const fellBack = decoder.stats().fallbackPath - fallbackBefore
  return [
    sideBySide(c.name, fast, 'JSON.parse(buf.toString()) + mapping', mapped, {
      frames: n,
      avgBytes: round(avgBytes, 1),
      levelsPerFrame: round(levels / n, 1),
      bareJsonParseNs: round(bare.nsPerOp),
      bareJsonParseBytes: round(bare.bytesPerOp),
      ratioVsBareJsonParse: round(fast.nsPerOp / bare.nsPerOp, 3),
      fallbacks: fellBack,
    }),
  ]
}

export const decodeScenarios: Scenario[] = CASES.map((c) => ({
  name: c.name,
  description: `Binance fast decoder vs JSON.parse + mapping: ${c.description}`,
  run: (ctx) => runCase(c, ctx.quick, ctx.log),
}))
