/**
 * orders.sign: the per-order cost of building and signing a Binance WS-API
 * `order.place` request (params, signature, JSON text) — HMAC-SHA256 (hex)
 * against Ed25519 (base64), and Ed25519 with `session.logon` (no per-order
 * signature at all). A regression here is added to every order's latency.
 *
 * orders.roundtrip: strategy submit → ExecReport NEW at the strategy, through
 * the whole order path (risk, SQLite journal, gateway, loopback socket, the
 * simulator in a separate process, the reply or executionReport back, the
 * state machine, the journal again), REST vs WS-API (Ed25519 session.logon
 * and HMAC). p50/p99 per variant; the baseline is REST.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { compare, round, sideBySide, type Scenario, type ScenarioResult } from '../harness.js'
import { BoundedPool } from '../../src/core/pool.js'
import { InstrumentRegistry, InstrumentStatus } from '../../src/model/instrument.js'
import { ExecReport, OrderRequest, OrderSide, OrderStatus } from '../../src/model/orders.js'
import { SqliteJournal } from '../../src/journal/journal.js'
import { OrderRouter } from '../../src/orders/order-router.js'
import { BinanceOrderGateway } from '../../src/venues/binance/orders/gateway.js'
import { Signer, wsApiPayload } from '../../src/venues/binance/orders/signing.js'

const API_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A'
const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j'

function orderParams(i: number): Record<string, string | number> {
  return {
    symbol: 'BTCUSDT',
    side: (i & 1) === 0 ? 'BUY' : 'SELL',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: `0.00${(i % 900) + 100}`,
    price: `6${(i % 9000) + 1000}.12`,
    newClientOrderId: `tf-tpad1s-${i.toString(36)}`,
    newOrderRespType: 'RESULT',
    recvWindow: 5000,
    timestamp: 1764000000000 + i,
  }
}

export const ordersSignScenario: Scenario = {
  name: 'orders.sign',
  description: 'order.place build+sign+JSON: HMAC vs Ed25519 vs Ed25519 session.logon (no signature)',
  run(ctx) {
    const hmac = Signer.hmac(SECRET)
    const { privateKey } = generateKeyPairSync('ed25519')
    const ed = Signer.ed25519(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
    const signed = (s: Signer) => (n: number) => {
      let len = 0
      for (let i = 0; i < n; i++) {
        const p: Record<string, string | number> = orderParams(i)
        p.apiKey = API_KEY
        p.signature = s.sign(wsApiPayload(p))
        len += JSON.stringify({ id: i, method: 'order.place', params: p }).length
      }
      return len
    }
    const [h, e, l] = compare(
      [
        { name: 'hmac', run: signed(hmac) },
        { name: 'ed25519', run: signed(ed) },
        {
          name: 'session.logon',
          run: (n) => {
            let len = 0
            for (let i = 0; i < n; i++) len += JSON.stringify({ id: i, method: 'order.place', params: orderParams(i) }).length
            return len
          },
        },
      ],
      ctx.quick ? 5_000 : 20_000,
      ctx.quick ? 3 : 5,
    )
    return [sideBySide('orders.sign.ed25519', e!, 'hmac', h!), sideBySide('orders.sign.session-logon', l!, 'hmac', h!)]
  },
}

interface SimProc {
  child: ChildProcess
  urls: { rest: string; ws: string; wsApi: string }
}

/** The simulator in its own process (so its work does not share our event loop). */
function spawnSim(edPublicPem: string): Promise<SimProc> {
  const simModule = new URL('../../src/sim/index.js', import.meta.url).href
  const code = `
    const { startSimulator } = await import(${JSON.stringify(simModule)})
    const sim = await startSimulator({ port: 0, timing: { stepMs: 3600000 },
      limits: { ordersPer10s: 1e9, ordersPerDay: 1e12, requestWeightPerMinute: 1e9 },
      accounts: [ { apiKey: 'benchHmac', secret: ${JSON.stringify(SECRET)}, balances: { USDT: '10000000', BTC: '1000' } },
                  { apiKey: 'benchEd', ed25519PublicKey: ${JSON.stringify(edPublicPem)}, balances: { USDT: '10000000', BTC: '1000' } } ] })
    process.stdout.write(JSON.stringify(sim.urls) + '\\n')
    process.stdin.on('end', () => sim.close().then(() => process.exit(0)))
    process.stdin.resume()
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (d: string) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve({ child, urls: JSON.parse(buf.slice(0, nl)) as SimProc['urls'] })
    })
    child.on('exit', (c) => reject(new Error(`simulator exited (${c})`)))
  })
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

async function roundTrips(sim: SimProc, variant: 'rest' | 'ws-hmac' | 'ws-ed25519', edPem: string, n: number): Promise<number[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tickflow-bench-orders-'))
  const registry = new InstrumentRegistry()
  const btc = registry.define({
    venue: 'sim', symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', priceScale: 2, qtyScale: 5, tickSize: 1, stepSize: 1,
    minQty: 1, maxQty: 900_000_000, minNotional: 500_000_000, maxNotional: 0, notionalScale: 8, status: InstrumentStatus.Trading,
  })
  const journal = new SqliteJournal(path.join(dir, 'j.sqlite'), { registry })
  const router = new OrderRouter({
    registry,
    journal,
    requestPool: new BoundedPool({ name: 'OrderRequest', capacity: 64, create: () => new OrderRequest() }),
    reportPool: new BoundedPool({ name: 'ExecReport', capacity: 256, create: () => new ExecReport() }),
    risk: { maxOrdersPerSecond: 1_000_000, staleAfterUs: 0 },
  })
  const gw = new BinanceOrderGateway({
    venue: 'sim', registry, restUrl: sim.urls.rest, wsApiUrl: sim.urls.wsApi,
    apiKey: variant === 'ws-ed25519' ? 'benchEd' : 'benchHmac',
    ...(variant === 'ws-ed25519' ? { ed25519PrivateKeyPem: edPem } : { hmacSecret: SECRET }),
    orderTransport: variant === 'rest' ? 'rest' : 'ws-api',
    userData: 'ws-api',
  })
  router.addGateway(gw)
  let waitingFor = ''
  let waitStatus = 0
  let wake: (() => void) | null = null
  router.registerStrategy(1, 'bench', {
    onExecReport(r) {
      if (r.clientOrderId === waitingFor && r.status === waitStatus && wake !== null) {
        const w = wake
        wake = null
        w()
      }
    },
  })
  router.start()
  await gw.start()
  const until = (id: string, status: number): Promise<void> =>
    new Promise((resolve) => {
      waitingFor = id
      waitStatus = status
      wake = resolve
    })
  const samples: number[] = []
  try {
    for (let i = -20; i < n; i++) {
      const t0 = process.hrtime.bigint()
      // a resting buy far below the market: NEW (timed), then canceled (not timed);
      // no report can arrive before submit() returns (the answers come from the socket)
      const id = router.submit(1, { instrumentId: btc, side: OrderSide.Buy, priceM: 3_000_000 + (i & 1023), qtyM: 100 })
      await until(id, OrderStatus.New)
      const t1 = process.hrtime.bigint()
      if (i >= 0) samples.push(Number(t1 - t0) / 1000)
      const c = until(id, OrderStatus.Canceled)
      router.cancel(1, id)
      await c
    }
  } finally {
    router.close()
    await gw.close()
    journal.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return samples.sort((a, b) => a - b)
}

export const ordersRoundTripScenario: Scenario = {
  name: 'orders.roundtrip',
  description: 'submit → NEW at the strategy against the simulator (separate process) over loopback: WS-API (Ed25519 logon, HMAC) vs REST',
  async run(ctx) {
    const ed = generateKeyPairSync('ed25519')
    const edPem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const sim = await spawnSim(ed.publicKey.export({ type: 'spki', format: 'pem' }).toString())
    const n = ctx.quick ? 300 : 2000
    try {
      const rest = await roundTrips(sim, 'rest', edPem, n)
      const wsEd = await roundTrips(sim, 'ws-ed25519', edPem, n)
      const wsHmac = await roundTrips(sim, 'ws-hmac', edPem, n)
      const row = (name: string, s: number[]): ScenarioResult => ({
        name,
        unit: 'µs (p50)',
        value: round(percentile(s, 0.5)),
        baseline: { name: 'REST (HMAC)', value: round(percentile(rest, 0.5)) },
        ratio: round(percentile(s, 0.5) / percentile(rest, 0.5), 3),
        extra: { p90: round(percentile(s, 0.9)), p99: round(percentile(s, 0.99)), restP99: round(percentile(rest, 0.99)), samples: s.length },
      })
      return [row('orders.roundtrip.ws-api-ed25519-logon', wsEd), row('orders.roundtrip.ws-api-hmac', wsHmac)]
    } finally {
      sim.child.stdin!.end()
      await new Promise((r) => sim.child.once('exit', r))
    }
  },
}
