import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { RecordKind, listFixtureSessions, nanosToUs, readCapture, secondsToUs } from '../../../src/capture/reader.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'
import { BINANCE_FIXTURES } from '../../helpers/paths.js'

test('timestamps convert to epoch µs without floats', () => {
  assert.equal(secondsToUs('1633998512.0633569'), 1633998512063356)
  assert.equal(secondsToUs('1633998512'), 1633998512000000)
  assert.equal(nanosToUs('1723161253937085768'), 1723161253937085)
  assert.throws(() => secondsToUs('12a'), (e: unknown) => isTickflowError(e, ErrorCode.REPLAY_FORMAT))
})

test('every fixture session reads with the record counts its README gives', () => {
  const expected: Record<string, { frames: number; snapshots: number; market: string }> = {
    'cryptofeed-spot': { frames: 265, snapshots: 4, market: 'spot' },
    'cryptofeed-usdm': { frames: 1535, snapshots: 4, market: 'usdm' },
    // 3451 + 28040 + 9757 and 3044 + 45134 + 10147
    'hftbacktest-spot': { frames: 99573, snapshots: 1, market: 'spot' },
    'hftbacktest-usdm': { frames: 6551 + 66089 + 21313, snapshots: 1, market: 'usdm' },
  }
  for (const s of listFixtureSessions(BINANCE_FIXTURES)) {
    const c = readCapture(s.files)
    const frames = c.records.filter((r) => r.kind === RecordKind.WsFrame).length
    const snaps = c.records.filter((r) => r.kind === RecordKind.DepthSnapshot).length
    const e = expected[s.name]!
    assert.equal(frames, e.frames, s.name)
    assert.equal(snaps, e.snapshots, s.name)
    assert.equal(c.market, e.market, s.name)
    for (let i = 1; i < c.records.length; i++) assert.ok(c.records[i]!.recvTsUs >= c.records[i - 1]!.recvTsUs, 'ordered by receive time')
    const first = c.records.find((r) => r.kind === RecordKind.WsFrame)!
    assert.equal(first.data[0], 0x7b, 'frames are the raw JSON bytes')
  }
})

test('cryptofeed sessions pull in snapshots and exchangeInfo; streams come from the URL', () => {
  const [spot] = listFixtureSessions(BINANCE_FIXTURES)
  const c = readCapture(spot!.files)
  assert.equal(c.files.length, 3)
  assert.ok(c.streams.includes('nknusdt@depth@100ms'))
  assert.equal(c.streams.length, 16)
  assert.ok(c.exchangeInfo !== null && c.exchangeInfo.subarray(0, 12).toString() === '{"timezone":')
  const snap = c.records.find((r) => r.kind === RecordKind.DepthSnapshot)!
  assert.match(snap.url, /\/api\/v3\/depth\?symbol=NKNUSDT/)
})

test('malformed capture lines give a coded error naming file and line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickflow-capture-'))
  try {
    const f = path.join(dir, 'bad.gz')
    writeFileSync(f, gzipSync('1723161253937085768 {"stream":"x@trade","data":{}}\nnot-a-record\n'))
    assert.throws(() => readCapture([f]), (e: unknown) => isTickflowError(e, ErrorCode.REPLAY_FORMAT) && /bad\.gz:2:/.test(e.message))
    assert.throws(() => readCapture([path.join(dir, 'missing.gz')]), (e: unknown) => isTickflowError(e, ErrorCode.CONFIG_NOT_FOUND))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
