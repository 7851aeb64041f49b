/** Signing payloads and verification against the protocol's test vectors (§4.2, §4.3). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { checkTiming, ed25519Key, hmacHex, hmacKey, ReplayGuard, restPayload, stripSignature, verifySignature, wsApiPayload } from '../../../src/sim/auth.js'
import { BinanceError } from '../../../src/sim/wire.js'

const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j'

test('REST HMAC test vector (protocol §4.2)', () => {
  const payload = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'
  const sig = 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71'
  assert.equal(hmacHex(SECRET, payload), sig)
  assert.equal(restPayload(`${payload}&signature=${sig}`, ''), payload)
  // query + body concatenated without a separator
  assert.equal(
    restPayload('symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC', `quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=${sig}`),
    'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559',
  )
  assert.ok(verifySignature(hmacKey(SECRET), payload, sig))
  assert.ok(verifySignature(hmacKey(SECRET), payload, sig.toUpperCase()), 'HMAC is not case-sensitive')
  assert.ok(!verifySignature(hmacKey(SECRET), payload + '1', sig))
  assert.ok(!verifySignature(hmacKey(SECRET), payload, 'zz'))
})

test('WS-API HMAC test vector: params sorted, not encoded, apiKey included (protocol §4.3)', () => {
  const params = {
    symbol: 'BTCUSDT',
    side: 'SELL',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: '0.01000000',
    price: '52000.00',
    recvWindow: 100,
    timestamp: 1645423376532,
    apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A',
    signature: 'ignored',
  }
  const payload = wsApiPayload(params)
  assert.equal(payload, 'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT')
  assert.equal(hmacHex(SECRET, payload), 'aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24')
})

test('Ed25519 signatures verify over the exact payload', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const key = ed25519Key(publicKey.export({ type: 'spki', format: 'pem' }).toString())
  const payload = 'symbol=BTCUSDT&timestamp=1'
  const sig = sign(null, Buffer.from(payload), privateKey).toString('base64')
  assert.ok(verifySignature(key, payload, sig))
  assert.ok(!verifySignature(key, payload + 'x', sig))
  assert.ok(!verifySignature(key, payload, sig.toLowerCase()), 'base64 is case-sensitive')
  assert.throws(() => ed25519Key(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()))
})

test('stripSignature keeps the rest as sent', () => {
  assert.deepEqual(stripSignature('a=1&signature=x%2B&b=2'), { rest: 'a=1&b=2', signature: 'x%2B' })
  assert.deepEqual(stripSignature(''), { rest: '', signature: null })
})

test('timing: 1000 ms ahead, recvWindow, µs timestamps', () => {
  const now = 1_700_000_000_000
  const code = (f: () => void): string => {
    try {
      f()
      return 'ok'
    } catch (e) {
      return e instanceof BinanceError ? `${e.code} ${e.message}` : String(e)
    }
  }
  assert.equal(code(() => checkTiming(String(now), null, now, 1000)), 'ok')
  assert.equal(code(() => checkTiming(String(now + 999), null, now, 1000)), 'ok')
  assert.match(code(() => checkTiming(String(now + 1000), null, now, 1000)), /^-1021 .*1000ms ahead/)
  assert.equal(code(() => checkTiming(String(now - 5000), null, now, 1000)), 'ok')
  assert.match(code(() => checkTiming(String(now - 5001), null, now, 1000)), /^-1021 .*outside of the recvWindow/)
  assert.equal(code(() => checkTiming(String(now - 5001), '5001.5', now, 1000)), 'ok')
  assert.match(code(() => checkTiming(String(now), '60001', now, 1000)), /^-1131/)
  assert.equal(code(() => checkTiming(String(now * 1000 - 4_000_000), null, now, 1000)), 'ok', 'microseconds')
  assert.match(code(() => checkTiming(null, null, now, 1000)), /^-1102/)
  assert.match(code(() => checkTiming('12a', null, now, 1000)), /^-1100/)
})

test('replay guard rejects a repeated key within its window', () => {
  const g = new ReplayGuard()
  assert.ok(g.check('GET /x abc', 0))
  assert.ok(!g.check('GET /x abc', 1000))
  assert.ok(g.check('GET /y abc', 1000))
  assert.ok(g.check('GET /x abc', 200_000), 'forgotten after two windows')
  assert.equal(g.rejected, 1)
})
