import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BoundedPool, PoolManager, PooledObject } from '../../../src/core/pool.js'
import { ErrorCode, isTickflowError } from '../../../src/core/errors.js'

class Thing extends PooledObject {
  value = 0
  ref: object | null = null
  reset(): void {
    this.value = 0
    this.ref = null
  }
}

const code = (c: string) => (err: unknown) => isTickflowError(err) && err.code === c

function pool(capacity: number, extra: { debug?: boolean; pooled?: boolean } = {}): BoundedPool<Thing> {
  return new BoundedPool<Thing>({ name: 'Thing', capacity, create: () => new Thing(), ...extra })
}

test('tryAcquire lends up to capacity, then returns null and counts exhaustion', () => {
  const p = pool(2)
  const a = p.tryAcquire()
  const b = p.tryAcquire()
  assert.ok(a && b && a !== b)
  assert.equal(p.tryAcquire(), null)
  const s = p.stats()
  assert.equal(s.leased, 2)
  assert.equal(s.exhausted, 1)
  assert.equal(s.highWater, 2)
  assert.equal(s.created, 2)
})

test('release resets the object and reuses it', () => {
  const p = pool(1)
  const a = p.tryAcquire()!
  a.value = 42
  a.ref = {}
  p.release(a)
  assert.equal(a.value, 0)
  assert.equal(a.ref, null)
  assert.equal(p.tryAcquire(), a)
})

test('double release throws POOL_DOUBLE_RELEASE naming the type and, in debug, the first release site', () => {
  const p = pool(2, { debug: true })
  const a = p.tryAcquire()!
  p.release(a)
  assert.throws(
    () => p.release(a),
    (err: unknown) =>
      isTickflowError(err, ErrorCode.POOL_DOUBLE_RELEASE) && /Thing/.test(err.message) && /first released at .*pool\.test/.test(err.message),
  )
  const q = pool(1)
  const b = q.tryAcquire()!
  q.release(b)
  assert.throws(() => q.release(b), code(ErrorCode.POOL_DOUBLE_RELEASE))
})

test('releasing an object the pool never issued throws POOL_FOREIGN_OBJECT', () => {
  const p = pool(1)
  const q = pool(1)
  assert.throws(() => p.release(new Thing()), code(ErrorCode.POOL_FOREIGN_OBJECT))
  const fromQ = q.tryAcquire()!
  assert.throws(() => p.release(fromQ), code(ErrorCode.POOL_FOREIGN_OBJECT))
})

test('acquire on an exhausted pool rejects with POOL_TIMEOUT about 100 ms later', async () => {
  const p = pool(1)
  p.tryAcquire()
  const t0 = performance.now()
  await assert.rejects(p.acquire(), code(ErrorCode.POOL_TIMEOUT))
  const waited = performance.now() - t0
  assert.ok(waited >= 95 && waited < 1000, `waited ${waited} ms`)
  assert.equal(p.stats().timeouts, 1)
})

test('waiters are served FIFO by release, without polling', async () => {
  const p = pool(1)
  const a = p.tryAcquire()!
  const order: number[] = []
  const w1 = p.acquire({ timeoutMs: 1000 }).then((o) => {
    order.push(1)
    return o
  })
  const w2 = p.acquire({ timeoutMs: 1000 }).then((o) => {
    order.push(2)
    return o
  })
  assert.equal(p.stats().waiters, 2)
  p.release(a)
  const o1 = await w1
  p.release(o1)
  const o2 = await w2
  assert.deepEqual(order, [1, 2])
  assert.equal(o2, a)
  assert.equal(p.stats().leased, 1)
})

test('acquire rejects with the signal reason when aborted', async () => {
  const p = pool(1)
  p.tryAcquire()
  const ac = new AbortController()
  const pending = p.acquire({ signal: ac.signal, timeoutMs: 5000 })
  ac.abort(new Error('stop waiting'))
  await assert.rejects(pending, /stop waiting/)
  assert.equal(p.stats().waiters, 0)
})

test('debug mode detects use after release through the generation', () => {
  const p = pool(1, { debug: true })
  const a = p.tryAcquire()!
  const gen = a.poolGen
  p.assertLive(a, gen)
  p.release(a)
  assert.throws(() => p.assertLive(a, gen), code(ErrorCode.POOL_USE_AFTER_RELEASE))
  const again = p.tryAcquire()!
  assert.equal(again, a)
  assert.throws(() => p.assertLive(a, gen), code(ErrorCode.POOL_USE_AFTER_RELEASE), 're-issued object has a new generation')
})

test('pooling off: fresh objects each time, double release still detected', () => {
  const p = pool(4, { pooled: false })
  const a = p.tryAcquire()!
  p.release(a)
  const b = p.tryAcquire()!
  assert.notEqual(a, b)
  assert.throws(() => p.release(a), code(ErrorCode.POOL_DOUBLE_RELEASE))
  p.release(b)
  assert.equal(p.stats().leased, 0)
})

test('manager shutdown resolves at once when nothing is leased', async () => {
  const m = new PoolManager()
  const p = m.register(pool(2))
  p.release(p.tryAcquire()!)
  const t0 = performance.now()
  const report = await m.shutdown({ deadlineMs: 5000 })
  assert.ok(performance.now() - t0 < 50)
  assert.deepEqual(report.unreturned, {})
  assert.equal(report.clean, true)
  await assert.rejects(p.acquire(), code(ErrorCode.POOL_SHUTDOWN))
  assert.equal(p.tryAcquire(), null)
})

test('manager shutdown with leaked objects resolves by its deadline and lists them per pool with sites', async () => {
  const m = new PoolManager()
  const a = m.create<Thing>({ name: 'A', capacity: 4, create: () => new Thing(), debug: true })
  const b = m.create<Thing>({ name: 'B', capacity: 4, create: () => new Thing() })
  a.tryAcquire()
  a.tryAcquire()
  b.tryAcquire()
  assert.equal(m.inFlight(), 3)
  const t0 = performance.now()
  const report = await m.shutdown({ deadlineMs: 150 })
  const waited = performance.now() - t0
  assert.ok(waited >= 140 && waited < 1000, `waited ${waited}`)
  assert.equal(report.clean, false)
  assert.deepEqual(report.unreturned, { A: 2, B: 1 })
  assert.equal(report.sites?.A?.length, 2)
  assert.match(report.sites!.A![0]!, /pool\.test/)
})

test('manager shutdown resolves as soon as the last object comes back', async () => {
  const m = new PoolManager()
  const p = m.register(pool(1))
  const obj = p.tryAcquire()!
  const waiter = p.acquire({ timeoutMs: 5000 })
  const done = m.shutdown({ deadlineMs: 5000 })
  await assert.rejects(waiter, code(ErrorCode.POOL_SHUTDOWN))
  setTimeout(() => p.release(obj), 20)
  const t0 = performance.now()
  const report = await done
  assert.ok(performance.now() - t0 < 1000)
  assert.equal(report.clean, true)
})

test('duplicate pool names are refused', () => {
  const m = new PoolManager()
  m.register(pool(1))
  assert.throws(() => m.register(pool(1)), code(ErrorCode.POOL_DUPLICATE_NAME))
})

test('property: leased + free = capacity and no object is lent twice', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 300 }), fc.integer({ min: 1, max: 16 }), (ops, capacity) => {
      const p = pool(capacity)
      const out: Thing[] = []
      for (const acquire of ops) {
        if (acquire) {
          const o = p.tryAcquire()
          if (o !== null) {
            assert.equal(out.includes(o), false, 'lent twice')
            out.push(o)
          } else assert.equal(out.length, capacity)
        } else if (out.length > 0) p.release(out.splice(out.length >> 1, 1)[0]!)
        const s = p.stats()
        assert.equal(s.leased, out.length)
        assert.equal(s.leased + s.free, capacity)
        assert.ok(s.created <= capacity)
      }
    }),
    { numRuns: 300 },
  )
})
