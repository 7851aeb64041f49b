/**
 * Table-driven tests of the Binance decoder, per message type, Spot and USD-M,
 * raw and combined envelopes, and the edge cases of the wire: shuffled keys,
 * whitespace, escapes, missing fields, nulls, empty level arrays, zero
 * quantities, numbers beyond the instrument's scale. Every Ok case is also
 * checked against the JSON.parse reference mapping field by field, and says
 * whether the fast path must take it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProviderRaw, RawType } from '../../../../../src/model/provider-raw.js'
import { BinanceDecoder, DecodeStatus, type BinanceMarket } from '../../../../../src/venues/binance/codec/decoder.js'
import { InstrumentRegistry } from '../../../../../src/model/instrument.js'
import { isTickflowError, ErrorCode } from '../../../../../src/core/errors.js'
import { diffRaw, makeDecoder, referenceDecode, referenceSnapshot } from './support.js'

interface Case {
  name: string
  market: BinanceMarket
  frame: string | Buffer
  sid?: 'BTCUSDT' | 'ETHBTC'
  /** the instrument expected (default BTCUSDT, or sid) */
  inst?: 'BTCUSDT' | 'ETHBTC'
  status: number
  /** fast path expected (Ok cases); default false = must go through the fallback */
  fast?: boolean
  fields?: Partial<Record<keyof ProviderRaw, number | boolean | string>>
  bids?: Array<[number, number]>
  asks?: Array<[number, number]>
  options?: { timeUnitUs?: number; maxFrameBytes?: number }
}

const SPOT_TRADE = '{"e":"trade","E":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30000000","q":"0.00600000","T":1723161256321,"m":true,"M":true}'
const USDM_TRADE = '{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}'
const TRADE_FIELDS = { type: RawType.Trade, eventTime: 1723161256322, tradeId: 5266583935, priceM: 6180030, qtyM: 600000 }
const env = (stream: string, data: string): string => `{"stream":"${stream}","data":${data}}`

const CASES: Case[] = [
  // trade
  { name: 'spot trade, raw', market: 'spot', frame: SPOT_TRADE, status: DecodeStatus.Ok, fast: true, fields: { ...TRADE_FIELDS, tradeTime: 1723161256321, buyerIsMaker: true, timeUnitUs: 1000 } },
  { name: 'spot trade, combined', market: 'spot', frame: env('btcusdt@trade', SPOT_TRADE), status: DecodeStatus.Ok, fast: true, fields: TRADE_FIELDS },
  { name: 'usdm trade (X, no M), combined', market: 'usdm', frame: env('btcusdt@trade', USDM_TRADE), status: DecodeStatus.Ok, fast: true, fields: { ...TRADE_FIELDS, qtyM: 6, buyerIsMaker: false } },
  {
    name: 'trade with keys shuffled (e not first): fallback, same value',
    market: 'spot',
    frame: '{"p":"61800.30","M":true,"m":true,"T":1723161256321,"q":"0.006","t":5266583935,"s":"BTCUSDT","E":1723161256322,"e":"trade"}',
    status: DecodeStatus.Ok,
    fields: TRADE_FIELDS,
  },
  {
    name: 'trade with keys shuffled after e: fast',
    market: 'spot',
    frame: '{"e":"trade","m":true,"s":"BTCUSDT","q":"0.006","T":1723161256321,"p":"61800.30","t":5266583935,"E":1723161256322}',
    status: DecodeStatus.Ok,
    fast: true,
    fields: TRADE_FIELDS,
  },
  { name: 'trade pretty-printed (whitespace): fallback', market: 'spot', frame: JSON.stringify(JSON.parse(SPOT_TRADE), null, 2), status: DecodeStatus.Ok, fields: TRADE_FIELDS },
  { name: 'trade with an escaped symbol: fallback', market: 'spot', frame: SPOT_TRADE.replace('"BTCUSDT"', '"BTC\\u0055SDT"'), status: DecodeStatus.Ok, fields: TRADE_FIELDS },
  { name: 'trade with unknown keys (null, nested-free) skipped on the fast path', market: 'spot', frame: SPOT_TRADE.replace('"M":true', '"M":true,"N":null,"zz":-1.5e3,"x":"y"'), status: DecodeStatus.Ok, fast: true, fields: TRADE_FIELDS },
  { name: 'trade with an unknown nested key: fallback, same value', market: 'spot', frame: SPOT_TRADE.replace('"M":true', '"M":{"a":[1,2]}'), status: DecodeStatus.Ok, fields: TRADE_FIELDS },
  { name: 'trade with a duplicated key: JSON semantics (last wins)', market: 'spot', frame: SPOT_TRADE.replace('"t":5266583935', '"t":1,"t":5266583935'), status: DecodeStatus.Ok, fields: TRADE_FIELDS },
  { name: 'trade E as an exponent number: JSON value', market: 'spot', frame: SPOT_TRADE.replace('1723161256322', '1.723161256322e12'), status: DecodeStatus.Ok, fields: TRADE_FIELDS },
  { name: 'trade price beyond the instrument scale -> BadNumber', market: 'spot', frame: SPOT_TRADE.replace('61800.30000000', '61800.305'), status: DecodeStatus.BadNumber },
  { name: 'trade price negative -> BadNumber', market: 'spot', frame: SPOT_TRADE.replace('"61800.30000000"', '"-61800.3"'), status: DecodeStatus.BadNumber },
  { name: 'trade price with an exponent -> BadNumber', market: 'spot', frame: SPOT_TRADE.replace('"61800.30000000"', '"6.18e4"'), status: DecodeStatus.BadNumber },
  { name: 'trade price as a JSON number -> Malformed', market: 'spot', frame: SPOT_TRADE.replace('"61800.30000000"', '61800.3'), status: DecodeStatus.Malformed },
  { name: 'trade price past the safe range -> BadNumber', market: 'spot', frame: SPOT_TRADE.replace('61800.30000000', '900000000000000000'), status: DecodeStatus.BadNumber },
  { name: 'trade id past 2^53 -> BadNumber', market: 'spot', frame: SPOT_TRADE.replace('5266583935', '90071992547409930'), status: DecodeStatus.BadNumber },
  { name: 'trade id fractional -> BadNumber', market: 'spot', frame: SPOT_TRADE.replace('5266583935', '5266583935.5'), status: DecodeStatus.BadNumber },
  { name: 'trade without q -> Malformed', market: 'spot', frame: SPOT_TRADE.replace(',"q":"0.00600000"', ''), status: DecodeStatus.Malformed },
  { name: 'trade m as a string -> Malformed', market: 'spot', frame: SPOT_TRADE.replace('"m":true', '"m":"true"'), status: DecodeStatus.Malformed },
  { name: 'trade of an unregistered symbol -> UnknownSymbol', market: 'spot', frame: SPOT_TRADE.replace('BTCUSDT', 'DOGEUSDT'), status: DecodeStatus.UnknownSymbol },
  { name: 'stream name and s disagree -> Malformed', market: 'spot', frame: env('ethbtc@trade', SPOT_TRADE), status: DecodeStatus.Malformed },
  { name: 'stream name unknown, s known: s wins', market: 'spot', frame: env('dogeusdt@trade', SPOT_TRADE), status: DecodeStatus.Ok, fast: true, fields: TRADE_FIELDS },
  { name: 'timeUnit=MICROSECOND: timeUnitUs copied', market: 'spot', frame: SPOT_TRADE, status: DecodeStatus.Ok, fast: true, fields: { timeUnitUs: 1 }, options: { timeUnitUs: 1 } },
  { name: 'oversize frame -> Oversize', market: 'spot', frame: SPOT_TRADE, status: DecodeStatus.Oversize, options: { maxFrameBytes: 64 } },
  { name: 'invalid UTF-8 -> InvalidUtf8', market: 'spot', frame: Buffer.concat([Buffer.from(SPOT_TRADE.slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')]), status: DecodeStatus.InvalidUtf8 },
  { name: 'trailing garbage -> Malformed', market: 'spot', frame: SPOT_TRADE + 'x', status: DecodeStatus.Malformed },
  { name: 'truncated -> Malformed', market: 'spot', frame: SPOT_TRADE.slice(0, 50), status: DecodeStatus.Malformed },
  { name: 'a JSON array -> Malformed', market: 'spot', frame: '[1,2]', status: DecodeStatus.Malformed },
  { name: 'unknown event type -> Unsupported', market: 'spot', frame: '{"e":"24hrMiniTicker","E":1,"s":"BTCUSDT","c":"1"}', status: DecodeStatus.Unsupported },
  { name: 'an object of no known shape -> Unsupported', market: 'spot', frame: '{"x":1}', status: DecodeStatus.Unsupported },

  // aggTrade
  {
    name: 'spot aggTrade',
    market: 'spot',
    inst: 'ETHBTC',
    frame: '{"e":"aggTrade","E":1633998523963,"s":"ETHBTC","a":15683430,"p":"0.35280000","q":"58.00000000","f":19862790,"l":19862791,"T":1633998523962,"m":false,"M":true}',
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.AggTrade, tradeId: 15683430, firstTradeId: 19862790, lastTradeId: 19862791, priceM: 35280000, qtyM: 5800000000, tradeTime: 1633998523962 },
  },
  {
    name: 'usdm aggTrade, combined',
    market: 'usdm',
    frame: env('btcusdt@aggTrade', '{"e":"aggTrade","E":1626992741575,"a":16599292,"s":"BTCUSDT","p":"1.01","q":"10","f":23961322,"l":23961322,"T":1626992741421,"m":false}'),
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.AggTrade, tradeId: 16599292, priceM: 101, qtyM: 10000 },
  },

  // bookTicker
  {
    name: 'spot bookTicker (no e/E), raw',
    market: 'spot',
    frame: '{"u":400900217,"s":"BTCUSDT","b":"25.35000000","B":"31.21000000","a":"25.36000000","A":"40.66000000"}',
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.BookTicker, updateId: 400900217, bidPxM: 2535, bidQtyM: 3121000000, askPxM: 2536, askQtyM: 4066000000, eventTime: 0 },
  },
  {
    name: 'spot bookTicker, combined, keys shuffled after u',
    market: 'spot',
    frame: env('btcusdt@bookTicker', '{"u":400900217,"A":"40.66000000","a":"25.36000000","B":"31.21000000","b":"25.35000000","s":"BTCUSDT"}'),
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.BookTicker, bidPxM: 2535, askQtyM: 4066000000 },
  },
  { name: 'spot bookTicker with zero quantities', market: 'spot', frame: '{"u":1,"s":"BTCUSDT","b":"0.00000000","B":"0.00000000","a":"0","A":"0.0"}', status: DecodeStatus.Ok, fast: true, fields: { bidPxM: 0, askQtyM: 0 } },
  {
    name: 'usdm bookTicker with e, E, T',
    market: 'usdm',
    frame: '{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256314}',
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.BookTicker, updateId: 5123107839020, bidPxM: 6180020, bidQtyM: 2507, askPxM: 6180030, askQtyM: 2510, tradeTime: 1723161256313, eventTime: 1723161256314 },
  },
  { name: 'usdm bookTicker without T -> Malformed', market: 'usdm', frame: '{"e":"bookTicker","u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","E":1}', status: DecodeStatus.Malformed },

  // depth
  {
    name: 'spot depthUpdate, empty asks, zero quantities',
    market: 'spot',
    frame: env('btcusdt@depth@100ms', '{"e":"depthUpdate","E":1633998512068,"s":"BTCUSDT","U":499869750,"u":499869752,"b":[["0.35000000","6195.00000000"],["0.34000000","0.00000000"]],"a":[]}'),
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.DepthUpdate, firstUpdateId: 499869750, updateId: 499869752, prevUpdateId: 0, bidCount: 2, askCount: 0, eventTime: 1633998512068 },
    bids: [[35, 619500000000], [34, 0]],
    asks: [],
  },
  {
    name: 'usdm depthUpdate with pu, "0.000" and "0"',
    market: 'usdm',
    frame: '{"e":"depthUpdate","E":1626992741037,"T":1626992741024,"s":"BTCUSDT","U":600859599090,"u":600859600917,"pu":600859598061,"b":[["7.50","813"],["7.60","0"]],"a":[["7.61","0.000"]]}',
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.DepthUpdate, prevUpdateId: 600859598061, tradeTime: 1626992741024 },
    bids: [[750, 813000], [760, 0]],
    asks: [[761, 0]],
  },
  { name: 'usdm depthUpdate without pu -> Malformed', market: 'usdm', frame: '{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}', status: DecodeStatus.Malformed },
  { name: 'depth level with three elements -> Malformed', market: 'spot', frame: '{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2","3"]],"a":[]}', status: DecodeStatus.Malformed },
  { name: 'depth level price beyond scale -> BadNumber', market: 'spot', frame: '{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.001","2"]],"a":[]}', status: DecodeStatus.BadNumber },
  {
    name: 'spot partial depth, combined: instrument from the stream name',
    market: 'spot',
    frame: env('btcusdt@depth5@100ms', '{"lastUpdateId":160,"bids":[["0.24","10"]],"asks":[["0.26","100"],["0.27","0.5"]]}'),
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.PartialDepth, updateId: 160, bidCount: 1, askCount: 2 },
    bids: [[24, 1000000000]],
    asks: [[26, 10000000000], [27, 50000000]],
  },
  { name: 'spot partial depth, raw with the stream instrument', market: 'spot', frame: '{"lastUpdateId":160,"bids":[],"asks":[]}', sid: 'ETHBTC', status: DecodeStatus.Ok, fast: true, fields: { type: RawType.PartialDepth, updateId: 160 } },
  { name: 'spot partial depth, raw without a stream instrument -> UnknownSymbol', market: 'spot', frame: '{"lastUpdateId":160,"bids":[],"asks":[]}', status: DecodeStatus.UnknownSymbol },
  {
    name: 'usdm partial depth: depthUpdate-shaped on a depth<N> stream',
    market: 'usdm',
    frame: env('btcusdt@depth5@100ms', '{"e":"depthUpdate","E":1,"T":2,"s":"BTCUSDT","U":3,"u":4,"pu":2,"b":[["1.00","1"]],"a":[]}'),
    status: DecodeStatus.Ok,
    fast: true,
    fields: { type: RawType.PartialDepth, updateId: 4, firstUpdateId: 3, prevUpdateId: 2, bidCount: 1 },
  },

  // kline
  {
    name: 'spot kline',
    market: 'spot',
    frame: env(
      'btcusdt@kline_1m',
      '{"e":"kline","E":1633998523963,"s":"BTCUSDT","k":{"t":1633998480000,"T":1633998539999,"s":"BTCUSDT","i":"1m","f":19862761,"L":19862790,"o":"0.35000000","c":"0.35000000","h":"0.36000000","l":"0.34000000","v":"25877.00000000","n":30,"x":false,"q":"9116.04600000","V":"58.00000000","Q":"20.46240000","B":"0"}}',
    ),
    status: DecodeStatus.Ok,
    fast: true,
    fields: {
      type: RawType.Kline,
      klineStart: 1633998480000,
      klineClose: 1633998539999,
      klineIntervalSec: 60,
      firstTradeId: 19862761,
      lastTradeId: 19862790,
      openM: 35,
      closeM: 35,
      highM: 36,
      lowM: 34,
      volumeM: 2587700000000,
      quoteVolumeM: 911604600000,
      klineTrades: 30,
      klineClosed: false,
    },
  },
  {
    name: 'usdm kline, closed, 1h',
    market: 'usdm',
    frame: '{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"T":3599999,"s":"BTCUSDT","i":"1h","f":1,"L":2,"o":"1.01","c":"1.02","h":"1.03","l":"1.00","v":"3917","n":48,"x":true,"q":"3957.899","V":"1729","Q":"1748.019","B":"0"}}',
    status: DecodeStatus.Ok,
    fast: true,
    fields: { klineIntervalSec: 3600, klineClosed: true, openM: 101, highM: 103, volumeM: 3917000, quoteVolumeM: 395789900000 },
  },
  { name: 'kline with an unknown interval -> Malformed', market: 'usdm', frame: '{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"T":1,"i":"7m","f":1,"L":2,"o":"1","c":"1","h":"1","l":"1","v":"1","n":1,"x":true,"q":"1"}}', status: DecodeStatus.Malformed },
  { name: 'kline whose k.s disagrees with s -> Malformed', market: 'usdm', frame: '{"e":"kline","E":1,"s":"BTCUSDT","k":{"s":"ETHBTC","t":0,"T":1,"i":"1m","f":1,"L":2,"o":"1","c":"1","h":"1","l":"1","v":"1","n":1,"x":true,"q":"1"}}', status: DecodeStatus.Malformed },

  // control messages
  { name: 'SUBSCRIBE reply', market: 'spot', frame: '{"result":null,"id":312}', status: DecodeStatus.Ok, fields: { type: RawType.Reply, replyId: 312, errorCode: 0 } },
  { name: 'error reply', market: 'spot', frame: '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1}', status: DecodeStatus.Ok, fields: { type: RawType.Error, replyId: 1, errorCode: 2, errorMsg: 'Invalid request: invalid stream' } },
  { name: 'error reply with a null id', market: 'spot', frame: '{"error":{"code":3,"msg":"Invalid JSON"},"id":null}', status: DecodeStatus.Ok, fields: { type: RawType.Error, replyId: 0, errorCode: 3 } },
  { name: 'serverShutdown, raw', market: 'spot', frame: '{"e":"serverShutdown","E":1770123456789}', status: DecodeStatus.Ok, fast: true, fields: { type: RawType.ServerShutdown, eventTime: 1770123456789, instrumentId: 0 } },
  { name: 'serverShutdown, combined', market: 'usdm', frame: env('!serverShutdown', '{"e":"serverShutdown","E":1770123456789}'), status: DecodeStatus.Ok, fast: true, fields: { type: RawType.ServerShutdown } },
]

const SYMBOLS = [
  { symbol: 'BTCUSDT', priceScale: 2, qtyScale: 8 },
  { symbol: 'ETHBTC', priceScale: 8, qtyScale: 8 },
]
const USDM_SYMBOLS = [
  { symbol: 'BTCUSDT', priceScale: 2, qtyScale: 3 },
  { symbol: 'ETHBTC', priceScale: 8, qtyScale: 3 },
]

for (const c of CASES) {
  test(`decode: ${c.name}`, () => {
    const { decoder, ids } = makeDecoder(c.market, c.market === 'spot' ? SYMBOLS : USDM_SYMBOLS, c.options)
    const buf = typeof c.frame === 'string' ? Buffer.from(c.frame) : c.frame
    const sid = c.sid === undefined ? 0 : ids.get(c.sid)!
    const out = new ProviderRaw()
    out.recvTsUs = 42
    const st = decoder.decode(buf, 0, buf.length, out, sid)
    assert.equal(st, c.status, `status (lastError ${decoder.lastError})`)
    const stats = decoder.stats()
    if (st !== DecodeStatus.Ok) {
      assert.equal(stats.errors, 1)
      assert.equal(stats.errorsByStatus[st], 1)
      assert.notEqual(decoder.lastError, '')
      return
    }
    assert.equal(decoder.lastError, '')
    assert.equal(stats.fastPath, c.fast === true ? 1 : 0, 'fast path taken or not as expected')
    assert.equal(out.recvTsUs, 42, 'recvTsUs is the caller’s')
    assert.equal(out.venueId, decoder.venueId)
    if (out.type !== RawType.Reply && out.type !== RawType.Error && out.type !== RawType.ServerShutdown) {
      assert.equal(out.instrumentId, ids.get(c.inst ?? c.sid ?? 'BTCUSDT'))
    }
    for (const [k, v] of Object.entries(c.fields ?? {})) assert.equal((out as unknown as Record<string, unknown>)[k], v, k)
    if (c.bids !== undefined) assert.deepEqual(levels(out.bidPxs, out.bidQtys, out.bidCount), c.bids)
    if (c.asks !== undefined) assert.deepEqual(levels(out.askPxs, out.askQtys, out.askCount), c.asks)
    const ref = new ProviderRaw()
    ref.recvTsUs = 42
    assert.equal(referenceDecode(decoder, buf, ref, sid), DecodeStatus.Ok)
    ref.recvTsUs = 42
    assert.equal(diffRaw(out, ref), '', 'identical to the reference mapping')
  })
}

function levels(px: Float64Array, qty: Float64Array, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let i = 0; i < n; i++) out.push([px[i]!, qty[i]!])
  return out
}

test('decode: LIST_SUBSCRIPTIONS result is kept in lastReplyResult', () => {
  const { decoder } = makeDecoder('spot', ['BTCUSDT'])
  const out = new ProviderRaw()
  const buf = Buffer.from('{"result":["btcusdt@aggTrade"],"id":3}')
  assert.equal(decoder.decode(buf, 0, buf.length, out), DecodeStatus.Ok)
  assert.equal(out.type, RawType.Reply)
  assert.equal(out.replyId, 3)
  assert.deepEqual(decoder.lastReplyResult, ['btcusdt@aggTrade'])
})

test('decode: a frame inside a larger buffer is read only within [start, end)', () => {
  const { decoder } = makeDecoder('spot', ['BTCUSDT'])
  const out = new ProviderRaw()
  const frame = '{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"}'
  const buf = Buffer.from('xx' + frame + '{"u":2}')
  assert.equal(decoder.decode(buf, 2, 2 + frame.length, out), DecodeStatus.Ok)
  assert.equal(out.updateId, 1)
  // truncated by one byte: must not read the byte past `end`
  out.reset()
  assert.equal(decoder.decode(buf, 2, 2 + frame.length - 1, out), DecodeStatus.Malformed)
})

test('decode: the fast path leaves no state behind after a fallback (levels of a failed attempt are gone)', () => {
  const { decoder } = makeDecoder('spot', [{ symbol: 'BTCUSDT', priceScale: 2, qtyScale: 8 }])
  const out = new ProviderRaw()
  // the fast path pushes two bids, then meets whitespace and falls back
  const buf = Buffer.from('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2"],["3","4"]],"a":[] }')
  assert.equal(decoder.decode(buf, 0, buf.length, out), DecodeStatus.Ok)
  assert.equal(out.bidCount, 2)
  assert.equal(decoder.stats().fallbackPath, 1)
})

test('decodeSnapshot: Spot and USD-M REST bodies', () => {
  for (const market of ['spot', 'usdm'] as const) {
    const { decoder, ids } = makeDecoder(market, [{ symbol: 'BTCUSDT', priceScale: 2, qtyScale: 3 }])
    const id = ids.get('BTCUSDT')!
    const body =
      market === 'spot'
        ? '{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.01000000","12.00000000"],["4.02000000","0.00100000"]]}'
        : '{"lastUpdateId":600859605926,"E":1626992741264,"T":1626992741261,"bids":[["4.00","431"]],"asks":[["4.01","12"],["4.02","0.001"]]}'
    const buf = Buffer.from(body)
    const out = new ProviderRaw()
    assert.equal(decoder.decodeSnapshot(buf, 0, buf.length, id, out), DecodeStatus.Ok)
    assert.equal(decoder.stats().fastPath, 1)
    assert.equal(out.type, RawType.DepthSnapshot)
    assert.equal(out.instrumentId, id)
    assert.deepEqual(levels(out.bidPxs, out.bidQtys, out.bidCount), [[400, 431000]])
    assert.deepEqual(levels(out.askPxs, out.askQtys, out.askCount), [[401, 12000], [402, 1]])
    assert.equal(out.eventTime, market === 'spot' ? 0 : 1626992741264)
    const ref = new ProviderRaw()
    assert.equal(referenceSnapshot(decoder, buf, id, ref), DecodeStatus.Ok)
    assert.equal(diffRaw(out, ref), '')
    // an unregistered instrument id
    assert.equal(decoder.decodeSnapshot(buf, 0, buf.length, 999, new ProviderRaw()), DecodeStatus.UnknownSymbol)
  }
})

test('addSymbol returns the registry id and accepts both symbol cases in stream names', () => {
  const registry = new InstrumentRegistry()
  const decoder = new BinanceDecoder({ market: 'spot', venueId: registry.venueId('binance-spot'), registry, venueName: 'binance-spot' })
  const id = decoder.addSymbol('BTCUSDT')
  assert.equal(id, registry.lookup('binance-spot', 'BTCUSDT'))
  assert.equal(decoder.addSymbol('BTCUSDT'), id)
  assert.notEqual(decoder.addSymbol('ETHBTC'), id)
})

test('constructor rejects bad options with CONFIG_INVALID', () => {
  const registry = new InstrumentRegistry()
  const base = { market: 'spot' as const, venueId: 1, registry, venueName: 'binance-spot' }
  for (const bad of [{ timeUnitUs: 10 }, { maxFrameBytes: 0 }, { market: 'coinm' as unknown as BinanceMarket }]) {
    assert.throws(
      () => new BinanceDecoder({ ...base, ...bad }),
      (e: unknown) => isTickflowError(e, ErrorCode.CONFIG_INVALID),
    )
  }
})
