/** Compressed time: the 24 h connection rotation and the 60 min listenKey expiry, in well under a second each. */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { startSimulator, type Simulator } from '../../../src/sim/index.js'
import { eventually } from '../../helpers/eventually.js'
import { Client, http } from './client.js'

const sims: Simulator[] = []
const clients: Client[] = []
after(async () => {
  for (const c of clients) await c.close()
  for (const s of sims) await s.close()
})

test('a connection is closed (1000) at its 24 h lifetime', async () => {
  // 24 h / 200000 = 432 ms
  const sim = await startSimulator({ timing: { timeAcceleration: 200_000, stepMs: 1_000_000_000 } })
  sims.push(sim)
  const started = Date.now()
  const c = await Client.open(`${sim.urls.ws}/ws/btcusdt@trade`)
  clients.push(c)
  await eventually(() => c.closed, 5000)
  assert.equal(c.closeCode, 1000)
  assert.ok(Date.now() - started >= 300, 'not before its lifetime')
  assert.ok((sim.stats().ws as { closedLifetime: number }).closedLifetime >= 1)
})

test('a listenKey without keepalive expires after 60 min with listenKeyExpired; a keepalive extends it', async () => {
  // 60 min / 6000 = 600 ms
  const sim = await startSimulator({ timing: { timeAcceleration: 6000, stepMs: 1_000_000_000 }, accounts: [{ apiKey: 'k1', secret: 's1' }] })
  sims.push(sim)
  const h = { 'X-MBX-APIKEY': 'k1' }
  const lk = ((await http('POST', `${sim.urls.rest}/api/v3/userDataStream`, { headers: h })).body as { listenKey: string }).listenKey
  const u = await Client.open(`${sim.urls.ws}/ws/${lk}`)
  clients.push(u)
  const t0 = Date.now()
  // keepalive at ~300 ms pushes expiry to ~900 ms
  await new Promise((r) => setTimeout(r, 300))
  assert.deepEqual((await http('PUT', `${sim.urls.rest}/api/v3/userDataStream?listenKey=${lk}`, { headers: h })).body, {})
  const e = await u.find((j) => j.e === 'listenKeyExpired', 5000)
  assert.equal(e.listenKey, lk)
  assert.ok(Date.now() - t0 >= 800, `expired after ${Date.now() - t0} ms`)
  const r = await http('PUT', `${sim.urls.rest}/api/v3/userDataStream?listenKey=${lk}`, { headers: h })
  assert.equal((r.body as { code: number }).code, -1125)
})
