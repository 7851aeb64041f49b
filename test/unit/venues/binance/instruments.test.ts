/**
 * exchangeInfo → InstrumentSpec against the real fixture exchangeInfo
 * responses (cryptofeed BINANCE.0, Spot 2021 with MIN_NOTIONAL; and
 * BINANCE_FUTURES.0, USD-M with `notional`), plus the modern NOTIONAL filter.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { InstrumentRegistry, InstrumentStatus } from '../../../../src/model/instrument.js'
import { defineInstruments, parseExchangeInfo, symbolInfoFromJson } from '../../../../src/venues/binance/instruments.js'
import { BINANCE_FIXTURES } from '../../../helpers/paths.js'

const CF = path.join(BINANCE_FIXTURES, 'cryptofeed', 'sample_data')
function body(file: string): Buffer {
  const buf = readFileSync(path.join(CF, file))
  const line = buf.subarray(0, buf.indexOf(10))
  return line.subarray(line.indexOf(': ') + 2)
}

test('Spot BINANCE.0: wire scales 8/8, tick/step/min/max at those scales, MIN_NOTIONAL, status', () => {
  const info = parseExchangeInfo(body('BINANCE.0'), 'spot')
  assert.equal(info.symbols.size, 1695)
  assert.equal(info.requestWeightPerMinute, 1200)
  const nkn = info.symbols.get('NKNUSDT')!
  assert.deepEqual(nkn.spec, {
    venue: 'binance-spot',
    symbol: 'NKNUSDT',
    base: 'NKN',
    quote: 'USDT',
    priceScale: 8, // tick 0.0001, but books carry 0.25974 (an older, finer tick) padded to 8
    qtyScale: 8, // step 1, but Spot pads quantities to 8 decimals
    tickSize: 10_000,
    stepSize: 100_000_000,
    minQty: 100_000_000,
    maxQty: 900_000_000_000_000,
    minNotional: 1_000_000_000, // MIN_NOTIONAL 10 at notionalScale 8
    maxNotional: 0,
    notionalScale: 8,
    status: InstrumentStatus.Trading,
  })
  assert.equal(nkn.notionalFilter, 'MIN_NOTIONAL')
  assert.equal(nkn.minPrice, 10_000)
  assert.equal(nkn.maxPrice, 100_000_000_000)
  const lrc = info.symbols.get('LRCBTC')!.spec
  assert.equal(lrc.tickSize, 1)
  assert.equal(lrc.minNotional, 10_000) // 0.0001 BTC
  const btc = info.symbols.get('BTCUSDT')!.spec
  assert.deepEqual([btc.tickSize, btc.stepSize, btc.minQty], [1_000_000, 1000, 1000])
  // A symbol in BREAK maps to InstrumentStatus.Break and keeps the venue's word.
  const inBreak = [...info.symbols.values()].find((s) => s.venueStatus === 'BREAK')!
  assert.equal(inBreak.spec.status, InstrumentStatus.Break)
})

test('USD-M BINANCE_FUTURES.0: pricePrecision/quantityPrecision scales, MIN_NOTIONAL "notional", PENDING_TRADING', () => {
  const info = parseExchangeInfo(body('BINANCE_FUTURES.0'), 'usdm')
  assert.equal(info.symbols.size, 122)
  assert.equal(info.requestWeightPerMinute, 2400)
  const akro = info.symbols.get('AKROUSDT')!
  assert.equal(akro.spec.venue, 'binance-usdm')
  assert.deepEqual([akro.spec.priceScale, akro.spec.qtyScale], [5, 0])
  assert.deepEqual([akro.spec.tickSize, akro.spec.stepSize, akro.spec.minQty, akro.spec.maxQty], [1, 1, 1, 10_000_000])
  assert.equal(akro.spec.minNotional, 500_000_000) // notional "5" at scale 8
  assert.equal(akro.notionalFilter, 'MIN_NOTIONAL')
  assert.equal(akro.contractType, 'PERPETUAL')
  assert.equal(akro.marketMaxQty, 7_000_000)
  // SUSHIUSDT: tick "0.0010" (3 decimals) but pricePrecision 4: the wire wins.
  const sushi = info.symbols.get('SUSHIUSDT')!.spec
  assert.deepEqual([sushi.priceScale, sushi.qtyScale, sushi.tickSize], [4, 0, 10])
  const btc = info.symbols.get('BTCUSDT')!.spec
  assert.deepEqual([btc.priceScale, btc.qtyScale, btc.tickSize, btc.stepSize], [2, 3, 1, 1])
  const pending = [...info.symbols.values()].find((s) => s.venueStatus === 'PENDING_TRADING')!
  assert.equal(pending.spec.status, InstrumentStatus.Unknown)
})

test('modern Spot NOTIONAL filter (min and max), bounds beyond 2^53 mean "no bound", missing filters skipped', () => {
  const si = symbolInfoFromJson(
    {
      symbol: 'BTCUSDT',
      status: 'CANCEL_ONLY',
      baseAsset: 'BTC',
      quoteAsset: 'USDT',
      baseAssetPrecision: 8,
      quoteAssetPrecision: 8,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
        { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '92141578.00000000', stepSize: '0.00001000' },
        { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
      ],
    },
    'spot',
    'binance-spot',
  )!
  assert.equal(si.notionalFilter, 'NOTIONAL')
  assert.equal(si.spec.minNotional, 500_000_000)
  assert.equal(si.spec.maxNotional, 900_000_000_000_000)
  assert.equal(si.spec.maxQty, 0, '92141578 × 10^8 exceeds 2^53: no representable quantity can exceed it')
  assert.equal(si.spec.status, InstrumentStatus.CancelOnly)
  assert.equal(symbolInfoFromJson({ symbol: 'X', filters: [] }, 'spot', 'v'), null)
})

test('defineInstruments: ids in the registry with the spec, unknown symbols reported; bad bodies throw coded errors', () => {
  const registry = new InstrumentRegistry()
  const info = parseExchangeInfo(body('BINANCE_FUTURES.0'), 'usdm', 'binance-usdm', ['AKROUSDT', 'CTKUSDT', 'NOPEUSDT'])
  assert.equal(info.symbols.size, 2)
  const r = defineInstruments(registry, info, ['AKROUSDT', 'CTKUSDT', 'NOPEUSDT'])
  assert.deepEqual(r.missing, ['NOPEUSDT'])
  const id = r.ids.get('AKROUSDT')!
  assert.equal(registry.lookup('binance-usdm', 'AKROUSDT'), id)
  assert.equal(registry.qtyScales[id], 0)
  assert.equal(registry.priceScales[id], 5)
  assert.throws(() => parseExchangeInfo('not json', 'spot'), { code: 'CONFIG_INVALID' })
  assert.throws(() => parseExchangeInfo('{"symbols":3}', 'spot'), { code: 'CONFIG_INVALID' })
})
