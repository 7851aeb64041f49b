/**
 * Learned layouts (codec/layouts.ts): a combined-stream frame whose bytes
 * apart from its values repeat a frame of the same stream decodes through
 * the stream's layout, with exactly the reference mapping's result; a frame
 * that differs anywhere outside its values takes the key-by-key path and is
 * decided as before. And the eight-digits-at-a-time integer reader accepts
 * and refuses exactly what the digit-by-digit one does.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProviderRaw, RawType } from '../../../../../src/model/provider-raw.js'
import { DecodeStatus } from '../../../../../src/venues/binance/codec/decoder.js'
import { intAt, intAtWide, VAL } from '../../../../../src/venues/binance/codec/values.js'
import { diffRaw, makeDecoder, referenceDecode } from './support.js'

const trade = (t: number, p = '61837.63000000', tail = ',"M":true'): string =>
  `{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":${t},"p":"${p}","q":"0.02000000","T":1723161255342,"m":true${tail}}}`

function decodeBoth(decoder: ReturnType<typeof makeDecoder>['decoder'], s: string): { st: number; out: ProviderRaw } {
  const buf = Buffer.from(s, 'latin1')
  const out = new ProviderRaw()
  const ref = new ProviderRaw()
  const st = decoder.decode(buf, 0, buf.length, out)
  const rst = referenceDecode(decoder, buf, ref)
  assert.equal(st, rst, `status on ${s}`)
  if (st === DecodeStatus.Ok) assert.equal(diffRaw(out, ref), '', `value on ${s}`)
  return { st, out }
}

test('layouts: the second frame of a stream decodes through the layout learned from the first, exactly as the reference', () => {
  const { decoder } = makeDecoder('spot', ['BTCUSDT', 'ETHBTC'])
  decodeBoth(decoder, trade(1))
  assert.equal(decoder.stats().layoutsLearned, 1)
  assert.equal(decoder.stats().layoutPath, 0)
  const { st, out } = decodeBoth(decoder, trade(2, '61837.64000000'))
  assert.equal(st, DecodeStatus.Ok)
  assert.equal(decoder.stats().layoutPath, 1)
  assert.equal(out.type, RawType.Trade)
  assert.equal(out.tradeId, 2)
  assert.equal(out.priceM, 6183764000000)
  // a value of another length (the literals after it simply move)
  decodeBoth(decoder, trade(1234567890123, '5.1'))
  assert.equal(decoder.stats().layoutPath, 2)
})

test('layouts: a frame of the same stream that differs outside its values takes the key-by-key path, decided as before', () => {
  const { decoder } = makeDecoder('spot', ['BTCUSDT', 'ETHBTC'])
  decodeBoth(decoder, trade(1))
  const variants = [
    // a new key, skipped by the key-by-key path
    trade(2, '1.0', ',"M":true,"x":"y"'),
    // no M
    trade(3, '1.0', ''),
    // keys reordered
    '{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","E":1723161255343,"t":4,"p":"1.0","q":"0.02000000","T":1723161255342,"m":true,"M":true}}',
    // another symbol in s than the stream names (refused by both)
    '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"ETHBTC","t":5,"p":"1.0","q":"0.02000000","T":1723161255342,"m":true,"M":true}}',
    // values a primitive refuses: exponent, sign, leading zero, escape, 16 digits, a string id
    trade(6, '1e5'),
    trade(7, '-1.0'),
    trade(8).replace('"t":8', '"t":08'),
    trade(9, '1\\u0030'),
    trade(9).replace('"t":9', '"t":1234567890123456'),
    trade(10).replace('"t":10', '"t":"10"'),
    // whitespace, truncation, trailing bytes
    trade(11).replace('"t":11', '"t": 11'),
    trade(12).slice(0, -1),
    trade(13) + ' ',
    // m false (a value), then not a bool
    trade(14).replace('"m":true', '"m":false'),
    trade(15).replace('"m":true', '"m":null'),
  ]
  for (const v of variants) decodeBoth(decoder, v)
  // the stream still decodes through its layout afterwards
  const before = decoder.stats().layoutPath
  decodeBoth(decoder, trade(16))
  assert.equal(decoder.stats().layoutPath, before + 1)
})

test('layouts: every kind a layout covers (Spot and USD-M), learned and then used, equals the reference', () => {
  const frames: Array<['spot' | 'usdm', string, string]> = [
    ['spot', 'btcusdt@aggTrade', '{"e":"aggTrade","E":1723161255343,"s":"BTCUSDT","a":26129,"p":"0.01633102","q":"4.70443515","f":27781,"l":27781,"T":1723161255342,"m":true,"M":true}'],
    ['spot', 'btcusdt@bookTicker', '{"u":400900217,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}'],
    ['spot', 'btcusdt@depth@100ms', '{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":157,"u":160,"b":[["0.0024","10"],["0.0023","0"]],"a":[]}'],
    ['spot', 'btcusdt@depth5@100ms', '{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}'],
    ['usdm', 'btcusdt@trade', '{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}'],
    ['usdm', 'btcusdt@depth@0ms', '{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"]],"a":[["61496.50","0.010"]]}'],
    ['usdm', 'btcusdt@bookTicker', '{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BTCUSDT","b":"25.35","B":"31.21","a":"25.36","A":"40.66"}'],
  ]
  for (const [market, stream, data] of frames) {
    const { decoder } = makeDecoder(market, ['BTCUSDT', 'ETHBTC'])
    const s = `{"stream":"${stream}","data":${data}}`
    decodeBoth(decoder, s)
    assert.equal(decoder.stats().layoutsLearned, 1, `${stream} learned`)
    // a second frame with every number changed (same lengths and longer ones)
    const s2 = s.replace(/(\d)(?=[",\]}])/g, (d) => String((Number(d) + 1) % 10))
    const { st } = decodeBoth(decoder, s2)
    assert.equal(st, DecodeStatus.Ok, s2)
    assert.equal(decoder.stats().layoutPath, 1, `${stream} decoded through its layout`)
  }
})

test('layouts: dropped when a symbol is added (a stream name could name another instrument)', () => {
  const { decoder } = makeDecoder('spot', ['BTCUSDT', 'ETHBTC'])
  decodeBoth(decoder, trade(1))
  decodeBoth(decoder, trade(2))
  assert.equal(decoder.stats().layoutPath, 1)
  decoder.addSymbol('SOLUSDT')
  decodeBoth(decoder, trade(3))
  assert.equal(decoder.stats().layoutPath, 1, 'the old layout is not used after the table changed')
  assert.equal(decoder.stats().layoutsLearned, 2)
  decodeBoth(decoder, trade(4))
  assert.equal(decoder.stats().layoutPath, 2)
})

test('intAtWide accepts and refuses exactly what intAt does, with the same value', () => {
  const cases: string[] = []
  const digits = '0123456789'
  for (let len = 0; len <= 18; len++) {
    for (let k = 0; k < 20; k++) {
      let s = ''
      for (let i = 0; i < len; i++) s += digits[(i * 7 + k * 3 + len) % 10]
      cases.push(s)
    }
    cases.push('0'.repeat(len), '9'.repeat(len), '1' + '0'.repeat(len))
  }
  const bytes = [0x2f, 0x3a, 0x3f, 0x40, 0x20, 0x2e, 0x65, 0x45, 0x2c, 0x7d, 0xb0, 0xff, 0x00, 0x36]
  const out: string[] = []
  for (const c of cases) {
    for (const tail of ['', ',', '}', '.5', 'e3', 'E3', ' ', '"']) out.push(c + tail)
    for (let i = 0; i < Math.min(c.length, 12); i++) for (const b of bytes) out.push(c.slice(0, i) + String.fromCharCode(b) + c.slice(i + 1) + ',')
  }
  out.push(String(2 ** 53 - 1), String(2 ** 53), '900719925474099', '999999999999999', '1000000000000000')
  for (const s of out) {
    // placed at an odd offset inside a larger buffer (the view's base is non-zero)
    const big = Buffer.from('xx' + s + 'yyyyyyyyyy', 'latin1')
    const b = big.subarray(1)
    const dv = new DataView(big.buffer, big.byteOffset)
    for (const end of [1 + s.length, b.length]) {
      const a = intAt(b, 1, end)
      const va = VAL[0]
      const w = intAtWide(dv, 1, b, 1, end)
      const vw = VAL[0]
      assert.equal(w, a, `position on ${JSON.stringify(s)} end ${end}`)
      if (a >= 0) assert.equal(vw, va, `value on ${JSON.stringify(s)}`)
    }
  }
})
