/** Simulator option validation: defaults, errors naming the key, unknown keys rejected. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resolveOptions } from '../../../src/sim/options.js'

test('defaults are Binance production values', () => {
  const o = resolveOptions({})
  assert.equal(o.host, '127.0.0.1')
  assert.equal(o.timing.pingIntervalMs, 20_000)
  assert.equal(o.timing.pongTimeoutMs, 60_000)
  assert.equal(o.timing.connectionLifetimeMs, 86_400_000)
  assert.equal(o.timing.listenKeyValidityMs, 3_600_000)
  assert.equal(o.limits.maxIncomingPerSecond, 5)
  assert.equal(o.limits.requestWeightPerMinute, 6000)
  assert.equal(o.limits.ordersPer10s, 50)
  assert.equal(o.limits.ordersPerDay, 160_000)
})

test('errors name the offending key', () => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ colour: 1 }, /colour: unknown key/],
    [{ port: 70000 }, /port: expected 0\.\.65535/],
    [{ timing: { pingIntervalMs: -1 } }, /timing\.pingIntervalMs: expected an integer >= 0/],
    [{ limits: { bogus: 1 } }, /limits\.bogus: unknown key/],
    [{ symbols: [{ symbol: 'btc', baseAsset: 'B', quoteAsset: 'Q', tickSize: '1', stepSize: '1', startPrice: '100' }] }, /symbols\[0\]\.symbol/],
    [{ symbols: [{ symbol: 'ABC', baseAsset: 'A', quoteAsset: 'C', tickSize: 'x', stepSize: '1', startPrice: '100' }] }, /symbols\[0\]\.tickSize: expected a decimal/],
    [{ accounts: [{ apiKey: 'k', secret: 's', ed25519PublicKey: 'p' }] }, /accounts\[0\]: exactly one of/],
    [{ accounts: [{ apiKey: 'k', secret: 's', balances: { usdt: '1' } }] }, /accounts\[0\]\.balances\.usdt/],
    [{ accounts: [{ apiKey: 'k', secret: 's' }, { apiKey: 'k', secret: 't' }] }, /accounts\[1\]\.apiKey: duplicate/],
    [{ replay: { files: [] } }, /replay\.files/],
    [{ fees: { maker: '-1' } }, /fees\.maker/],
  ]
  for (const [input, re] of bad) assert.throws(() => resolveOptions(input), (e: Error & { code?: string }) => re.test(e.message) && e.code === 'CONFIG_INVALID', JSON.stringify(input))
})
