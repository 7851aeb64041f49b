/**
 * Differential test over EVERY frame of EVERY fixture capture: the fast path
 * and the JSON.parse reference mapping must produce the identical ProviderRaw
 * (every field, every level), and the fast path must decode the frames itself
 * (the number that went to the fallback is reported and must be 0).
 * REST depth snapshots in the captures go through decodeSnapshot likewise.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { listFixtureSessions, readCapture, RecordKind } from '../../../../../src/capture/reader.js'
import { ProviderRaw, RawType } from '../../../../../src/model/provider-raw.js'
import { DecodeStatus } from '../../../../../src/venues/binance/codec/decoder.js'
import { BINANCE_FIXTURES } from '../../../../helpers/paths.js'
import { diffRaw, HFT_SCALES, makeDecoder, referenceDecode, referenceSnapshot, scalesFromExchangeInfo, symbolsOfStreams, type ScaleSpec } from './support.js'

for (const session of listFixtureSessions(BINANCE_FIXTURES)) {
  test(`differential: every frame of ${session.name} decodes on the fast path exactly as the reference mapping`, () => {
    const capture = readCapture(session.files)
    const market = session.market === 'usdm' ? 'usdm' : 'spot'
    const symbols = symbolsOfStreams(capture.streams)
    assert.ok(symbols.length > 0, 'the capture names its streams')
    // Real tick/lot scales (they exercise rescaling; 8/8 overflows AKROUSDT's quantities): from the capture's
    // exchangeInfo when it has one, else Binance's BTCUSDT scales
    const specs: ScaleSpec[] = capture.exchangeInfo !== null ? scalesFromExchangeInfo(capture.exchangeInfo, symbols, market) : [HFT_SCALES[market]]
    const { decoder, ids } = makeDecoder(market, specs)
    const fast = new ProviderRaw()
    const ref = new ProviderRaw()
    const byType = new Array<number>(16).fill(0)
    let frames = 0
    let snapshots = 0
    let levels = 0
    for (const rec of capture.records) {
      if (rec.kind === RecordKind.WsFrame) {
        fast.reset()
        const st = decoder.decode(rec.data, 0, rec.data.length, fast)
        const rst = referenceDecode(decoder, rec.data, ref)
        assert.equal(rst, DecodeStatus.Ok, `reference status ${rst} at line ${rec.line}`)
        assert.equal(st, rst, `status at line ${rec.line}`)
        const d = diffRaw(fast, ref)
        if (d !== '') assert.fail(`line ${rec.line}: ${d}\n${rec.data.toString()}`)
        byType[fast.type]!++
        levels += fast.bidCount + fast.askCount
        frames++
      } else if (rec.kind === RecordKind.DepthSnapshot) {
        const m = /[?&]symbol=([A-Z0-9]+)/.exec(rec.url)
        const symbol = m !== null ? m[1]! : symbols[0]!
        const id = ids.get(symbol)
        assert.ok(id !== undefined, `snapshot symbol ${symbol} registered`)
        fast.reset()
        const st = decoder.decodeSnapshot(rec.data, 0, rec.data.length, id, fast)
        const rst = referenceSnapshot(decoder, rec.data, id, ref)
        assert.equal(rst, DecodeStatus.Ok)
        assert.equal(st, DecodeStatus.Ok)
        assert.equal(fast.type, RawType.DepthSnapshot)
        assert.ok(fast.bidCount > 0 && fast.askCount > 0)
        const d = diffRaw(fast, ref)
        if (d !== '') assert.fail(`snapshot line ${rec.line}: ${d}`)
        snapshots++
      }
    }
    const stats = decoder.stats()
    const summary = `${session.name}: ${frames} frames + ${snapshots} snapshots, ${levels} levels; fast ${stats.fastPath} (${stats.layoutPath} by learned layout, ${stats.layoutsLearned} learned), fallback ${stats.fallbackPath}; by type ${JSON.stringify(
      Object.fromEntries(Object.entries(RawType).map(([k, v]) => [k, byType[v]]).filter(([, n]) => n !== 0)),
    )}`
    console.log(summary)
    assert.ok(frames > 0)
    assert.equal(stats.errors, 0)
    assert.equal(stats.fallbackPath, 0, 'fixture frames take the fast path')
    assert.equal(stats.fastPath, frames + snapshots)
    // the combined-stream captures repeat each stream's layout: nearly every frame after a stream's first takes it
    if (session.name.startsWith('hftbacktest')) assert.ok(stats.layoutPath > 0.95 * frames, `layout path ${stats.layoutPath} of ${frames} frames`)
  })
}
