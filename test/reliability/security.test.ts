/**
 * Reliability: security.
 *
 * - Secrets never appear in logs or errors: `tickflow run` (real processes)
 *   with credentials from environment variables set to recognisable values,
 *   at log level debug, trading against the simulator — once working (Ed25519
 *   key from a file), once failing (a wrong HMAC secret: the venue refuses
 *   the signature and the engine cannot start) — every byte of stdout and
 *   stderr is scanned for the API keys, the secret and the private key.
 * - The metrics endpoint binds 127.0.0.1 by default (the listening socket is
 *   read from /proc/net/tcp), and another address only when configured.
 * - The simulator checks every signature: each SIGNED REST endpoint and
 *   WS-API method refuses a bad signature (-1022), an expired or future
 *   timestamp (-1021) and a replayed request (-1021).
 * - A config file, or a private key file, that others can read triggers a
 *   warning from `tickflow run`; with mode 600 there is none.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startSimulator, type Simulator } from '../../src/sim/index.js'
import { parseEngineConfig } from '../../src/runtime/config.js'
import { Metrics } from '../../src/runtime/metrics.js'
import { eventually } from '../helpers/eventually.js'
import { Client, http, qs, restSignature, signed, wsApiSign, type Creds } from '../integration/sim/client.js'
import { Results } from './results.js'
import { ORDER_FLOW, assertAlive, metricsUrl, spawnRun, writeConfig } from './support.js'

const results = new Results('security', 'Security', 7)
const HMAC: Creds = { apiKey: 'SECxHMACxKEYx5a0c7e3b9d1f', secret: 'SECxHMACxSECRETx8e2d4b6f0a1c3e5d7b9f' }
const ED_KEY = 'SECxEDxKEYx2f4e6a8c0b1d'
let sim: Simulator
let dir: string
let edPem = ''
let edPemBody = ''

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tickflow-rel-security-'))
  const ed = generateKeyPairSync('ed25519')
  edPem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  edPemBody = edPem.split('\n')[1]!
  sim = await startSimulator({
    port: 0,
    seed: 5,
    accounts: [
      { apiKey: HMAC.apiKey, secret: HMAC.secret!, balances: { USDT: '1000000', BTC: '10' } },
      { apiKey: ED_KEY, ed25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), balances: { USDT: '1000000', BTC: '10' } },
    ],
    limits: { ordersPer10s: 100_000, requestWeightPerMinute: 1_000_000 },
  })
})

after(async () => {
  results.write()
  await sim?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

function venue(credentials: Record<string, string>): Record<string, unknown> {
  return { name: 'sim', type: 'binance-spot', symbols: ['BTCUSDT'], restUrl: sim.urls.rest, wsUrl: sim.urls.ws, wsApiUrl: sim.urls.wsApi, credentials }
}

/** Every occurrence of any secret in `text`. */
function leaks(text: string, secrets: string[]): string[] {
  return secrets.filter((s) => text.includes(s))
}

/** The listening address of a local TCP port, from /proc/net/tcp (hex "0100007F" = 127.0.0.1). */
function listeningAddress(port: number): string | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 4 || f[3] !== '0A') continue
    const [addr, p] = f[1]!.split(':')
    if (p !== hexPort) continue
    const b = Buffer.from(addr!, 'hex')
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}`
  }
  return null
}

test('tickflow run (Ed25519 key file, debug logs, trading): no key in any output; metrics on 127.0.0.1; readable config and key files warned about', { timeout: 60_000 }, async () => {
  const keyFile = path.join(dir, 'ed25519.pem')
  writeFileSync(keyFile, edPem)
  chmodSync(keyFile, 0o644)
  const journal = path.join(dir, 'a.sqlite')
  const config = writeConfig(
    dir,
    'readable.yaml',
    {
      venues: [venue({ apiKeyEnv: 'TF_SEC_ED_KEY', privateKeyFile: keyFile })],
      strategies: [{ name: 'flow', path: ORDER_FLOW, params: { venue: 'sim', symbol: 'BTCUSDT', everyMs: 50 } }],
      risk: { ordersPerSecond: 100, maxOrderNotional: '1000000', maxPosition: { BTCUSDT: '10' } },
      journal: { path: journal },
      metrics: { port: 0 },
      logging: { level: 'debug', format: 'json' },
    },
    0o644,
  )
  const run = spawnRun(['--config', config], { TF_SEC_ED_KEY: ED_KEY }, dir)
  try {
    const url = await metricsUrl(run)
    await eventually(() => {
      assertAlive(run)
      assert.ok((sim.stats().exchange as { fills: number }).fills >= 10)
    }, 20_000)
    const port = Number(new URL(url).port)
    assert.equal(new URL(url).hostname, '127.0.0.1')
    assert.equal(listeningAddress(port), '127.0.0.1', 'the metrics socket listens on loopback only')
    run.child.kill('SIGTERM')
    const ex = await run.exited
    assert.equal(ex.code, 0, run.err().slice(-1000))
    const all = run.out() + run.err()
    assert.deepEqual(leaks(all, [ED_KEY, edPemBody, edPem.trim()]), [], 'no credential in the output')
    const warnings = all.split('\n').filter((l) => l.includes('readable by other users'))
    assert.ok(warnings.some((l) => l.includes('readable.yaml')), 'config file warning')
    assert.ok(warnings.some((l) => l.includes('ed25519.pem')), 'key file warning')
    results.add({
      case: '`tickflow run`, working (Ed25519 key file), log level debug',
      outcome: 'no credential in any output; readable config and key file each warned about',
      figures: { 'output bytes scanned': all.length, 'orders sent': (sim.stats().exchange as { ordersPlaced: number }).ordersPlaced, 'credential occurrences': 0, 'permission warnings': warnings.length },
      lost: 0,
    })
    results.add({
      case: 'metrics endpoint address',
      outcome: `default: listens on ${listeningAddress(port) ?? 'closed'} (checked in /proc/net/tcp); another address only when configured`,
      figures: { 'default host': parseEngineConfig({}).metrics.host, 'bound address': '127.0.0.1' },
      lost: 0,
    })
  } finally {
    run.kill()
  }
})

test('tickflow run with a wrong HMAC secret: the start fails with a coded error, no key or secret in any output; mode 600: no warning', { timeout: 60_000 }, async () => {
  const wrong = 'SECxWRONGxSECRETx3c5e7a9b1d2f4e6a8c0b'
  const config = writeConfig(dir, 'private.yaml', {
    venues: [venue({ apiKeyEnv: 'TF_SEC_HMAC_KEY', apiSecretEnv: 'TF_SEC_HMAC_SECRET' })],
    journal: { path: path.join(dir, 'b.sqlite') },
    metrics: { port: 0 },
    logging: { level: 'debug', format: 'json' },
  })
  const run = spawnRun(['--config', config], { TF_SEC_HMAC_KEY: HMAC.apiKey, TF_SEC_HMAC_SECRET: wrong }, dir)
  try {
    const ex = await run.exited
    const all = run.out() + run.err()
    assert.equal(ex.code, 1, 'a refused signature stops the start')
    assert.match(run.err(), /VENUE_REJECTED|refused the credentials: -1022/, 'the venue refusal is reported')
    assert.deepEqual(leaks(all, [HMAC.apiKey, wrong, HMAC.secret!]), [], 'no credential in the output')
    assert.ok(!all.includes('readable by other users'), 'mode 600: no warning')
    results.add({
      case: '`tickflow run`, failing (wrong HMAC secret), log level debug',
      outcome: `exit ${ex.code}, signature refusal reported; no credential in any output; mode 600: no warning`,
      figures: { 'output bytes scanned': all.length, 'credential occurrences': 0 },
      lost: 0,
    })
  } finally {
    run.kill()
  }
})

test('the metrics endpoint listens where configured (0.0.0.0 only when asked)', { timeout: 10_000 }, async () => {
  const m = new Metrics()
  const port = await m.listen({ host: '0.0.0.0', port: 0 })
  try {
    assert.equal(listeningAddress(port), '0.0.0.0')
  } finally {
    await m.close()
  }
  const d = new Metrics()
  const p2 = await d.listen({ host: parseEngineConfig({}).metrics.host, port: 0 })
  try {
    assert.equal(listeningAddress(p2), '127.0.0.1')
  } finally {
    await d.close()
  }
})

const SIGNED_REST: Array<[string, string, Array<[string, string | number]>]> = [
  ['POST', '/api/v3/order', [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.001'], ['price', '30000']]],
  ['POST', '/api/v3/order/test', [['symbol', 'BTCUSDT'], ['side', 'BUY'], ['type', 'LIMIT'], ['timeInForce', 'GTC'], ['quantity', '0.001'], ['price', '30000']]],
  ['GET', '/api/v3/order', [['symbol', 'BTCUSDT'], ['origClientOrderId', 'nope']]],
  ['DELETE', '/api/v3/order', [['symbol', 'BTCUSDT'], ['origClientOrderId', 'nope']]],
  ['GET', '/api/v3/openOrders', [['symbol', 'BTCUSDT']]],
  ['DELETE', '/api/v3/openOrders', [['symbol', 'BTCUSDT']]],
  ['GET', '/api/v3/account', []],
  ['GET', '/api/v3/myTrades', [['symbol', 'BTCUSDT']]],
]

test('the simulator checks every signature and refuses expired, future and replayed timestamps (REST and WS-API)', { timeout: 30_000 }, async () => {
  const code = (r: { body: unknown }): number => (r.body as { code?: number }).code ?? 0
  let checks = 0
  for (const [method, p, params] of SIGNED_REST) {
    const what = `${method} ${p}`
    // bad signature
    const ts = Date.now()
    const payload = qs([...params, ['timestamp', ts]])
    const bad = await http(method, `${sim.urls.rest}${p}?${payload}&signature=${restSignature({ ...HMAC, secret: 'not-the-secret' }, payload)}`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.equal(code(bad), -1022, `${what}: bad signature`)
    // missing signature
    const none = await http(method, `${sim.urls.rest}${p}?${payload}`, { headers: { 'X-MBX-APIKEY': HMAC.apiKey } })
    assert.equal(code(none), -1102, `${what}: no signature`)
    // expired (outside recvWindow) and from the future (> 1 s ahead)
    assert.equal(code(await signed(sim.urls.rest, HMAC, method, p, [...params, ['recvWindow', 5000]], { timestamp: Date.now() - 10_000 })), -1021, `${what}: expired`)
    assert.equal(code(await signed(sim.urls.rest, HMAC, method, p, params, { timestamp: Date.now() + 5000 })), -1021, `${what}: future`)
    // a valid request, then the same bytes again: replay
    const t2 = Date.now()
    const ok = await signed(sim.urls.rest, HMAC, method, p, params, { timestamp: t2 })
    assert.notEqual(code(ok), -1022, `${what}: a valid signature is accepted (${ok.text})`)
    assert.notEqual(code(ok), -1021)
    assert.equal(code(await signed(sim.urls.rest, HMAC, method, p, params, { timestamp: t2 })), -1021, `${what}: replay`)
    checks += 6
  }
  // the WebSocket API: every signed method
  const ws = await Client.open(sim.urls.wsApi)
  try {
    const methods: Array<[string, Record<string, string | number | boolean>]> = [
      ['order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '30000' }],
      ['order.test', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '30000' }],
      ['order.status', { symbol: 'BTCUSDT', origClientOrderId: 'nope' }],
      ['order.cancel', { symbol: 'BTCUSDT', origClientOrderId: 'nope' }],
      ['openOrders.status', { symbol: 'BTCUSDT' }],
      ['openOrders.cancelAll', { symbol: 'BTCUSDT' }],
      ['account.status', {}],
      ['myTrades', { symbol: 'BTCUSDT' }],
      ['userDataStream.subscribe.signature', {}],
    ]
    let id = 1
    const err = async (method: string, params: Record<string, unknown>): Promise<number> => {
      const r = await ws.call<{ error?: { code: number } }>({ id: id++, method, params })
      return r.error?.code ?? 0
    }
    for (const [method, params] of methods) {
      const good = wsApiSign(HMAC, params)
      assert.equal(await err(method, { ...good, signature: wsApiSign({ ...HMAC, secret: 'not-the-secret' }, params).signature }), -1022, `${method}: bad signature`)
      assert.equal(await err(method, wsApiSign(HMAC, { ...params, timestamp: Date.now() - 10_000, recvWindow: 5000 })), -1021, `${method}: expired`)
      assert.equal(await err(method, wsApiSign(HMAC, { ...params, timestamp: Date.now() + 5000 })), -1021, `${method}: future`)
      const first = await err(method, good)
      assert.ok(first !== -1022 && first !== -1021, `${method}: valid signature accepted (${first})`)
      assert.equal(await err(method, good), -1021, `${method}: replay`)
      checks += 5
    }
  } finally {
    await ws.close()
  }
  results.add({
    case: 'simulator signature checks',
    outcome: 'bad / missing signature, expired, future and replayed requests refused on every signed endpoint',
    figures: { 'REST endpoints': SIGNED_REST.length, 'WS-API methods': 9, 'checks passed': checks },
    lost: 0,
  })
})
