import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, verify } from 'node:crypto'
import { ErrorCode, isTickflowError } from '../../../../../src/core/errors.js'
import { Signer, restPayload, restQuery, wsApiPayload } from '../../../../../src/venues/binance/orders/signing.js'
import { ServerTime } from '../../../../../src/venues/binance/orders/time-sync.js'
import { Outcome, classify } from '../../../../../src/venues/binance/orders/rest-client.js'

const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j'

test('HMAC-SHA256 REST test vector (protocol §4.2)', () => {
  const params = [
    ['symbol', 'LTCBTC'],
    ['side', 'BUY'],
    ['type', 'LIMIT'],
    ['timeInForce', 'GTC'],
    ['quantity', '1'],
    ['price', '0.1'],
    ['recvWindow', '5000'],
    ['timestamp', '1499827319559'],
  ] as const
  const payload = restPayload(params)
  assert.equal(payload, 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559')
  const s = Signer.hmac(SECRET)
  assert.equal(s.sign(payload), 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71')
  assert.equal(restQuery(params, s), `${payload}&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71`)
})

test('HMAC-SHA256 WS-API test vector: params sorted, not encoded, apiKey included (protocol §4.3)', () => {
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
  assert.equal(
    payload,
    'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT',
  )
  assert.equal(Signer.hmac(SECRET).sign(payload), 'aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24')
})

test('Ed25519: base64 signature that verifies; percent-encoded in REST, raw in WS-API', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const s = Signer.ed25519(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
  const payload = 'symbol=BTCUSDT&side=BUY&timestamp=1'
  let raw = ''
  let found = false
  // find a payload whose signature contains characters that need encoding
  for (let i = 0; i < 200 && !found; i++) {
    raw = s.sign(payload + i)
    found = /[+/=]/.test(raw)
    if (found) {
      assert.ok(verify(null, Buffer.from(payload + i), publicKey, Buffer.from(raw, 'base64')))
      const rest = s.signForRest(payload + i)
      assert.equal(rest, encodeURIComponent(raw))
      assert.doesNotMatch(rest, /[+/=]/)
    }
  }
  assert.ok(found)
  assert.match(raw, /^[A-Za-z0-9+/]{86}==$/)
})

test('a non-Ed25519 key or an empty secret is a coded configuration error', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  assert.throws(() => Signer.ed25519(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), (e) => isTickflowError(e, ErrorCode.CONFIG_INVALID))
  assert.throws(() => Signer.ed25519('not a key'), (e) => isTickflowError(e, ErrorCode.CONFIG_INVALID))
  assert.throws(() => Signer.hmac(''), (e) => isTickflowError(e, ErrorCode.CONFIG_INVALID))
})

test('REST payload percent-encodes values as sent (client ids with : and /)', () => {
  assert.equal(restPayload([['newClientOrderId', 'a:b/c.d_e-f']]), 'newClientOrderId=a%3Ab%2Fc.d_e-f')
})

test('server time: offset from the lowest-RTT sample, stamps never ahead of the server', () => {
  const t = new ServerTime()
  // local clock 2000 ms ahead of the server; rtt 10 ms, then a noisy 300 ms sample
  const local = Date.now()
  t.addSample(local, local + 10, local - 2000 + 5, true)
  t.addSample(local, local + 300, local - 2000 + 280)
  assert.ok(Math.abs(t.offset + 2000) <= 1, `offset ${t.offset}`)
  const serverNow = Date.now() - 2000
  const ts = t.timestamp()
  assert.ok(ts <= serverNow + 1, 'never ahead of the server')
  assert.ok(serverNow - ts < 50)
})

test('HTTP outcome classification: 5xx/-1007/409 unknown, 429/418 rate limited, 4xx rejected', () => {
  assert.equal(classify(200, 0), Outcome.Ok)
  assert.equal(classify(400, -2010), Outcome.Rejected)
  assert.equal(classify(400, -1013), Outcome.Rejected)
  assert.equal(classify(503, 0), Outcome.Unknown)
  assert.equal(classify(400, -1007), Outcome.Unknown)
  assert.equal(classify(409, 0), Outcome.Unknown)
  assert.equal(classify(429, -1003), Outcome.RateLimited)
  assert.equal(classify(418, -1003), Outcome.Banned)
})
