/**
 * pool.<Type>.<short|long>: acquire+release from a BoundedPool against fresh
 * allocation, for each of the six pooled types, with objects that stay in
 * flight for 1,000 operations (short) or 100,000 (long: the case where fresh
 * objects survive scavenges, get promoted and die in old space). Objects
 * really escape: each is kept in a ring of in-flight references and evicted
 * LIFETIME operations later (node-performance.md §4). A regression here shows
 * as bytes/op above ~0 or GCs in the pooled variant.
 */
import { compare, sideBySide, type Scenario, type ScenarioResult } from '../harness.js'
import { BoundedPool, type Poolable } from '../../src/core/pool.js'
import { CanonicalEvent, MergedEvent } from '../../src/model/events.js'
import { ExecReport, OrderRequest } from '../../src/model/orders.js'
import { ProviderRaw } from '../../src/model/provider-raw.js'
import { WsFrame } from '../../src/transport/ws-frame.js'

interface TypeCase {
  name: string
  create: () => Poolable
  /** writes a few fields, as a producer would */
  fill: (o: Poolable, i: number) => void
}

const TYPES: TypeCase[] = [
  { name: 'WsFrame', create: () => new WsFrame(), fill: (o, i) => ((o as WsFrame).frameSeq = i) },
  {
    name: 'ProviderRaw',
    create: () => new ProviderRaw(),
    fill: (o, i) => {
      const r = o as ProviderRaw
      r.tradeId = i
      r.priceM = 6123456 + i
      r.qtyM = 1000 + i
    },
  },
  {
    name: 'CanonicalEvent',
    create: () => new CanonicalEvent(),
    fill: (o, i) => {
      const e = o as CanonicalEvent
      e.kind = 1
      e.venueSeq = i
      e.priceM = 6123456 + i
      e.qtyM = 1000 + i
      e.tsEventUs = 1.7e15 + i
    },
  },
  {
    name: 'MergedEvent',
    create: () => new MergedEvent(),
    fill: (o, i) => {
      const m = o as MergedEvent
      m.seq = i
      m.tsMergedUs = 1.7e15 + i
    },
  },
  {
    name: 'OrderRequest',
    create: () => new OrderRequest(),
    fill: (o, i) => {
      const r = o as OrderRequest
      r.priceM = 6123456 + i
      r.qtyM = 1000
      r.tsCreatedUs = 1.7e15 + i
    },
  },
  {
    name: 'ExecReport',
    create: () => new ExecReport(),
    fill: (o, i) => {
      const r = o as ExecReport
      r.venueOrderId = i
      r.cumQtyM = i
      r.tsEventUs = 1.7e15 + i
    },
  },
]

function runCase(t: TypeCase, lifetime: number, ops: number, rounds: number): ScenarioResult {
  const ring: Array<Poolable | null> = []
  for (let i = 0; i < lifetime; i++) ring.push(null)
  const pool = new BoundedPool<Poolable>({ name: t.name, capacity: lifetime + 1, create: t.create, preallocate: true })
  const clearRing = (): void => {
    for (let i = 0; i < lifetime; i++) {
      const o = ring[i]
      if (o !== null && o !== undefined && o.poolId === pool.id) pool.release(o)
      ring[i] = null
    }
  }
  const [pooled, fresh] = compare(
    [
      {
        name: 'pooled',
        setup: clearRing,
        run: (n) => {
          let slot = 0
          for (let i = 0; i < n; i++) {
            const old = ring[slot]
            if (old !== null && old !== undefined) pool.release(old)
            const o = pool.tryAcquire()!
            t.fill(o, i)
            ring[slot] = o
            if (++slot === lifetime) slot = 0
          }
          return ring[0]
        },
      },
      {
        name: 'fresh',
        setup: clearRing,
        run: (n) => {
          let slot = 0
          for (let i = 0; i < n; i++) {
            const o = t.create()
            t.fill(o, i)
            ring[slot] = o
            if (++slot === lifetime) slot = 0
          }
          return ring[0]
        },
      },
    ],
    ops,
    rounds,
  )
  clearRing()
  return sideBySide(`pool.${t.name}.${lifetime >= 100_000 ? 'long' : 'short'}`, pooled!, `new ${t.name}()`, fresh!, { lifetime })
}

export const poolScenario: Scenario = {
  name: 'pool',
  description: 'acquire+release vs fresh allocation per pooled type, short- and long-lived',
  run(ctx) {
    const rows: ScenarioResult[] = []
    for (const t of TYPES) {
      rows.push(runCase(t, 1_000, ctx.quick ? 200_000 : 1_000_000, ctx.quick ? 2 : 3))
      rows.push(runCase(t, 100_000, ctx.quick ? 300_000 : 1_000_000, ctx.quick ? 2 : 3))
    }
    return rows
  },
}
