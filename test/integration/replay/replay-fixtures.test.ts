/**
 * `tickflow replay --verify --json` on every recorded fixture capture, through
 * the real CLI: the numbers the fixtures README states (two independent
 * implementations agreed on them) must come out exactly.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { BINANCE_FIXTURES, CLI } from '../../helpers/paths.js'

const CF = path.join(BINANCE_FIXTURES, 'cryptofeed', 'sample_data')
const HB = path.join(BINANCE_FIXTURES, 'hftbacktest', 'examples')

const CASES = [
  { name: 'cryptofeed Spot', files: [path.join(CF, 'BINANCE.ws.1.0')], market: 'spot', diffsApplied: 172, bookChecks: 26, symbols: 4 },
  { name: 'cryptofeed USD-M', files: [path.join(CF, 'BINANCE_FUTURES.ws.1.0')], market: 'usdm', diffsApplied: 752, bookChecks: 50, symbols: 4 },
  {
    name: 'hftbacktest Spot 0808+0809',
    files: [path.join(HB, 'spot', 'btcusdt_20240808.gz'), path.join(HB, 'spot', 'btcusdt_20240809.gz')],
    market: 'spot',
    diffsApplied: 6493,
    bookChecks: 1072,
    symbols: 1,
    frames: 3451 + 28040 + 9757 + 3044 + 45134 + 10147,
    trades: 19904,
  },
  {
    name: 'hftbacktest USD-M',
    files: [path.join(HB, 'usdm', 'btcusdt_20240808.gz')],
    market: 'usdm',
    diffsApplied: 6547,
    bookChecks: 629,
    symbols: 1,
    frames: 6551 + 66089 + 21313,
    trades: 21313,
  },
]

function replay(args: string[]) {
  return spawnSync(process.execPath, [CLI, 'replay', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 })
}

for (const c of CASES) {
  test(`replay --verify --json: ${c.name} verifies with the README's numbers`, () => {
    const r = replay([...c.files, '--verify', '--json'])
    assert.equal(r.stderr, '')
    assert.equal(r.status, 0, r.stdout)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines.length, 1, 'one JSON object')
    const rep = JSON.parse(lines[0]!) as Record<string, unknown> & { events: Record<string, number>; symbols: Record<string, { state: string; bookMismatches: number }> }
    for (const key of ['frames', 'events', 'decodeErrors', 'gaps', 'resyncs', 'bookChecks', 'bookMismatches', 'crossedBooks']) assert.ok(key in rep, key)
    assert.equal(rep['market'], c.market)
    assert.equal(rep['ok'], true)
    assert.equal(rep['decodeErrors'], 0)
    assert.equal(rep['gaps'], 0)
    assert.equal(rep['resyncs'], 0)
    assert.equal(rep['bookMismatches'], 0)
    assert.equal(rep['crossedBooks'], 0)
    assert.equal(rep['bookChecks'], c.bookChecks)
    assert.equal(rep['diffsApplied'], c.diffsApplied)
    assert.equal(Object.keys(rep.symbols).length, c.symbols)
    for (const s of Object.values(rep.symbols)) assert.equal(s.state, 'synced')
    assert.equal(rep.events['bookInvalidated'], 0)
    assert.equal(rep.events['bookResynced'], c.symbols, 'one initial sync per symbol')
    assert.equal(rep.events['book'], c.diffsApplied + c.symbols, 'a BookDelta per applied diff + one snapshot per symbol')
    if (c.frames !== undefined) assert.equal(rep['frames'], c.frames)
    if (c.trades !== undefined) assert.equal(rep.events['trade'], c.trades)
  })
}

test('replay without --json prints a readable summary; without --verify it does not check books', () => {
  const r = replay([path.join(CF, 'BINANCE.ws.1.0'), '--verify'])
  assert.equal(r.status, 0)
  assert.match(r.stdout, /^verify\s+OK: gaps 0, resyncs 0, book checks 26, mismatches 0, crossed 0, diffs applied 172$/m)
  assert.match(r.stdout, /^\s+NKNUSDT\s+synced/m)
  const plain = replay([path.join(CF, 'BINANCE.ws.1.0'), '--json'])
  assert.equal(plain.status, 0)
  const rep = JSON.parse(plain.stdout) as { verified: boolean; bookChecks: number }
  assert.equal(rep.verified, false)
  assert.equal(rep.bookChecks, 0)
})

test('replay of a missing file fails with a coded message', () => {
  const r = replay([path.join(CF, 'NOPE.ws.1.0'), '--verify'])
  assert.equal(r.status, 1)
  assert.match(r.stderr, /^tickflow replay: CONFIG_NOT_FOUND: capture file not found/)
})

test('replay --verify exits 1 when a book never syncs (the 0809 file alone has no snapshot)', () => {
  const r = replay([path.join(HB, 'spot', 'btcusdt_20240809.gz'), '--verify', '--json'])
  assert.equal(r.status, 1)
  const rep = JSON.parse(r.stdout) as { ok: boolean; unsyncedSymbols: string[]; failures: string[]; gaps: number; diffsApplied: number }
  assert.equal(rep.ok, false)
  assert.deepEqual(rep.unsyncedSymbols, ['BTCUSDT'])
  assert.equal(rep.diffsApplied, 0)
  assert.equal(rep.gaps, 0, 'trade ids are still contiguous')
  assert.match(rep.failures.join('\n'), /never in sync/)
})
