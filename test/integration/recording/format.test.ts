/**
 * The .tfrec format without an engine: every event kind round-trips with all
 * its fields (levels included), ids are re-interned to the recorded ones, a
 * record larger than a block grows the buffer, seq numbers the live run
 * consumed without publishing replay as gaps (not mismatches), event-time
 * recordings are refused with a clear error, and the config and file
 * errors are coded.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CanonicalEvent, EVENT_KIND_COUNT, EventKind, MergedEvent } from '../../../src/model/events.js'
import { eventBodyBytes } from '../../../src/replay/recording-format.js'
import { InstrumentRegistry, InstrumentStatus } from '../../../src/model/instrument.js'
import { RecordingWriter } from '../../../src/replay/recording-writer.js'
import { isRecordingFile, readRecording } from '../../../src/replay/recording-reader.js'
import { replayRecording } from '../../../src/runtime/recording-replay.js'
import { parseEngineConfig } from '../../../src/runtime/config.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'

function registry(): InstrumentRegistry {
  const r = new InstrumentRegistry()
  r.venueId('a')
  r.venueId('b')
  const spec = (venue: string, symbol: string, base: string, priceScale: number, qtyScale: number) => ({
    venue,
    symbol,
    base,
    quote: 'USDT',
    priceScale,
    qtyScale,
    tickSize: 1,
    stepSize: 1,
    minQty: 0,
    maxQty: 0,
    minNotional: 0,
    maxNotional: 0,
    notionalScale: 8,
    status: InstrumentStatus.Trading,
  })
  r.define(spec('a', 'BTCUSDT', 'BTC', 2, 5))
  r.define(spec('b', 'BTCUSDT', 'BTC', 1, 4))
  r.define(spec('b', 'ETHUSDT', 'ETH', 2, 4))
  return r
}

/** One event of each kind, with every field of its kind set to a distinct value. */
function sampleEvents(levels: number): CanonicalEvent[] {
  const out: CanonicalEvent[] = []
  let v = 1
  const base = (kind: number, id: number): CanonicalEvent => {
    const e = new CanonicalEvent()
    e.kind = kind
    e.instrumentId = id
    e.venueId = id === 1 ? 1 : 2
    e.priceScale = 2
    e.qtyScale = 5
    e.tsEventUs = 1_700_000_000_000_000 + v++
    e.tsRecvUs = 1_700_000_000_000_500 + v++
    e.tsTradeUs = 1_700_000_000_000_100 + v++
    e.venueSeq = 9_007_199_254_740_000 + v++
    return e
  }
  const t = base(EventKind.Trade, 1)
  t.priceM = 6_000_012_345
  t.qtyM = 123_456
  t.aggressor = 2
  t.firstTradeId = 77
  t.lastTradeId = 79
  out.push(t)
  const q = base(EventKind.Quote, 2)
  q.bidPxM = 600_001
  q.bidQtyM = 10
  q.askPxM = 600_002
  q.askQtyM = 20
  out.push(q)
  const d = base(EventKind.BookDelta, 3)
  d.isSnapshot = true
  d.firstUpdateId = 100
  d.prevUpdateId = 99
  for (let i = 0; i < levels; i++) d.pushBid(300_000 - i, i + 1)
  for (let i = 0; i < levels + 3; i++) d.pushAsk(300_001 + i, 2 * i + 1)
  out.push(d)
  const diff = base(EventKind.BookDelta, 3)
  diff.pushAsk(300_005, 0)
  out.push(diff)
  const b = base(EventKind.Bar, 1)
  b.barStartUs = 1_700_000_000_000_000
  b.barEndUs = 1_700_000_059_999_999
  b.barIntervalSec = 60
  b.openM = 1
  b.highM = 4
  b.lowM = 0
  b.closeM = 3
  b.volumeM = 1000
  b.quoteVolumeM = 5000
  b.quoteScale = 7
  b.barTrades = 42
  b.barClosed = true
  out.push(b)
  for (const k of [EventKind.BookInvalidated, EventKind.BookResynced, EventKind.TradeGap]) {
    const s = base(k, 2)
    s.reason = 3
    s.gapFrom = 10
    s.gapTo = 12
    out.push(s)
  }
  const bbo = base(EventKind.Bbo, 0)
  bbo.venueId = 0
  bbo.venueSeq = 0
  bbo.bidPxM = 6_000_000_000
  bbo.bidQtyM = 1
  bbo.askPxM = 6_000_100_000
  bbo.askQtyM = 2
  bbo.bidVenueId = 1
  bbo.askVenueId = 2
  out.push(bbo)
  return out
}

const SCALARS = Object.keys(new CanonicalEvent()).filter((k) => !['bidPxs', 'bidQtys', 'askPxs', 'askQtys', 'poolState', 'generation', 'pool'].includes(k))

function assertSameEvent(actual: CanonicalEvent, expected: CanonicalEvent, what: string): void {
  for (const k of SCALARS) {
    const a = (actual as unknown as Record<string, unknown>)[k]
    if (typeof a === 'object' || typeof a === 'function') continue
    assert.equal(a, (expected as unknown as Record<string, unknown>)[k], `${what}: ${k}`)
  }
  assert.deepEqual([...actual.bidPxs.subarray(0, actual.bidCount)], [...expected.bidPxs.subarray(0, expected.bidCount)], `${what}: bid prices`)
  assert.deepEqual([...actual.bidQtys.subarray(0, actual.bidCount)], [...expected.bidQtys.subarray(0, expected.bidCount)], `${what}: bid quantities`)
  assert.deepEqual([...actual.askPxs.subarray(0, actual.askCount)], [...expected.askPxs.subarray(0, expected.askCount)], `${what}: ask prices`)
  assert.deepEqual([...actual.askQtys.subarray(0, actual.askCount)], [...expected.askQtys.subarray(0, expected.askCount)], `${what}: ask quantities`)
}

function merged(ev: CanonicalEvent, seq: number, sourceId: number, reg: InstrumentRegistry): MergedEvent {
  const m = new MergedEvent()
  m.seq = seq
  m.kind = ev.kind
  m.venueId = ev.venueId
  m.instrumentId = ev.instrumentId
  m.canonicalId = ev.kind === EventKind.Bbo ? 1 : reg.canonicalOf(ev.instrumentId)
  m.sourceId = sourceId
  m.late = seq % 2 === 0
  m.event = ev
  return m
}

test('every event kind round-trips with all its fields; ids re-intern to the recorded ones', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-fmt-'))
  try {
    for (const levels of [3, 3000]) {
      const file = path.join(dir, `all-${levels}.tfrec`)
      const reg = registry()
      // 4 KiB blocks: the 3000-level snapshot (~96 KiB) grows the buffer once
      const w = new RecordingWriter(file, { registry: reg, sourceName: (id) => ['', 'conn-a', 'conn-b'][id]!, blockBytes: 4096 })
      const events = sampleEvents(levels)
      // every kind has a layout, and the samples cover every kind (a new EventKind must extend the format)
      for (let k = 1; k < EVENT_KIND_COUNT; k++) {
        assert.ok(eventBodyBytes(k) > 0, `event kind ${k} has a record layout`)
        assert.ok(events.some((e) => e.kind === k), `sample of kind ${k}`)
      }
      const ms = events.map((e, i) => merged(e, i + 1, e.venueId === 2 ? 2 : 1, reg))
      for (let round = 0; round < 50; round++) for (const m of ms) w.write(m)
      // The loop never yields, so async block writes cannot finish: the disk is "behind" and the
      // writer falls back to synchronous writes instead of dropping or growing.
      assert.ok(w.stats().syncWrites > 0, 'synchronous fallback used')
      assert.equal(w.stats().lost, 0)
      const summary = await w.close()
      assert.equal(summary.events, 50 * ms.length)
      assert.ok(isRecordingFile(file))

      const r = readRecording(file)
      let i = 0
      for (const rec of r) {
        const j = i % ms.length
        const m = ms[j]!
        assert.equal(rec.seq, m.seq)
        assert.equal(rec.sourceId, m.sourceId)
        assert.equal(rec.kind, m.kind)
        assert.equal(rec.late, m.late)
        if (m.kind === EventKind.Bbo) assert.equal(rec.canonicalId, m.canonicalId)
        assertSameEvent(rec.event, events[j]!, `levels ${levels} event ${j} (${m.kind})`)
        i++
      }
      assert.equal(i, 50 * ms.length)
      assert.deepEqual(r.end?.events, i)
      assert.deepEqual(r.sourceNames, ['', 'conn-a', 'conn-b'])
      for (let id = 1; id <= reg.size; id++) {
        assert.deepEqual(r.registry.spec(id), reg.spec(id))
        assert.equal(r.registry.canonicalOf(id), reg.canonicalOf(id))
      }
      assert.equal(r.registry.venueName(2), 'b')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('seq numbers the live merger consumed without publishing replay as gaps, not mismatches', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-fmt-'))
  try {
    const file = path.join(dir, 'gaps.tfrec')
    const reg = registry()
    const w = new RecordingWriter(file, { registry: reg, sourceName: (id) => `s${id}` })
    const trade = sampleEvents(1)[0]!
    for (const seq of [1, 2, 5, 6, 10]) w.write(merged(trade, seq, 1, reg))
    await w.close()
    const seen: number[] = []
    const report = await replayRecording(file, { verify: true, onEvent: (m) => seen.push(m.seq) })
    assert.equal(report.mismatches, 0, JSON.stringify(report.mismatchSamples))
    assert.equal(report.seqGaps, 5)
    assert.deepEqual(seen, [1, 2, 5, 6, 10])
    assert.equal(report.lastSeq, 10)

    // A recording whose seq goes backwards is a divergence the verifier reports.
    const back = path.join(dir, 'back.tfrec')
    const w2 = new RecordingWriter(back, { registry: reg, sourceName: (id) => `s${id}` })
    for (const seq of [1, 2, 2]) w2.write(merged(trade, seq, 1, reg))
    await w2.close()
    const bad = await replayRecording(back, { verify: true })
    assert.equal(bad.ok, false)
    assert.ok(bad.mismatches >= 1)
    assert.ok(bad.mismatchSamples[0]!.offset > 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('event-time recordings are refused for exact replay; file and config errors are coded', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-fmt-'))
  try {
    const file = path.join(dir, 'et.tfrec')
    const reg = registry()
    const w = new RecordingWriter(file, { registry: reg, sourceName: (id) => `s${id}`, ordering: 'event-time' })
    w.write(merged(sampleEvents(1)[0]!, 1, 1, reg))
    await w.close()
    assert.equal(readRecording(file).header.ordering, 'event-time')
    await assert.rejects(replayRecording(file), /event-time ordering/)

    assert.throws(
      () => new RecordingWriter(path.join(dir, 'no', 'such', 'dir.tfrec'), { registry: reg, sourceName: () => '' }),
      (err: unknown) => isTickflowError(err, ErrorCode.RECORDING_IO),
    )
    assert.throws(
      () => readRecording(path.join(dir, 'missing.tfrec')),
      (err: unknown) => isTickflowError(err, ErrorCode.RECORDING_IO),
    )
    const notOurs = path.join(dir, 'not.tfrec')
    const fs = await import('node:fs')
    fs.writeFileSync(notOurs, 'hello world, not a recording at all')
    assert.equal(isRecordingFile(notOurs), false)
    assert.throws(() => readRecording(notOurs), /offset 0: not a tickflow recording/)
    // Only the header: no blocks, no end record.
    fs.writeFileSync(path.join(dir, 'header-only.tfrec'), readFileSync(file).subarray(0, 32))
    assert.throws(() => [...readRecording(path.join(dir, 'header-only.tfrec'))], /offset 32: truncated: no end record/)

    assert.equal(parseEngineConfig({}).recording, undefined, 'no recording by default')
    assert.deepEqual({ ...parseEngineConfig({ recording: { path: 'run.tfrec' } }).recording }, { path: 'run.tfrec', blockKiB: 256, flushIntervalMs: 1000 })
    assert.throws(() => parseEngineConfig({ recording: { path: 5 } }), /recording\.path: expected a file path, got number 5/)
    assert.throws(() => parseEngineConfig({ recording: {} }), /recording\.path: is required/)
    assert.throws(() => parseEngineConfig({ recording: { path: 'x', blockKiB: 1 } }), /recording\.blockKiB: expected KiB in 4\.\.65536/)
    assert.throws(() => parseEngineConfig({ recording: { path: 'x', bogus: 1 } }), /recording\.bogus: unknown key/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
